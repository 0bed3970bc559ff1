//! A hand-written plan (`--plan FILE` of `balletc simulate` and `balletc
//! verify`): the file is checked, the goal lowered (its start assembly gives
//! the universe and the start state) and the plan parsed over it
//! (`plan/text.rs`).

use std::path::Path;
use std::process::ExitCode;

use ballet_runtime::program::{Plan, Universe};
use ballet_runtime::{Goal, Model, PlaceId};

use crate::check::Options;
use crate::cli::plan::GoalArgs;
use crate::cli::report;
use crate::diagnostic::Diagnostics;
use crate::pipeline::{prepare, Failed};

/// A hand-written plan with what it runs against.
pub struct Given {
    /// The lowered types.
    pub model: Model,
    /// The goal (its start assembly is the plan's universe).
    pub goal: Goal,
    /// The plan.
    pub plan: Plan,
    /// Where each instance starts.
    pub start: Vec<Option<PlaceId>>,
    /// The plan file's text.
    pub text: String,
}

/// Loads `args.file`, lowers the goal and parses the plan at `path`;
/// failures are reported and become exit code 1.
pub fn given_plan(args: &GoalArgs, path: &Path) -> Result<Given, ExitCode> {
    let mut diagnostics = Diagnostics::default();
    let program = crate::load::load_path(&args.file, &mut diagnostics).map_err(|e| {
        report::unreadable(&args.file, &e);
        ExitCode::from(1)
    })?;
    let options = Options {
        defines: args.define.clone(),
    };
    let prepared = prepare(
        &program,
        &options,
        args.goal.as_deref(),
        None,
        &mut diagnostics,
    );
    let failed = prepared.is_err();
    report::diagnostics(
        &args.file,
        &program,
        diagnostics,
        args.format,
        args.color,
        failed,
    );
    let (analysis, goal) = match prepared {
        Ok(p) => p,
        Err(Failed::Internal(m)) => {
            report::internal(&m);
            return Err(ExitCode::from(1));
        }
        Err(Failed::Reported) => return Err(ExitCode::from(1)),
    };
    let text = std::fs::read_to_string(path).map_err(|e| {
        report::unreadable(path, &e);
        ExitCode::from(1)
    })?;
    let universe = Universe {
        sites: goal.start.sites.clone(),
        instances: goal.start.instances.clone(),
    };
    let plan = crate::plan::text::parse_plan(&analysis.model, &universe, &text).map_err(|e| {
        eprintln!(
            "{:?}",
            miette::miette!(code = "balletc::plan", "`{}`: {e}", path.display())
        );
        ExitCode::from(1)
    })?;
    let start = goal.start_places.iter().map(|&p| Some(p)).collect();
    Ok(Given {
        model: analysis.model,
        goal,
        plan,
        start,
        text,
    })
}
