//! Elaborating an assembly for given parameter values: loops unrolled, names
//! interpolated, sites, instances and connections resolved and checked.

use std::collections::HashMap;

use ballet_grammar::ast::{self, AsmItem, InstanceDecl, PortRef};
use ballet_grammar::Span;
use ballet_runtime::{
    Assembly, Connection, Endpoint, Instance, InstanceId, Model, PortKind, Site, SiteId, TypeId,
    Value,
};

use crate::check::eval::{eval_int, interpolate, Scope};
use crate::codes::Code;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::source::FileId;

/// Limit on loop iterations and on instances of one assembly.
pub const MAX_ITEMS: u64 = 1_000_000;

/// Limit on the iterations of all the loops of one assembly together. Each
/// iteration runs the loop's body even when it declares nothing (a syntax
/// error, a site whose name does not interpolate), so nested loops are
/// bounded on their own, not only by the instances they make.
pub const MAX_ITERATIONS: u64 = 4 * MAX_ITEMS;

/// An elaborated assembly with the source places of its parts.
#[derive(Clone, Debug, Default)]
pub struct Elaborated {
    /// The assembly.
    pub assembly: Assembly,
    /// The file of its declaration.
    pub file: FileId,
    /// Each instance's declaration, by [`InstanceId`].
    pub instance_spans: Vec<Span>,
    /// Each site's declaration, by [`SiteId`].
    pub site_spans: Vec<Span>,
    /// Each connection's declaration, by index.
    pub connection_spans: Vec<Span>,
    /// Instances by name.
    pub instances: HashMap<String, InstanceId>,
    /// Names of instances whose declaration was wrong (unknown type): later
    /// references to them are not reported again.
    pub poisoned: std::collections::HashSet<String>,
    /// Whether elaboration found no error (only then is `assembly` usable).
    pub ok: bool,
}

/// What elaboration needs to know about types.
pub struct AsmContext<'a> {
    /// The lowered types.
    pub model: &'a Model,
    /// Type ids by name (types that failed to lower are absent).
    pub types: &'a HashMap<String, TypeId>,
    /// Names of declared types, lowered or not (to avoid cascading E0105).
    pub declared: &'a std::collections::HashSet<String>,
}

struct PendingConnect<'a> {
    decl: &'a ast::Connect,
    from: String,
    to: String,
}

struct Walker<'a, 'd> {
    cx: &'a AsmContext<'a>,
    file: FileId,
    out: Elaborated,
    sites: HashMap<String, SiteId>,
    pending_sites: Vec<(InstanceId, String, Span)>,
    connects: Vec<PendingConnect<'a>>,
    work: u64,
    iterations: u64,
    too_large: bool,
    d: &'d mut Diagnostics,
}

/// Elaborates `decl` (declared in `file`) with parameter values `params`.
pub fn elaborate(
    cx: &AsmContext<'_>,
    file: FileId,
    decl: &ast::Assembly,
    params: Vec<(String, Value)>,
    d: &mut Diagnostics,
) -> Elaborated {
    let errors_before = d.errors_pushed();
    let mut scope = Scope::new(&params);
    let mut w = Walker {
        cx,
        file,
        out: Elaborated {
            file,
            ..Elaborated::default()
        },
        sites: HashMap::new(),
        pending_sites: Vec::new(),
        connects: Vec::new(),
        work: 0,
        iterations: 0,
        too_large: false,
        d,
    };
    w.out.assembly.name = decl.name.text.clone();
    w.out.assembly.params = params;
    w.items(&decl.items, &mut scope, None);
    w.resolve_sites();
    w.resolve_connections();
    let mut out = w.out;
    out.ok = d.errors_pushed() == errors_before;
    out
}

