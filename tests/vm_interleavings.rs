//! The site VMs, not only the semantics, under every interleaving
//! (`ballet_runtime::explore::sites`): every order of transition ends and
//! deliveries of facts between sites (in order per link, as the transport
//! delivers them). For each plan: no reachable deadlock, and every
//! reachable final state of the VMs is a final state of the semantics
//! (explored exhaustively too), and the other way round.
//!
//! The semantics-level verifier (`tests/verified.rs`) cannot see a wait
//! that only the VM makes (facts arrive late and must be fresh); this can.
//! Without a reduction it only reaches small plans: the assembly changes,
//! CPS n = 1.

use std::collections::BTreeSet;

use ballet_compiler::plan::plan;
use ballet_compiler::plan::problem::Problem;
use ballet_compiler::run::{plan_images, FinalState};
use ballet_runtime::explore::{
    explore, explore_sites, explore_sites_with, SitesExploration, SitesReduction,
};
use ballet_runtime::program::Plan;
use ballet_runtime::vm::SiteVm;
use ballet_runtime::Model;
use ballet_tests::random::{checked, random_program};
use ballet_tests::{example_goal, verified_plan};

/// States explored at most per plan, for the VMs and for the semantics.
const LIMIT: usize = 150_000;

/// Every site's VM at the start of `plan`.
fn vms_of(model: &Model, problem: &Problem, plan: &Plan) -> Vec<SiteVm> {
    plan_images(model, problem, plan)
        .into_iter()
        .map(SiteVm::new)
        .collect()
}

/// Sleep sets prune events, never states: the reduced exploration finds
/// the same states, final states and deadlocks as the full one, and
/// equally short traces.
fn same_states(full: &SitesExploration, reduced: &SitesExploration) -> Result<(), String> {
    let finals = |e: &SitesExploration| -> BTreeSet<String> {
        e.finals
            .iter()
            .map(|vms| format!("{:?}", FinalState::of_vms(vms)))
            .collect()
    };
    let lengths =
        |e: &SitesExploration| -> Vec<usize> { e.final_traces.iter().map(Vec::len).collect() };
    if full.states != reduced.states
        || finals(full) != finals(reduced)
        || full.deadlock.as_ref().map(Vec::len) != reduced.deadlock.as_ref().map(Vec::len)
    {
        return Err(format!(
            "sleep sets change the result: {} states and deadlock {:?} in full, {} and {:?} reduced",
            full.states, full.deadlock, reduced.states, reduced.deadlock
        ));
    }
    let (mut a, mut b) = (lengths(full), lengths(reduced));
    a.sort_unstable();
    b.sort_unstable();
    if a != b {
        return Err(format!(
            "traces to the final states: {a:?} in full, {b:?} reduced"
        ));
    }
    if reduced.transitions > full.transitions {
        return Err("sleep sets explore more events".into());
    }
    Ok(())
}

/// `Err` with what went wrong unless the VMs running `path`'s plan for
/// `goal` can neither deadlock nor end anywhere the semantics cannot.
fn check(path: &str, goal: &str, defines: &[(&str, &str)]) -> Result<usize, String> {
    let (model, g) = example_goal(path, goal, defines);
    let planned = plan(&model, &g).map_err(|e| format!("not plannable: {e:?}"))?;
    agree(&model, &planned.problem, &planned.plan)
}

/// `Err` with what went wrong unless the VMs running `plan` can neither
/// deadlock nor end anywhere the semantics cannot; otherwise the number of
/// states of the VMs.
fn agree(model: &Model, problem: &Problem, plan: &Plan) -> Result<usize, String> {
    let vms = vms_of(model, problem, plan);
    let full = explore_sites_with(vms.clone(), LIMIT, SitesReduction::None);
    let sites = explore_sites(vms, LIMIT);
    if sites.truncated {
        return Err(format!("more than {LIMIT} states"));
    }
    same_states(&full, &sites)?;
    if let Some(trace) = &sites.deadlock {
        return Err(format!("the VMs deadlock after {trace:?}"));
    }
    let start = problem.start_system(model, plan);
    let semantics = explore(model, plan, start, LIMIT, true);
    if semantics.truncated {
        return Err(format!("the semantics has more than {LIMIT} states"));
    }
    let expected: BTreeSet<String> = semantics
        .finals
        .iter()
        .map(|s| format!("{:?}", FinalState::of_system(model, plan, s)))
        .collect();
    let found: BTreeSet<String> = sites
        .finals
        .iter()
        .map(|vms| format!("{:?}", FinalState::of_vms(vms)))
        .collect();
    if found != expected {
        return Err(format!(
            "final states differ:\nVMs:\n{found:#?}\nsemantics:\n{expected:#?}"
        ));
    }
    Ok(sites.states)
}

