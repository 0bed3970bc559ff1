//! The agents' network transport: opaque payloads between sites, over TCP,
//! authenticated and encrypted, delivered exactly once per sequence number
//! and in order per sender, across reconnections and crashes.
//!
//! # Use
//!
//! ```no_run
//! # async fn example(creds: ballet_runtime::net::Credentials) -> Result<(), ballet_runtime::net::NetError> {
//! use ballet_runtime::net::{start, NetConfig};
//! use ballet_runtime::SiteId;
//! let config = NetConfig {
//!     site: SiteId(0),
//!     peers: vec![(SiteId(1), "127.0.0.1:7401".into())],
//!     listen: "127.0.0.1:7400".into(),
//!     credentials: creds,
//!     max_frame: 1 << 20,
//!     state_dir: None,
//! };
//! let (sender, mut receiver) = start(config).await?;
//! sender.send(SiteId(1), b"fact".to_vec())?;
//! while let Some((from, payload)) = receiver.recv().await {
//!     // handle `payload` from site `from`
//! #   let _ = (from, payload);
//! }
//! # Ok(()) }
//! ```
//!
//! - [`start`] binds `listen`, dials every peer (reconnecting with backoff
//!   while it is down) and returns a [`Sender`] and a [`Receiver`].
//! - [`Sender::send`] queues a payload for a peer; it is retransmitted until
//!   the peer acknowledges it, across reconnections and restarts of either
//!   side. Messages are pushed by their owner: nobody polls.
//! - [`Receiver::recv`] yields each payload exactly once per (sender,
//!   sequence number), in each sender's order.
//! - **Crash recovery.** With `state_dir`, the delivery state (next sequence
//!   numbers, unacknowledged payloads, highest delivered per peer) is
//!   restored by [`start`] from `state_dir/net.state`, and
//!   [`Sender::checkpoint`] writes it there atomically. Acknowledgements then
//!   cover only what a checkpoint recorded, so a site killed with `kill -9`
//!   and restarted gets again every payload it took after its last
//!   checkpoint, and none before. Write the agent's own checkpoint first,
//!   then call `checkpoint`: a crash between the two re-delivers (handling is
//!   idempotent), never loses. Without `state_dir`, a payload is acknowledged
//!   as soon as `recv` returns it. [`Sender::snapshot`] returns the same state
//!   without writing it.
//! - **Status.** [`Sender::set_status`] publishes what the agent tells an
//!   operator; [`query_status`] asks an agent for it with the operator key
//!   of the key file (`status.rs`): read-only, never a command.
//!   [`Sender::operator_links`] takes two-way links the operator opens with
//!   [`open_link`] (`link.rs`, `balletc apply`): data, never commands.
//! - [`testing`] is an in-memory transport with the same `Sender` and
//!   `Receiver`, which drops, duplicates, reorders and delays payloads.
//!
//! # Protocol
//!
//! Each ordered pair of sites (A → B) has its own connection, dialed by A:
//! A sends `Data`, B sends `Ack`. Frames are length-delimited (`frame.rs`);
//! the first frame each way is a `Hello` with the protocol version, then a
//! Noise XX handshake authenticates both sites by the static keys of
//! `balletc keygen` (`handshake.rs`, `noise.rs`, `keys.rs`), then B
//! acknowledges what it has, and A sends what is unacknowledged after that
//! (`reliable.rs`, `peer.rs`). Anything malformed, oversized, of another
//! version or from a site outside the roster closes that connection and is
//! logged (`tracing`); the agent goes on serving the others.
//!
//! **Dead peers.** Every connection has TCP keepalive (probe after 5 s idle,
//! drop after 3 unanswered probes 1 s apart) and, on Linux, a 10 s
//! `TCP_USER_TIMEOUT` on unacknowledged data: a peer whose machine vanished
//! without closing is noticed in seconds, the dialer reconnects with backoff
//! and the listener's task ends (`handshake.rs`).
//!
//! **Flow control.** Writes wait on the socket (TCP's window is the
//! backpressure) and go in batches of at most 256 frames. The outbox keeps
//! every unacknowledged payload until the peer acknowledges it, without a
//! bound of its own: an agent's payloads are facts, a few per instruction
//! of its program (`vm::message`), so the outbox is bounded by the
//! program's size, whatever the peer's state.

mod frame;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
mod handshake;
mod keys;
mod link;
mod noise;
mod peer;
mod reliable;
mod shared;
mod state;
mod status;
pub mod testing;

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_util::sync::DropGuard;

