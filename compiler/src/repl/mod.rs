//! The REPL core (`balletc repl`): a [`Session`] takes one input line and
//! returns the text to show. No terminal here: the front end
//! (`cli/repl.rs`) adds line editing, history, completion and colours, and
//! tests drive [`Session::eval`] directly.
//!
//! A session holds the loaded program, the `-D` values, the chosen goal, its
//! plan and a stepping simulation of it ([`run::Run`], on the one event loop
//! of `ballet_runtime::simulate`). Lines starting with `:` are commands;
//! other lines are instructions that act on the simulated system through
//! the operator's pseudo-site (see [`run`]). `:load-trace` replays a
//! verifier's counterexample (see `trace.rs`).

pub mod breakpoint;
pub mod complete;
pub mod run;
mod setup;
pub mod show;
mod trace;
pub mod typed;
pub mod why;

use std::fmt::Write;
use std::path::{Path, PathBuf};

use crate::atomic::write_atomically;
use crate::load::Program;
use crate::render::gantt::gantt_svg;

use breakpoint::Breakpoint;
use run::{Run, Stop};

/// Every command with its one-line help, in the order `:help` lists them.
pub const COMMANDS: [(&str, &str); 19] = [
    (":load", ":load FILE            load and check a .blt file"),
    (":goal", ":goal [NAME]          plan a goal (without NAME: list the goals)"),
    (":set", ":set [NAME=VALUE]     set an assembly parameter and replan (without: list them)"),
    (":plan", ":plan                 the per-site programs"),
    (":step", ":step [N]             advance the simulation by one event (or N)"),
    (":run", ":run                  run to the end or the next breakpoint"),
    (":back", ":back [N]             go back one event (or N), by replaying from the start"),
    (":break", ":break [I.B | site S] stop when instance I starts behavior B, or site S executes an instruction (without: list)"),
    (":clear", ":clear                remove every breakpoint"),
    (":state", ":state [INSTANCE]     every instance, or one in detail (marking, queue, ports)"),
    (":sites", ":sites                every site's progress and head instruction"),
    (":program", ":program SITE         a site's program, the current instruction marked >"),
    (":why", ":why INSTANCE         what an instance waits for, and on whom"),
    (":gantt", ":gantt FILE.svg       write the Gantt chart of the whole run (to its end)"),
    (":load-trace", ":load-trace FILE      replay a counterexample of `balletc verify` (--trace-out), then :state, :why, :step from there"),
    (":restart", ":restart              back to t = 0, dropping typed instructions and a loaded trace"),
    (":events", ":events               every event so far"),
    (":help", ":help                 this list"),
    (":quit", ":quit                 leave (also Ctrl-D)"),
];

const INSTRUCTION_HELP: &str = "\
Instructions typed at the prompt act on the simulated system: pushB(I, B), wait(I, B[, K]),
add(I, TYPE), del(I), con(P.PORT, U.PORT), dcon(P.PORT, U.PORT). They form the program of a
pseudo-site, (operator), executed after the plan's sites under the same preconditions (a typed
wait blocks until its push has finished); their effect shows at the next steps.";

/// The loaded file.
#[derive(Debug)]
struct Loaded {
    /// As the user named it (for messages and chart titles).
    shown: String,
    program: Program,
    goals: Vec<String>,
}

/// One REPL session: everything the commands act on.
#[derive(Debug)]
pub struct Session {
    /// Relative paths are resolved against it.
    dir: PathBuf,
    loaded: Option<Loaded>,
    defines: Vec<(String, String)>,
    /// The goal chosen last (kept when replanning it fails, so a `:set`
    /// can repair it).
    goal: Option<String>,
    run: Option<Run>,
    breakpoints: Vec<Breakpoint>,
}

/// Whether `input` is complete: every `(` closed. The front end asks for
/// more lines while it is not.
pub fn is_complete(input: &str) -> bool {
    let open = input.chars().filter(|&c| c == '(').count();
    let close = input.chars().filter(|&c| c == ')').count();
    open <= close
}

/// Whether `line` asks to leave.
pub fn is_quit(line: &str) -> bool {
    matches!(line.trim(), ":quit" | ":q" | ":exit")
}