fn must_hold(path: &str, goal: &str, defines: &[(&str, &str)]) {
    match check(path, goal, defines) {
        Ok(states) => {
            eprintln!("{path} --goal {goal} {defines:?}: {states} states of the VMs");
            assert!(states > 1, "{path} {goal}: nothing explored");
        }
        Err(why) => panic!("{path} --goal {goal} {defines:?}: {why}"),
    }
}

#[test]
fn the_reference_cases_run_by_the_vms_never_deadlock() {
    // OpenStack (11 instances, most of them on one site) has more than
    // `LIMIT` states here: this exploration has no reduction yet.
    for goal in ["deploy", "update"] {
        must_hold("examples/cps.blt", goal, &[("n", "1")]);
    }
    must_hold("examples/hello.blt", "deploy", &[]);
}

#[test]
fn the_assembly_changes_run_by_the_vms_never_deadlock() {
    for (file, goal) in [
        ("rewire", "rewire"),
        ("scale_in", "scale_in"),
        ("scale_out", "scale_out"),
        ("update_chain", "update"),
    ] {
        must_hold(
            &format!("tests/fixtures/plan/changes/{file}.blt"),
            goal,
            &[],
        );
    }
}

/// The exploration finds a deadlock when there is one: the application of
/// `hello` deployed alone waits forever for its database, and the trace
/// leads there.
#[test]
fn a_plan_that_deadlocks_in_the_vms_is_caught() {
    use ballet_compiler::verify::vms::verify_vms;
    use ballet_compiler::verify::Property;
    use ballet_runtime::program::{Instruction, Universe};
    use ballet_runtime::InstanceId;
    let (model, g) = example_goal("examples/hello.blt", "deploy", &[]);
    let app = InstanceId::from_index(1);
    let deploy = model
        .ty(g.start.instances[1].ty)
        .behavior_named("deploy")
        .expect("App has deploy");
    let plan = Plan {
        universe: Universe {
            sites: g.start.sites.clone(),
            instances: g.start.instances.clone(),
        },
        programs: vec![Vec::new(), vec![Instruction::PushB(app, deploy)]],
    };
    let problem = Problem::new(&model, &g).expect("a problem");
    let vms = vms_of(&model, &problem, &plan);
    let full = explore_sites_with(vms.clone(), LIMIT, SitesReduction::None);
    same_states(&full, &explore_sites(vms, LIMIT)).expect("sleep sets find the deadlock");
    let found = verify_vms(&model, &problem, &g, &plan, LIMIT);
    let failure = found.failure.expect("a deadlock");
    assert!(
        matches!(failure.property, Property::Deadlock { .. }),
        "{:?}",
        failure.property
    );
    assert_eq!(
        failure.trace,
        [
            "site client: app.install ends (off -> installed)",
            "site client: app.launch ends (installed -> up)",
            "site server receives the next facts from site client",
            "site server receives the next facts from site client",
        ],
        "the shortest trace, in words: the application asks the database, \
         which does not serve"
    );
    assert_eq!(
        failure.blocked,
        ["site client: its instances wait on a guard"],
        "what each site that is not done waits for"
    );
}

/// The verifier's plan fixtures (`tests/fixtures/verify/*.plan`, goal named
/// on a `# goal: NAME` first line): whenever the semantics verifies one,
/// the VMs never deadlock on it and end exactly where the semantics does.
/// `connect_late` and `two_providers` are the two waits the VMs once made
/// and the semantics does not (ARCHITECTURE.md, "Message deliveries").
#[test]
fn the_plans_the_semantics_verifies_the_vms_run_to_the_same_ends() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/verify");
    let mut checked_plans = 0;
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .expect("fixtures/verify")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "plan"))
        .collect();
    entries.sort();
    for path in entries {
        let text = std::fs::read_to_string(&path).expect("readable plan");
        let goal = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# goal: "))
            .unwrap_or_else(|| panic!("{}: first line `# goal: NAME`", path.display()));
        let blt = path.with_extension("blt");
        let relative = format!(
            "tests/fixtures/verify/{}",
            blt.file_name().unwrap().to_string_lossy()
        );
        let (model, g) = example_goal(&relative, goal.trim(), &[]);
        let problem = Problem::new(&model, &g).expect("a problem");
        let plan = ballet_compiler::plan::text::parse_plan(&model, &problem.universe, &text)
            .expect("a valid plan");
        if verified_plan(&model, &problem, &g, &plan).is_err() {
            continue;
        }
        if let Err(why) = agree(&model, &problem, &plan) {
            panic!("{}: {why}", path.display());
        }
        checked_plans += 1;
    }
    assert!(
        checked_plans >= 2,
        "only {checked_plans} fixture plans verified"
    );
}

