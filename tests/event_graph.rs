//! The event graph's longest path against the simulator (SEMANTICS.md §6):
//! on every plan we have, each event's earliest time in the graph equals its
//! simulated time, so the longest path equals the makespan; and removing a
//! kind of dependency changes the answer, so the graph is not trivially
//! right.

use ballet_runtime::event_graph::{longest_path, DependencyKind, EventGraph};
use ballet_runtime::program::Plan;
use ballet_runtime::semantics::System;
use ballet_runtime::simulate::{simulate, Outcome};
use ballet_runtime::{Cost, Model};
use ballet_tests::{example_goal, per_component_plan, push_everywhere, start_system};

const CPS_UPDATE: &str = "database  : pushB(interrupt) pushB(update) pushB(deploy)
     system    : pushB(stop) wait(database, interrupt) pushB(deploy)
     listener_0: pushB(update) wait(system, stop) pushB(deploy)
     sensor_0  : pushB(pause) wait(listener_0, update) pushB(deploy)";

const OPENSTACK_UPDATE: &str = "mariadb_master  : pushB(interrupt) pushB(update) pushB(deploy)
     mariadb_worker_0: pushB(interrupt) pushB(update) wait(mariadb_master, interrupt) pushB(deploy)
     keystone_0      : pushB(uninstall) wait(mariadb_worker_0, interrupt) pushB(deploy)
     glance_0        : pushB(uninstall) wait(keystone_0, uninstall) wait(mariadb_worker_0, interrupt) pushB(deploy)
     neutron_0       : pushB(uninstall) wait(keystone_0, uninstall) wait(mariadb_worker_0, interrupt) pushB(deploy)
     nova_0          : pushB(interrupt) wait(mariadb_worker_0, interrupt) pushB(update) wait(keystone_0, uninstall) pushB(deploy)";

/// A deploy in which the sensor waits for the listener's deploy to finish
/// before its own is pushed.
const CPS_WAITING_DEPLOY: &str = "database  : pushB(deploy)
     system    : pushB(deploy)
     listener_0: pushB(deploy)
     sensor_0  : wait(listener_0, deploy) pushB(deploy)";

struct Run {
    model: Model,
    plan: Plan,
    start: System,
    outcome: Outcome,
}

fn deploy(path: &str, n: &str) -> Run {
    let (model, goal) = example_goal(path, "deploy", &[("n", n)]);
    let plan = push_everywhere(&model, &goal, "deploy");
    let start = start_system(&model, &goal, &plan);
    let outcome = simulate(&model, &plan, start.clone());
    Run {
        model,
        plan,
        start,
        outcome,
    }
}

fn published(path: &str, text: &str) -> Run {
    let (model, goal) = example_goal(path, "update", &[("n", "1")]);
    let plan = per_component_plan(&model, &goal, text);
    let start = start_system(&model, &goal, &plan);
    let outcome = simulate(&model, &plan, start.clone());
    Run {
        model,
        plan,
        start,
        outcome,
    }
}

impl Run {
    fn graph(&self) -> EventGraph {
        EventGraph::build(&self.model, &self.plan, &self.start, &self.outcome)
    }

    /// Every event's earliest time in the graph is its simulated time.
    fn check_exact(&self, what: &str) {
        let graph = self.graph();
        assert_eq!(graph.nodes.len(), self.outcome.events.len(), "{what}");
        for ((event, node), earliest) in self
            .outcome
            .events
            .iter()
            .zip(&graph.nodes)
            .zip(graph.earliest())
        {
            assert_eq!(event.kind, *node, "{what}");
            assert_eq!(
                earliest, event.time,
                "{what}: {node:?} is at {} in the run but at {earliest} in the event graph",
                event.time
            );
        }
        assert!(graph.edges.iter().all(|e| e.from < e.to), "{what}");
        assert_eq!(
            longest_path(&self.model, &self.plan, &self.start, &self.outcome),
            self.outcome.makespan,
            "{what}"
        );
    }

    /// The longest path once every dependency of `kind` is removed.
    fn without(&self, kind: DependencyKind) -> Cost {
        let mut graph = self.graph();
        let before = graph.edges.len();
        graph.edges.retain(|e| e.kind != kind);
        assert!(graph.edges.len() < before, "the run has {kind:?} edges");
        graph.longest_path()
    }
}

#[test]
fn openstack_deploy_longest_path_is_the_makespan() {
    for n in ["1", "2", "5"] {
        let run = deploy("examples/openstack.blt", n);
        assert!(run.outcome.deadlock.is_none());
        assert_eq!(run.outcome.makespan, Cost::units(92));
        run.check_exact(&format!("openstack deploy n={n}"));
    }
}

#[test]
fn cps_deploy_longest_path_is_the_makespan() {
    for n in ["1", "3"] {
        let run = deploy("examples/cps.blt", n);
        assert_eq!(run.outcome.makespan, Cost::units(6));
        run.check_exact(&format!("cps deploy n={n}"));
    }
}

#[test]
fn published_cps_update_longest_path_is_7() {
    let run = published("examples/cps.blt", CPS_UPDATE);
    assert!(run.outcome.deadlock.is_none());
    assert_eq!(run.outcome.makespan, Cost::units(7));
    run.check_exact("cps update");
}

#[test]
fn deadlocked_run_has_a_graph_up_to_the_deadlock() {
    let run = published("examples/openstack.blt", OPENSTACK_UPDATE);
    assert_eq!(
        run.outcome.deadlock.as_ref().map(|d| d.time),
        Some(Cost::units(1))
    );
    run.check_exact("openstack update (deadlock)");
}

#[test]
fn missing_dependencies_shorten_the_longest_path() {
    // Without the guards, every CPS instance deploys on its own: the
    // sensor's 4 units, not the chain database → system → listener → sensor.
    let cps = deploy("examples/cps.blt", "1");
    assert_eq!(cps.without(DependencyKind::Guard), Cost::units(4));
    assert_eq!(cps.without(DependencyKind::Duration), Cost::ZERO);
    // Without the arrivals an Enter joins, nova's `deployed` no longer waits
    // for its long branch and the OpenStack deploy looks shorter.
    let openstack = deploy("examples/openstack.blt", "1");
    assert!(openstack.without(DependencyKind::Arrival) < Cost::units(92));
    // The published CPS update is ordered by its guards (its `wait`s are
    // redundant): without them it looks shorter.
    let update = published("examples/cps.blt", CPS_UPDATE);
    assert_eq!(update.without(DependencyKind::Guard), Cost::units(4));
    // Here the `wait` is what orders the sensor after the listener: 5 + 4.
    let (model, goal) = example_goal("examples/cps.blt", "deploy", &[("n", "1")]);
    let plan = per_component_plan(&model, &goal, CPS_WAITING_DEPLOY);
    let start = start_system(&model, &goal, &plan);
    let outcome = simulate(&model, &plan, start.clone());
    let waiting = Run {
        model,
        plan,
        start,
        outcome,
    };
    assert_eq!(waiting.outcome.makespan, Cost::units(9));
    waiting.check_exact("cps deploy with a wait");
    // Without it, the sensor only waits for the listener's ports, which
    // serve it from 5 (the listener is `running`): 5 + 2.
    assert_eq!(
        waiting.without(DependencyKind::Precondition),
        Cost::units(7)
    );
}
