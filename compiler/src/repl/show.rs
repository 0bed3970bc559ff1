//! The text of events, instance states, sites and programs: stable, plain
//! (no colour), one fact per line.

use std::fmt::Write;

use ballet_runtime::model::{Endpoint, PortKind};
use ballet_runtime::semantics::InstanceState;
use ballet_runtime::simulate::{Event, EventKind, Status};
use ballet_runtime::{InstanceId, PlaceId, PortId, SiteId, TransitionId};

use crate::repl::run::Run;

/// One event, numbered (`n` is its 1-based position in the run).
pub fn event(run: &Run, n: usize, e: &Event) -> String {
    let u = &run.plan.universe;
    let name = |i: InstanceId| u.instances[i.index()].name.as_str();
    let ty = |i: InstanceId| run.model.ty(u.instances[i.index()].ty);
    let what = match e.kind {
        EventKind::Instruction(s, ins) => format!(
            "site {} executes {}",
            u.sites[s.index()].name,
            ins.display(&run.model, u)
        ),
        EventKind::Start(i, t) => {
            let tr = ty(i).transition(t);
            format!(
                "{} starts {} ({} -> {}, behavior {})",
                name(i),
                tr.name,
                ty(i).place_name(tr.src),
                ty(i).place_name(tr.dst),
                ty(i).behavior(tr.behavior).name
            )
        }
        EventKind::End(i, t) => format!("{} ends {}", name(i), ty(i).transition(t).name),
        EventKind::Enter(i, p) => format!("{} enters {}", name(i), ty(i).place_name(p)),
        EventKind::Finish(i, b) => format!("{} finishes {}", name(i), ty(i).behavior(b).name),
    };
    format!("#{n:<3} t={:<4} {what}", e.time.to_string())
}

/// Where the run stands, in one line.
pub fn status(run: &Run) -> String {
    let n = run.events().len();
    let now = run.stepper.now();
    match run.status() {
        Status::Running => format!("t = {now}, {n} events so far"),
        Status::Done => format!("done: the reconfiguration is complete at t = {now} ({n} events)"),
        Status::Deadlock(d) => format!(
            "deadlock at t = {} after {n} events: {} blocked (`:why INSTANCE` says why)",
            d.time,
            d.blocked.len()
        ),
    }
}

/// The places an instance has marked, `a+b`, or `-`.
pub fn marking(run: &Run, i: InstanceId, s: &InstanceState) -> String {
    let ty = run.model.ty(run.plan.universe.instances[i.index()].ty);
    let marked: Vec<&str> = s
        .marked
        .iter()
        .map(|p| ty.place_name(PlaceId::from_index(p)))
        .collect();
    if marked.is_empty() {
        "no place (between places)".into()
    } else {
        marked.join("+")
    }
}

fn queue(run: &Run, i: InstanceId, s: &InstanceState) -> String {
    let ty = run.model.ty(run.plan.universe.instances[i.index()].ty);
    if s.queue.is_empty() {
        return "empty".into();
    }
    let names: Vec<&str> = s
        .queue
        .iter()
        .map(|&b| ty.behavior(b).name.as_str())
        .collect();
    format!("{} (head first)", names.join(", "))
}

/// Every instance in one line each.
pub fn overview(run: &Run) -> String {
    let u = &run.plan.universe;
    let width = u.instances.iter().map(|i| i.name.len()).max().unwrap_or(0);
    let mut out = format!("{}\n", status(run));
    for (k, inst) in u.instances.iter().enumerate() {
        let i = InstanceId::from_index(k);
        let _ = match &run.system().states[k] {
            None => writeln!(out, "  {:<width$}  does not exist", inst.name),
            Some(s) => {
                let running = running(run, i);
                writeln!(
                    out,
                    "  {:<width$}  at {}{}; queue: {}",
                    inst.name,
                    marking(run, i, s),
                    if running.is_empty() {
                        String::new()
                    } else {
                        format!(", running {}", running.join(", "))
                    },
                    queue(run, i, s)
                )
            }
        };
    }
    out
}

/// The running transitions of `i` with their end times: `t (ends at 3)`.
pub fn running(run: &Run, i: InstanceId) -> Vec<String> {
    let ty = run.model.ty(run.plan.universe.instances[i.index()].ty);
    run.stepper
        .running()
        .into_iter()
        .filter(|&(_, j, _)| j == i)
        .map(|(end, _, t)| format!("{} (ends at t = {end})", ty.transition(t).name))
        .collect()
}

