//! Rendering at the edges: diagnostics as rustc-like terminal text
//! (codespan-reporting) and JSON; plans as text and JSON.

pub mod json;
pub mod plan;
pub mod terminal;
