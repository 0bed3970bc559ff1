//! Decentralized planning on the agents (`balletc apply`): the operator
//! hands a goal to the running agents, which run the site planners'
//! protocol of `balletc plan` among themselves over their transport, each
//! with its own model and its local view, then run the result as a new
//! *generation*.
//!
//! # Protocol
//!
//! The operator opens an authenticated link to every agent
//! (`ballet_runtime::net::open_link`, the operator key) and goes through
//! four phases; a link message is JSON in one sealed frame
//! ([`message::ToAgent`], [`message::ToOperator`]).
//!
//! 1. **Prepare.** `Prepare{id, goal, defines, fingerprint}` → each agent
//!    checks that its model (`OUT_DIR/model.json`, written by `balletc
//!    build`) has the operator's [`model::fingerprint`] and answers
//!    `Ready{generation, places of its local instances}` or `Refused(why)`
//!    (another model, already busy with another apply). The operator
//!    merges the places into the start state (or takes `--from-state`) and
//!    plans the goal itself: the expected plan.
//! 2. **Plan.** `Plan{start}` is the operator's `Start` of one
//!    Dijkstra–Scholten computation (`plan::session`): each agent builds
//!    the problem, starts its [`crate::plan::session::SiteSession`] (on a
//!    thread, `planner.rs`) and exchanges planner envelopes with the other
//!    agents over the transport, tagged with the apply's id
//!    ([`message::PlannerPayload`]; a payload of another apply is dropped).
//!    A site's acknowledgement of the `Start` goes to the operator as
//!    `Ack`; when every site has acknowledged, no envelope is in transit
//!    and none will be sent.
//! 3. **Commit.** `Commit` → each agent emits its program and builds its
//!    image; it answers `Program(instructions)` or `Failed(why)`. The
//!    operator prints the programs as `balletc plan` does and compares
//!    them with its own plan.
//! 4. **Run.** If every program is the operator's, `Run` → each agent
//!    commits the new generation on disk (`generation.rs`), answers
//!    `Started`, runs it with a fresh VM and checkpoints on the transport
//!    the planning used, and reports `Finished{places, ...}` when the
//!    agents' `Done` protocol says the generation is over everywhere.
//!    Otherwise `Abort(why)`, and every agent goes back to idle.
//!
//! Agents stop reading the transport at `Commit` and the operator sends
//! `Run` only once every agent has answered `Commit`, so the first
//! payloads of the new generation are never read by a planner; every
//! planner envelope was delivered before the last acknowledgement reached
//! the operator, so none is left for the VM (which would drop it anyway:
//! it does not decode as an agent payload).
//!
//! # What is and is not tolerated
//!
//! Before `Run`, an agent that is unreachable, refuses, fails or whose link
//! breaks (it crashed) aborts the apply everywhere, with a message naming
//! it; nothing was committed, the agents are idle again and the apply can
//! be repeated. An operator that leaves before `Run` has the same effect.
//! After `Run`, the generation runs as any agent program does: an agent
//! killed and restarted resumes it from its checkpoint (the operator then
//! no longer hears of that site's end: its link is gone, and `balletc
//! apply` reports it; `balletc status` still does). Remote messages never
//! carry commands: the `-D` values of a request are assembly parameters,
//! and actions' placeholders are filled only from the agent's own `-D`.

pub mod agent;
pub mod generation;
pub mod message;
pub mod model;
pub mod operator;
pub mod planner;
pub mod session;
