//! `balletc run` end to end: the recorded state feeds `plan --from-state`,
//! a failing action is reported with its status and output, and `--resume`
//! continues from the checkpoints.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn balletc(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_balletc"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("balletc runs")
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ballet-run-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    dir
}

fn example(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples")
        .join(name)
        .display()
        .to_string()
}

#[test]
fn the_recorded_state_is_where_the_next_plan_starts() {
    let dir = scratch("state");
    let cps = example("cps.blt");
    let out = balletc(
        &dir,
        &[
            "run", &cps, "--goal", "deploy", "-D", "n=2", "--unit", "1ms", "--format", "json",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    for key in [
        "measured_makespan_ms",
        "predicted_makespan_ms",
        "messages",
        "failures",
        "sites",
    ] {
        assert!(summary.get(key).is_some(), "no `{key}` in {summary}");
    }
    assert_eq!(summary["predicted_makespan_ms"], 6.0);
    let state = std::fs::read_to_string(dir.join(".ballet/state.json")).expect("state written");
    assert!(state.contains("\"goal\": \"deploy\""), "{state}");
    let out = balletc(
        &dir,
        &[
            "plan",
            &cps,
            "--goal",
            "update",
            "-D",
            "n=2",
            "--from-state",
            ".ballet/state.json",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = balletc(
        &dir,
        &[
            "run",
            &cps,
            "--goal",
            "update",
            "-D",
            "n=2",
            "--unit",
            "1ms",
            "--from-state",
            ".ballet/state.json",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let state = std::fs::read_to_string(dir.join(".ballet/state.json")).expect("state written");
    assert!(state.contains("\"goal\": \"update\""), "{state}");
    let _ = std::fs::remove_dir_all(dir);
}

const FAILING: &str = r#"
component Service {
    places off, ready, on
    initial off
    running on
    behavior deploy {
        prepare: off -> ready cost 1
        start: ready -> on cost 1 run "echo starting {instance} on $BALLET_SITE; test -f fixed || \{ echo not fixed yet; exit 3; \}"
    }
}

assembly one {
    site alpha { svc: Service }
}

goal deploy for one {
    svc running
}
"#;

#[test]
fn a_failing_action_is_reported_and_the_run_resumes() {
    let dir = scratch("resume");
    std::fs::write(dir.join("failing.blt"), FAILING).expect("fixture written");
    let out = balletc(
        &dir,
        &["run", "failing.blt", "--goal", "deploy", "--unit", "1ms"],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("svc.start"), "{stdout}");
    assert!(stdout.contains("exit status 3"), "{stdout}");
    assert!(stdout.contains("not fixed yet"), "{stdout}");
    assert!(
        stdout.contains("test -f fixed"),
        "the command is shown: {stdout}"
    );
    let log = std::fs::read_to_string(dir.join(".ballet/logs/alpha/svc.start.log")).expect("log");
    assert!(log.contains("starting svc on alpha"), "{log}");
    assert!(dir.join(".ballet/checkpoints/alpha.ckpt").exists());
    assert!(!dir.join(".ballet/state.json").exists());

    std::fs::write(dir.join("fixed"), "").expect("fixed");
    let out = balletc(
        &dir,
        &[
            "run",
            "failing.blt",
            "--goal",
            "deploy",
            "--unit",
            "1ms",
            "--resume",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let state = std::fs::read_to_string(dir.join(".ballet/state.json")).expect("state written");
    assert!(state.contains("\"place\": \"on\""), "{state}");
    // A finished run leaves no checkpoint behind.
    let out = balletc(
        &dir,
        &["run", "failing.blt", "--goal", "deploy", "--resume"],
    );
    assert_eq!(out.status.code(), Some(1), "nothing left to resume");
    let _ = std::fs::remove_dir_all(dir);
}