impl Session {
    /// A session resolving relative paths against `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Session {
        Session {
            dir: dir.into(),
            loaded: None,
            defines: Vec::new(),
            goal: None,
            run: None,
            breakpoints: Vec::new(),
        }
    }

    /// The run in progress, if a goal is planned.
    pub fn run(&self) -> Option<&Run> {
        self.run.as_ref()
    }

    /// The goals of the loaded file.
    pub fn goals(&self) -> &[String] {
        self.loaded.as_ref().map_or(&[], |l| l.goals.as_slice())
    }

    /// Evaluates one (complete) input and returns the text to show, each
    /// line ending with a newline (empty when there is nothing to say).
    /// Errors start with `error: `. Never panics.
    pub fn eval(&mut self, input: &str) -> String {
        let line = input.trim();
        if line.is_empty() || line.starts_with('#') {
            return String::new();
        }
        if !is_complete(line) {
            return "error: unbalanced parentheses: a `(` is not closed\n".into();
        }
        let result = if let Some(command) = line.strip_prefix(':') {
            let (name, arg) = command
                .split_once(char::is_whitespace)
                .map_or((command, ""), |(n, a)| (n, a.trim()));
            self.command(name, arg)
        } else if typed::looks_like_instruction(line) {
            self.instruction(line)
        } else {
            Err(format!(
                "`{line}` is neither a command (`:help` lists them) nor an instruction like `pushB(db, update)`"
            ))
        };
        match result {
            Ok(text) => text,
            Err(message) => format!("error: {message}\n"),
        }
    }

    fn command(&mut self, name: &str, arg: &str) -> Result<String, String> {
        match name {
            "help" | "h" | "?" => Ok(help()),
            "load" => self.load(arg),
            "goal" => self.goal(arg),
            "set" => self.set(arg),
            "plan" => self.plan(),
            "step" => self.step(arg),
            "run" => self.forward(usize::MAX, true),
            "back" => self.back(arg),
            "restart" => self.restart(),
            "break" => self.break_at(arg),
            "clear" => {
                let n = self.breakpoints.len();
                self.breakpoints.clear();
                Ok(format!("removed {n} breakpoint{}\n", plural(n)))
            }
            "state" => self.state(arg),
            "sites" => Ok(show::sites(self.planned()?)),
            "program" => self.program(arg),
            "why" => self.why(arg),
            "gantt" => self.gantt(arg),
            "load-trace" => self.load_trace(arg),
            "events" => {
                let run = self.planned()?;
                let mut out = String::new();
                for (k, e) in run.events().iter().enumerate() {
                    let _ = writeln!(out, "{}", show::event(run, k + 1, e));
                }
                let _ = writeln!(out, "{}", show::status(run));
                Ok(out)
            }
            "quit" | "q" | "exit" => Ok(String::new()),
            other => {
                let names = COMMANDS.iter().map(|(c, _)| &c[1..]);
                Err(match crate::suggest::closest(other, names) {
                    Some(best) => format!("unknown command `:{other}` (did you mean `:{best}`?)"),
                    None => format!("unknown command `:{other}` (`:help` lists the commands)"),
                })
            }
        }
    }

    fn planned(&self) -> Result<&Run, String> {
        self.run.as_ref().ok_or_else(|| match &self.loaded {
            None => "nothing loaded: `:load FILE` first, then `:goal NAME`".to_string(),
            Some(l) => format!(
                "no goal planned: `:goal NAME` first (goals of {}: {})",
                l.shown,
                l.goals.join(", ")
            ),
        })
    }

    fn planned_mut(&mut self) -> Result<&mut Run, String> {
        self.planned()?;
        self.run.as_mut().ok_or_else(String::new)
    }

    fn path(&self, arg: &str) -> PathBuf {
        let p = Path::new(arg);
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.dir.join(p)
        }
    }

    fn plan(&self) -> Result<String, String> {
        let run = self.planned()?;
        let mut out = crate::render::plan::text(&run.model, &run.goal, &run.planned, false);
        let op = run.operator();
        if !run.plan.programs[op.index()].is_empty() {
            out.push('\n');
            out.push_str(&show::program(run, op));
        }
        Ok(out)
    }

    fn step(&mut self, arg: &str) -> Result<String, String> {
        let n = count(arg)?;
        self.forward(n, false)
    }

    /// Takes `n` events (stopping at breakpoints when `breaks`), listing them.
    fn forward(&mut self, n: usize, breaks: bool) -> Result<String, String> {
        let breakpoints = self.breakpoints.clone();
        let run = self.planned_mut()?;
        let first = run.events().len();
        let (events, stop) = run.forward(n, &mut |run, _| {
            if !breaks {
                return None;
            }
            let index = run.events().len() - 1;
            breakpoints.iter().position(|b| b.hit(run, index))
        });
        let mut out = String::new();
        if events.is_empty() && stop == Stop::End {
            let _ = writeln!(out, "nothing happens any more");
        }
        for (k, e) in events.iter().enumerate() {
            let _ = writeln!(out, "{}", show::event(run, first + k + 1, e));
        }
        if let Stop::Breakpoint(b) = stop {
            let _ = writeln!(out, "stopped at breakpoint {}", breakpoints[b].describe());
        }
        let _ = writeln!(out, "{}", show::status(run));
        Ok(out)
    }

    fn back(&mut self, arg: &str) -> Result<String, String> {
        let n = count(arg)?;
        let run = self.planned_mut()?;
        let now = run.events().len();
        let target = now.saturating_sub(n);
        let dropped = run.replay(target);
        let mut out = String::new();
        if dropped > 0 {
            let _ = writeln!(
                out,
                "dropped {dropped} instruction{} typed after event #{target}",
                plural(dropped)
            );
        }
        match run.events().last() {
            Some(e) => {
                let at = run.events().len();
                let _ = writeln!(out, "back to {}", show::event(run, at, e));
                if at > target {
                    let _ = writeln!(
                        out,
                        "(the end of the loaded trace: `:restart` goes back to the plan's start)"
                    );
                }
            }
            None => {
                let _ = writeln!(out, "back to the start");
            }
        }
        let _ = writeln!(out, "{}", show::status(run));
        Ok(out)
    }

    fn restart(&mut self) -> Result<String, String> {
        let run = self.planned_mut()?;
        let dropped = run.typed.len();
        run.typed.clear();
        let trace = if run.prefix.take().is_some() {
            " and the loaded trace"
        } else {
            ""
        };
        run.replay(0);
        Ok(format!(
            "back to the start (dropped {dropped} typed instruction{}{trace})\n{}\n",
            plural(dropped),
            show::status(run)
        ))
    }

    fn break_at(&mut self, arg: &str) -> Result<String, String> {
        if arg.is_empty() {
            if self.breakpoints.is_empty() {
                return Ok("no breakpoint\n".into());
            }
            let mut out = String::new();
            for (k, b) in self.breakpoints.iter().enumerate() {
                let _ = writeln!(out, "  {}  {}", k + 1, b.describe());
            }
            return Ok(out);
        }
        let b = Breakpoint::parse(self.planned()?, arg)?;
        let text = format!(
            "breakpoint {}: {}\n",
            self.breakpoints.len() + 1,
            b.describe()
        );
        self.breakpoints.push(b);
        Ok(text)
    }

    fn instance_arg(
        &self,
        arg: &str,
        command: &str,
    ) -> Result<(&Run, ballet_runtime::InstanceId), String> {
        let run = self.planned()?;
        if arg.is_empty() {
            return Err(format!(
                "`:{command}` needs an instance: `:{command} database`"
            ));
        }
        let i = run
            .instance(arg)
            .ok_or_else(|| typed::unknown_instance(run, arg))?;
        Ok((run, i))
    }

    fn state(&self, arg: &str) -> Result<String, String> {
        if arg.is_empty() {
            return Ok(show::overview(self.planned()?));
        }
        let (run, i) = self.instance_arg(arg, "state")?;
        Ok(show::instance(run, i))
    }

    fn why(&self, arg: &str) -> Result<String, String> {
        let (run, i) = self.instance_arg(arg, "why")?;
        Ok(why::why(run, i))
    }

    fn program(&self, arg: &str) -> Result<String, String> {
        let run = self.planned()?;
        if arg.is_empty() {
            return Err(
                "`:program` needs a site: `:program database` (`:sites` lists them)".into(),
            );
        }
        let site = run.site(arg).ok_or_else(|| {
            let names = run.plan.universe.sites.iter().map(|s| s.name.as_str());
            match crate::suggest::closest(arg, names) {
                Some(best) => format!("no site named `{arg}` (did you mean `{best}`?)"),
                None => format!("no site named `{arg}` (`:sites` lists them)"),
            }
        })?;
        Ok(show::program(run, site))
    }

    fn gantt(&self, arg: &str) -> Result<String, String> {
        let run = self.planned()?;
        if arg.is_empty() {
            return Err("`:gantt` needs a file: `:gantt run.svg`".into());
        }
        let outcome = run.outcome_to_end();
        let timelines = ballet_runtime::timeline::Timelines::new(&run.model, &run.plan, &outcome);
        let shown = self.loaded.as_ref().map_or("", |l| l.shown.as_str());
        let title = format!("{shown} — goal `{}`", run.goal);
        let svg = gantt_svg(&run.model, &run.plan, &timelines, &title, None);
        write_atomically(&self.path(arg), svg.as_bytes())
            .map_err(|e| format!("cannot write `{arg}`: {e}"))?;
        let end = match &outcome.deadlock {
            Some(d) => format!("deadlock at t = {}", d.time),
            None => format!("done at t = {}", outcome.makespan),
        };
        Ok(format!(
            "wrote {arg}: the whole run, {} events, {end}\n",
            outcome.events.len()
        ))
    }

    fn instruction(&mut self, line: &str) -> Result<String, String> {
        let run = self.planned_mut()?;
        let (ins, adds) = typed::resolve(run, line)?;
        run.type_instruction(ins, adds);
        let op = run.operator();
        let shown = ins.display(&run.model, &run.plan.universe);
        Ok(format!(
            "queued {shown} on site {}: {}\n",
            run::OPERATOR,
            show::site_line(run, op)
        ))
    }
}

