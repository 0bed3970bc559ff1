//! A planned goal being stepped through: the plan, the operator's typed
//! instructions and the [`Stepper`] of the one simulation event loop.
//!
//! Typed instructions go to an extra pseudo-site, `(operator)`, appended
//! after the plan's sites: its program is the typed instructions in the
//! order they were typed, executed by the stepper under the same
//! preconditions as any site's (a typed `wait` blocks until it holds). An
//! instance the operator adds lives on that pseudo-site.
//!
//! Going back replays the run from the start (the stepper is
//! deterministic) up to the wanted event, re-applying each typed
//! instruction at the event count it was typed at; instructions typed after
//! that point are dropped.

use ballet_runtime::model::{Connection, Instance, Site};
use ballet_runtime::program::{Instruction, Plan};
use ballet_runtime::semantics::System;
use ballet_runtime::simulate::{Event, Outcome, Status, Stepper};
use ballet_runtime::{InstanceId, Model, SiteId};

use crate::plan::Planned;

/// The name of the operator's pseudo-site (not an identifier, so no real
/// site can have it).
pub const OPERATOR: &str = "(operator)";

/// An instruction the operator typed.
#[derive(Clone, Debug)]
pub struct Typed {
    /// How many events had happened when it was typed.
    pub at: usize,
    /// The instruction, over [`Run::plan`]'s universe.
    pub instruction: Instruction,
    /// The instance it introduces into the universe (`add` of a new name).
    pub adds: Option<Instance>,
}

/// A goal's plan and a simulation of it in progress.
#[derive(Debug)]
pub struct Run {
    /// The lowered types.
    pub model: Model,
    /// The goal's name.
    pub goal: String,
    /// The plan as synthesized.
    pub planned: Planned,
    /// The plan being run: the synthesized one, the operator's pseudo-site
    /// and its program, and the instances it added.
    pub plan: Plan,
    /// The operator's instructions still in effect, in typed order.
    pub typed: Vec<Typed>,
    /// The simulation.
    pub stepper: Stepper,
    /// A loaded trace (`:load-trace`): the state it reaches and its events.
    /// Runs start there instead of at the plan's start.
    pub prefix: Option<(System, Vec<Event>)>,
}

/// Why [`Run::forward`] stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stop {
    /// The number of events asked for happened.
    Count,
    /// The run is done or deadlocked.
    End,
    /// Breakpoint number `.0` was hit by the last event.
    Breakpoint(usize),
}

impl Run {
    /// A run of `planned` at time zero.
    pub fn new(model: Model, goal: String, planned: Planned) -> Run {
        let plan = with_operator(&planned.plan, &[]);
        let stepper = Stepper::new(start_system(&model, &planned, &plan));
        Run {
            model,
            goal,
            planned,
            plan,
            typed: Vec::new(),
            stepper,
            prefix: None,
        }
    }

    /// The plan's start state (over [`Run::plan`], the operator included).
    pub fn start(&self) -> System {
        start_system(&self.model, &self.planned, &self.plan)
    }

    /// Starts every run from the end of a replayed trace (`state`, reached
    /// by `events`) from now on, and goes there.
    pub fn load_prefix(&mut self, state: System, events: Vec<Event>) {
        self.typed.clear();
        self.prefix = Some((state, events));
        self.replay(0);
    }

    /// A stepper at the start: the plan's, or the end of the loaded trace.
    fn first_stepper(&self, plan: &Plan) -> Stepper {
        match &self.prefix {
            None => Stepper::new(start_system(&self.model, &self.planned, plan)),
            Some((state, events)) => {
                let mut state = state.clone();
                // Instances the operator added since exist in no trace.
                let n = plan.universe.instances.len();
                state.states.resize(n, None);
                state.pushes.resize_with(n, Vec::new);
                for (i, pushes) in state.pushes.iter_mut().enumerate() {
                    let behaviors = self.model.ty(plan.universe.instances[i].ty).behaviors.len();
                    pushes.resize(behaviors, 0);
                }
                state.pc.resize(plan.programs.len(), 0);
                Stepper::resumed(&self.model, plan, state, events.clone())
            }
        }
    }

    /// The operator's pseudo-site.
    pub fn operator(&self) -> SiteId {
        SiteId::from_index(self.planned.plan.programs.len())
    }

    /// The events so far.
    pub fn events(&self) -> &[Event] {
        self.stepper.events()
    }

