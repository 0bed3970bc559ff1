//! Local search: the fastest behavior sequence for one instance, over its
//! exact automaton, that executes every required behavior, passes through a
//! *meeting* state when its neighbours require one, and ends in a stable
//! marking satisfying the instance's state and port goals.
//!
//! The meeting state is the first stable state of the path where every port
//! of [`LocalGoal::meet`] is inactive (the instance's providers go down; see
//! `plan/sync.rs`). Before it, no behavior may make any use port active: a
//! prefix that needs a provider could wait for one that only comes up after
//! the reconfiguration's synchronization points, and the plan could
//! deadlock. Meeting at the first opportunity is never worse than later,
//! since it only relaxes what follows.
//!
//! Best-first search (Dijkstra: the zero bound is admissible) over
//! (automaton state, required behaviors done, met), ordered by estimated
//! finish time, then total duration, then number of behaviors. The finish
//! time is the instance's own durations plus what its providers' estimates
//! ([`PortTiming`]) make it wait: it is nondecreasing in the start time of
//! each behavior, so the earliest arrival at a node is the best one
//! (time-dependent Dijkstra). Without estimates it is the total duration.
//! The state space is finite, so an exhausted search proves the goal
//! infeasible for this instance; there is no bound on the plan length.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

use ballet_runtime::bitset::BitSet;
use ballet_runtime::{BehaviorId, ComponentType, Cost, PlaceId, PortId, PortKind};

use crate::plan::automaton::{Automaton, Edge};

/// What one instance must do and reach.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LocalGoal {
    /// Behaviors to execute, each at least once (at most 64).
    pub behaviors: Vec<BehaviorId>,
    /// The place to end at (the marking must be exactly it).
    pub place: Option<PlaceId>,
    /// Ports to end active (`true`) or inactive.
    pub ports: Vec<(PortId, bool)>,
    /// Use ports that must be inactive together at some stable state.
    pub meet: Vec<PortId>,
    /// Use ports without a provider (in the target assembly): no behavior
    /// may make them active, since entering their group needs a serving
    /// provider (SEMANTICS.md §3, Enter guard).
    pub unconnected: Vec<PortId>,
    /// Provide ports that must never go from active to inactive (a user
    /// cannot release them).
    pub keep: Vec<PortId>,
    /// Provide ports that must be active at some stable state of the path
    /// before they first go inactive (users use them before that down).
    /// At most 64.
    pub serve: Vec<PortId>,
    /// When use ports can be used, as their providers estimate it: only
    /// changes which sequence is fastest, never whether one exists.
    pub timing: Vec<PortTiming>,
}

/// A provider's estimates for one use port of the instance planned
/// (`Fact::Provider`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PortTiming {
    /// The use port.
    pub port: PortId,
    /// When the provider's last down finishes: the first behavior that
    /// makes the port active after the meeting state starts no earlier
    /// (its `wait`). Zero when the provider does not go down.
    pub ready: Cost,
    /// When the provider is active for good: the port cannot be entered
    /// earlier (the Enter guard), the rest of the behavior waiting as much.
    pub serving: Cost,
}

/// The best sequence found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalPlan {
    /// Behaviors to push, in order.
    pub behaviors: Vec<BehaviorId>,
    /// The sum of their durations (the instance alone, no waiting).
    pub duration: Cost,
    /// The automaton state reached.
    pub end: usize,
    /// The edges taken, in order (indices into [`Automaton::edges`]).
    pub edges: Vec<usize>,
    /// How many behaviors run before the meeting state (0: the start
    /// state is the meeting state, or there is nothing to meet).
    pub meeting: usize,
}

