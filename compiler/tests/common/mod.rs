//! Running the real `balletc` binary from the workspace root, for the
//! end-to-end tests of each subcommand.
#![allow(dead_code)]

pub mod agents;

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

/// Every wait of a process-level test is bounded by this.
pub const LIMIT: std::time::Duration = std::time::Duration::from_secs(30);

/// `n` loopback ports that were free a moment ago (bound on port 0, then
/// released).
pub fn free_ports(n: usize) -> Vec<u16> {
    let listeners: Vec<std::net::TcpListener> = (0..n)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0").expect("a free port"))
        .collect();
    listeners
        .iter()
        .map(|l| l.local_addr().expect("an address").port())
        .collect()
}

/// A `balletc` child process whose standard output is read line by line
/// as it comes; killed when dropped.
pub struct Child {
    child: std::process::Child,
    lines: std::sync::mpsc::Receiver<String>,
    /// Every line of standard output read so far.
    pub seen: Vec<String>,
    stderr_thread: Option<std::thread::JoinHandle<String>>,
    stderr: String,
}

impl Child {
    /// Starts `balletc ARGS` in `dir`.
    pub fn spawn(dir: &std::path::Path, args: &[&str]) -> Child {
        use std::io::{BufRead, Read};
        let mut child = Command::new(env!("CARGO_BIN_EXE_balletc"))
            .args(args)
            .current_dir(dir)
            .env_remove("RUST_BACKTRACE")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("balletc starts");
        let (tx, lines) = std::sync::mpsc::channel();
        let out = child.stdout.take().expect("stdout");
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut err = child.stderr.take().expect("stderr");
        let stderr_thread = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = err.read_to_string(&mut text);
            text
        });
        Child {
            child,
            lines,
            seen: Vec::new(),
            stderr_thread: Some(stderr_thread),
            stderr: String::new(),
        }
    }

    /// Reads lines until one satisfies `ok`; panics after [`LIMIT`] or at
    /// the end of the output.
    #[track_caller]
    pub fn expect_line(&mut self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let deadline = std::time::Instant::now() + LIMIT;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if ok(&line) {
                        return line;
                    }
                }
                Err(_) => {
                    self.kill();
                    panic!("no line {what}:\n{}", self.transcript())
                }
            }
        }
    }

    /// Waits for the process to exit (its output closed, then its status),
    /// within [`LIMIT`].
    #[track_caller]
    pub fn wait(&mut self) -> std::process::ExitStatus {
        let deadline = std::time::Instant::now() + LIMIT;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => self.seen.push(line),
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                    self.kill();
                    panic!("the process did not exit in time:\n{}", self.transcript())
                }
            }
        }
        let status = self.child.wait().expect("an exit status");
        if let Some(thread) = self.stderr_thread.take() {
            self.stderr = thread.join().unwrap_or_default();
        }
        status
    }

    /// Waits for the exit and checks its code, showing the output if not.
    #[track_caller]
    pub fn expect_exit(&mut self, code: i32) {
        let status = self.wait();
        assert_eq!(status.code(), Some(code), "{}", self.transcript());
        assert!(!self.stderr().contains("panicked"), "{}", self.transcript());
    }

    /// Kills the process with SIGKILL and reaps it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(thread) = self.stderr_thread.take() {
            self.stderr = thread.join().unwrap_or_default();
        }
    }

    /// Standard error (once [`Child::wait`] has returned).
    pub fn stderr(&self) -> String {
        self.stderr.clone()
    }

    /// Both outputs, for failure messages.
    pub fn transcript(&self) -> String {
        format!(
            "--- stdout\n{}\n--- stderr\n{}",
            self.seen.join("\n"),
            self.stderr()
        )
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        self.kill();
    }
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
