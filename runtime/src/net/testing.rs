//! An in-memory transport for tests: the same [`Sender`] and [`Receiver`]
//! as over TCP, the same reliable state machines (`reliable.rs`), and a
//! network that drops, duplicates, reorders and delays packets — payloads
//! and acknowledgements alike — with decisions drawn from a seeded generator.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! use ballet_runtime::net::testing::{Faults, Network};
//! use ballet_runtime::SiteId;
//! let net = Network::new(2, 7, Faults { drop: 0.2, duplicate: 0.2, reorder: 0.5, max_delay: 3 });
//! let (a, _ra) = net.node(SiteId(0));
//! let (_b, mut rb) = net.node(SiteId(1));
//! a.send(SiteId(1), b"x".to_vec()).unwrap();
//! assert_eq!(rb.recv().await, Some((SiteId(0), b"x".to_vec())));
//! # }
//! ```
//!
//! A site can also be cut off from every other ([`Network::partition`]):
//! packets to or from it are lost until [`Network::heal`], after which the
//! retransmissions of the reliable layer catch up.
//!
//! One driver task moves packets in steps of a virtual clock; the fault
//! decisions are a function of the seed and of the order in which packets
//! are sent. When nothing is in flight and nothing new is queued for a
//! while ([`RETRANSMIT`]), everything unacknowledged is sent again, as a
//! retransmission timer would.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::frame::Msg;
use super::reliable::Ack;
use super::shared::Shared;
use super::state::{Persist, Start};
use super::{halves, NetError, Receiver, Sender, Snapshot};
use crate::SiteId;

/// How long the network waits, with nothing in flight, before
/// retransmitting what is unacknowledged.
pub const RETRANSMIT: Duration = Duration::from_millis(10);

/// The largest payload of the in-memory transport.
const MAX_PAYLOAD: usize = 16 << 20;

/// A reordered packet is picked among this many ready ones.
const REORDER_SPAN: usize = 16;

/// Packets moved per step before the driver lets other tasks run.
const PACKETS_PER_TURN: usize = 64;

/// What the network does to each packet.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Faults {
    /// Probability that a packet is lost.
    pub drop: f64,
    /// Probability that a delivered packet is also delivered again later.
    pub duplicate: f64,
    /// Probability that the next packet delivered is a random one of those
    /// ready rather than the oldest.
    pub reorder: f64,
    /// Each packet spends between 0 and `max_delay` extra steps in flight.
    pub max_delay: u64,
}

/// What the network did, for assertions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NetworkStats {
    /// Packets handed to a node.
    pub delivered: u64,
    /// Packets lost.
    pub dropped: u64,
    /// Packets duplicated.
    pub duplicated: u64,
    /// Packets delivered out of order on purpose.
    pub reordered: u64,
    /// Retransmission rounds.
    pub retransmissions: u64,
    /// Packets lost to a partition.
    pub cut: u64,
}

/// The in-memory network of `sites` sites (`SiteId(0)` to `SiteId(sites-1)`,
/// each a peer of every other). Its driver runs on the current tokio
/// runtime until the `Network` is dropped.
pub struct Network {
    inner: Arc<Inner>,
    cancel: CancellationToken,
}

struct Inner {
    sites: usize,
    nodes: Mutex<Vec<Option<Arc<Shared>>>>,
    changed: Arc<Notify>,
    stats: Mutex<NetworkStats>,
    /// The epoch of the next node started without state.
    next_epoch: AtomicU64,
    /// Sites cut off from every other.
    partitioned: Mutex<Vec<bool>>,
}

struct Packet {
    from: SiteId,
    to: SiteId,
    msg: Msg,
    /// A duplicate, which is not duplicated again.
    copy: bool,
}

impl Network {
    /// A network with `faults`, its decisions drawn from `seed`.
    pub fn new(sites: usize, seed: u64, faults: Faults) -> Self {
        let inner = Arc::new(Inner {
            sites,
            nodes: Mutex::new(vec![None; sites]),
            changed: Arc::new(Notify::new()),
            stats: Mutex::new(NetworkStats::default()),
            next_epoch: AtomicU64::new(1),
            partitioned: Mutex::new(vec![false; sites]),
        });
        let cancel = CancellationToken::new();
        tokio::spawn(drive(inner.clone(), cancel.clone(), Rng(seed), faults));
        Network { inner, cancel }
    }

