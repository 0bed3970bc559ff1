//! Every name of a program, where it is declared and where it is used: the
//! table behind go to definition, find references, rename and hover.
//!
//! Interpolated names (`worker_{i}`) are identified by their text as written,
//! within their assembly; a goal's `worker_1` is found through the
//! elaborated assembly, which knows which declaration made it.

use std::collections::HashMap;

use ballet_grammar::ast::{
    AsmItem, Assembly, Component, Expr, ExprKind, Goal, GoalItem, Item, Member, PortRef, StateSpec,
    Template, TemplatePart,
};
use ballet_grammar::Span;

use crate::check::Analysis;
use crate::load::Program;
use crate::source::FileId;

pub use crate::ide::symbol::{InstanceInfo, Occurrence, Symbol};

/// The names of a program.
#[derive(Debug, Default)]
pub struct Index {
    /// Every occurrence, file by file, in source order within each file.
    pub occurrences: Vec<Occurrence>,
    /// The first declaration of each symbol.
    pub defs: HashMap<Symbol, (FileId, Span)>,
    /// The type and site of each instance symbol.
    pub instances: HashMap<Symbol, InstanceInfo>,
}

impl Index {
    /// Builds the index of `program` (with its analysis for elaborated names).
    pub fn build(program: &Program, analysis: &Analysis) -> Index {
        let mut b = Builder {
            index: Index::default(),
            analysis,
            file: 0,
            text: "",
        };
        // Goals last: they name instances of assemblies of any file.
        for goals in [false, true] {
            for file in &program.files {
                b.file = file.id;
                b.text = program.sources.text(file.id);
                for item in &file.ast.items {
                    if matches!(item, Item::Goal(_)) == goals {
                        b.item(item);
                    }
                }
            }
        }
        b.index
    }

    /// The occurrence under byte `offset` of `file` (the innermost one; a
    /// cursor just after a name is on it).
    pub fn at(&self, file: FileId, offset: usize) -> Option<&Occurrence> {
        self.occurrences
            .iter()
            .filter(|o| {
                o.file == file && (o.span.start as usize) <= offset && offset <= o.span.end as usize
            })
            .min_by_key(|o| o.span.end - o.span.start)
    }

    /// Every occurrence of `symbol`, declarations included.
    pub fn occurrences_of<'a>(
        &'a self,
        symbol: &'a Symbol,
    ) -> impl Iterator<Item = &'a Occurrence> {
        self.occurrences.iter().filter(move |o| &o.symbol == symbol)
    }
}

/// Template text as a key: the name as written, without spaces.
pub fn template_key(text: &str, t: &Template) -> String {
    match text.get(t.span.range()) {
        Some(raw) if !raw.is_empty() => raw.chars().filter(|c| !c.is_whitespace()).collect(),
        _ => t.source_text(),
    }
}

struct Builder<'a> {
    index: Index,
    analysis: &'a Analysis,
    file: FileId,
    text: &'a str,
}

