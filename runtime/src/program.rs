//! Reconfiguration programs (SEMANTICS.md §4): one instruction sequence per
//! site, over a *universe* of instances (every instance of the start and
//! target assemblies, by index).

use serde::{Deserialize, Serialize};

use crate::ids::{BehaviorId, InstanceId, SiteId, TypeId};
use crate::model::{Connection, Instance, Model, Site};

/// One instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Instruction {
    /// `add(c, T)`: create instance `c` of type `T` on this site.
    Add(InstanceId, TypeId),
    /// `del(c)`: remove the idle, disconnected instance `c`.
    Del(InstanceId),
    /// `con(p.port, u.port)`.
    Con(Connection),
    /// `dcon(p.port, u.port)`.
    Dcon(Connection),
    /// `pushB(c, b)`.
    PushB(InstanceId, BehaviorId),
    /// `wait(c, b, k)`: the k-th (1-based) `pushB(c, b)` has executed and
    /// that execution of `b` has finished.
    Wait(InstanceId, BehaviorId, u32),
}

/// Every instance a plan may refer to, and the sites.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Universe {
    /// Sites, by [`SiteId`].
    pub sites: Vec<Site>,
    /// Instances, by [`InstanceId`].
    pub instances: Vec<Instance>,
}

/// One program per site.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// The instances and sites.
    pub universe: Universe,
    /// Programs, by [`SiteId`].
    pub programs: Vec<Vec<Instruction>>,
}

impl Instruction {
    /// The instruction as the plan text shows it: `pushB(db, interrupt)`.
    pub fn display(&self, model: &Model, u: &Universe) -> String {
        let name = |i: InstanceId| u.instances[i.index()].name.as_str();
        let ty = |i: InstanceId| model.ty(u.instances[i.index()].ty);
        let port = |e: crate::model::Endpoint| {
            format!("{}.{}", name(e.instance), ty(e.instance).port(e.port).name)
        };
        match *self {
            Instruction::Add(c, t) => format!("add({}, {})", name(c), model.ty(t).name),
            Instruction::Del(c) => format!("del({})", name(c)),
            Instruction::Con(c) => format!("con({}, {})", port(c.provider), port(c.user)),
            Instruction::Dcon(c) => format!("dcon({}, {})", port(c.provider), port(c.user)),
            Instruction::PushB(c, b) => format!("pushB({}, {})", name(c), ty(c).behavior(b).name),
            Instruction::Wait(c, b, k) => {
                let b = &ty(c).behavior(b).name;
                if k == 1 {
                    format!("wait({}, {b})", name(c))
                } else {
                    format!("wait({}, {b}, {k})", name(c))
                }
            }
        }
    }
}

/// The sites whose programs contain a `con`/`dcon` of this connection: the
/// sites of both endpoints.
pub fn endpoint_sites(u: &Universe, c: &Connection) -> [SiteId; 2] {
    [
        u.instances[c.provider.instance.index()].site,
        u.instances[c.user.instance.index()].site,
    ]
}
