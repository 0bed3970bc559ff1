//! The event graph of a run (SEMANTICS.md §6): nodes are the events of a
//! simulated run (instructions, transition starts and ends, place entries,
//! behavior finishes), edges are the causal dependencies the semantics
//! imposes between them, weighted by durations. The makespan of the plan is
//! the length of the longest path, which the simulator must match exactly.
//!
//! The graph is built by replaying the run's events, in order, on a
//! [`System`] from the start state, and asking the semantics what each
//! event needed: which arrivals an Enter consumed, which guard it passed and
//! which event of the other instance made the guard hold, which push or
//! finish made a behavior head, which finish a `wait` waited for. The
//! simulator's timestamps are never read: times come from the transition
//! costs of the model alone.

mod replay;

use crate::cost::Cost;
use crate::model::Model;
use crate::program::Plan;
use crate::semantics::System;
use crate::simulate::{EventKind, Outcome};

/// Why an event depends on an earlier one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DependencyKind {
    /// A transition's start to its end; the only edge that weighs its cost.
    Duration,
    /// An instruction after the previous one of its site's program.
    ProgramOrder,
    /// An instruction's precondition: a `wait` on the finish of the awaited
    /// push, a `dcon` on the other site reaching it and the user port going
    /// inactive, a `pushB`/`con`/`del` on an `add`, a `dcon` or a finish.
    Precondition,
    /// A step of a behavior after the push or the finish that made it head.
    Head,
    /// A Fire after the Enter that marked its place.
    Marking,
    /// An Enter after the ends of the transitions it joins.
    Arrival,
    /// A guarded step after the other instance's event that made the guard
    /// hold (a provider starting to serve, a user going inactive), or the
    /// `con`/`dcon` that connected or disconnected them.
    Guard,
    /// A Finish after the last step of its execution.
    Completion,
}

/// One edge: `to` cannot happen before `from` plus `weight`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dependency {
    /// The earlier event (index into [`EventGraph::nodes`]).
    pub from: usize,
    /// The later event.
    pub to: usize,
    /// The delay between them.
    pub weight: Cost,
    /// Why.
    pub kind: DependencyKind,
}

/// The events of a run and their causal dependencies. Every edge goes from
/// a lower to a higher node index, so node order is a topological order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EventGraph {
    /// The events, in the run's order (without their times).
    pub nodes: Vec<EventKind>,
    /// The dependencies.
    pub edges: Vec<Dependency>,
}

/// The makespan of `outcome`, a run of `plan` from `start`, computed as the
/// longest path of its event graph.
pub fn longest_path(model: &Model, plan: &Plan, start: &System, outcome: &Outcome) -> Cost {
    EventGraph::build(model, plan, start, outcome).longest_path()
}

impl EventGraph {
    /// Builds the event graph of `outcome`, a run of `plan` from `start`.
    pub fn build(model: &Model, plan: &Plan, start: &System, outcome: &Outcome) -> EventGraph {
        replay::build(model, plan, start.clone(), &outcome.events)
    }

    /// The earliest time of each event: the longest path reaching it.
    pub fn earliest(&self) -> Vec<Cost> {
        let mut incoming: Vec<Vec<&Dependency>> = vec![Vec::new(); self.nodes.len()];
        for e in &self.edges {
            if e.from < e.to && e.to < self.nodes.len() {
                incoming[e.to].push(e);
            }
        }
        let mut time = vec![Cost::ZERO; self.nodes.len()];
        for v in 0..self.nodes.len() {
            time[v] = incoming[v]
                .iter()
                .map(|e| time[e.from] + e.weight)
                .max()
                .unwrap_or(Cost::ZERO);
        }
        time
    }

    /// The length of the longest path: the makespan.
    pub fn longest_path(&self) -> Cost {
        self.earliest().into_iter().max().unwrap_or(Cost::ZERO)
    }
}
