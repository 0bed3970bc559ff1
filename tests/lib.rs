//! Helpers shared by the fixture tests: running the checker on a fixture the
//! way `balletc check` does and rendering what it reports.

pub mod hostile;
pub mod optimal;
pub mod random;

use ballet_compiler::check::{analyze, Options};
use ballet_compiler::diagnostic::{Diagnostic, Diagnostics};
use ballet_compiler::load::{load, Origin, Program};
use ballet_compiler::render::terminal;

/// What checking a fixture produced.
pub struct Outcome {
    /// The loaded program (for rendering and span checks).
    pub program: Program,
    /// The diagnostics, sorted.
    pub diagnostics: Vec<Diagnostic>,
}

/// Reads the fixture header: lines `// check-args: -D n=0 -D m=1` at the top
/// of the file give `-D` values.
pub fn header_defines(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for line in text.lines() {
        let Some(args) = line.strip_prefix("// check-args:") else {
            break;
        };
        let mut words = args.split_whitespace();
        while let Some(w) = words.next() {
            if w == "-D" {
                if let Some((n, v)) = words.next().and_then(|d| d.split_once('=')) {
                    out.push((n.to_string(), v.to_string()));
                }
            }
        }
    }
    out
}

/// Checks `text` as a file called `name` at `path` (imports resolve next to
/// it), with the `-D` values of its header.
pub fn check_text(name: &str, path: &std::path::Path, text: &str) -> Outcome {
    let mut diagnostics = Diagnostics::default();
    let program = load(
        name.to_string(),
        text.to_string(),
        Origin::Path(path.to_path_buf()),
        &mut diagnostics,
    );
    let options = Options {
        defines: header_defines(text),
    };
    analyze(&program, &options, &mut diagnostics);
    Outcome {
        program,
        diagnostics: diagnostics.into_sorted(),
    }
}

impl Outcome {
    /// The text `balletc check` prints, without colour.
    pub fn rendered(&self, name: &str) -> String {
        let mut out = terminal::render_plain(&self.program.sources, &self.diagnostics);
        out.push_str(&terminal::summary(name, &self.diagnostics));
        out.push('\n');
        out
    }

    /// Checks that every label lies inside its file, on character boundaries.
    pub fn spans_in_bounds(&self) -> Result<(), String> {
        for d in &self.diagnostics {
            for l in d.primary.iter().chain(&d.secondary) {
                let text = self.program.sources.text(l.file);
                let (s, e) = (l.span.start as usize, l.span.end as usize);
                if s > e || e > text.len() || !text.is_char_boundary(s) || !text.is_char_boundary(e)
                {
                    return Err(format!("{} has span {s}..{e} outside its file", d.code));
                }
            }
        }
        Ok(())
    }
}

/// Loads an example (or any file) and returns its model and the lowered goal
/// `goal`, with `-D` values.
pub fn example_goal(
    path: &str,
    goal: &str,
    defines: &[(&str, &str)],
) -> (ballet_runtime::Model, ballet_runtime::Goal) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(path);
    let mut diagnostics = Diagnostics::default();
    let program =
        ballet_compiler::load::load_path(&root, &mut diagnostics).expect("readable example");
    let options = Options {
        defines: defines
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect(),
    };
    let analysis = analyze(&program, &options, &mut diagnostics);
    assert!(!diagnostics.has_errors(), "{path} must check clean");
    let goal = analysis.goal(goal).expect("goal exists").clone();
    (analysis.model, goal)
}

/// A plan written per component, as the papers print them:
/// `name: pushB(b) wait(other, b) pushB(b2)`, one line per component (the
/// notation of `balletc simulate --plan`). Each component's instructions
/// form their own program (a pseudo-site per instance), which is how the
/// published tool runs them.
pub fn per_component_plan(
    model: &ballet_runtime::Model,
    goal: &ballet_runtime::Goal,
    text: &str,
) -> ballet_runtime::program::Plan {
    let universe = ballet_runtime::program::Universe {
        sites: goal.start.sites.clone(),
        instances: goal.start.instances.clone(),
    };
    ballet_compiler::plan::text::parse_plan(model, &universe, text).expect("a valid plan text")
}

/// The plan that pushes `behavior` once on every instance of the start
/// assembly, one program per site (the deploy plans of the papers).
pub fn push_everywhere(
    model: &ballet_runtime::Model,
    goal: &ballet_runtime::Goal,
    behavior: &str,
) -> ballet_runtime::program::Plan {
    use ballet_runtime::program::{Instruction, Plan, Universe};
    use ballet_runtime::InstanceId;
    let a = &goal.start;
    let mut programs = vec![Vec::new(); a.sites.len()];
    for (i, inst) in a.instances.iter().enumerate() {
        if let Some(b) = model.ty(inst.ty).behavior_named(behavior) {
            programs[inst.site.index()].push(Instruction::PushB(InstanceId::from_index(i), b));
        }
    }
    Plan {
        universe: Universe {
            sites: a.sites.clone(),
            instances: a.instances.clone(),
        },
        programs,
    }
}

/// The system at the start of `goal`, for `plan`'s universe (which must list
/// the start assembly's instances first, in order).
pub fn start_system(
    model: &ballet_runtime::Model,
    goal: &ballet_runtime::Goal,
    plan: &ballet_runtime::program::Plan,
) -> ballet_runtime::semantics::System {
    let start: Vec<Option<ballet_runtime::PlaceId>> = (0..plan.universe.instances.len())
        .map(|i| goal.start_places.get(i).copied())
        .collect();
    ballet_runtime::semantics::System::new(
        model,
        plan,
        &start,
        goal.start.connections.iter().copied(),
    )
}

