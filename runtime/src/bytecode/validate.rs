//! Validation of a decoded image: every index in range and the structural
//! invariants SEMANTICS.md and `semantics/` rely on, so that the VM can index
//! the tables without checking again.

use super::error::LoadError;
use super::image::{SiteImage, Tables};
use crate::ids::{BehaviorId, InstanceId, PlaceId};
use crate::model::{ComponentType, Connection, Endpoint, PortKind};
use crate::program::Instruction;

/// `Ok(index)` if `index < len`, else the error naming `what`.
fn check(what: impl FnOnce() -> String, index: usize, len: usize) -> Result<usize, LoadError> {
    if index < len {
        Ok(index)
    } else {
        Err(LoadError::IndexOutOfRange {
            what: what(),
            index: index as u64,
            len: len as u64,
        })
    }
}

fn malformed(why: String) -> LoadError {
    LoadError::Malformed(why)
}

impl SiteImage {
    /// Checks every index and invariant of the image (see the module docs).
    pub fn validate(&self) -> Result<(), LoadError> {
        let t = &self.tables;
        check(|| "local site".into(), t.local_site.index(), t.sites.len())?;
        if !t.sites.windows(2).all(|w| w[0].global < w[1].global) {
            return Err(malformed("sites are not sorted by global id".into()));
        }
        if !t.instances.windows(2).all(|w| w[0].global < w[1].global) {
            return Err(malformed("instances are not sorted by global id".into()));
        }
        for ty in &t.types {
            validate_type(ty, t.interfaces.len())?;
        }
        for inst in &t.instances {
            let ty = check(
                || format!("type of instance `{}`", inst.name),
                inst.ty.index(),
                t.types.len(),
            )?;
            check(
                || format!("site of instance `{}`", inst.name),
                inst.site.index(),
                t.sites.len(),
            )?;
            if let Some(p) = inst.start {
                if inst.site != t.local_site {
                    return Err(malformed(format!(
                        "remote instance `{}` has a start place",
                        inst.name
                    )));
                }
                check(
                    || format!("start place of instance `{}`", inst.name),
                    p.index(),
                    t.types[ty].places.len(),
                )?;
            }
        }
        for (i, c) in t.start_connections.iter().enumerate() {
            validate_connection(t, c, &|| format!("start connection {i}"))?;
            if !is_local(t, c.provider.instance) && !is_local(t, c.user.instance) {
                return Err(malformed(format!(
                    "start connection {i} touches no local instance"
                )));
            }
        }
        for (pc, ins) in self.code.iter().enumerate() {
            validate_instruction(t, ins, pc)?;
        }
        if self.debug.spans.len() != self.code.len() {
            return Err(malformed(format!(
                "{} debug entries for {} instructions",
                self.debug.spans.len(),
                self.code.len()
            )));
        }
        for (pc, span) in self.debug.spans.iter().enumerate() {
            if let Some(span) = span {
                check(
                    || format!("debug file of instruction {pc}"),
                    span.file as usize,
                    self.debug.files.len(),
                )?;
            }
        }
        Ok(())
    }
}

fn is_local(t: &Tables, c: InstanceId) -> bool {
    t.instances.get(c.index()).map(|i| i.site) == Some(t.local_site)
}

/// Checks a component type: places, transitions, behaviors (each a DAG,
/// each transition listed by exactly its own behavior) and ports (groups
/// non-empty, strictly sorted, in range).
fn validate_type(ty: &ComponentType, interfaces: usize) -> Result<(), LoadError> {
    let name = &ty.name;
    let places = ty.places.len();
    check(
        || format!("initial place of `{name}`"),
        ty.initial.index(),
        places,
    )?;
    check(
        || format!("running place of `{name}`"),
        ty.running.index(),
        places,
    )?;
    for tr in &ty.transitions {
        let what = |end: &str| format!("{end} of transition `{name}.{}`", tr.name);
        check(|| what("source"), tr.src.index(), places)?;
        check(|| what("destination"), tr.dst.index(), places)?;
        check(|| what("behavior"), tr.behavior.index(), ty.behaviors.len())?;
    }
    let mut listed = vec![false; ty.transitions.len()];
    for (b, behavior) in ty.behaviors.iter().enumerate() {
        for &tr in &behavior.transitions {
            let what = || format!("transition of behavior `{name}.{}`", behavior.name);
            let i = check(what, tr.index(), ty.transitions.len())?;
            if ty.transitions[i].behavior != BehaviorId::from_index(b) || listed[i] {
                return Err(malformed(format!(
                    "transition `{}` of `{name}` is listed by the wrong behavior or twice",
                    ty.transitions[i].name
                )));
            }
            listed[i] = true;
        }
        if has_cycle(ty, BehaviorId::from_index(b)) {
            return Err(malformed(format!(
                "behavior `{name}.{}` has a cycle",
                behavior.name
            )));
        }
    }
    if let Some(i) = listed.iter().position(|l| !l) {
        return Err(malformed(format!(
            "transition `{}` of `{name}` is in no behavior's list",
            ty.transitions[i].name
        )));
    }
    for port in &ty.ports {
        let what = |x: &str| format!("{x} of port `{name}.{}`", port.name);
        check(|| what("interface"), port.interface.index(), interfaces)?;
        if port.group.is_empty() || !port.group.windows(2).all(|w| w[0] < w[1]) {
            return Err(malformed(format!(
                "the group of port `{name}.{}` is empty or not strictly sorted",
                port.name
            )));
        }
        for p in &port.group {
            check(|| what("group place"), p.index(), places)?;
        }
    }
    Ok(())
}

