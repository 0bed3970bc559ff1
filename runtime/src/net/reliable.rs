//! Reliable delivery over unreliable links, without any I/O: sequence
//! numbers, cumulative acknowledgements, retransmission, de-duplication and
//! reordering. Both the TCP transport and the in-memory test transport drive
//! these state machines, so they share one implementation.
//!
//! Per ordered pair of sites (A → B): A numbers payloads 1, 2, 3, … and keeps
//! each until B acknowledges it ([`Outbox`]); B hands each sequence number to
//! its application at most once and in order, holding early arrivals back
//! ([`Inbox`]). B acknowledges cumulatively what its application has taken
//! — and, when B keeps state on disk, only what it has checkpointed — so a
//! crash of B never loses a payload that A has forgotten.
//!
//! Every numbering has an *epoch*, chosen when a site starts without state
//! (its start time) and kept in its checkpoints. A site that restarts
//! without state starts a new numbering with a larger epoch: its peers then
//! restart their count for it instead of taking its new payloads for
//! duplicates, and acknowledgements of the old numbering are ignored.
//! Each payload also carries the lowest number its sender still keeps
//! (`first`): everything below was acknowledged, by this receiver or by an
//! earlier incarnation of it that lost its state, so it is not waited for.

use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};

/// At most this many payloads ahead of the next expected one are held back
/// per peer; later ones are dropped (the sender retransmits them).
const REORDER_WINDOW: u64 = 4096;

/// The outgoing half towards one peer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outbox {
    /// The epoch of this numbering.
    epoch: u64,
    /// The sequence number the next payload gets (starts at 1).
    next_seq: u64,
    /// Payloads not yet acknowledged, in sequence order.
    unacked: VecDeque<(u64, Vec<u8>)>,
}

impl Outbox {
    /// An empty outbox numbering in `epoch`.
    pub fn new(epoch: u64) -> Self {
        Outbox {
            epoch,
            next_seq: 1,
            unacked: VecDeque::new(),
        }
    }

    /// The epoch of this numbering.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// Queues `payload` and returns its sequence number.
    pub fn push(&mut self, payload: Vec<u8>) -> u64 {
        let seq = self.next_seq.max(1);
        self.next_seq = seq + 1;
        self.unacked.push_back((seq, payload));
        seq
    }

    /// Forgets every payload up to `upto` of `epoch`. Acknowledgements of
    /// another epoch, or of numbers never sent, are ignored.
    pub fn ack(&mut self, epoch: u64, upto: u64) {
        if epoch != self.epoch || upto >= self.next_seq {
            return;
        }
        while self.unacked.front().is_some_and(|(seq, _)| *seq <= upto) {
            self.unacked.pop_front();
        }
    }

    /// The lowest sequence number still kept (the next one if none is).
    pub fn first(&self) -> u64 {
        self.unacked.front().map_or(self.next_seq, |(seq, _)| *seq)
    }

    /// The unacknowledged payloads after `after`, in order, at most `limit`.
    pub fn after(&self, after: u64, limit: usize) -> Vec<(u64, Vec<u8>)> {
        let start = self.unacked.partition_point(|(seq, _)| *seq <= after);
        self.unacked.range(start..).take(limit).cloned().collect()
    }

    /// The highest sequence number handed out (0: none).
    pub fn last_seq(&self) -> u64 {
        self.next_seq.saturating_sub(1)
    }

    /// Whether the numbers are increasing and below `next_seq` (a state
    /// file is checked with this before it is trusted).
    pub fn is_consistent(&self) -> bool {
        let mut last = 0;
        self.unacked.iter().all(|(seq, _)| {
            let ok = *seq > last && *seq < self.next_seq;
            last = *seq;
            ok
        })
    }

    /// How many payloads wait for an acknowledgement.
    pub fn unacked(&self) -> usize {
        self.unacked.len()
    }
}

/// What an [`Inbox`] says about one arriving payload.
#[derive(Debug, PartialEq, Eq)]
pub enum Arrival {
    /// These payloads are next, in order: hand them to the application.
    Ready(Vec<(u64, Vec<u8>)>),
    /// Already handed over (a duplicate): drop it, acknowledge again.
    Duplicate,
    /// Early: held back until the gap is filled (or dropped if too early).
    Held,
    /// From an older epoch of the sender: drop it.
    Stale,
}

/// The incoming half from one peer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Inbox {
    /// The sender's epoch these numbers belong to (0: none seen).
    epoch: u64,
    /// The highest sequence number handed to the application's queue.
    queued: u64,
    /// The highest sequence number the application has taken.
    delivered: u64,
    /// The highest sequence number in the last checkpoint.
    durable: u64,
    /// Early arrivals.
    ahead: BTreeMap<u64, Vec<u8>>,
}

impl Inbox {
    /// An inbox that has delivered (and checkpointed) everything up to
    /// `delivered` of the sender's `epoch`.
    pub fn resumed(epoch: u64, delivered: u64) -> Self {
        Inbox {
            epoch,
            queued: delivered,
            delivered,
            durable: delivered,
            ahead: BTreeMap::new(),
        }
    }

