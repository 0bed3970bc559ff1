//! End-to-end tests of `balletc plan`: the text and JSON shapes users'
//! scripts depend on, exit codes, and `--from-state`.

mod common;

use common::{assert_exit, balletc, scratch, stderr, stdout};

#[test]
fn plan_text_lists_sites_and_ends_with_a_summary() {
    let o = balletc(&[
        "plan",
        "examples/openstack.blt",
        "--goal",
        "update",
        "-D",
        "n=2",
    ]);
    assert_exit(&o, 0);
    let out = stdout(&o);
    assert!(
        out.starts_with("Plan for goal `update`: 7 sites, 29 instances"),
        "{out}"
    );
    assert!(out.contains("site worker_1 (11 instructions)"), "{out}");
    assert!(out.contains("pushB(mariadb_master, interrupt)"), "{out}");
    assert!(
        out.contains("Summary: 43 instructions (27 pushB, 16 wait"),
        "{out}"
    );
    assert!(out.contains("predicted makespan 92, planned in "), "{out}");
    assert!(stderr(&o).is_empty(), "{}", stderr(&o));
}

#[test]
fn plan_json_has_the_documented_shape() {
    let o = balletc(&[
        "plan",
        "examples/cps.blt",
        "--goal",
        "update",
        "--format",
        "json",
    ]);
    assert_exit(&o, 0);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("one JSON object");
    assert_eq!(v["goal"], "update");
    let programs = v["programs"].as_object().expect("programs object");
    assert_eq!(programs.len(), 3);
    assert_eq!(
        programs["system"],
        serde_json::json!([
            "pushB(system, stop)",
            "wait(database, interrupt)",
            "pushB(system, deploy)"
        ])
    );
    let metrics = v["metrics"].as_object().expect("metrics object");
    for key in [
        "sites",
        "instances",
        "instructions",
        "pushb",
        "waits",
        "adds",
        "connects",
        "disconnects",
        "deletes",
        "messages",
        "constraints",
        "makespan",
        "planning_ms",
    ] {
        assert!(
            metrics[key].is_number(),
            "metrics.{key} is not a number: {v}"
        );
    }
    assert_eq!(metrics.len(), 13, "{v}");
    assert_eq!(metrics["instructions"], 12);
    assert_eq!(metrics["makespan"], 7.0);
}

#[test]
fn plan_of_an_unreachable_goal_fails_with_e0501() {
    let o = balletc(&[
        "plan",
        "tests/fixtures/plan/errors/E0501_cannot_release.blt",
        "--goal",
        "update",
    ]);
    assert_exit(&o, 1);
    assert!(stderr(&o).contains("error[E0501]"), "{}", stderr(&o));
    assert!(stdout(&o).is_empty());
}

#[test]
fn plan_without_goal_in_a_file_with_two_is_e0503() {
    let o = balletc(&["plan", "examples/cps.blt"]);
    assert_exit(&o, 1);
    assert!(stderr(&o).contains("error[E0503]"), "{}", stderr(&o));
}

#[test]
fn plan_of_a_broken_file_reports_check_errors() {
    let o = balletc(&[
        "plan",
        "tests/fixtures/check/errors/E0201_duplicate_place.blt",
        "--goal",
        "g",
    ]);
    assert_exit(&o, 1);
    assert!(stderr(&o).contains("error[E0"), "{}", stderr(&o));
}

