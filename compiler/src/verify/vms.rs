//! `balletc verify --vms`: the plan as the agents run it. Every site's
//! [`SiteVm`] (the code of `runtime/src/vm/`, which knows remote instances
//! only through facts) explored under every order of transition ends and of
//! deliveries of facts between sites, in order per link as the transport
//! delivers them (`ballet_runtime::explore::sites`). Proves that the VMs
//! never deadlock and that every final state reaches the goal, or gives a
//! shortest trace. It would see a wait that only the VMs make, which the
//! exploration of the semantics cannot (ARCHITECTURE.md, "Message
//! deliveries"). Sleep sets spare it most orders of events of different
//! sites, but it visits every state (no persistent sets: a later delivery
//! into a site depends on the site's events), so it is for plans of a few
//! sites (OpenStack update n = 1: 233,924 states in about 4.5 s).

use std::time::Instant;

use ballet_runtime::explore::{explore_sites, SiteAction};
use ballet_runtime::program::Plan;
use ballet_runtime::semantics::System;
use ballet_runtime::vm::SiteVm;
use ballet_runtime::{Goal, InstanceId, Model, SiteId};

use crate::plan::problem::Problem;
use crate::plan::validate::reached_state;
use crate::run::plan_images;
use crate::verify::Property;

/// What exploring the site VMs concluded.
#[derive(Clone, Debug)]
pub struct VmVerdict {
    /// Distinct states (the VMs and the facts in transit).
    pub states: usize,
    /// Events taken.
    pub transitions: usize,
    /// Wall-clock time.
    pub seconds: f64,
    /// `None` when the VMs never deadlock and every final state reaches
    /// the goal.
    pub failure: Option<VmFailure>,
}

/// A property the VMs break, and how.
#[derive(Clone, Debug)]
pub struct VmFailure {
    /// [`Property::Deadlock`], [`Property::Goal`] or [`Property::Limit`].
    pub property: Property,
    /// The events from the start, one line each (empty for the limit).
    pub trace: Vec<String>,
    /// In a deadlock: each site that is not done, and what it waits for.
    pub blocked: Vec<String>,
}

/// Explores the site VMs running `plan`, up to `limit` states.
pub fn verify_vms(
    model: &Model,
    problem: &Problem,
    goal: &Goal,
    plan: &Plan,
    limit: usize,
) -> VmVerdict {
    let vms: Vec<SiteVm> = plan_images(model, problem, plan)
        .into_iter()
        .map(SiteVm::new)
        .collect();
    // The VMs at the start name the instances of the trace (image ids).
    let namers = vms.clone();
    let started = Instant::now();
    let found = explore_sites(vms, limit);
    let seconds = started.elapsed().as_secs_f64();
    let lines = |trace: &[SiteAction]| {
        trace
            .iter()
            .map(|a| line(model, plan, &namers, a))
            .collect()
    };
    let failure = if let Some(trace) = &found.deadlock {
        Some(VmFailure {
            property: Property::Deadlock { cycle: None },
            trace: lines(trace),
            blocked: found
                .deadlocked
                .iter()
                .flatten()
                .filter(|vm| !vm.done())
                .map(|vm| waiting(plan, vm))
                .collect(),
        })
    } else if found.truncated {
        Some(VmFailure {
            property: Property::Limit(limit),
            trace: Vec::new(),
            blocked: Vec::new(),
        })
    } else {
        found
            .finals
            .iter()
            .zip(&found.final_traces)
            .find_map(|(vms, trace)| {
                reached_state(model, problem, goal, &global(model, plan, vms))
                    .err()
                    .map(|why| VmFailure {
                        property: Property::Goal(why),
                        trace: lines(trace),
                        blocked: Vec::new(),
                    })
            })
    };
    VmVerdict {
        states: found.states,
        transitions: found.transitions,
        seconds,
        failure,
    }
}

/// The global state the VMs' own instances and connections make up.
fn global(model: &Model, plan: &Plan, vms: &[SiteVm]) -> System {
    let mut states = vec![None; plan.universe.instances.len()];
    let mut connections = Vec::new();
    for vm in vms {
        for (i, state) in vm.system().states.iter().enumerate() {
            let i = InstanceId::from_index(i);
            if vm.is_local(i) {
                states[vm.global_instance(i).index()].clone_from(state);
            }
        }
        connections.extend(
            vm.system()
                .connections
                .iter()
                .map(|&c| vm.global_connection(c)),
        );
    }
    let mut system = System::new(model, plan, &vec![None; states.len()], connections);
    system.states = states;
    system
}

/// What a site that is not done waits for, in words.
fn waiting(plan: &Plan, vm: &SiteVm) -> String {
    let site = &plan.universe.sites[vm.site().index()].name;
    match vm.blocked() {
        Some(why) => format!("site {site}: its next instruction waits: {why}"),
        None => format!("site {site}: its instances wait on a guard"),
    }
}

/// One event in words.
fn line(model: &Model, plan: &Plan, namers: &[SiteVm], action: &SiteAction) -> String {
    let site = |s: SiteId| plan.universe.sites[s.index()].name.as_str();
    match *action {
        SiteAction::End(s, i, t) => {
            let inst = &plan.universe.instances[namers[s.index()].global_instance(i).index()];
            let ty = model.ty(inst.ty);
            let tr = ty.transition(t);
            format!(
                "site {}: {}.{} ends ({} -> {})",
                site(s),
                inst.name,
                tr.name,
                ty.place_name(tr.src),
                ty.place_name(tr.dst)
            )
        }
        SiteAction::Deliver(from, to) => {
            format!(
                "site {} receives the next facts from site {}",
                site(to),
                site(from)
            )
        }
    }
}
