//! Name resolution and checking of a loaded [`Program`], producing the
//! lowered runtime model and every diagnostic.
//!
//! Order: top-level names → component types (lowering, DAG check, lifecycle
//! warnings) → assemblies elaborated with their defaults and `-D` values →
//! goals lowered against their start and target assemblies → port-usage
//! warnings over everything elaborated.

pub mod component;
pub mod elaborate;
pub mod eval;
pub mod goal;
pub mod lifecycle;
pub mod names;
pub mod params;

use std::collections::{HashMap, HashSet};

use ballet_grammar::ast::{self, Item};
use ballet_runtime::{Goal, Model, PortKind, TypeId};

use crate::codes::Code;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::load::Program;

use component::{TypeContext, TypeSpans};
use elaborate::{AsmContext, Elaborated};
use names::ItemRef;
use params::Given;

/// Options of a check.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// `-D NAME=VALUE` overrides, applied to every assembly that declares
    /// `NAME` (goal arguments take precedence).
    pub defines: Vec<(String, String)>,
}

/// Everything known about a checked program.
#[derive(Debug, Default)]
pub struct Analysis {
    /// The lowered types and interfaces.
    pub model: Model,
    /// Source places of each type's parts, by [`TypeId`].
    pub type_spans: Vec<TypeSpans>,
    /// Each assembly elaborated with its defaults and `-D` values (those that
    /// could be), in declaration order.
    pub assemblies: Vec<Elaborated>,
    /// Each goal, lowered (`None` when it has errors), by name, in
    /// declaration order.
    pub goals: Vec<(String, Option<Goal>)>,
}

impl Analysis {
    /// The lowered goal called `name`, if it exists and has no error.
    pub fn goal(&self, name: &str) -> Option<&Goal> {
        self.goals
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, g)| g.as_ref())
    }
}

fn item(program: &Program, r: ItemRef) -> &Item {
    &program.files[r.file_index].ast.items[r.item]
}

