//! The planner (issue 3): from a goal, one Concerto-D program per site.
//!
//! Pipeline: [`problem`] (universe, assembly diff, each instance's own
//! goals) → one [`site::SitePlanner`] per site, each planning its instances
//! over their exact [`automaton`]s with the [`local`] search and exchanging
//! port constraints ([`protocol`]) through the in-memory [`network`] until
//! quiescence → [`emit`] writes each site's program (meeting prefixes,
//! `dcon`s, `con`s, `wait`s, the rest, `del`s) → the plan is simulated with
//! the one semantics, which gives the predicted makespan and is checked
//! against the goal ([`validate`]). Unreachable goals are explained by a
//! minimal conflicting subset of goal lines ([`unsat`]).

pub mod automaton;
pub mod choice;
pub mod emit;
pub mod facts;
pub mod local;
pub mod network;
pub mod problem;
pub mod protocol;
pub mod session;
pub mod site;
pub mod text;
pub mod unsat;
pub mod validate;

use std::time::Instant;

use ballet_runtime::program::{Instruction, Plan};
use ballet_runtime::simulate::{simulate, Outcome};
use ballet_runtime::{Cost, Goal, Model, SiteId};
use serde::Serialize;

use automaton::AutomatonCache;
use problem::{Problem, ProblemError};
use site::{Failure, SitePlanner};

/// A synthesized plan and what is known about it.
#[derive(Clone, Debug)]
pub struct Planned {
    /// The problem planned.
    pub problem: Problem,
    /// One program per site.
    pub plan: Plan,
    /// Its simulation (no deadlock, every goal reached: checked).
    pub run: Outcome,
    /// Sizes and costs.
    pub metrics: Metrics,
}

/// The numbers `balletc plan` reports (JSON field names are stable).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Metrics {
    /// Sites.
    pub sites: usize,
    /// Instances of the universe.
    pub instances: usize,
    /// Instructions over every program.
    pub instructions: usize,
    /// `pushB` instructions.
    pub pushb: usize,
    /// `wait` instructions.
    pub waits: usize,
    /// `add` instructions.
    pub adds: usize,
    /// `con` instructions.
    pub connects: usize,
    /// `dcon` instructions.
    pub disconnects: usize,
    /// `del` instructions.
    pub deletes: usize,
    /// Messages the site planners exchanged (proposals and acknowledgements).
    pub messages: usize,
    /// Constraints planned under: own goal lines plus propagated ones.
    pub constraints: usize,
    /// Predicted makespan, in time units.
    pub makespan: f64,
    /// Wall-clock time of the synthesis (site planners and emission), ms.
    pub planning_ms: f64,
}

/// Why no plan was produced.
#[derive(Clone, Debug)]
pub enum PlanError {
    /// The goal cannot be set up (e.g. an instance changes type).
    Problem(ProblemError),
    /// Some instance cannot meet its constraints.
    Infeasible(Failure),
    /// The synthesized plan fails its own check: a planner bug.
    Internal(String),
}

/// Where each universe instance starts, overriding the goal's start places
/// (from a recorded state: `--from-state`).
pub type StartOverride = Vec<(ballet_runtime::InstanceId, ballet_runtime::PlaceId)>;

/// Plans `goal`.
pub fn plan(model: &Model, goal: &Goal) -> Result<Planned, PlanError> {
    plan_in_order(model, goal, None)
}

/// [`plan`], the site planners' messages delivered in the order `choose`
/// picks ([`network::exchange_in_order`]): as over a real network.
pub fn plan_delivering(
    model: &Model,
    goal: &Goal,
    choose: &mut dyn FnMut(usize) -> usize,
) -> Result<Planned, PlanError> {
    plan_in_order(model, goal, Some(choose))
}

