//! Exact per-instance automata: states are stable markings, edges are
//! behaviors, obtained by executing the behavior with the semantic model
//! (the simulator over a one-instance system, guards on other instances
//! ignored). Each edge carries its duration (parallel transitions overlap)
//! and the activity of every port over time, intermediate places and
//! instantaneous changes included, so synchronization can be inferred from
//! it.

use std::collections::HashMap;

use ballet_runtime::bitset::BitSet;
use ballet_runtime::program::{Instruction, Plan, Universe};
use ballet_runtime::semantics::{Guards, System};
use ballet_runtime::simulate::simulate_observed;
use ballet_runtime::{
    BehaviorId, ComponentType, Cost, Instance, InstanceId, Model, PlaceId, PortId, Site, SiteId,
    TypeId,
};

/// One execution of a behavior from a stable marking.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edge {
    /// Source state (index into [`Automaton::states`]).
    pub from: usize,
    /// The behavior executed.
    pub behavior: BehaviorId,
    /// Target state.
    pub to: usize,
    /// Time from the push (the instance idle at `from`) to the finish.
    pub duration: Cost,
    /// For each port (by [`PortId`]), the closed intervals during which it is
    /// active, in time order. `(t, t)` is an instantaneous activation.
    pub activity: Vec<Vec<(Cost, Cost)>>,
}

/// The stable markings reachable from a start marking, and the behaviors
/// between them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Automaton {
    /// Stable markings; state 0 is the start.
    pub states: Vec<BitSet>,
    /// Every edge.
    pub edges: Vec<Edge>,
    /// Edge indices leaving each state.
    pub out: Vec<Vec<usize>>,
}

impl Automaton {
    /// The state whose marking is exactly `place`, if reached.
    pub fn state_at(&self, place: PlaceId) -> Option<usize> {
        self.states
            .iter()
            .position(|m| m.len() == 1 && m.contains(place.index()))
    }
}

/// Automata already explored, by type and start place. Every site planner
/// could explore its own; in one process they share them (the automata are
/// a pure function of the type, which every site knows).
#[derive(Debug, Default)]
pub struct AutomatonCache {
    map: HashMap<(TypeId, PlaceId), std::rc::Rc<Automaton>>,
}

impl AutomatonCache {
    /// The automaton of `ty` from the stable marking `{start}`.
    pub fn get(&mut self, model: &Model, ty: TypeId, start: PlaceId) -> std::rc::Rc<Automaton> {
        self.map
            .entry((ty, start))
            .or_insert_with(|| {
                let mut marking = BitSet::default();
                marking.insert(start.index());
                std::rc::Rc::new(explore(model, ty, marking))
            })
            .clone()
    }
}

/// Explores every stable marking reachable from `start` for type `ty`.
pub fn explore(model: &Model, ty: TypeId, start: BitSet) -> Automaton {
    let t = model.ty(ty);
    let mut automaton = Automaton::default();
    let mut index: HashMap<BitSet, usize> = HashMap::new();
    index.insert(start.clone(), 0);
    automaton.states.push(start);
    automaton.out.push(Vec::new());
    let mut next = 0;
    while next < automaton.states.len() {
        let from = next;
        next += 1;
        for b in 0..t.behaviors.len() {
            let b = BehaviorId::from_index(b);
            let marking = automaton.states[from].clone();
            if !applicable(t, &marking, b) {
                continue;
            }
            let Some((after, duration, activity)) = execute(model, ty, &marking, b) else {
                continue;
            };
            let to = *index.entry(after.clone()).or_insert_with(|| {
                automaton.states.push(after);
                automaton.out.push(Vec::new());
                automaton.states.len() - 1
            });
            automaton.out[from].push(automaton.edges.len());
            automaton.edges.push(Edge {
                from,
                behavior: b,
                to,
                duration,
                activity,
            });
        }
    }
    automaton
}

/// Whether pushing `b` at `marking` does anything: some marked place has a
/// transition of `b`.
fn applicable(ty: &ComponentType, marking: &BitSet, b: BehaviorId) -> bool {
    ty.behavior(b)
        .transitions
        .iter()
        .any(|&tr| marking.contains(ty.transition(tr).src.index()))
}

type Execution = (BitSet, Cost, Vec<Vec<(Cost, Cost)>>);

