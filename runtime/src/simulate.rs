//! Discrete-event simulation in virtual time (issue: simulator): every
//! transition takes its cost as duration, messages take no time. Steps at
//! one instant are taken in a fixed order (sites by index, then instances by
//! index), so a simulation is deterministic. It drives [`System`], the one
//! implementation of the semantics. The event loop is [`Stepper`], one event
//! per call; [`simulate`] runs it to the end and the REPL steps it.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

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
    system: System,
    observe: &mut dyn FnMut(&Event, &System),
) -> Outcome {
    let mut stepper = Stepper::new(system);
    while let Some(event) = stepper.next_event(model, plan) {
        observe(&event, stepper.system());
    }
    stepper.into_outcome(model, plan)
}

/// Where the event loop of a [`Stepper`] stands between two calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cursor {
    /// Executing the instructions of site `.0` (instantaneous fixpoint).
    Site(usize),
    /// About to take the enabled steps of instance `.0`.
    Instance(usize),
    /// Taking the steps of instance `.0` listed in `Stepper::steps`, from
    /// position `.1`.
    Steps(usize, usize),
    /// The instant is settled: done, deadlocked or time advances.
    Settled,
    /// Ending the transitions due at `now`.
    Ends,
}

/// The simulation's event loop, one event at a time: [`simulate`] runs it
/// to the end, the REPL steps it, forwards and (by replaying) backwards.
///
/// Every call to [`Stepper::next_event`] takes the next event of exactly the
/// order [`simulate`] documents: at each instant, sites by index execute
/// their enabled head instructions, then instances by index take their
/// enabled steps, to a fixpoint; then time advances to the next transition
/// end. The model and plan are passed to each call (context first), so a
/// caller may append instructions to a program between two calls; it must
/// then call [`Stepper::resume`].
#[derive(Clone, Debug)]
pub struct Stepper {
    system: System,
    now: Cost,
    events: Vec<Event>,
    ends: BinaryHeap<Reverse<(Cost, InstanceId, TransitionId)>>,
    /// Events produced by the last action and not yet returned (a fire
    /// starts several transitions at once).
    pending: VecDeque<Event>,
    steps: Vec<Step>,
    cursor: Cursor,
    /// Whether anything happened since the current sweep began.
    changed: bool,
}

/// Where a [`Stepper`] stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// More events may come.
    Running,
    /// Every program is exhausted and every queue empty (SEMANTICS.md §4).
    Done,
    /// Nothing can happen, and the reconfiguration is not done.
    Deadlock(Deadlock),
}

impl Stepper {
    /// A stepper at time zero from `system`.
    pub fn new(system: System) -> Stepper {
        Stepper {
            system,
            now: Cost::ZERO,
            events: Vec::new(),
            ends: BinaryHeap::new(),
            pending: VecDeque::new(),
            steps: Vec::new(),
            cursor: Cursor::Site(0),
            changed: false,
        }
    }

    /// A stepper at time zero from a state reached by replaying an untimed
    /// trace (`balletc verify`'s counterexamples, the REPL's `:load-trace`):
    /// `events` are what happened so far, and each running transition ends
    /// its cost from now, in the order the loop always uses.
    pub fn resumed(model: &Model, plan: &Plan, system: System, events: Vec<Event>) -> Stepper {
        let mut ends = BinaryHeap::new();
        for (i, state) in system.states.iter().enumerate() {
            let Some(state) = state else { continue };
            let ty = model.ty(plan.universe.instances[i].ty);
            for t in state.running.iter() {
                let t = TransitionId::from_index(t);
                ends.push(Reverse((
                    ty.transition(t).cost,
                    InstanceId::from_index(i),
                    t,
                )));
            }
        }
        Stepper {
            system,
            now: Cost::ZERO,
            events,
            ends,
            pending: VecDeque::new(),
            steps: Vec::new(),
            cursor: Cursor::Site(0),
            changed: false,
        }
    }

    /// The current state (after the last event returned).
    pub fn system(&self) -> &System {
        &self.system
    }

    /// The current virtual time.
    pub fn now(&self) -> Cost {
        self.now
    }

    /// Every event returned so far, in order.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// The transitions running, with the time each one ends, in the order
    /// they will end.
    pub fn running(&self) -> Vec<(Cost, InstanceId, TransitionId)> {
        let mut out: Vec<_> = self.ends.iter().map(|Reverse(e)| *e).collect();
        out.sort();
        out
    }

    /// To be called after instructions were appended to a program: the
    /// current instant is swept again, even if it had settled.
    pub fn resume(&mut self) {
        self.changed = true;
        if self.cursor == Cursor::Settled {
            self.cursor = Cursor::Site(0);
            self.changed = false;
        }
    }

    /// Whether the run is done, deadlocked or may go on. Only meaningful
    /// once [`Stepper::next_event`] has returned `None`; before, `Running`.
    pub fn status(&self, model: &Model, plan: &Plan) -> Status {
        if self.cursor != Cursor::Settled || !self.pending.is_empty() {
            Status::Running
        } else if self.system.done(plan) {
            Status::Done
        } else if self.ends.is_empty() {
            Status::Deadlock(Deadlock {
                time: self.now,
                blocked: self.system.blocked(model, plan),
            })
        } else {
            Status::Running
        }
    }