impl Builder<'_> {
    fn push(&mut self, span: Span, symbol: Symbol, def: bool) {
        if def {
            self.index
                .defs
                .entry(symbol.clone())
                .or_insert((self.file, span));
        }
        self.index.occurrences.push(Occurrence {
            file: self.file,
            span,
            symbol,
            def,
        });
    }

    fn item(&mut self, item: &Item) {
        match item {
            Item::Interface(i) => {
                self.push(i.name.span, Symbol::Interface(i.name.text.clone()), true)
            }
            Item::Component(c) => self.component(c),
            Item::Assembly(a) => self.assembly(a),
            Item::Goal(g) => self.goal(g),
            Item::Import(_) | Item::Error(_) => {}
        }
    }

    fn component(&mut self, c: &Component) {
        let ty = c.name.text.clone();
        self.push(c.name.span, Symbol::Component(ty.clone()), true);
        let place = |name: &str| Symbol::Place {
            ty: ty.clone(),
            name: name.to_string(),
        };
        for m in &c.members {
            match m {
                Member::Places(list, _) => {
                    for p in list {
                        self.push(p.span, place(&p.text), true);
                    }
                }
                Member::Initial(p, _) | Member::Running(p, _) => {
                    self.push(p.span, place(&p.text), false)
                }
                Member::Behavior(b) => {
                    let behavior = Symbol::Behavior {
                        ty: ty.clone(),
                        name: b.name.text.clone(),
                    };
                    self.push(b.name.span, behavior, true);
                    for t in &b.transitions {
                        let transition = Symbol::Transition {
                            ty: ty.clone(),
                            name: t.name.text.clone(),
                        };
                        self.push(t.name.span, transition, true);
                        self.push(t.src.span, place(&t.src.text), false);
                        self.push(t.dst.span, place(&t.dst.text), false);
                    }
                }
                Member::Port(p) => {
                    let port = Symbol::Port {
                        ty: ty.clone(),
                        name: p.name.text.clone(),
                    };
                    self.push(p.name.span, port, true);
                    let interface = Symbol::Interface(p.interface.text.clone());
                    self.push(p.interface.span, interface, false);
                    for g in &p.group {
                        self.push(g.span, place(&g.text), false);
                    }
                }
                Member::Error(_) => {}
            }
        }
    }

    fn assembly(&mut self, a: &Assembly) {
        let name = a.name.text.clone();
        self.push(a.name.span, Symbol::Assembly(name.clone()), true);
        for p in &a.params {
            let param = Symbol::Param {
                assembly: name.clone(),
                name: p.name.text.clone(),
            };
            self.push(p.name.span, param, true);
            if let Some(d) = &p.default {
                self.expr(&name, &[], d);
            }
        }
        // Declarations first, so that a connection may name a later instance.
        self.declarations(&name, &a.items);
        let mut scope = Vec::new();
        self.uses(&name, &a.items, &mut scope);
    }

    fn declarations(&mut self, asm: &str, items: &[AsmItem]) {
        for it in items {
            match it {
                AsmItem::Site(s) => {
                    let site = template_key(self.text, &s.name);
                    for i in &s.instances {
                        self.instance_info(asm, &i.name, &i.ty.text, Some(site.clone()));
                    }
                }
                AsmItem::Instance(i) => {
                    let site = i.site.as_ref().map(|s| template_key(self.text, s));
                    self.instance_info(asm, &i.name, &i.ty.text, site);
                }
                AsmItem::For(f) => self.declarations(asm, &f.items),
                AsmItem::Connect(_) | AsmItem::Error(_) => {}
            }
        }
    }

    fn instance_info(&mut self, asm: &str, name: &Template, ty: &str, site: Option<String>) {
        let key = Symbol::Instance {
            assembly: asm.to_string(),
            name: template_key(self.text, name),
        };
        self.index.instances.entry(key).or_insert(InstanceInfo {
            ty: ty.to_string(),
            site,
        });
    }

    fn uses(&mut self, asm: &str, items: &[AsmItem], scope: &mut Vec<(String, Span)>) {
        for it in items {
            match it {
                AsmItem::Site(s) => {
                    self.template(
                        asm,
                        scope,
                        &s.name,
                        |name| Symbol::Site {
                            assembly: asm.to_string(),
                            name,
                        },
                        true,
                    );
                    for i in &s.instances {
                        self.instance_decl(asm, scope, &i.name, &i.ty);
                    }
                }
                AsmItem::Instance(i) => {
                    self.instance_decl(asm, scope, &i.name, &i.ty);
                    if let Some(site) = &i.site {
                        self.template(
                            asm,
                            scope,
                            site,
                            |name| Symbol::Site {
                                assembly: asm.to_string(),
                                name,
                            },
                            false,
                        );
                    }
                }
                AsmItem::Connect(c) => {
                    self.port_ref(asm, scope, &c.from);
                    self.port_ref(asm, scope, &c.to);
                }
                AsmItem::For(f) => {
                    self.expr(asm, scope, &f.lo);
                    self.expr(asm, scope, &f.hi);
                    let var = Symbol::LoopVar {
                        file: self.file,
                        def: f.var.span,
                    };
                    self.push(f.var.span, var, true);
                    scope.push((f.var.text.clone(), f.var.span));
                    self.uses(asm, &f.items, scope);
                    scope.pop();
                }
                AsmItem::Error(_) => {}
            }
        }
    }

    fn instance_decl(
        &mut self,
        asm: &str,
        scope: &[(String, Span)],
        name: &Template,
        ty: &ballet_grammar::ast::Ident,
    ) {
        self.template(
            asm,
            scope,
            name,
            |name| Symbol::Instance {
                assembly: asm.to_string(),
                name,
            },
            true,
        );
        self.push(ty.span, Symbol::Component(ty.text.clone()), false);
    }

    /// An interpolated name: the name itself and the variables inside it.
    fn template(
        &mut self,
        asm: &str,
        scope: &[(String, Span)],
        t: &Template,
        symbol: impl FnOnce(String) -> Symbol,
        def: bool,
    ) {
        self.push(t.span, symbol(template_key(self.text, t)), def);
        for part in &t.parts {
            if let TemplatePart::Expr(e) = part {
                self.expr(asm, scope, e);
            }
        }
    }

    fn expr(&mut self, asm: &str, scope: &[(String, Span)], e: &Expr) {
        match &e.kind {
            ExprKind::Var(v) => {
                let symbol = match scope.iter().rev().find(|(n, _)| n == v) {
                    Some(&(_, def)) => Symbol::LoopVar {
                        file: self.file,
                        def,
                    },
                    None => Symbol::Param {
                        assembly: asm.to_string(),
                        name: v.clone(),
                    },
                };
                self.push(e.span, symbol, false);
            }
            ExprKind::Neg(inner) => self.expr(asm, scope, inner),
            ExprKind::Binary(_, a, b) => {
                self.expr(asm, scope, a);
                self.expr(asm, scope, b);
            }
            ExprKind::Number(_) | ExprKind::Str(_) | ExprKind::Bool(_) => {}
        }
    }

    /// `instance.port` inside an assembly or a goal on `asm`.
    fn port_ref(&mut self, asm: &str, scope: &[(String, Span)], p: &PortRef) {
        let ty = self.instance(asm, scope, &p.instance);
        if let Some(ty) = ty {
            self.push(
                p.port.span,
                Symbol::Port {
                    ty,
                    name: p.port.text.clone(),
                },
                false,
            );
        }
    }

    /// A use of an instance name; returns its type when known.
    fn instance(&mut self, asm: &str, scope: &[(String, Span)], t: &Template) -> Option<String> {
        let mut symbol = Symbol::Instance {
            assembly: asm.to_string(),
            name: template_key(self.text, t),
        };
        if !self.index.instances.contains_key(&symbol) {
            if let Some(found) = self.elaborated(asm, t) {
                symbol = found;
            }
        }
        let ty = self.index.instances.get(&symbol).map(|i| i.ty.clone());
        self.template(asm, scope, t, |_| symbol, false);
        ty
    }

    /// The declaration that made instance `t` of the elaborated `asm`.
    fn elaborated(&self, asm: &str, t: &Template) -> Option<Symbol> {
        let name = t.as_plain()?;
        let e = self
            .analysis
            .assemblies
            .iter()
            .find(|e| e.assembly.name == asm)?;
        let id = e.instances.get(name)?;
        let span = *e.instance_spans.get(id.index())?;
        let file = e.file;
        self.index
            .occurrences
            .iter()
            .find(|o| o.def && o.file == file && o.span == span)
            .map(|o| o.symbol.clone())
    }

    fn goal(&mut self, g: &Goal) {
        self.push(g.name.span, Symbol::Goal(g.name.text.clone()), true);
        for r in std::iter::once(&g.from).chain(&g.to) {
            self.push(r.name.span, Symbol::Assembly(r.name.text.clone()), false);
            for (arg, value) in &r.args {
                let param = Symbol::Param {
                    assembly: r.name.text.clone(),
                    name: arg.text.clone(),
                };
                self.push(arg.span, param, false);
                self.expr(&r.name.text, &[], value);
            }
        }
        let asm = g.from.name.text.clone();
        for it in &g.items {
            match it {
                GoalItem::StartInstance(i, s, _) | GoalItem::State(i, s, _) => {
                    let ty = self.instance(&asm, &[], i);
                    if let (Some(ty), StateSpec::Place(p)) = (ty, s) {
                        self.push(
                            p.span,
                            Symbol::Place {
                                ty,
                                name: p.text.clone(),
                            },
                            false,
                        );
                    }
                }
                GoalItem::Behavior(i, b, _) => {
                    if let Some(ty) = self.instance(&asm, &[], i) {
                        self.push(
                            b.span,
                            Symbol::Behavior {
                                ty,
                                name: b.text.clone(),
                            },
                            false,
                        );
                    }
                }
                GoalItem::Port(p, _, _) => self.port_ref(&asm, &[], p),
                GoalItem::StartAll(..)
                | GoalItem::BehaviorAll(..)
                | GoalItem::PortAll(..)
                | GoalItem::StateAll(..)
                | GoalItem::Error(_) => {}
            }
        }
    }
}
