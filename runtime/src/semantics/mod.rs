//! The execution model of SEMANTICS.md, implemented once.
//!
//! [`instance`] holds the per-instance state and steps (§2–§3); [`system`]
//! puts instances, connections and site programs together (§4) with every
//! fact known, as the simulator, the planner and the verifier need it;
//! [`knowledge`] holds the guards and instruction preconditions once, over
//! what a decider knows, so [`System`] and the site VM share them.

pub mod instance;
pub mod knowledge;
pub mod system;

pub use instance::{marking_serves, InstanceState, Requirement, Step};
pub use system::{Blocked, Guards, System};
