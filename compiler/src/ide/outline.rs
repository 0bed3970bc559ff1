//! The outline of a document: its items and, inside them, their members.

use ballet_grammar::ast::{AsmItem, Item, Member};
use ballet_grammar::Span;

use crate::ide::index::template_key;
use crate::ide::FileAnalysis;

/// What an outline entry is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SymbolKind {
    /// `interface`.
    Interface,
    /// `component`.
    Component,
    /// A place.
    Place,
    /// A behavior.
    Behavior,
    /// A transition.
    Transition,
    /// A port.
    Port,
    /// `assembly`.
    Assembly,
    /// An assembly parameter.
    Param,
    /// A site.
    Site,
    /// An instance.
    Instance,
    /// A `for` loop.
    Loop,
    /// `goal`.
    Goal,
}

/// One entry of the outline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutlineSymbol {
    /// The name shown.
    pub name: String,
    /// A short description (a port's interface, an instance's type).
    pub detail: Option<String>,
    /// What it is.
    pub kind: SymbolKind,
    /// The whole declaration.
    pub span: Span,
    /// The name within it.
    pub name_span: Span,
    /// Entries inside it.
    pub children: Vec<OutlineSymbol>,
}

fn entry(name: String, kind: SymbolKind, span: Span, name_span: Span) -> OutlineSymbol {
    OutlineSymbol {
        name,
        detail: None,
        kind,
        span,
        name_span,
        children: Vec::new(),
    }
}

/// The outline of the root document.
pub fn outline(a: &FileAnalysis) -> Vec<OutlineSymbol> {
    let root = a.root();
    let text = a.text(root);
    let Some(file) = a.program.files.iter().find(|f| f.id == root) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for item in &file.ast.items {
        match item {
            Item::Interface(i) => out.push(entry(
                i.name.text.clone(),
                SymbolKind::Interface,
                i.span,
                i.name.span,
            )),
            Item::Component(c) => {
                let mut e = entry(
                    c.name.text.clone(),
                    SymbolKind::Component,
                    c.span,
                    c.name.span,
                );
                for m in &c.members {
                    match m {
                        Member::Places(list, _) => e.children.extend(
                            list.iter()
                                .map(|p| entry(p.text.clone(), SymbolKind::Place, p.span, p.span)),
                        ),
                        Member::Behavior(b) => {
                            let mut be = entry(
                                b.name.text.clone(),
                                SymbolKind::Behavior,
                                b.span,
                                b.name.span,
                            );
                            for t in &b.transitions {
                                let mut te = entry(
                                    t.name.text.clone(),
                                    SymbolKind::Transition,
                                    t.span,
                                    t.name.span,
                                );
                                te.detail = Some(format!("{} -> {}", t.src.text, t.dst.text));
                                be.children.push(te);
                            }
                            e.children.push(be);
                        }
                        Member::Port(p) => {
                            let mut pe =
                                entry(p.name.text.clone(), SymbolKind::Port, p.span, p.name.span);
                            let kind = match p.kind {
                                ballet_grammar::ast::PortKind::Use => "use",
                                ballet_grammar::ast::PortKind::Provide => "provide",
                            };
                            pe.detail = Some(format!("{kind} {}", p.interface.text));
                            e.children.push(pe);
                        }
                        Member::Initial(..) | Member::Running(..) | Member::Error(_) => {}
                    }
                }
                out.push(e);
            }
            Item::Assembly(asm) => {
                let mut e = entry(
                    asm.name.text.clone(),
                    SymbolKind::Assembly,
                    asm.span,
                    asm.name.span,
                );
                for p in &asm.params {
                    let mut pe = entry(p.name.text.clone(), SymbolKind::Param, p.span, p.name.span);
                    pe.detail = Some(p.ty.text.clone());
                    e.children.push(pe);
                }
                e.children.extend(asm_items(text, &asm.items));
                out.push(e);
            }
            Item::Goal(g) => {
                let mut e = entry(g.name.text.clone(), SymbolKind::Goal, g.span, g.name.span);
                e.detail = Some(format!("for {}", g.from.name.text));
                out.push(e);
            }
            Item::Import(_) | Item::Error(_) => {}
        }
    }
    out
}

fn asm_items(text: &str, items: &[AsmItem]) -> Vec<OutlineSymbol> {
    let mut out = Vec::new();
    let instance = |i: &ballet_grammar::ast::InstanceDecl| {
        let mut e = entry(
            template_key(text, &i.name),
            SymbolKind::Instance,
            i.span,
            i.name.span,
        );
        e.detail = Some(i.ty.text.clone());
        e
    };
    for it in items {
        match it {
            AsmItem::Site(s) => {
                let mut e = entry(
                    template_key(text, &s.name),
                    SymbolKind::Site,
                    s.span,
                    s.name.span,
                );
                e.children.extend(s.instances.iter().map(instance));
                out.push(e);
            }
            AsmItem::Instance(i) => out.push(instance(i)),
            AsmItem::For(f) => {
                let mut e = entry(
                    format!("for {}", f.var.text),
                    SymbolKind::Loop,
                    f.span,
                    f.var.span,
                );
                e.children = asm_items(text, &f.items);
                out.push(e);
            }
            AsmItem::Connect(_) | AsmItem::Error(_) => {}
        }
    }
    out
}
