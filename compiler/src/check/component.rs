//! Component types: checking a declaration and lowering it to a
//! [`ComponentType`] of the runtime model.

use std::collections::{HashMap, HashSet};

use ballet_grammar::ast::{self, Component, Member};
use ballet_grammar::Span;
use ballet_runtime::{
    Behavior, BehaviorId, ComponentType, Cost, InterfaceId, PlaceId, Port, PortKind, Transition,
    TransitionId,
};

use crate::codes::Code;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::source::FileId;

/// Where each part of a lowered type is declared, for diagnostics and tools.
#[derive(Clone, Debug, Default)]
pub struct TypeSpans {
    /// The file of the declaration.
    pub file: FileId,
    /// The type's name.
    pub name: Span,
    /// Each place's name in `places`, by [`PlaceId`].
    pub places: Vec<Span>,
    /// Each transition's declaration, by [`TransitionId`].
    pub transitions: Vec<Span>,
    /// Each behavior's name, by [`BehaviorId`].
    pub behaviors: Vec<Span>,
    /// Each port's declaration, by [`PortId`](ballet_runtime::PortId).
    pub ports: Vec<Span>,
}

/// The interface of a port whose interface is unknown (already reported).
/// Never indexes the interface table: only present when the check failed.
pub const UNRESOLVED_INTERFACE: InterfaceId = InterfaceId(u32::MAX);

/// Names that `run` actions may always use.
pub const BUILTIN_PLACEHOLDERS: &[&str] = &["site", "instance", "transition", "behavior"];

/// Context for lowering types: the interfaces and the placeholder names that
/// assemblies define.
pub struct TypeContext<'a> {
    /// Interface ids by name.
    pub interfaces: &'a HashMap<String, InterfaceId>,
    /// Names allowed in `{...}` placeholders besides the built-ins.
    pub parameters: &'a HashSet<String>,
    /// The text of the file being lowered (actions are scanned as written).
    pub text: &'a str,
}

/// A lowered type, possibly incomplete.
pub struct Lowered {
    /// The type. When `complete` is false its initial or running place is a
    /// stand-in (place 0) and it must not be planned with.
    pub ty: ComponentType,
    /// Where its parts are declared.
    pub spans: TypeSpans,
    /// Whether the initial and running places were resolved.
    pub complete: bool,
}

