//! A site's checkpoint (SEMANTICS.md §5): marking, queues, program counter,
//! connections and known remote facts, enough for a restarted site to go on
//! where it stopped and re-run the transitions that were running.
//!
//! Encoded with `postcard` behind a small header (magic, version). A
//! checkpoint names the plan it belongs to by a digest of the image without
//! its actions, so an operator may fix a failing command in the `.blt` file
//! and resume, but not resume a different plan.

use serde::{Deserialize, Serialize};

use crate::bytecode::SiteImage;
use crate::ids::{BehaviorId, InstanceId, SiteId};
use crate::model::{Connection, Endpoint};
use crate::semantics::instance::InstanceState;
use crate::vm::facts::Facts;
use crate::vm::site::SiteVm;

/// The first bytes of a checkpoint file.
pub const CHECKPOINT_MAGIC: &[u8; 4] = b"BLTK";
/// The checkpoint format version.
pub const CHECKPOINT_VERSION: u16 = 2;

/// The saved state of one [`SiteVm`].
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Checkpoint {
    /// [`plan_digest`] of the image it was taken from.
    pub digest: u32,
    /// Each image instance's state (`None`: does not exist, or remote).
    pub states: Vec<Option<InstanceState>>,
    /// The connections touching local instances.
    pub connections: Vec<Connection>,
    /// The program counters (image sites; only the local one moves).
    pub pc: Vec<usize>,
    /// Executed `pushB`s per image instance and behavior.
    pub pushes: Vec<Vec<u32>>,
    /// `dcon`s reached, by image site.
    pub dcon_reached: Vec<(SiteId, Connection)>,
    /// Remote facts and promises.
    pub facts: Facts,
}

/// [`Checkpoint`] borrowed from a VM: its postcard encoding is the
/// checkpoint's, byte for byte (postcard writes a struct as its fields in
/// order and a set as a sequence), without copying the VM's state. The
/// exploration of the site VMs hashes it for every state it reaches.
#[derive(Serialize)]
struct CheckpointRef<'a> {
    digest: u32,
    states: &'a [Option<InstanceState>],
    connections: &'a std::collections::BTreeSet<Connection>,
    pc: &'a [usize],
    pushes: &'a [Vec<u32>],
    dcon_reached: Vec<(SiteId, Connection)>,
    facts: &'a Facts,
}

/// A digest of what a checkpoint depends on: the image without its debug
/// section and without the transitions' actions.
pub fn plan_digest(image: &SiteImage) -> u32 {
    let mut tables = image.tables.clone();
    for ty in &mut tables.types {
        for t in &mut ty.transitions {
            t.action = None;
        }
    }
    let bytes = postcard::to_allocvec(&(&tables, &image.code)).unwrap_or_default();
    crc32fast::hash(&bytes)
}

impl SiteVm {
    /// The VM's state now.
    pub fn checkpoint(&self) -> Checkpoint {
        let mut dcon_reached: Vec<_> = self.system.dcon_reached.iter().copied().collect();
        dcon_reached.sort();
        Checkpoint {
            digest: self.digest,
            states: self.system.states.clone(),
            connections: self.system.connections.iter().copied().collect(),
            pc: self.system.pc.clone(),
            pushes: self.system.pushes.clone(),
            dcon_reached,
            facts: self.facts.clone(),
        }
    }

    /// The postcard encoding of [`SiteVm::checkpoint`], appended to `out`
    /// without building the checkpoint: what identifies the VM's state.
    pub fn checkpoint_bytes(&self, out: &mut Vec<u8>) {
        let mut dcon_reached: Vec<_> = self.system.dcon_reached.iter().copied().collect();
        dcon_reached.sort();
        let view = CheckpointRef {
            digest: self.digest,
            states: &self.system.states,
            connections: &self.system.connections,
            pc: &self.system.pc,
            pushes: &self.system.pushes,
            dcon_reached,
            facts: &self.facts,
        };
        // Encoding plain data into a Vec cannot fail.
        if let Ok(bytes) = postcard::to_extend(&view, std::mem::take(out)) {
            *out = bytes;
        }
    }

