//! Discrete-event simulation in virtual time (issue: simulator): every
//! transition takes its cost as duration, messages take no time. Steps at
//! one instant are taken in a fixed order (sites by index, then instances by
//! index), so a simulation is deterministic. It drives [`System`], the one
//! implementation of the semantics.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::cost::Cost;
use crate::ids::{BehaviorId, InstanceId, PlaceId, SiteId, TransitionId};
use crate::model::Model;
use crate::program::{Instruction, Plan};
use crate::semantics::{Blocked, Step, System};

/// Something that happened, at a virtual time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Event {
    /// When.
    pub time: Cost,
    /// What.
    pub kind: EventKind,
}

/// The kinds of [`Event`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// A site executed an instruction.
    Instruction(SiteId, Instruction),
    /// A transition started.
    Start(InstanceId, TransitionId),
    /// A transition ended.
    End(InstanceId, TransitionId),
    /// A place was entered.
    Enter(InstanceId, PlaceId),
    /// A behavior execution finished.
    Finish(InstanceId, BehaviorId),
}

/// A state where nothing can happen but the reconfiguration is not done.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deadlock {
    /// When it was reached.
    pub time: Cost,
    /// Everything that waits, and why.
    pub blocked: Vec<Blocked>,
}

/// The result of a simulation.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// Time of the last event (of the deadlock, if any).
    pub makespan: Cost,
    /// Every event, in order.
    pub events: Vec<Event>,
    /// The final state.
    pub system: System,
    /// Set if the run deadlocked.
    pub deadlock: Option<Deadlock>,
}

/// Simulates `plan` from `system` until it is done or deadlocks.
pub fn simulate(model: &Model, plan: &Plan, system: System) -> Outcome {
    simulate_observed(model, plan, system, &mut |_, _| {})
}

/// Like [`simulate`], calling `observe` with each event and the state right
/// after it (the planner reads port activity this way, instantaneous
/// changes included).
pub fn simulate_observed(
    model: &Model,
    plan: &Plan,
    mut system: System,
    observe: &mut dyn FnMut(&Event, &System),
) -> Outcome {
    let mut now = Cost::ZERO;
    let mut events = Vec::new();
    let mut ends: BinaryHeap<Reverse<(Cost, InstanceId, TransitionId)>> = BinaryHeap::new();
    let mut steps = Vec::new();
    let mut record = |events: &mut Vec<Event>, event: Event, system: &System| {
        observe(&event, system);
        events.push(event);
    };
    loop {
        // Everything instantaneous at `now`, to a fixpoint.
        loop {
            let mut changed = false;
            for s in 0..plan.programs.len() {
                let site = SiteId::from_index(s);
                loop {
                    changed |= system.reach(plan, site);
                    let Ok(ins) = system.instruction_enabled(model, plan, site) else {
                        break;
                    };
                    system.execute(model, plan, site);
                    record(
                        &mut events,
                        Event {
                            time: now,
                            kind: EventKind::Instruction(site, ins),
                        },
                        &system,
                    );
                    changed = true;
                }
            }
            for i in 0..system.states.len() {
                let i = InstanceId::from_index(i);
                steps.clear();
                system.enabled_steps(model, plan, i, &mut steps);
                for &step in &steps {
                    if matches!(step, Step::End(_))
                        || system.step_enabled(model, plan, i, step).is_err()
                    {
                        continue;
                    }
                    let head = system.states[i.index()].as_ref().and_then(|s| s.head());
                    let started = system.apply_step(model, plan, i, step);
                    changed = true;
                    let ty = model.ty(plan.universe.instances[i.index()].ty);
                    match step {
                        Step::Fire(_) => {
                            for t in started {
                                record(
                                    &mut events,
                                    Event {
                                        time: now,
                                        kind: EventKind::Start(i, t),
                                    },
                                    &system,
                                );
                                ends.push(Reverse((now + ty.transition(t).cost, i, t)));
                            }
                        }
                        Step::Enter(q) => record(
                            &mut events,
                            Event {
                                time: now,
                                kind: EventKind::Enter(i, q),
                            },
                            &system,
                        ),
                        Step::Finish => {
                            if let Some(b) = head {
                                record(
                                    &mut events,
                                    Event {
                                        time: now,
                                        kind: EventKind::Finish(i, b),
                                    },
                                    &system,
                                );
                            }
                        }
                        Step::End(_) => {}
                    }
                }
            }
            if !changed {
                break;
            }
        }
        if system.done(plan) {
            break;
        }
        let Some(Reverse((t, _, _))) = ends.peek().copied() else {
            let blocked = system.blocked(model, plan);
            return Outcome {
                makespan: now,
                events,
                system,
                deadlock: Some(Deadlock { time: now, blocked }),
            };
        };
        now = t;
        while let Some(Reverse((t, i, tr))) = ends.peek().copied() {
            if t != now {
                break;
            }
            ends.pop();
            system.apply_step(model, plan, i, Step::End(tr));
            record(
                &mut events,
                Event {
                    time: now,
                    kind: EventKind::End(i, tr),
                },
                &system,
            );
        }
    }
    let makespan = events.last().map_or(Cost::ZERO, |e| e.time);
    Outcome {
        makespan,
        events,
        system,
        deadlock: None,
    }
}