/// Checks `program`, appending diagnostics to `d`.
pub fn analyze(program: &Program, options: &Options, d: &mut Diagnostics) -> Analysis {
    let symbols = names::collect(program, d);
    let mut analysis = Analysis::default();

    // Interfaces and types.
    analysis.model.interfaces = symbols
        .interfaces
        .iter()
        .map(|(n, _, _)| n.clone())
        .collect();
    let interfaces = component::interface_table(&symbols.interfaces);
    let parameters: HashSet<String> = symbols
        .assembly_order
        .iter()
        .filter_map(|&r| match item(program, r) {
            Item::Assembly(a) => Some(a.params.iter().map(|p| p.name.text.clone())),
            _ => None,
        })
        .flatten()
        .collect();
    let mut types: HashMap<String, TypeId> = HashMap::new();
    let mut declared: HashSet<String> = HashSet::new();
    let mut stdlib_types: HashSet<TypeId> = HashSet::new();
    for &r in &symbols.components {
        let Item::Component(decl) = item(program, r) else {
            continue;
        };
        declared.insert(decl.name.text.clone());
        let file = program.files[r.file_index].id;
        let cx = TypeContext {
            interfaces: &interfaces,
            parameters: &parameters,
            text: program.sources.text(file),
        };
        let errors_before = d.errors_pushed();
        let Some(component::Lowered {
            ty,
            spans,
            complete,
        }) = lower_component(&cx, file, decl, d)
        else {
            continue;
        };
        // An incomplete type is kept so that its instances resolve (no
        // cascade of "unknown" errors); the errors already reported keep it
        // from being planned with. Lifecycle warnings about a type with
        // errors would only echo them.
        if lifecycle::check_dags(&ty, &spans, d) && complete && d.errors_pushed() == errors_before {
            lifecycle::warn_unreachable(&ty, &spans, d);
        }
        let id = TypeId::from_index(analysis.model.types.len());
        if program.is_stdlib(file) {
            stdlib_types.insert(id);
        }
        types.insert(ty.name.clone(), id);
        analysis.model.types.push(ty);
        analysis.type_spans.push(spans);
    }
    let acx = AsmContext {
        model: &analysis.model,
        types: &types,
        declared: &declared,
    };

    // `-D` flags must name some parameter.
    for (name, _) in &options.defines {
        if !parameters.contains(name) {
            d.push(
                Diagnostic::new(Code::E0311, format!("`-D {name}=...` names no parameter")).note(
                    if parameters.is_empty() {
                        "no assembly of this program has parameters".to_string()
                    } else {
                        let mut known: Vec<&str> = parameters.iter().map(String::as_str).collect();
                        known.sort();
                        format!("parameters: {}", known.join(", "))
                    },
                ),
            );
        }
    }
    let defines: HashMap<&str, Given<'_>> = options
        .defines
        .iter()
        .map(|(n, v)| (n.as_str(), Given::Define(v.as_str())))
        .collect();

    // Assemblies with their default values; goals with their own arguments.
    let mut cache: HashMap<(usize, Vec<(String, ballet_runtime::Value)>), usize> = HashMap::new();
    let mut elaborated: Vec<Elaborated> = Vec::new();
    let mut elaborate =
        |r: ItemRef, given: &HashMap<&str, Given<'_>>, d: &mut Diagnostics| -> Option<usize> {
            let Item::Assembly(decl) = item(program, r) else {
                return None;
            };
            let file = program.files[r.file_index].id;
            let values = params::resolve(file, decl, given, d)?;
            let key = (r.file_index * 1_000_000 + r.item, values.clone());
            if let Some(&i) = cache.get(&key) {
                return Some(i);
            }
            let e = elaborate::elaborate(&acx, file, decl, values, d);
            elaborated.push(e);
            cache.insert(key, elaborated.len() - 1);
            Some(elaborated.len() - 1)
        };
    let mut defaults = Vec::new();
    for &r in &symbols.assembly_order {
        if let Some(i) = elaborate(r, &defines, d) {
            defaults.push(i);
        }
    }
    let mut goal_inputs = Vec::new();
    for &r in &symbols.goals {
        let Item::Goal(decl) = item(program, r) else {
            continue;
        };
        let file = program.files[r.file_index].id;
        let start = goal_assembly(program, &symbols, file, &decl.from, &defines, d)
            .and_then(|(ar, given)| elaborate(ar, &given, d));
        let target = match &decl.to {
            None => start,
            Some(to) => goal_assembly(program, &symbols, file, to, &defines, d)
                .and_then(|(ar, given)| elaborate(ar, &given, d)),
        };
        goal_inputs.push((decl, file, start, target));
    }
    for (decl, file, start, target) in goal_inputs {
        let lowered = match (start, target) {
            (Some(s), Some(t)) => {
                let lowered = goal::lower(
                    &analysis.model,
                    file,
                    decl,
                    &elaborated[s],
                    &elaborated[t],
                    d,
                );
                lowered.filter(|_| elaborated[s].ok && elaborated[t].ok)
            }
            _ => None,
        };
        analysis.goals.push((decl.name.text.clone(), lowered));
    }

    // Port warnings next to errors are noise (often echoes of them).
    if !d.has_errors() {
        warn_ports(
            &analysis.model,
            &analysis.type_spans,
            &elaborated,
            &stdlib_types,
            d,
        );
    }
    analysis.assemblies = defaults
        .into_iter()
        .map(|i| elaborated[i].clone())
        .collect();
    analysis
}

/// The assembly a goal refers to, with its arguments over the `-D` values.
fn goal_assembly<'p>(
    program: &'p Program,
    symbols: &names::Symbols,
    file: crate::source::FileId,
    r: &'p ast::AsmRef,
    defines: &HashMap<&'p str, Given<'p>>,
    d: &mut Diagnostics,
) -> Option<(ItemRef, HashMap<&'p str, Given<'p>>)> {
    let Some(&ar) = symbols.assemblies.get(&r.name.text) else {
        let mut diag = Diagnostic::new(Code::E0106, format!("unknown assembly `{}`", r.name.text))
            .at(file, r.name.span, "not declared");
        if let Some(best) =
            crate::suggest::closest(&r.name.text, symbols.assemblies.keys().map(String::as_str))
        {
            diag = diag.help(format!("did you mean `{best}`?"));
        }
        d.push(diag);
        return None;
    };
    let Item::Assembly(decl) = item(program, ar) else {
        return None;
    };
    let mut given = defines.clone();
    let mut seen = HashMap::new();
    let mut ok = true;
    for (name, expr) in &r.args {
        if let Some(first) = seen.insert(name.text.as_str(), name.span) {
            d.push(
                Diagnostic::new(
                    Code::E0312,
                    format!("argument `{}` is given twice", name.text),
                )
                .at(file, name.span, "given again here")
                .with(file, first, "first given here"),
            );
            ok = false;
        }
        if !decl.params.iter().any(|p| p.name.text == name.text) {
            d.push(
                Diagnostic::new(
                    Code::E0311,
                    format!(
                        "assembly `{}` has no parameter `{}`",
                        decl.name.text, name.text
                    ),
                )
                .at(file, name.span, "unknown parameter")
                .pipe(|d| {
                    crate::suggest::hint(
                        d,
                        &name.text,
                        decl.params.iter().map(|p| p.name.text.as_str()),
                        &format!("`{}` has parameters", decl.name.text),
                    )
                }),
            );
            ok = false;
        }
        given.insert(name.text.as_str(), Given::Arg(expr, file, name.span));
    }
    ok.then_some((ar, given))
}

