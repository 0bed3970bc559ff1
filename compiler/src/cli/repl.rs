//! `balletc repl [FILE]`: the terminal around [`crate::repl::Session`].
//!
//! On a terminal: rustyline with history (`$XDG_STATE_HOME/ballet/history`,
//! else `~/.ballet_history`; errors ignored), tab completion from the
//! session, more lines while a `(` is open, and colours. Otherwise lines
//! are read from standard input and only the outputs are printed: no
//! prompt, no escape codes.

use std::borrow::Cow;
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use rustyline::completion::Completer;
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::history::DefaultHistory;
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{Context, Editor, Helper};

use crate::cli::parse_define;
use crate::repl::complete::complete;
use crate::repl::{is_complete, is_quit, Session};

/// Arguments of `balletc repl`.
#[derive(Args, Debug)]
pub struct ReplArgs {
    /// A `.blt` file to load first.
    file: Option<PathBuf>,
    /// Set an assembly parameter before loading: `-D n=5`.
    #[arg(short = 'D', value_name = "NAME=VALUE", value_parser = parse_define)]
    define: Vec<(String, String)>,
}

/// Runs `balletc repl`.
pub fn run(args: ReplArgs) -> ExitCode {
    let mut session = Session::new(".");
    let mut first = Vec::new();
    for (name, value) in &args.define {
        first.push(format!(":set {name}={value}"));
    }
    if let Some(file) = &args.file {
        first.push(format!(":load {}", file.display()));
    }
    let terminal = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    let colour = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    for line in &first {
        print_output(&session.eval(line), colour);
    }
    if terminal {
        interactive(session, colour)
    } else {
        piped(&mut session, colour)
    }
}

/// Reads standard input line by line, joining lines while a `(` is open.
fn piped(session: &mut Session, colour: bool) -> ExitCode {
    let mut pending = String::new();
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        if !pending.is_empty() {
            pending.push(' ');
        }
        pending.push_str(&line);
        if !is_complete(&pending) {
            continue;
        }
        let input = std::mem::take(&mut pending);
        if is_quit(&input) {
            return ExitCode::SUCCESS;
        }
        print_output(&session.eval(&input), colour);
    }
    if !pending.trim().is_empty() {
        print_output(&session.eval(&pending), colour);
    }
    ExitCode::SUCCESS
}

fn interactive(session: Session, colour: bool) -> ExitCode {
    let mut editor: Editor<ReplHelper, DefaultHistory> = match Editor::new() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("balletc repl: cannot open the terminal: {e}");
            return ExitCode::from(1);
        }
    };
    editor.set_helper(Some(ReplHelper { session }));
    let history = history_path();
    if let Some(path) = &history {
        let _ = editor.load_history(path);
    }
    println!("balletc repl: `:help` lists the commands, Ctrl-D leaves");
    loop {
        match editor.readline("ballet> ") {
            Ok(line) => {
                if !line.trim().is_empty() {
                    let _ = editor.add_history_entry(line.as_str());
                }
                if is_quit(&line) {
                    break;
                }
                let Some(helper) = editor.helper_mut() else {
                    break;
                };
                print_output(&helper.session.eval(&line), colour);
            }
            Err(ReadlineError::Interrupted) => continue,
            Err(_) => break,
        }
    }
    if let Some(path) = &history {
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let _ = editor.save_history(path);
    }
    ExitCode::SUCCESS
}

/// `$XDG_STATE_HOME/ballet/history`, else `~/.ballet_history`.
fn history_path() -> Option<PathBuf> {
    let nonempty = |v: &str| std::env::var_os(v).filter(|s| !s.is_empty());
    if let Some(state) = nonempty("XDG_STATE_HOME") {
        return Some(PathBuf::from(state).join("ballet").join("history"));
    }
    nonempty("HOME").map(|home| PathBuf::from(home).join(".ballet_history"))
}

/// Prints the session's output, colouring errors red, breakpoint stops
/// yellow and the end of a run green or red, on a terminal only.
fn print_output(text: &str, colour: bool) {
    let mut stdout = std::io::stdout().lock();
    for line in text.lines() {
        let code = if !colour {
            None
        } else if line.starts_with("error:") || line.starts_with("deadlock") {
            Some("31")
        } else if line.starts_with("stopped at breakpoint") {
            Some("33")
        } else if line.starts_with("done:") {
            Some("32")
        } else {
            None
        };
        let _ = match code {
            Some(code) => writeln!(stdout, "\x1b[{code}m{line}\x1b[0m"),
            None => writeln!(stdout, "{line}"),
        };
    }
    let _ = stdout.flush();
}

/// rustyline's view of the session: completion and multi-line input.
struct ReplHelper {
    session: Session,
}

impl Completer for ReplHelper {
    type Candidate = String;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<String>)> {
        Ok(complete(&self.session, line, pos))
    }
}

impl Hinter for ReplHelper {
    type Hint = String;
}

impl Highlighter for ReplHelper {
    fn highlight<'l>(&self, line: &'l str, _pos: usize) -> Cow<'l, str> {
        Cow::Borrowed(line)
    }
}

impl Validator for ReplHelper {
    fn validate(&self, ctx: &mut ValidationContext) -> rustyline::Result<ValidationResult> {
        Ok(if is_complete(ctx.input()) {
            ValidationResult::Valid(None)
        } else {
            ValidationResult::Incomplete
        })
    }
}

impl Helper for ReplHelper {}