pub use frame::{Hello, MAGIC, MAX_MAX_FRAME, MIN_MAX_FRAME, PROTOCOL_VERSION};
pub use keys::{ClusterKeys, Credentials, OperatorCredentials};
pub use link::{open_link, OperatorLink, Request};
pub use reliable::Outbox;
pub use state::{renumber_state, PeerSnapshot, Snapshot, STATE_FILE};
pub use status::query_status;

use crate::SiteId;
use shared::{Inbound, Shared};

/// Everything an agent's transport needs.
#[derive(Clone, Debug)]
pub struct NetConfig {
    /// This site.
    pub site: SiteId,
    /// The sites this one talks to, with their `HOST:PORT` (from
    /// `inventory.toml`; `SiteId` is the index in inventory order).
    pub peers: Vec<(SiteId, String)>,
    /// The address to listen on (`HOST:PORT`; port 0 picks a free one, see
    /// [`Sender::local_addr`]).
    pub listen: String,
    /// This site's credentials from the key file.
    pub credentials: Credentials,
    /// The longest frame accepted or sent, in bytes, between
    /// [`MIN_MAX_FRAME`] and [`MAX_MAX_FRAME`]; payloads must fit in one
    /// frame (see [`Sender::max_payload`]).
    pub max_frame: usize,
    /// Where the delivery state is checkpointed, if anywhere.
    pub state_dir: Option<PathBuf>,
}

/// What can go wrong in the transport.
#[derive(Debug)]
pub enum NetError {
    /// The configuration is unusable.
    Config(String),
    /// The credentials are unusable, or a peer's are not accepted.
    Credentials(String),
    /// A socket operation failed.
    Io(std::io::Error),
    /// A peer broke the protocol (bad frame, version, message).
    Protocol(String),
    /// The state file cannot be read or written, or does not fit.
    State(String),
    /// `send` to a site that is not a peer.
    UnknownPeer(SiteId),
    /// `send` of a payload that does not fit in one frame.
    PayloadTooLarge {
        /// The payload's length.
        len: usize,
        /// The largest payload accepted.
        max: usize,
    },
    /// The transport was shut down.
    Closed,
}

impl fmt::Display for NetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NetError::Config(why) => write!(f, "bad network configuration: {why}"),
            NetError::Credentials(why) => write!(f, "credentials: {why}"),
            NetError::Io(e) => write!(f, "network: {e}"),
            NetError::Protocol(why) => write!(f, "protocol error: {why}"),
            NetError::State(why) => write!(f, "network state: {why}"),
            NetError::UnknownPeer(site) => write!(f, "site #{} is not a peer", site.0),
            NetError::PayloadTooLarge { len, max } => {
                write!(f, "payload of {len} bytes (at most {max} fit in a frame)")
            }
            NetError::Closed => write!(f, "the transport is shut down"),
        }
    }
}

impl std::error::Error for NetError {}

impl From<std::io::Error> for NetError {
    fn from(e: std::io::Error) -> Self {
        NetError::Io(e)
    }
}

/// Counters of the transport's connections, for logs and tests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NetStats {
    /// Incoming connections that completed the handshake.
    pub accepted: u64,
    /// Outgoing connections that completed the handshake.
    pub connected: u64,
    /// Connections refused or closed for a protocol or credentials error.
    pub rejected: u64,
    /// Payloads received again after delivery, and dropped.
    pub duplicates: u64,
}

/// The sending half: queues payloads, checkpoints the delivery state.
/// Cheap to clone; the transport runs until [`Sender::shutdown`] or until
/// every `Sender` and the `Receiver` are dropped.
#[derive(Clone)]
pub struct Sender {
    shared: Arc<Shared>,
    _guard: Arc<DropGuard>,
}

/// The receiving half: payloads from every peer.
pub struct Receiver {
    shared: Arc<Shared>,
    inbound: Inbound,
    _guard: Arc<DropGuard>,
}

impl Sender {
    /// Queues `payload` for `to`. It is sent as soon as a connection is up
    /// and retransmitted until acknowledged.
    pub fn send(&self, to: SiteId, payload: Vec<u8>) -> Result<(), NetError> {
        self.shared.send(to, payload)
    }

    /// The largest payload [`Sender::send`] accepts.
    pub fn max_payload(&self) -> usize {
        self.shared.max_payload()
    }

