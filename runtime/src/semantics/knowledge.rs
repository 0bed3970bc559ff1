//! The guards of SEMANTICS.md §3 and the instruction preconditions of §4,
//! decided from what one decider *knows* (§5).
//!
//! [`System`](super::System) knows everything: every instance is "local" to
//! it. A site VM knows its own instances, its program and the connections
//! touching them; what it needs about remote instances comes from messages
//! and may be unknown, and an unknown fact blocks (it never defaults to
//! "go"). Both call the functions below, so the preconditions are written
//! once.

use crate::ids::{BehaviorId, InstanceId, SiteId};
use crate::model::{ComponentType, Connection, Endpoint, Model};
use crate::program::{endpoint_sites, Instruction, Universe};
use crate::semantics::instance::{InstanceState, Requirement};

/// What a decider knows about the system.
pub trait Knowledge {
    /// The types.
    fn model(&self) -> &Model;
    /// The instances and sites (names, types, sites).
    fn universe(&self) -> &Universe;
    /// Whether the decider owns instance `i` (knows its state exactly).
    fn is_local(&self, i: InstanceId) -> bool;
    /// The state of a local instance; `None` if it does not exist (and for
    /// remote instances).
    fn state(&self, i: InstanceId) -> Option<&InstanceState>;
    /// How many `pushB(i, b)` have executed (local instances).
    fn pushes(&self, i: InstanceId, b: BehaviorId) -> u32;
    /// The connections touching endpoint `e` of a local instance.
    fn links(&self, e: Endpoint) -> &[Connection];
    /// Whether connection `c` is recorded.
    fn connected(&self, c: &Connection) -> bool;
    /// Whether `site` has reached `dcon(c)`.
    fn dcon_reached(&self, site: SiteId, c: &Connection) -> bool;
    /// For a remote user of `c`: whether its use port may be active
    /// (`None`: unknown).
    fn remote_user_active(&self, c: &Connection) -> Option<bool>;
    /// For a remote provider of `c`: whether it serves this user now, freshly
    /// confirmed (`None`: not confirmed).
    fn remote_provider_serving(&self, c: &Connection) -> Option<bool>;
    /// For a remote instance: how many executions of `b` are known to have
    /// finished (`None`: nothing known).
    fn remote_finished(&self, i: InstanceId, b: BehaviorId) -> Option<u32>;
}

fn name<K: Knowledge + ?Sized>(k: &K, i: InstanceId) -> &str {
    k.universe().instances[i.index()].name.as_str()
}

fn ty<K: Knowledge + ?Sized>(k: &K, i: InstanceId) -> &ComponentType {
    k.model().ty(k.universe().instances[i.index()].ty)
}

/// The provider connected to a local use endpoint, if any.
pub fn provider_of<K: Knowledge + ?Sized>(k: &K, user: Endpoint) -> Option<Connection> {
    k.links(user).iter().find(|c| c.user == user).copied()
}

/// Whether the use port of `c` may be active *on `c`*; `None` when unknown.
/// A user that has left `c` (its site executed `dcon(c)`) does not use it,
/// even if its port is active on another provider since: otherwise the
/// provider's site, still at its `dcon(c)`, could wait for it forever
/// (found by `balletc verify` on a rewire; the reading is in
/// ARCHITECTURE.md).
pub fn user_active<K: Knowledge + ?Sized>(k: &K, c: &Connection) -> Option<bool> {
    let u = c.user;
    if k.is_local(u.instance) {
        Some(
            k.connected(c)
                && k.state(u.instance)
                    .is_some_and(|s| s.port_active(ty(k, u.instance), u.port)),
        )
    } else {
        k.remote_user_active(c)
    }
}

/// Whether the provider of `c` serves it now (connected, not refusing);
/// `None` when unknown (a remote provider that has not confirmed).
pub fn provider_serving<K: Knowledge + ?Sized>(k: &K, c: &Connection) -> Option<bool> {
    let p = c.provider;
    if k.is_local(p.instance) {
        Some(
            k.connected(c)
                && k.state(p.instance)
                    .is_some_and(|s| !s.refusing(ty(k, p.instance), p.port)),
        )
    } else {
        k.remote_provider_serving(c)
    }
}

