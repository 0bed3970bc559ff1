//! `balletc apply FILE --goal G --dir OUT_DIR`: hands a goal to the running
//! agents of a build, which plan it among themselves (the site planners'
//! protocol of `balletc plan`, over their network) and run the result (see
//! `crate::apply`). Prints the agents' programs as `balletc plan` does and
//! whether they are identical to `balletc plan`'s (the operator plans the
//! goal too), then one line per site as it finishes and a summary. Writes
//! the final state to `.ballet/state.json`. Exit 0 when every site is done;
//! 1 if an agent is unreachable, refuses, has no plan, the plans differ,
//! or the reconfiguration does not finish.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use ballet_runtime::recorded::RecordedState;
use clap::Args;
use serde_json::json;

use crate::apply::message::ApplyRequest;
use crate::apply::model::fingerprint;
use crate::apply::operator::{OperatorSession, SiteEnd};
use crate::atomic::write_atomically;
use crate::check::Options;
use crate::cli::operator::operator_access;
use crate::cli::plan::{read_state, GoalArgs};
use crate::cli::run::parse_duration;
use crate::cli::{report, Format};
use crate::diagnostic::Diagnostics;
use crate::load::load_path;
use crate::pipeline::{plan_program, Failed, Planning};
use crate::plan::session::Operator;
use crate::render;

/// How long the planners' exchange may last.
const PLANNING_LIMIT: Duration = Duration::from_secs(60);

/// Arguments of `balletc apply`.
#[derive(Args, Debug)]
pub struct ApplyArgs {
    #[command(flatten)]
    goal: GoalArgs,
    /// The build directory of the running agents (`inventory.toml`).
    #[arg(long, value_name = "OUT_DIR")]
    dir: PathBuf,
    /// The cluster's key file (default: `OUT_DIR/cluster.key`).
    #[arg(long, value_name = "FILE")]
    key: Option<PathBuf>,
    /// How long the agents may take to connect and answer.
    #[arg(long, value_parser = parse_duration, default_value = "5s")]
    connect_timeout: Duration,
    /// How long the reconfiguration may take once it runs.
    #[arg(long, value_parser = parse_duration, default_value = "10m")]
    timeout: Duration,
}

fn fail(message: impl std::fmt::Display) -> ExitCode {
    eprintln!(
        "{:?}",
        miette::miette!(code = "balletc::apply", "{message}")
    );
    ExitCode::from(1)
}

/// Runs `balletc apply`.
pub fn run(args: ApplyArgs) -> ExitCode {
    let mut diagnostics = Diagnostics::default();
    let program = match load_path(&args.goal.file, &mut diagnostics) {
        Ok(p) => p,
        Err(e) => {
            report::unreadable(&args.goal.file, &e);
            return ExitCode::from(1);
        }
    };
    let from_state = match &args.goal.from_state {
        Some(path) => match read_state(path) {
            Ok(s) => Some(s),
            Err(code) => return code,
        },
        None => None,
    };
    let (inventory, operator) = match operator_access(&args.dir, args.key.as_deref()) {
        Ok(access) => access,
        Err(e) => return fail(e),
    };
    let Some(goal) = args.goal.goal.clone() else {
        return fail("choose the goal to apply with `--goal`");
    };
    let request = ApplyRequest {
        id: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64),
        goal: goal.clone(),
        defines: args.goal.define.clone(),
        fingerprint: fingerprint(&program),
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return fail(format!("cannot start the runtime: {e}")),
    };
    let names: Vec<String> = inventory.iter().map(|(n, _)| n.clone()).collect();
    runtime.block_on(async {
        let mut session =
            match OperatorSession::connect(&inventory, &operator, args.connect_timeout).await {
                Ok(s) => s,
                Err(e) => return fail(e),
            };
        let gathered = match session.prepare(&request).await {
            Ok(s) => s,
            Err(e) => return abort(session, e).await,
        };
        let start = from_state.unwrap_or(gathered);
        // The expected plan: `balletc plan --from-state` of the same state.
        let options = Options {
            defines: args.goal.define.clone(),
        };
        let planned = plan_program(&program, &options, Some(&goal), Some(&start), &mut diagnostics);
        let failed = planned.is_err();
        if let Err(Failed::Internal(message)) = &planned {
            report::internal(message);
        }
        report::diagnostics(
            &args.goal.file,
            &program,
            diagnostics,
            args.goal.format,
            args.goal.color,
            failed,
        );
        let Ok(planning) = planned else {
            return abort(session, format!("goal `{goal}` cannot be planned")).await;
        };
        let sites: Vec<String> = planning
            .planned
            .plan
            .universe
            .sites
            .iter()
            .map(|s| s.name.clone())
            .collect();
        if sites != names {
            let why = format!(
                "goal `{goal}` has the sites {} but the build's inventory has {}: build with a goal over the same sites",
                sites.join(", "),
                names.join(", ")
            );
            return abort(session, why).await;
        }
        let coordinator = Operator::new(&planning.planned.problem);
        let programs = match session.plan(&start, coordinator, PLANNING_LIMIT).await {
            Ok(p) => p,
            Err(e) => return abort(session, e).await,
        };
        let differing: Vec<&str> = programs
            .iter()
            .zip(&planning.planned.plan.programs)
            .zip(&names)
            .filter(|((a, b), _)| a != b)
            .map(|(_, n)| n.as_str())
            .collect();
        let identical = differing.is_empty();
        let mut shown = planning.planned.clone();
        shown.plan.programs = programs;
        print_programs(&args, &planning, &shown, identical, &differing);
        if !identical {
            return abort(session, "the agents' plan differs from `balletc plan`'s".into()).await;
        }
        let started = Instant::now();
        if let Err(e) = session.run().await {
            return fail(format!("{e}; the sites that started go on (see `balletc status`)"));
        }
        let text = args.goal.format == Format::Text;
        if text {
            println!("\nRunning on {} agents", names.len());
        }
        let ends = session
            .finished(args.timeout, |name, end| {
                if text {
                    print_end(name, end);
                }
            })
            .await;
        let elapsed = started.elapsed();
        match ends {
            Ok(ends) => summary(&args, &planning, &shown, &ends, elapsed, &goal),
            Err(e) => fail(format!("{e} (see `balletc status`)")),
        }
    })
}

