//! Counterexample traces as text: one line per action, as `balletc verify`
//! prints them, and the trace file that `balletc verify --trace-out` writes
//! and the REPL's `:load-trace` replays.
//!
//! An action line reads like the simulator's events:
//! ```text
//!   1. site master executes pushB(mariadb_master, interrupt)
//!   2. mariadb_master fires deployed: starts interrupt1 (behavior interrupt)
//!   3. mariadb_master ends interrupt1
//!   4. mariadb_master enters registered
//!   5. mariadb_master finishes interrupt
//!   6. site nova_0 reaches dcon(a.p, b.u)
//! ```
//! Replaying never parses an action: in each state it renders every enabled
//! action and takes the one whose text equals the line (the texts of the
//! actions enabled in one state are distinct), so what is printed is exactly
//! what can be loaded.
//!
//! A trace file adds a header: `goal: NAME`, then, for a hand-written plan,
//! its lines each prefixed by `plan: ` (without them the plan is the one
//! the planner makes for the goal); `#` starts a comment line.

use std::fmt::Write;

use ballet_runtime::explore::{enabled_actions, Action};
use ballet_runtime::program::Plan;
use ballet_runtime::semantics::{Step, System};
use ballet_runtime::simulate::{Event, EventKind};
use ballet_runtime::{Cost, Model, TransitionId};

/// `action`, taken in `before` and leading to `after`, in words.
pub fn action_text(
    model: &Model,
    plan: &Plan,
    before: &System,
    after: &System,
    action: Action,
) -> String {
    let u = &plan.universe;
    match action {
        Action::Instruction(s, ins) => {
            let site = &u.sites[s.index()].name;
            let shown = ins.display(model, u);
            if after.pc[s.index()] > before.pc[s.index()] {
                format!("site {site} executes {shown}")
            } else {
                format!("site {site} reaches {shown}")
            }
        }
        Action::Step(i, step) => {
            let name = &u.instances[i.index()].name;
            let ty = model.ty(u.instances[i.index()].ty);
            let state = before.states[i.index()].as_ref();
            let head = state.and_then(|s| s.head());
            match step {
                Step::Fire(p) => {
                    let started: Vec<&str> = after.states[i.index()]
                        .as_ref()
                        .map(|a| {
                            a.running
                                .iter()
                                .filter(|&t| state.is_none_or(|b| !b.running.contains(t)))
                                .map(|t| ty.transitions[t].name.as_str())
                                .collect()
                        })
                        .unwrap_or_default();
                    let behavior = head.map_or("?", |b| ty.behavior(b).name.as_str());
                    format!(
                        "{name} fires {}: starts {} (behavior {behavior})",
                        ty.place_name(p),
                        started.join(", ")
                    )
                }
                Step::End(t) => format!("{name} ends {}", ty.transition(t).name),
                Step::Enter(q) => format!("{name} enters {}", ty.place_name(q)),
                Step::Finish => format!(
                    "{name} finishes {}",
                    head.map_or("?", |b| ty.behavior(b).name.as_str())
                ),
            }
        }
    }
}

/// The trace replayed from `start`: each action's text.
pub fn lines(model: &Model, plan: &Plan, start: &System, trace: &[Action]) -> Vec<String> {
    let mut state = start.clone();
    let mut out = Vec::with_capacity(trace.len());
    for &action in trace {
        let next = enabled_actions(model, plan, &state)
            .into_iter()
            .find(|(a, _)| *a == action)
            .map(|(_, n)| n);
        let Some(next) = next else {
            out.push(format!("(not enabled here) {action:?}"));
            break;
        };
        out.push(action_text(model, plan, &state, &next, action));
        state = next;
    }
    out
}

/// A numbered action line, as printed and as read back.
pub fn numbered(k: usize, text: &str) -> String {
    format!("{:>5}. {text}", k + 1)
}

/// What replaying a trace gives: the state reached, the actions and the
/// simulator events they amount to (all at t = 0: a trace has no
/// durations).
#[derive(Clone, Debug)]
pub struct Replayed {
    /// The state after the last action.
    pub state: System,
    /// The actions, in order.
    pub actions: Vec<Action>,
    /// The same as simulator events.
    pub events: Vec<Event>,
}