/// Resolves a guard of instance `i` (§3); `Err` says why it does not hold.
pub fn requirement_holds<K: Knowledge + ?Sized>(
    k: &K,
    i: InstanceId,
    r: Requirement,
) -> Result<(), String> {
    match r {
        Requirement::UsersInactive(port) => {
            let me = Endpoint { instance: i, port };
            for c in k.links(me).iter().filter(|c| c.provider == me) {
                let user = || {
                    format!(
                        "{}.{}",
                        name(k, c.user.instance),
                        ty(k, c.user.instance).port(c.user.port).name
                    )
                };
                match user_active(k, c) {
                    Some(false) => {}
                    Some(true) => {
                        return Err(format!(
                            "{}.{} would go inactive while {} uses it",
                            name(k, i),
                            ty(k, i).port(port).name,
                            user()
                        ))
                    }
                    None => {
                        return Err(format!(
                            "{}.{} would go inactive and it is not known whether {} uses it",
                            name(k, i),
                            ty(k, i).port(port).name,
                            user()
                        ))
                    }
                }
            }
            Ok(())
        }
        Requirement::ProviderServing(port) => {
            let me = Endpoint { instance: i, port };
            let Some(c) = provider_of(k, me) else {
                return Err(format!(
                    "{}.{} is not connected",
                    name(k, i),
                    ty(k, i).port(port).name
                ));
            };
            let p = c.provider;
            let serving = provider_serving(k, &c);
            let provider = format!(
                "{}.{}",
                name(k, p.instance),
                ty(k, p.instance).port(p.port).name
            );
            match serving {
                Some(true) => Ok(()),
                Some(false) => Err(format!(
                    "{}.{} needs {provider}, which is refusing",
                    name(k, i),
                    ty(k, i).port(port).name,
                )),
                None => Err(format!(
                    "{}.{} needs {provider}, which has not confirmed that it serves",
                    name(k, i),
                    ty(k, i).port(port).name,
                )),
            }
        }
    }
}

/// Whether instruction `ins`, the head of `site`'s program, can execute now
/// (§4); `Err` says why not. Reaching a `dcon` is recorded by the caller
/// before asking.
pub fn instruction_enabled<K: Knowledge + ?Sized>(
    k: &K,
    site: SiteId,
    ins: Instruction,
) -> Result<(), String> {
    let exists = |j: InstanceId| k.state(j).is_some();
    let remote = |j: InstanceId| {
        Err(format!(
            "{} is not an instance of site {}",
            name(k, j),
            k.universe().sites[site.index()].name
        ))
    };
    match ins {
        Instruction::Add(c, _) if !k.is_local(c) => remote(c),
        Instruction::Add(c, _) => (!exists(c))
            .then_some(())
            .ok_or_else(|| format!("{} already exists", name(k, c))),
        Instruction::Del(c) if !k.is_local(c) => remote(c),
        Instruction::Del(c) => match k.state(c) {
            None => Err(format!("{} does not exist", name(k, c))),
            Some(s) if !s.idle() => Err(format!("{} is not idle", name(k, c))),
            Some(_) if has_links(k, c) => Err(format!("{} is still connected", name(k, c))),
            Some(_) => Ok(()),
        },
        Instruction::Con(c) => {
            let missing = |j: InstanceId| k.is_local(j) && !exists(j);
            if k.connected(&c) {
                Ok(())
            } else if missing(c.provider.instance) || missing(c.user.instance) {
                Err("an endpoint does not exist yet".into())
            } else if k.is_local(c.user.instance) && provider_of(k, c.user).is_some() {
                Err(format!(
                    "{} already has a provider",
                    name(k, c.user.instance)
                ))
            } else {
                Ok(())
            }
        }
        Instruction::Dcon(c) => {
            let sites = endpoint_sites(k.universe(), &c);
            if !sites.iter().all(|s| k.dcon_reached(*s, &c)) {
                Err("the other endpoint's site has not reached this dcon".into())
            } else {
                match user_active(k, &c) {
                    Some(false) => Ok(()),
                    Some(true) => Err(format!("{} still uses the port", name(k, c.user.instance))),
                    None => Err(format!(
                        "it is not known whether {} still uses the port",
                        name(k, c.user.instance)
                    )),
                }
            }
        }
        Instruction::PushB(c, _) if !k.is_local(c) => remote(c),
        Instruction::PushB(c, _) => exists(c)
            .then_some(())
            .ok_or_else(|| format!("{} does not exist", name(k, c))),
        Instruction::Wait(c, b, n) => {
            let behavior = || ty(k, c).behavior(b).name.clone();
            if !k.is_local(c) {
                return match k.remote_finished(c, b) {
                    Some(done) if done >= n => Ok(()),
                    _ => Err(format!(
                        "{} is not known to have finished {} #{n}",
                        name(k, c),
                        behavior()
                    )),
                };
            }
            let pushed = k.pushes(c, b) >= n;
            let finished = k.state(c).is_some_and(|s| s.finished[b.index()] >= n);
            if pushed && finished {
                Ok(())
            } else if !pushed {
                Err(format!(
                    "push #{n} of {} on {} has not executed",
                    behavior(),
                    name(k, c)
                ))
            } else {
                Err(format!(
                    "{} has not finished {} #{n}",
                    name(k, c),
                    behavior()
                ))
            }
        }
    }
}

/// Whether local instance `i` has any connection.
fn has_links<K: Knowledge + ?Sized>(k: &K, i: InstanceId) -> bool {
    (0..ty(k, i).ports.len()).any(|p| {
        !k.links(Endpoint {
            instance: i,
            port: crate::PortId::from_index(p),
        })
        .is_empty()
    })
}