/// Tells every agent the apply is off, then reports why.
async fn abort(session: OperatorSession, why: String) -> ExitCode {
    session.abort(&why).await;
    fail(format!("apply aborted: {why}"))
}

/// The agents' programs as `balletc plan` prints them, and the comparison.
fn print_programs(
    args: &ApplyArgs,
    planning: &Planning,
    shown: &crate::plan::Planned,
    identical: bool,
    differing: &[&str],
) {
    let model = &planning.analysis.model;
    if args.goal.format == Format::Json {
        if !identical {
            let got = render::plan::json(model, &planning.goal.name, shown);
            let expected = render::plan::json(model, &planning.goal.name, &planning.planned);
            println!(
                "{}",
                json!({
                    "goal": planning.goal.name,
                    "programs": got["programs"],
                    "identical": false,
                    "expected_programs": expected["programs"],
                })
            );
        }
        return;
    }
    print!(
        "{}",
        render::plan::text(model, &planning.goal.name, shown, false)
    );
    if identical {
        println!("\nThe agents' plan is identical to `balletc plan`'s.");
    } else {
        println!(
            "\nThe agents' plan DIFFERS from `balletc plan`'s at site{} {}.",
            if differing.len() == 1 { "" } else { "s" },
            differing.join(", ")
        );
        println!("`balletc plan` would run:");
        print!(
            "{}",
            render::plan::text(model, &planning.goal.name, &planning.planned, false)
        );
    }
}

fn print_end(name: &str, end: &SiteEnd) {
    if end.done {
        println!("  {name}: done ({} messages received)", end.received);
    } else {
        println!("  {name}: stopped: {}", end.failures.join("; "));
    }
}

/// The summary (text or JSON) and `.ballet/state.json`.
fn summary(
    args: &ApplyArgs,
    planning: &Planning,
    shown: &crate::plan::Planned,
    ends: &[SiteEnd],
    elapsed: Duration,
    goal: &str,
) -> ExitCode {
    let done = ends.iter().filter(|e| e.done).count();
    let messages: u64 = ends.iter().map(|e| e.received).sum();
    let failures: Vec<&String> = ends.iter().flat_map(|e| &e.failures).collect();
    let mut state = RecordedState {
        version: ballet_runtime::recorded::VERSION,
        goal: Some(goal.to_string()),
        instances: Default::default(),
    };
    for end in ends {
        state.instances.extend(end.state.instances.clone());
    }
    let all_done = done == ends.len();
    let written = if all_done {
        let text = serde_json::to_string_pretty(&state).unwrap_or_default();
        std::fs::create_dir_all(".ballet")
            .and_then(|()| {
                write_atomically(std::path::Path::new(".ballet/state.json"), text.as_bytes())
            })
            .map_err(|e| format!("cannot write `.ballet/state.json`: {e}"))
    } else {
        Ok(())
    };
    match args.goal.format {
        Format::Text => {
            println!(
                "\nSummary: {done}/{} sites done in {:.0} ms (predicted makespan {} units), {messages} messages, {} failures",
                ends.len(),
                elapsed.as_secs_f64() * 1000.0,
                planning.planned.run.makespan,
                failures.len()
            );
        }
        Format::Json => {
            let plan = render::plan::json(&planning.analysis.model, goal, shown);
            println!(
                "{}",
                json!({
                    "goal": goal,
                    "programs": plan["programs"],
                    "identical": true,
                    "measured_ms": elapsed.as_secs_f64() * 1000.0,
                    "predicted_makespan": planning.planned.run.makespan.to_string(),
                    "messages": messages,
                    "failures": failures,
                    "sites_done": done,
                    "sites": ends.len(),
                })
            );
        }
    }
    if let Err(e) = written {
        return fail(e);
    }
    if all_done {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