    /// The current delivery state.
    pub fn snapshot(&self) -> Snapshot {
        self.shared.snapshot()
    }

    /// Writes the delivery state to `state_dir` atomically and lets peers
    /// forget what it records as delivered. Returns what it wrote.
    pub async fn checkpoint(&self) -> Result<Snapshot, NetError> {
        self.shared.checkpoint().await
    }

    /// Payloads queued and not yet acknowledged, over all peers.
    pub fn unacked(&self) -> usize {
        self.shared.unacked()
    }

    /// Waits until every payload queued so far has been acknowledged (or
    /// the transport is shut down): before an agent exits, say.
    pub async fn settled(&self) {
        self.shared.settled().await
    }

    /// The number of the last payload queued for `peer` in this
    /// incarnation's numbering (0 if none): a mark for
    /// [`Sender::settled_upto`].
    pub fn last_sent(&self, peer: SiteId) -> u64 {
        self.shared.last_sent(peer)
    }

    /// Waits until, for each `(peer, mark)`, every payload queued for
    /// `peer` up to number `mark` has been acknowledged (or the transport is
    /// shut down); what was queued later may still be unacknowledged.
    pub async fn settled_upto(&self, marks: &[(SiteId, u64)]) {
        self.shared.settled_upto(marks).await
    }

    /// Replaces what this site tells an authenticated operator (opaque
    /// bytes, at most a frame; see [`query_status`]).
    pub fn set_status(&self, status: Vec<u8>) {
        self.shared.set_status(status);
    }

    /// From now on, operator links (`balletc apply`, see [`open_link`])
    /// are handed to the returned queue; before, they are refused.
    pub fn operator_links(&self) -> tokio::sync::mpsc::UnboundedReceiver<OperatorLink> {
        self.shared.operator_links()
    }

    /// The address the transport listens on (`None` for the in-memory one).
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.shared.local_addr()
    }

    /// The connection counters now.
    pub fn stats(&self) -> NetStats {
        *self.shared.stats().borrow()
    }

    /// The connection counters, to wait for a change.
    pub fn watch_stats(&self) -> watch::Receiver<NetStats> {
        self.shared.stats().subscribe()
    }

    /// Stops every task of the transport and waits until they have ended
    /// and closed their sockets (the listening port is free again). Nothing
    /// is written: to the peers, this is a crash.
    pub async fn shutdown(&self) {
        self.shared.cancel.cancel();
        self.shared.tasks.close();
        self.shared.tasks.wait().await;
    }
}

impl Receiver {
    /// The next payload and its sender; `None` once the transport is shut
    /// down.
    pub async fn recv(&mut self) -> Option<(SiteId, Vec<u8>)> {
        let (from, epoch, seq, payload) = tokio::select! {
            got = self.inbound.recv() => got?,
            _ = self.shared.cancel.cancelled() => return None,
        };
        self.shared.taken(from, epoch, seq);
        Some((from, payload))
    }

    /// The next payload if one is waiting.
    pub fn try_recv(&mut self) -> Option<(SiteId, Vec<u8>)> {
        let (from, epoch, seq, payload) = self.inbound.try_recv().ok()?;
        self.shared.taken(from, epoch, seq);
        Some((from, payload))
    }
}

/// Starts the transport of `config.site`: binds `config.listen`, restores
/// the state from `config.state_dir`, dials every peer.
pub async fn start(config: NetConfig) -> Result<(Sender, Receiver), NetError> {
    let listener = TcpListener::bind(&config.listen)
        .await
        .map_err(|e| NetError::Config(format!("cannot listen on `{}`: {e}", config.listen)))?;
    start_on(listener, config).await
}

/// [`start`] on a listener bound by the caller (`config.listen` is then
/// ignored): tests bind every site's port before starting any.
pub async fn start_on(
    listener: TcpListener,
    config: NetConfig,
) -> Result<(Sender, Receiver), NetError> {
    let (shared, inbound) = Shared::new(&config, listener.local_addr().ok())?;
    peer::spawn(shared.clone(), listener, config);
    Ok(halves(shared, inbound))
}

/// The two halves over one shared state; the transport stops when both are
/// gone.
fn halves(shared: Arc<Shared>, inbound: Inbound) -> (Sender, Receiver) {
    let guard = Arc::new(shared.cancel.clone().drop_guard());
    (
        Sender {
            shared: shared.clone(),
            _guard: guard.clone(),
        },
        Receiver {
            shared,
            inbound,
            _guard: guard,
        },
    )
}
