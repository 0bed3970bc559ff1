//! `balletc fmt [--check] FILE...`: rewrite files in the canonical layout.

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use codespan_reporting::term::termcolor::{ColorChoice as TermColor, StandardStream};

use crate::atomic::write_atomically;
use crate::cli::ColorChoice;
use crate::fmt::format;
use crate::render::terminal;
use crate::source::Sources;
use crate::syntax::syntax_diagnostic;

/// Arguments of `balletc fmt`.
#[derive(Args, Debug)]
pub struct FmtArgs {
    /// The `.blt` files to format in place. `-` (or no file at all) formats
    /// standard input to standard output.
    files: Vec<PathBuf>,
    /// Write nothing: list the files that are not formatted and exit with 1
    /// if there is any.
    #[arg(long)]
    check: bool,
    /// Colour the syntax errors of files that do not parse.
    #[arg(long, value_enum, default_value_t)]
    color: ColorChoice,
}

/// What happened to one input.
enum Outcome {
    /// Already formatted.
    Unchanged,
    /// Rewritten, or (with `--check`) would be.
    Changed,
    /// Not formatted: unreadable, or syntax errors (already reported).
    Failed,
}

/// Runs `balletc fmt`.
pub fn run(args: FmtArgs) -> ExitCode {
    let stdin_only = args.files.is_empty();
    let mut failed = false;
    let mut changed = false;
    let inputs: Vec<Option<&Path>> = if stdin_only {
        vec![None]
    } else {
        args.files
            .iter()
            .map(|f| (f.as_os_str() != "-").then_some(f.as_path()))
            .collect()
    };
    for input in inputs {
        let outcome = match input {
            Some(path) => format_file(&args, path),
            None => format_stdin(&args),
        };
        match outcome {
            Outcome::Unchanged => {}
            Outcome::Changed => changed = true,
            Outcome::Failed => failed = true,
        }
    }
    if failed || (args.check && changed) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn format_file(args: &FmtArgs, path: &Path) -> Outcome {
    let shown = path.display().to_string();
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) => {
            eprintln!("error: cannot read `{shown}`: {e}");
            return Outcome::Failed;
        }
    };
    let Some(formatted) = format_or_report(args, &shown, &text) else {
        return Outcome::Failed;
    };
    if formatted == text {
        return Outcome::Unchanged;
    }
    if args.check {
        println!("{shown}");
        return Outcome::Changed;
    }
    match write_atomically(path, formatted.as_bytes()) {
        Ok(()) => Outcome::Changed,
        Err(e) => {
            eprintln!("error: cannot write `{shown}`: {e}");
            Outcome::Failed
        }
    }
}

fn format_stdin(args: &FmtArgs) -> Outcome {
    let mut text = String::new();
    if let Err(e) = std::io::stdin().read_to_string(&mut text) {
        eprintln!("error: cannot read standard input: {e}");
        return Outcome::Failed;
    }
    let Some(formatted) = format_or_report(args, "<stdin>", &text) else {
        return Outcome::Failed;
    };
    if args.check {
        if formatted == text {
            return Outcome::Unchanged;
        }
        println!("<stdin>");
        return Outcome::Changed;
    }
    let mut stdout = std::io::stdout().lock();
    if stdout
        .write_all(formatted.as_bytes())
        .and_then(|()| stdout.flush())
        .is_err()
    {
        return Outcome::Failed;
    }
    Outcome::Unchanged
}

/// The formatted text, or `None` after printing the syntax errors that keep
/// `text` from being formatted.
fn format_or_report(args: &FmtArgs, name: &str, text: &str) -> Option<String> {
    match format(text) {
        Ok(formatted) => Some(formatted),
        Err(errors) => {
            let mut sources = Sources::new();
            let id = sources.add(name, text);
            let list: Vec<_> = errors.iter().map(|e| syntax_diagnostic(id, e)).collect();
            let color = match args.color {
                ColorChoice::Always => TermColor::Always,
                ColorChoice::Never => TermColor::Never,
                ColorChoice::Auto if std::io::stderr().is_terminal() => TermColor::Auto,
                ColorChoice::Auto => TermColor::Never,
            };
            let _ = terminal::emit(&mut StandardStream::stderr(color), &sources, &list);
            eprintln!("{name}: not formatted (syntax errors)");
            None
        }
    }
}
