//! The planner (issue 3), being built bottom-up. So far: the exact
//! per-instance automata ([`automaton`]) and the local search over them
//! ([`local`]). The synchronization inference (`wait`s), the decentralized
//! site-planner protocol, assembly changes and `balletc plan` are not
//! written yet.

pub mod automaton;
pub mod local;
