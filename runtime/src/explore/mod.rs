//! Every interleaving of a plan's execution (SEMANTICS.md §3–§4: any order
//! of instruction executions, fires, entries, finishes and transition ends,
//! any durations), explored exhaustively over [`System`] with state hashing
//! and, on request, a partial-order reduction ([`Reduction`]) and symmetry
//! reduction of interchangeable sites ([`symmetry`]).
//!
//! Breadth-first, so the first bad state found has a shortest trace among
//! the interleavings explored (with a reduction, the explored ones).
//!
//! Besides deadlocks and final states, the exploration checks on every
//! explored state that no use port is active while its connected provider
//! is inactive ([`safety`]), and that the explored state graph is acyclic
//! (every execution terminates; a cycle would be reported).
//!
//! [`sites`] explores the site VMs instead, with the facts in transit
//! between them: the code that runs, which waits where the semantics does
//! not.

pub mod safety;
pub mod sites;
mod stubborn;
pub mod symmetry;

use std::collections::{HashMap, VecDeque};

use crate::ids::{InstanceId, PortId, SiteId};
use crate::model::{Connection, Model};
use crate::program::{Instruction, Plan};
use crate::semantics::{InstanceState, Step, System};

pub use sites::{explore_sites, explore_sites_with, SiteAction, SitesExploration, SitesReduction};
pub use symmetry::Symmetry;

/// One action of the interleaving.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// A site executed its head instruction (or only reached its `dcon`).
    Instruction(SiteId, Instruction),
    /// An instance took a step.
    Step(InstanceId, Step),
}

/// Which partial-order reduction to apply.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Reduction {
    /// Every enabled action is explored in every state.
    None,
    /// A *safe* action (a transition end, or an unguarded fire/entry that
    /// changes nothing other instances or programs read) is explored alone.
    Safe,
    /// [`Reduction::Safe`], then stubborn sets over instances and sites
    /// (see [`stubborn`]): only the enabled actions of a set of agents
    /// closed under dependency and necessary enabling.
    #[default]
    Stubborn,
}

/// How to explore.
#[derive(Clone, Debug)]
pub struct Options {
    /// Stop (with `truncated` set) after this many distinct states.
    pub limit: usize,
    /// The partial-order reduction.
    pub reduction: Reduction,
    /// Interchangeable sites: states equal up to a permutation of them are
    /// visited once.
    pub symmetry: Option<Symmetry>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            limit: 5_000_000,
            reduction: Reduction::Stubborn,
            symmetry: None,
        }
    }
}

/// A reachable state where a use port is active while its connected
/// provider is inactive.
#[derive(Clone, Debug)]
pub struct Violation {
    /// The shortest trace (among those explored) to it.
    pub trace: Vec<Action>,
    /// The state.
    pub state: System,
    /// The offending connection.
    pub connection: Connection,
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
    /// Reachable final states (plan done), distinct (up to symmetry).
    pub finals: Vec<System>,
    /// The first reachable state violating port safety, if any.
    pub violation: Option<Violation>,
    /// Whether the explored state graph has a cycle (an execution that
    /// never terminates). Always false for plans over well-formed types.
    pub cycle: bool,
    /// Set when the exploration stopped at `limit` states: nothing is proved.
    pub truncated: bool,
    /// Per state, its parent and the action from it (for traces).
    parents: Vec<Option<(u32, Action)>>,
    /// The state id of each of `finals`.
    final_ids: Vec<u32>,
}

impl Exploration {
    /// The shortest explored trace to `finals[k]`.
    pub fn trace_to_final(&self, k: usize) -> Vec<Action> {
        trace(&self.parents, self.final_ids[k])
    }
}

/// The hashable identity of a state (the endpoint index is derived from
/// `connections`, so it is left out).
pub type Key = (
    Vec<Option<InstanceState>>,
    Vec<Connection>,
    Vec<usize>,
    Vec<Vec<u32>>,
    Vec<(SiteId, Connection)>,
);

/// The identity of `s` (no symmetry).
pub fn key(s: &System) -> Key {
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

/// What other instances and programs can read of instance `i`: per port,
/// activity (bit 0) and refusing (bit 1); then finished counts and
/// idleness. `[u32::MAX]` when it does not exist.
pub(crate) fn observable(model: &Model, plan: &Plan, s: &System, i: InstanceId) -> Vec<u32> {
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

/// One enabled action, the state it leads to and whether it is safe.
pub(crate) struct Enabled {
    pub action: Action,
    pub next: System,
}

/// Every action enabled in `state` with its successor; stops at the first
/// safe one when `safe_first` (returning it alone).
fn enabled(model: &Model, plan: &Plan, state: &System, safe_first: bool) -> Vec<Enabled> {
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
            if safe_first {
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
                    return vec![Enabled {
                        action: Action::Step(i, step),
                        next,
                    }];
                }
            }
            out.push(Enabled {
                action: Action::Step(i, step),
                next,
            });
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
            out.push(Enabled {
                action: Action::Instruction(site, head),
                next,
            });
        } else if reached {
            out.push(Enabled {
                action: Action::Instruction(site, head),
                next,
            });
        }
    }
    out
}