    /// A VM for `image` in the state of `checkpoint`; `Err` if the checkpoint
    /// belongs to another plan or does not fit the image.
    pub fn restore(image: SiteImage, checkpoint: Checkpoint) -> Result<SiteVm, String> {
        let vm = SiteVm::new(image);
        if checkpoint.digest != vm.digest {
            return Err(format!(
                "the checkpoint of site `{}` belongs to another plan",
                vm.image.site_name()
            ));
        }
        let fits = fits(&vm, &checkpoint);
        if !fits {
            return Err(format!(
                "the checkpoint of site `{}` does not fit its image",
                vm.image.site_name()
            ));
        }
        let mut vm = vm;
        let view = vm.view.clone();
        let mut system = crate::semantics::System::new(
            &view.model,
            &view.plan,
            &vec![None; view.start_places.len()],
            checkpoint.connections,
        );
        system.states = checkpoint.states;
        system.pc = checkpoint.pc;
        system.pushes = checkpoint.pushes;
        system.dcon_reached = checkpoint.dcon_reached.into_iter().collect();
        vm.system = system;
        vm.facts = checkpoint.facts;
        Ok(vm)
    }
}

/// Whether every id in `checkpoint` exists in `vm`'s image: a checkpoint
/// file may be damaged behind a correct digest, and a restored VM indexes
/// its tables with these ids without checking them again.
fn fits(vm: &SiteVm, checkpoint: &Checkpoint) -> bool {
    let instances = &vm.view.plan.universe.instances;
    let ty_of = |i: InstanceId| {
        instances
            .get(i.index())
            .map(|inst| vm.view.model.ty(inst.ty))
    };
    let endpoint =
        |e: &Endpoint| ty_of(e.instance).is_some_and(|ty| e.port.index() < ty.ports.len());
    let connection = |c: &Connection| endpoint(&c.provider) && endpoint(&c.user);
    let behavior =
        |i: InstanceId, b: BehaviorId| ty_of(i).is_some_and(|ty| b.index() < ty.behaviors.len());
    let local_site = vm.view.local_site.index();
    let facts = &checkpoint.facts;
    let connection_maps = [
        &facts.requested,
        &facts.granted,
        &facts.received,
        &facts.consumed,
        &facts.asked,
        &facts.revoked,
    ];
    checkpoint.states.len() == vm.system.states.len()
        && checkpoint.pc.len() == vm.system.pc.len()
        && checkpoint.pushes.len() == vm.system.pushes.len()
        && checkpoint.pc[local_site] <= vm.image.code.len()
        && checkpoint.states.iter().enumerate().all(|(i, s)| {
            let inst = &instances[i];
            let ty = vm.view.model.ty(inst.ty);
            let local = inst.site == vm.view.local_site;
            s.as_ref().is_none_or(|s| {
                local
                    && s.marked.iter().all(|p| p < ty.places.len())
                    && s.running
                        .iter()
                        .chain(s.arrived.iter())
                        .all(|t| t < ty.transitions.len())
                    && s.queue.iter().all(|b| b.index() < ty.behaviors.len())
                    && s.finished.len() == ty.behaviors.len()
            })
        })
        && checkpoint.pushes.iter().enumerate().all(|(i, p)| {
            ty_of(InstanceId::from_index(i)).is_some_and(|ty| p.len() == ty.behaviors.len())
        })
        && checkpoint.connections.iter().all(connection)
        && checkpoint
            .dcon_reached
            .iter()
            .all(|(site, c)| site.index() < checkpoint.pc.len() && connection(c))
        && facts.users.keys().all(connection)
        && facts.sent_use.keys().all(connection)
        && connection_maps.iter().all(|m| m.keys().all(connection))
        && facts.finished.keys().all(|&(i, b)| behavior(i, b))
        && facts.waiters.keys().all(|&(i, b)| behavior(i, b))
        && facts.sent_finished.keys().all(|&(i, b, _)| behavior(i, b))
}

impl Checkpoint {
    /// The checkpoint as file bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = CHECKPOINT_MAGIC.to_vec();
        out.extend_from_slice(&CHECKPOINT_VERSION.to_le_bytes());
        out.extend(postcard::to_allocvec(self).unwrap_or_default());
        out
    }

    /// A checkpoint from file bytes; `Err` says what is wrong.
    pub fn decode(bytes: &[u8]) -> Result<Checkpoint, String> {
        let rest = bytes
            .strip_prefix(CHECKPOINT_MAGIC.as_slice())
            .ok_or("not a checkpoint (bad magic)")?;
        let (version, body) = rest.split_at_checked(2).ok_or("truncated checkpoint")?;
        let version = u16::from_le_bytes([version[0], version[1]]);
        if version != CHECKPOINT_VERSION {
            return Err(format!(
                "checkpoint format version {version}, this build reads {CHECKPOINT_VERSION}"
            ));
        }
        postcard::from_bytes(body).map_err(|e| format!("corrupt checkpoint: {e}"))
    }
}
