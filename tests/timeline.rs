//! Timelines read from simulated runs: bars, executions and the waiting
//! periods of each instance and site, deadlocked runs included.

use ballet_runtime::program::{Instruction, Plan};
use ballet_runtime::simulate::simulate;
use ballet_runtime::timeline::{Timelines, WaitKind, Waiting};
use ballet_runtime::{Cost, Goal, Model};
use ballet_tests::{example_goal, per_component_plan, push_everywhere, start_system};

fn run(model: &Model, goal: &Goal, plan: &Plan) -> Timelines {
    let outcome = simulate(model, plan, start_system(model, goal, plan));
    Timelines::new(model, plan, &outcome)
}

fn u(n: u64) -> Cost {
    Cost::units(n)
}

#[test]
fn cps_deploy_bars_executions_and_guard_waits() {
    let (model, goal) = example_goal("examples/cps.blt", "deploy", &[("n", "1")]);
    let plan = push_everywhere(&model, &goal, "deploy");
    let t = run(&model, &goal, &plan);
    assert_eq!((t.makespan, t.deadlock), (u(6), None));
    let id = |name: &str| goal.start.instance_named(name).expect("instance").index();
    let db = &t.instances[id("database")];
    let spans: Vec<(Cost, Cost)> = db.bars.iter().map(|b| (b.start, b.end)).collect();
    assert_eq!(
        spans,
        vec![(u(0), u(1)), (u(0), u(1)), (u(1), u(2)), (u(2), u(3))]
    );
    assert!(db.bars.iter().all(|b| b.ended));
    assert_eq!(db.executions.len(), 1);
    let e = db.executions[0];
    assert_eq!(
        (e.pushed, e.head, e.first_start, e.finish),
        (Some(u(0)), Some(u(0)), Some(u(0)), Some(u(3)))
    );
    assert!(db.waits.is_empty(), "{:?}", db.waits);
    // The system reaches `configured` at 1 and enters it (its db_service
    // becomes active) only when the database serves, at 3.
    let system = &t.instances[id("system")];
    let ty = model.ty(goal.start.instances[id("system")].ty);
    let configured = ty.place_named("configured").expect("place");
    assert_eq!(
        system.waits,
        vec![Waiting {
            kind: WaitKind::Arrival(configured),
            from: u(1),
            to: u(3),
            open: false,
        }]
    );
    assert_eq!(system.entries.last(), Some(&(u(4), ty.running)));
}

#[test]
fn a_blocked_wait_instruction_is_a_site_wait() {
    let (model, goal) = example_goal("examples/cps.blt", "deploy", &[("n", "1")]);
    let plan = per_component_plan(
        &model,
        &goal,
        "database: pushB(deploy)
         system: pushB(deploy)
         listener_0: pushB(deploy)
         sensor_0: wait(listener_0, deploy) pushB(deploy)",
    );
    let t = run(&model, &goal, &plan);
    let sensor = goal
        .start
        .instance_named("sensor_0")
        .expect("sensor")
        .index();
    let site = &t.sites[plan.universe.instances[sensor].site.index()];
    assert_eq!(site.waits.len(), 1);
    let w = site.waits[0];
    assert!(matches!(w.instruction, Instruction::Wait(..)));
    assert_eq!((w.from, w.to, w.open), (u(0), u(5), false));
    assert_eq!(
        site.executed.iter().map(|e| e.0).collect::<Vec<_>>(),
        vec![u(5), u(5)]
    );
    assert_eq!(t.instances[sensor].executions[0].pushed, Some(u(5)));
    assert_eq!(t.makespan, u(9));
}

#[test]
fn a_deadlocked_run_marks_the_blocked_instances_and_open_waits() {
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
    let t = run(&model, &goal, &plan);
    assert_eq!(t.deadlock, Some(u(1)));
    let id = |name: &str| goal.start.instance_named(name).expect("instance").index();
    for who in ["mariadb_master", "mariadb_worker_0", "keystone_0"] {
        let i = &t.instances[id(who)];
        assert!(
            i.blocked.iter().any(|b| b.contains("would go inactive")),
            "{who}: {:?}",
            i.blocked
        );
        // Its head behavior waits, open, until the deadlock.
        assert!(
            i.waits.iter().any(|w| w.open && w.to == u(1)),
            "{who}: {:?}",
            i.waits
        );
    }
    let nova_site = &t.sites[plan.universe.instances[id("nova_0")].site.index()];
    assert!(nova_site
        .blocked
        .as_deref()
        .is_some_and(|b| b.starts_with("wait(mariadb_worker_0, interrupt)")));
    assert!(nova_site.waits.iter().any(|w| w.open));
    assert!(t.instances[id("facts")].blocked.is_empty());
}
