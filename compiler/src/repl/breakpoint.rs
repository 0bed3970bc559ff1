//! Breakpoints of `:run`: when an instance starts executing a behavior, or
//! a site executes an instruction. Kept by name, so they survive a replan
//! (`:set`, `:goal`) and are resolved against the run at each check.

use ballet_runtime::simulate::EventKind;

use crate::repl::run::Run;
use crate::repl::typed::unknown_instance;

/// Where `:run` stops.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Breakpoint {
    /// `:break db.update`: after the event at which `instance` starts
    /// executing `behavior`: the first transition of that execution starts
    /// (or, for an execution that has no transition to take from where the
    /// instance is, when it finishes).
    Behavior {
        /// The instance's name.
        instance: String,
        /// The behavior's name.
        behavior: String,
    },
    /// `:break site worker_0`: after the site executes an instruction.
    Site(String),
}

impl Breakpoint {
    /// Parses `INSTANCE.BEHAVIOR` or `site SITE`, checking the names
    /// against `run`.
    pub fn parse(run: &Run, arg: &str) -> Result<Breakpoint, String> {
        if let Some(site) = arg.strip_prefix("site ") {
            let site = site.trim();
            return match run.site(site) {
                Some(_) => Ok(Breakpoint::Site(site.to_string())),
                None => Err(format!("no site named `{site}` (`:sites` lists them)")),
            };
        }
        let (instance, behavior) = arg
            .split_once('.')
            .ok_or_else(|| format!("`{arg}` is neither INSTANCE.BEHAVIOR nor `site SITE`"))?;
        let i = run
            .instance(instance)
            .ok_or_else(|| unknown_instance(run, instance))?;
        let ty = run.model.ty(run.plan.universe.instances[i.index()].ty);
        if ty.behavior_named(behavior).is_none() {
            let names: Vec<&str> = ty.behaviors.iter().map(|b| b.name.as_str()).collect();
            return Err(format!(
                "`{instance}` has no behavior `{behavior}` (behaviors of `{}`: {})",
                ty.name,
                names.join(", ")
            ));
        }
        Ok(Breakpoint::Behavior {
            instance: instance.to_string(),
            behavior: behavior.to_string(),
        })
    }

    /// How `:break` lists it.
    pub fn describe(&self) -> String {
        match self {
            Breakpoint::Behavior { instance, behavior } => {
                format!("{instance}.{behavior} (its first transition starts)")
            }
            Breakpoint::Site(s) => format!("site {s} (it executes an instruction)"),
        }
    }

    /// Whether event number `index` (0-based) of `run` hits it.
    pub fn hit(&self, run: &Run, index: usize) -> bool {
        let events = run.events();
        let Some(event) = events.get(index) else {
            return false;
        };
        match self {
            Breakpoint::Site(name) => match event.kind {
                EventKind::Instruction(s, _) => run.site(name) == Some(s),
                _ => false,
            },
            Breakpoint::Behavior { instance, behavior } => {
                let Some(i) = run.instance(instance) else {
                    return false;
                };
                let ty = run.model.ty(run.plan.universe.instances[i.index()].ty);
                let Some(b) = ty.behavior_named(behavior) else {
                    return false;
                };
                // A start or finish of `b` by `i`, with no start of `b` by
                // `i` since its previous finish: the execution's first.
                let of_b = |kind: EventKind| match kind {
                    EventKind::Start(j, t) => j == i && ty.transition(t).behavior == b,
                    EventKind::Finish(j, c) => j == i && c == b,
                    _ => false,
                };
                if !of_b(event.kind) {
                    return false;
                }
                for e in events[..index].iter().rev() {
                    match e.kind {
                        EventKind::Finish(j, c) if j == i && c == b => return true,
                        kind if of_b(kind) => return false,
                        _ => {}
                    }
                }
                true
            }
        }
    }
}
