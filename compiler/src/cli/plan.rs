//! `balletc plan FILE --goal G`: per-site programs and a summary.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;

use crate::check::Options;
use crate::cli::{parse_define, report, ColorChoice, Format};
use crate::diagnostic::Diagnostics;
use crate::load::{load_path, Program};
use crate::pipeline::{plan_program, Failed, Planning};
use crate::render;
use crate::verify::{start_state, verify, VerifyOptions};

/// What every planning subcommand takes (`plan`, `simulate`, `build`).
#[derive(Args, Debug, Clone)]
pub struct GoalArgs {
    /// The `.blt` file.
    pub file: PathBuf,
    /// The goal to plan (optional when the file declares exactly one).
    #[arg(long)]
    pub goal: Option<String>,
    /// Override an assembly parameter: `-D n=50`.
    #[arg(short = 'D', value_name = "NAME=VALUE", value_parser = parse_define)]
    pub define: Vec<(String, String)>,
    /// Start from the state a previous run recorded (`.ballet/state.json`).
    #[arg(long, value_name = "STATE.json")]
    pub from_state: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
    /// Colour diagnostics.
    #[arg(long, value_enum, default_value_t)]
    pub color: ColorChoice,
}

/// Arguments of `balletc plan`.
#[derive(Args, Debug)]
pub struct PlanArgs {
    #[command(flatten)]
    goal: GoalArgs,
    /// Also explore every interleaving of the plan and print the verdict
    /// (`balletc verify`); in JSON, adds a `verification` object.
    #[arg(long)]
    verify: bool,
}

/// Loads, checks and plans, reporting failures; `Err` carries the exit code.
pub fn planning(args: &GoalArgs) -> Result<(Program, Planning), ExitCode> {
    let mut diagnostics = Diagnostics::default();
    let program = load_path(&args.file, &mut diagnostics).map_err(|e| {
        report::unreadable(&args.file, &e);
        ExitCode::from(1)
    })?;
    let recorded = match &args.from_state {
        Some(path) => Some(read_state(path)?),
        None => None,
    };
    let options = Options {
        defines: args.define.clone(),
    };
    let result = plan_program(
        &program,
        &options,
        args.goal.as_deref(),
        recorded.as_ref(),
        &mut diagnostics,
    );
    match result {
        Ok(planning) => {
            report::diagnostics(
                &args.file,
                &program,
                diagnostics,
                args.format,
                args.color,
                false,
            );
            Ok((program, planning))
        }
        Err(Failed::Reported) => {
            report::diagnostics(
                &args.file,
                &program,
                diagnostics,
                args.format,
                args.color,
                true,
            );
            Err(ExitCode::from(1))
        }
        Err(Failed::Internal(message)) => {
            report::internal(&message);
            Err(ExitCode::from(1))
        }
    }
}

pub(crate) fn read_state(path: &Path) -> Result<ballet_runtime::recorded::RecordedState, ExitCode> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        report::unreadable(path, &e);
        ExitCode::from(1)
    })?;
    serde_json::from_str(&text).map_err(|e| {
        let report = miette::miette!(
            code = "balletc::state",
            "`{}` is not a recorded state: {e}",
            path.display()
        );
        eprintln!("{report:?}");
        ExitCode::from(1)
    })
}

/// Runs `balletc plan`.
pub fn run(args: PlanArgs) -> ExitCode {
    let (_, planning) = match planning(&args.goal) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let model = &planning.analysis.model;
    let name = &planning.goal.name;
    let planned = &planning.planned;
    let verdict = args.verify.then(|| {
        verify(
            model,
            &planned.problem,
            &planning.goal,
            &planned.plan,
            &VerifyOptions::default(),
        )
    });
    let start = start_state(model, &planned.problem, &planned.plan);
    match args.goal.format {
        Format::Text => {
            print!("{}", render::plan::text(model, name, planned, true));
            if let Some(v) = &verdict {
                println!();
                print!(
                    "{}",
                    render::verdict::text(model, name, &planned.plan, &start, v, true)
                );
            }
        }
        Format::Json => {
            let mut out = render::plan::json(model, name, planned);
            if let (Some(v), Some(object)) = (&verdict, out.as_object_mut()) {
                object.insert(
                    "verification".into(),
                    render::verdict::json(model, &planned.plan, &start, v),
                );
            }
            println!("{out}");
        }
    }
    match verdict {
        Some(v) if !v.verified() => ExitCode::from(1),
        _ => ExitCode::SUCCESS,
    }
}
