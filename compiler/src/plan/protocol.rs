//! The messages site planners exchange (issue 3, "decentralized"): port
//! constraints about the connections between their instances, proposed and
//! acknowledged. The same types travel in memory (`balletc plan`) and, later,
//! over the agents' network, so they are plain serde data.

use ballet_runtime::{BehaviorId, Connection, Cost, SiteId};
use serde::{Deserialize, Serialize};

/// What a site planner tells a neighbour about one connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Fact {
    /// From the provider's site: what the provider's plan does to the
    /// connection's provide port.
    Provider {
        /// The connection.
        connection: Connection,
        /// The push (behavior, k-th push of it) of the last behavior during
        /// which the port goes inactive, if it ever does. The user must be
        /// inactive when it happens, and waits for that push to finish
        /// before it uses the port again.
        last_down: Option<(BehaviorId, u32)>,
        /// The provider's estimate of when that behavior finishes (used
        /// only to order the user site's program).
        ready: Cost,
        /// Whether the port is active at the end of the provider's plan.
        ends_active: bool,
    },
    /// From the user's site: the user ends with its port active, so the
    /// provider must end serving it.
    NeedActive {
        /// The connection.
        connection: Connection,
    },
}

impl Fact {
    /// The connection the fact is about.
    pub fn connection(&self) -> Connection {
        match *self {
            Fact::Provider { connection, .. } | Fact::NeedActive { connection } => connection,
        }
    }
}

/// One message between site planners.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Message {
    /// New or changed constraints, for connections touching the receiver.
    Propose(Vec<Fact>),
    /// Acknowledges one `Propose`. A site acknowledges the proposal that
    /// engaged it only once everything it sent in consequence has been
    /// acknowledged (Dijkstra–Scholten), so an initiator whose proposals
    /// are all acknowledged knows that the exchange is quiescent.
    Ack,
}

/// A message in transit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    /// Sender.
    pub from: SiteId,
    /// Receiver.
    pub to: SiteId,
    /// Content.
    pub message: Message,
}