impl<'a> Walker<'a, '_> {
    fn items(&mut self, items: &'a [AsmItem], scope: &mut Scope, _site: Option<SiteId>) {
        for item in items {
            if self.too_large {
                return;
            }
            match item {
                AsmItem::Site(s) => {
                    let Some(name) = interpolate(&s.name, scope, self.file, self.d) else {
                        // The site is lost; its instances must not be
                        // reported as unknown later.
                        for inst in &s.instances {
                            if let Some(n) = interpolate(&inst.name, scope, self.file, self.d) {
                                self.out.poisoned.insert(n);
                            }
                        }
                        continue;
                    };
                    let site = self.site(name, s.name.span);
                    for inst in &s.instances {
                        self.instance(inst, scope, site);
                    }
                }
                AsmItem::Instance(inst) => self.instance(inst, scope, None),
                AsmItem::Connect(c) => {
                    let from = interpolate(&c.from.instance, scope, self.file, self.d);
                    let to = interpolate(&c.to.instance, scope, self.file, self.d);
                    if let (Some(from), Some(to)) = (from, to) {
                        self.bump(c.span);
                        self.connects.push(PendingConnect { decl: c, from, to });
                    }
                }
                AsmItem::For(l) => self.for_loop(l, scope),
                AsmItem::Error(_) => {}
            }
        }
    }

    fn for_loop(&mut self, l: &'a ast::ForLoop, scope: &mut Scope) {
        let lo = eval_int(&l.lo, scope, self.file, self.d);
        let hi = eval_int(&l.hi, scope, self.file, self.d);
        let (Some(lo), Some(hi)) = (lo, hi) else {
            return;
        };
        let range = l.lo.span.to(l.hi.span);
        if hi <= lo {
            self.d.push(
                Diagnostic::new(Code::E0314, format!("the range {lo}..{hi} is empty"))
                    .at(self.file, range, "this loop runs zero times")
                    .note(format!(
                        "`for {} in LO..HI` runs for LO <= {} < HI",
                        l.var.text, l.var.text
                    )),
            );
            return;
        }
        let count = (hi as i128 - lo as i128) as u128;
        if count > u128::from(MAX_ITEMS) {
            self.d.push(
                Diagnostic::new(
                    Code::E0315,
                    format!("the range {lo}..{hi} has {count} iterations"),
                )
                .at(
                    self.file,
                    range,
                    format!("more than {MAX_ITEMS} iterations"),
                )
                .help("check the parameter values"),
            );
            self.too_large = true;
            return;
        }
        scope.push(&l.var.text, Value::Int(lo));
        for i in lo..hi {
            self.iterations += 1;
            if self.iterations > MAX_ITERATIONS && !self.too_large {
                self.too_large = true;
                self.d.push(
                    Diagnostic::new(
                        Code::E0315,
                        format!("the loops of this assembly run more than {MAX_ITERATIONS} times"),
                    )
                    .at(self.file, range, "the limit is reached in this loop")
                    .help("check the parameter values"),
                );
            }
            if self.too_large {
                break;
            }
            scope.set_last(Value::Int(i));
            self.items(&l.items, scope, None);
            if self.too_large {
                break;
            }
        }
        scope.pop();
    }

    fn bump(&mut self, span: Span) {
        self.work += 1;
        if self.work > MAX_ITEMS && !self.too_large {
            self.too_large = true;
            self.d.push(
                Diagnostic::new(
                    Code::E0315,
                    format!("the assembly has more than {MAX_ITEMS} instances and connections"),
                )
                .at(self.file, span, "the limit is reached here")
                .help("check the parameter values"),
            );
        }
    }

    fn site(&mut self, name: String, span: Span) -> Option<SiteId> {
        if let Some(&first) = self.sites.get(&name) {
            self.d.push(
                Diagnostic::new(Code::E0301, format!("site `{name}` is declared twice"))
                    .at(self.file, span, "declared again here")
                    .first_declared(self.file, self.out.site_spans[first.index()], span),
            );
            return Some(first);
        }
        let id = SiteId::from_index(self.out.assembly.sites.len());
        self.sites.insert(name.clone(), id);
        self.out.assembly.sites.push(Site { name });
        self.out.site_spans.push(span);
        Some(id)
    }

    fn instance(&mut self, decl: &'a InstanceDecl, scope: &mut Scope, site: Option<SiteId>) {
        self.bump(decl.span);
        if self.too_large {
            return;
        }
        let Some(name) = interpolate(&decl.name, scope, self.file, self.d) else {
            return;
        };
        let ty = match self.cx.types.get(&decl.ty.text) {
            Some(&ty) => Some(ty),
            None => {
                if !self.cx.declared.contains(&decl.ty.text)
                    && !self.d.repeated(Code::E0105, self.file, decl.ty.span)
                {
                    let names = self.cx.declared.iter().map(String::as_str);
                    let mut diag = Diagnostic::new(
                        Code::E0105,
                        format!("unknown component type `{}`", decl.ty.text),
                    )
                    .at(self.file, decl.ty.span, "not declared");
                    diag = match crate::suggest::closest(&decl.ty.text, names) {
                        Some(best) => diag.help(format!("did you mean `{best}`?")),
                        None => diag.help(
                            "declare it, or import the module that does (`import openstack`)",
                        ),
                    };
                    self.d.push(diag);
                }
                None
            }
        };
        if let Some(&first) = self.out.instances.get(&name) {
            self.d.push(
                Diagnostic::new(Code::E0302, format!("instance `{name}` is declared twice"))
                    .at(self.file, decl.name.span, "declared again here")
                    .first_declared(
                        self.file,
                        self.out.instance_spans[first.index()],
                        decl.name.span,
                    ),
            );
            return;
        }
        let Some(ty) = ty else {
            self.out.poisoned.insert(name);
            return;
        };
        let id = InstanceId::from_index(self.out.assembly.instances.len());
        let site = match (&decl.site, site) {
            (Some(other), Some(inside)) => {
                self.d.push(
                    Diagnostic::new(
                        Code::E0319,
                        format!("instance `{name}` is declared in a site block and placed `on` another site"),
                    )
                    .at(self.file, other.span, "second site")
                    .note(format!(
                        "it is declared inside `site {}`",
                        self.out.assembly.sites[inside.index()].name
                    )),
                );
                inside
            }
            (None, Some(inside)) => inside,
            (Some(on), None) => {
                if let Some(site_name) = interpolate(on, scope, self.file, self.d) {
                    self.pending_sites.push((id, site_name, on.span));
                }
                SiteId(u32::MAX)
            }
            (None, None) => {
                self.d.push(
                    Diagnostic::new(Code::E0309, format!("instance `{name}` is on no site"))
                        .at(self.file, decl.span, "not in a site block and no `on SITE`")
                        .help(format!(
                            "declare it inside `site NAME {{ ... }}`, or write `{}: {} on SITE`",
                            decl.name.source_text(),
                            decl.ty.text
                        )),
                );
                SiteId(u32::MAX)
            }
        };
        self.out.instances.insert(name.clone(), id);
        self.out
            .assembly
            .instances
            .push(Instance { name, ty, site });
        self.out.instance_spans.push(decl.name.span);
    }

    fn resolve_sites(&mut self) {
        for (id, name, span) in std::mem::take(&mut self.pending_sites) {
            match self.sites.get(&name) {
                Some(&site) => self.out.assembly.instances[id.index()].site = site,
                None if self.d.repeated(Code::E0310, self.file, span) => {}
                None => {
                    let mut diag = Diagnostic::new(Code::E0310, format!("unknown site `{name}`"))
                        .at(self.file, span, "not declared in this assembly");
                    let names = self.sites.keys().map(String::as_str);
                    diag = match crate::suggest::closest(&name, names) {
                        Some(best) => diag.help(format!("did you mean `{best}`?")),
                        None => diag.help(format!("declare it: `site {name}`")),
                    };
                    self.d.push(diag);
                }
            }
        }
    }

    fn endpoint(
        &mut self,
        name: &str,
        r: &PortRef,
    ) -> Option<(Endpoint, PortKind, ballet_runtime::InterfaceId)> {
        let Some(&instance) = self.out.instances.get(name) else {
            if self.out.poisoned.contains(name)
                || self.d.repeated(Code::E0303, self.file, r.instance.span)
            {
                return None;
            }
            let mut diag = Diagnostic::new(Code::E0303, format!("unknown instance `{name}`")).at(
                self.file,
                r.instance.span,
                "not declared in this assembly",
            );
            if let Some(best) =
                crate::suggest::closest(name, self.out.instances.keys().map(String::as_str))
            {
                diag = diag.help(format!("did you mean `{best}`?"));
            }
            self.d.push(diag);
            return None;
        };
        let ty = self
            .cx
            .model
            .ty(self.out.assembly.instances[instance.index()].ty);
        let Some(port) = ty.port_named(&r.port.text) else {
            if self.d.repeated(Code::E0304, self.file, r.port.span) {
                return None;
            }
            let mut diag = Diagnostic::new(
                Code::E0304,
                format!("`{name}` ({}) has no port `{}`", ty.name, r.port.text),
            )
            .at(self.file, r.port.span, "unknown port");
            let ports = ty.ports.iter().map(|p| p.name.as_str());
            diag = match crate::suggest::closest(&r.port.text, ports) {
                Some(best) => diag.help(format!("did you mean `{best}`?")),
                None => diag.note(format!(
                    "`{}` has ports: {}",
                    ty.name,
                    ty.ports
                        .iter()
                        .map(|p| format!("`{}`", p.name))
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            };
            self.d.push(diag);
            return None;
        };
        let p = ty.port(port);
        Some((Endpoint { instance, port }, p.kind, p.interface))
    }

    fn resolve_connections(&mut self) {
        let mut providers: HashMap<Endpoint, usize> = HashMap::new();
        for pending in std::mem::take(&mut self.connects) {
            let c = pending.decl;
            let from = self.endpoint(&pending.from, &c.from);
            let to = self.endpoint(&pending.to, &c.to);
            let (Some(from), Some(to)) = (from, to) else {
                continue;
            };
            let describe = |e: &Endpoint, w: &Self| {
                let inst = &w.out.assembly.instances[e.instance.index()];
                format!("{}.{}", inst.name, w.cx.model.ty(inst.ty).port(e.port).name)
            };
            match (from.1, to.1) {
                (PortKind::Provide, PortKind::Use) => {}
                (PortKind::Use, PortKind::Provide) => {
                    self.d.push(
                        Diagnostic::new(Code::E0305, "connection in the wrong direction")
                            .at(
                                self.file,
                                c.span,
                                format!(
                                    "`{}` is a use port, `{}` a provide port",
                                    describe(&from.0, self),
                                    describe(&to.0, self)
                                ),
                            )
                            .help(format!(
                                "write the provider first: `connect {} -> {}`",
                                describe(&to.0, self),
                                describe(&from.0, self)
                            )),
                    );
                    continue;
                }
                (kind, _) => {
                    let word = if kind == PortKind::Use {
                        "use"
                    } else {
                        "provide"
                    };
                    self.d.push(
                        Diagnostic::new(
                            Code::E0306,
                            format!("both ends of this connection are {word} ports"),
                        )
                        .at(
                            self.file,
                            c.span,
                            format!(
                                "`{}` and `{}` are both {word} ports",
                                describe(&from.0, self),
                                describe(&to.0, self)
                            ),
                        )
                        .help("connect a provide port (left) to a use port (right)"),
                    );
                    continue;
                }
            }
            let unresolved = crate::check::component::UNRESOLVED_INTERFACE;
            if from.2 != to.2 && from.2 != unresolved && to.2 != unresolved {
                let iface =
                    |i: ballet_runtime::InterfaceId| self.cx.model.interfaces[i.index()].clone();
                self.d.push(
                    Diagnostic::new(
                        Code::E0307,
                        format!(
                            "`{}` provides `{}` but `{}` uses `{}`",
                            describe(&from.0, self),
                            iface(from.2),
                            describe(&to.0, self),
                            iface(to.2)
                        ),
                    )
                    .at(self.file, c.span, "interfaces differ"),
                );
                continue;
            }
            if let Some(&first) = providers.get(&to.0) {
                self.d.push(
                    Diagnostic::new(
                        Code::E0308,
                        format!(
                            "use port `{}` already has a provider",
                            describe(&to.0, self)
                        ),
                    )
                    .at(self.file, c.span, "second provider")
                    .with(
                        self.file,
                        self.out.connection_spans[first],
                        "first provider",
                    ),
                );
                continue;
            }
            providers.insert(to.0, self.out.assembly.connections.len());
            self.out.assembly.connections.push(Connection {
                provider: from.0,
                user: to.0,
            });
            self.out.connection_spans.push(c.span);
        }
    }
}
