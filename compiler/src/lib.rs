//! `balletc`'s library: loading, checking and (later) planning `.blt`
//! programs. Front ends (the CLI in `main.rs`) are thin layers over it.

pub mod apply;
pub mod atomic;
pub mod build;
pub mod check;
pub mod cli;
pub mod codes;
pub mod diagnostic;
pub mod fmt;
pub mod ide;
pub mod load;
pub mod lsp;
pub mod pipeline;
pub mod plan;
pub mod render;
pub mod repl;
pub mod run;
pub mod source;
pub mod stdlib;
mod suggest;
pub mod syntax;
pub mod verify;

pub use codes::Code;
pub use diagnostic::{Diagnostic, Diagnostics, Severity};