/// W0003 (ports of user types never connected) and W0004 (use ports of an
/// instance without a provider whose group the instance can reach).
fn warn_ports(
    model: &Model,
    spans: &[TypeSpans],
    elaborated: &[Elaborated],
    stdlib: &HashSet<TypeId>,
    d: &mut Diagnostics,
) {
    let mut used: HashSet<(TypeId, ballet_runtime::PortId)> = HashSet::new();
    let mut instantiated: HashSet<TypeId> = HashSet::new();
    let reach: Vec<Vec<bool>> = model
        .types
        .iter()
        .map(lifecycle::reachable_places)
        .collect();
    for e in elaborated.iter().filter(|e| e.ok) {
        let a = &e.assembly;
        let mut connected: HashSet<ballet_runtime::Endpoint> = HashSet::new();
        for c in &a.connections {
            for end in [c.provider, c.user] {
                connected.insert(end);
                used.insert((a.instances[end.instance.index()].ty, end.port));
            }
        }
        for (i, inst) in a.instances.iter().enumerate() {
            instantiated.insert(inst.ty);
            let ty = model.ty(inst.ty);
            for (p, port) in ty.ports.iter().enumerate() {
                let end = ballet_runtime::Endpoint {
                    instance: ballet_runtime::InstanceId::from_index(i),
                    port: ballet_runtime::PortId::from_index(p),
                };
                if port.kind == PortKind::Use
                    && !connected.contains(&end)
                    && lifecycle::group_reachable(&reach[inst.ty.index()], &port.group)
                {
                    let places: Vec<String> = port
                        .group
                        .iter()
                        .map(|g| format!("`{}`", ty.place_name(*g)))
                        .collect();
                    d.push(
                        Diagnostic::new(
                            Code::W0004,
                            format!("use port `{}.{}` has no provider", inst.name, port.name),
                        )
                        .at(
                            e.file,
                            e.instance_spans[i],
                            format!("`{}` can never enter {}", inst.name, places.join(", ")),
                        )
                        .help(format!(
                            "connect it: `connect PROVIDER.PORT -> {}.{}`",
                            inst.name, port.name
                        )),
                    );
                }
            }
        }
    }
    for &t in &instantiated {
        if stdlib.contains(&t) {
            continue;
        }
        let ty = model.ty(t);
        // Use ports are covered per instance by W0004.
        for (p, port) in ty.ports.iter().enumerate() {
            if port.kind == PortKind::Provide
                && !used.contains(&(t, ballet_runtime::PortId::from_index(p)))
            {
                d.push(
                    Diagnostic::new(
                        Code::W0003,
                        format!("port `{}.{}` is never connected", ty.name, port.name),
                    )
                    .at(
                        spans[t.index()].file,
                        spans[t.index()].ports[p],
                        "no connection uses this port",
                    ),
                );
            }
        }
    }
}

/// Lowers a component type. When the declaration has syntax errors inside,
/// the members the parser skipped would come back as unknown places or a
/// missing initial/running place: those echoes are dropped.
fn lower_component(
    cx: &TypeContext<'_>,
    file: crate::source::FileId,
    decl: &ast::Component,
    d: &mut Diagnostics,
) -> Option<component::Lowered> {
    let broken = decl
        .members
        .iter()
        .any(|m| matches!(m, ast::Member::Error(_)));
    if !broken {
        return component::lower(cx, file, decl, d);
    }
    let mut local = Diagnostics::default();
    let lowered = component::lower(cx, file, decl, &mut local);
    d.extend(
        local
            .into_sorted()
            .into_iter()
            .filter(|x| !matches!(x.code, Code::E0202 | Code::E0204 | Code::E0205)),
    );
    lowered
}
