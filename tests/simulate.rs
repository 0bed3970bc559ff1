//! The simulator against the figures of CASES.md ("Expected under
//! SEMANTICS.md"), computed independently of this code base.

use ballet_runtime::semantics::Blocked;
use ballet_runtime::simulate::simulate;
use ballet_runtime::Cost;
use ballet_tests::{example_goal, per_component_plan, push_everywhere, start_system};

fn deploy_makespan(path: &str, n: &str) -> Cost {
    let (model, goal) = example_goal(path, "deploy", &[("n", n)]);
    let plan = push_everywhere(&model, &goal, "deploy");
    let outcome = simulate(&model, &plan, start_system(&model, &goal, &plan));
    assert!(
        outcome.deadlock.is_none(),
        "{path} deploy deadlocked: {:?}",
        outcome.deadlock
    );
    for (i, inst) in goal.target.instances.iter().enumerate() {
        let state = outcome.system.states[i].as_ref().expect("instance exists");
        assert_eq!(
            state.stable_place(),
            Some(model.ty(inst.ty).running),
            "{} must end running",
            inst.name
        );
    }
    outcome.makespan
}

#[test]
fn openstack_deploy_takes_92() {
    assert_eq!(
        deploy_makespan("examples/openstack.blt", "1"),
        Cost::units(92)
    );
    assert_eq!(
        deploy_makespan("examples/openstack.blt", "10"),
        Cost::units(92)
    );
}

#[test]
fn cps_deploy_takes_6() {
    assert_eq!(deploy_makespan("examples/cps.blt", "1"), Cost::units(6));
    assert_eq!(deploy_makespan("examples/cps.blt", "5"), Cost::units(6));
}

#[test]
fn published_cps_update_plan_is_valid_and_takes_7() {
    let (model, goal) = example_goal("examples/cps.blt", "update", &[("n", "1")]);
    let plan = per_component_plan(
        &model,
        &goal,
        "database  : pushB(interrupt) pushB(update) pushB(deploy)
         system    : pushB(stop) wait(database, interrupt) pushB(deploy)
         listener_0: pushB(update) wait(system, stop) pushB(deploy)
         sensor_0  : pushB(pause) wait(listener_0, update) pushB(deploy)",
    );
    let outcome = simulate(&model, &plan, start_system(&model, &goal, &plan));
    assert!(outcome.deadlock.is_none(), "{:?}", outcome.deadlock);
    assert_eq!(outcome.makespan, Cost::units(7));
}

#[test]
fn published_openstack_update_plan_deadlocks_at_1() {
    let (model, goal) = example_goal("examples/openstack.blt", "update", &[("n", "1")]);
    let plan = per_component_plan(
        &model,
        &goal,
        "mariadb_master  : pushB(interrupt) pushB(update) pushB(deploy)
         mariadb_worker_0: pushB(interrupt) pushB(update) wait(mariadb_master, interrupt) pushB(deploy)
         keystone_0      : pushB(uninstall) wait(mariadb_worker_0, interrupt) pushB(deploy)
         glance_0        : pushB(uninstall) wait(keystone_0, uninstall) wait(mariadb_worker_0, interrupt) pushB(deploy)
         neutron_0       : pushB(uninstall) wait(keystone_0, uninstall) wait(mariadb_worker_0, interrupt) pushB(deploy)
         nova_0          : pushB(interrupt) wait(mariadb_worker_0, interrupt) pushB(update) wait(keystone_0, uninstall) pushB(deploy)",
    );
    let outcome = simulate(&model, &plan, start_system(&model, &goal, &plan));
    let deadlock = outcome.deadlock.expect("the published plan deadlocks");
    assert_eq!(deadlock.time, Cost::units(1));
    // mariadb_master, mariadb_worker_0 and keystone_0 each wait for a user to
    // release a port; nova_0 waits in `interrupted` for the worker.
    let name = |i: ballet_runtime::InstanceId| plan.universe.instances[i.index()].name.as_str();
    let blocked_steps: Vec<&str> = deadlock
        .blocked
        .iter()
        .filter_map(|b| match b {
            Blocked::Step {
                instance, reason, ..
            } if reason.contains("would go inactive") => Some(name(*instance)),
            _ => None,
        })
        .collect();
    for who in ["mariadb_master", "mariadb_worker_0", "keystone_0"] {
        assert!(
            blocked_steps.contains(&who),
            "{who} must wait for a user: {:?}",
            deadlock.blocked
        );
    }
    // The cycle, read from the semantics: the worker cannot leave while
    // keystone_0 uses it, keystone_0 cannot leave while nova_0 uses it,
    // nova_0 (idle in `interrupted`) waits for its program, whose head waits
    // for the worker's interrupt.
    let cycle: Vec<String> = ballet_runtime::wait_for::cycle(&model, &plan, &outcome.system)
        .expect("a deadlock has a wait-for cycle")
        .into_iter()
        .map(|n| n.name(&plan))
        .collect();
    assert_eq!(
        cycle,
        ["mariadb_worker_0", "keystone_0", "nova_0", "site nova_0"],
        "{:?}",
        deadlock.blocked
    );
    let nova = goal.start.instance_named("nova_0").expect("nova_0");
    let nova_ty = model.ty(goal.start.instances[nova.index()].ty);
    let nova_state = outcome.system.states[nova.index()]
        .as_ref()
        .expect("nova_0 exists");
    assert_eq!(
        nova_state.stable_place().map(|p| nova_ty.place_name(p)),
        Some("interrupted")
    );
}

/// Stepping by decision points (`Stepper::next_finishes`, the exhaustive
/// oracle's controller) gives exactly the run of `simulate`, and stops after
/// every sweep with a finish.
#[test]
fn stepping_by_finishes_is_the_same_run() {
    use ballet_runtime::simulate::{EventKind, Stepper};
    for (path, n) in [("examples/openstack.blt", "2"), ("examples/cps.blt", "2")] {
        let (model, goal) = example_goal(path, "deploy", &[("n", n)]);
        let plan = push_everywhere(&model, &goal, "deploy");
        let whole = simulate(&model, &plan, start_system(&model, &goal, &plan));
        let mut stepper = Stepper::new(start_system(&model, &goal, &plan));
        let mut finishes = 0;
        while let Some(last) = stepper.next_finishes(&model, &plan) {
            assert!(!last.is_empty());
            assert!(last.iter().all(|e| e.time == stepper.now()));
            finishes += last.len();
        }
        let outcome = stepper.into_outcome(&model, &plan);
        assert_eq!(outcome.events, whole.events, "{path}");
        assert_eq!(outcome.makespan, whole.makespan);
        let expected = whole
            .events
            .iter()
            .filter(|e| matches!(e.kind, EventKind::Finish(..)))
            .count();
        assert_eq!(finishes, expected, "{path}");
    }
}
