//! The in-memory transport of `balletc plan`: site planners exchange their
//! messages through one FIFO queue, deterministically (sites start in index
//! order, messages are delivered in the order sent). The agents of the
//! runtime carry the same [`Envelope`]s over TCP instead.

use std::collections::VecDeque;

use crate::plan::protocol::{Envelope, Message};
use crate::plan::site::SitePlanner;

/// What the exchange cost.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Traffic {
    /// `Propose` messages sent.
    pub proposals: usize,
    /// `Ack` messages sent.
    pub acks: usize,
}

impl Traffic {
    /// Every message sent.
    pub fn messages(&self) -> usize {
        self.proposals + self.acks
    }
}

/// Runs the planners to quiescence: every site started, every message
/// delivered, every proposal acknowledged. `planners[s]` must be site `s`'s.
/// Messages are delivered in the order sent (`choose` is `None`), or in the
/// order `choose` picks, as a network may: `choose(k)` returns which of the `k` deliverable messages
/// (the oldest message of each (sender, receiver) channel, in the order they
/// were sent: channels are FIFO, as TCP connections are) goes next. The
/// result must not depend on it (`tests/oracle.rs` checks it), which is why
/// the agents' exchange over the network plans what `balletc plan` plans.
///
/// Constraint sets only grow, except a user's need for its provider, which
/// follows the user's plan; an exchange that runs past a generous bound
/// (a bug, or an oscillation the argument missed) is reported, not looped.
pub fn exchange_in_order(
    planners: &mut [SitePlanner<'_>],
    mut choose: Option<&mut dyn FnMut(usize) -> usize>,
) -> Result<Traffic, String> {
    let bound = 1_000 + 64 * planners.iter().map(|p| p.locals.len() + 1).sum::<usize>();
    let mut queue: VecDeque<Envelope> = VecDeque::new();
    let mut traffic = Traffic::default();
    let count = |traffic: &mut Traffic, out: &[Envelope]| {
        for e in out {
            match e.message {
                Message::Propose(_) => traffic.proposals += 1,
                Message::Ack => traffic.acks += 1,
            }
        }
    };
    for planner in planners.iter_mut() {
        let out = planner.start();
        count(&mut traffic, &out);
        queue.extend(out);
    }
    while let Some(envelope) = take(&mut queue, choose.as_deref_mut()) {
        let Some(planner) = planners.get_mut(envelope.to.index()) else {
            continue;
        };
        let out = planner.receive(envelope);
        count(&mut traffic, &out);
        queue.extend(out);
        if traffic.messages() > bound || planners.iter().any(|p| p.diverged) {
            return Err(format!(
                "the site planners exchanged more than {bound} messages without settling"
            ));
        }
    }
    if let Some(p) = planners.iter().find(|p| p.diverged) {
        return Err(format!(
            "the instances of site #{} did not settle on a plan",
            p.site.0
        ));
    }
    debug_assert!(planners.iter().all(SitePlanner::quiescent));
    Ok(traffic)
}

/// Removes the message `choose` picks among the oldest of each channel (the
/// oldest of all without `choose`: O(1), as planning large systems needs).
/// Tests use it to deliver in random network orders.
pub fn take(
    queue: &mut VecDeque<Envelope>,
    choose: Option<&mut (dyn FnMut(usize) -> usize + '_)>,
) -> Option<Envelope> {
    let Some(choose) = choose.filter(|_| queue.len() > 1) else {
        return queue.pop_front();
    };
    let mut heads: Vec<usize> = Vec::new();
    for (n, e) in queue.iter().enumerate() {
        if !heads
            .iter()
            .any(|&h| (queue[h].from, queue[h].to) == (e.from, e.to))
        {
            heads.push(n);
        }
    }
    let pick = heads[choose(heads.len()) % heads.len()];
    queue.remove(pick)
}