/// Runs `b` on one instance of `ty` at `marking`, alone.
fn execute(model: &Model, ty: TypeId, marking: &BitSet, b: BehaviorId) -> Option<Execution> {
    let t = model.ty(ty);
    let plan = Plan {
        universe: Universe {
            sites: vec![Site {
                name: "planner".into(),
            }],
            instances: vec![Instance {
                name: t.name.clone(),
                ty,
                site: SiteId(0),
            }],
        },
        programs: vec![vec![Instruction::PushB(InstanceId(0), b)]],
    };
    let first = PlaceId::from_index(marking.iter().next()?);
    let mut system = System::new(model, &plan, &[Some(first)], []);
    if let Some(state) = &mut system.states[0] {
        state.marked = marking.clone();
    }
    system.guards = Guards::Ignored;
    let ports = t.ports.len();
    let active_now = |s: &System| -> Vec<bool> {
        (0..ports)
            .map(|p| {
                s.states[0]
                    .as_ref()
                    .is_some_and(|st| st.port_active(t, PortId::from_index(p)))
            })
            .collect()
    };
    let mut current = active_now(&system);
    let mut since: Vec<Cost> = vec![Cost::ZERO; ports];
    let mut activity: Vec<Vec<(Cost, Cost)>> = vec![Vec::new(); ports];
    let outcome = simulate_observed(model, &plan, system, &mut |event, s| {
        for (p, now) in active_now(s).into_iter().enumerate() {
            match (current[p], now) {
                (false, true) => since[p] = event.time,
                (true, false) => activity[p].push((since[p], event.time)),
                _ => {}
            }
            current[p] = now;
        }
    });
    if outcome.deadlock.is_some() {
        return None;
    }
    for p in 0..ports {
        if current[p] {
            activity[p].push((since[p], outcome.makespan));
        }
    }
    let after = outcome.system.states[0].as_ref()?.marked.clone();
    Some((after, outcome.makespan, activity))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{analyze, Options};
    use crate::diagnostic::Diagnostics;
    use crate::load::{load, Origin};

    fn stdlib_model(module: &str) -> Model {
        let mut d = Diagnostics::default();
        let text = format!("import {module}");
        let program = load("t.blt".into(), text, Origin::Memory("t".into()), &mut d);
        let analysis = analyze(&program, &Options::default(), &mut d);
        assert!(!d.has_errors());
        analysis.model
    }

    fn from_initial(model: &Model, name: &str) -> (TypeId, Automaton) {
        let ty = model.type_named(name).expect("type");
        let mut start = BitSet::default();
        start.insert(model.ty(ty).initial.index());
        (ty, explore(model, ty, start))
    }

    fn edge<'a>(model: &Model, ty: TypeId, a: &'a Automaton, from: &str, b: &str) -> &'a Edge {
        let t = model.ty(ty);
        let s = a
            .state_at(t.place_named(from).expect("place"))
            .expect("state");
        let b = t.behavior_named(b).expect("behavior");
        a.out[s]
            .iter()
            .map(|&e| &a.edges[e])
            .find(|e| e.behavior == b)
            .expect("edge")
    }

    #[test]
    fn mariadb_deploy_takes_60_with_parallel_configure() {
        let model = stdlib_model("openstack");
        let (ty, a) = from_initial(&model, "MariaDBMaster");
        let e = edge(&model, ty, &a, "initiated", "deploy");
        // max(3, 5) + 26 + 13 + 3 + 13 = 60: the master is deployed at 60.
        assert_eq!(e.duration, Cost::units(60));
        let t = model.ty(ty);
        assert_eq!(
            a.states[e.to].iter().collect::<Vec<_>>(),
            vec![t.running.index()]
        );
        // haproxy_service @ {bootstrapped, restarted}: active from the entry
        // into bootstrapped (31), through the group transition `start`, to the
        // firing of `register` out of restarted (44).
        let haproxy = t.port_named("haproxy_service").expect("port");
        assert_eq!(
            e.activity[haproxy.index()],
            vec![(Cost::units(31), Cost::units(44))]
        );
        // The lifecycle closes: deploy, interrupt, update, deploy ...
        for (from, b) in [
            ("deployed", "interrupt"),
            ("interrupted", "update"),
            ("interrupted", "pause"),
        ] {
            edge(&model, ty, &a, from, b);
        }
    }

    #[test]
    fn nova_deploy_joins_both_branches() {
        let model = stdlib_model("openstack");
        let (ty, a) = from_initial(&model, "Nova");
        // pull (1) then ready (1), start (1), deploy (1); cell_setup arrives
        // earlier and the join waits for the longer branch.
        assert_eq!(
            edge(&model, ty, &a, "initiated", "deploy").duration,
            Cost::units(4)
        );
    }

    #[test]
    fn every_cps_state_is_a_single_place() {
        let model = stdlib_model("cps");
        for name in ["Database", "System", "Listener", "Sensor"] {
            let (_, a) = from_initial(&model, name);
            assert!(a.states.iter().all(|m| m.len() == 1), "{name}");
            assert!(a.edges.len() >= 3, "{name} has {} edges", a.edges.len());
        }
    }
}