#[test]
fn plan_from_a_recorded_state() {
    let dir = scratch("from-state");
    let state = dir.join("state.json");
    // Everything deployed except the sensor, still off: only it is deployed.
    let mut instances = serde_json::Map::new();
    for (name, site, place) in [
        ("database", "database", "deployed"),
        ("system", "system", "deployed"),
        ("listener_0", "sensor_0", "running"),
        ("sensor_0", "sensor_0", "off"),
    ] {
        instances.insert(
            name.into(),
            serde_json::json!({"site": site, "place": place}),
        );
    }
    let json = serde_json::json!({"version": 1, "instances": instances});
    std::fs::write(&state, json.to_string()).expect("write state");
    let state = state.display().to_string();
    let o = balletc(&[
        "plan",
        "examples/cps.blt",
        "--goal",
        "deploy",
        "--from-state",
        &state,
        "--format",
        "json",
    ]);
    assert_exit(&o, 0);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("JSON");
    assert_eq!(
        v["programs"]["sensor_0"],
        serde_json::json!(["pushB(sensor_0, deploy)"])
    );
    assert_eq!(v["metrics"]["instructions"], 1);
    let missing = dir.join("missing.json").display().to_string();
    let o = balletc(&[
        "plan",
        "examples/cps.blt",
        "--goal",
        "deploy",
        "--from-state",
        &missing,
    ]);
    assert_exit(&o, 1);
    let garbage = dir.join("garbage.json");
    std::fs::write(&garbage, "{not json").expect("write");
    let garbage = garbage.display().to_string();
    let o = balletc(&[
        "plan",
        "examples/cps.blt",
        "--goal",
        "deploy",
        "--from-state",
        &garbage,
    ]);
    assert_exit(&o, 1);
    assert!(
        stderr(&o).contains("is not a recorded state"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn simulate_reports_makespan_baseline_and_writes_a_gantt_chart() {
    let dir = scratch("simulate");
    let svg = dir.join("run.svg").display().to_string();
    let o = balletc(&[
        "simulate",
        "examples/cps.blt",
        "--goal",
        "update",
        "--baseline",
        "sequential",
        "--gantt",
        &svg,
    ]);
    assert_exit(&o, 0);
    let out = stdout(&o);
    assert!(
        out.contains("Makespan 7 (the event graph's longest path: 7)"),
        "{out}"
    );
    assert!(out.contains("Sequential baseline 16"), "{out}");
    let chart = std::fs::read_to_string(&svg).expect("the chart is written");
    assert!(
        chart.starts_with("<svg") || chart.starts_with("<?xml"),
        "{}",
        &chart[..80.min(chart.len())]
    );
    assert!(chart.contains("listener_0"));
    let o = balletc(&[
        "simulate",
        "examples/openstack.blt",
        "--goal",
        "update",
        "--format",
        "json",
    ]);
    assert_exit(&o, 0);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("JSON");
    assert_eq!(v["makespan"], 92.0);
    assert_eq!(v["deadlock"], serde_json::Value::Null);
    assert_eq!(v["instances"].as_array().map(Vec::len), Some(18));
}

#[test]
fn simulate_to_an_unwritable_chart_fails_cleanly() {
    let o = balletc(&[
        "simulate",
        "examples/cps.blt",
        "--goal",
        "deploy",
        "--gantt",
        "/nonexistent-dir/x/run.svg",
    ]);
    assert_exit(&o, 1);
    assert!(stderr(&o).contains("cannot write"), "{}", stderr(&o));
}

#[test]
fn build_writes_one_loadable_file_per_site_and_an_inventory() {
    let dir = scratch("build");
    let out = dir.join("out").display().to_string();
    let o = balletc(&[
        "build",
        "examples/openstack.blt",
        "--goal",
        "deploy",
        "-D",
        "n=2",
        "-o",
        &out,
        "--base-port",
        "9000",
    ]);
    assert_exit(&o, 0);
    let mut sites = 0;
    for entry in std::fs::read_dir(&out).expect("output directory") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "bltc") {
            sites += 1;
            let p = path.display().to_string();
            let d = balletc(&["dump", &p]);
            assert_exit(&d, 0);
            assert!(stdout(&d).contains("pushB("), "{}", stdout(&d));
        }
    }
    assert_eq!(sites, 7);
    let inventory = std::fs::read_to_string(dir.join("out/inventory.toml")).expect("inventory");
    assert!(
        inventory.contains("[sites.master]\naddress = \"127.0.0.1:9000\""),
        "{inventory}"
    );
    assert!(inventory.contains("127.0.0.1:9006"), "{inventory}");
}

#[test]
fn simulate_a_published_plan_shows_its_deadlock_cycle() {
    let o = balletc(&[
        "simulate",
        "examples/openstack.blt",
        "--goal",
        "update",
        "--plan",
        "examples/plans/openstack_update_published.plan",
    ]);
    assert_exit(&o, 1);
    let out = stdout(&o);
    assert!(out.contains("Deadlock at t = 1"), "{out}");
    assert!(
        out.contains("wait-for cycle: mariadb_worker_0 -> keystone_0 -> nova_0 -> site nova_0 -> mariadb_worker_0"),
        "{out}"
    );
    let o = balletc(&[
        "simulate",
        "examples/cps.blt",
        "--goal",
        "update",
        "--plan",
        "examples/plans/cps_update_published.plan",
    ]);
    assert_exit(&o, 0);
    assert!(stdout(&o).contains("Makespan 7"), "{}", stdout(&o));
}

#[test]
fn simulate_a_broken_plan_file_says_which_line() {
    let dir = scratch("broken-plan");
    let plan = dir.join("bad.plan");
    std::fs::write(&plan, "database: pushB(interrupt)\nsystem: frobnicate(x)\n").expect("write");
    let plan = plan.display().to_string();
    let o = balletc(&[
        "simulate",
        "examples/cps.blt",
        "--goal",
        "update",
        "--plan",
        &plan,
    ]);
    assert_exit(&o, 1);
    assert!(stderr(&o).contains("line 2"), "{}", stderr(&o));
}
