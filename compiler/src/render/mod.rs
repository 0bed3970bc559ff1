//! Rendering diagnostics at the edges: rustc-like terminal text
//! (codespan-reporting) and JSON.

pub mod json;
pub mod terminal;
