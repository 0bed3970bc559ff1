//! Atomic file writes live in the runtime (site agents checkpoint with them
//! too); this module keeps the compiler's paths working.

pub use ballet_runtime::atomic::*;