/// One instance in detail: marking, running and arrived transitions,
/// queue, every port (active, refusing, connections).
pub fn instance(run: &Run, i: InstanceId) -> String {
    let u = &run.plan.universe;
    let inst = &u.instances[i.index()];
    let ty = run.model.ty(inst.ty);
    let mut out = format!(
        "{} ({} on site {}), t = {}\n",
        inst.name,
        ty.name,
        u.sites[inst.site.index()].name,
        run.stepper.now()
    );
    let Some(s) = &run.system().states[i.index()] else {
        out.push_str("  does not exist\n");
        return out;
    };
    let arrived: Vec<&str> = s
        .arrived
        .iter()
        .map(|t| ty.transition(TransitionId::from_index(t)).name.as_str())
        .collect();
    let running = running(run, i);
    let or_dash = |v: Vec<String>| {
        if v.is_empty() {
            "-".into()
        } else {
            v.join(", ")
        }
    };
    let _ = writeln!(out, "  marked   {}", marking(run, i, s));
    let _ = writeln!(out, "  running  {}", or_dash(running));
    let _ = writeln!(
        out,
        "  arrived  {}",
        or_dash(arrived.iter().map(|a| a.to_string()).collect())
    );
    let _ = writeln!(out, "  queue    {}", queue(run, i, s));
    let width = ty.ports.iter().map(|p| p.name.len()).max().unwrap_or(0);
    if !ty.ports.is_empty() {
        out.push_str("  ports\n");
    }
    for (k, port) in ty.ports.iter().enumerate() {
        let id = PortId::from_index(k);
        let active = s.port_active(ty, id);
        let (kind, status) = match port.kind {
            PortKind::Use => ("use", if active { "active" } else { "inactive" }),
            PortKind::Provide => (
                "provide",
                match (active, s.refusing(ty, id)) {
                    (true, false) => "active, serving",
                    (true, true) => "active, refusing (about to leave)",
                    (false, _) => "inactive, refusing",
                },
            ),
        };
        let _ = writeln!(
            out,
            "    {:<width$}  {kind:<7}  {status}{}",
            port.name,
            links(run, i, id)
        );
    }
    out
}

/// The connections of a port: ` <- db.service` or ` -> a.x, b.y`.
fn links(run: &Run, i: InstanceId, port: PortId) -> String {
    let u = &run.plan.universe;
    let me = Endpoint { instance: i, port };
    let show = |e: Endpoint| {
        let ty = run.model.ty(u.instances[e.instance.index()].ty);
        format!(
            "{}.{}",
            u.instances[e.instance.index()].name,
            ty.port(e.port).name
        )
    };
    let mut others: Vec<String> = run
        .system()
        .links(me)
        .iter()
        .map(|c| show(if c.provider == me { c.user } else { c.provider }))
        .collect();
    others.sort();
    if others.is_empty() {
        "  (not connected)".into()
    } else if run.model.ty(u.instances[i.index()].ty).port(port).kind == PortKind::Use {
        format!("  <- {}", others.join(", "))
    } else {
        format!("  -> {}", others.join(", "))
    }
}

/// A site's head instruction and whether it can execute: `at 2/3
/// wait(db, update): db has not finished update #1`.
pub fn site_line(run: &Run, site: SiteId) -> String {
    let program = &run.plan.programs[site.index()];
    let pc = run.system().pc[site.index()];
    let mut line = format!("{} of {} executed", pc.min(program.len()), program.len());
    if let Some(ins) = run.system().head(&run.plan, site) {
        let shown = ins.display(&run.model, &run.plan.universe);
        match run
            .system()
            .instruction_enabled(&run.model, &run.plan, site)
        {
            Ok(_) => {
                let _ = write!(line, "; next {shown} (can execute)");
            }
            Err(why) => {
                let _ = write!(line, "; next {shown}, blocked: {why}");
            }
        }
    } else {
        line.push_str("; done");
    }
    line
}

/// Every site, with its progress (the operator's only once it has typed
/// something).
pub fn sites(run: &Run) -> String {
    let u = &run.plan.universe;
    let width = u.sites.iter().map(|s| s.name.len()).max().unwrap_or(0);
    let mut out = String::new();
    for (k, site) in u.sites.iter().enumerate() {
        let id = SiteId::from_index(k);
        if id == run.operator() && run.plan.programs[k].is_empty() {
            continue;
        }
        let instances: Vec<&str> = u
            .instances
            .iter()
            .filter(|i| i.site == id)
            .map(|i| i.name.as_str())
            .collect();
        let _ = writeln!(
            out,
            "  {:<width$}  {}  [{}]",
            site.name,
            site_line(run, id),
            instances.join(", ")
        );
    }
    out
}

/// A site's program with the executed instructions ticked and the current
/// one marked `>`.
pub fn program(run: &Run, site: SiteId) -> String {
    let program = &run.plan.programs[site.index()];
    let pc = run.system().pc[site.index()];
    let mut out = format!(
        "site {}: {}\n",
        run.plan.universe.sites[site.index()].name,
        site_line(run, site)
    );
    for (k, ins) in program.iter().enumerate() {
        let mark = match k.cmp(&pc) {
            std::cmp::Ordering::Less => "done",
            std::cmp::Ordering::Equal => "  >",
            std::cmp::Ordering::Greater => "",
        };
        let _ = writeln!(
            out,
            "  {mark:>4} {:>3}  {}",
            k + 1,
            ins.display(&run.model, &run.plan.universe)
        );
    }
    out
}
