//! The runtime side of Ballet.
//!
//! [`model`] is the lowered, index-based picture of component types,
//! assemblies and goals that the compiler produces and that everything
//! downstream consumes. [`semantics`] is the one implementation of
//! SEMANTICS.md (instance steps, guards, program instructions), used by the
//! [`simulate`] module and, later, by the planner, the VM and the verifier.
//! [`bytecode`] is the per-site file format a site agent loads, and
//! [`inventory`] the addresses of the sites, and [`net`] the agents' network
//! transport (authenticated, encrypted, reliable).
//! Around the simulator: [`timeline`] (what each instance did and waited
//! for), [`event_graph`] (the longest-path makespan of SEMANTICS.md §6),
//! [`baseline`] (the sequential "Muse" schedule) and [`report`] (all of it
//! from one call). [`vm`] runs a plan for real: one site VM per site,
//! resolving remote guards from messages, and an in-process runner;
//! [`agent`] drives a VM over the network transport (one site per process,
//! or every site of a run in this process over loopback TCP).

pub mod agent;
pub mod atomic;
pub mod baseline;
pub mod bitset;
pub mod bytecode;
pub mod cost;
pub mod event_graph;
pub mod explore;
pub mod ids;
pub mod inventory;
pub mod model;
pub mod net;
pub mod program;
pub mod recorded;
pub mod report;
pub mod semantics;
pub mod simulate;
pub mod timeline;
pub mod vm;
pub mod wait_for;

pub use cost::Cost;
pub use ids::*;
pub use model::*;
