//! The planner (issue 3), being built bottom-up. So far: the exact
//! per-instance automata ([`automaton`]). The search, the synchronization
//! inference and the decentralized protocol are not written yet.

pub mod automaton;
