//! The lowered model: component types, assemblies and goals as dense tables.
//!
//! Produced by the compiler after every check has passed, so the invariants
//! below hold for every value built by `balletc` (constructors elsewhere, e.g.
//! tests, must uphold them too):
//! - every id stored in a table indexes the table it names;
//! - each type's transitions of one behavior form a DAG (SEMANTICS.md §1);
//! - every port group is non-empty;
//! - a use port has at most one connection in an assembly, and every
//!   connection joins a provide port to a use port of the same interface.

use serde::{Deserialize, Serialize};

use crate::cost::Cost;
use crate::ids::*;

/// Use or provide.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PortKind {
    /// The port consumes a service of a provider.
    Use,
    /// The port offers a service to users.
    Provide,
}

/// Every interface and component type of a program.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Model {
    /// Interface names, indexed by [`InterfaceId`].
    pub interfaces: Vec<String>,
    /// Component types, indexed by [`TypeId`].
    pub types: Vec<ComponentType>,
}

impl Model {
    /// The type with this id.
    pub fn ty(&self, id: TypeId) -> &ComponentType {
        &self.types[id.index()]
    }

    /// The type called `name`, if any.
    pub fn type_named(&self, name: &str) -> Option<TypeId> {
        self.types
            .iter()
            .position(|t| t.name == name)
            .map(TypeId::from_index)
    }
}

/// A component type: its lifecycle (places, transitions, behaviors) and
/// ports (SEMANTICS.md §1).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ComponentType {
    /// The type's name.
    pub name: String,
    /// Place names, indexed by [`PlaceId`].
    pub places: Vec<String>,
    /// Where a new instance starts.
    pub initial: PlaceId,
    /// The place a `running` goal refers to.
    pub running: PlaceId,
    /// Transitions, indexed by [`TransitionId`].
    pub transitions: Vec<Transition>,
    /// Behaviors, indexed by [`BehaviorId`].
    pub behaviors: Vec<Behavior>,
    /// Ports, indexed by [`PortId`].
    pub ports: Vec<Port>,
}

impl ComponentType {
    /// The place called `name`, if any.
    pub fn place_named(&self, name: &str) -> Option<PlaceId> {
        self.places
            .iter()
            .position(|p| p == name)
            .map(PlaceId::from_index)
    }

    /// The behavior called `name`, if any.
    pub fn behavior_named(&self, name: &str) -> Option<BehaviorId> {
        self.behaviors
            .iter()
            .position(|b| b.name == name)
            .map(BehaviorId::from_index)
    }

    /// The port called `name`, if any.
    pub fn port_named(&self, name: &str) -> Option<PortId> {
        self.ports
            .iter()
            .position(|p| p.name == name)
            .map(PortId::from_index)
    }

    /// The transition with this id.
    pub fn transition(&self, id: TransitionId) -> &Transition {
        &self.transitions[id.index()]
    }

    /// The behavior with this id.
    pub fn behavior(&self, id: BehaviorId) -> &Behavior {
        &self.behaviors[id.index()]
    }

    /// The port with this id.
    pub fn port(&self, id: PortId) -> &Port {
        &self.ports[id.index()]
    }

    /// The name of a place.
    pub fn place_name(&self, id: PlaceId) -> &str {
        &self.places[id.index()]
    }
}

/// `name: src -> dst`, with a duration and an optional action.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Transition {
    /// The transition's name.
    pub name: String,
    /// Source place.
    pub src: PlaceId,
    /// Destination place.
    pub dst: PlaceId,
    /// Duration in time units.
    pub cost: Cost,
    /// The command that really runs, with `{placeholders}` unexpanded.
    pub action: Option<String>,
    /// The behavior the transition belongs to.
    pub behavior: BehaviorId,
}

/// A named set of transitions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Behavior {
    /// The behavior's name.
    pub name: String,
    /// Its transitions, in declaration order.
    pub transitions: Vec<TransitionId>,
}