/// Replays action lines (numbered or not) from `start`; `Err` names the
/// first line that no enabled action matches, with what was enabled.
pub fn replay(
    model: &Model,
    plan: &Plan,
    start: &System,
    steps: &[String],
) -> Result<Replayed, String> {
    let mut state = start.clone();
    let mut actions = Vec::new();
    let mut events = Vec::new();
    for (k, line) in steps.iter().enumerate() {
        let wanted = strip_number(line);
        let options = enabled_actions(model, plan, &state);
        let texts: Vec<String> = options
            .iter()
            .map(|(a, n)| action_text(model, plan, &state, n, *a))
            .collect();
        let Some(at) = texts.iter().position(|t| t == wanted) else {
            let mut message = format!("step {}: `{wanted}` is not enabled here; enabled:", k + 1);
            if texts.is_empty() {
                message.push_str(" nothing");
            }
            for t in &texts {
                let _ = write!(message, "\n  {t}");
            }
            return Err(message);
        };
        let (action, next) = options.into_iter().nth(at).expect("position is in range");
        events.extend(as_events(&state, &next, action));
        actions.push(action);
        state = next;
    }
    Ok(Replayed {
        state,
        actions,
        events,
    })
}

/// `  12. text` → `text`.
fn strip_number(line: &str) -> &str {
    let line = line.trim();
    match line.split_once(". ") {
        Some((n, rest)) if !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()) => rest.trim(),
        _ => line,
    }
}

/// The simulator events of one action.
fn as_events(before: &System, after: &System, action: Action) -> Vec<Event> {
    let at = |kind| Event {
        time: Cost::ZERO,
        kind,
    };
    match action {
        Action::Instruction(s, ins) if after.pc[s.index()] > before.pc[s.index()] => {
            vec![at(EventKind::Instruction(s, ins))]
        }
        Action::Instruction(..) => Vec::new(),
        Action::Step(i, step) => {
            let b = before.states[i.index()].as_ref();
            let a = after.states[i.index()].as_ref();
            match step {
                Step::Fire(_) => a
                    .map(|a| {
                        a.running
                            .iter()
                            .filter(|&t| b.is_none_or(|b| !b.running.contains(t)))
                            .map(|t| at(EventKind::Start(i, TransitionId::from_index(t))))
                            .collect()
                    })
                    .unwrap_or_default(),
                Step::End(t) => vec![at(EventKind::End(i, t))],
                Step::Enter(q) => vec![at(EventKind::Enter(i, q))],
                Step::Finish => b
                    .and_then(|b| b.head())
                    .map(|h| vec![at(EventKind::Finish(i, h))])
                    .unwrap_or_default(),
            }
        }
    }
}

/// A trace file: the goal, the hand-written plan's lines if any, the steps.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TraceFile {
    /// The goal the trace is a counterexample of.
    pub goal: Option<String>,
    /// The hand-written plan's lines (empty: the planner's plan).
    pub plan: Vec<String>,
    /// The action lines.
    pub steps: Vec<String>,
}

impl TraceFile {
    /// Reads a trace file. Numbered lines are steps; `goal:` and `plan:`
    /// lines the header; `#` lines and blank lines are skipped; anything
    /// else is an error naming the line.
    pub fn parse(text: &str) -> Result<TraceFile, String> {
        let mut file = TraceFile::default();
        for (n, line) in text.lines().enumerate() {
            let t = line.trim();
            if t.is_empty() || t.starts_with('#') {
                continue;
            }
            if let Some(goal) = t.strip_prefix("goal:") {
                file.goal = Some(goal.trim().to_string());
            } else if let Some(p) = t.strip_prefix("plan:") {
                file.plan.push(p.trim().to_string());
            } else if strip_number(t) != t {
                file.steps.push(t.to_string());
            } else {
                return Err(format!(
                    "line {}: expected `goal: NAME`, `plan: ...` or a numbered step like `1. site s executes pushB(c, b)`",
                    n + 1
                ));
            }
        }
        Ok(file)
    }

    /// The file's text, with `comment` lines first.
    pub fn render(&self, comment: &[String]) -> String {
        let mut out = String::new();
        for c in comment {
            let _ = writeln!(out, "# {c}");
        }
        if let Some(goal) = &self.goal {
            let _ = writeln!(out, "goal: {goal}");
        }
        for p in &self.plan {
            let _ = writeln!(out, "plan: {p}");
        }
        for (k, s) in self.steps.iter().enumerate() {
            let _ = writeln!(out, "{}", numbered(k, s).trim_start());
        }
        out
    }
}
