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
        /// The provider's estimate of when that behavior finishes: the
        /// user's `wait` passes then (it orders the user site's program and
        /// chooses between the user's sequences).
        ready: Cost,
        /// The provider's estimate of when the port is active for good (the
        /// user cannot enter it earlier); zero when it is from the start.
        serving: Cost,
        /// Whether the port is active at the end of the provider's plan.
        ends_active: bool,
        /// The provider cannot end active as its users need: it has no
        /// plan with that need, and this fact describes its plan without
        /// it. Users that need the port must release it before the first
        /// down instead.
        refused: bool,
        /// Whether the provider serves at a stable state before its first
        /// down (while it waits for the users that release the port before
        /// it), or at some point if it never goes down. Users may use the
        /// port before the first down only if it does; a refusing provider
        /// that does not leaves them no way to use the port at all.
        serves: bool,
    },
    /// From the user's site: how the user's plan uses the port, so that
    /// the provider can serve it. Sent when it changes (a user's plan may
    /// change as constraints arrive), never assumed.
    User {
        /// The connection.
        connection: Connection,
        /// The user makes the port active after the provider's last down
        /// (it waits for it), so the provider must end active.
        needed: bool,
        /// The user uses the port only *before* the provider's first down.
        /// A provider keeps ending active for a user that once needed it
        /// until the user says this (the exchange settles that way).
        before: bool,
        /// With `before`: the push after which the user has released the
        /// port for good; the provider waits for it before that down.
        release: Option<(BehaviorId, u32)>,
        /// The user has no plan while the provider goes down: the provider
        /// must keep the port up (for good, so that the exchange settles).
        stuck: bool,
    },
}

impl Fact {
    /// The connection the fact is about.
    pub fn connection(&self) -> Connection {
        match *self {
            Fact::Provider { connection, .. } | Fact::User { connection, .. } => connection,
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
