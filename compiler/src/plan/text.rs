//! Hand-written plans, to simulate plans that did not come from the planner
//! (the published ones of CASES.md, an operator's own): `balletc simulate
//! --plan FILE`.
//!
//! One line per program, `#` starts a comment:
//! ```text
//! site master: pushB(mariadb_master, interrupt) wait(mariadb_worker_0, interrupt, 1)
//! nova_0: pushB(interrupt) wait(mariadb_worker_0, interrupt) pushB(update)
//! ```
//! `site NAME:` gives the program of a site of the start assembly, with the
//! instructions as `balletc plan` prints them; sites without a line get an
//! empty program. `INSTANCE:` is the papers' per-component notation: every
//! instance then runs a program of its own (on a pseudo-site named after
//! it, as the published tools run them) and `pushB(b)` pushes on it. The
//! two notations do not mix in one file.

use std::collections::HashMap;

use ballet_runtime::program::{Instruction, Plan, Universe};
use ballet_runtime::{Connection, Endpoint, InstanceId, Model, Site, SiteId};

/// Parses `text` into a plan over `universe` (the start assembly's
/// instances and sites). `Err` says which line is wrong and why.
pub fn parse_plan(model: &Model, universe: &Universe, text: &str) -> Result<Plan, String> {
    let mut universe = universe.clone();
    let mut programs: Vec<Vec<Instruction>> = vec![Vec::new(); universe.sites.len()];
    let instances: HashMap<&str, InstanceId> = universe
        .instances
        .iter()
        .enumerate()
        .map(|(i, inst)| (inst.name.as_str(), InstanceId::from_index(i)))
        .collect();
    let sites: HashMap<String, SiteId> = universe
        .sites
        .iter()
        .enumerate()
        .map(|(s, site)| (site.name.clone(), SiteId::from_index(s)))
        .collect();
    let mut pseudo: Vec<(InstanceId, Vec<Instruction>)> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let at = |e: String| format!("line {}: {e}", n + 1);
        let (head, body) = line
            .split_once(':')
            .ok_or_else(|| at("expected `site NAME: ...` or `INSTANCE: ...`".into()))?;
        let head = head.trim();
        let (owner, target) = if let Some(site) = head.strip_prefix("site ") {
            let s = *sites
                .get(site.trim())
                .ok_or_else(|| at(format!("no site `{}`", site.trim())))?;
            (None, s)
        } else {
            let i = *instances
                .get(head)
                .ok_or_else(|| at(format!("no instance `{head}`")))?;
            (Some(i), SiteId(u32::MAX))
        };
        let mut program = Vec::new();
        for call in body.split(')').map(str::trim).filter(|c| !c.is_empty()) {
            let ins = instruction(model, &universe, &instances, owner, call).map_err(at)?;
            program.push(ins);
        }
        match owner {
            Some(i) => pseudo.push((i, program)),
            None => programs[target.index()].extend(program),
        }
    }
    // Per-component programs: every instance runs its own program on a
    // pseudo-site named after it, as the published tools run them.
    if !pseudo.is_empty() {
        if programs.iter().any(|p| !p.is_empty()) {
            return Err("do not mix `site NAME:` lines with per-component lines".into());
        }
        programs = vec![Vec::new(); universe.instances.len()];
        for (i, program) in pseudo {
            programs[i.index()].extend(program);
        }
        universe.sites = universe
            .instances
            .iter()
            .map(|inst| Site {
                name: inst.name.clone(),
            })
            .collect();
        for (i, inst) in universe.instances.iter_mut().enumerate() {
            inst.site = SiteId::from_index(i);
        }
    }
    Ok(Plan { universe, programs })
}

fn instruction(
    model: &Model,
    universe: &Universe,
    instances: &HashMap<&str, InstanceId>,
    owner: Option<InstanceId>,
    call: &str,
) -> Result<Instruction, String> {
    let (op, args) = call
        .split_once('(')
        .ok_or_else(|| format!("`{call})` is not an instruction"))?;
    let args: Vec<&str> = args.split(',').map(str::trim).collect();
    let instance = |name: &str| {
        instances
            .get(name)
            .copied()
            .ok_or_else(|| format!("no instance `{name}`"))
    };
    let ty = |i: InstanceId| model.ty(universe.instances[i.index()].ty);
    let behavior = |i: InstanceId, b: &str| {
        ty(i).behavior_named(b).ok_or_else(|| {
            format!(
                "`{}` has no behavior `{b}`",
                universe.instances[i.index()].name
            )
        })
    };
    let endpoint = |text: &str| -> Result<Endpoint, String> {
        let (i, p) = text
            .split_once('.')
            .ok_or_else(|| format!("`{text}` is not INSTANCE.PORT"))?;
        let i = instance(i)?;
        let port = ty(i)
            .port_named(p)
            .ok_or_else(|| format!("`{i:?}` has no port `{p}`"))?;
        Ok(Endpoint { instance: i, port })
    };
    match (op.trim(), args.as_slice(), owner) {
        ("pushB", [b], Some(i)) => Ok(Instruction::PushB(i, behavior(i, b)?)),
        ("pushB", [c, b], _) => {
            let i = instance(c)?;
            Ok(Instruction::PushB(i, behavior(i, b)?))
        }
        ("wait", [c, b], _) | ("wait", [c, b, _], _) => {
            let i = instance(c)?;
            let k = match args.get(2) {
                Some(k) => k
                    .parse::<u32>()
                    .ok()
                    .filter(|&k| k >= 1)
                    .ok_or_else(|| format!("`{k}` is not a push number (1, 2, ...)"))?,
                None => 1,
            };
            Ok(Instruction::Wait(i, behavior(i, b)?, k))
        }
        ("con", [p, u], _) => Ok(Instruction::Con(Connection {
            provider: endpoint(p)?,
            user: endpoint(u)?,
        })),
        ("dcon", [p, u], _) => Ok(Instruction::Dcon(Connection {
            provider: endpoint(p)?,
            user: endpoint(u)?,
        })),
        ("del", [c], _) => Ok(Instruction::Del(instance(c)?)),
        ("add", [c, t], _) => {
            let i = instance(c)?;
            let t = model
                .type_named(t)
                .ok_or_else(|| format!("no component type `{t}`"))?;
            Ok(Instruction::Add(i, t))
        }
        _ => Err(format!(
            "`{call})` is not an instruction (pushB, wait, con, dcon, add, del)"
        )),
    }
}