    /// Takes in payload `seq` of `epoch`, whose sender keeps nothing below
    /// `first`.
    pub fn arrive(&mut self, epoch: u64, first: u64, seq: u64, payload: Vec<u8>) -> Arrival {
        if epoch < self.epoch {
            return Arrival::Stale;
        }
        if epoch > self.epoch {
            *self = Inbox::resumed(epoch, 0);
        }
        if first > self.queued + 1 {
            // Acknowledged to an earlier incarnation of this site.
            self.queued = first - 1;
            self.delivered = self.delivered.max(self.queued);
            self.ahead = self.ahead.split_off(&first);
        }
        if seq <= self.queued {
            return Arrival::Duplicate;
        }
        if seq > self.queued + 1 {
            if seq - self.queued <= REORDER_WINDOW {
                self.ahead.insert(seq, payload);
            }
            return Arrival::Held;
        }
        let mut ready = vec![(seq, payload)];
        self.queued = seq;
        while let Some(next) = self.ahead.remove(&(self.queued + 1)) {
            self.queued += 1;
            ready.push((self.queued, next));
        }
        Arrival::Ready(ready)
    }

    /// The application has taken payload `seq` of `epoch`.
    pub fn taken(&mut self, epoch: u64, seq: u64) {
        if epoch == self.epoch {
            self.delivered = self.delivered.max(seq);
        }
    }

    /// A checkpoint recorded `delivered` of `epoch`.
    pub fn checkpointed(&mut self, epoch: u64, delivered: u64) {
        if epoch == self.epoch {
            self.durable = self.durable.max(delivered);
        }
    }

    /// The sender's epoch.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// The highest sequence number taken by the application.
    pub fn delivered(&self) -> u64 {
        self.delivered
    }

    /// What may be acknowledged: everything taken, or only everything
    /// checkpointed when the site keeps state.
    pub fn ackable(&self, durable_acks: bool) -> Ack {
        let upto = if durable_acks {
            self.durable
        } else {
            self.delivered
        };
        Ack {
            epoch: self.epoch,
            upto,
        }
    }
}

/// A cumulative acknowledgement: every payload of `epoch` up to `upto`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ack {
    /// The sender's epoch.
    pub epoch: u64,
    /// The highest sequence number acknowledged (0: none).
    pub upto: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outbox_numbers_keeps_and_forgets() {
        let mut out = Outbox::new(9);
        for i in 0..5u8 {
            out.push(vec![i]);
        }
        out.ack(9, 2);
        assert_eq!((out.unacked(), out.first()), (3, 3));
        out.ack(9, 99); // never sent: ignored
        out.ack(8, 4); // another epoch: ignored
        assert_eq!(out.unacked(), 3);
        assert_eq!(out.after(3, 10), vec![(4, vec![3]), (5, vec![4])]);
        assert_eq!(out.after(0, 1), vec![(3, vec![2])]);
        assert_eq!(out.last_seq(), 5);
    }

    #[test]
    fn inbox_dedups_and_reorders() {
        let mut inbox = Inbox::resumed(1, 0);
        assert_eq!(inbox.arrive(1, 1, 2, vec![2]), Arrival::Held);
        assert_eq!(inbox.arrive(1, 1, 3, vec![3]), Arrival::Held);
        assert_eq!(
            inbox.arrive(1, 1, 1, vec![1]),
            Arrival::Ready(vec![(1, vec![1]), (2, vec![2]), (3, vec![3])])
        );
        assert_eq!(inbox.arrive(1, 1, 2, vec![2]), Arrival::Duplicate);
        assert_eq!(
            inbox.arrive(1, 1, 1 + REORDER_WINDOW + 3, vec![]),
            Arrival::Held
        );
        assert!(inbox.ahead.is_empty());
        inbox.taken(1, 2);
        assert_eq!(inbox.ackable(false), Ack { epoch: 1, upto: 2 });
        assert_eq!(inbox.ackable(true).upto, 0);
        inbox.checkpointed(1, 2);
        assert_eq!(inbox.ackable(true).upto, 2);
    }

    #[test]
    fn a_new_epoch_restarts_the_count_and_old_ones_are_stale() {
        let mut inbox = Inbox::resumed(5, 40);
        assert_eq!(inbox.arrive(4, 1, 41, vec![]), Arrival::Stale);
        assert_eq!(
            inbox.arrive(6, 1, 1, vec![1]),
            Arrival::Ready(vec![(1, vec![1])])
        );
        assert_eq!(inbox.ackable(false), Ack { epoch: 6, upto: 0 });
        inbox.taken(5, 40); // from the old epoch: no effect
        assert_eq!(inbox.delivered(), 0);
    }

    #[test]
    fn what_the_sender_forgot_is_not_waited_for() {
        // This site lost its state; the sender kept only 10 and after.
        let mut inbox = Inbox::resumed(0, 0);
        assert_eq!(inbox.arrive(3, 10, 11, vec![11]), Arrival::Held);
        assert_eq!(
            inbox.arrive(3, 10, 10, vec![10]),
            Arrival::Ready(vec![(10, vec![10]), (11, vec![11])])
        );
    }
}
