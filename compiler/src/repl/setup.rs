//! The commands that set a session up: `:load FILE`, `:goal NAME` and
//! `:set NAME=VALUE` (a changed value replans the chosen goal).

use std::fmt::Write;

use crate::check::{analyze, Options};
use crate::diagnostic::Diagnostics;
use crate::load::load_path;
use crate::pipeline::{plan_program, Failed};
use crate::render::terminal::render_plain;
use crate::repl::run::Run;
use crate::repl::{plural, Loaded, Session};

impl Session {
    pub(super) fn load(&mut self, arg: &str) -> Result<String, String> {
        if arg.is_empty() {
            return Err("`:load` needs a file: `:load examples/cps.blt`".into());
        }
        let path = self.path(arg);
        let mut d = Diagnostics::default();
        let program = load_path(&path, &mut d).map_err(|e| format!("cannot read `{arg}`: {e}"))?;
        let options = Options {
            defines: self.defines.clone(),
        };
        let analysis = analyze(&program, &options, &mut d);
        let has_errors = d.has_errors();
        let mut out = render_plain(&program.sources, &d.into_sorted());
        self.run = None;
        self.loaded = None;
        self.goal = None;
        if has_errors {
            out.push_str(&format!("error: `{arg}` has errors: nothing loaded\n"));
            return Ok(out);
        }
        let goals: Vec<String> = analysis.goals.iter().map(|(n, _)| n.clone()).collect();
        let _ = writeln!(
            out,
            "loaded {arg}: {} goal{} ({})",
            goals.len(),
            plural(goals.len()),
            goals.join(", ")
        );
        let only = (goals.len() == 1).then(|| goals[0].clone());
        self.loaded = Some(Loaded {
            shown: arg.to_string(),
            program,
            goals,
        });
        if let Some(goal) = only {
            out.push_str(&self.goal(&goal)?);
        }
        Ok(out)
    }

    pub(super) fn goal(&mut self, arg: &str) -> Result<String, String> {
        let loaded = self
            .loaded
            .as_ref()
            .ok_or("nothing loaded: `:load FILE` first")?;
        if arg.is_empty() {
            let current = self.run.as_ref().map(|r| r.goal.as_str());
            let mut out = String::new();
            for g in &loaded.goals {
                let mark = if Some(g.as_str()) == current {
                    " (planned)"
                } else {
                    ""
                };
                let _ = writeln!(out, "  {g}{mark}");
            }
            return Ok(out);
        }
        if loaded.goals.iter().any(|g| g == arg) {
            self.goal = Some(arg.to_string());
        }
        let options = Options {
            defines: self.defines.clone(),
        };
        let mut d = Diagnostics::default();
        let result = plan_program(&loaded.program, &options, Some(arg), None, &mut d);
        let rendered = render_plain(&loaded.program.sources, &d.into_sorted());
        match result {
            Ok(planning) => {
                let goal = planning.goal.name.clone();
                let m = planning.planned.metrics;
                let run = Run::new(planning.analysis.model, goal.clone(), planning.planned);
                let mut out = rendered;
                let _ = writeln!(
                    out,
                    "planned goal `{goal}`: {} sites, {} instances, {} instructions, predicted makespan {}",
                    m.sites,
                    m.instances,
                    m.instructions,
                    run.planned.run.makespan
                );
                let _ = writeln!(
                    out,
                    "at t = 0 (`:plan` shows the programs, `:step` advances)"
                );
                self.run = Some(run);
                Ok(out)
            }
            Err(Failed::Reported) => {
                self.run = None;
                Ok(format!("{rendered}error: goal `{arg}` was not planned\n"))
            }
            Err(Failed::Internal(message)) => {
                self.run = None;
                Err(format!("internal error while planning: {message}"))
            }
        }
    }

    pub(super) fn set(&mut self, arg: &str) -> Result<String, String> {
        if arg.is_empty() {
            let mut out = String::new();
            for (n, v) in &self.defines {
                let _ = writeln!(out, "  {n}={v}");
            }
            if out.is_empty() {
                out.push_str("no parameter set\n");
            }
            return Ok(out);
        }
        let (name, value) = arg
            .split_once('=')
            .map(|(n, v)| (n.trim(), v.trim()))
            .filter(|(n, v)| !n.is_empty() && !v.is_empty())
            .ok_or_else(|| format!("`{arg}` is not NAME=VALUE"))?;
        self.defines.retain(|(n, _)| n != name);
        self.defines.push((name.to_string(), value.to_string()));
        let mut out = format!("{name}={value}\n");
        if let Some(goal) = self.goal.clone() {
            out.push_str(&self.goal(&goal)?);
        }
        Ok(out)
    }
}
