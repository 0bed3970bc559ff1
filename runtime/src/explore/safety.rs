//! Port safety: no use port is ever active while the provide port it is
//! connected to is inactive (SEMANTICS.md §3: the Enter guard lets a user
//! in only while its provider serves, the Fire guard lets a provider leave
//! only once its users are out).
//!
//! Under enforced guards no step can break it: an Enter that activates a use
//! port needs its provider not refusing (so active), a Fire that
//! deactivates a provide port needs every connected user inactive, and
//! ends, finishes, `dcon`, `del` and `add` never activate a use port or
//! deactivate a provide port of a connection. Only the start state and a
//! `con` joining an active user to an inactive provider can. That is why the
//! stubborn-set reduction treats `con` as the only *visible* action
//! (`stubborn.rs`), and why checking every explored state is enough.

use crate::model::{Connection, Model};
use crate::program::Plan;
use crate::semantics::System;

/// The first connection (in order) whose use port is active while its
/// provide port is inactive, if any.
pub fn violated(model: &Model, plan: &Plan, s: &System) -> Option<Connection> {
    s.connections
        .iter()
        .copied()
        .find(|c| s.port_active(model, plan, c.user) && !s.port_active(model, plan, c.provider))
}
