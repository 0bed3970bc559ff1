//! The syntax tree of a `.blt` file, with spans on every name and item.
//!
//! The tree is a faithful, unresolved picture of the text: names are strings,
//! nothing is checked. Items that failed to parse are kept as `Error` nodes so
//! that later passes can skip them without cascading diagnostics.

use crate::span::Span;

/// A name as written, with its span. Names that may be interpolated
/// (`worker_{i}`) use [`Template`] instead.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ident {
    /// The text of the name.
    pub text: String,
    /// Where it is.
    pub span: Span,
}

/// A name that may contain `{expr}` interpolations: instance and site names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    /// The literal and interpolated parts, in order.
    pub parts: Vec<TemplatePart>,
    /// The whole name.
    pub span: Span,
}

/// One part of a [`Template`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TemplatePart {
    /// Literal text.
    Lit(String),
    /// An interpolated integer expression.
    Expr(Expr),
}

impl Template {
    /// The name as written in the source, interpolations included.
    pub fn source_text(&self) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                TemplatePart::Lit(text) => out.push_str(text),
                TemplatePart::Expr(expr) => {
                    out.push('{');
                    out.push_str(&expr.to_string());
                    out.push('}');
                }
            }
        }
        out
    }

    /// The literal name when there is no interpolation.
    pub fn as_plain(&self) -> Option<&str> {
        match self.parts.as_slice() {
            [TemplatePart::Lit(text)] => Some(text),
            [] => Some(""),
            _ => None,
        }
    }
}

/// An expression: integer arithmetic over parameters and loop variables, or
/// a boolean or string literal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expr {
    /// What the expression is.
    pub kind: ExprKind,
    /// Where it is.
    pub span: Span,
}

/// The shape of an [`Expr`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExprKind {
    /// A number literal as written (`2`, `3.5`).
    Number(String),
    /// A string literal, escapes resolved.
    Str(String),
    /// `true` or `false`.
    Bool(bool),
    /// A parameter or loop variable.
    Var(String),
    /// `-e`.
    Neg(Box<Expr>),
    /// `a op b`.
    Binary(BinOp, Box<Expr>, Box<Expr>),
}

/// A binary integer operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/` (integer division, truncating)
    Div,
    /// `%`
    Rem,
}

impl BinOp {
    /// The operator's symbol.
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Rem => "%",
        }
    }
}

impl std::fmt::Display for Expr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.kind {
            ExprKind::Number(n) => write!(f, "{n}"),
            ExprKind::Str(s) => write!(f, "{s:?}"),
            ExprKind::Bool(b) => write!(f, "{b}"),
            ExprKind::Var(v) => write!(f, "{v}"),
            ExprKind::Neg(e) => write!(f, "-{e}"),
            ExprKind::Binary(op, a, b) => write!(f, "{a} {} {b}", op.symbol()),
        }
    }
}

/// A whole file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct File {
    /// Top-level items, in order.
    pub items: Vec<Item>,
}

/// A top-level item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    /// `import openstack` or `import "file.blt"`.
    Import(Import),
    /// `interface Sql`.
    Interface(Interface),
    /// `component T { ... }`.
    Component(Component),
    /// `assembly a(n: int = 2) { ... }`.
    Assembly(Assembly),
    /// `goal g for a { ... }`.
    Goal(Goal),
    /// Text that did not parse as an item (already reported).
    Error(Span),
}

/// What an `import` names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImportTarget {
    /// A standard-library module: `import openstack`.
    Module(Ident),
    /// Another file, relative to the importing one: `import "lib/db.blt"`.
    Path(String, Span),
}

/// `import ...`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Import {
    /// What is imported.
    pub target: ImportTarget,
    /// The whole item.
    pub span: Span,
}

/// `interface Name`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Interface {
    /// The interface's name.
    pub name: Ident,
    /// The whole item.
    pub span: Span,
}

/// `component Name { members }`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Component {
    /// The type's name.
    pub name: Ident,
    /// Declarations inside the braces, in order.
    pub members: Vec<Member>,
    /// The whole item.
    pub span: Span,
}

/// A declaration inside a component.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Member {
    /// `places a, b, c`.
    Places(Vec<Ident>, Span),
    /// `initial p`.
    Initial(Ident, Span),
    /// `running p`.
    Running(Ident, Span),
    /// `behavior b { transitions }`.
    Behavior(BehaviorDecl),
    /// `use p: I at a, b` or `provide p: I at a`.
    Port(PortDecl),
    /// A member that did not parse (already reported).
    Error(Span),
}

/// `behavior name { transitions }`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BehaviorDecl {
    /// The behavior's name.
    pub name: Ident,
    /// Its transitions, in order.
    pub transitions: Vec<TransitionDecl>,
    /// The whole declaration.
    pub span: Span,
}

/// `name: src -> dst cost 3 run "cmd"`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransitionDecl {
    /// The transition's name.
    pub name: Ident,
    /// Source place.
    pub src: Ident,
    /// Destination place.
    pub dst: Ident,
    /// `cost N`, when given (default 1).
    pub cost: Option<(String, Span)>,
    /// `run "..."`, when given, escapes resolved except the backslash and brace escapes, which stay escaped for the runtime's placeholder expansion.
    pub action: Option<(String, Span)>,
    /// The whole declaration.
    pub span: Span,
}

