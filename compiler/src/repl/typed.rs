//! Instructions typed at the prompt (`pushB(db, interrupt)`, `wait(db,
//! interrupt)`, `add(x, Facts)`, `del(x)`, `con(p.port, u.port)`,
//! `dcon(p.port, u.port)`): parsed, then resolved against the run's
//! universe into an [`Instruction`] of the operator's pseudo-site.

use ballet_runtime::model::{Connection, Endpoint, Instance, PortKind};
use ballet_runtime::program::{endpoint_sites, Instruction};
use ballet_runtime::{InstanceId, PortId};

use crate::repl::run::Run;

/// The instruction names, as typed.
pub const NAMES: [&str; 6] = ["add", "del", "con", "dcon", "pushB", "wait"];

/// Whether `line` looks like an instruction (a name followed by `(`).
pub fn looks_like_instruction(line: &str) -> bool {
    let name = line.split('(').next().unwrap_or("").trim();
    line.contains('(') && !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_')
}

/// `name(arg, arg, ...)` split into its parts.
fn split_call(line: &str) -> Result<(&str, Vec<&str>), String> {
    let line = line.trim();
    let (name, rest) = line
        .split_once('(')
        .ok_or_else(|| format!("`{line}` is not an instruction"))?;
    let inner = rest
        .trim_end()
        .strip_suffix(')')
        .ok_or_else(|| format!("`{line}` does not end with `)`"))?;
    if inner.contains('(') || inner.contains(')') {
        return Err(format!("`{line}` has nested parentheses"));
    }
    let args: Vec<&str> = if inner.trim().is_empty() {
        Vec::new()
    } else {
        inner.split(',').map(str::trim).collect()
    };
    if args.iter().any(|a| a.is_empty()) {
        return Err(format!("`{line}` has an empty argument"));
    }
    Ok((name.trim(), args))
}

/// Parses `line` and resolves its names against `run`. Returns the
/// instruction and, for an `add` of a name the universe does not have, the
/// instance it introduces (on the operator's pseudo-site).
pub fn resolve(run: &Run, line: &str) -> Result<(Instruction, Option<Instance>), String> {
    let (name, args) = split_call(line)?;
    let arity = |n: &[usize]| {
        if n.contains(&args.len()) {
            Ok(())
        } else {
            let want: Vec<String> = n.iter().map(usize::to_string).collect();
            Err(format!(
                "`{name}` takes {} argument{}, not {}",
                want.join(" or "),
                if n == [1] { "" } else { "s" },
                args.len()
            ))
        }
    };
    match name {
        "add" => {
            arity(&[2])?;
            let ty = run
                .model
                .type_named(args[1])
                .ok_or_else(|| format!("no component type named `{}`", args[1]))?;
            if !is_identifier(args[0]) {
                return Err(format!("`{}` is not an instance name", args[0]));
            }
            match run.instance(args[0]) {
                Some(c) if run.plan.universe.instances[c.index()].ty == ty => {
                    Ok((Instruction::Add(c, ty), None))
                }
                Some(c) => Err(format!(
                    "`{}` is an instance of `{}`, not `{}`",
                    args[0],
                    run.model.ty(run.plan.universe.instances[c.index()].ty).name,
                    args[1]
                )),
                None => {
                    let c = InstanceId::from_index(run.plan.universe.instances.len());
                    let instance = Instance {
                        name: args[0].to_string(),
                        ty,
                        site: run.operator(),
                    };
                    Ok((Instruction::Add(c, ty), Some(instance)))
                }
            }
        }
        "del" => {
            arity(&[1])?;
            Ok((Instruction::Del(instance(run, args[0])?), None))
        }
        "pushB" => {
            arity(&[2])?;
            let c = instance(run, args[0])?;
            Ok((Instruction::PushB(c, behavior(run, c, args[1])?), None))
        }
        "wait" => {
            arity(&[2, 3])?;
            let c = instance(run, args[0])?;
            let b = behavior(run, c, args[1])?;
            let k = match args.get(2) {
                Some(k) => k
                    .parse::<u32>()
                    .ok()
                    .filter(|&k| k >= 1)
                    .ok_or_else(|| format!("`{k}` is not a push number (1, 2, ...)"))?,
                None => default_push(run, c, b),
            };
            Ok((Instruction::Wait(c, b, k), None))
        }
        "con" | "dcon" => {
            arity(&[2])?;
            let provider = endpoint(run, args[0], PortKind::Provide)?;
            let user = endpoint(run, args[1], PortKind::Use)?;
            let ty = |e: Endpoint| {
                run.model
                    .ty(run.plan.universe.instances[e.instance.index()].ty)
            };
            let (pi, ui) = (
                ty(provider).port(provider.port).interface,
                ty(user).port(user.port).interface,
            );
            if pi != ui {
                return Err(format!(
                    "`{}` provides `{}` but `{}` uses `{}`",
                    args[0],
                    run.model.interfaces[pi.index()],
                    args[1],
                    run.model.interfaces[ui.index()]
                ));
            }
            let c = Connection { provider, user };
            if name == "con" {
                return Ok((Instruction::Con(c), None));
            }
            // A `dcon` executes once both endpoint sites reach it
            // (SEMANTICS.md §4); only the operator's own instances are on a
            // site that reaches a typed one.
            let op = run.operator();
            if endpoint_sites(&run.plan.universe, &c)
                .iter()
                .any(|&s| s != op)
            {
                return Err(format!(
                    "a typed `dcon` would wait forever: it needs the sites of {} and {} to reach it, and their programs never do (only instances added at the prompt can be disconnected here)",
                    args[0], args[1]
                ));
            }
            Ok((Instruction::Dcon(c), None))
        }
        other => Err(format!(
            "unknown instruction `{other}` (instructions: {})",
            NAMES.join(", ")
        )),
    }
}

