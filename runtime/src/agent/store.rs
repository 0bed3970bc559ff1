//! Where an agent's checkpoints go, and when they are on disk.

use std::path::{Path, PathBuf};

use crate::agent::checkpoint::write_checkpoint;

/// Where an agent's checkpoints go.
#[derive(Debug)]
pub enum Store {
    /// Nowhere.
    Nothing,
    /// To this file, each one on disk before the event's effects (the
    /// transport's checkpoint, the sends): what a process that may be killed
    /// at any point needs.
    Durable(PathBuf),
    /// To this file from a thread of its own, the newest one only, the last
    /// one when the agent stops: what `balletc run --resume` needs (a run
    /// in one process stops as a whole), off the critical path.
    Background(BackgroundWriter),
}

impl Store {
    /// A background store writing to `path`.
    pub fn background(path: PathBuf) -> Store {
        Store::Background(BackgroundWriter::spawn(path))
    }

    /// Saves `bytes`; for a durable store, once this returns they are on
    /// disk.
    pub async fn save(&self, bytes: Vec<u8>) -> Result<(), String> {
        match self {
            Store::Nothing => Ok(()),
            Store::Durable(path) => {
                let path = path.clone();
                tokio::task::spawn_blocking(move || write_checkpoint(&path, &bytes))
                    .await
                    .map_err(|e| format!("checkpoint task: {e}"))?
            }
            Store::Background(writer) => {
                writer.write(bytes);
                Ok(())
            }
        }
    }

    /// Writes the final state `bytes` and stops; returns the first error of
    /// a background writer, if any.
    pub fn finish(self, bytes: &[u8]) -> Result<(), String> {
        match self {
            Store::Nothing => Ok(()),
            Store::Durable(path) => write_checkpoint(&path, bytes),
            Store::Background(writer) => writer.finish(bytes),
        }
    }
}

/// Writes one site's checkpoints on a thread of its own, so the disk stays
/// off the site's critical path; when checkpoints come faster than the disk
/// takes them, only the newest is written.
#[derive(Debug)]
pub struct BackgroundWriter {
    path: PathBuf,
    queue: std::sync::mpsc::Sender<Vec<u8>>,
    thread: std::thread::JoinHandle<Option<String>>,
}

impl BackgroundWriter {
    /// A writer to `path`.
    pub fn spawn(path: PathBuf) -> BackgroundWriter {
        let (queue, rx) = std::sync::mpsc::channel::<Vec<u8>>();
        let target = path.clone();
        let thread = std::thread::spawn(move || {
            let mut error = None;
            while let Ok(mut bytes) = rx.recv() {
                while let Ok(newer) = rx.try_recv() {
                    bytes = newer;
                }
                if let Err(e) = write_checkpoint(&target, &bytes) {
                    error = Some(e);
                }
            }
            error
        });
        BackgroundWriter {
            path,
            queue,
            thread,
        }
    }

    /// Queues `bytes` to be written.
    pub fn write(&self, bytes: Vec<u8>) {
        let _ = self.queue.send(bytes);
    }

    /// Stops the thread and writes `bytes`, the final state.
    pub fn finish(self, bytes: &[u8]) -> Result<(), String> {
        drop(self.queue);
        let earlier = self.thread.join().ok().flatten();
        write_checkpoint(&self.path, bytes)?;
        earlier.map_or(Ok(()), Err)
    }

    /// The file written.
    pub fn path(&self) -> &Path {
        &self.path
    }
}
