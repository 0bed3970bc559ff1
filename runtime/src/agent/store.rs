//! Where an agent's checkpoints go, and when they are on disk.

use std::path::PathBuf;

use crate::agent::background::BackgroundWriter;
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
    /// To this file from the run's writer thread (`background.rs`), the
    /// newest one only, the last one when the agent stops: what `balletc
    /// run --resume` needs (a run in one process stops as a whole), off the
    /// critical path.
    Background(BackgroundWriter),
}

impl Store {
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
