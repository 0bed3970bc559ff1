//! The state one site's transport shares between the application's halves
//! (`Sender`, `Receiver`) and the connection tasks: per peer, the reliable
//! [`Outbox`] and [`Inbox`] under one lock, and two watches that wake the
//! tasks (new payloads to send, a new acknowledgement to send).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::{mpsc, watch, Notify};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::frame::{Msg, MAX_MAX_FRAME, MIN_MAX_FRAME};
use super::link::OperatorLink;
use super::noise::max_plain;
use super::reliable::{Ack, Arrival, Inbox, Outbox};
use super::state::{fresh_epoch, PeerSnapshot, Persist, Snapshot, Start};
use super::{NetConfig, NetError, NetStats};
use crate::SiteId;

/// One peer's reliable state and wake-ups.
pub struct PeerCell {
    state: Mutex<PeerState>,
    /// The last sequence number queued; changes wake the sending task.
    pub queued: watch::Sender<u64>,
    /// What may be acknowledged; changes wake the acknowledging task.
    pub ackable: watch::Sender<Ack>,
}

struct PeerState {
    outbox: Outbox,
    inbox: Inbox,
}

/// See the module documentation.
pub struct Shared {
    site: SiteId,
    epoch: u64,
    peers: BTreeMap<SiteId, PeerCell>,
    persist: Persist,
    /// Poked on every change a transport task may have to act on (used by
    /// the in-memory transport's single driver).
    changed: Option<Arc<Notify>>,
    max_payload: usize,
    local_addr: Option<SocketAddr>,
    inbound: mpsc::UnboundedSender<Delivery>,
    stats: watch::Sender<NetStats>,
    /// Bumped on every acknowledgement received.
    acks: watch::Sender<u64>,
    /// What the operator is told (`status.rs`).
    status: Mutex<Vec<u8>>,
    /// Where operator links go, once the application asked for them
    /// (`link.rs`).
    links: Mutex<Option<mpsc::UnboundedSender<OperatorLink>>>,
    /// Cancelled to stop every task.
    pub cancel: CancellationToken,
    /// Every task of the transport, to wait for them on shutdown.
    pub tasks: TaskTracker,
}

/// A payload queued for the application: sender, sender's epoch, sequence
/// number, payload.
pub type Delivery = (SiteId, u64, u64, Vec<u8>);

/// The receiving end of the application's queue.
pub type Inbound = mpsc::UnboundedReceiver<Delivery>;

impl Shared {
    /// The state of a TCP transport: checks `config`, restores the state
    /// file if there is one.
    pub fn new(
        config: &NetConfig,
        local_addr: Option<SocketAddr>,
    ) -> Result<(Arc<Self>, Inbound), NetError> {
        if !(MIN_MAX_FRAME..=MAX_MAX_FRAME).contains(&config.max_frame) {
            return Err(NetError::Config(format!(
                "max_frame {} is not between {MIN_MAX_FRAME} and {MAX_MAX_FRAME}",
                config.max_frame
            )));
        }
        if config.credentials.site() != config.site {
            return Err(NetError::Config(format!(
                "the credentials are site #{}'s, not site #{}'s",
                config.credentials.site().0,
                config.site.0
            )));
        }
        let peers: Vec<SiteId> = config.peers.iter().map(|(s, _)| *s).collect();
        for site in &peers {
            if config.credentials.public_key(*site).is_none() {
                return Err(NetError::Config(format!(
                    "peer site #{} has no key in the key file",
                    site.0
                )));
            }
        }
        let restored = match &config.state_dir {
            Some(dir) => {
                std::fs::create_dir_all(dir).map_err(|e| {
                    NetError::State(format!("cannot create `{}`: {e}", dir.display()))
                })?;
                Snapshot::read(dir)?
            }
            None => None,
        };
        // Room for the message's own fields around the payload.
        let max_payload = max_plain(config.max_frame).saturating_sub(Msg::data_overhead());
        let persist = match &config.state_dir {
            Some(dir) => Persist::Dir(dir.clone()),
            None => Persist::Nothing,
        };
        let shared = Self::build(
            config.site,
            &peers,
            persist,
            max_payload,
            Start::from(restored, fresh_epoch()),
            local_addr,
            None,
        )?;
        Ok(shared)
    }

