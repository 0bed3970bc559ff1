//! What one agent sends another over the transport: the facts of the VM
//! (SEMANTICS.md §5) for that peer from one event, or the news that the
//! sender's program is done.
//!
//! `Done` is the agents' own termination protocol: a site whose program is
//! done may still have to answer its peers (a provider grants serving
//! confirmations to users that enter later, a site re-states finished counts
//! to a peer that restarted), so an agent run with `--once` leaves only when
//! its program is done, every peer has said `Done`, and everything it sent is
//! acknowledged. Like every fact, `Done` is idempotent and monotone: a done
//! program stays done.

use serde::{Deserialize, Serialize};

use crate::vm::AgentMessage;

/// One payload between two agents.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Payload {
    /// Facts for the receiver's VM, from one event of the sender, in the
    /// order it stated them: one frame, one event at the receiver.
    Facts(Vec<AgentMessage>),
    /// The sender's program is done.
    Done,
}

impl Payload {
    /// The payload as bytes (`postcard`).
    pub fn encode(&self) -> Vec<u8> {
        // Encoding plain enums and integers into a Vec cannot fail.
        postcard::to_allocvec(self).unwrap_or_default()
    }

    /// A payload from bytes; `None` for anything else (a peer must never be
    /// able to crash an agent).
    pub fn decode(bytes: &[u8]) -> Option<Payload> {
        match postcard::take_from_bytes(bytes) {
            Ok((payload, [])) => Some(payload),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{BehaviorId, InstanceId, SiteId};
    use crate::vm::Fact;

    #[test]
    fn round_trips_and_rejects_garbage() {
        let message = AgentMessage {
            from: SiteId(1),
            fact: Fact::WaitsOn {
                instance: InstanceId(2),
                behavior: BehaviorId(0),
            },
        };
        let facts = Payload::Facts(vec![message.clone(), message]);
        for p in [facts, Payload::Facts(Vec::new()), Payload::Done] {
            assert_eq!(Payload::decode(&p.encode()), Some(p));
        }
        assert_eq!(Payload::decode(&[7, 7]), None);
        assert_eq!(Payload::decode(&[]), None);
        let mut long = Payload::Done.encode();
        long.push(0);
        assert_eq!(Payload::decode(&long), None);
    }
}
