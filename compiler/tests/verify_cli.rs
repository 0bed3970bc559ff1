//! End-to-end tests of `balletc verify` and `balletc plan --verify`: the
//! published OpenStack update plan shown to deadlock with its trace (golden
//! text and JSON), the planner's plans verified, the JSON shape, the trace
//! file, and bad input.

mod common;

use common::{assert_exit, balletc, golden, scratch, stderr, stdout};

const PUBLISHED: &str = "examples/plans/openstack_update_published.plan";

/// The text with the wall-clock figures masked.
fn untimed(text: &str) -> String {
    text.lines()
        .map(|l| match l.find(" in ") {
            Some(at) if l.trim_start().starts_with("explored ") => {
                format!("{} in (time)", &l[..at])
            }
            _ => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

#[test]
fn the_published_openstack_update_plan_deadlocks_with_a_trace() {
    let o = balletc(&[
        "verify",
        "examples/openstack.blt",
        "--goal",
        "update",
        "--plan",
        PUBLISHED,
    ]);
    assert_exit(&o, 1);
    let out = stdout(&o);
    assert!(out.contains("NOT verified (deadlock)"), "{out}");
    assert!(out.contains("\nThen deadlock: nothing can happen"), "{out}");
    assert!(
        out.contains("wait-for cycle: mariadb_worker_0 -> keystone_0 -> nova_0"),
        "{out}"
    );
    assert!(
        out.contains("    1. site mariadb_worker_0 executes pushB(mariadb_worker_0, interrupt)"),
        "{out}"
    );
    golden("verify_openstack_published.txt", &untimed(&out));
}

#[test]
fn the_json_verdict_has_exactly_the_five_keys() {
    let o = balletc(&[
        "verify",
        "examples/openstack.blt",
        "--goal",
        "update",
        "--plan",
        PUBLISHED,
        "--format",
        "json",
    ]);
    assert_exit(&o, 1);
    let mut v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("one JSON object");
    let object = v.as_object_mut().expect("an object");
    let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "counterexample",
            "seconds",
            "states",
            "transitions",
            "verified"
        ]
    );
    assert_eq!(object["verified"], false);
    assert!(object["seconds"].as_f64().is_some_and(|s| s >= 0.0));
    let trace = object["counterexample"].as_array().expect("an array");
    assert!(trace.len() > 5 && trace.iter().all(|a| a.is_string()));
    object.insert("seconds".into(), serde_json::json!(0));
    golden(
        "verify_openstack_published.json",
        &(serde_json::to_string_pretty(&v).expect("json") + "\n"),
    );
}

#[test]
fn the_planners_cps_and_openstack_update_plans_are_verified() {
    for (file, n) in [("examples/cps.blt", "3"), ("examples/openstack.blt", "1")] {
        let o = balletc(&["verify", file, "--goal", "update", "-D", &format!("n={n}")]);
        assert_exit(&o, 0);
        let out = stdout(&o);
        assert!(out.contains("Verified:\n  - no deadlock"), "{out}");
        let j = balletc(&[
            "verify",
            file,
            "--goal",
            "update",
            "-D",
            &format!("n={n}"),
            "--format",
            "json",
        ]);
        assert_exit(&j, 0);
        let v: serde_json::Value = serde_json::from_str(&stdout(&j)).expect("json");
        assert_eq!(v["verified"], true);
        assert_eq!(v["counterexample"], serde_json::json!([]));
        assert!(v["states"].as_u64().is_some_and(|s| s > 10));
    }
    let cps = balletc(&[
        "verify",
        "examples/cps.blt",
        "--goal",
        "update",
        "-D",
        "n=3",
    ]);
    assert!(
        stdout(&cps).contains("interchangeable sites in classes of 3"),
        "{}",
        stdout(&cps)
    );
}

#[test]
fn plan_verify_prints_the_verdict_after_the_plan() {
    let o = balletc(&["plan", "examples/cps.blt", "--goal", "update", "--verify"]);
    assert_exit(&o, 0);
    let out = stdout(&o);
    let plan_at = out.find("Plan for goal `update`").expect("the plan");
    let verdict_at = out
        .find("Verification of goal `update`")
        .expect("the verdict");
    assert!(plan_at < verdict_at && out.contains("Verified:"), "{out}");

    let j = balletc(&[
        "plan",
        "examples/cps.blt",
        "--goal",
        "update",
        "--verify",
        "--format",
        "json",
    ]);
    assert_exit(&j, 0);
    let v: serde_json::Value = serde_json::from_str(&stdout(&j)).expect("json");
    assert_eq!(v["verification"]["verified"], true);
    assert!(v["programs"].is_object() && v["metrics"].is_object());

    // Without the flag the JSON shape is unchanged.
    let plain = balletc(&[
        "plan",
        "examples/cps.blt",
        "--goal",
        "update",
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&plain)).expect("json");
    assert!(v.get("verification").is_none(), "{v}");
}

#[test]
fn trace_out_writes_a_file_the_repl_can_load() {
    let dir = scratch("verify-trace");
    let path = dir.join("deadlock.trace");
    let o = balletc(&[
        "verify",
        "examples/openstack.blt",
        "--goal",
        "update",
        "--plan",
        PUBLISHED,
        "--trace-out",
        path.to_str().expect("utf-8 path"),
    ]);
    assert_exit(&o, 1);
    let text = std::fs::read_to_string(&path).expect("the trace file");
    let file = ballet_compiler::verify::trace::TraceFile::parse(&text).expect("it parses");
    assert_eq!(file.goal.as_deref(), Some("update"));
    assert!(file.plan.iter().any(|l| l.starts_with("nova_0")), "{text}");
    assert_eq!(
        file.steps.len(),
        stdout(&o)
            .lines()
            .filter(|l| l.starts_with("   ") && l.contains(". "))
            .count()
    );
    // Verified: nothing is written.
    let none = dir.join("none.trace");
    let ok = balletc(&[
        "verify",
        "examples/cps.blt",
        "--goal",
        "update",
        "--trace-out",
        none.to_str().expect("utf-8 path"),
    ]);
    assert_exit(&ok, 0);
    assert!(!none.exists());
}

#[test]
fn bad_input_is_reported_without_a_panic() {
    let missing = balletc(&[
        "verify",
        "examples/openstack.blt",
        "--goal",
        "update",
        "--plan",
        "no/such.plan",
    ]);
    assert_exit(&missing, 1);
    assert!(
        stderr(&missing).contains("cannot read"),
        "{}",
        stderr(&missing)
    );

    let dir = scratch("verify-bad");
    let bad = dir.join("bad.plan");
    std::fs::write(&bad, "site nowhere: pushB(x, y)\n").expect("write");
    let o = balletc(&[
        "verify",
        "examples/cps.blt",
        "--goal",
        "update",
        "--plan",
        bad.to_str().expect("utf-8"),
    ]);
    assert_exit(&o, 1);
    assert!(stderr(&o).contains("no site `nowhere`"), "{}", stderr(&o));

    let goal = balletc(&["verify", "examples/cps.blt", "--goal", "nosuch"]);
    assert_exit(&goal, 1);
    assert!(stderr(&goal).contains("E0503"), "{}", stderr(&goal));

    assert_exit(&balletc(&["verify"]), 2);
    assert_exit(
        &balletc(&["verify", "examples/cps.blt", "--max-states", "many"]),
        2,
    );

    // A limit too small to decide: not verified, said so.
    let small = balletc(&[
        "verify",
        "examples/cps.blt",
        "--goal",
        "update",
        "--max-states",
        "5",
    ]);
    assert_exit(&small, 1);
    assert!(stdout(&small).contains("not decided"), "{}", stdout(&small));
}

#[test]
fn vms_explores_the_site_vms_of_the_planners_plan() {
    let args = [
        "verify",
        "examples/cps.blt",
        "--goal",
        "update",
        "-D",
        "n=1",
        "--vms",
    ];
    let o = balletc(&args);
    assert_exit(&o, 0);
    let out = stdout(&o);
    assert!(out.contains("  - the VMs never deadlock\n"), "{out}");
    let json: Vec<&str> = args.iter().copied().chain(["--format", "json"]).collect();
    let j = balletc(&json);
    assert_exit(&j, 0);
    let v: serde_json::Value = serde_json::from_str(&stdout(&j)).expect("json");
    assert_eq!(v["verified"], true);
    assert_eq!(v["vms"]["verified"], true);
    assert_eq!(v["vms"]["counterexample"], serde_json::json!([]));
    // More states than the semantics': the facts in transit are explored.
    assert!(v["vms"]["states"].as_u64() > v["states"].as_u64(), "{v}");
}

/// The two waits the site VMs once made and the semantics does not
/// (ARCHITECTURE.md, "Message deliveries"): both plans are verified by the
/// semantics and, since the VMs record a connection at either site's `con`
/// and a provider revokes an unused confirmation, by `--vms` too.
#[test]
fn vms_verify_the_plans_they_once_deadlocked_on() {
    for (name, goal) in [("connect_late", "link"), ("two_providers", "g")] {
        let blt = format!("tests/fixtures/verify/{name}.blt");
        let plan = format!("tests/fixtures/verify/{name}.plan");
        let args = ["verify", &blt, "--goal", goal, "--plan", &plan];
        assert_exit(&balletc(&args), 0);
        let with_vms: Vec<&str> = args.iter().copied().chain(["--vms"]).collect();
        let o = balletc(&with_vms);
        assert_exit(&o, 0);
        golden(&format!("verify_vms_{name}.txt"), &untimed(&stdout(&o)));
        let json: Vec<&str> = with_vms
            .iter()
            .copied()
            .chain(["--format", "json"])
            .collect();
        let j = balletc(&json);
        assert_exit(&j, 0);
        // A start assembly's warning comes first, as a JSON line of its own.
        let out = stdout(&j);
        let last = out.lines().last().unwrap_or_default();
        let v: serde_json::Value = serde_json::from_str(last).expect("json");
        assert_eq!(v["verified"], true, "{name}");
        assert_eq!(v["vms"]["verified"], true, "{name}");
        assert_eq!(v["vms"]["counterexample"], serde_json::json!([]));
    }
}
