//! `balletc explain CODE`: the long explanation of a diagnostic code.

use std::process::ExitCode;

use clap::Args;

use crate::codes::Code;

/// Arguments of `balletc explain`.
#[derive(Args, Debug)]
pub struct ExplainArgs {
    /// A diagnostic code such as E0203 or W0001; `list` prints them all.
    code: String,
}

/// Runs `balletc explain`.
pub fn run(args: ExplainArgs) -> ExitCode {
    if args.code == "list" {
        for code in Code::ALL {
            println!("{code}  {}", code.title());
        }
        return ExitCode::SUCCESS;
    }
    match Code::parse(&args.code) {
        Some(code) => {
            println!("{code}: {}\n\n{}", code.title(), code.explanation());
            ExitCode::SUCCESS
        }
        None => {
            eprintln!(
                "error: `{}` is not a diagnostic code (try `balletc explain list`)",
                args.code
            );
            ExitCode::from(2)
        }
    }
}
