//! The things an editor can point at: symbols, their occurrences, and what
//! is known about instances.

use ballet_grammar::Span;

use crate::source::FileId;

/// A named thing of a program.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Symbol {
    /// `interface Sql`.
    Interface(String),
    /// `component T`.
    Component(String),
    /// `assembly a`.
    Assembly(String),
    /// `goal g`.
    Goal(String),
    /// A parameter of an assembly.
    Param { assembly: String, name: String },
    /// A place of a component type.
    Place { ty: String, name: String },
    /// A behavior of a component type.
    Behavior { ty: String, name: String },
    /// A transition of a component type.
    Transition { ty: String, name: String },
    /// A port of a component type.
    Port { ty: String, name: String },
    /// A site of an assembly, by its name as written.
    Site { assembly: String, name: String },
    /// An instance of an assembly, by its name as written.
    Instance { assembly: String, name: String },
    /// A `for` loop's variable, by the place of its declaration.
    LoopVar { file: FileId, def: Span },
}

/// One occurrence of a symbol's name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Occurrence {
    /// The file.
    pub file: FileId,
    /// The name's span.
    pub span: Span,
    /// What it names.
    pub symbol: Symbol,
    /// Whether this is the declaration.
    pub def: bool,
}

/// What is known about an instance declaration.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InstanceInfo {
    /// Its component type.
    pub ty: String,
    /// Its site as written, if known.
    pub site: Option<String>,
}
