//! Rendering at the edges: diagnostics as rustc-like terminal text
//! (codespan-reporting) and JSON, simulated runs as Gantt charts (SVG).

pub mod gantt;
pub mod json;
pub mod palette;
pub mod svg;
pub mod terminal;
