//! The runtime side of Ballet.
//!
//! [`model`] is the lowered, index-based picture of component types,
//! assemblies and goals that the compiler produces and that everything
//! downstream (planner, simulator, VM, verifier) consumes. Names are kept in
//! the tables for messages and debug output only; all references are dense
//! indices ([`ids`]).

pub mod cost;
pub mod ids;
pub mod model;

pub use cost::Cost;
pub use ids::*;
pub use model::*;