/// `use` or `provide`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PortKind {
    /// A port that consumes a service.
    Use,
    /// A port that offers a service.
    Provide,
}

/// `use name: Interface at p1, p2`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortDecl {
    /// Use or provide.
    pub kind: PortKind,
    /// The port's name.
    pub name: Ident,
    /// Its interface type.
    pub interface: Ident,
    /// Its group of places (may be empty: an error reported by the checker).
    pub group: Vec<Ident>,
    /// The whole declaration.
    pub span: Span,
}

/// `assembly name(params) { items }`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assembly {
    /// The assembly's name.
    pub name: Ident,
    /// Its parameters.
    pub params: Vec<Param>,
    /// Its body.
    pub items: Vec<AsmItem>,
    /// The whole item.
    pub span: Span,
}

/// `n: int = 2`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Param {
    /// The parameter's name.
    pub name: Ident,
    /// Its declared type (`int`, `bool`, `string`).
    pub ty: Ident,
    /// Its default value, if any.
    pub default: Option<Expr>,
    /// The whole declaration.
    pub span: Span,
}

/// An item of an assembly body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AsmItem {
    /// `site name` or `site name { instances }`.
    Site(SiteDecl),
    /// `name: Type` or `name: Type on site` outside a site block.
    Instance(InstanceDecl),
    /// `connect a.p -> b.q`.
    Connect(Connect),
    /// `for i in a..b { items }`.
    For(ForLoop),
    /// An item that did not parse (already reported).
    Error(Span),
}

/// `site name { instances }`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SiteDecl {
    /// The site's name.
    pub name: Template,
    /// Instances declared inside the block.
    pub instances: Vec<InstanceDecl>,
    /// The whole declaration.
    pub span: Span,
}

/// `name: Type` (inside a site) or `name: Type on site`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstanceDecl {
    /// The instance's name.
    pub name: Template,
    /// Its component type.
    pub ty: Ident,
    /// `on site`, when given.
    pub site: Option<Template>,
    /// The whole declaration.
    pub span: Span,
}

/// `instance.port`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortRef {
    /// The instance.
    pub instance: Template,
    /// The port.
    pub port: Ident,
    /// The whole reference.
    pub span: Span,
}

/// `connect provider.port -> user.port`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Connect {
    /// Left of the arrow: must be a provide port.
    pub from: PortRef,
    /// Right of the arrow: must be a use port.
    pub to: PortRef,
    /// The whole item.
    pub span: Span,
}

/// `for var in lo..hi { items }`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ForLoop {
    /// The loop variable.
    pub var: Ident,
    /// Lower bound, inclusive.
    pub lo: Expr,
    /// Upper bound, exclusive.
    pub hi: Expr,
    /// The body.
    pub items: Vec<AsmItem>,
    /// The whole item.
    pub span: Span,
}

/// A reference to an assembly with arguments: `openstack(n = 3)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AsmRef {
    /// The assembly.
    pub name: Ident,
    /// `param = value` arguments.
    pub args: Vec<(Ident, Expr)>,
    /// The whole reference.
    pub span: Span,
}

/// `goal name for asm { items }` or `goal name for a(..) -> a(..) { items }`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Goal {
    /// The goal's name.
    pub name: Ident,
    /// The assembly the reconfiguration starts from.
    pub from: AsmRef,
    /// The assembly to reach, when it differs.
    pub to: Option<AsmRef>,
    /// What must hold.
    pub items: Vec<GoalItem>,
    /// The whole item.
    pub span: Span,
}

/// `running` or `initial`: a component's distinguished places.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Landmark {
    /// The type's initial place.
    Initial,
    /// The type's running place.
    Running,
}

/// A place an instance is (or must end) at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StateSpec {
    /// `running` / `initial`.
    Landmark(Landmark, Span),
    /// `at place`.
    Place(Ident),
}

/// `active` or `inactive`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PortStatus {
    /// The port must be active.
    Active,
    /// The port must be inactive.
    Inactive,
}

/// One line of a goal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GoalItem {
    /// `start running` / `start initial`: every instance starts there.
    StartAll(Landmark, Span),
    /// `start inst at place` / `start inst running`.
    StartInstance(Template, StateSpec, Span),
    /// `behavior inst.b`: the behavior must be executed.
    Behavior(Template, Ident, Span),
    /// `forall behavior b`: every instance whose type has `b` executes it.
    BehaviorAll(Ident, Span),
    /// `port inst.p active`.
    Port(PortRef, PortStatus, Span),
    /// `forall port active`: every provide port.
    PortAll(PortStatus, Span),
    /// `all running` / `all initial`.
    StateAll(Landmark, Span),
    /// `inst at place` / `inst running`.
    State(Template, StateSpec, Span),
    /// A line that did not parse (already reported).
    Error(Span),
}

impl GoalItem {
    /// Where the item is.
    pub fn span(&self) -> Span {
        match self {
            GoalItem::StartAll(_, s)
            | GoalItem::StartInstance(_, _, s)
            | GoalItem::Behavior(_, _, s)
            | GoalItem::BehaviorAll(_, s)
            | GoalItem::Port(_, _, s)
            | GoalItem::PortAll(_, s)
            | GoalItem::StateAll(_, s)
            | GoalItem::State(_, _, s)
            | GoalItem::Error(s) => *s,
        }
    }
}