/// The push a `wait(c, b)` without a number waits for: the latest one
/// executed or typed (the next one if there is none yet).
fn default_push(run: &Run, c: InstanceId, b: ballet_runtime::BehaviorId) -> u32 {
    let executed = run.system().pushes[c.index()][b.index()];
    let op = run.operator().index();
    let pending = run.plan.programs[op][run.system().pc[op]..]
        .iter()
        .filter(|i| **i == Instruction::PushB(c, b))
        .count() as u32;
    (executed + pending).max(1)
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_')
}

fn instance(run: &Run, name: &str) -> Result<InstanceId, String> {
    run.instance(name)
        .ok_or_else(|| unknown_instance(run, name))
}

/// "no instance named `x`", with the closest name if there is one.
pub fn unknown_instance(run: &Run, name: &str) -> String {
    let names = run.plan.universe.instances.iter().map(|i| i.name.as_str());
    match crate::suggest::closest(name, names) {
        Some(best) => format!("no instance named `{name}` (did you mean `{best}`?)"),
        None => format!("no instance named `{name}`"),
    }
}

fn behavior(run: &Run, c: InstanceId, name: &str) -> Result<ballet_runtime::BehaviorId, String> {
    let ty = run.model.ty(run.plan.universe.instances[c.index()].ty);
    ty.behavior_named(name).ok_or_else(|| {
        let names: Vec<&str> = ty.behaviors.iter().map(|b| b.name.as_str()).collect();
        format!(
            "`{}` has no behavior `{name}` (behaviors of `{}`: {})",
            run.plan.universe.instances[c.index()].name,
            ty.name,
            names.join(", ")
        )
    })
}

fn endpoint(run: &Run, text: &str, kind: PortKind) -> Result<Endpoint, String> {
    let (inst, port) = text
        .split_once('.')
        .ok_or_else(|| format!("`{text}` is not INSTANCE.PORT"))?;
    let c = instance(run, inst)?;
    let ty = run.model.ty(run.plan.universe.instances[c.index()].ty);
    let p: PortId = ty.port_named(port).ok_or_else(|| {
        let names: Vec<&str> = ty.ports.iter().map(|p| p.name.as_str()).collect();
        format!(
            "`{inst}` has no port `{port}` (ports of `{}`: {})",
            ty.name,
            names.join(", ")
        )
    })?;
    if ty.port(p).kind != kind {
        return Err(format!(
            "`{text}` is a {} port; the {} comes {}",
            match ty.port(p).kind {
                PortKind::Use => "use",
                PortKind::Provide => "provide",
            },
            match kind {
                PortKind::Provide => "provide port",
                PortKind::Use => "use port",
            },
            match kind {
                PortKind::Provide => "first",
                PortKind::Use => "second",
            }
        ));
    }
    Ok(Endpoint {
        instance: c,
        port: p,
    })
}
