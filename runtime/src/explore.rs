//! Every interleaving of a plan's execution (SEMANTICS.md §3–§4: any order
//! of instruction executions, fires, entries, finishes and transition ends,
//! any durations), explored exhaustively over [`System`] with state hashing
//! and a partial-order reduction.
//!
//! **Reduction.** Some actions are *safe*: independent of every other
//! action and never disabled by one. A transition's end is one (it turns a
//! running transition into an arrival: port activity, refusing, finished
//! counts and idleness, all that other instances and programs read, stay
//! the same, and only this instance's steps touch it). So is a fire or an
//! entry without guards that changes none of that observable state either.
//! When a state has a safe action, exploring it alone is enough (a
//! persistent set of one; the state graph is acyclic, since every action
//! makes progress), which preserves every reachable deadlock and final
//! state: `tests/oracle.rs` checks the reduced and full explorations agree.
//!
//! Breadth-first, so the first deadlock found has a shortest trace.

use std::collections::{HashMap, VecDeque};

use crate::ids::{InstanceId, PortId, SiteId};
use crate::model::{Connection, Model};
use crate::program::{Instruction, Plan};
use crate::semantics::{InstanceState, Step, System};

/// One action of the interleaving.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// A site executed its head instruction (or only reached its `dcon`).
    Instruction(SiteId, Instruction),
    /// An instance took a step.
    Step(InstanceId, Step),
}

/// What exploring every interleaving found.
#[derive(Clone, Debug, Default)]
pub struct Exploration {
    /// Distinct states visited.
    pub states: usize,
    /// Actions taken (edges of the explored state graph).
    pub transitions: usize,
    /// Reachable states where nothing can happen but the plan is not done.
    pub deadlocks: Vec<System>,
    /// The shortest trace to the first deadlock, if any.
    pub counterexample: Option<Vec<Action>>,
    /// Reachable final states (plan done), distinct.
    pub finals: Vec<System>,
    /// Set when the exploration stopped at `limit` states: nothing is proved.
    pub truncated: bool,
}

/// The hashable identity of a state (the endpoint index is derived from
/// `connections`, so it is left out).
type Key = (
    Vec<Option<InstanceState>>,
    Vec<Connection>,
    Vec<usize>,
    Vec<Vec<u32>>,
    Vec<(SiteId, Connection)>,
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

/// What other instances and programs can read of instance `i`.
fn observable(model: &Model, plan: &Plan, s: &System, i: InstanceId) -> Vec<u32> {
    let Some(state) = &s.states[i.index()] else {
        return vec![u32::MAX];
    };
    let ty = model.ty(plan.universe.instances[i.index()].ty);
    let mut out: Vec<u32> = (0..ty.ports.len())
        .map(|p| {
            let p = PortId::from_index(p);
            u32::from(state.port_active(ty, p)) | (u32::from(state.refusing(ty, p)) << 1)
        })
        .collect();
    out.extend(&state.finished);
    out.push(u32::from(state.idle()));
    out
}

/// Every action enabled in `state` and the state it leads to; only one
/// safe action when there is one.
fn successors(model: &Model, plan: &Plan, state: &System, reduce: bool) -> Vec<(Action, System)> {
    let mut out = Vec::new();
    let mut steps = Vec::new();
    let mut requirements = Vec::new();
    for i in 0..state.states.len() {
        let i = InstanceId::from_index(i);
        steps.clear();
        state.enabled_steps(model, plan, i, &mut steps);
        for &step in &steps {
            let mut next = state.clone();
            next.apply_step(model, plan, i, step);
            if reduce {
                let safe = match step {
                    Step::End(_) => true,
                    Step::Finish => false,
                    Step::Fire(_) | Step::Enter(_) => {
                        requirements.clear();
                        let ty = model.ty(plan.universe.instances[i.index()].ty);
                        if let Some(s) = &state.states[i.index()] {
                            s.requirements(ty, step, &mut requirements);
                        }
                        requirements.is_empty()
                            && observable(model, plan, state, i)
                                == observable(model, plan, &next, i)
                    }
                };
                if safe {
                    return vec![(Action::Step(i, step), next)];
                }
            }
            out.push((Action::Step(i, step), next));
        }
    }
    for s in 0..plan.programs.len() {
        let site = SiteId::from_index(s);
        let Some(head) = state.head(plan, site) else {
            continue;
        };
        let mut next = state.clone();
        let reached = next.reach(plan, site);
        if next.instruction_enabled(model, plan, site).is_ok() {
            next.execute(model, plan, site);
            out.push((Action::Instruction(site, head), next));
        } else if reached {
            out.push((Action::Instruction(site, head), next));
        }
    }
    out
}

/// Explores every interleaving of `plan` from `start`, up to `limit`
/// distinct states, with the reduction when `reduce`.
pub fn explore(
    model: &Model,
    plan: &Plan,
    start: System,
    limit: usize,
    reduce: bool,
) -> Exploration {
    let mut index: HashMap<Key, usize> = HashMap::new();
    // Per state: its parent and the action from it (for traces).
    let mut parents: Vec<Option<(usize, Action)>> = Vec::new();
    let mut result = Exploration::default();
    let mut finals: HashMap<Key, ()> = HashMap::new();
    let mut queue = VecDeque::new();
    index.insert(key(&start), 0);
    parents.push(None);
    queue.push_back((0usize, start));
    while let Some((id, state)) = queue.pop_front() {
        result.states += 1;
        let next = successors(model, plan, &state, reduce);
        if next.is_empty() {
            if state.done(plan) {
                if finals.insert(key(&state), ()).is_none() {
                    result.finals.push(state);
                }
            } else {
                if result.counterexample.is_none() {
                    result.counterexample = Some(trace(&parents, id));
                }
                result.deadlocks.push(state);
            }
            continue;
        }
        for (action, n) in next {
            result.transitions += 1;
            let k = key(&n);
            if index.contains_key(&k) {
                continue;
            }
            if index.len() >= limit {
                result.truncated = true;
                return result;
            }
            let nid = parents.len();
            index.insert(k, nid);
            parents.push(Some((id, action)));
            queue.push_back((nid, n));
        }
    }
    result
}

fn trace(parents: &[Option<(usize, Action)>], mut id: usize) -> Vec<Action> {
    let mut out = Vec::new();
    while let Some((parent, action)) = parents[id] {
        out.push(action);
        id = parent;
    }
    out.reverse();
    out
}
