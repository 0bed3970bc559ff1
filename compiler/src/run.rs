//! Running a planned goal for real, every site in this process (`balletc
//! run`): the site images of a plan, a run of their VMs, and what a run ends
//! in (every instance's final state, the recorded `.ballet/state.json`).

use std::collections::BTreeMap;

use ballet_runtime::bytecode::{ImageBuilder, SiteImage};
use ballet_runtime::program::Plan;
use ballet_runtime::recorded::{RecordedInstance, RecordedState, VERSION};
use ballet_runtime::semantics::System;
use ballet_runtime::simulate::{EventKind, Outcome};
use ballet_runtime::vm::action::execution_id;
use ballet_runtime::vm::SiteVm;
use ballet_runtime::{BehaviorId, Connection, InstanceId, Model, SiteId};

use crate::plan::problem::Problem;
use crate::plan::Planned;

/// The image of every site of a plan, in site order.
pub fn site_images(model: &Model, planned: &Planned) -> Vec<SiteImage> {
    plan_images(model, &planned.problem, &planned.plan)
}

/// The image of every site of any `plan` for `problem` (a hand-written one
/// too: its universe may add instances, which start absent), in site order.
pub fn plan_images(model: &Model, problem: &Problem, plan: &Plan) -> Vec<SiteImage> {
    let mut start_places = problem.start_places.clone();
    start_places.resize(plan.universe.instances.len(), None);
    let builder = ImageBuilder::new(model, plan, &start_places, &problem.start_connections);
    (0..plan.universe.sites.len())
        .map(|s| builder.image(SiteId::from_index(s), &[]))
        .collect()
}

/// Every instance's final state by name: `None` if it does not exist,
/// otherwise its marked places, running transitions and queued behaviors by
/// name; and every connection as `provider.port -> user.port`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FinalState {
    /// Instances by name.
    pub instances: BTreeMap<String, Option<InstanceSummary>>,
    /// Connections, sorted.
    pub connections: Vec<String>,
}

/// One instance of a [`FinalState`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InstanceSummary {
    /// Marked places.
    pub marked: Vec<String>,
    /// Running transitions.
    pub running: Vec<String>,
    /// Queued behaviors.
    pub queue: Vec<String>,
    /// Finished executions of each behavior, by name.
    pub finished: BTreeMap<String, u32>,
}

fn summarize(
    model: &Model,
    plan: &Plan,
    system: &System,
    instances: impl Iterator<Item = InstanceId>,
    out: &mut FinalState,
) {
    let u = &plan.universe;
    for i in instances {
        let inst = &u.instances[i.index()];
        let ty = model.ty(inst.ty);
        let summary = system.states[i.index()].as_ref().map(|s| InstanceSummary {
            marked: s.marked.iter().map(|p| ty.places[p].clone()).collect(),
            running: s
                .running
                .iter()
                .map(|t| ty.transitions[t].name.clone())
                .collect(),
            queue: s
                .queue
                .iter()
                .map(|b| ty.behavior(*b).name.clone())
                .collect(),
            finished: ty
                .behaviors
                .iter()
                .zip(&s.finished)
                .map(|(b, n)| (b.name.clone(), *n))
                .collect(),
        });
        out.instances.insert(inst.name.clone(), summary);
    }
    let port = |e: ballet_runtime::Endpoint| {
        let inst = &u.instances[e.instance.index()];
        format!("{}.{}", inst.name, model.ty(inst.ty).port(e.port).name)
    };
    let name = |c: &Connection| format!("{} -> {}", port(c.provider), port(c.user));
    out.connections.extend(system.connections.iter().map(name));
    out.connections.sort();
    out.connections.dedup();
}

impl FinalState {
    /// The final state of a simulated (or any global) system.
    pub fn of_system(model: &Model, plan: &Plan, system: &System) -> FinalState {
        let mut out = FinalState::default();
        let all = (0..plan.universe.instances.len()).map(InstanceId::from_index);
        summarize(model, plan, system, all, &mut out);
        out
    }

    /// The final state of a run: each site's local instances and the
    /// connections each site knows (both endpoint sites record them).
    pub fn of_vms(vms: &[SiteVm]) -> FinalState {
        let mut out = FinalState::default();
        for vm in vms {
            let view = vm.view();
            let local = (0..view.plan.universe.instances.len())
                .map(InstanceId::from_index)
                .filter(|&i| vm.is_local(i));
            summarize(&view.model, &view.plan, vm.system(), local, &mut out);
        }
        out
    }
}

/// The state a successful run records (`.ballet/state.json`): every
/// existing local instance of every site at its stable place. Instances not
/// at a stable place (a run that did not finish) are left out.
pub fn recorded_state(vms: &[SiteVm], goal: &str) -> RecordedState {
    let mut instances = BTreeMap::new();
    for vm in vms {
        let view = vm.view();
        for (i, state) in vm.system().states.iter().enumerate() {
            let i = InstanceId::from_index(i);
            let (true, Some(state)) = (vm.is_local(i), state) else {
                continue;
            };
            let inst = &view.plan.universe.instances[i.index()];
            if let Some(p) = state.stable_place() {
                instances.insert(
                    inst.name.clone(),
                    RecordedInstance {
                        site: vm.image().site_name().to_string(),
                        place: view.model.ty(inst.ty).place_name(p).to_string(),
                    },
                );
            }
        }
    }
    RecordedState {
        version: VERSION,
        goal: Some(goal.to_string()),
        instances,
    }
}

/// Every transition execution of a simulated run, by the identity an action
/// sees in `BALLET_EXECUTION` ([`execution_id`]), in the order they started:
/// what a distributed run of the same plan must execute, each exactly once
/// (re-runs after a restart repeat an identity, never add one).
pub fn executions(model: &Model, plan: &Plan, run: &Outcome) -> Vec<String> {
    let u = &plan.universe;
    let finishes = |i: InstanceId, b: BehaviorId| {
        run.events
            .iter()
            .filter(|e| e.kind == EventKind::Finish(i, b))
            .count() as u32
    };
    // Finished counts at the start: the final ones less the run's finishes.
    let mut finished: Vec<Vec<u32>> = u
        .instances
        .iter()
        .enumerate()
        .map(|(i, inst)| {
            let i = InstanceId::from_index(i);
            let behaviors = model.ty(inst.ty).behaviors.len();
            let last = run.system.states[i.index()].as_ref();
            (0..behaviors)
                .map(|b| {
                    let b = BehaviorId::from_index(b);
                    last.map_or(0, |s| s.finished[b.index()])
                        .saturating_sub(finishes(i, b))
                })
                .collect()
        })
        .collect();
    let mut out = Vec::new();
    for event in &run.events {
        match event.kind {
            EventKind::Start(i, t) => {
                let inst = &u.instances[i.index()];
                let tr = model.ty(inst.ty).transition(t);
                let k = finished[i.index()][tr.behavior.index()] + 1;
                out.push(execution_id(&inst.name, &tr.name, k));
            }
            EventKind::Finish(i, b) => finished[i.index()][b.index()] += 1,
            _ => {}
        }
    }
    out
}
