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
use crate::ids::SiteId;
use crate::model::Connection;
use crate::semantics::instance::InstanceState;
use crate::vm::facts::Facts;
use crate::vm::site::SiteVm;

/// The first bytes of a checkpoint file.
pub const CHECKPOINT_MAGIC: &[u8; 4] = b"BLTK";
/// The checkpoint format version.
pub const CHECKPOINT_VERSION: u16 = 1;

/// The saved state of one [`SiteVm`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
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
            digest: plan_digest(&self.image),
            states: self.system.states.clone(),
            connections: self.system.connections.iter().copied().collect(),
            pc: self.system.pc.clone(),
            pushes: self.system.pushes.clone(),
            dcon_reached,
            facts: self.facts.clone(),
        }
    }

    /// A VM for `image` in the state of `checkpoint`; `Err` if the checkpoint
    /// belongs to another plan or does not fit the image.
    pub fn restore(image: SiteImage, checkpoint: Checkpoint) -> Result<SiteVm, String> {
        if checkpoint.digest != plan_digest(&image) {
            return Err(format!(
                "the checkpoint of site `{}` belongs to another plan",
                image.site_name()
            ));
        }
        let mut vm = SiteVm::new(image);
        let fits = checkpoint.states.len() == vm.system.states.len()
            && checkpoint.pc.len() == vm.system.pc.len()
            && checkpoint.pushes.len() == vm.system.pushes.len()
            && checkpoint.pc[vm.view.local_site.index()] <= vm.image.code.len()
            && checkpoint.states.iter().enumerate().all(|(i, s)| {
                let inst = &vm.view.plan.universe.instances[i];
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
            });
        if !fits {
            return Err(format!(
                "the checkpoint of site `{}` does not fit its image",
                vm.image.site_name()
            ));
        }
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