/// The fastest sequence from state 0 of `automaton` meeting `goal`, or
/// `None` when no sequence does (proved by exhausting the state space).
pub fn search(ty: &ComponentType, automaton: &Automaton, goal: &LocalGoal) -> Option<LocalPlan> {
    let mut required = goal.behaviors.clone();
    required.sort_unstable();
    required.dedup();
    required.truncate(64);
    let full: u64 = if required.len() == 64 {
        u64::MAX
    } else {
        (1u64 << required.len()) - 1
    };
    let accepts = |marking: &BitSet| satisfies(ty, marking, goal);
    let meets = |state: usize| {
        let marking = &automaton.states[state];
        goal.meet.iter().all(|&p| !port_on(ty, marking, p))
    };
    let serve = &goal.serve[..goal.serve.len().min(64)];
    let all_served: u64 = if serve.len() == 64 {
        u64::MAX
    } else {
        (1u64 << serve.len()) - 1
    };
    let serving = |state: usize| {
        serve
            .iter()
            .enumerate()
            .filter(|&(_, &p)| port_on(ty, &automaton.states[state], p))
            .fold(0u64, |bits, (k, _)| bits | 1 << k)
    };
    // Node = (state, mask, met, served); best (finish, duration, length)
    // and back-pointer.
    type Node = (usize, u64, bool, u64);
    type Label = (Cost, Cost, usize);
    let mut best: HashMap<Node, Label> = HashMap::new();
    let mut back: HashMap<Node, (Node, usize)> = HashMap::new();
    let mut heap = BinaryHeap::new();
    let first: Node = (0, 0, meets(0), serving(0));
    let start: Label = (Cost::ZERO, Cost::ZERO, 0);
    best.insert(first, start);
    heap.push(Reverse((start, first)));
    while let Some(Reverse((label, node))) = heap.pop() {
        if best.get(&node) != Some(&label) {
            continue;
        }
        let (now, cost, len) = label;
        let (state, mask, met, served) = node;
        if met && mask == full && served == all_served && accepts(&automaton.states[state]) {
            let mut edges = Vec::with_capacity(len);
            let mut meeting = 0;
            let mut at = node;
            while let Some(&(prev, edge)) = back.get(&at) {
                if at.2 && !prev.2 {
                    meeting = len - edges.len();
                }
                edges.push(edge);
                at = prev;
            }
            edges.reverse();
            return Some(LocalPlan {
                behaviors: edges.iter().map(|&e| automaton.edges[e].behavior).collect(),
                duration: cost,
                end: state,
                edges,
                meeting,
            });
        }
        for &e in &automaton.out[state] {
            let edge = &automaton.edges[e];
            if !met && enters_use_port(ty, automaton, edge) {
                continue;
            }
            if goal
                .unconnected
                .iter()
                .any(|&p| enters(ty, automaton, edge, p))
                || goal
                    .keep
                    .iter()
                    .any(|&p| deactivations(ty, automaton, edge, p) > 0)
                || serve.iter().enumerate().any(|(k, &p)| {
                    served & (1 << k) == 0 && deactivations(ty, automaton, edge, p) > 0
                })
            {
                continue;
            }
            let bit = required
                .iter()
                .position(|&b| b == edge.behavior)
                .map_or(0, |i| 1u64 << i);
            let next: Node = (
                edge.to,
                mask | bit,
                met || meets(edge.to),
                served | serving(edge.to),
            );
            let candidate = (
                finish(ty, automaton, edge, now, &goal.timing),
                cost + edge.duration,
                len + 1,
            );
            if best.get(&next).is_none_or(|&old| candidate < old) {
                best.insert(next, candidate);
                back.insert(next, (node, e));
                heap.push(Reverse((candidate, next)));
            }
        }
    }
    None
}

/// When `edge`, pushed on the idle instance at `start`, finishes by the
/// providers' estimates: a behavior that activates a use port starts no
/// earlier than the provider's awaited push finishes (`ready`), and waits
/// at the port's entry until the provider serves (`serving`). Without
/// estimates, `start` plus the edge's duration.
pub fn finish(
    ty: &ComponentType,
    automaton: &Automaton,
    edge: &Edge,
    start: Cost,
    timing: &[PortTiming],
) -> Cost {
    if timing.is_empty() {
        return start + edge.duration;
    }
    let entries = || {
        timing
            .iter()
            .filter_map(|t| entry(ty, automaton, edge, t.port).map(|at| (t, at)))
    };
    let begin = entries().fold(start, |b, (t, _)| b.max(t.ready));
    // The entry is held until the provider serves; the rest of the
    // behavior follows it.
    let held = entries()
        .map(|(t, at)| Cost(t.serving.0.saturating_sub(begin.0 + at.0)))
        .max()
        .unwrap_or(Cost::ZERO);
    begin + held + edge.duration
}

/// When, from its start, `edge` makes `port` active when it was inactive
/// just before (the first such moment), if it does.
fn entry(ty: &ComponentType, automaton: &Automaton, edge: &Edge, port: PortId) -> Option<Cost> {
    let intervals = &edge.activity[port.index()];
    let skip = usize::from(port_on(ty, &automaton.states[edge.from], port));
    intervals.get(skip).map(|&(from, _)| from)
}

/// Whether `port` is active at a stable marking (the semantics' rule).
pub fn port_on(ty: &ComponentType, marking: &BitSet, port: PortId) -> bool {
    ballet_runtime::semantics::marking_serves(ty, marking, port)
}

/// Whether executing `edge` makes `port` active at some moment when it was
/// inactive just before.
pub fn enters(ty: &ComponentType, automaton: &Automaton, edge: &Edge, port: PortId) -> bool {
    entry(ty, automaton, edge, port).is_some()
}

/// How many times `port` goes from active to inactive during `edge`.
pub fn deactivations(
    ty: &ComponentType,
    automaton: &Automaton,
    edge: &Edge,
    port: PortId,
) -> usize {
    let stays = usize::from(port_on(ty, &automaton.states[edge.to], port));
    edge.activity[port.index()].len().saturating_sub(stays)
}

fn enters_use_port(ty: &ComponentType, automaton: &Automaton, edge: &Edge) -> bool {
    ty.ports.iter().enumerate().any(|(p, port)| {
        port.kind == PortKind::Use && enters(ty, automaton, edge, PortId::from_index(p))
    })
}

