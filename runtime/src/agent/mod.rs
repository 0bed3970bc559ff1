//! Site agents: one [`SiteVm`](crate::vm::SiteVm) driven by the network
//! transport ([`crate::net`]), with real actions, crash-consistent
//! checkpoints and a status for the operator.
//!
//! - [`Agent`] (`driver.rs`) is the loop of one site: each event (a payload,
//!   a transition's end) runs the VM, then is made durable in a fixed order
//!   (the agent's checkpoint, the sends, the transport's checkpoint), then
//!   its transitions start. A restarted agent resumes from its checkpoint
//!   and re-runs the transition that was running.
//! - [`Payload`] (`payload.rs`) is what agents send each other: the VM's
//!   facts, and `Done`, the termination protocol of `balletc agent --once`.
//! - [`AgentCheckpoint`] (`checkpoint.rs`) is the agent's checkpoint file;
//!   [`Store`] (`store.rs`) says where it goes and when it is on disk;
//!   [`CheckpointWriter`] (`background.rs`) writes the checkpoints of an
//!   in-process run's sites from one thread.
//! - [`AgentStatus`] (`status.rs`) is what an agent tells `balletc status`.
//! - [`run_cluster`] (`cluster.rs`) runs every site of a plan as an agent in
//!   this process over loopback TCP (`balletc run`).
//! - [`AgentSetup`] (`setup.rs`) loads what `balletc agent` needs from a
//!   build directory.

pub mod background;
pub mod checkpoint;
pub mod cluster;
pub mod driver;
pub mod neighbors;
pub mod payload;
pub mod setup;
pub mod status;
pub mod store;

pub use background::{BackgroundWriter, CheckpointWriter};
pub use checkpoint::AgentCheckpoint;
pub use cluster::{run_cluster, ClusterConfig};
pub use driver::{Agent, AgentConfig, AgentEnd, Ending, Exit, Hooks, LINGER};
pub use payload::Payload;
pub use setup::AgentSetup;
pub use status::AgentStatus;
pub use store::Store;
/// Stops an agent ([`Agent::run`]).
pub use tokio_util::sync::CancellationToken;
