//! `balletc verify`: every interleaving of a plan explored
//! (`ballet_runtime::explore`, with stubborn sets and symmetry of
//! interchangeable sites), and four properties proved or refuted with a
//! shortest counterexample among the explored interleavings:
//!
//! 1. no deadlock (a reachable state where nothing can happen and the
//!    reconfiguration is not done);
//! 2. termination (the explored state graph is acyclic, so every execution
//!    is finite);
//! 3. every goal reached in every final state ([`reached_state`]);
//! 4. port safety: no use port active while its provider is inactive,
//!    checked on every explored state.
//!
//! The goal lines of each instance are its symmetry *colour*: two sites are
//! only interchangeable when their instances have the same goals.

pub mod trace;
pub mod vms;

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::time::Instant;

use ballet_runtime::explore::{explore_with, Action, Options, Reduction, Symmetry};
use ballet_runtime::program::Plan;
use ballet_runtime::semantics::System;
use ballet_runtime::{Goal, Model};

use crate::plan::problem::Problem;
use crate::plan::validate::reached_state;

/// How to verify.
#[derive(Clone, Debug)]
pub struct VerifyOptions {
    /// Give up (not verified) after this many distinct states.
    pub limit: usize,
    /// The partial-order reduction.
    pub reduction: Reduction,
    /// Whether to merge states equal up to a permutation of
    /// interchangeable sites.
    pub symmetry: bool,
    /// Also explore the site VMs with the facts in transit ([`vms`]) once
    /// the semantics is verified, up to this many states (without a
    /// reduction, each state holds a copy of the VM an event changed: a
    /// smaller bound than `limit`).
    pub vms: Option<usize>,
}

impl Default for VerifyOptions {
    fn default() -> VerifyOptions {
        VerifyOptions {
            limit: 20_000_000,
            reduction: Reduction::Stubborn,
            symmetry: true,
            vms: None,
        }
    }
}

/// Which property failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Property {
    /// A reachable deadlock; the wait-for cycle when there is one.
    Deadlock {
        /// `a -> b -> a`.
        cycle: Option<String>,
    },
    /// A final state misses the goal: why.
    Goal(String),
    /// A use port active while its provider is inactive: which connection.
    PortSafety(String),
    /// An execution that never ends.
    Termination,
    /// The state limit was reached: nothing is proved.
    Limit(usize),
}

impl Property {
    /// A stable one-word name (`"deadlock"`, `"goal"`, ...).
    pub fn name(&self) -> &'static str {
        match self {
            Property::Deadlock { .. } => "deadlock",
            Property::Goal(_) => "goal",
            Property::PortSafety(_) => "port-safety",
            Property::Termination => "termination",
            Property::Limit(_) => "state-limit",
        }
    }

    /// The property in words, for the text report.
    pub fn describe(&self) -> String {
        match self {
            Property::Deadlock { cycle: Some(c) } => {
                format!("deadlock: nothing can happen and the reconfiguration is not done (wait-for cycle: {c})")
            }
            Property::Deadlock { cycle: None } => {
                "deadlock: nothing can happen and the reconfiguration is not done".into()
            }
            Property::Goal(why) => format!("goal not reached in a final state: {why}"),
            Property::PortSafety(c) => {
                format!("port safety: {c} is active while its provider is inactive")
            }
            Property::Termination => "termination: an execution can run forever".into(),
            Property::Limit(n) => {
                format!("not decided: the exploration stopped at the limit of {n} states")
            }
        }
    }
}

/// A failed property and the trace that shows it.
#[derive(Clone, Debug)]
pub struct Failure {
    /// What failed.
    pub property: Property,
    /// The actions from the start state to the bad state (empty for
    /// [`Property::Termination`] and [`Property::Limit`]).
    pub trace: Vec<Action>,
}

/// The verifier's answer.
#[derive(Clone, Debug)]
pub struct Verdict {
    /// Distinct states explored.
    pub states: usize,
    /// Actions taken.
    pub transitions: usize,
    /// Wall-clock time of the exploration.
    pub seconds: f64,
    /// Classes of interchangeable sites used (their sizes).
    pub symmetric: Vec<usize>,
    /// The partial-order reduction used.
    pub reduction: Reduction,
    /// `None` when every property holds.
    pub failure: Option<Failure>,
    /// The exploration of the site VMs, when asked for and the semantics
    /// is verified.
    pub vms: Option<vms::VmVerdict>,
}

