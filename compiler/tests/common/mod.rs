//! Running the real `balletc` binary from the workspace root, for the
//! end-to-end tests of each subcommand.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};

/// The workspace root, where `examples/` and `tests/fixtures/` live.
pub const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

/// Runs `balletc ARGS` from the workspace root.
pub fn balletc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_balletc"))
        .args(args)
        .current_dir(ROOT)
        .env_remove("RUST_BACKTRACE")
        .output()
        .expect("balletc runs")
}

/// Standard output, lossily decoded.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Standard error, lossily decoded.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Asserts the exit code, showing both streams on failure.
#[track_caller]
pub fn assert_exit(o: &Output, code: i32) {
    assert_eq!(
        o.status.code(),
        Some(code),
        "expected exit code {code}\n--- stdout\n{}\n--- stderr\n{}",
        stdout(o),
        stderr(o)
    );
    assert!(
        !stderr(o).contains("panicked"),
        "balletc panicked:\n{}",
        stderr(o)
    );
}

/// A fresh scratch directory for one test.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("balletc-e2e-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch directory");
    dir
}

/// Compares `actual` with the golden file `tests/snapshots/NAME` (`BLESS=1`
/// rewrites it).
#[track_caller]
pub fn golden(name: &str, actual: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(name);
    if std::env::var_os("BLESS").is_some() {
        std::fs::write(&path, actual).expect("write snapshot");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        expected == actual,
        "the output differs from {} (BLESS=1 rewrites it):\n{actual}",
        path.display()
    );
}