    /// The state of any transport. A restored snapshot must be this site's
    /// and mention only `peers`.
    pub fn build(
        site: SiteId,
        peers: &[SiteId],
        persist: Persist,
        max_payload: usize,
        start: Start,
        local_addr: Option<SocketAddr>,
        changed: Option<Arc<Notify>>,
    ) -> Result<(Arc<Self>, Inbound), NetError> {
        let epoch = start.epoch();
        let mut cells = BTreeMap::new();
        for &peer in peers {
            if peer == site || cells.contains_key(&peer) {
                return Err(NetError::Config(format!(
                    "site #{} is listed twice or is this site",
                    peer.0
                )));
            }
            cells.insert(peer, (Outbox::new(epoch), 0, 0));
        }
        if let Start::Restored(snapshot) = start {
            if snapshot.site != site {
                return Err(NetError::State(format!(
                    "the state file is site #{}'s",
                    snapshot.site.0
                )));
            }
            for p in snapshot.peers {
                let cell = cells.get_mut(&p.peer).ok_or_else(|| {
                    NetError::State(format!(
                        "the state file names site #{}, not a peer",
                        p.peer.0
                    ))
                })?;
                if !p.outbox.is_consistent() {
                    return Err(NetError::State("inconsistent outbox in the state".into()));
                }
                *cell = (p.outbox, p.peer_epoch, p.delivered);
            }
        }
        let peers = cells
            .into_iter()
            .map(|(peer, (outbox, peer_epoch, delivered))| {
                let inbox = Inbox::resumed(peer_epoch, delivered);
                let cell = PeerCell {
                    queued: watch::Sender::new(outbox.last_seq()),
                    ackable: watch::Sender::new(inbox.ackable(true)),
                    state: Mutex::new(PeerState { outbox, inbox }),
                };
                (peer, cell)
            })
            .collect();
        let (tx, rx) = mpsc::unbounded_channel();
        let shared = Shared {
            site,
            epoch,
            peers,
            persist,
            changed,
            max_payload,
            local_addr,
            inbound: tx,
            stats: watch::Sender::new(NetStats::default()),
            acks: watch::Sender::new(0),
            status: Mutex::new(Vec::new()),
            links: Mutex::new(None),
            cancel: CancellationToken::new(),
            tasks: TaskTracker::new(),
        };
        Ok((Arc::new(shared), rx))
    }

    /// This site.
    pub fn site(&self) -> SiteId {
        self.site
    }

