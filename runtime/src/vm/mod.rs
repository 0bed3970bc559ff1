//! The site VM (SEMANTICS.md §5) and an in-process runner of every site.
//!
//! [`SiteVm`] executes one site's bytecode with the one semantic model:
//! instructions in order, local instances stepping concurrently, every guard
//! and precondition on a remote instance resolved from facts its peers sent
//! ([`AgentMessage`]; unknown facts block). It is a pure state machine
//! driven by events (a transition ended, a message arrived); [`run_sites`]
//! drives one per site in tokio tasks, running transitions for real
//! ([`action`]).

pub mod action;
pub mod checkpoint;
pub mod clock;
pub mod facts;
pub mod message;
pub mod runner;
pub mod site;
pub mod transport;

pub use action::{ActionFailure, ExecConfig, Job};
pub use checkpoint::Checkpoint;
pub use message::{AgentMessage, Fact};
pub use runner::{run_sites, RunConfig, RunEvent, RunOutcome, SiteProgress, TransitionFailure};
pub use site::{Output, SiteVm};
pub use transport::{Mailboxes, MemoryTransport, Reservation, Transport, Work};