    /// The next event, or `None` when the run is done or deadlocked.
    pub fn next_event(&mut self, model: &Model, plan: &Plan) -> Option<Event> {
        loop {
            if let Some(event) = self.pending.pop_front() {
                self.events.push(event);
                return Some(event);
            }
            if !self.advance(model, plan) {
                return None;
            }
        }
    }

    /// Runs to the next point where a `wait` can pass: the end of a sweep of
    /// the instances in which at least one behavior finished, just before
    /// the sites execute again (at the same instant). Returns that sweep's
    /// [`EventKind::Finish`] events (every event is recorded as with
    /// [`Stepper::next_event`]), or `None` once the run has settled (done or
    /// deadlocked) without another finish.
    ///
    /// A centralized controller decides there: instructions appended to a
    /// program at that point (then [`Stepper::resume`]) execute exactly
    /// when a `wait` for one of these finishes followed by those
    /// instructions would. Time 0 before the first call is the other such
    /// point. Nothing else changes: stepping this way or event by event
    /// gives the same run.
    pub fn next_finishes(&mut self, model: &Model, plan: &Plan) -> Option<Vec<Event>> {
        let mut finished = Vec::new();
        loop {
            if let Some(event) = self.pending.pop_front() {
                self.events.push(event);
                if matches!(event.kind, EventKind::Finish(..)) {
                    finished.push(event);
                }
                continue;
            }
            if !finished.is_empty() && self.cursor == Cursor::Site(0) {
                return Some(finished);
            }
            if !self.advance(model, plan) {
                return None;
            }
        }
    }

    /// Runs to the end and returns what [`simulate`] returns.
    pub fn into_outcome(mut self, model: &Model, plan: &Plan) -> Outcome {
        while self.next_event(model, plan).is_some() {}
        let deadlock = match self.status(model, plan) {
            Status::Deadlock(d) => Some(d),
            Status::Done | Status::Running => None,
        };
        let makespan = match &deadlock {
            Some(d) => d.time,
            None => self.events.last().map_or(Cost::ZERO, |e| e.time),
        };
        Outcome {
            makespan,
            events: self.events,
            system: self.system,
            deadlock,
        }
    }

    fn emit(&mut self, kind: EventKind) {
        self.pending.push_back(Event {
            time: self.now,
            kind,
        });
    }

    /// Takes one action of the loop (which may produce no event). Returns
    /// false when the run has settled for good (done or deadlocked).
    fn advance(&mut self, model: &Model, plan: &Plan) -> bool {
        match self.cursor {
            Cursor::Site(s) if s >= plan.programs.len() => self.cursor = Cursor::Instance(0),
            Cursor::Site(s) => {
                let site = SiteId::from_index(s);
                self.changed |= self.system.reach(plan, site);
                match self.system.instruction_enabled(model, plan, site) {
                    Ok(ins) => {
                        self.system.execute(model, plan, site);
                        self.emit(EventKind::Instruction(site, ins));
                        self.changed = true;
                    }
                    Err(_) => self.cursor = Cursor::Site(s + 1),
                }
            }
            Cursor::Instance(i) if i >= self.system.states.len() => {
                if self.changed {
                    self.changed = false;
                    self.cursor = Cursor::Site(0);
                } else {
                    self.cursor = Cursor::Settled;
                }
            }
            Cursor::Instance(i) => {
                self.steps.clear();
                let id = InstanceId::from_index(i);
                self.system.enabled_steps(model, plan, id, &mut self.steps);
                self.cursor = Cursor::Steps(i, 0);
            }
            Cursor::Steps(i, k) => {
                let Some(&step) = self.steps.get(k) else {
                    self.cursor = Cursor::Instance(i + 1);
                    return true;
                };
                self.cursor = Cursor::Steps(i, k + 1);
                let id = InstanceId::from_index(i);
                if matches!(step, Step::End(_))
                    || self.system.step_enabled(model, plan, id, step).is_err()
                {
                    return true;
                }
                let head = self.system.states[i].as_ref().and_then(|s| s.head());
                let started = self.system.apply_step(model, plan, id, step);
                self.changed = true;
                let ty = model.ty(plan.universe.instances[i].ty);
                match step {
                    Step::Fire(_) => {
                        for t in started {
                            self.emit(EventKind::Start(id, t));
                            self.ends
                                .push(Reverse((self.now + ty.transition(t).cost, id, t)));
                        }
                    }
                    Step::Enter(q) => self.emit(EventKind::Enter(id, q)),
                    Step::Finish => {
                        if let Some(b) = head {
                            self.emit(EventKind::Finish(id, b));
                        }
                    }
                    Step::End(_) => {}
                }
            }
            Cursor::Settled => {
                if self.system.done(plan) {
                    return false;
                }
                let Some(Reverse((t, _, _))) = self.ends.peek().copied() else {
                    return false;
                };
                self.now = t;
                self.cursor = Cursor::Ends;
            }
            Cursor::Ends => match self.ends.peek().copied() {
                Some(Reverse((t, i, tr))) if t == self.now => {
                    self.ends.pop();
                    self.system.apply_step(model, plan, i, Step::End(tr));
                    self.emit(EventKind::End(i, tr));
                }
                _ => {
                    self.changed = false;
                    self.cursor = Cursor::Site(0);
                }
            },
        }
        true
    }
}