    /// The epoch of this site's numbering.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// The peers, in order.
    pub fn peer_ids(&self) -> impl Iterator<Item = SiteId> + '_ {
        self.peers.keys().copied()
    }

    /// The cell of `peer`.
    pub fn cell(&self, peer: SiteId) -> Option<&PeerCell> {
        self.peers.get(&peer)
    }

    fn lock(cell: &PeerCell) -> MutexGuard<'_, PeerState> {
        // A panic while holding the lock cannot leave the state half-changed
        // (every update is a single call), so a poisoned lock is still good.
        cell.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues a payload for `to`.
    pub fn send(&self, to: SiteId, payload: Vec<u8>) -> Result<(), NetError> {
        if self.cancel.is_cancelled() {
            return Err(NetError::Closed);
        }
        if payload.len() > self.max_payload {
            return Err(NetError::PayloadTooLarge {
                len: payload.len(),
                max: self.max_payload,
            });
        }
        let cell = self.cell(to).ok_or(NetError::UnknownPeer(to))?;
        let seq = Self::lock(cell).outbox.push(payload);
        cell.queued.send_replace(seq);
        self.poke();
        Ok(())
    }

    /// The largest payload accepted.
    pub fn max_payload(&self) -> usize {
        self.max_payload
    }

    /// The unacknowledged payloads to `peer` after `after`, at most
    /// `limit`, as messages.
    pub fn unacked_after(&self, peer: SiteId, after: u64, limit: usize) -> Vec<Msg> {
        let Some(cell) = self.cell(peer) else {
            return Vec::new();
        };
        let state = Self::lock(cell);
        let (epoch, first) = (state.outbox.epoch(), state.outbox.first());
        let batch = state.outbox.after(after, limit);
        drop(state);
        batch
            .into_iter()
            .map(|(seq, payload)| Msg::Data {
                epoch,
                first,
                seq,
                payload,
            })
            .collect()
    }

    /// A payload arrived from `from`: queue what is now in order for the
    /// application.
    pub fn on_data(&self, from: SiteId, epoch: u64, first: u64, seq: u64, payload: Vec<u8>) {
        let Some(cell) = self.cell(from) else {
            return;
        };
        let mut state = Self::lock(cell);
        match state.inbox.arrive(epoch, first, seq, payload) {
            Arrival::Ready(ready) => {
                // Sent under the lock, so the queue keeps the sender's order.
                for (seq, payload) in ready {
                    let _ = self.inbound.send((from, epoch, seq, payload));
                }
                // A new epoch changes what is acknowledged.
                let ackable = state.inbox.ackable(self.durable());
                // Published under the lock: two threads computing the
                // acknowledgement (this arrival, the application taking a
                // payload) must publish in the order they computed it, or
                // an older value overwrites a newer one and the last
                // acknowledgement is never sent (found by the proxy tests).
                self.publish(cell, ackable);
                drop(state);
            }
            Arrival::Held | Arrival::Stale => {}
            Arrival::Duplicate => {
                drop(state);
                self.stats.send_modify(|s| s.duplicates += 1);
                // The acknowledgement may have been lost: send it again.
                cell.ackable.send_modify(|_| {});
                self.poke();
            }
        }
    }

    /// `from` acknowledged everything of `epoch` up to `upto`.
    pub fn on_ack(&self, from: SiteId, epoch: u64, upto: u64) {
        if let Some(cell) = self.cell(from) {
            Self::lock(cell).outbox.ack(epoch, upto);
            self.acks.send_modify(|n| *n = n.wrapping_add(1));
        }
    }

    /// Waits until nothing is left unacknowledged (or the transport stops).
    pub async fn settled(&self) {
        let mut acks = self.acks.subscribe();
        loop {
            acks.borrow_and_update();
            if self.unacked() == 0 || self.cancel.is_cancelled() {
                return;
            }
            tokio::select! {
                _ = acks.changed() => {}
                _ = self.cancel.cancelled() => return,
            }
        }
    }

    /// The number of the last payload queued for `peer` (0 if none).
    pub fn last_sent(&self, peer: SiteId) -> u64 {
        self.cell(peer)
            .map_or(0, |cell| Self::lock(cell).outbox.last_seq())
    }

    /// Whether every payload numbered up to its mark has been acknowledged,
    /// for each `(peer, mark)`.
    fn acknowledged(&self, marks: &[(SiteId, u64)]) -> bool {
        marks.iter().all(|&(peer, mark)| {
            self.cell(peer)
                .is_none_or(|cell| Self::lock(cell).outbox.first() > mark)
        })
    }

    /// Waits until every payload numbered up to its mark is acknowledged,
    /// for each `(peer, mark)` (or the transport is shut down).
    pub async fn settled_upto(&self, marks: &[(SiteId, u64)]) {
        let mut acks = self.acks.subscribe();
        loop {
            acks.borrow_and_update();
            if self.acknowledged(marks) || self.cancel.is_cancelled() {
                return;
            }
            tokio::select! {
                _ = acks.changed() => {}
                _ = self.cancel.cancelled() => return,
            }
        }
    }

    /// The application took payload `seq` of `epoch` from `from`.
    pub fn taken(&self, from: SiteId, epoch: u64, seq: u64) {
        let Some(cell) = self.cell(from) else {
            return;
        };
        let mut state = Self::lock(cell);
        state.inbox.taken(epoch, seq);
        let ackable = state.inbox.ackable(self.durable());
        // Under the lock, as in `on_data`.
        self.publish(cell, ackable);
        drop(state);
    }

    /// Wakes the acknowledging task if `ackable` is news.
    fn publish(&self, cell: &PeerCell, ackable: Ack) {
        if cell
            .ackable
            .send_if_modified(|v| std::mem::replace(v, ackable) != ackable)
        {
            self.poke();
        }
    }

    /// Whether acknowledgements wait for a checkpoint.
    fn durable(&self) -> bool {
        !matches!(self.persist, Persist::Nothing)
    }

    /// Wakes the in-memory transport's driver, if any.
    fn poke(&self) {
        if let Some(changed) = &self.changed {
            changed.notify_one();
        }
    }

    /// The last checkpoint kept in memory, if any.
    pub fn memory_checkpoint(&self) -> Option<Snapshot> {
        match &self.persist {
            Persist::Memory(kept) => kept.lock().unwrap_or_else(|p| p.into_inner()).clone(),
            _ => None,
        }
    }

    /// The delivery state now.
    pub fn snapshot(&self) -> Snapshot {
        let peers = self
            .peers
            .iter()
            .map(|(&peer, cell)| {
                let state = Self::lock(cell);
                PeerSnapshot {
                    peer,
                    outbox: state.outbox.clone(),
                    peer_epoch: state.inbox.epoch(),
                    delivered: state.inbox.delivered(),
                }
            })
            .collect();
        Snapshot {
            site: self.site,
            epoch: self.epoch,
            peers,
        }
    }

    /// Writes the snapshot to the state directory, then releases the
    /// acknowledgements it makes durable.
    pub async fn checkpoint(&self) -> Result<Snapshot, NetError> {
        let snapshot = self.snapshot();
        match &self.persist {
            Persist::Nothing => {
                return Err(NetError::State("no state directory configured".into()))
            }
            Persist::Dir(dir) => {
                let (dir, to_write) = (dir.clone(), snapshot.clone());
                tokio::task::spawn_blocking(move || to_write.write(&dir))
                    .await
                    .map_err(|e| NetError::State(format!("checkpoint task: {e}")))??;
            }
            Persist::Memory(kept) => {
                *kept.lock().unwrap_or_else(|p| p.into_inner()) = Some(snapshot.clone());
            }
        }
        for p in &snapshot.peers {
            if let Some(cell) = self.cell(p.peer) {
                let mut state = Self::lock(cell);
                state.inbox.checkpointed(p.peer_epoch, p.delivered);
                let ackable = state.inbox.ackable(true);
                // Under the lock, as in `on_data`.
                self.publish(cell, ackable);
                drop(state);
            }
        }
        Ok(snapshot)
    }

    /// Unacknowledged payloads over all peers.
    pub fn unacked(&self) -> usize {
        self.peers
            .values()
            .map(|cell| Self::lock(cell).outbox.unacked())
            .sum()
    }

    /// Replaces what the operator is told.
    pub fn set_status(&self, status: Vec<u8>) {
        *self.status.lock().unwrap_or_else(|p| p.into_inner()) = status;
    }

    /// What the operator is told.
    pub fn status(&self) -> Vec<u8> {
        self.status
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Operator links from now on go to the returned queue.
    pub fn operator_links(&self) -> mpsc::UnboundedReceiver<OperatorLink> {
        let (tx, rx) = mpsc::unbounded_channel();
        *self.links.lock().unwrap_or_else(|p| p.into_inner()) = Some(tx);
        rx
    }

    /// Hands an operator link to the application; `Err` if it takes none.
    pub fn hand_link(&self, link: OperatorLink) -> Result<(), NetError> {
        let links = self.links.lock().unwrap_or_else(|p| p.into_inner());
        match links.as_ref() {
            Some(tx) if tx.send(link).is_ok() => Ok(()),
            _ => Err(NetError::Protocol(
                "this agent takes no operator link (it runs with --once)".into(),
            )),
        }
    }

    /// The listening address, if any.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.local_addr
    }

    /// The connection counters.
    pub fn stats(&self) -> &watch::Sender<NetStats> {
        &self.stats
    }
}
