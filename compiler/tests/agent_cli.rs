//! Site agents as real processes (`balletc agent`, one per site) over
//! loopback TCP: deploy then update from the recorded state, each ending
//! where the simulator ends; an agent killed with SIGKILL at several points
//! and restarted; a peer down then up (and `balletc status` meanwhile); a
//! failing action; a peer with the wrong key; garbage and oversized frames.
//! Every wait is bounded ([`common::LIMIT`]); children are killed on drop.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};

use ballet_compiler::pipeline::Planning;
use ballet_compiler::run::{recorded_state, FinalState};
use ballet_runtime::vm::SiteVm;
use common::agents::{balletc_ok, build, final_vms, planning, site_names};
use common::{scratch, Child, ROOT};

/// The unit of every test: short, so each test takes well under a second
/// of reconfiguration.
const UNIT: &str = "5ms";

fn cps() -> String {
    format!("{ROOT}/examples/cps.blt")
}

/// `balletc agent out --site SITE --once`, in `dir`.
fn agent(dir: &Path, out: &Path, site: &str, key: Option<&Path>) -> Child {
    let out_s = out.display().to_string();
    let key = key.map_or(out.join("cluster.key"), Path::to_path_buf);
    let key_s = key.display().to_string();
    Child::spawn(
        dir,
        &[
            "agent", &out_s, "--site", site, "--key", &key_s, "--unit", UNIT, "--once",
        ],
    )
}

/// Checks that the agents' final state is the simulator's.
#[track_caller]
fn assert_final_state_is_the_simulators(out: &Path, planning: &Planning) {
    let expected = FinalState::of_system(
        &planning.analysis.model,
        &planning.planned.plan,
        &planning.planned.run.system,
    );
    let vms = final_vms(out);
    assert!(vms.iter().all(SiteVm::done), "not every site is done");
    assert_eq!(FinalState::of_vms(&vms), expected);
}

/// Writes the recorded state of the agents' run (what `balletc run` writes
/// to `.ballet/state.json`).
fn record(out: &Path, goal: &str, to: &Path) {
    let state = recorded_state(&final_vms(out), goal);
    std::fs::write(to, serde_json::to_string_pretty(&state).expect("json")).expect("state");
}

/// Runs every site's agent to the end, each exiting 0.
fn run_all(dir: &Path, out: &Path) {
    let mut agents: Vec<Child> = site_names(out)
        .iter()
        .map(|s| agent(dir, out, s, None))
        .collect();
    for a in &mut agents {
        a.expect_exit(0);
    }
}

/// The CPS update of n = 2, planned from a deploy recorded by `balletc run`.
fn deployed_cps(dir: &Path) -> PathBuf {
    balletc_ok(
        dir,
        &[
            "run",
            &cps(),
            "--goal",
            "deploy",
            "-D",
            "n=2",
            "--unit",
            "1ms",
        ],
    );
    dir.join(".ballet/state.json")
}