/// Whether a stable marking meets the place and port goals.
fn satisfies(ty: &ComponentType, marking: &BitSet, goal: &LocalGoal) -> bool {
    let place_ok = goal
        .place
        .is_none_or(|p| marking.len() == 1 && marking.contains(p.index()));
    let ports_ok = goal
        .ports
        .iter()
        .all(|&(port, active)| port_on(ty, marking, port) == active);
    place_ok && ports_ok
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{analyze, Options};
    use crate::diagnostic::Diagnostics;
    use crate::load::{load, Origin};
    use crate::plan::automaton::explore;
    use ballet_runtime::Model;

    fn model(module: &str) -> Model {
        let mut d = Diagnostics::default();
        let program = load(
            "t.blt".into(),
            format!("import {module}"),
            Origin::Memory("t".into()),
            &mut d,
        );
        let analysis = analyze(&program, &Options::default(), &mut d);
        assert!(!d.has_errors());
        analysis.model
    }

    fn plan(
        model: &Model,
        ty: &str,
        from: &str,
        goal: impl Fn(&ComponentType) -> LocalGoal,
    ) -> Option<(Vec<String>, Cost)> {
        let id = model.type_named(ty).expect("type");
        let t = model.ty(id);
        let mut start = BitSet::default();
        start.insert(t.place_named(from).expect("place").index());
        let a = explore(model, id, start);
        search(t, &a, &goal(t)).map(|p| {
            (
                p.behaviors
                    .iter()
                    .map(|&b| t.behavior(b).name.clone())
                    .collect(),
                p.duration,
            )
        })
    }

    #[test]
    fn mariadb_update_is_interrupt_update_deploy() {
        let m = model("openstack");
        let found = plan(&m, "MariaDBMaster", "deployed", |t| LocalGoal {
            behaviors: vec![t.behavior_named("update").unwrap()],
            place: Some(t.running),
            ..LocalGoal::default()
        });
        // 1 + 2 + (26 + 13 + 3 + 13).
        assert_eq!(
            found,
            Some((
                vec!["interrupt".into(), "update".into(), "deploy".into()],
                Cost::units(58)
            ))
        );
    }

    #[test]
    fn deploy_from_initial_is_one_behavior_and_nothing_to_do_is_empty() {
        let m = model("cps");
        let found = plan(&m, "Sensor", "off", |t| LocalGoal {
            place: Some(t.running),
            ..LocalGoal::default()
        });
        assert_eq!(found, Some((vec!["deploy".into()], Cost::units(4))));
        let idle = plan(&m, "Sensor", "running", |t| LocalGoal {
            place: Some(t.running),
            ..LocalGoal::default()
        });
        assert_eq!(idle, Some((vec![], Cost::ZERO)));
    }

    #[test]
    fn contradictory_place_and_port_is_infeasible() {
        let m = model("cps");
        // rcv_service is active at running: ending at running with it
        // inactive is impossible, and the search proves it.
        let found = plan(&m, "Sensor", "off", |t| LocalGoal {
            place: Some(t.running),
            ports: vec![(t.port_named("rcv_service").unwrap(), false)],
            ..LocalGoal::default()
        });
        assert_eq!(found, None);
    }

    fn meeting_plan(m: &Model, ty: &str, meet: &[&str]) -> (Vec<String>, usize) {
        let id = m.type_named(ty).expect("type");
        let t = m.ty(id);
        let mut start = BitSet::default();
        start.insert(t.running.index());
        let a = explore(m, id, start);
        let goal = LocalGoal {
            place: Some(t.running),
            meet: meet.iter().map(|p| t.port_named(p).unwrap()).collect(),
            ..LocalGoal::default()
        };
        let p = search(t, &a, &goal).expect("feasible");
        let names = p
            .behaviors
            .iter()
            .map(|&b| t.behavior(b).name.clone())
            .collect();
        (names, p.meeting)
    }

    #[test]
    fn a_user_meets_its_providers_going_down_at_one_stable_state() {
        let m = model("openstack");
        // `interrupt` keeps keystone_service active (interrupted is in its
        // group) and `update` re-enters mariadb_service at pulled: Nova must
        // go all the way down to initiated, where both are inactive.
        assert_eq!(
            meeting_plan(&m, "Nova", &["mariadb_service", "keystone_service"]),
            (
                vec!["interrupt".into(), "uninstall".into(), "deploy".into()],
                2
            )
        );
        // With only mariadb_service to release, `interrupt` meets at once.
        let (path, meeting) = meeting_plan(&m, "Nova", &["mariadb_service"]);
        assert_eq!(meeting, 1);
        assert_eq!(path[0], "interrupt");
        let m = model("cps");
        // System: `interrupt` stays in db_service's group; `stop` leaves it.
        assert_eq!(
            meeting_plan(&m, "System", &["db_service"]),
            (vec!["stop".into(), "deploy".into()], 1)
        );
        // Nothing to meet: nothing to do.
        assert_eq!(meeting_plan(&m, "System", &[]), (vec![], 0));
    }
}
