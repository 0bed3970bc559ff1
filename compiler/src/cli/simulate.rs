//! `balletc simulate FILE --goal G [--gantt out.svg] [--baseline sequential]`:
//! plans the goal and runs the plan in virtual time (every transition takes
//! its cost, messages none), then reports the makespan, each instance's
//! timeline and final place, and the sequential baseline when asked.

use std::path::PathBuf;
use std::process::ExitCode;

use ballet_runtime::baseline::BaselineSchedule;
use ballet_runtime::program::Plan;
use ballet_runtime::report::Report;
use ballet_runtime::semantics::System;
use ballet_runtime::{Cost, InstanceId, Model};
use clap::{Args, ValueEnum};
use serde_json::{json, Value};

use crate::atomic::write_atomically;
use crate::cli::given::given_plan;
use crate::cli::plan::{planning, GoalArgs};
use crate::cli::{report, Format};
use crate::render::gantt::gantt_svg;

/// Baseline schedules to compare with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Baseline {
    /// Each instance runs its behaviors transition by transition, after
    /// all its providers have finished (the µs / "Muse" tool).
    Sequential,
}

/// Arguments of `balletc simulate`.
#[derive(Args, Debug)]
pub struct SimulateArgs {
    #[command(flatten)]
    goal: GoalArgs,
    /// Write a Gantt chart of the run (SVG).
    #[arg(long, value_name = "FILE.svg")]
    gantt: Option<PathBuf>,
    /// Also compute a baseline schedule of the same plan, for comparison.
    #[arg(long, value_enum)]
    baseline: Option<Baseline>,
    /// Simulate this hand-written plan instead of planning the goal (one
    /// line per program: `site NAME: instr ...` or `INSTANCE: pushB(b) ...`;
    /// the goal gives the start state).
    #[arg(long, value_name = "PLAN.txt")]
    plan: Option<PathBuf>,
}

