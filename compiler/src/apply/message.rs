//! What `balletc apply` and the agents tell each other: the operator's
//! link messages ([`ToAgent`], [`ToOperator`], JSON in sealed frames) and
//! the planner envelopes agents exchange over their transport
//! ([`PlannerPayload`]), tagged with the apply they belong to.

use ballet_runtime::program::Instruction;
use ballet_runtime::recorded::RecordedState;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::plan::protocol::Envelope;

/// What the operator asks of every agent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplyRequest {
    /// This apply's id (the operator's clock in nanoseconds): tags the
    /// planner payloads, so that a late one of another apply is dropped.
    pub id: u64,
    /// The goal to plan.
    pub goal: String,
    /// Assembly parameters (`-D`); never used to fill actions' placeholders
    /// (those come from the agent's own `-D`).
    pub defines: Vec<(String, String)>,
    /// The [`crate::apply::model::fingerprint`] of the operator's program.
    pub fingerprint: String,
}

/// Operator → agent, in this order: `Prepare`, `Plan`, `Commit`, `Run`
/// (or `Abort` at any point before `Run`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ToAgent {
    /// Check the model and say where your instances are.
    Prepare(ApplyRequest),
    /// Plan from this start state: the operator's `Start` of the
    /// Dijkstra–Scholten computation.
    Plan {
        /// Every instance's place.
        start: RecordedState,
    },
    /// Every site acknowledged: emit your program.
    Commit,
    /// Every program is in and identical to the operator's: run yours.
    Run,
    /// The apply is off; back to idle.
    Abort(String),
}

/// Agent → operator.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ToOperator {
    /// Answer to `Prepare`: the agent is idle, at this generation, with its
    /// local instances at these places.
    Ready {
        /// Reconfigurations this agent has run since its build.
        generation: u64,
        /// Its local instances' places.
        state: RecordedState,
    },
    /// The agent will not take part (busy, another model, bad goal...).
    Refused(String),
    /// The site acknowledges the operator's `Start` (Dijkstra–Scholten).
    Ack,
    /// Answer to `Commit`: the site's program.
    Program(Vec<Instruction>),
    /// Answer to `Commit`: the site has no plan.
    Failed(String),
    /// Answer to `Run`: the new generation started.
    Started,
    /// The generation ended.
    Finished {
        /// Its local instances' places.
        state: RecordedState,
        /// Whether its program and every peer's are done.
        done: bool,
        /// Payloads received.
        received: u64,
        /// Failed transitions.
        failures: Vec<String>,
    },
}

/// Encodes a link message.
pub fn encode<T: Serialize>(message: &T) -> Vec<u8> {
    serde_json::to_vec(message).unwrap_or_default()
}

/// Decodes a link message; `Err` says what it was not.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    serde_json::from_slice(bytes).map_err(|e| format!("malformed message: {e}"))
}

/// The first bytes of a planner payload: never the start of an agent
/// `Payload` (postcard variant 66 does not exist), so the execution loop
/// drops a straggler instead of mistaking it for a fact.
const PLANNER_MAGIC: &[u8; 4] = b"BLTP";

/// A planner envelope between two agents, for one apply.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannerPayload {
    /// The apply ([`ApplyRequest::id`]).
    pub apply: u64,
    /// The envelope (universe site ids, which are the inventory's).
    pub envelope: Envelope,
}

impl PlannerPayload {
    /// As transport bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = PLANNER_MAGIC.to_vec();
        out.extend(serde_json::to_vec(self).unwrap_or_default());
        out
    }

    /// From transport bytes; `None` for anything else.
    pub fn decode(bytes: &[u8]) -> Option<PlannerPayload> {
        serde_json::from_slice(bytes.strip_prefix(PLANNER_MAGIC.as_slice())?).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::protocol::Message;
    use ballet_runtime::agent::Payload;
    use ballet_runtime::SiteId;

    #[test]
    fn planner_payloads_round_trip_and_are_never_agent_payloads() {
        let p = PlannerPayload {
            apply: 7,
            envelope: Envelope {
                from: SiteId(0),
                to: SiteId(1),
                message: Message::Ack,
            },
        };
        assert_eq!(PlannerPayload::decode(&p.encode()), Some(p.clone()));
        assert_eq!(Payload::decode(&p.encode()), None);
        assert_eq!(PlannerPayload::decode(&Payload::Done.encode()), None);
        assert!(decode::<ToAgent>(b"{\"Run\":1}").is_err());
        assert_eq!(decode::<ToAgent>(&encode(&ToAgent::Run)), Ok(ToAgent::Run));
    }
}
