//! `balletc verify FILE --goal G [--plan PLAN] [--trace-out FILE]`: plans
//! the goal (or reads a hand-written plan), explores every interleaving and
//! proves no deadlock, termination, the goal in every final state and port
//! safety, or prints a counterexample. Exit 0 when verified, 1 when not (or
//! on an error), 2 on a usage error.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use ballet_runtime::explore::Reduction;
use ballet_runtime::program::Plan;
use ballet_runtime::{Goal, Model};
use clap::{Args, ValueEnum};

use crate::atomic::write_atomically;
use crate::cli::given::given_plan;
use crate::cli::plan::{planning, GoalArgs};
use crate::cli::{report, Format};
use crate::plan::problem::Problem;
use crate::render;
use crate::verify::trace::{lines, TraceFile};
use crate::verify::{start_state, verify, Verdict, VerifyOptions};

/// Arguments of `balletc verify`.
#[derive(Args, Debug)]
pub struct VerifyArgs {
    #[command(flatten)]
    goal: GoalArgs,
    /// Verify this hand-written plan instead of planning the goal (the
    /// format of `balletc simulate --plan`).
    #[arg(long, value_name = "PLAN.txt")]
    plan: Option<PathBuf>,
    /// Write the counterexample as a trace file that the REPL's
    /// `:load-trace` replays (nothing is written when verified).
    #[arg(long, value_name = "FILE")]
    trace_out: Option<PathBuf>,
    /// Give up (not verified) after this many distinct states.
    #[arg(long, value_name = "N", default_value_t = VerifyOptions::default().limit)]
    max_states: usize,
    /// The partial-order reduction (`none` explores every interleaving
    /// literally: slower, and its counterexample is the shortest of all).
    #[arg(long, value_enum, default_value_t = ReductionArg::Stubborn)]
    reduction: ReductionArg,
    /// Do not merge states that differ by a permutation of interchangeable
    /// sites.
    #[arg(long)]
    no_symmetry: bool,
    /// Then explore the site VMs as the agents run them: every order of
    /// transition ends and of deliveries of facts between sites (no
    /// reduction: for plans of a few sites).
    #[arg(long)]
    vms: bool,
    /// With `--vms`: give up (not verified) after this many states of the
    /// VMs (up to about 6 KB each while many wait to be explored).
    #[arg(long, value_name = "N", default_value_t = 500_000)]
    vms_max_states: usize,
}

/// `--reduction`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum ReductionArg {
    /// Every enabled action in every state.
    None,
    /// Transition ends and unobservable steps alone.
    Safe,
    /// Stubborn sets over instances and sites (the default).
    Stubborn,
}

/// What is verified.
struct Subject {
    model: Model,
    goal: Goal,
    problem: Problem,
    plan: Plan,
    /// The hand-written plan's lines, for the trace file.
    given: Vec<String>,
}

/// Runs `balletc verify`.
pub fn run(args: VerifyArgs) -> ExitCode {
    let subject = match subject(&args) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let options = VerifyOptions {
        limit: args.max_states,
        reduction: match args.reduction {
            ReductionArg::None => Reduction::None,
            ReductionArg::Safe => Reduction::Safe,
            ReductionArg::Stubborn => Reduction::Stubborn,
        },
        symmetry: !args.no_symmetry,
        vms: args.vms.then_some(args.vms_max_states),
    };
    let verdict = verify(
        &subject.model,
        &subject.problem,
        &subject.goal,
        &subject.plan,
        &options,
    );
    let start = start_state(&subject.model, &subject.problem, &subject.plan);
    match args.goal.format {
        Format::Text => print!(
            "{}",
            render::verdict::text(
                &subject.model,
                &subject.goal.name,
                &subject.plan,
                &start,
                &verdict,
                true
            )
        ),
        Format::Json => println!(
            "{}",
            render::verdict::json(&subject.model, &subject.plan, &start, &verdict)
        ),
    }
    if let Some(path) = &args.trace_out {
        if let Err(code) = write_trace(path, &args, &subject, &verdict) {
            return code;
        }
    }
    if verdict.verified() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// The planned or hand-written plan and its problem.
fn subject(args: &VerifyArgs) -> Result<Subject, ExitCode> {
    match &args.plan {
        None => {
            let (_, planning) = planning(&args.goal)?;
            Ok(Subject {
                model: planning.analysis.model,
                goal: planning.goal,
                problem: planning.planned.problem,
                plan: planning.planned.plan,
                given: Vec::new(),
            })
        }
        Some(path) => {
            let given = given_plan(&args.goal, path)?;
            let problem = Problem::new(&given.model, &given.goal).map_err(|e| {
                eprintln!(
                    "{:?}",
                    miette::miette!(code = "balletc::goal", "{}", e.message)
                );
                ExitCode::from(1)
            })?;
            let lines = given
                .text
                .lines()
                .map(|l| l.split('#').next().unwrap_or("").trim())
                .filter(|l| !l.is_empty())
                .map(str::to_string)
                .collect();
            Ok(Subject {
                model: given.model,
                goal: given.goal,
                problem,
                plan: given.plan,
                given: lines,
            })
        }
    }
}

/// Writes the counterexample of a failed verification as a trace file.
fn write_trace(
    path: &Path,
    args: &VerifyArgs,
    subject: &Subject,
    verdict: &Verdict,
) -> Result<(), ExitCode> {
    let Some(failure) = &verdict.failure else {
        return Ok(());
    };
    let start = start_state(&subject.model, &subject.problem, &subject.plan);
    let file = TraceFile {
        goal: Some(subject.goal.name.clone()),
        plan: subject.given.clone(),
        steps: lines(&subject.model, &subject.plan, &start, &failure.trace),
    };
    let mut command = format!(
        "balletc verify {} --goal {}",
        args.goal.file.display(),
        subject.goal.name
    );
    for (name, value) in &args.goal.define {
        command.push_str(&format!(" -D {name}={value}"));
    }
    if let Some(p) = &args.plan {
        command.push_str(&format!(" --plan {}", p.display()));
    }
    let mut comment = vec![format!("Counterexample found by `{command}`")];
    comment.push(format!("property: {}", failure.property.describe()));
    comment.push(
        "replay it in `balletc repl`: :load FILE, :set the same -D values, :load-trace THIS".into(),
    );
    write_atomically(path, file.render(&comment).as_bytes()).map_err(|e| {
        report::unwritable(path, &e);
        ExitCode::from(1)
    })
}