fn help() -> String {
    let mut out = String::from("Commands:\n");
    for (_, line) in COMMANDS {
        let _ = writeln!(out, "  {line}");
    }
    let _ = writeln!(out, "\n{INSTRUCTION_HELP}");
    out
}

/// `N` for `:step N`/`:back N`: a positive count, 1 when absent.
fn count(arg: &str) -> Result<usize, String> {
    if arg.is_empty() {
        return Ok(1);
    }
    arg.parse::<usize>()
        .ok()
        .filter(|&n| n >= 1)
        .ok_or_else(|| format!("`{arg}` is not a positive number of events"))
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hostile and odd inputs in every state: each gives text, never a
    /// panic, and a failure always reads `error: ...`.
    #[test]
    fn no_input_panics() {
        let odd = [
            ":",
            "::",
            ": ",
            ":step 99999999999999999999999",
            ":back 99999",
            ":run",
            ":state ",
            ":why",
            ":why (operator)",
            ":program (operator)",
            ":break .",
            ":break a.b.c",
            ":break site",
            ":set =",
            ":set n=",
            ":goal",
            ":gantt /no/such/dir/x.svg",
            ":load /",
            ":load",
            "(",
            ")",
            "()",
            "pushB()",
            "pushB(,)",
            "wait(database, update, x)",
            "add(1x, Database)",
            "con(a, b)",
            "con(database.service)",
            "del(nobody)",
            "é(ü)",
            "pushB(database, update) trailing",
            ":events",
            ":restart",
            ":clear",
        ];
        let mut s = Session::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
        for stage in [None, Some(":load examples/cps.blt"), Some(":goal update")] {
            if let Some(setup) = stage {
                s.eval(setup);
            }
            for input in odd {
                let out = s.eval(input);
                assert!(
                    out.is_empty() || out.ends_with('\n'),
                    "{input:?} -> {out:?}"
                );
            }
        }
        // A bad value fails the replan; the goal is kept, so a good value
        // replans it.
        let out = s.eval(":set n=abc");
        assert!(
            out.contains("error: goal `update` was not planned"),
            "{out}"
        );
        let out = s.eval(":set n=1");
        assert!(out.contains("planned goal `update`"), "{out}");
    }

    #[test]
    fn completeness_counts_parentheses() {
        assert!(is_complete("pushB(a, b)"));
        assert!(!is_complete("pushB(a,"));
        assert!(is_complete(":step"));
        assert!(is_quit(" :q "));
    }
}
