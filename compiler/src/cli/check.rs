//! `balletc check FILE`: load, check, report.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use codespan_reporting::term::termcolor::{ColorChoice as TermColor, StandardStream};

use crate::check::{analyze, Options};
use crate::cli::{parse_define, ColorChoice, Format};
use crate::diagnostic::Diagnostics;
use crate::load::load_path;
use crate::render::{json, terminal};

/// Arguments of `balletc check`.
#[derive(Args, Debug)]
pub struct CheckArgs {
    /// The `.blt` file to check.
    file: PathBuf,
    /// Override an assembly parameter: `-D n=50`.
    #[arg(short = 'D', value_name = "NAME=VALUE", value_parser = parse_define)]
    define: Vec<(String, String)>,
    /// Output format: `text` (rustc-like) or `json` (one object per diagnostic and line).
    #[arg(long, value_enum, default_value_t)]
    format: Format,
    /// Colour the text output.
    #[arg(long, value_enum, default_value_t)]
    color: ColorChoice,
}

/// Runs `balletc check`.
pub fn run(args: CheckArgs) -> ExitCode {
    let mut diagnostics = Diagnostics::default();
    let program = match load_path(&args.file, &mut diagnostics) {
        Ok(p) => p,
        Err(e) => {
            let report = miette::miette!(
                code = "balletc::io",
                "cannot read `{}`: {e}",
                args.file.display()
            );
            eprintln!("{report:?}");
            return ExitCode::from(1);
        }
    };
    let options = Options {
        defines: args.define,
    };
    analyze(&program, &options, &mut diagnostics);
    let failed = diagnostics.has_errors();
    let list = diagnostics.into_sorted();
    match args.format {
        Format::Json => print!("{}", json::render(&program.sources, &list)),
        Format::Text => {
            let color = match args.color {
                ColorChoice::Always => TermColor::Always,
                ColorChoice::Never => TermColor::Never,
                ColorChoice::Auto if std::io::stderr().is_terminal() => TermColor::Auto,
                ColorChoice::Auto => TermColor::Never,
            };
            let mut stderr = StandardStream::stderr(color);
            let _ = terminal::emit(&mut stderr, &program.sources, &list);
            eprintln!(
                "{}",
                terminal::summary(&args.file.display().to_string(), &list)
            );
        }
    }
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