/// Checks `decl` (in `file`) and lowers it. Returns `None` only when the type
/// has no place at all; every problem is reported.
pub fn lower(
    cx: &TypeContext<'_>,
    file: FileId,
    decl: &Component,
    diagnostics: &mut Diagnostics,
) -> Option<Lowered> {
    let mut spans = TypeSpans {
        file,
        name: decl.name.span,
        ..TypeSpans::default()
    };
    let mut places: Vec<String> = Vec::new();
    let mut place_ids: HashMap<&str, PlaceId> = HashMap::new();
    for member in &decl.members {
        if let Member::Places(list, _) = member {
            for p in list {
                if let Some(&first) = place_ids.get(p.text.as_str()) {
                    diagnostics.push(
                        Diagnostic::new(
                            Code::E0201,
                            format!("place `{}` is declared twice", p.text),
                        )
                        .at(file, p.span, "declared again here")
                        .with(
                            file,
                            spans.places[first.index()],
                            "first declared here",
                        ),
                    );
                    continue;
                }
                place_ids.insert(&p.text, PlaceId::from_index(places.len()));
                places.push(p.text.clone());
                spans.places.push(p.span);
            }
        }
    }
    let resolve_place = |p: &ast::Ident, diagnostics: &mut Diagnostics| -> Option<PlaceId> {
        let found = place_ids.get(p.text.as_str()).copied();
        if found.is_none() {
            diagnostics.push(unknown_place(file, &decl.name.text, p, &places));
        }
        found
    };

    let mut initial: Option<(PlaceId, Span)> = None;
    let mut running: Option<(PlaceId, Span)> = None;
    let mut transitions: Vec<Transition> = Vec::new();
    let mut transition_names: HashMap<&str, Span> = HashMap::new();
    let mut behaviors: Vec<Behavior> = Vec::new();
    let mut ports: Vec<Port> = Vec::new();
    let mut port_names: HashMap<&str, Span> = HashMap::new();

    for member in &decl.members {
        match member {
            Member::Places(..) | Member::Error(_) => {}
            Member::Initial(p, span) | Member::Running(p, span) => {
                let is_initial = matches!(member, Member::Initial(..));
                let slot = if is_initial {
                    &mut initial
                } else {
                    &mut running
                };
                let word = if is_initial { "initial" } else { "running" };
                if let Some((_, first)) = slot {
                    diagnostics.push(
                        Diagnostic::new(
                            Code::E0206,
                            format!("`{}` declares its {word} place twice", decl.name.text),
                        )
                        .at(file, *span, "second declaration")
                        .with(file, *first, "first declaration"),
                    );
                    continue;
                }
                if let Some(id) = resolve_place(p, diagnostics) {
                    *slot = Some((id, *span));
                }
            }
            Member::Behavior(b) => {
                if let Some(first) = behaviors.iter().position(|x| x.name == b.name.text) {
                    diagnostics.push(
                        Diagnostic::new(
                            Code::E0207,
                            format!("behavior `{}` is declared twice", b.name.text),
                        )
                        .at(file, b.name.span, "declared again here")
                        .with(file, spans.behaviors[first], "first declared here")
                        .help("put all the transitions of a behavior in one block"),
                    );
                    continue;
                }
                let id = BehaviorId::from_index(behaviors.len());
                let mut members = Vec::new();
                for t in &b.transitions {
                    if let Some(first) = transition_names.get(t.name.text.as_str()) {
                        diagnostics.push(
                            Diagnostic::new(
                                Code::E0208,
                                format!("transition `{}` is declared twice", t.name.text),
                            )
                            .at(file, t.name.span, "declared again here")
                            .with(file, *first, "first declared here"),
                        );
                        continue;
                    }
                    transition_names.insert(&t.name.text, t.name.span);
                    let src = resolve_place(&t.src, diagnostics);
                    let dst = resolve_place(&t.dst, diagnostics);
                    let cost = lower_cost(file, t.cost.as_ref(), diagnostics);
                    if let Some((_, span)) = &t.action {
                        let raw = cx.text.get(span.range()).unwrap_or("");
                        check_placeholders(cx, file, raw, *span, diagnostics);
                    }
                    let (Some(src), Some(dst)) = (src, dst) else {
                        continue;
                    };
                    members.push(TransitionId::from_index(transitions.len()));
                    spans.transitions.push(t.span);
                    transitions.push(Transition {
                        name: t.name.text.clone(),
                        src,
                        dst,
                        cost,
                        action: t.action.as_ref().map(|(a, _)| a.clone()),
                        behavior: id,
                    });
                }
                spans.behaviors.push(b.name.span);
                behaviors.push(Behavior {
                    name: b.name.text.clone(),
                    transitions: members,
                });
            }
            Member::Port(p) => {
                if let Some(first) = port_names.get(p.name.text.as_str()) {
                    diagnostics.push(
                        Diagnostic::new(
                            Code::E0209,
                            format!("port `{}` is declared twice", p.name.text),
                        )
                        .at(file, p.name.span, "declared again here")
                        .with(file, *first, "first declared here"),
                    );
                    continue;
                }
                port_names.insert(&p.name.text, p.name.span);
                let interface = cx.interfaces.get(&p.interface.text).copied();
                if interface.is_none() {
                    diagnostics.push(
                        Diagnostic::new(
                            Code::E0104,
                            format!("unknown interface `{}`", p.interface.text),
                        )
                        .at(file, p.interface.span, "not declared")
                        .help(format!("declare it: `interface {}`", p.interface.text)),
                    );
                }
                if p.group.is_empty() {
                    diagnostics.push(
                        Diagnostic::new(
                            Code::E0210,
                            format!("port `{}` is bound to no place", p.name.text),
                        )
                        .at(file, p.span, "empty group")
                        .help(format!(
                            "bind it to the places where it is active: `... at {}`",
                            places.last().map_or("PLACE", String::as_str)
                        )),
                    );
                }
                let mut group: Vec<PlaceId> = p
                    .group
                    .iter()
                    .filter_map(|g| resolve_place(g, diagnostics))
                    .collect();
                group.sort();
                group.dedup();
                // A port with a wrong interface or group is kept (with a
                // stand-in interface) so that references to it resolve.
                let interface = interface.unwrap_or(UNRESOLVED_INTERFACE);
                spans.ports.push(p.span);
                ports.push(Port {
                    name: p.name.text.clone(),
                    kind: match p.kind {
                        ast::PortKind::Use => PortKind::Use,
                        ast::PortKind::Provide => PortKind::Provide,
                    },
                    interface,
                    group,
                });
            }
        }
    }

    // A declaration naming an unknown place was reported already (E0202).
    let declared = |initial: bool| {
        decl.members.iter().any(|m| match m {
            Member::Initial(..) => initial,
            Member::Running(..) => !initial,
            _ => false,
        })
    };
    for (missing, is_initial, code, suggestion) in [
        (initial.is_none(), true, Code::E0204, places.first()),
        (running.is_none(), false, Code::E0205, places.last()),
    ] {
        if missing && !declared(is_initial) {
            let word = if is_initial { "initial" } else { "running" };
            diagnostics.push(
                Diagnostic::new(
                    code,
                    format!("component type `{}` has no {word} place", decl.name.text),
                )
                .at(
                    file,
                    decl.name.span,
                    format!("no `{word} PLACE` in this type"),
                )
                .help(format!(
                    "add `{word} {}`",
                    suggestion.map_or("PLACE", String::as_str)
                )),
            );
        }
    }
    if places.is_empty() {
        return None;
    }
    let complete = initial.is_some() && running.is_some();
    let ty = ComponentType {
        name: decl.name.text.clone(),
        places,
        initial: initial.map_or(PlaceId(0), |(p, _)| p),
        running: running.map_or(PlaceId(0), |(p, _)| p),
        transitions,
        behaviors,
        ports,
    };
    Some(Lowered {
        ty,
        spans,
        complete,
    })
}