    /// The current state.
    pub fn system(&self) -> &System {
        self.stepper.system()
    }

    /// The instance called `name`, if the universe has it.
    pub fn instance(&self, name: &str) -> Option<InstanceId> {
        self.plan
            .universe
            .instances
            .iter()
            .position(|i| i.name == name)
            .map(InstanceId::from_index)
    }

    /// The site called `name`, if any (the operator's included).
    pub fn site(&self, name: &str) -> Option<SiteId> {
        self.plan
            .universe
            .sites
            .iter()
            .position(|s| s.name == name)
            .map(SiteId::from_index)
    }

    /// Takes up to `n` events, stopping early at the end of the run or,
    /// when `stop_at` says so, after an event that hits a breakpoint.
    pub fn forward(
        &mut self,
        n: usize,
        stop_at: &mut dyn FnMut(&Run, &Event) -> Option<usize>,
    ) -> (Vec<Event>, Stop) {
        let mut taken = Vec::new();
        while taken.len() < n {
            let Some(event) = self.stepper.next_event(&self.model, &self.plan) else {
                return (taken, Stop::End);
            };
            taken.push(event);
            if let Some(b) = stop_at(self, &event) {
                return (taken, Stop::Breakpoint(b));
            }
        }
        (taken, Stop::Count)
    }

    /// Where the run stands: `Running` while another event can happen
    /// (looked ahead on a copy, so the answer is exact right after the last
    /// event).
    pub fn status(&self) -> Status {
        let mut ahead = self.stepper.clone();
        match ahead.next_event(&self.model, &self.plan) {
            Some(_) => Status::Running,
            None => ahead.status(&self.model, &self.plan),
        }
    }

    /// The whole run from here to its end, as [`ballet_runtime::simulate::simulate`]
    /// would report it (for the Gantt chart).
    pub fn outcome_to_end(&self) -> Outcome {
        self.stepper.clone().into_outcome(&self.model, &self.plan)
    }

    /// Appends a typed instruction now (it executes at the current instant
    /// if its precondition holds).
    pub fn type_instruction(&mut self, instruction: Instruction, adds: Option<Instance>) {
        self.typed.push(Typed {
            at: self.events().len(),
            instruction,
            adds,
        });
        let now = self.events().len();
        self.replay(now);
    }

    /// Replays the run from the start to `upto` events (or its end),
    /// dropping the typed instructions typed after that point. Returns how
    /// many were dropped.
    pub fn replay(&mut self, upto: usize) -> usize {
        let before = self.typed.len();
        self.typed.retain(|t| t.at <= upto);
        let dropped = before - self.typed.len();
        let mut plan = with_operator(&self.planned.plan, &self.typed);
        let op = self.operator().index();
        let mut stepper = self.first_stepper(&plan);
        let mut next = 0;
        loop {
            while let Some(t) = self
                .typed
                .get(next)
                .filter(|t| t.at == stepper.events().len())
            {
                plan.programs[op].push(t.instruction);
                stepper.resume();
                next += 1;
            }
            if stepper.events().len() >= upto || stepper.next_event(&self.model, &plan).is_none() {
                break;
            }
        }
        // Instructions typed at an event count the replay did not reach
        // (it cannot happen: counts only grow while typing) stay in the
        // program so nothing typed is silently lost.
        for t in &self.typed[next..] {
            plan.programs[op].push(t.instruction);
            stepper.resume();
        }
        self.plan = plan;
        self.stepper = stepper;
        dropped
    }
}

/// The plan with the operator's pseudo-site (its program empty) and the
/// instances `typed` adds.
fn with_operator(plan: &Plan, typed: &[Typed]) -> Plan {
    let mut plan = plan.clone();
    plan.universe.sites.push(Site {
        name: OPERATOR.to_string(),
    });
    plan.programs.push(Vec::new());
    plan.universe
        .instances
        .extend(typed.iter().filter_map(|t| t.adds.clone()));
    plan
}

/// The planned start state over `plan`'s universe (instances the operator
/// adds do not exist at the start).
fn start_system(model: &Model, planned: &Planned, plan: &Plan) -> System {
    let mut start = planned.problem.start_places.clone();
    start.resize(plan.universe.instances.len(), None);
    let connections: Vec<Connection> = planned.problem.start_connections.clone();
    System::new(model, plan, &start, connections)
}