#[test]
fn deploy_then_update_from_the_recorded_state_end_where_the_simulator_does() {
    let dir = scratch("agents-deploy-update");
    let out = build(&dir, &cps(), "deploy", &["-D", "n=2"]);
    run_all(&dir, &out);
    assert_final_state_is_the_simulators(&out, &planning(&cps(), "deploy", &[("n", "2")], None));
    let state = dir.join("deployed.json");
    record(&out, "deploy", &state);

    let state_s = state.display().to_string();
    let out = build(
        &dir,
        &cps(),
        "update",
        &["-D", "n=2", "--from-state", &state_s],
    );
    run_all(&dir, &out);
    let planned = planning(&cps(), "update", &[("n", "2")], Some(&state));
    assert_final_state_is_the_simulators(&out, &planned);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn an_agent_killed_mid_update_and_restarted_ends_where_the_simulator_does() {
    let dir = scratch("agents-kill");
    let state = deployed_cps(&dir);
    let state_s = state.display().to_string();
    let planned = planning(&cps(), "update", &[("n", "2")], Some(&state));
    // (site, progress lines before the kill): each line is printed once
    // the checkpoint of its event is on disk, so the agent dies after its
    // k-th checkpoint, somewhere before its next one.
    for (victim, k) in [
        ("system", 1),
        ("sensor_0", 2),
        ("database", 3),
        ("system", 4),
    ] {
        let out = build(
            &dir,
            &cps(),
            "update",
            &["-D", "n=2", "--from-state", &state_s],
        );
        let sites = site_names(&out);
        let mut agents: Vec<(String, Child)> = sites
            .iter()
            .map(|s| (s.clone(), agent(&dir, &out, s, None)))
            .collect();
        let (_, child) = agents
            .iter_mut()
            .find(|(s, _)| s == victim)
            .expect("the victim");
        let prefix = format!("[{victim}] ");
        for _ in 0..k {
            child.expect_line("of progress", |l| {
                l.starts_with(&prefix) && l.contains(" running: ")
            });
        }
        child.kill();
        *child = agent(&dir, &out, victim, None);
        child.expect_line("saying it resumed", |l| l.contains("resumed from"));
        for (_, a) in &mut agents {
            a.expect_exit(0);
        }
        assert_final_state_is_the_simulators(&out, &planned);
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_peer_down_then_up_and_status_meanwhile() {
    let dir = scratch("agents-down-up");
    let out = build(&dir, &cps(), "deploy", &["-D", "n=2"]);
    let out_s = out.display().to_string();
    let sites = site_names(&out);
    let (late, early) = sites.split_first().expect("sites");
    let mut agents: Vec<Child> = early.iter().map(|s| agent(&dir, &out, s, None)).collect();
    for (a, s) in agents.iter_mut().zip(early) {
        let prefix = format!("[{s}] ");
        a.expect_line("of progress", |l| {
            l.starts_with(&prefix) && l.contains(" running: ")
        });
    }
    // `status` reports the missing agent unreachable, the others' state.
    let mut status = Child::spawn(
        &dir,
        &["status", &out_s, "--format", "json", "--timeout", "2s"],
    );
    status.expect_exit(1);
    let json: serde_json::Value =
        serde_json::from_str(&status.seen.join("\n")).expect("one JSON object");
    let listed = json["sites"].as_array().expect("sites");
    assert_eq!(listed.len(), sites.len());
    assert_eq!(listed[0]["reachable"], false, "{json}");
    for s in &listed[1..] {
        assert_eq!(s["reachable"], true, "{json}");
        assert!(s["len"].as_u64().is_some(), "{json}");
    }
    // `--once` links neighbours only: `system` talks to the database and
    // both sensors, each sensor to `system` alone.
    assert_eq!(listed[1]["name"], "system", "{json}");
    assert_eq!(listed[1]["peers"], 3, "{json}");
    for s in &listed[2..] {
        assert_eq!(s["peers"], 1, "{json}");
    }
    // The late one comes up: everyone finishes.
    agents.push(agent(&dir, &out, late, None));
    for a in &mut agents {
        a.expect_exit(0);
    }
    assert_final_state_is_the_simulators(&out, &planning(&cps(), "deploy", &[("n", "2")], None));
    let _ = std::fs::remove_dir_all(dir);
}

const FAILING: &str = r#"
component Service {
    places off, ready, on
    initial off
    running on
    behavior deploy {
        prepare: off -> ready cost 1
        start: ready -> on cost 1 run "echo starting {instance}; test -f fixed || \{ echo not fixed yet; exit 3; \}"
    }
}

assembly two {
    site alpha { svc: Service }
    site beta { other: Service }
}

goal deploy for two {
    svc running
    other running
}
"#;

#[test]
fn a_failing_action_stops_its_agent_with_an_error_and_a_restart_resumes() {
    let dir = scratch("agents-failing");
    std::fs::write(dir.join("failing.blt"), FAILING).expect("fixture");
    let file = dir.join("failing.blt").display().to_string();
    let out = build(&dir, &file, "deploy", &[]);
    let mut alpha = agent(&dir, &out, "alpha", None);
    let mut beta = agent(&dir, &out, "beta", None);
    alpha.expect_exit(1);
    let err = alpha.stderr();
    assert!(err.contains("svc.start failed"), "{err}");
    assert!(err.contains("exit status 3"), "{err}");
    assert!(err.contains("not fixed yet"), "{err}");
    beta.expect_exit(1);
    std::fs::write(dir.join("fixed"), "").expect("fixed");
    let mut alpha = agent(&dir, &out, "alpha", None);
    let mut beta = agent(&dir, &out, "beta", None);
    alpha.expect_exit(0);
    beta.expect_exit(0);
    assert_final_state_is_the_simulators(&out, &planning(&file, "deploy", &[], None));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_peer_with_the_wrong_key_is_refused() {
    let dir = scratch("agents-wrong-key");
    let out = build(&dir, &cps(), "deploy", &["-D", "n=1"]);
    let sites = site_names(&out);
    // Another key file for the same sites: its holder is not in the roster.
    let forged = dir.join("forged.key");
    let forged_s = forged.display().to_string();
    let inventory = out.join("inventory.toml").display().to_string();
    balletc_ok(&dir, &["keygen", "-o", &forged_s, "--sites", &inventory]);
    let (intruder, honest) = sites.split_last().expect("sites");
    let mut agents: Vec<Child> = honest.iter().map(|s| agent(&dir, &out, s, None)).collect();
    let mut bad = agent(&dir, &out, intruder, Some(&forged));
    // Both ends refuse the handshake, again and again: the intruder
    // (`sensor_0`) and its only neighbour, `system`.
    assert_eq!(honest[1], "system");
    bad.expect_line("about a refusal", |l| l.contains("refused a connection"));
    agents[1].expect_line("about a refusal", |l| l.contains("refused a connection"));
    bad.kill();
    // With the right key, it joins and everyone finishes.
    agents.push(agent(&dir, &out, intruder, None));
    for a in &mut agents {
        a.expect_exit(0);
    }
    assert_final_state_is_the_simulators(&out, &planning(&cps(), "deploy", &[("n", "1")], None));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn garbage_and_oversized_frames_leave_the_agent_running() {
    use std::net::TcpStream;
    let dir = scratch("agents-garbage");
    let out = build(&dir, &cps(), "deploy", &["-D", "n=1"]);
    let sites = site_names(&out);
    let text = std::fs::read_to_string(out.join("inventory.toml")).expect("inventory");
    let inventory = ballet_runtime::inventory::parse_inventory(&text).expect("parses");
    let (target, address) = &inventory[0];
    let mut first = agent(&dir, &out, target, None);
    first.expect_line("saying it started", |l| l.contains("listening on"));
    let attacks: [&[u8]; 3] = [
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        &[0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3],
        &[0, 0, 0, 3, 9, 9, 9],
    ];
    // Each attack is refused before the next (the count may jump: a port
    // of this test's inventory may meanwhile serve another test's agent,
    // which this one refuses too).
    let refused = |l: &str| -> Option<u64> {
        let rest = l.split("refused a connection (").nth(1)?;
        rest.split(' ').next()?.parse().ok()
    };
    let mut count = 0;
    for bytes in attacks {
        let mut s = TcpStream::connect(address).expect("connects");
        s.write_all(bytes).expect("writes");
        // The agent closes the connection without answering.
        s.set_read_timeout(Some(common::LIMIT)).expect("a timeout");
        let mut buf = [0u8; 64];
        let got = std::io::Read::read(&mut s, &mut buf);
        assert!(matches!(got, Ok(0) | Err(_)), "the agent answered {got:?}");
        drop(s);
        let line = first.expect_line("about a refusal", |l| refused(l).is_some_and(|n| n > count));
        count = refused(&line).unwrap_or(count);
    }
    let mut agents: Vec<Child> = sites[1..]
        .iter()
        .map(|s| agent(&dir, &out, s, None))
        .collect();
    agents.push(first);
    for a in &mut agents {
        a.expect_exit(0);
    }
    assert_final_state_is_the_simulators(&out, &planning(&cps(), "deploy", &[("n", "1")], None));
    let _ = std::fs::remove_dir_all(dir);
}
