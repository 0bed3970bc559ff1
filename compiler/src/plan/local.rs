//! Local search: the fastest behavior sequence for one instance, over its
//! exact automaton, that executes every required behavior and ends in a
//! stable marking satisfying the instance's state and port goals.
//!
//! Best-first search (Dijkstra: the zero bound is admissible) over
//! (automaton state, required behaviors done), ordered by total duration
//! then by number of behaviors. The state space is finite, so an exhausted
//! search proves the goal infeasible for this instance; there is no bound on
//! the plan length.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

use ballet_runtime::bitset::BitSet;
use ballet_runtime::{BehaviorId, ComponentType, Cost, PlaceId, PortId};

use crate::plan::automaton::Automaton;

/// What one instance must do and reach.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LocalGoal {
    /// Behaviors to execute, each at least once (at most 64).
    pub behaviors: Vec<BehaviorId>,
    /// The place to end at (the marking must be exactly it).
    pub place: Option<PlaceId>,
    /// Ports to end active (`true`) or inactive.
    pub ports: Vec<(PortId, bool)>,
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
}

/// The fastest sequence from state 0 of `automaton` meeting `goal`, or
/// `None` when no sequence does (proved by exhausting the state space).
pub fn search(ty: &ComponentType, automaton: &Automaton, goal: &LocalGoal) -> Option<LocalPlan> {
    let required = &goal.behaviors[..goal.behaviors.len().min(64)];
    let full: u64 = if required.len() == 64 {
        u64::MAX
    } else {
        (1u64 << required.len()) - 1
    };
    let accepts = |marking: &BitSet| satisfies(ty, marking, goal);
    // Node = (state, mask); best (duration, length) and back-pointer.
    let mut best: HashMap<(usize, u64), (Cost, usize)> = HashMap::new();
    let mut back: HashMap<(usize, u64), ((usize, u64), usize)> = HashMap::new();
    let mut heap = BinaryHeap::new();
    best.insert((0, 0), (Cost::ZERO, 0));
    heap.push(Reverse((Cost::ZERO, 0usize, 0usize, 0u64)));
    while let Some(Reverse((cost, len, state, mask))) = heap.pop() {
        if best.get(&(state, mask)) != Some(&(cost, len)) {
            continue;
        }
        if mask == full && accepts(&automaton.states[state]) {
            let mut behaviors = Vec::with_capacity(len);
            let mut node = (state, mask);
            while let Some(&(prev, edge)) = back.get(&node) {
                behaviors.push(automaton.edges[edge].behavior);
                node = prev;
            }
            behaviors.reverse();
            return Some(LocalPlan {
                behaviors,
                duration: cost,
                end: state,
            });
        }
        for &e in &automaton.out[state] {
            let edge = &automaton.edges[e];
            let bit = required
                .iter()
                .position(|&b| b == edge.behavior)
                .map_or(0, |i| 1u64 << i);
            let next = (edge.to, mask | bit);
            let candidate = (cost + edge.duration, len + 1);
            if best.get(&next).is_none_or(|&old| candidate < old) {
                best.insert(next, candidate);
                back.insert(next, ((state, mask), e));
                heap.push(Reverse((candidate.0, candidate.1, next.0, next.1)));
            }
        }
    }
    None
}

/// Whether a stable marking meets the place and port goals.
fn satisfies(ty: &ComponentType, marking: &BitSet, goal: &LocalGoal) -> bool {
    let place_ok = goal
        .place
        .is_none_or(|p| marking.len() == 1 && marking.contains(p.index()));
    let ports_ok = goal.ports.iter().all(|&(port, active)| {
        let on = ty
            .port(port)
            .group
            .iter()
            .any(|g| marking.contains(g.index()));
        on == active
    });
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
            ports: vec![],
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
}
