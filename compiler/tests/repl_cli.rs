//! End-to-end tests of `balletc repl`: commands piped on standard input
//! (no prompt, no escape codes), and one session on a pseudo-terminal
//! (prompt, tab completion, multi-line input, history file) through
//! util-linux `script`, which runs the binary on a pseudo-terminal and
//! relays our pipe to it.

mod common;

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

use common::{scratch, ROOT};

fn piped(input: &str, args: &[&str]) -> (String, String, Option<i32>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_balletc"))
        .arg("repl")
        .args(args)
        .current_dir(ROOT)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("balletc runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write stdin");
    let out = child.wait_with_output().expect("balletc ends");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code(),
    )
}

#[test]
fn piped_input_prints_outputs_only() {
    let (out, err, code) = piped(
        ":load examples/cps.blt\n:goal update\n:step 2\npushB(database,\n  interrupt)\n:nope\n:run\n",
        &[],
    );
    assert_eq!(code, Some(0), "stderr: {err}");
    assert!(err.is_empty(), "stderr: {err}");
    assert!(
        !out.contains('\x1b'),
        "escape codes in piped output:\n{out}"
    );
    assert!(!out.contains("ballet>"), "a prompt in piped output:\n{out}");
    let expected_start = "loaded examples/cps.blt: 2 goals (deploy, update)\n\
        planned goal `update`: 3 sites, 4 instances, 12 instructions, predicted makespan 7\n\
        at t = 0 (`:plan` shows the programs, `:step` advances)\n\
        #1   t=0    site database executes pushB(database, interrupt)\n\
        #2   t=0    site database executes pushB(database, update)\n\
        t = 0, 2 events so far\n\
        queued pushB(database, interrupt) on site (operator)";
    assert!(out.starts_with(expected_start), "{out}");
    assert!(out.contains("error: unknown command `:nope`"), "{out}");
    assert!(
        out.contains("site (operator) executes pushB(database, interrupt)"),
        "{out}"
    );
}

#[test]
fn file_and_defines_on_the_command_line() {
    let (out, err, code) = piped(":goal deploy\n:run\n", &["examples/cps.blt", "-D", "n=2"]);
    assert_eq!(code, Some(0), "stderr: {err}");
    assert!(out.starts_with("n=2\nloaded examples/cps.blt"), "{out}");
    assert!(out.contains("3 sites") || out.contains("4 sites"), "{out}");
    assert!(
        out.contains("done: the reconfiguration is complete at t = 6"),
        "{out}"
    );
}

/// A process on a pseudo-terminal, read by a thread into a channel.
struct Pty {
    child: std::process::Child,
    input: std::process::ChildStdin,
    output: Receiver<Vec<u8>>,
    seen: String,
}

impl Pty {
    fn spawn(command: &str, state_home: &std::path::Path) -> Pty {
        let mut child = Command::new("script")
            .args(["-q", "-e", "-c", command, "/dev/null"])
            .current_dir(ROOT)
            .env("XDG_STATE_HOME", state_home)
            .env("TERM", "xterm")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("util-linux `script` runs");
        let input = child.stdin.take().expect("stdin");
        let mut stdout = child.stdout.take().expect("stdout");
        let (send, output) = channel();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stdout.read(&mut buf) {
                if n == 0 || send.send(buf[..n].to_vec()).is_err() {
                    break;
                }
            }
        });
        Pty {
            child,
            input,
            output,
            seen: String::new(),
        }
    }

    /// Waits (at most ten seconds) until the output since the last match
    /// contains `text`; returns that output.
    fn expect(&mut self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(k) = self.seen.find(text) {
                let upto = k + text.len();
                let before = self.seen[..upto].to_string();
                self.seen.drain(..upto);
                return before;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self.output.recv_timeout(left) {
                Ok(bytes) => self.seen.push_str(&String::from_utf8_lossy(&bytes)),
                Err(_) => {
                    let _ = self.child.kill();
                    panic!(
                        "timed out waiting for {text:?}; output so far:\n{}",
                        self.seen
                    );
                }
            }
        }
    }

    fn send(&mut self, keys: &str) {
        self.input.write_all(keys.as_bytes()).expect("write");
        self.input.flush().expect("flush");
    }
}

#[test]
fn a_session_on_a_terminal() {
    if Command::new("script").arg("--version").output().is_err() {
        panic!("util-linux `script` is needed for the pseudo-terminal test");
    }
    let home = scratch("repl-pty");
    let command = format!("{} repl examples/cps.blt", env!("CARGO_BIN_EXE_balletc"));
    let mut pty = Pty::spawn(&command, &home);
    pty.expect("ballet> ");
    pty.send(":goal update\r");
    pty.expect("predicted makespan 7");
    pty.expect("ballet> ");
    // Tab completes `:sta` to `:state` (the only command starting so).
    pty.send(":sta\t");
    pty.expect(":state");
    pty.send("\r");
    let out = pty.expect("ballet> ");
    assert!(out.contains("t = 0, 0 events so far"), "{out}");
    // An open parenthesis asks for another line.
    pty.send("pushB(database,\r");
    pty.send(" interrupt)\r");
    pty.expect("queued pushB(database, interrupt) on site (operator)");
    pty.expect("ballet> ");
    pty.send(":run\r");
    let out = pty.expect("ballet> ");
    // On a terminal the end of the run is coloured.
    assert!(out.contains("\x1b[31mdeadlock at t = 7"), "{out}");
    pty.send(":quit\r");
    let status = pty.child.wait().expect("script ends");
    assert!(status.success(), "{status:?}");
    let history = std::fs::read_to_string(home.join("ballet").join("history"))
        .expect("the history file is written");
    assert!(history.contains(":goal update"), "{history}");
    let _ = std::fs::remove_dir_all(&home);
}