/// The planner's plans for the random systems of `tests/oracle.rs`: the
/// VMs never deadlock and end exactly where the semantics does.
#[test]
fn random_plans_run_by_the_vms_end_where_the_semantics_does() {
    let mut compared = 0;
    for seed in 0..SEEDS {
        let Some((model, goal)) = checked(&random_program(seed)) else {
            continue;
        };
        let Ok(planned) = plan(&model, &goal) else {
            continue;
        };
        if let Err(why) = agree(&model, &planned.problem, &planned.plan) {
            panic!("seed {seed}: {why}\n{}", random_program(seed));
        }
        compared += 1;
    }
    eprintln!("{compared} random plans: the VMs agree with the semantics");
    assert!(
        compared > SEEDS as usize / 20,
        "only {compared} plannable seeds"
    );
}

/// Seeds of [`random_plans_run_by_the_vms_end_where_the_semantics_does`].
const SEEDS: u64 = 1000;

/// A VM's state is its checkpoint: `checkpoint_bytes`, which the
/// exploration hashes without building the checkpoint, is the checkpoint's
/// encoding byte for byte (at the start and in every final state of the
/// CPS update, facts, connections and queues included).
#[test]
fn a_vms_state_bytes_are_its_checkpoints_encoding() {
    let (model, g) = example_goal("examples/cps.blt", "update", &[("n", "2")]);
    let planned = plan(&model, &g).expect("plannable");
    let vms: Vec<SiteVm> = ballet_compiler::run::site_images(&model, &planned)
        .into_iter()
        .map(SiteVm::new)
        .collect();
    let found = explore_sites(vms.clone(), LIMIT);
    let mut compared = 0;
    for vm in vms.iter().chain(found.finals.iter().flatten()) {
        let mut bytes = Vec::new();
        vm.checkpoint_bytes(&mut bytes);
        // The file form: magic, version, then the encoding.
        let file = vm.checkpoint().encode();
        assert_eq!(bytes, file[6..], "site {:?}", vm.site());
        compared += 1;
    }
    assert!(compared > vms.len(), "final states compared too");
}

/// Plans made wrong on purpose from the planner's.
#[derive(Clone, Copy, Debug)]
enum Wild {
    /// Every `wait` dropped.
    NoWaits,
    /// Every `wait` dropped, each site's program reversed.
    Reversed,
    /// Each site's first `pushB` dropped (a `wait` on it never passes).
    FirstPushDropped,
}

/// The oracle of the sleep sets: the full exploration. On the planner's
/// plans for random systems made wrong on purpose ([`Wild`]: plans that
/// often deadlock), the reduced exploration finds the same states, final
/// states and deadlocks, with traces as short.
#[test]
fn sleep_sets_find_what_the_full_exploration_finds() {
    use ballet_runtime::program::Instruction;
    let (mut compared, mut deadlocks) = (0, 0);
    for seed in 0..SEEDS {
        let Some((model, goal)) = checked(&random_program(seed)) else {
            continue;
        };
        let Ok(planned) = plan(&model, &goal) else {
            continue;
        };
        for variant in [Wild::NoWaits, Wild::Reversed, Wild::FirstPushDropped] {
            let mut wild = planned.plan.clone();
            for program in &mut wild.programs {
                match variant {
                    Wild::NoWaits => program.retain(|i| !matches!(i, Instruction::Wait(..))),
                    Wild::Reversed => {
                        program.retain(|i| !matches!(i, Instruction::Wait(..)));
                        program.reverse();
                    }
                    Wild::FirstPushDropped => {
                        if let Some(k) = program
                            .iter()
                            .position(|i| matches!(i, Instruction::PushB(..)))
                        {
                            program.remove(k);
                        }
                    }
                }
            }
            let vms = vms_of(&model, &planned.problem, &wild);
            let full = explore_sites_with(vms.clone(), LIMIT, SitesReduction::None);
            let reduced = explore_sites(vms, LIMIT);
            if let Err(why) = same_states(&full, &reduced) {
                panic!("seed {seed} ({variant:?}): {why}\n{}", random_program(seed));
            }
            compared += 1;
            deadlocks += usize::from(full.deadlock.is_some());
        }
    }
    eprintln!("{compared} wrong plans, {deadlocks} deadlocking: same results");
    assert!(deadlocks > 5, "only {deadlocks} deadlocks compared");
}