impl Verdict {
    /// Whether every property was proved.
    pub fn verified(&self) -> bool {
        self.failure.is_none() && self.vms.as_ref().is_none_or(|v| v.failure.is_none())
    }

    /// States explored per second.
    pub fn rate(&self) -> f64 {
        if self.seconds > 0.0 {
            self.states as f64 / self.seconds
        } else {
            self.states as f64
        }
    }
}

/// Each instance's colour: a hash of what the goal asks of it.
fn colours(problem: &Problem, goal: &Goal) -> Vec<u64> {
    (0..problem.universe.instances.len())
        .map(|i| {
            let mut h = DefaultHasher::new();
            problem.kept.get(i).hash(&mut h);
            if let Some(own) = problem.goals.get(i) {
                own.place.map(|(p, _)| p).hash(&mut h);
                for &(p, active, _) in &own.ports {
                    (p, active).hash(&mut h);
                }
                for &(b, _) in &own.behaviors {
                    b.hash(&mut h);
                }
            }
            for b in goal.behaviors.iter().filter(|b| b.instance.index() == i) {
                b.behavior.hash(&mut h);
            }
            h.finish()
        })
        .collect()
}

/// The start state of `plan` for `problem`.
pub fn start_state(model: &Model, problem: &Problem, plan: &Plan) -> System {
    let mut places = problem.start_places.clone();
    places.resize(plan.universe.instances.len(), None);
    System::new(
        model,
        plan,
        &places,
        problem.start_connections.iter().copied(),
    )
}

/// Explores every interleaving of `plan` and checks the four properties
/// against `goal`.
pub fn verify(
    model: &Model,
    problem: &Problem,
    goal: &Goal,
    plan: &Plan,
    options: &VerifyOptions,
) -> Verdict {
    let start = start_state(model, problem, plan);
    let symmetry = if options.symmetry {
        Symmetry::detect(plan, &start, &colours(problem, goal))
    } else {
        None
    };
    let symmetric = symmetry
        .as_ref()
        .map(|s| s.classes().iter().map(Vec::len).collect())
        .unwrap_or_default();
    let explore_options = Options {
        limit: options.limit,
        reduction: options.reduction,
        symmetry,
    };
    let started = Instant::now();
    let found = explore_with(model, plan, start, &explore_options);
    let seconds = started.elapsed().as_secs_f64();
    let failure = if let Some(trace) = found.counterexample.clone() {
        let cycle = found
            .deadlocks
            .first()
            .and_then(|d| ballet_runtime::wait_for::cycle_text(model, plan, d));
        Some(Failure {
            property: Property::Deadlock { cycle },
            trace,
        })
    } else if let Some(v) = &found.violation {
        let u = &plan.universe;
        let end = |e: ballet_runtime::Endpoint| {
            let ty = model.ty(u.instances[e.instance.index()].ty);
            format!(
                "{}.{}",
                u.instances[e.instance.index()].name,
                ty.port(e.port).name
            )
        };
        Some(Failure {
            property: Property::PortSafety(format!(
                "{} (connected to {})",
                end(v.connection.user),
                end(v.connection.provider)
            )),
            trace: v.trace.clone(),
        })
    } else if found.truncated {
        Some(Failure {
            property: Property::Limit(options.limit),
            trace: Vec::new(),
        })
    } else if found.cycle {
        Some(Failure {
            property: Property::Termination,
            trace: Vec::new(),
        })
    } else {
        goal_failure(model, problem, goal, plan, &found)
    };
    let vms = options
        .vms
        .filter(|_| failure.is_none())
        .map(|limit| vms::verify_vms(model, problem, goal, plan, limit));
    Verdict {
        states: found.states,
        transitions: found.transitions,
        seconds,
        symmetric,
        reduction: options.reduction,
        failure,
        vms,
    }
}

/// The first final state that misses the goal, with its trace.
fn goal_failure(
    model: &Model,
    problem: &Problem,
    goal: &Goal,
    plan: &Plan,
    found: &ballet_runtime::explore::Exploration,
) -> Option<Failure> {
    if problem.universe.instances.len() != plan.universe.instances.len() {
        return Some(Failure {
            property: Property::Goal(
                "the goal adds instances that the plan's universe does not have".into(),
            ),
            trace: Vec::new(),
        });
    }
    found.finals.iter().enumerate().find_map(|(k, last)| {
        reached_state(model, problem, goal, last)
            .err()
            .map(|why| Failure {
                property: Property::Goal(why),
                trace: found.trace_to_final(k),
            })
    })
}
