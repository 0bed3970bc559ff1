//! Every interleaving of a plan's execution (SEMANTICS.md §3–§4: any order
//! of instruction executions, fires, entries, finishes and transition ends,
//! any durations), explored exhaustively over [`System`] with state
//! hashing. No reduction yet: this is the bounded, exact check the test
//! suite runs on small plans (the verifier of issue 6 adds partial-order
//! reduction, symmetry and counterexample traces on top).

use std::collections::{HashSet, VecDeque};

use crate::ids::{InstanceId, SiteId};
use crate::model::Model;
use crate::program::Plan;
use crate::semantics::System;

/// What exploring every interleaving found.
#[derive(Clone, Debug, Default)]
pub struct Exploration {
    /// Distinct states visited.
    pub states: usize,
    /// Actions taken (edges of the state graph).
    pub transitions: usize,
    /// Reachable states where nothing can happen but the plan is not done.
    pub deadlocks: Vec<System>,
    /// Reachable final states (plan done), distinct.
    pub finals: Vec<System>,
    /// Set when the exploration stopped at `limit` states: nothing is proved.
    pub truncated: bool,
}

/// The hashable identity of a state (the endpoint index is derived from
/// `connections`, so it is left out).
type Key = (
    Vec<Option<crate::semantics::InstanceState>>,
    Vec<crate::model::Connection>,
    Vec<usize>,
    Vec<Vec<u32>>,
    Vec<(SiteId, crate::model::Connection)>,
);

fn key(s: &System) -> Key {
    let mut reached: Vec<_> = s.dcon_reached.iter().copied().collect();
    reached.sort();
    (
        s.states.clone(),
        s.connections.iter().copied().collect(),
        s.pc.clone(),
        s.pushes.clone(),
        reached,
    )
}

/// Every state reachable from `start` by one action.
fn successors(model: &Model, plan: &Plan, state: &System) -> Vec<System> {
    let mut out = Vec::new();
    for s in 0..plan.programs.len() {
        let site = SiteId::from_index(s);
        let mut next = state.clone();
        let reached = next.reach(plan, site);
        if next.instruction_enabled(model, plan, site).is_ok() {
            next.execute(model, plan, site);
            out.push(next);
        } else if reached {
            out.push(next);
        }
    }
    let mut steps = Vec::new();
    for i in 0..state.states.len() {
        let i = InstanceId::from_index(i);
        steps.clear();
        state.enabled_steps(model, plan, i, &mut steps);
        for &step in &steps {
            let mut next = state.clone();
            next.apply_step(model, plan, i, step);
            out.push(next);
        }
    }
    out
}

/// Explores every interleaving of `plan` from `start`, up to `limit`
/// distinct states.
pub fn explore(model: &Model, plan: &Plan, start: System, limit: usize) -> Exploration {
    let mut seen: HashSet<Key> = HashSet::new();
    let mut finals: HashSet<Key> = HashSet::new();
    let mut result = Exploration::default();
    let mut queue = VecDeque::new();
    seen.insert(key(&start));
    queue.push_back(start);
    while let Some(state) = queue.pop_front() {
        result.states += 1;
        let next = successors(model, plan, &state);
        if next.is_empty() {
            if state.done(plan) {
                if finals.insert(key(&state)) {
                    result.finals.push(state);
                }
            } else {
                result.deadlocks.push(state);
            }
            continue;
        }
        for n in next {
            result.transitions += 1;
            if seen.insert(key(&n)) {
                if seen.len() > limit {
                    result.truncated = true;
                    return result;
                }
                queue.push_back(n);
            }
        }
    }
    result
}
