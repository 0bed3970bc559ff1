//! Check → select a goal → (recorded start state) → plan, with every
//! failure turned into a diagnostic: the common front of `balletc plan`,
//! `simulate`, `build` and the REPL.

use ballet_grammar::ast::{self, Item};
use ballet_runtime::recorded::RecordedState;
use ballet_runtime::{Goal, InstanceId, Model, PortId};

use crate::check::{analyze, Analysis, Options};
use crate::codes::Code;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::load::Program;
use crate::plan::problem::Problem;
use crate::plan::site::{Failure, Reason};
use crate::plan::unsat::{minimal_core, restrict};
use crate::plan::{plan, PlanError, Planned};

/// A goal planned from a checked program.
#[derive(Debug)]
pub struct Planning {
    /// The checked program.
    pub analysis: Analysis,
    /// The goal, with the recorded start state applied.
    pub goal: Goal,
    /// The plan.
    pub planned: Planned,
}

/// What went wrong, beyond the diagnostics pushed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failed {
    /// Errors were reported as diagnostics.
    Reported,
    /// The planner broke its own guarantee (a bug): the message says how.
    Internal(String),
}

/// Checks `program` and plans `goal` (the only goal if `None`), starting
/// from `recorded` when given.
pub fn plan_program(
    program: &Program,
    options: &Options,
    goal: Option<&str>,
    recorded: Option<&RecordedState>,
    d: &mut Diagnostics,
) -> Result<Planning, Failed> {
    let (analysis, lowered) = prepare(program, options, goal, recorded, d)?;
    match plan(&analysis.model, &lowered) {
        Ok(planned) => Ok(Planning {
            analysis,
            goal: lowered,
            planned,
        }),
        Err(PlanError::Internal(message)) => Err(Failed::Internal(message)),
        Err(PlanError::Problem(e)) => {
            let diagnostic = Diagnostic::new(Code::E0502, e.message);
            d.push(match goal_decl(program, &lowered.name) {
                Some((file, decl)) => diagnostic.at(file, decl.span, "in this goal"),
                None => diagnostic,
            });
            Err(Failed::Reported)
        }
        Err(PlanError::Infeasible(failure)) => {
            d.push(unreachable_goals(
                program,
                &analysis.model,
                &lowered,
                &failure,
            ));
            Err(Failed::Reported)
        }
    }
}

/// Checks `program` and lowers `goal` (the only goal if `None`), with the
/// recorded start state applied: everything but planning.
pub fn prepare(
    program: &Program,
    options: &Options,
    goal: Option<&str>,
    recorded: Option<&RecordedState>,
    d: &mut Diagnostics,
) -> Result<(Analysis, Goal), Failed> {
    let analysis = analyze(program, options, d);
    if d.has_errors() {
        return Err(Failed::Reported);
    }
    let mut lowered = select_goal(&analysis, goal, d).ok_or(Failed::Reported)?;
    if let Some(state) = recorded {
        apply_recorded(&analysis.model, &mut lowered, state, d);
        if d.has_errors() {
            return Err(Failed::Reported);
        }
    }
    Ok((analysis, lowered))
}

/// The goal called `name`, or the only goal.
fn select_goal(analysis: &Analysis, name: Option<&str>, d: &mut Diagnostics) -> Option<Goal> {
    let names: Vec<&str> = analysis.goals.iter().map(|(n, _)| n.as_str()).collect();
    let chosen = match name {
        Some(name) => name,
        None if names.len() == 1 => names[0],
        None => {
            let message = if names.is_empty() {
                "the file declares no goal".to_string()
            } else {
                format!(
                    "the file declares {} goals: choose one with `--goal` ({})",
                    names.len(),
                    names.join(", ")
                )
            };
            d.push(Diagnostic::new(Code::E0503, message));
            return None;
        }
    };
    match analysis.goal(chosen) {
        Some(g) => Some(g.clone()),
        None => {
            let mut diagnostic = Diagnostic::new(Code::E0503, format!("no goal named `{chosen}`"));
            if !names.is_empty() {
                diagnostic = diagnostic.note(format!("goals: {}", names.join(", ")));
            }
            d.push(diagnostic);
            None
        }
    }
}

/// Replaces the goal's start places with the recorded ones.
fn apply_recorded(model: &Model, goal: &mut Goal, state: &RecordedState, d: &mut Diagnostics) {
    if state.version != ballet_runtime::recorded::VERSION {
        d.push(Diagnostic::new(
            Code::E0504,
            format!(
                "the recorded state has format version {}, this balletc reads version {}",
                state.version,
                ballet_runtime::recorded::VERSION
            ),
        ));
        return;
    }
    for (i, inst) in goal.start.instances.iter().enumerate() {
        let ty = model.ty(inst.ty);
        match state.instances.get(&inst.name) {
            None => d.push(Diagnostic::new(
                Code::E0504,
                format!("`{}` is not in the recorded state", inst.name),
            )),
            Some(rec) => match ty.place_named(&rec.place) {
                Some(p) => goal.start_places[i] = p,
                None => d.push(Diagnostic::new(
                    Code::E0504,
                    format!(
                        "the recorded state puts `{}` at `{}`, which is not a place of `{}`",
                        inst.name, rec.place, ty.name
                    ),
                )),
            },
        }
    }
    for name in state.instances.keys() {
        if goal.start.instance_named(name).is_none() {
            d.push(Diagnostic::new(
                Code::E0504,
                format!(
                    "the recorded state has `{name}`, which the start assembly `{}` does not",
                    goal.start.name
                ),
            ));
        }
    }
}