fn plan_in_order(
    model: &Model,
    goal: &Goal,
    choose: Option<&mut dyn FnMut(usize) -> usize>,
) -> Result<Planned, PlanError> {
    let started = Instant::now();
    let problem = Problem::new(model, goal).map_err(PlanError::Problem)?;
    let (programs, messages, constraints) = synthesize(model, &problem, choose)?;
    let plan = Plan {
        universe: problem.universe.clone(),
        programs,
    };
    let planning_ms = started.elapsed().as_secs_f64() * 1e3;
    let system = problem.start_system(model, &plan);
    let run = simulate(model, &plan, system);
    validate::reached(model, &problem, &plan, goal, &run).map_err(|why| {
        // The plan goes into the report: it is what a bug report needs.
        let mut text = format!("{why}\nthe plan was:");
        for (s, program) in plan.programs.iter().enumerate() {
            text.push_str(&format!("\n  {}:", plan.universe.sites[s].name));
            for ins in program {
                text.push_str(&format!(" {}", ins.display(model, &plan.universe)));
            }
        }
        PlanError::Internal(text)
    })?;
    let metrics = metrics(&plan, messages, constraints, run.makespan, planning_ms);
    Ok(Planned {
        problem,
        plan,
        run,
        metrics,
    })
}

/// A plan that did not come from the planner (a hand-written one, a
/// counterexample's), with its problem and simulation, unchecked: what the
/// REPL runs. `Err` when the goal cannot be set up or the plan's universe is
/// not the problem's.
pub fn given(model: &Model, goal: &Goal, plan: Plan) -> Result<Planned, String> {
    let problem = Problem::new(model, goal).map_err(|e| e.message)?;
    if problem.universe.instances.len() != plan.universe.instances.len() {
        return Err("the goal adds instances that the plan's universe does not have".into());
    }
    let system = problem.start_system(model, &plan);
    let run = simulate(model, &plan, system);
    let metrics = metrics(&plan, 0, 0, run.makespan, 0.0);
    Ok(Planned {
        problem,
        plan,
        run,
        metrics,
    })
}

/// Runs the site planners to a fixpoint and emits the programs: (programs,
/// messages, constraints).
fn synthesize(
    model: &Model,
    problem: &Problem,
    choose: Option<&mut dyn FnMut(usize) -> usize>,
) -> Result<(Vec<Vec<Instruction>>, usize, usize), PlanError> {
    let mut cache = AutomatonCache::default();
    let mut planners: Vec<SitePlanner<'_>> = problem
        .instances_by_site()
        .iter()
        .enumerate()
        .map(|(s, ids)| SitePlanner::new(model, problem, SiteId::from_index(s), ids, &mut cache))
        .collect();
    let traffic = network::exchange_in_order(&mut planners, choose).map_err(PlanError::Internal)?;
    if let Some(failure) = planners.iter().find_map(SitePlanner::failure) {
        return Err(PlanError::Infeasible(failure));
    }
    let constraints = planners.iter().map(SitePlanner::constraints).sum();
    let programs = planners.iter().map(emit::site_program).collect();
    Ok((programs, traffic.messages(), constraints))
}

/// Whether the goal's constraints can all be met (no programs emitted, no
/// simulation): for the search of a minimal conflicting subset.
pub fn feasible(model: &Model, goal: &Goal) -> bool {
    match Problem::new(model, goal) {
        Ok(problem) => synthesize(model, &problem, None).is_ok(),
        Err(_) => false,
    }
}

fn metrics(
    plan: &Plan,
    messages: usize,
    constraints: usize,
    makespan: Cost,
    planning_ms: f64,
) -> Metrics {
    let mut m = Metrics {
        sites: plan.universe.sites.len(),
        instances: plan.universe.instances.len(),
        messages,
        constraints,
        makespan: makespan.as_units_f64(),
        planning_ms,
        ..Metrics::default()
    };
    for ins in plan.programs.iter().flatten() {
        m.instructions += 1;
        match ins {
            Instruction::Add(..) => m.adds += 1,
            Instruction::Del(..) => m.deletes += 1,
            Instruction::Con(..) => m.connects += 1,
            Instruction::Dcon(..) => m.disconnects += 1,
            Instruction::PushB(..) => m.pushb += 1,
            Instruction::Wait(..) => m.waits += 1,
        }
    }
    m
}
