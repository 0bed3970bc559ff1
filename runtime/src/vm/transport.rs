//! How the in-process runner carries messages between site tasks.
//!
//! A [`Transport`] has the shape of the network transport: `send(to,
//! payload)` with opaque bytes (an encoded [`super::AgentMessage`]),
//! reliable per peer. [`Mailboxes`] are the sites' inboxes; every payload
//! put into one is counted as outstanding work until its receiver has
//! handled it, which is how the runner knows that nothing can happen
//! anymore.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};
use tokio::sync::Notify;

use crate::ids::SiteId;

/// Carries payloads to sites (global ids).
pub trait Transport: Send + Sync + 'static {
    /// Sends `payload` to site `to`; delivery is the transport's job.
    fn send(&self, to: SiteId, payload: Vec<u8>);
}

/// Outstanding work of a run: payloads not yet handled, transitions not yet
/// ended, sites not yet started. Zero means nothing can happen anymore.
#[derive(Debug, Default)]
pub struct Work {
    count: AtomicUsize,
    quiet: Notify,
}

impl Work {
    /// Adds `n` pieces of work.
    pub fn add(&self, n: usize) {
        self.count.fetch_add(n, Ordering::SeqCst);
    }

    /// One piece of work is done; the last one wakes [`Self::quiet`].
    pub fn done(&self) {
        if self.count.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.quiet.notify_one();
        }
    }

    /// Waits until no work is left.
    pub async fn quiet(&self) {
        self.quiet.notified().await;
    }

    /// Hands every report of `monitor` to `handle` until no work is left
    /// (or every sender is gone). Reports are sent before the piece of work
    /// they belong to is released, so those still queued when the work goes
    /// quiet are drained too.
    pub async fn follow<T>(&self, monitor: &mut UnboundedReceiver<T>, mut handle: impl FnMut(T)) {
        loop {
            tokio::select! {
                report = monitor.recv() => match report {
                    Some(r) => handle(r),
                    None => return,
                },
                () = self.quiet() => {
                    while let Ok(r) = monitor.try_recv() {
                        handle(r);
                    }
                    return;
                }
            }
        }
    }
}

/// The inboxes of every site, by global site id.
#[derive(Clone, Debug)]
pub struct Mailboxes {
    inboxes: Vec<UnboundedSender<Vec<u8>>>,
    work: Arc<Work>,
}

impl Mailboxes {
    pub(crate) fn new(inboxes: Vec<UnboundedSender<Vec<u8>>>, work: Arc<Work>) -> Mailboxes {
        Mailboxes { inboxes, work }
    }

    /// Puts `payload` into `to`'s inbox now. A payload for a site the run
    /// does not have is dropped.
    pub fn deliver(&self, to: SiteId, payload: Vec<u8>) {
        self.reserve().deliver(to, payload);
    }

    /// Counts a delivery that will happen later (a transport that delays or
    /// reorders), so the run does not end before it.
    pub fn reserve(&self) -> Reservation {
        self.work.add(1);
        Reservation {
            mailboxes: self.clone(),
            delivered: false,
        }
    }
}

/// A counted delivery (see [`Mailboxes::reserve`]); dropping it without
/// delivering releases the count.
#[derive(Debug)]
pub struct Reservation {
    mailboxes: Mailboxes,
    delivered: bool,
}

impl Reservation {
    /// Delivers the payload.
    pub fn deliver(mut self, to: SiteId, payload: Vec<u8>) {
        if let Some(inbox) = self.mailboxes.inboxes.get(to.index()) {
            if inbox.send(payload).is_ok() {
                self.delivered = true;
            }
        }
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        if !self.delivered {
            self.mailboxes.work.done();
        }
    }
}

/// The in-memory transport: delivers at once, in order.
#[derive(Clone, Debug)]
pub struct MemoryTransport(pub Mailboxes);

impl Transport for MemoryTransport {
    fn send(&self, to: SiteId, payload: Vec<u8>) {
        self.0.deliver(to, payload);
    }
}