/// The declaration of goal `name` and its file.
fn goal_decl<'p>(
    program: &'p Program,
    name: &str,
) -> Option<(crate::source::FileId, &'p ast::Goal)> {
    program.files.iter().find_map(|f| {
        f.ast.items.iter().find_map(|item| match item {
            Item::Goal(g) if g.name.text == name => Some((f.id, g)),
            _ => None,
        })
    })
}

/// E0501: a minimal conflicting subset of the goal's lines, and why.
fn unreachable_goals(
    program: &Program,
    model: &Model,
    goal: &Goal,
    failure: &Failure,
) -> Diagnostic {
    let core = minimal_core(model, goal);
    // Explain with the failure of the core alone (the smallest story).
    let failure = if core.is_empty() {
        failure.clone()
    } else {
        match plan(model, &restrict(goal, &core)) {
            Err(PlanError::Infeasible(f)) => f,
            _ => failure.clone(),
        }
    };
    let problem = Problem::new(model, goal).ok();
    let name = |i: InstanceId| {
        problem.as_ref().map_or_else(
            || format!("#{}", i.0),
            |p| p.universe.instances[i.index()].name.clone(),
        )
    };
    let mut diagnostic = Diagnostic::new(
        Code::E0501,
        format!(
            "goal `{}` cannot be reached: {} cannot do everything asked of it",
            goal.name,
            name(failure.instance)
        ),
    );
    if let Some((file, decl)) = goal_decl(program, &goal.name) {
        let mut lines = core.iter();
        if let Some(&first) = lines.next() {
            if let Some(item) = decl.items.get(first as usize) {
                diagnostic = diagnostic.at(file, item.span(), "this goal line...");
            }
            for &line in lines {
                if let Some(item) = decl.items.get(line as usize) {
                    diagnostic = diagnostic.with(file, item.span(), "...conflicts with this one");
                }
            }
        } else {
            diagnostic = diagnostic.at(file, decl.span, "in this goal");
        }
    }
    if let Some(problem) = &problem {
        for line in explain(model, problem, &failure) {
            diagnostic = diagnostic.note(line);
        }
    }
    diagnostic.help("drop or relax one of these goal lines")
}

/// What the failing instance was asked to do, one requirement per line.
pub fn explain(model: &Model, problem: &Problem, failure: &Failure) -> Vec<String> {
    let i = failure.instance;
    let inst = &problem.universe.instances[i.index()];
    let ty = model.ty(inst.ty);
    let name = |j: InstanceId| problem.universe.instances[j.index()].name.as_str();
    let port = |e: ballet_runtime::Endpoint| {
        let t = model.ty(problem.universe.instances[e.instance.index()].ty);
        format!("{}.{}", name(e.instance), t.port(e.port).name)
    };
    let own = &problem.goals[i.index()];
    let mut out = Vec::new();
    for &(b, _) in &own.behaviors {
        out.push(format!(
            "{} must execute `{}`",
            inst.name,
            ty.behavior(b).name
        ));
    }
    if let Some((p, _)) = own.place {
        out.push(format!("{} must end at `{}`", inst.name, ty.place_name(p)));
    }
    for &(p, active, _) in &own.ports {
        out.push(format!(
            "{}.{} must end {}",
            inst.name,
            ty.port(p).name,
            if active { "active" } else { "inactive" }
        ));
    }
    let describe = |p: PortId, r: Reason| {
        match r {
        Reason::ProviderDown(c) => format!(
            "{}.{} must go inactive, because {} goes down",
            inst.name,
            ty.port(p).name,
            port(c.provider)
        ),
        Reason::Disconnected(c) => format!(
            "{}.{} must go inactive, to be disconnected from {}",
            inst.name,
            ty.port(p).name,
            port(c.provider)
        ),
        Reason::UserNeedsIt(c) => format!(
            "{}.{} must end active, because {} uses it after its last down",
            inst.name,
            ty.port(p).name,
            port(c.user)
        ),
        Reason::UserCannotRelease(c) => format!(
            "{}.{} must never go inactive, because {} cannot release it (its own goals leave it no way to)",
            inst.name,
            ty.port(p).name,
            port(c.user)
        ),
    }
    };
    let meet: Vec<String> = failure.meet.iter().map(|&(p, r)| describe(p, r)).collect();
    if meet.len() > 1 {
        out.push(format!(
            "{} (all at the same time, before any of them is used again)",
            meet.join("; ")
        ));
    } else {
        out.extend(meet);
    }
    out.extend(failure.end_active.iter().map(|&(p, r)| describe(p, r)));
    out.extend(failure.keep.iter().map(|&(p, r)| describe(p, r)));
    out.push(format!(
        "no sequence of `{}`'s behaviors from `{}` does all of this",
        ty.name,
        problem.start_places[i.index()].map_or("(added)", |p| ty.place_name(p))
    ));
    out
}
