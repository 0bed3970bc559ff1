//! `:load-trace FILE`: replays a counterexample of `balletc verify` (the
//! file `--trace-out` writes, or the printed numbered action lines saved to
//! a file) action by action, so that `:state`, `:why` and `:step` look at
//! and continue from the state it reaches.
//!
//! The trace names its goal (planned here if it is not the current one) and,
//! for a hand-written plan, carries the plan's lines: the run then uses that
//! plan instead of the planner's. Without a `goal:` line the current goal's
//! plan is used. Each action line must match an action enabled at that
//! point (`verify/trace.rs`): a trace of another plan is refused at its first
//! mismatch, with what was enabled instead.

use std::fmt::Write;

use crate::check::Options;
use crate::diagnostic::Diagnostics;
use crate::pipeline::prepare;
use crate::render::terminal::render_plain;
use crate::repl::run::Run;
use crate::repl::{show, Session};
use crate::verify::trace::{replay, TraceFile};

impl Session {
    pub(super) fn load_trace(&mut self, arg: &str) -> Result<String, String> {
        if arg.is_empty() {
            return Err("`:load-trace` needs a file: `:load-trace deadlock.trace`".into());
        }
        let text = std::fs::read_to_string(self.path(arg))
            .map_err(|e| format!("cannot read `{arg}`: {e}"))?;
        let file = TraceFile::parse(&text).map_err(|e| format!("`{arg}`: {e}"))?;
        let mut out = String::new();
        let goal = match (&file.goal, &self.run) {
            (Some(g), _) => g.clone(),
            (None, Some(run)) => run.goal.clone(),
            (None, None) => return Err(self.planned().err().unwrap_or_default()),
        };
        if file.plan.is_empty() {
            if self.run.as_ref().is_none_or(|r| r.goal != goal) {
                let planned = self.goal(&goal)?;
                out.push_str(&planned);
                if self.run.is_none() {
                    return Ok(out);
                }
            }
        } else {
            self.run = Some(self.given_run(&goal, &file.plan.join("\n"))?);
            self.goal = Some(goal.clone());
            let _ = writeln!(out, "goal `{goal}` with the trace's hand-written plan");
        }
        let run = self.planned_mut()?;
        let start = run.start();
        let replayed = replay(&run.model, &run.plan, &start, &file.steps)
            .map_err(|e| format!("`{arg}`: {e}"))?;
        let events = replayed.events.len();
        run.load_prefix(replayed.state, replayed.events);
        let _ = writeln!(
            out,
            "replayed {arg}: {} action{}, {events} event{} (at t = 0: a trace has no durations)",
            replayed.actions.len(),
            crate::repl::plural(replayed.actions.len()),
            crate::repl::plural(events),
        );
        let _ = writeln!(out, "{}", show::status(run));
        Ok(out)
    }

    /// A run of `goal` with the hand-written plan `text`.
    fn given_run(&self, goal: &str, text: &str) -> Result<Run, String> {
        let loaded = self
            .loaded
            .as_ref()
            .ok_or("nothing loaded: `:load FILE` first")?;
        let options = Options {
            defines: self.defines.clone(),
        };
        let mut d = Diagnostics::default();
        let prepared = prepare(&loaded.program, &options, Some(goal), None, &mut d);
        let (analysis, lowered) = prepared.map_err(|_| {
            let rendered = render_plain(&loaded.program.sources, &d.into_sorted());
            format!("{rendered}goal `{goal}` cannot be set up")
        })?;
        let universe = ballet_runtime::program::Universe {
            sites: lowered.start.sites.clone(),
            instances: lowered.start.instances.clone(),
        };
        let plan = crate::plan::text::parse_plan(&analysis.model, &universe, text)
            .map_err(|e| format!("the trace's plan: {e}"))?;
        let planned = crate::plan::given(&analysis.model, &lowered, plan)?;
        Ok(Run::new(analysis.model, goal.to_string(), planned))
    }
}
