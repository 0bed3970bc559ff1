//! Checks a simulated run of a synthesized plan against the goal: the
//! planner's own guarantee, checked on every plan it emits (a failure here
//! is a planner bug, reported, never a silently wrong plan).

use std::collections::BTreeSet;

use ballet_runtime::simulate::Outcome;
use ballet_runtime::{Goal, InstanceId, Model};

use crate::plan::local::port_on;
use crate::plan::problem::Problem;

/// `Err` describes the first goal the run does not reach.
pub fn reached(
    model: &Model,
    problem: &Problem,
    plan: &ballet_runtime::program::Plan,
    goal: &Goal,
    run: &Outcome,
) -> Result<(), String> {
    if let Some(deadlock) = &run.deadlock {
        let why: Vec<String> = deadlock
            .blocked
            .iter()
            .map(|b| match b {
                ballet_runtime::semantics::Blocked::Instruction {
                    site,
                    instruction,
                    reason,
                } => format!(
                    "site {}: {} waits: {reason}",
                    problem.universe.sites[site.index()].name,
                    instruction.display(model, &problem.universe)
                ),
                ballet_runtime::semantics::Blocked::Step {
                    instance,
                    step,
                    reason,
                } => format!(
                    "{}: {step:?} waits: {reason}",
                    problem.universe.instances[instance.index()].name
                ),
            })
            .collect();
        let cycle = ballet_runtime::wait_for::cycle_text(model, plan, &run.system)
            .map(|c| format!(" (wait-for cycle: {c})"))
            .unwrap_or_default();
        return Err(format!(
            "the plan deadlocks at t = {}: {}{cycle}",
            deadlock.time,
            why.join("; ")
        ));
    }
    reached_state(model, problem, goal, &run.system)
}

/// `Err` describes the first goal the final state `system` does not reach.
pub fn reached_state(
    model: &Model,
    problem: &Problem,
    goal: &Goal,
    system: &ballet_runtime::semantics::System,
) -> Result<(), String> {
    let name = |i: InstanceId| problem.universe.instances[i.index()].name.as_str();
    let states = &system.states;
    for (i, state) in states.iter().enumerate() {
        let id = InstanceId::from_index(i);
        if problem.kept[i] != state.is_some() {
            return Err(format!(
                "{} {} at the end",
                name(id),
                if state.is_some() {
                    "still exists"
                } else {
                    "does not exist"
                }
            ));
        }
    }
    for b in &goal.behaviors {
        let done = states[b.instance.index()]
            .as_ref()
            .is_some_and(|s| s.finished[b.behavior.index()] > 0)
            || !problem.kept[b.instance.index()];
        if !done {
            return Err(format!(
                "{} never executed a required behavior",
                name(b.instance)
            ));
        }
    }
    for (i, own) in problem.goals.iter().enumerate() {
        let id = InstanceId::from_index(i);
        let Some(state) = &states[i] else { continue };
        let ty = model.ty(problem.universe.instances[i].ty);
        if let Some((p, _)) = own.place {
            if state.marked.len() != 1 || !state.marked.contains(p.index()) {
                return Err(format!("{} is not at {}", name(id), ty.place_name(p)));
            }
        }
        for &(p, active, _) in &own.ports {
            if port_on(ty, &state.marked, p) != active {
                return Err(format!(
                    "{}.{} is not {}",
                    name(id),
                    ty.port(p).name,
                    if active { "active" } else { "inactive" }
                ));
            }
        }
    }
    let target: BTreeSet<_> = problem.target_connections.iter().copied().collect();
    if system.connections != target {
        return Err("the connections at the end are not the target assembly's".into());
    }
    Ok(())
}