    /// A fresh node for `site` (replacing any earlier one): payloads are
    /// acknowledged as soon as `recv` returns them.
    ///
    /// # Panics
    ///
    /// If `site` is not one of the network's sites (a mistake in the test).
    pub fn node(&self, site: SiteId) -> (Sender, Receiver) {
        self.attach(site, Persist::Nothing, None)
            .unwrap_or_else(|_| unreachable_node())
    }

    /// A node for `site` that keeps its checkpoints in memory (acknowledging
    /// only what [`Sender::checkpoint`] recorded) and resumes from `from`,
    /// as a restarted agent resumes from its state file. [`Network::crash`]
    /// returns the checkpoint to resume from.
    pub fn durable_node(
        &self,
        site: SiteId,
        from: Option<Snapshot>,
    ) -> Result<(Sender, Receiver), NetError> {
        let kept = Persist::Memory(Mutex::new(from.clone()));
        self.attach(site, kept, from)
    }

    /// Stops `site`'s node as `kill -9` would and returns its last
    /// checkpoint (for [`Network::durable_node`]).
    pub fn crash(&self, site: SiteId) -> Option<Snapshot> {
        let mut nodes = lock(&self.inner.nodes);
        let node = nodes.get_mut(site.index())?.take()?;
        node.cancel.cancel();
        node.memory_checkpoint()
    }

    /// Cuts `site` off from every other site: packets to or from it are
    /// lost (its node keeps running) until [`Network::heal`].
    pub fn partition(&self, site: SiteId) {
        if let Some(cut) = lock(&self.inner.partitioned).get_mut(site.index()) {
            *cut = true;
        }
    }

    /// Ends `site`'s partition.
    pub fn heal(&self, site: SiteId) {
        if let Some(cut) = lock(&self.inner.partitioned).get_mut(site.index()) {
            *cut = false;
        }
        self.inner.changed.notify_one();
    }

    /// What the network did so far.
    pub fn stats(&self) -> NetworkStats {
        *lock(&self.inner.stats)
    }

    fn attach(
        &self,
        site: SiteId,
        persist: Persist,
        from: Option<Snapshot>,
    ) -> Result<(Sender, Receiver), NetError> {
        if site.index() >= self.inner.sites {
            return Err(NetError::UnknownPeer(site));
        }
        let peers: Vec<SiteId> = (0..self.inner.sites)
            .map(SiteId::from_index)
            .filter(|s| *s != site)
            .collect();
        let changed = Some(self.inner.changed.clone());
        let epoch = self.inner.next_epoch.fetch_add(1, Ordering::Relaxed);
        let start = Start::from(from, epoch);
        let (shared, inbound) =
            Shared::build(site, &peers, persist, MAX_PAYLOAD, start, None, changed)?;
        if let Some(old) = lock(&self.inner.nodes)[site.index()].replace(shared.clone()) {
            old.cancel.cancel();
        }
        self.inner.changed.notify_one();
        Ok(halves(shared, inbound))
    }
}

/// `node` only fails for a site out of range.
fn unreachable_node() -> ! {
    panic!("Network::node: site out of range")
}

