//! The sequential "Muse" baseline against Ballet's schedule on the cases of
//! CASES.md: the same deploy plans, run one transition at a time per
//! instance, each instance after all its providers.

use ballet_runtime::baseline::sequential;
use ballet_runtime::report::Report;
use ballet_runtime::Cost;
use ballet_tests::{example_goal, per_component_plan, push_everywhere, start_system};

fn deploy(path: &str, n: &str) -> Report {
    let (model, goal) = example_goal(path, "deploy", &[("n", n)]);
    let plan = push_everywhere(&model, &goal, "deploy");
    Report::new(&model, &plan, start_system(&model, &goal, &plan))
}

#[test]
fn cps_deploy_baseline_is_17_against_6() {
    // database 4 (its two configure steps in sequence), system 4 more,
    // listener 3 more, sensor 6 more: 17, for any number of sensors.
    for n in ["1", "3"] {
        let report = deploy("examples/cps.blt", n);
        let baseline = report.baseline.expect("no provider cycle");
        assert_eq!(report.outcome.makespan, Cost::units(6));
        assert_eq!(report.longest_path, Cost::units(6));
        assert_eq!(baseline.makespan, Cost::units(17), "n = {n}");
    }
}

#[test]
fn openstack_deploy_baseline_is_139_against_92() {
    // The master starts after common (3) and runs 63 units of deploy in
    // sequence (66); the worker after it (129); keystone (131); nova last
    // with its 8 transitions (139).
    for n in ["1", "2"] {
        let report = deploy("examples/openstack.blt", n);
        let baseline = report.baseline.expect("no provider cycle");
        assert_eq!(report.outcome.makespan, Cost::units(92));
        assert_eq!(baseline.makespan, Cost::units(139), "n = {n}");
        let (_, goal) = example_goal("examples/openstack.blt", "deploy", &[("n", n)]);
        let at = |name: &str| {
            let i = goal.start.instance_named(name).expect("instance").index();
            (baseline.instances[i].start, baseline.instances[i].end)
        };
        assert_eq!(at("mariadb_master"), (Cost::units(3), Cost::units(66)));
        assert_eq!(at("mariadb_worker_0"), (Cost::units(66), Cost::units(129)));
        assert_eq!(at("nova_0"), (Cost::units(131), Cost::units(139)));
    }
}

#[test]
fn published_cps_update_baseline_runs_each_pushed_behavior() {
    let (model, goal) = example_goal("examples/cps.blt", "update", &[("n", "1")]);
    let plan = per_component_plan(
        &model,
        &goal,
        "database  : pushB(interrupt) pushB(update) pushB(deploy)
         system    : pushB(stop) wait(database, interrupt) pushB(deploy)
         listener_0: pushB(update) wait(system, stop) pushB(deploy)
         sensor_0  : pushB(pause) wait(listener_0, update) pushB(deploy)",
    );
    let start = start_system(&model, &goal, &plan);
    let baseline = sequential(&model, &plan, &start).expect("no provider cycle");
    let database = goal.start.instance_named("database").expect("database");
    // interrupt 1, update 1, then deploy from `configured`: deploy2 and
    // deploy3 only (the configure steps belong to the marking it left).
    let d = &baseline.instances[database.index()];
    assert_eq!(
        (d.start, d.end, d.bars.len()),
        (Cost::ZERO, Cost::units(4), 4)
    );
    // database 4, system stop + deploy from `initiated` 5 (9), listener
    // update + deploy from `paused` 3 (12), sensor pause + deploy from
    // `provisioned` 4 (16); Ballet's run of the same plan takes 7.
    assert_eq!(baseline.makespan, Cost::units(16));
}