/// Whether the transitions of behavior `b` (whose ids are in range) contain
/// a cycle of places: Kahn's algorithm, linear in the places and transitions
/// (a hostile file must not make loading slow).
fn has_cycle(ty: &ComponentType, b: BehaviorId) -> bool {
    let transitions = &ty.behaviors[b.index()].transitions;
    let mut indegree = vec![0usize; ty.places.len()];
    let mut out: Vec<Vec<PlaceId>> = vec![Vec::new(); ty.places.len()];
    for t in transitions {
        let tr = &ty.transitions[t.index()];
        indegree[tr.dst.index()] += 1;
        out[tr.src.index()].push(tr.dst);
    }
    let mut ready: Vec<usize> = (0..indegree.len()).filter(|&p| indegree[p] == 0).collect();
    let mut removed = 0;
    while let Some(p) = ready.pop() {
        for d in &out[p] {
            removed += 1;
            indegree[d.index()] -= 1;
            if indegree[d.index()] == 0 {
                ready.push(d.index());
            }
        }
    }
    removed != transitions.len()
}

/// The type of image instance `c`, checked to be in range.
fn instance_type<'t>(
    t: &'t Tables,
    c: InstanceId,
    what: &dyn Fn() -> String,
) -> Result<&'t ComponentType, LoadError> {
    let i = check(
        || format!("instance of {}", what()),
        c.index(),
        t.instances.len(),
    )?;
    // The instance's type index was checked before the code and connections.
    Ok(&t.types[t.instances[i].ty.index()])
}

fn validate_endpoint(
    t: &Tables,
    e: Endpoint,
    kind: PortKind,
    what: &dyn Fn() -> String,
) -> Result<usize, LoadError> {
    let ty = instance_type(t, e.instance, what)?;
    let p = check(
        || format!("port of {}", what()),
        e.port.index(),
        ty.ports.len(),
    )?;
    if ty.ports[p].kind != kind {
        return Err(malformed(format!(
            "{}: port `{}.{}` is not a {} port",
            what(),
            ty.name,
            ty.ports[p].name,
            match kind {
                PortKind::Provide => "provide",
                PortKind::Use => "use",
            }
        )));
    }
    Ok(ty.ports[p].interface.index())
}

fn validate_connection(
    t: &Tables,
    c: &Connection,
    what: &dyn Fn() -> String,
) -> Result<(), LoadError> {
    let provided = validate_endpoint(t, c.provider, PortKind::Provide, what)?;
    let used = validate_endpoint(t, c.user, PortKind::Use, what)?;
    if provided != used {
        return Err(malformed(format!(
            "{} joins ports of different interfaces",
            what()
        )));
    }
    Ok(())
}

fn validate_instruction(t: &Tables, ins: &Instruction, pc: usize) -> Result<(), LoadError> {
    let what = || format!("instruction {pc}");
    let local = |c: InstanceId| {
        if is_local(t, c) {
            Ok(())
        } else {
            Err(malformed(format!(
                "instruction {pc} creates or deletes a remote instance"
            )))
        }
    };
    let behavior = |c: InstanceId, b: BehaviorId| -> Result<(), LoadError> {
        let ty = instance_type(t, c, &what)?;
        check(
            || format!("behavior of {}", what()),
            b.index(),
            ty.behaviors.len(),
        )?;
        Ok(())
    };
    match *ins {
        Instruction::Add(c, ty) => {
            instance_type(t, c, &what)?;
            check(|| format!("type of {}", what()), ty.index(), t.types.len())?;
            if t.instances[c.index()].ty != ty {
                return Err(malformed(format!(
                    "instruction {pc} adds an instance with another type than its own"
                )));
            }
            local(c)
        }
        Instruction::Del(c) => {
            instance_type(t, c, &what)?;
            local(c)
        }
        Instruction::Con(c) | Instruction::Dcon(c) => {
            validate_connection(t, &c, &what)?;
            if !is_local(t, c.provider.instance) && !is_local(t, c.user.instance) {
                return Err(malformed(format!(
                    "instruction {pc} touches no local instance"
                )));
            }
            Ok(())
        }
        Instruction::PushB(c, b) => behavior(c, b),
        Instruction::Wait(c, b, k) => {
            behavior(c, b)?;
            if k == 0 {
                return Err(malformed(format!(
                    "instruction {pc} waits for push number 0 (counts start at 1)"
                )));
            }
            Ok(())
        }
    }
}
