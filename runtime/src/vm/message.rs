//! What sites tell each other while a plan runs (SEMANTICS.md §5): facts
//! about their own instances, never commands. What runs on a site is only
//! what its own bytecode says; a message can at most unblock a guard or a
//! precondition that the receiver's program already contains.
//!
//! Every id in a message is *global* (the plan's universe), since the two
//! sites' images number instances differently. Messages are idempotent and
//! carry either a monotone count (kept as a maximum) or a sequence number
//! (the newest wins), so duplicated and reordered deliveries change nothing.

use serde::{Deserialize, Serialize};

use crate::ids::{BehaviorId, InstanceId, SiteId};
use crate::model::Connection;

/// One message between two site agents.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentMessage {
    /// The sending site (global id).
    pub from: SiteId,
    /// What it says.
    pub fact: Fact,
}

/// A fact one site states about its own instances or program.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Fact {
    /// From the user's site to the provider's site: whether the use port of
    /// `connection` may be active, and how many serving confirmations of
    /// this connection the user has consumed (entered the port with).
    /// Non-monotone: the one with the highest `seq` wins.
    UsePort {
        /// The connection.
        connection: Connection,
        /// Whether the use port is active.
        active: bool,
        /// Confirmations consumed so far.
        consumed: u64,
        /// The sender's sequence number.
        seq: u64,
    },
    /// From the user's site to the provider's site: the user is about to
    /// enter the use port of `connection` and asks for confirmation number
    /// `number` that the provider serves (the freshness of §5).
    ServeRequest {
        /// The connection.
        connection: Connection,
        /// The confirmation asked for (1, 2, ...).
        number: u64,
    },
    /// From the provider's site: confirmation `number` is granted; the
    /// provider will not leave the port until the user reports that it has
    /// consumed it and is inactive again.
    Serving {
        /// The connection.
        connection: Connection,
        /// The confirmation granted.
        number: u64,
    },
    /// From the instance's site: `count` executions of `behavior` on
    /// `instance` have finished (monotone).
    Finished {
        /// The instance.
        instance: InstanceId,
        /// The behavior.
        behavior: BehaviorId,
        /// Executions finished.
        count: u32,
    },
    /// From a site whose program waits on `behavior` of `instance` to the
    /// instance's site: send me its [`Fact::Finished`] counts.
    WaitsOn {
        /// The instance.
        instance: InstanceId,
        /// The behavior.
        behavior: BehaviorId,
    },
    /// The sender has reached `dcon(connection)` (monotone).
    DconReached {
        /// The connection.
        connection: Connection,
    },
    /// The sender has executed `count` of its `con(connection)`s
    /// (monotone): in the semantics the first endpoint site's `con` records
    /// the connection for both, so the receiver records it too if its own
    /// program is behind (§4).
    Connected {
        /// The connection.
        connection: Connection,
        /// `con(connection)`s the sender has executed.
        count: u32,
    },
    /// From the provider's site: it is about to leave the port of
    /// `connection` and only confirmation `number`, granted and not used,
    /// stops it. Unless the user has entered with it, the user gives it up
    /// (reports it consumed while inactive) and asks again later.
    Revoke {
        /// The connection.
        connection: Connection,
        /// The confirmation revoked.
        number: u64,
    },
}

impl AgentMessage {
    /// The message as bytes (`postcard`), the payload a transport carries.
    pub fn encode(&self) -> Vec<u8> {
        // Encoding plain enums and integers into a Vec cannot fail.
        postcard::to_allocvec(self).unwrap_or_default()
    }

    /// A message from bytes; `None` for anything that is not one (a peer
    /// must never be able to crash a site).
    pub fn decode(bytes: &[u8]) -> Option<AgentMessage> {
        postcard::from_bytes(bytes).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::PortId;
    use crate::model::Endpoint;

    #[test]
    fn round_trips_and_rejects_garbage() {
        let connection = Connection {
            provider: Endpoint {
                instance: InstanceId(3),
                port: PortId(1),
            },
            user: Endpoint {
                instance: InstanceId(7),
                port: PortId(0),
            },
        };
        let m = AgentMessage {
            from: SiteId(2),
            fact: Fact::UsePort {
                connection,
                active: true,
                consumed: 4,
                seq: 9,
            },
        };
        assert_eq!(AgentMessage::decode(&m.encode()), Some(m));
        assert_eq!(AgentMessage::decode(&[0xff, 0xff, 0xff]), None);
        assert_eq!(AgentMessage::decode(&[]), None);
    }
}