/// Every action enabled in `state`, each with the state it leads to, in a
/// fixed order (instances' steps by instance, then sites' instructions):
/// what replaying a trace matches against.
pub fn enabled_actions(model: &Model, plan: &Plan, state: &System) -> Vec<(Action, System)> {
    enabled(model, plan, state, false)
        .into_iter()
        .map(|e| (e.action, e.next))
        .collect()
}

/// The actions explored from `state`: all enabled ones, or a persistent
/// subset of them under the reduction.
fn successors(
    model: &Model,
    plan: &Plan,
    index: &stubborn::PlanIndex,
    state: &System,
    reduction: Reduction,
) -> Vec<Enabled> {
    let all = enabled(model, plan, state, reduction != Reduction::None);
    match reduction {
        Reduction::Stubborn if all.len() > 1 => {
            stubborn::persistent(model, plan, index, state, all)
        }
        _ => all,
    }
}

/// Explores every interleaving of `plan` from `start`, up to `limit`
/// distinct states, with the [`Reduction::Safe`] reduction when `reduce`.
pub fn explore(
    model: &Model,
    plan: &Plan,
    start: System,
    limit: usize,
    reduce: bool,
) -> Exploration {
    let options = Options {
        limit,
        reduction: if reduce {
            Reduction::Safe
        } else {
            Reduction::None
        },
        symmetry: None,
    };
    explore_with(model, plan, start, &options)
}

/// Explores every interleaving of `plan` from `start` as `options` say.
pub fn explore_with(model: &Model, plan: &Plan, start: System, options: &Options) -> Exploration {
    let canonical = |s: &System| match &options.symmetry {
        Some(sym) => sym.canonical(s),
        None => key(s),
    };
    let plan_index = stubborn::PlanIndex::new(plan);
    let mut index: HashMap<Key, u32> = HashMap::new();
    let mut result = Exploration::default();
    let mut finals: HashMap<Key, ()> = HashMap::new();
    // Edges of the explored graph, for the acyclicity check.
    let mut edges: Vec<(u32, u32)> = Vec::new();
    let mut queue = VecDeque::new();
    index.insert(canonical(&start), 0);
    result.parents.push(None);
    queue.push_back((0u32, start));
    while let Some((id, state)) = queue.pop_front() {
        result.states += 1;
        if result.violation.is_none() {
            if let Some(connection) = safety::violated(model, plan, &state) {
                result.violation = Some(Violation {
                    trace: trace(&result.parents, id),
                    state: state.clone(),
                    connection,
                });
            }
        }
        let next = successors(model, plan, &plan_index, &state, options.reduction);
        if next.is_empty() {
            if state.done(plan) {
                if finals.insert(canonical(&state), ()).is_none() {
                    result.final_ids.push(id);
                    result.finals.push(state);
                }
            } else {
                if result.counterexample.is_none() {
                    result.counterexample = Some(trace(&result.parents, id));
                }
                result.deadlocks.push(state);
            }
            continue;
        }
        for Enabled { action, next: n } in next {
            result.transitions += 1;
            let k = canonical(&n);
            if let Some(&old) = index.get(&k) {
                edges.push((id, old));
                continue;
            }
            if index.len() >= options.limit {
                result.truncated = true;
                return result;
            }
            let nid = result.parents.len() as u32;
            index.insert(k, nid);
            edges.push((id, nid));
            result.parents.push(Some((id, action)));
            queue.push_back((nid, n));
        }
    }
    result.cycle = has_cycle(result.parents.len(), &edges);
    result
}

/// Whether the directed graph on `n` nodes has a cycle (Kahn's algorithm).
fn has_cycle(n: usize, edges: &[(u32, u32)]) -> bool {
    let mut indegree = vec![0u32; n];
    let mut start = vec![0usize; n + 1];
    for &(a, b) in edges {
        indegree[b as usize] += 1;
        start[a as usize + 1] += 1;
    }
    for k in 0..n {
        start[k + 1] += start[k];
    }
    let mut fill = start.clone();
    let mut targets = vec![0u32; edges.len()];
    for &(a, b) in edges {
        targets[fill[a as usize]] = b;
        fill[a as usize] += 1;
    }
    let mut ready: Vec<usize> = (0..n).filter(|&k| indegree[k] == 0).collect();
    let mut removed = 0;
    while let Some(k) = ready.pop() {
        removed += 1;
        for &t in &targets[start[k]..start[k + 1]] {
            indegree[t as usize] -= 1;
            if indegree[t as usize] == 0 {
                ready.push(t as usize);
            }
        }
    }
    removed < n
}

/// The actions from the start state to state `id`, read back through each
/// state's parent.
pub(crate) fn trace<A: Copy>(parents: &[Option<(u32, A)>], mut id: u32) -> Vec<A> {
    let mut out = Vec::new();
    while let Some((parent, action)) = parents[id as usize] {
        out.push(action);
        id = parent;
    }
    out.reverse();
    out
}
