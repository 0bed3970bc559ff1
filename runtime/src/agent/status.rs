//! What an agent tells `balletc status`: where its program stands. Published
//! after every event with [`crate::net::Sender::set_status`] and sent, as
//! opaque bytes, only to a caller holding the operator key (`net/status.rs`).

use serde::{Deserialize, Serialize};

/// The first bytes of an encoded status.
const STATUS_MAGIC: &[u8; 4] = b"BLTS";
/// The status format version.
const STATUS_VERSION: u16 = 1;

/// One agent's status.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentStatus {
    /// The site's name.
    pub site: String,
    /// Instructions executed.
    pub pc: usize,
    /// Instructions in its program.
    pub len: usize,
    /// Running transitions, as `instance.transition`.
    pub running: Vec<String>,
    /// Whether its program is done.
    pub done: bool,
    /// Why the head instruction waits, if it does.
    pub blocked: Option<String>,
    /// Failed transitions, as `instance.transition: status`.
    pub failures: Vec<String>,
    /// Payloads received.
    pub received: u64,
    /// Payloads sent.
    pub sent: u64,
    /// Payloads sent and not yet acknowledged.
    pub unacked: u64,
    /// Peers whose program is done, out of how many.
    pub peers_done: (usize, usize),
}

impl AgentStatus {
    /// The status as bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = STATUS_MAGIC.to_vec();
        out.extend_from_slice(&STATUS_VERSION.to_le_bytes());
        out.extend(postcard::to_allocvec(self).unwrap_or_default());
        out
    }

    /// A status from bytes; `Err` says what is wrong.
    pub fn decode(bytes: &[u8]) -> Result<AgentStatus, String> {
        if bytes.is_empty() {
            return Err("the agent has not started its program yet".into());
        }
        let rest = bytes
            .strip_prefix(STATUS_MAGIC.as_slice())
            .ok_or("not an agent status")?;
        let (version, body) = rest.split_at_checked(2).ok_or("truncated status")?;
        let version = u16::from_le_bytes([version[0], version[1]]);
        if version != STATUS_VERSION {
            return Err(format!(
                "status format version {version}, this build reads {STATUS_VERSION}"
            ));
        }
        match postcard::take_from_bytes(body) {
            Ok((status, [])) => Ok(status),
            _ => Err("corrupt status".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let s = AgentStatus {
            site: "db".into(),
            pc: 3,
            len: 7,
            running: vec!["db.start".into()],
            blocked: Some("waits".into()),
            peers_done: (1, 2),
            ..AgentStatus::default()
        };
        assert_eq!(AgentStatus::decode(&s.encode()), Ok(s));
        assert!(AgentStatus::decode(b"").is_err());
        assert!(AgentStatus::decode(b"BLTS\x02\x00").is_err());
    }
}