impl Drop for Network {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// SplitMix64: a small, seedable generator of fault decisions (not used
/// for anything secret).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// `true` with probability `p`.
    fn chance(&mut self, p: f64) -> bool {
        p > 0.0 && (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }

    /// A number in `0..=max`.
    fn upto(&mut self, max: u64) -> u64 {
        self.next() % max.saturating_add(1).max(1)
    }
}

/// Per ordered pair of sites, what the network has taken from the sender
/// (`node`: the sender's incarnation it was taken from).
#[derive(Clone, Default)]
struct Link {
    node: Option<Arc<Shared>>,
    sent: u64,
    acked: Option<Ack>,
}

/// The driver: takes new packets from every node, moves one ready packet
/// at a time, retransmits after [`RETRANSMIT`] of silence.
async fn drive(inner: Arc<Inner>, cancel: CancellationToken, mut rng: Rng, faults: Faults) {
    let n = inner.sites;
    let mut links = vec![Link::default(); n * n];
    // Packets by (time they are ready, order of sending).
    let mut flight: BTreeMap<(u64, u64), Packet> = BTreeMap::new();
    let mut sent = 0u64;
    let mut step = 0u64;
    loop {
        let nodes: Vec<Option<Arc<Shared>>> = lock(&inner.nodes)
            .iter()
            .map(|s| s.clone().filter(|s| !s.cancel.is_cancelled()))
            .collect();
        // Take what is new: payloads past what was taken, changed acks.
        for node in nodes.iter().flatten() {
            let from = node.site();
            for to in node.peer_ids() {
                let link = &mut links[from.index() * n + to.index()];
                if !link.node.as_ref().is_some_and(|l| Arc::ptr_eq(l, node)) {
                    *link = Link {
                        node: Some(node.clone()),
                        ..Link::default()
                    };
                }
                for msg in node.unacked_after(to, link.sent, usize::MAX) {
                    if let Msg::Data { seq, .. } = msg {
                        link.sent = seq;
                    }
                    let ready_at = step + rng.upto(faults.max_delay);
                    let packet = Packet {
                        from,
                        to,
                        msg,
                        copy: false,
                    };
                    flight.insert((ready_at, next_id(&mut sent)), packet);
                }
                if let Some(cell) = node.cell(to) {
                    let ack = *cell.ackable.borrow();
                    if link.acked != Some(ack) {
                        link.acked = Some(ack);
                        let ready_at = step + rng.upto(faults.max_delay);
                        let msg = Msg::Ack {
                            epoch: ack.epoch,
                            upto: ack.upto,
                        };
                        let packet = Packet {
                            from,
                            to,
                            msg,
                            copy: false,
                        };
                        flight.insert((ready_at, next_id(&mut sent)), packet);
                    }
                }
            }
        }
        if flight.is_empty() {
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = inner.changed.notified() => continue,
                _ = tokio::time::sleep(RETRANSMIT) => {
                    // Silence: resend everything unacknowledged, and every ack.
                    links.iter_mut().for_each(|l| *l = Link::default());
                    lock(&inner.stats).retransmissions += 1;
                    continue;
                }
            }
        }
        for _ in 0..PACKETS_PER_TURN {
            let Some(packet) = take_ready(&mut flight, &mut step, &mut rng, &faults, &inner) else {
                break;
            };
            let cut = {
                let partitioned = lock(&inner.partitioned);
                partitioned[packet.from.index()] || partitioned[packet.to.index()]
            };
            let mut stats = lock(&inner.stats);
            if cut {
                stats.cut += 1;
                continue;
            }
            if rng.chance(faults.drop) {
                stats.dropped += 1;
                continue;
            }
            if !packet.copy && rng.chance(faults.duplicate) {
                stats.duplicated += 1;
                let ready_at = step + 1 + rng.upto(faults.max_delay);
                let copy = Packet {
                    msg: packet.msg.clone(),
                    copy: true,
                    ..packet
                };
                flight.insert((ready_at, next_id(&mut sent)), copy);
            }
            stats.delivered += 1;
            drop(stats);
            let Some(Some(node)) = nodes.get(packet.to.index()) else {
                continue;
            };
            match packet.msg {
                Msg::Data {
                    epoch,
                    first,
                    seq,
                    payload,
                } => node.on_data(packet.from, epoch, first, seq, payload),
                Msg::Ack { epoch, upto } => node.on_ack(packet.from, epoch, upto),
            }
        }
        tokio::task::yield_now().await;
    }
}

/// The next packet number (ties between packets ready at the same step go
/// to the one sent first).
fn next_id(sent: &mut u64) -> u64 {
    *sent += 1;
    *sent
}

/// Removes the next packet to deliver: the oldest ready one, or, when
/// reordering, a random one of the next [`REORDER_SPAN`] ready ones; advances
/// the clock when none is ready.
fn take_ready(
    flight: &mut BTreeMap<(u64, u64), Packet>,
    step: &mut u64,
    rng: &mut Rng,
    faults: &Faults,
    inner: &Inner,
) -> Option<Packet> {
    let (&(earliest, _), _) = flight.first_key_value()?;
    *step = (*step).max(earliest);
    let ready = flight.range(..(*step + 1, 0)).take(REORDER_SPAN).count();
    let mut pick = 0;
    if ready > 1 && rng.chance(faults.reorder) {
        lock(&inner.stats).reordered += 1;
        pick = rng.upto(ready as u64 - 1) as usize;
    }
    let key = *flight.keys().nth(pick)?;
    *step += 1;
    flight.remove(&key)
}
