//! The state a run records at its end (`.ballet/state.json`), from which the
//! next reconfiguration is planned (`balletc plan --from-state`): the
//! Monitor → Plan step of a MAPE-K loop.
//!
//! Format (JSON, version 1):
//! ```json
//! { "version": 1, "goal": "deploy",
//!   "instances": { "database": { "site": "database", "place": "deployed" } } }
//! ```
//! Every instance is recorded at a stable place (a run ends with every queue
//! empty). Names, not indices, so a recording survives edits of the `.blt`
//! file that do not rename instances.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The recorded format version.
pub const VERSION: u32 = 1;

/// A recorded system state.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedState {
    /// Format version ([`VERSION`]).
    pub version: u32,
    /// The goal whose run produced it, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub goal: Option<String>,
    /// Every instance, by name.
    pub instances: BTreeMap<String, RecordedInstance>,
}

/// One instance of a [`RecordedState`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedInstance {
    /// Its site.
    pub site: String,
    /// The place it is at.
    pub place: String,
}