fn unknown_place(file: FileId, ty: &str, p: &ast::Ident, places: &[String]) -> Diagnostic {
    let d = Diagnostic::new(Code::E0202, format!("`{ty}` has no place `{}`", p.text)).at(
        file,
        p.span,
        "unknown place",
    );
    match crate::suggest::closest(&p.text, places.iter().map(String::as_str)) {
        Some(best) => d.help(format!("did you mean `{best}`?")),
        None => d.help(format!("declare it: `places ..., {}`", p.text)),
    }
}

fn lower_cost(file: FileId, cost: Option<&(String, Span)>, diagnostics: &mut Diagnostics) -> Cost {
    match cost {
        None => Cost::units(1),
        Some((text, span)) => Cost::parse(text).unwrap_or_else(|| {
            diagnostics.push(
                Diagnostic::new(Code::E0008, format!("`{text}` is not a valid cost"))
                    .at(file, *span, "at most three decimals, and below 10^16")
                    .help("write a cost such as `3`, `0.5` or `77.75`"),
            );
            Cost::units(1)
        }),
    }
}

/// Checks `{name}` placeholders of an action against the allowed names. The
/// scan runs on the literal as written (`raw`, quotes included), so spans
/// are exact and `\\{` (a backslash, then a placeholder) is told apart from
/// `\{` (a literal brace).
fn check_placeholders(
    cx: &TypeContext<'_>,
    file: FileId,
    raw: &str,
    span: Span,
    diagnostics: &mut Diagnostics,
) {
    for p in placeholders(raw) {
        let at = Span::new(
            span.start as usize + p.offset,
            span.start as usize + p.offset + p.len,
        );
        match p.name {
            None => diagnostics.push(
                Diagnostic::new(Code::E0211, "unclosed placeholder in action")
                    .at(file, at, "this `{` is never closed")
                    .help("close it (`{site}`), or write `\\{` for a literal brace"),
            ),
            Some(name) if BUILTIN_PLACEHOLDERS.contains(&name) || cx.parameters.contains(name) => {}
            Some(name) => diagnostics.push(
                Diagnostic::new(
                    Code::E0211,
                    format!("unknown placeholder `{{{name}}}` in action"),
                )
                .at(file, at, "unknown placeholder")
                .note(format!(
                    "available: {}, and the assemblies' parameters",
                    BUILTIN_PLACEHOLDERS
                        .iter()
                        .map(|b| format!("{{{b}}}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
                .help("write `\\{` for a literal brace"),
            ),
        }
    }
}

/// A `{name}` found in an action's source text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Placeholder<'a> {
    /// Byte offset of the `{` in the scanned text.
    pub offset: usize,
    /// Length up to and including the `}` (to the end when unclosed).
    pub len: usize,
    /// The name between the braces; `None` when the `{` is never closed.
    pub name: Option<&'a str>,
}

/// The placeholders of an action as written in the source (backslash
/// escapes are two characters and never start a placeholder).
pub fn placeholders(text: &str) -> Vec<Placeholder<'_>> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'{' => {
                let stop = text[i + 1..].find(['}', '{', '"']).map(|e| i + 1 + e);
                match stop {
                    Some(end) if bytes[end] == b'}' => {
                        out.push(Placeholder {
                            offset: i,
                            len: end + 1 - i,
                            name: Some(&text[i + 1..end]),
                        });
                        i = end + 1;
                    }
                    _ => {
                        let end = stop.unwrap_or(text.len());
                        out.push(Placeholder {
                            offset: i,
                            len: end - i,
                            name: None,
                        });
                        i = end;
                    }
                }
            }
            _ => i += 1,
        }
    }
    out
}

/// Interface ids of a program, by name.
pub fn interface_table(interfaces: &[(String, FileId, Span)]) -> HashMap<String, InterfaceId> {
    interfaces
        .iter()
        .enumerate()
        .map(|(i, (name, _, _))| (name.clone(), InterfaceId::from_index(i)))
        .collect()
}