/// A typed port bound to a group of places.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Port {
    /// The port's name.
    pub name: String,
    /// Use or provide.
    pub kind: PortKind,
    /// Its interface.
    pub interface: InterfaceId,
    /// Its group: the places where it is active, sorted, non-empty.
    pub group: Vec<PlaceId>,
}

impl Port {
    /// Whether `place` is in the port's group.
    pub fn contains(&self, place: PlaceId) -> bool {
        self.group.binary_search(&place).is_ok()
    }
}

/// A concrete value of an assembly parameter.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Value {
    /// An integer.
    Int(i64),
    /// A boolean.
    Bool(bool),
    /// A string.
    Str(String),
}

impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Int(v) => write!(f, "{v}"),
            Value::Bool(v) => write!(f, "{v}"),
            Value::Str(v) => write!(f, "{v}"),
        }
    }
}

/// An elaborated assembly: every loop unrolled, every name interpolated.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Assembly {
    /// The assembly's name.
    pub name: String,
    /// The parameter values it was elaborated with, in declaration order.
    pub params: Vec<(String, Value)>,
    /// Sites, indexed by [`SiteId`].
    pub sites: Vec<Site>,
    /// Instances, indexed by [`InstanceId`].
    pub instances: Vec<Instance>,
    /// Connections, provider to user.
    pub connections: Vec<Connection>,
}

impl Assembly {
    /// The instance called `name`, if any (linear: for tests and tools; the
    /// compiler keeps its own name maps).
    pub fn instance_named(&self, name: &str) -> Option<InstanceId> {
        self.instances
            .iter()
            .position(|i| i.name == name)
            .map(InstanceId::from_index)
    }

    /// The instance with this id.
    pub fn instance(&self, id: InstanceId) -> &Instance {
        &self.instances[id.index()]
    }
}

/// A machine that runs one program.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Site {
    /// The site's name.
    pub name: String,
}

/// A component instance placed on a site.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Instance {
    /// The instance's name.
    pub name: String,
    /// Its type.
    pub ty: TypeId,
    /// Its site.
    pub site: SiteId,
}

/// A port of an instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Endpoint {
    /// The instance.
    pub instance: InstanceId,
    /// One of its type's ports.
    pub port: PortId,
}

/// A provide port serving a use port.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Connection {
    /// The provide side.
    pub provider: Endpoint,
    /// The use side.
    pub user: Endpoint,
}

/// A reconfiguration to plan: where the system starts and what must hold.
///
/// Behavior goals refer to instances of `start`; end-state goals (ports,
/// places) refer to instances of `target`, which equals `start` unless the
/// goal names a different target assembly.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Goal {
    /// The goal's name.
    pub name: String,
    /// The assembly the system is in.
    pub start: Assembly,
    /// The assembly to reach.
    pub target: Assembly,
    /// The place each instance of `start` is at, indexed by [`InstanceId`].
    pub start_places: Vec<PlaceId>,
    /// Behaviors that must be executed.
    pub behaviors: Vec<BehaviorGoal>,
    /// Port statuses to reach.
    pub ports: Vec<PortGoal>,
    /// Places to reach.
    pub states: Vec<StateGoal>,
}

/// "`instance` must execute `behavior`".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct BehaviorGoal {
    /// An instance of the start assembly.
    pub instance: InstanceId,
    /// One of its type's behaviors.
    pub behavior: BehaviorId,
    /// The goal line it comes from (index into the goal's items).
    pub origin: u32,
}

/// "`endpoint` must be active (or inactive) at the end".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PortGoal {
    /// A port of an instance of the target assembly.
    pub endpoint: Endpoint,
    /// `true` for active.
    pub active: bool,
    /// The goal line it comes from.
    pub origin: u32,
}

/// "`instance` must be at `place` at the end".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct StateGoal {
    /// An instance of the target assembly.
    pub instance: InstanceId,
    /// One of its type's places.
    pub place: PlaceId,
    /// The goal line it comes from.
    pub origin: u32,
}
