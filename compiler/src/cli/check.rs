//! `balletc check FILE`: load, check, report.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use crate::check::{analyze, Options};
use crate::cli::{parse_define, report, ColorChoice, Format};
use crate::diagnostic::Diagnostics;
use crate::load::load_path;

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
            report::unreadable(&args.file, &e);
            return ExitCode::from(1);
        }
    };
    let options = Options {
        defines: args.define,
    };
    analyze(&program, &options, &mut diagnostics);
    let failed = diagnostics.has_errors();
    report::diagnostics(
        &args.file,
        &program,
        diagnostics,
        args.format,
        args.color,
        true,
    );
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
