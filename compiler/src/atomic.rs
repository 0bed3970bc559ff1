//! Replacing a file atomically: the one implementation lives in the runtime
//! (the VM checkpoints with it); re-exported for the commands that write
//! files.

pub use ballet_runtime::atomic::write_atomically;
