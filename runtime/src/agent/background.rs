//! Checkpoints written off the sites' critical path, for a run whose sites
//! all live in this process (`balletc run`): one thread writes the
//! checkpoints of every site, one file at a time, the newest of each site
//! only, at most one per site every [`BACKGROUND_INTERVAL`] and one in all
//! every [`BACKGROUND_GAP`].
//!
//! Each write is atomic and synced (`write_checkpoint`), and on a small
//! machine a synced write costs every core time (the kernel flushes the
//! file and its directory). With a writer thread per site, a dozen sites on
//! two cores flushed at once and slowed the sites' critical path by 4 %
//! (CPS update, n = 10, 10 ms units); one writer keeps at most one flush
//! going, and the interval and the gap keep them few (together, another
//! 1 % on the same case).
//! A run killed between two writes of a site resumes from the older one and
//! re-runs what ran since: actions are re-runnable, and the facts a site
//! states again on start are idempotent. The final state of each site is
//! written when the run stops ([`BackgroundWriter::finish`]).

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::agent::checkpoint::write_checkpoint;

/// The least time between two writes of one file: a run killed in between
/// re-runs at most this much of a site's work.
pub const BACKGROUND_INTERVAL: Duration = Duration::from_millis(20);

/// The least time between two writes: the disk's share of the machine.
pub const BACKGROUND_GAP: Duration = Duration::from_millis(2);

/// The writer thread of a run; each site writes through its
/// [`BackgroundWriter`]. The thread ends once this and every site's writer
/// are dropped and nothing is left to write.
#[derive(Debug)]
pub struct CheckpointWriter {
    shared: Arc<Shared>,
}

/// One site's checkpoint file, written by a [`CheckpointWriter`].
#[derive(Debug)]
pub struct BackgroundWriter {
    path: PathBuf,
    shared: Arc<Shared>,
}

#[derive(Debug, Default)]
struct Shared {
    state: Mutex<State>,
    changed: Condvar,
}

#[derive(Debug, Default)]
struct State {
    /// Files with a checkpoint to write, oldest request first.
    queue: VecDeque<PathBuf>,
    /// The newest checkpoint of each file in `queue`.
    newest: HashMap<PathBuf, Vec<u8>>,
    /// The file being written.
    writing: Option<PathBuf>,
    /// The first error of each file.
    errors: HashMap<PathBuf, String>,
    /// When each file was last written.
    written: HashMap<PathBuf, Instant>,
    /// When the last write ended.
    last: Option<Instant>,
    /// Live handles: the `CheckpointWriter` and its `BackgroundWriter`s.
    handles: usize,
}

impl State {
    /// The first file in the queue whose last write is
    /// [`BACKGROUND_INTERVAL`] old, or when the first one will be.
    fn next(&mut self, now: Instant) -> Result<PathBuf, Option<Instant>> {
        let any = self.last.map_or(now, |at| at + BACKGROUND_GAP);
        let ready = |p: &PathBuf| {
            self.written
                .get(p)
                .map_or(now, |&at| at + BACKGROUND_INTERVAL)
                .max(any)
        };
        match self.queue.iter().position(|p| ready(p) <= now) {
            Some(k) => Ok(self.queue.remove(k).unwrap_or_default()),
            None => Err(self.queue.iter().map(ready).min()),
        }
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn wait<'a>(&self, state: MutexGuard<'a, State>) -> MutexGuard<'a, State> {
        self.changed.wait(state).unwrap_or_else(|e| e.into_inner())
    }

    fn release(&self) {
        self.lock().handles -= 1;
        self.changed.notify_all();
    }

    /// The writer thread's loop.
    fn run(&self) {
        let mut state = self.lock();
        loop {
            match state.next(Instant::now()) {
                Ok(path) => {
                    let Some(bytes) = state.newest.remove(&path) else {
                        continue;
                    };
                    state.writing = Some(path.clone());
                    drop(state);
                    let result = write_checkpoint(&path, &bytes);
                    state = self.lock();
                    state.writing = None;
                    let now = Instant::now();
                    state.written.insert(path.clone(), now);
                    state.last = Some(now);
                    if let Err(e) = result {
                        state.errors.entry(path).or_insert(e);
                    }
                    self.changed.notify_all();
                }
                // Nothing left to write, and nobody to write for.
                Err(None) if state.handles == 0 => return,
                Err(None) => state = self.wait(state),
                Err(Some(at)) => {
                    let wait = at.saturating_duration_since(Instant::now());
                    state = self
                        .changed
                        .wait_timeout(state, wait)
                        .unwrap_or_else(|e| e.into_inner())
                        .0;
                }
            }
        }
    }
}

impl CheckpointWriter {
    /// Starts the writer thread; `Err` if the thread cannot be started.
    pub fn spawn() -> Result<CheckpointWriter, String> {
        let shared = Arc::new(Shared::default());
        shared.lock().handles = 1;
        let thread = shared.clone();
        std::thread::Builder::new()
            .name("ballet-checkpoints".into())
            .spawn(move || thread.run())
            .map_err(|e| format!("cannot start the checkpoint writer: {e}"))?;
        Ok(CheckpointWriter { shared })
    }

    /// The writer of the checkpoint file `path`.
    pub fn file(&self, path: PathBuf) -> BackgroundWriter {
        self.shared.lock().handles += 1;
        BackgroundWriter {
            path,
            shared: self.shared.clone(),
        }
    }
}

impl Drop for CheckpointWriter {
    fn drop(&mut self) {
        self.shared.release();
    }
}

impl BackgroundWriter {
    /// Queues `bytes` to be written (replacing a checkpoint of this file
    /// still waiting).
    pub fn write(&self, bytes: Vec<u8>) {
        let mut state = self.shared.lock();
        if state.newest.insert(self.path.clone(), bytes).is_none() {
            state.queue.push_back(self.path.clone());
        }
        drop(state);
        self.shared.changed.notify_all();
    }

    /// Writes `bytes`, the final state, once no older checkpoint of this
    /// file can be written after it; returns the first error of this file.
    pub fn finish(self, bytes: &[u8]) -> Result<(), String> {
        let mut state = self.shared.lock();
        state.newest.remove(&self.path);
        state.queue.retain(|p| *p != self.path);
        while state.writing.as_ref() == Some(&self.path) {
            state = self.shared.wait(state);
        }
        let earlier = state.errors.remove(&self.path);
        drop(state);
        write_checkpoint(&self.path, bytes)?;
        earlier.map_or(Ok(()), Err)
    }

    /// The file written.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for BackgroundWriter {
    fn drop(&mut self) {
        self.shared.release();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_the_newest_and_the_final_state_last() {
        let dir = std::env::temp_dir().join(format!("ballet-background-{}", std::process::id()));
        let writer = CheckpointWriter::spawn().expect("a thread");
        let files: Vec<_> = (0..3)
            .map(|k| writer.file(dir.join(format!("{k}.ckpt"))))
            .collect();
        for round in 0..50u8 {
            for f in &files {
                f.write(vec![round; 64]);
            }
        }
        drop(writer);
        for (k, f) in files.into_iter().enumerate() {
            let path = f.path().to_path_buf();
            f.finish(&[200 + k as u8]).expect("written");
            assert_eq!(std::fs::read(&path).expect("a file"), [200 + k as u8]);
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
