//! Rendering at the edges: diagnostics as rustc-like terminal text
//! (codespan-reporting) and JSON; plans as text and JSON; simulated runs as
//! Gantt charts (SVG); verification verdicts as text and JSON.

pub mod gantt;
pub mod json;
pub mod palette;
pub mod plan;
pub mod svg;
pub mod terminal;
pub mod verdict;
