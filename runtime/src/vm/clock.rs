//! Waiting `cost × unit` precisely, for transitions without an action.
//!
//! Tokio's timer wheel has a resolution of one millisecond and rounds up,
//! and its timers are only looked at when a worker thread turns to its
//! driver: along a chain of 10 ms transitions that adds up to 10 % per
//! transition, and more when the workers are busy. Spinning through the last
//! milliseconds fixes the rounding but steals the workers from every other
//! task (and their timers). So waits go to one thread of their own that
//! sleeps until the earliest deadline (the OS sleeps with ~0.1 ms
//! precision) and wakes the waiting tasks.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::{Condvar, Mutex, OnceLock};
use std::time::Instant;

use tokio::sync::oneshot;

/// Deadlines not reached yet, earliest first.
struct Pending {
    heap: BinaryHeap<Reverse<(Instant, u64)>>,
    wakers: HashMap<u64, oneshot::Sender<()>>,
    next: u64,
}

struct Clock {
    pending: Mutex<Pending>,
    changed: Condvar,
}

/// The clock thread's state; `None` if the thread could not be started.
fn clock() -> Option<&'static Clock> {
    static CLOCK: OnceLock<Option<&'static Clock>> = OnceLock::new();
    *CLOCK.get_or_init(|| {
        let clock: &'static Clock = Box::leak(Box::new(Clock {
            pending: Mutex::new(Pending {
                heap: BinaryHeap::new(),
                wakers: HashMap::new(),
                next: 0,
            }),
            changed: Condvar::new(),
        }));
        std::thread::Builder::new()
            .name("ballet-clock".into())
            .spawn(move || clock.run())
            .ok()
            .map(|_| clock)
    })
}

impl Clock {
    fn run(&self) {
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            let now = Instant::now();
            while let Some(&Reverse((at, id))) = pending.heap.peek() {
                if at > now {
                    break;
                }
                pending.heap.pop();
                if let Some(waker) = pending.wakers.remove(&id) {
                    let _ = waker.send(());
                }
            }
            pending = match pending.heap.peek() {
                Some(&Reverse((at, _))) => {
                    let wait = at.saturating_duration_since(Instant::now());
                    self.changed
                        .wait_timeout(pending, wait)
                        .unwrap_or_else(|e| e.into_inner())
                        .0
                }
                None => self
                    .changed
                    .wait(pending)
                    .unwrap_or_else(|e| e.into_inner()),
            };
        }
    }
}

/// Waits until `deadline`, to within the OS's sleep precision.
pub async fn sleep_until(deadline: Instant) {
    if deadline <= Instant::now() {
        return;
    }
    let Some(clock) = clock() else {
        return tokio::time::sleep_until(deadline.into()).await;
    };
    let (tx, rx) = oneshot::channel();
    {
        let mut pending = clock.pending.lock().unwrap_or_else(|e| e.into_inner());
        let id = pending.next;
        pending.next += 1;
        pending.heap.push(Reverse((deadline, id)));
        pending.wakers.insert(id, tx);
    }
    clock.changed.notify_one();
    // The clock thread never drops a waker before its deadline.
    let _ = rx.await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn wakes_at_the_deadline_in_order() {
        let start = Instant::now();
        let late = tokio::spawn(sleep_until(start + Duration::from_millis(30)));
        sleep_until(start + Duration::from_millis(10)).await;
        assert!(start.elapsed() >= Duration::from_millis(10));
        late.await.expect("task");
        assert!(start.elapsed() >= Duration::from_millis(30));
        // A deadline in the past returns at once.
        sleep_until(start).await;
    }
}
