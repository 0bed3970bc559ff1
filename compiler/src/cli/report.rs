//! Printing diagnostics and process-level errors, the same way for every
//! subcommand: diagnostics on stderr (text, coloured on a terminal only) or
//! stdout (JSON lines); I/O and internal errors through miette.

use std::io::IsTerminal;
use std::path::Path;

use codespan_reporting::term::termcolor::{ColorChoice as TermColor, StandardStream};

use crate::cli::{ColorChoice, Format};
use crate::diagnostic::Diagnostics;
use crate::load::Program;
use crate::render::{json, terminal};

/// Prints every diagnostic and, in text, a summary line naming `file`
/// (when there is something to summarize, or `always`).
pub fn diagnostics(
    file: &Path,
    program: &Program,
    diagnostics: Diagnostics,
    format: Format,
    color: ColorChoice,
    always: bool,
) {
    let list = diagnostics.into_sorted();
    match format {
        Format::Json => print!("{}", json::render(&program.sources, &list)),
        Format::Text => {
            let color = match color {
                ColorChoice::Always => TermColor::Always,
                ColorChoice::Never => TermColor::Never,
                ColorChoice::Auto if std::io::stderr().is_terminal() => TermColor::Auto,
                ColorChoice::Auto => TermColor::Never,
            };
            let mut stderr = StandardStream::stderr(color);
            let _ = terminal::emit(&mut stderr, &program.sources, &list);
            if always || !list.is_empty() {
                eprintln!("{}", terminal::summary(&file.display().to_string(), &list));
            }
        }
    }
}

/// A file that cannot be read.
pub fn unreadable(file: &Path, error: &std::io::Error) {
    let report = miette::miette!(
        code = "balletc::io",
        "cannot read `{}`: {error}",
        file.display()
    );
    eprintln!("{report:?}");
}

/// A file that could not be written (exit code 1 follows).
pub fn unwritable(file: &Path, error: &std::io::Error) {
    let report = miette::miette!(
        code = "balletc::io",
        "cannot write `{}`: {error}",
        file.display()
    );
    eprintln!("{report:?}");
}

/// A broken guarantee of balletc itself.
pub fn internal(message: &str) {
    let report = miette::miette!(
        code = "balletc::internal",
        help = "this is a bug in balletc: please report it with the input file",
        "{message}"
    );
    eprintln!("{report:?}");
}