/// Plans a fixture the way `balletc plan` does, with the arguments of its
/// header (`// plan-args: --goal NAME -D n=1`, and optionally
/// `// plan-state: {recorded state JSON}`), and returns what it prints:
/// the plan text without timing, or the diagnostics.
pub fn plan_fixture(name: &str, path: &std::path::Path, text: &str) -> String {
    let mut goal = None;
    let mut defines = Vec::new();
    let mut state = None;
    for line in text.lines() {
        if let Some(args) = line.strip_prefix("// plan-args:") {
            let mut words = args.split_whitespace();
            while let Some(w) = words.next() {
                match w {
                    "--goal" => goal = words.next().map(str::to_string),
                    "-D" => {
                        if let Some((n, v)) = words.next().and_then(|d| d.split_once('=')) {
                            defines.push((n.to_string(), v.to_string()));
                        }
                    }
                    _ => {}
                }
            }
        } else if let Some(json) = line.strip_prefix("// plan-state:") {
            state = Some(serde_json::from_str(json).expect("plan-state header is JSON"));
        } else if !line.starts_with("//") {
            break;
        }
    }
    let mut diagnostics = Diagnostics::default();
    let program = load(
        name.to_string(),
        text.to_string(),
        Origin::Path(path.to_path_buf()),
        &mut diagnostics,
    );
    let result = ballet_compiler::pipeline::plan_program(
        &program,
        &Options { defines },
        goal.as_deref(),
        state.as_ref(),
        &mut diagnostics,
    );
    let list = diagnostics.into_sorted();
    let mut out = terminal::render_plain(&program.sources, &list);
    match result {
        Ok(planning) => {
            out.push_str(&ballet_compiler::render::plan::text(
                &planning.analysis.model,
                &planning.goal.name,
                &planning.planned,
                false,
            ));
            // Every plan of the suite is verified: a failure shows in the
            // output, so the golden comparison fails.
            if let Err(why) = verified(&planning.analysis.model, &planning.goal, &planning.planned)
            {
                out.push_str(&format!("NOT VERIFIED: {why}\n"));
            }
            // And by the site VMs, messages in transit included, where
            // their states fit a small budget (the larger cases are
            // explored in `vm_interleavings.rs` and the report).
            if let Some(why) =
                vms_failure(&planning.analysis.model, &planning.goal, &planning.planned)
            {
                out.push_str(&format!("NOT VERIFIED IN THE VMS: {why}\n"));
            }
        }
        Err(ballet_compiler::pipeline::Failed::Reported) => {
            out.push_str(&terminal::summary(name, &list));
            out.push('\n');
        }
        Err(ballet_compiler::pipeline::Failed::Internal(m)) => {
            out.push_str(&format!("internal error: {m}\n"));
        }
    }
    out
}

/// States of the site VMs explored at most per plan fixture.
const FIXTURE_VM_STATES: usize = 20_000;

/// What `balletc verify --vms` finds wrong with `planned` in the site VMs
/// (a deadlock or a final state missing the goal), within
/// [`FIXTURE_VM_STATES`] states; `None` when nothing is, or when the
/// exploration did not finish.
pub fn vms_failure(
    model: &ballet_runtime::Model,
    goal: &ballet_runtime::Goal,
    planned: &ballet_compiler::plan::Planned,
) -> Option<String> {
    use ballet_compiler::verify::{vms::verify_vms, Property};
    let verdict = verify_vms(
        model,
        &planned.problem,
        goal,
        &planned.plan,
        FIXTURE_VM_STATES,
    );
    match verdict.failure {
        Some(f) if !matches!(f.property, Property::Limit(_)) => Some(format!(
            "{} after {}",
            f.property.describe(),
            f.trace.join("; ")
        )),
        _ => None,
    }
}

/// Explores every interleaving of `planned` (`balletc verify`): `Err` with
/// the failed property unless the plan is proved correct.
pub fn verified(
    model: &ballet_runtime::Model,
    goal: &ballet_runtime::Goal,
    planned: &ballet_compiler::plan::Planned,
) -> Result<(), String> {
    verified_plan(model, &planned.problem, goal, &planned.plan)
        .map_err(|(failure, states)| format!("{} ({states} states)", failure.property.describe()))
}

/// Explores every interleaving of any `plan` for `problem` (`balletc
/// verify`): `Err` with the failure and the number of states explored
/// unless the plan is proved correct.
pub fn verified_plan(
    model: &ballet_runtime::Model,
    problem: &ballet_compiler::plan::problem::Problem,
    goal: &ballet_runtime::Goal,
    plan: &ballet_runtime::program::Plan,
) -> Result<(), (ballet_compiler::verify::Failure, usize)> {
    use ballet_compiler::verify::{verify, VerifyOptions};
    let options = VerifyOptions {
        limit: 2_000_000,
        ..VerifyOptions::default()
    };
    let verdict = verify(model, problem, goal, plan, &options);
    match verdict.failure {
        None => Ok(()),
        Some(f) => Err((f, verdict.states)),
    }
}

/// Compares `actual` with the golden file `golden`, or rewrites the golden
/// file when `BLESS` is set (review the diff like code).
pub fn golden(golden: &std::path::Path, actual: &str) -> Result<(), String> {
    if std::env::var_os("BLESS").is_some() {
        return std::fs::write(golden, actual).map_err(|e| format!("{}: {e}", golden.display()));
    }
    let expected = std::fs::read_to_string(golden)
        .map_err(|e| format!("{}: {e} (run with BLESS=1 to create it)", golden.display()))?;
    if expected != actual {
        return Err(format!(
            "output differs from {}\n--- expected\n{expected}\n--- actual\n{actual}",
            golden.display()
        ));
    }
    Ok(())
}
