//! An agent's checkpoint: the VM's state (`vm::Checkpoint`), the payloads
//! of the event it last handled, and the peers it knows to be done.
//!
//! The payloads are there because of the order in which an agent makes an
//! event durable (see `driver.rs`): its checkpoint first, then the
//! transport's, then the sends. A crash between the two checkpoints, or
//! before the sends, would otherwise lose the event's messages: the VM has
//! moved on (past a `dcon` it announced, say) and will not state them again.
//! A restarted agent sends them again; facts are idempotent.
//!
//! File: magic `BLTA`, a `u16` version (little-endian), the postcard body;
//! written atomically (temporary file, fsync, rename).

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::agent::payload::Payload;
use crate::ids::SiteId;
use crate::vm::Checkpoint;

/// The first bytes of an agent checkpoint file.
pub const AGENT_CHECKPOINT_MAGIC: &[u8; 4] = b"BLTA";
/// The agent checkpoint format version.
pub const AGENT_CHECKPOINT_VERSION: u16 = 3;

/// The saved state of one agent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentCheckpoint {
    /// The VM's state.
    pub vm: Checkpoint,
    /// The payloads of the last event, by destination (global site id).
    pub outgoing: Vec<(SiteId, Payload)>,
    /// The peers that said their program is done.
    pub peers_done: Vec<SiteId>,
}

impl AgentCheckpoint {
    /// The checkpoint as file bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = AGENT_CHECKPOINT_MAGIC.to_vec();
        out.extend_from_slice(&AGENT_CHECKPOINT_VERSION.to_le_bytes());
        out.extend(postcard::to_allocvec(self).unwrap_or_default());
        out
    }

    /// A checkpoint from file bytes; `Err` says what is wrong.
    pub fn decode(bytes: &[u8]) -> Result<AgentCheckpoint, String> {
        let rest = bytes
            .strip_prefix(AGENT_CHECKPOINT_MAGIC.as_slice())
            .ok_or("not an agent checkpoint (bad magic)")?;
        let (version, body) = rest.split_at_checked(2).ok_or("truncated checkpoint")?;
        let version = u16::from_le_bytes([version[0], version[1]]);
        if version != AGENT_CHECKPOINT_VERSION {
            return Err(format!(
                "agent checkpoint format version {version}, this build reads {AGENT_CHECKPOINT_VERSION}"
            ));
        }
        match postcard::take_from_bytes(body) {
            Ok((checkpoint, [])) => Ok(checkpoint),
            _ => Err("corrupt agent checkpoint".into()),
        }
    }

    /// Reads the checkpoint at `path`; `Ok(None)` if there is none.
    pub fn read(path: &Path) -> Result<Option<AgentCheckpoint>, String> {
        match std::fs::read(path) {
            Ok(bytes) => Self::decode(&bytes)
                .map(Some)
                .map_err(|e| format!("`{}`: {e}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("cannot read `{}`: {e}", path.display())),
        }
    }
}

/// Writes `bytes` to `path` atomically, creating its directory.
pub fn write_checkpoint(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)
        .and_then(|()| crate::atomic::write_atomically(path, bytes))
        .map_err(|e| format!("cannot write `{}`: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_what_is_not_a_checkpoint() {
        assert!(AgentCheckpoint::decode(b"BLTK\x01\x00").is_err());
        assert!(AgentCheckpoint::decode(b"BLTA").is_err());
        assert!(AgentCheckpoint::decode(b"BLTA\x09\x00").is_err());
        assert!(AgentCheckpoint::decode(b"BLTA\x01\x00\xff\xff").is_err());
    }
}