/// Runs `balletc simulate`.
pub fn run(args: SimulateArgs) -> ExitCode {
    let (model, goal, plan, start) = match &args.plan {
        None => {
            let (_, planning) = match planning(&args.goal) {
                Ok(p) => p,
                Err(code) => return code,
            };
            let planned = planning.planned;
            let start = planned.problem.start_places.clone();
            let plan = planned.plan;
            (planning.analysis.model, planning.goal, plan, start)
        }
        Some(path) => match given_plan(&args.goal, path) {
            Ok(given) => (given.model, given.goal, given.plan, given.start),
            Err(code) => return code,
        },
    };
    let model = &model;
    let plan = &plan;
    let system = System::new(model, plan, &start, goal.start.connections.iter().copied());
    let run = Report::new(model, plan, system);
    if run.longest_path != run.outcome.makespan {
        report::internal(&format!(
            "the simulated makespan {} differs from the event graph's longest path {}",
            run.outcome.makespan, run.longest_path
        ));
        return ExitCode::from(1);
    }
    let baseline = match (args.baseline, &run.baseline) {
        (None, _) => None,
        (Some(Baseline::Sequential), Ok(b)) => Some(b),
        (Some(Baseline::Sequential), Err(e)) => {
            eprintln!(
                "{:?}",
                miette::miette!(code = "balletc::baseline", "no sequential baseline: {e}")
            );
            return ExitCode::from(1);
        }
    };
    if let Some(path) = &args.gantt {
        let title = format!("{} — goal `{}`", args.goal.file.display(), goal.name);
        let svg = gantt_svg(model, plan, &run.timelines, &title, baseline);
        if let Err(e) = write_atomically(path, svg.as_bytes()) {
            report::unwritable(path, &e);
            return ExitCode::from(1);
        }
    }
    match args.goal.format {
        Format::Text => print!("{}", text(model, &goal.name, plan, &run, baseline)),
        Format::Json => println!("{}", to_json(model, &goal.name, plan, &run, baseline)),
    }
    if run.outcome.deadlock.is_some() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// One instance's line: name, site, first start, last end, final place.
type Row = (String, String, Option<Cost>, Option<Cost>, String);

/// Every instance's line.
fn rows(model: &Model, plan: &Plan, run: &Report) -> Vec<Row> {
    let u = &plan.universe;
    u.instances
        .iter()
        .enumerate()
        .map(|(i, inst)| {
            let t = &run.timelines.instances[i];
            let start = t.bars.iter().map(|b| b.start).min();
            let end = t.bars.iter().map(|b| b.end).max();
            let ty = model.ty(inst.ty);
            let place = match &run.outcome.system.states[InstanceId::from_index(i).index()] {
                None => "(deleted)".to_string(),
                Some(s) => s
                    .marked
                    .iter()
                    .map(|p| ty.places[p].clone())
                    .collect::<Vec<_>>()
                    .join("+"),
            };
            (
                inst.name.clone(),
                u.sites[inst.site.index()].name.clone(),
                start,
                end,
                place,
            )
        })
        .collect()
}

/// The wait-for cycle of a deadlocked run, by node name.
fn cycle(model: &Model, plan: &Plan, run: &Report) -> Option<Vec<String>> {
    run.outcome.deadlock.as_ref()?;
    let nodes = ballet_runtime::wait_for::cycle(model, plan, &run.outcome.system)?;
    Some(nodes.into_iter().map(|n| n.name(plan)).collect())
}

fn gain(ours: Cost, theirs: Cost) -> f64 {
    if theirs == Cost::ZERO {
        0.0
    } else {
        100.0 * (theirs.0 as f64 - ours.0 as f64) / theirs.0 as f64
    }
}

fn text(
    model: &Model,
    goal: &str,
    plan: &Plan,
    run: &Report,
    baseline: Option<&BaselineSchedule>,
) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Simulation of goal `{goal}`: {} sites, {} instances, {} events",
        plan.universe.sites.len(),
        plan.universe.instances.len(),
        run.outcome.events.len()
    );
    let rows = rows(model, plan, run);
    let width = rows.iter().map(|r| r.0.len()).max().unwrap_or(8).max(8);
    let _ = writeln!(
        out,
        "\n  {:<width$}  {:<12}  {:>8}  {:>8}  final",
        "instance", "site", "start", "end"
    );
    for (name, site, start, end, place) in &rows {
        let show = |c: &Option<Cost>| c.map_or("-".to_string(), |c| c.to_string());
        let _ = writeln!(
            out,
            "  {name:<width$}  {site:<12}  {:>8}  {:>8}  {place}",
            show(start),
            show(end)
        );
    }
    match &run.outcome.deadlock {
        Some(d) => {
            let _ = writeln!(
                out,
                "\nDeadlock at t = {} ({} blocked)",
                d.time,
                d.blocked.len()
            );
            if let Some(cycle) =
                ballet_runtime::wait_for::cycle_text(model, plan, &run.outcome.system)
            {
                let _ = writeln!(out, "wait-for cycle: {cycle}");
            }
        }
        None => {
            let _ = writeln!(
                out,
                "\nMakespan {} (the event graph's longest path: {})",
                run.outcome.makespan, run.longest_path
            );
        }
    }
    if let Some(b) = baseline {
        let _ = writeln!(
            out,
            "Sequential baseline {}: Ballet's plan is {:.1} % shorter",
            b.makespan,
            gain(run.outcome.makespan, b.makespan)
        );
    }
    out
}

fn to_json(
    model: &Model,
    goal: &str,
    plan: &Plan,
    run: &Report,
    baseline: Option<&BaselineSchedule>,
) -> Value {
    let units = |c: Cost| c.as_units_f64();
    let instances: Vec<Value> = rows(model, plan, run)
        .into_iter()
        .map(|(name, site, start, end, place)| {
            json!({"name": name, "site": site, "start": start.map(units), "end": end.map(units), "final": place})
        })
        .collect();
    json!({
        "goal": goal,
        "makespan": units(run.outcome.makespan),
        "longest_path": units(run.longest_path),
        "deadlock": run.outcome.deadlock.as_ref().map(|d| units(d.time)),
        "cycle": cycle(model, plan, run),
        "events": run.outcome.events.len(),
        "baseline": baseline.map(|b| json!({
            "kind": "sequential",
            "makespan": units(b.makespan),
            "gain_percent": gain(run.outcome.makespan, b.makespan),
        })),
        "instances": instances,
    })
}
