//! Waiting `cost × unit` precisely, for transitions without an action.
//!
//! Tokio's timer wheel has a resolution of one millisecond and rounds up,
//! and its timers are only looked at when a worker thread turns to its
//! driver: along a chain of 10 ms transitions that adds up to 10 % per
//! transition, and more when the workers are busy. Spinning through the last
//! milliseconds fixes the rounding but steals the workers from every other
//! task (and their timers). So waits go to one thread of their own that
//! sleeps until the earliest deadline (the OS sleeps with ~0.1 ms
//! precision) and wakes the waiting tasks, or calls back ([`at`]): an
//! agent's transition ends straight into its event queue, without a task
//! of its own to wake in between.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::{Condvar, Mutex, OnceLock};
use std::time::Instant;

use tokio::sync::oneshot;

/// What the clock thread calls at a deadline.
type Wake = Box<dyn FnOnce() + Send>;

/// Deadlines not reached yet, earliest first.
struct Pending {
    heap: BinaryHeap<Reverse<(Instant, u64)>>,
    wakers: HashMap<u64, Wake>,
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
            .spawn(move || {
                // Linux lets a sleeping thread wake up to 50 µs late by
                // default (its timer slack), to batch wake-ups; the clock
                // is there to be on time.
                #[cfg(target_os = "linux")]
                let _ = nix::sys::prctl::set_timerslack(1);
                clock.run()
            })
            .ok()
            .map(|_| clock)
    })
}

impl Clock {
    fn lock(&self) -> std::sync::MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn run(&self) {
        let mut pending = self.lock();
        let mut due = Vec::new();
        loop {
            let now = Instant::now();
            while let Some(&Reverse((at, id))) = pending.heap.peek() {
                if at > now {
                    break;
                }
                pending.heap.pop();
                due.extend(pending.wakers.remove(&id));
            }
            if !due.is_empty() {
                drop(pending);
                for wake in due.drain(..) {
                    wake();
                }
                pending = self.lock();
                continue;
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

/// Calls `wake` at `deadline`, to within the OS's sleep precision, on the
/// clock thread (so `wake` must be quick: send a message, say); at once if
/// the deadline has passed.
pub fn at(deadline: Instant, wake: impl FnOnce() + Send + 'static) {
    if deadline <= Instant::now() {
        return wake();
    }
    let Some(clock) = clock() else {
        // No clock thread: a thread of its own.
        let _ = std::thread::spawn(move || {
            std::thread::sleep(deadline.saturating_duration_since(Instant::now()));
            wake();
        });
        return;
    };
    {
        let mut pending = clock.lock();
        let id = pending.next;
        pending.next += 1;
        pending.heap.push(Reverse((deadline, id)));
        pending.wakers.insert(id, Box::new(wake));
    }
    clock.changed.notify_one();
}

/// Waits until `deadline`, to within the OS's sleep precision.
pub async fn sleep_until(deadline: Instant) {
    let (tx, rx) = oneshot::channel();
    at(deadline, move || {
        let _ = tx.send(());
    });
    // The clock never drops a waker before its deadline.
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

    #[test]
    fn calls_back_at_the_deadline() {
        let start = Instant::now();
        let (tx, rx) = std::sync::mpsc::channel();
        for ms in [20, 5] {
            let tx = tx.clone();
            at(start + Duration::from_millis(ms), move || {
                let _ = tx.send((ms, Instant::now()));
            });
        }
        let (first, when) = rx.recv().expect("a call");
        assert_eq!(first, 5);
        assert!(when >= start + Duration::from_millis(5));
        let (second, when) = rx.recv().expect("a call");
        assert_eq!(second, 20);
        assert!(when >= start + Duration::from_millis(20));
    }
}
