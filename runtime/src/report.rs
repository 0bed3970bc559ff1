//! Everything a simulation front end shows (`balletc simulate`, the REPL),
//! computed from a model, a plan and a start state in one call.

use crate::baseline::{sequential, BaselineError, BaselineSchedule};
use crate::cost::Cost;
use crate::event_graph::EventGraph;
use crate::model::Model;
use crate::program::Plan;
use crate::semantics::System;
use crate::simulate::{simulate, Outcome};
use crate::timeline::Timelines;

/// A simulated run with its timelines, its event-graph makespan and the
/// sequential baseline of the same plan.
#[derive(Clone, Debug)]
pub struct Report {
    /// The run itself: events, final state, deadlock.
    pub outcome: Outcome,
    /// Per-instance and per-site timelines of the run.
    pub timelines: Timelines,
    /// The longest path of the run's event graph; equals
    /// `outcome.makespan` (SEMANTICS.md §6).
    pub longest_path: Cost,
    /// The sequential "Muse" baseline of the plan, or why there is none.
    pub baseline: Result<BaselineSchedule, BaselineError>,
}

impl Report {
    /// Simulates `plan` from `start` and derives everything else from it.
    pub fn new(model: &Model, plan: &Plan, start: System) -> Report {
        let baseline = sequential(model, plan, &start);
        let outcome = simulate(model, plan, start.clone());
        let longest_path = EventGraph::build(model, plan, &start, &outcome).longest_path();
        let timelines = Timelines::new(model, plan, &outcome);
        Report {
            outcome,
            timelines,
            longest_path,
            baseline,
        }
    }
}
