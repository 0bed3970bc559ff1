//! `balletc build FILE --goal G -o out/`: plans the goal and writes one
//! bytecode file per site (`out/<site>.bltc`), `out/inventory.toml` and
//! `out/model.json` (the program's sources, for `balletc apply`).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use crate::apply::model::ModelSources;
use crate::build::{debug_locations, write_build};
use crate::cli::plan::{planning, GoalArgs};
use crate::cli::report;

/// Arguments of `balletc build`.
#[derive(Args, Debug)]
pub struct BuildArgs {
    #[command(flatten)]
    goal: GoalArgs,
    /// The output directory (created if missing).
    #[arg(short = 'o', long = "out", value_name = "DIR")]
    out: PathBuf,
    /// The first TCP port of `inventory.toml` (sites get consecutive ports).
    #[arg(long, default_value_t = 7400)]
    base_port: u16,
}

/// Runs `balletc build`.
pub fn run(args: BuildArgs) -> ExitCode {
    let (program, planning) = match planning(&args.goal) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let planned = &planning.planned;
    let fail = |e: std::io::Error| {
        report::unwritable(&args.out, &e);
        ExitCode::from(1)
    };
    if let Err(e) = std::fs::create_dir_all(&args.out) {
        return fail(e);
    }
    let debug = debug_locations(&program, &planning.goal, planned);
    match write_build(
        &args.out,
        &planning.analysis.model,
        &planned.plan,
        &planned.problem.start_places,
        &planned.problem.start_connections,
        &debug,
        args.base_port,
    ) {
        Ok(mut paths) => {
            // The model the agents plan with (`balletc apply`).
            if let Some(sources) = ModelSources::of_program(&program) {
                match sources.write(&args.out) {
                    Ok(path) => paths.push(path),
                    Err(e) => return fail(e),
                }
            }
            for p in paths {
                println!("wrote {}", p.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}
