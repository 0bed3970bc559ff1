//! What survives a crash: the [`Snapshot`] of a site's delivery state, its
//! file (`state_dir/net.state`: magic, version, postcard body, written
//! atomically), where checkpoints go ([`Persist`]) and how a transport
//! starts ([`Start`]: from a checkpoint, or fresh in a new epoch).

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use super::reliable::Outbox;
use super::NetError;
use crate::SiteId;

/// The delivery state of one site, as checkpointed: enough to resume after
/// a crash without losing or re-delivering a payload.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// The site it belongs to.
    pub site: SiteId,
    /// The epoch of the site's numbering (see `reliable.rs`).
    pub epoch: u64,
    /// Per peer: its outbox and the highest sequence number delivered from it.
    pub peers: Vec<PeerSnapshot>,
}

/// One peer's part of a [`Snapshot`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeerSnapshot {
    /// The peer.
    pub peer: SiteId,
    /// Sequence numbering and unacknowledged payloads towards the peer.
    pub outbox: Outbox,
    /// The peer's epoch that `delivered` counts in.
    pub peer_epoch: u64,
    /// The highest sequence number from the peer handed to the application.
    pub delivered: u64,
}

/// The magic and version that open a state file.
const STATE_MAGIC: [u8; 4] = *b"BLNS";
const STATE_VERSION: u16 = 1;

/// The name of the state file inside `state_dir`.
pub const STATE_FILE: &str = "net.state";

impl Snapshot {
    /// The bytes of a state file: magic, version, postcard body.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = STATE_MAGIC.to_vec();
        out.extend_from_slice(&STATE_VERSION.to_be_bytes());
        // Serializing plain data into a `Vec` cannot fail.
        out.extend(postcard::to_allocvec(self).unwrap_or_default());
        out
    }

    /// Parses a state file.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, NetError> {
        let bad = |why: &str| NetError::State(why.to_string());
        let body = bytes
            .strip_prefix(&STATE_MAGIC[..])
            .ok_or_else(|| bad("not a network state file"))?;
        let (version, body) = body.split_at_checked(2).ok_or_else(|| bad("truncated"))?;
        if version != STATE_VERSION.to_be_bytes() {
            return Err(bad("network state file of another version"));
        }
        match postcard::take_from_bytes::<Snapshot>(body) {
            Ok((snapshot, [])) => Ok(snapshot),
            _ => Err(bad("corrupt network state file")),
        }
    }

    /// Reads `dir/net.state`; `None` if there is none yet.
    pub fn read(dir: &Path) -> Result<Option<Self>, NetError> {
        match std::fs::read(dir.join(STATE_FILE)) {
            Ok(bytes) => Self::from_bytes(&bytes).map(Some),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(NetError::State(format!("cannot read state: {e}"))),
        }
    }

    /// Writes `dir/net.state` atomically (a crash leaves the old or the new
    /// file, never half of one).
    pub fn write(&self, dir: &Path) -> Result<(), NetError> {
        crate::atomic::write_atomically(&dir.join(STATE_FILE), &self.to_bytes())
            .map_err(|e| NetError::State(format!("cannot write state: {e}")))
    }
}

/// Restarts the outgoing numbering of the state in `dir` (if any) in a new,
/// larger epoch, keeping every unacknowledged payload (queued again, in
/// order, under new numbers) and everything about incoming payloads.
///
/// For an application that does not replay deterministically after a
/// restart (a site agent re-states its facts instead): with the old
/// numbering, its first new payloads would carry numbers its peers have
/// already seen and be dropped as duplicates; in a new epoch, peers restart
/// their count for it. Returns whether there was a state to renumber.
pub fn renumber_state(dir: &Path) -> Result<bool, NetError> {
    let Some(snapshot) = Snapshot::read(dir)? else {
        return Ok(false);
    };
    snapshot.renumbered().write(dir)?;
    Ok(true)
}

impl Snapshot {
    /// See [`renumber_state`].
    pub fn renumbered(mut self) -> Snapshot {
        let epoch = fresh_epoch().max(self.epoch.saturating_add(1));
        self.epoch = epoch;
        for p in &mut self.peers {
            let mut outbox = Outbox::new(epoch);
            for (_, payload) in p.outbox.after(0, usize::MAX) {
                outbox.push(payload);
            }
            p.outbox = outbox;
        }
        self
    }
}

/// Where checkpoints go.
pub enum Persist {
    /// Nowhere: payloads are acknowledged as soon as they are taken.
    Nothing,
    /// `net.state` in this directory.
    Dir(PathBuf),
    /// In memory (the test transport's crashes).
    Memory(Mutex<Option<Snapshot>>),
}

/// How a transport starts.
pub enum Start {
    /// Without state, numbering in this epoch.
    Fresh(u64),
    /// From a checkpoint.
    Restored(Snapshot),
}

impl Start {
    /// From `restored` if there is one, else fresh in `epoch`.
    pub fn from(restored: Option<Snapshot>, epoch: u64) -> Self {
        restored.map_or(Start::Fresh(epoch), Start::Restored)
    }

    /// The epoch the site numbers its payloads in.
    pub fn epoch(&self) -> u64 {
        match self {
            Start::Fresh(epoch) => *epoch,
            Start::Restored(snapshot) => snapshot.epoch,
        }
    }
}

/// The epoch of a site that starts without state: its start time in
/// nanoseconds, larger than any earlier incarnation's as long as the clock
/// does not step back across a restart.
pub fn fresh_epoch() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_files_round_trip_and_refuse_corruption() {
        let mut outbox = Outbox::new(3);
        outbox.push(b"x".to_vec());
        let snap = Snapshot {
            site: SiteId(1),
            epoch: 3,
            peers: vec![PeerSnapshot {
                peer: SiteId(0),
                outbox,
                peer_epoch: 2,
                delivered: 7,
            }],
        };
        let bytes = snap.to_bytes();
        assert_eq!(Snapshot::from_bytes(&bytes).expect("parses"), snap);
        for cut in 0..bytes.len() {
            assert!(Snapshot::from_bytes(&bytes[..cut]).is_err(), "cut at {cut}");
        }
    }

    #[test]
    fn renumbering_keeps_unacked_payloads_in_a_larger_epoch() {
        let mut outbox = Outbox::new(3);
        for p in [b"a", b"b", b"c"] {
            outbox.push(p.to_vec());
        }
        outbox.ack(3, 1);
        let snap = Snapshot {
            site: SiteId(1),
            epoch: 3,
            peers: vec![PeerSnapshot {
                peer: SiteId(0),
                outbox,
                peer_epoch: 2,
                delivered: 7,
            }],
        };
        let new = snap.renumbered();
        assert!(new.epoch > 3);
        let p = &new.peers[0];
        assert_eq!((p.peer_epoch, p.delivered), (2, 7));
        assert_eq!(p.outbox.epoch(), new.epoch);
        assert_eq!(
            p.outbox.after(0, 10),
            vec![(1, b"b".to_vec()), (2, b"c".to_vec())]
        );
    }
}
