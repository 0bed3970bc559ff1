//! `balletc dump FILE.bltc`: the disassembly of a site's bytecode file.

use std::path::PathBuf;
use std::process::ExitCode;

use ballet_runtime::bytecode::{decode, disassemble};
use clap::Args;

/// Arguments of `balletc dump`.
#[derive(Args, Debug)]
pub struct DumpArgs {
    /// The `.bltc` file written by `balletc build`.
    file: PathBuf,
}

/// Runs `balletc dump`: the disassembly on stdout, or an error on stderr and
/// exit code 1 for a file that cannot be read or does not load.
pub fn run(args: DumpArgs) -> ExitCode {
    let shown = args.file.display();
    let bytes = match std::fs::read(&args.file) {
        Ok(b) => b,
        Err(e) => {
            let report = miette::miette!(code = "balletc::io", "cannot read `{shown}`: {e}");
            eprintln!("{report:?}");
            return ExitCode::from(1);
        }
    };
    match decode(&bytes) {
        Ok(image) => {
            print!("{}", disassemble(&image));
            ExitCode::SUCCESS
        }
        Err(e) => {
            let report = miette::miette!(code = "balletc::bytecode", "cannot load `{shown}`: {e}");
            eprintln!("{report:?}");
            ExitCode::from(1)
        }
    }
}
