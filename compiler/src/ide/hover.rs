//! Hover: what the name under the cursor is, in a few lines of Markdown.

use ballet_grammar::ast::{GoalItem, Item, Landmark, PortStatus, StateSpec};
use ballet_grammar::Span;
use ballet_runtime::{ComponentType, PortKind};

use crate::ide::index::{template_key, Symbol};
use crate::ide::FileAnalysis;

/// The hover text for byte `offset` of the root document and the span of
/// the name it is about.
pub fn hover(a: &FileAnalysis, offset: usize) -> Option<(String, Span)> {
    let occurrence = a.index().at(a.root(), offset)?;
    let text = describe(a, &occurrence.symbol)?;
    Some((text, occurrence.span))
}

fn ty<'a>(a: &'a FileAnalysis, name: &str) -> Option<&'a ComponentType> {
    let model = &a.analysis.model;
    model.type_named(name).map(|id| model.ty(id))
}

fn kind_word(kind: PortKind) -> &'static str {
    match kind {
        PortKind::Use => "use",
        PortKind::Provide => "provide",
    }
}

fn describe(a: &FileAnalysis, symbol: &Symbol) -> Option<String> {
    let model = &a.analysis.model;
    Some(match symbol {
        Symbol::Interface(name) => {
            let mut providers = Vec::new();
            let mut users = Vec::new();
            for t in &model.types {
                for p in &t.ports {
                    if model.interfaces.get(p.interface.index()) == Some(name) {
                        let list = if p.kind == PortKind::Provide {
                            &mut providers
                        } else {
                            &mut users
                        };
                        list.push(format!("`{}.{}`", t.name, p.name));
                    }
                }
            }
            let or_none = |v: Vec<String>| {
                if v.is_empty() {
                    "none".to_string()
                } else {
                    v.join(", ")
                }
            };
            format!(
                "```ballet\ninterface {name}\n```\nprovided by: {}  \nused by: {}",
                or_none(providers),
                or_none(users)
            )
        }
        Symbol::Component(name) => {
            let t = ty(a, name)?;
            let behaviors: Vec<&str> = t.behaviors.iter().map(|b| b.name.as_str()).collect();
            let ports: Vec<String> = t
                .ports
                .iter()
                .map(|p| format!("{} {}", kind_word(p.kind), p.name))
                .collect();
            format!(
                "```ballet\ncomponent {name}\n```\nplaces: {} (initial `{}`, running `{}`)  \nbehaviors: {}  \nports: {}",
                t.places.join(", "),
                t.place_name(t.initial),
                t.place_name(t.running),
                behaviors.join(", "),
                ports.join(", ")
            )
        }
        Symbol::Place { ty: tn, name } => {
            let t = ty(a, tn)?;
            let id = t.place_named(name)?;
            let mut role = String::new();
            if id == t.initial {
                role.push_str(" (initial)");
            }
            if id == t.running {
                role.push_str(" (running)");
            }
            let groups: Vec<String> = t
                .ports
                .iter()
                .filter(|p| p.contains(id))
                .map(|p| format!("`{}`", p.name))
                .collect();
            let groups = if groups.is_empty() {
                "none".into()
            } else {
                groups.join(", ")
            };
            format!("place `{name}` of `{tn}`{role}  \nin the groups of ports: {groups}")
        }
        Symbol::Behavior { ty: tn, name } => {
            let t = ty(a, tn)?;
            let b = &t.behaviors[t.behavior_named(name)?.index()];
            let lines: Vec<String> = b
                .transitions
                .iter()
                .map(|&id| {
                    let tr = t.transition(id);
                    format!(
                        "{}: {} -> {} cost {}",
                        tr.name,
                        t.place_name(tr.src),
                        t.place_name(tr.dst),
                        tr.cost
                    )
                })
                .collect();
            format!(
                "behavior `{name}` of `{tn}`\n```ballet\n{}\n```",
                lines.join("\n")
            )
        }
        Symbol::Transition { ty: tn, name } => {
            let t = ty(a, tn)?;
            let tr = t.transitions.iter().find(|tr| &tr.name == name)?;
            let behavior = &t.behavior(tr.behavior).name;
            let action = match &tr.action {
                Some(cmd) => format!("`{cmd}`"),
                None => "none".into(),
            };
            format!(
                "transition `{name}` of `{tn}`: `{} -> {}`  \nbehavior: `{behavior}`  \ncost: {}  \naction: {action}",
                t.place_name(tr.src),
                t.place_name(tr.dst),
                tr.cost
            )
        }
        Symbol::Port { ty: tn, name } => {
            let t = ty(a, tn)?;
            let p = t.port(t.port_named(name)?);
            let interface = model
                .interfaces
                .get(p.interface.index())
                .map_or("?", String::as_str);
            let group: Vec<&str> = p.group.iter().map(|&g| t.place_name(g)).collect();
            format!(
                "```ballet\n{} {name}: {interface}\n```\nport of `{tn}`; interface `{interface}`  \ngroup: {}",
                kind_word(p.kind),
                group.join(", ")
            )
        }
        Symbol::Instance { assembly, name } => {
            let info = a.index().instances.get(symbol)?;
            let site = info
                .site
                .as_deref()
                .map_or(String::new(), |s| format!(" on site `{s}`"));
            format!(
                "instance `{name}` of assembly `{assembly}`  \ntype `{}`{site}",
                info.ty
            )
        }
        Symbol::Site { assembly, name } => format!("site `{name}` of assembly `{assembly}`"),
        Symbol::Assembly(name) => {
            let e = a
                .analysis
                .assemblies
                .iter()
                .find(|e| &e.assembly.name == name)?;
            let params: Vec<String> = e
                .assembly
                .params
                .iter()
                .map(|(n, v)| format!("{n} = {v}"))
                .collect();
            format!(
                "assembly `{name}`{}  \nwith its defaults: {} sites, {} instances, {} connections",
                if params.is_empty() {
                    String::new()
                } else {
                    format!("({})", params.join(", "))
                },
                e.assembly.sites.len(),
                e.assembly.instances.len(),
                e.assembly.connections.len()
            )
        }
        Symbol::Param { assembly, name } => {
            let e = a
                .analysis
                .assemblies
                .iter()
                .find(|e| &e.assembly.name == assembly);
            let value = e
                .and_then(|e| e.assembly.params.iter().find(|(n, _)| n == name))
                .map_or(String::new(), |(_, v)| format!(" (default {v})"));
            format!("parameter `{name}` of assembly `{assembly}`{value}")
        }
        Symbol::LoopVar { .. } => "loop variable".to_string(),
        Symbol::Goal(name) => goal(a, name)?,
    })
}

fn landmark(m: Landmark) -> &'static str {
    match m {
        Landmark::Initial => "initial",
        Landmark::Running => "running",
    }
}

fn state(s: &StateSpec) -> String {
    match s {
        StateSpec::Landmark(m, _) => format!("its {} place", landmark(*m)),
        StateSpec::Place(p) => format!("place `{}`", p.text),
    }
}

fn status(s: PortStatus) -> &'static str {
    match s {
        PortStatus::Active => "active",
        PortStatus::Inactive => "inactive",
    }
}

/// A goal in words, line by line.
fn goal(a: &FileAnalysis, name: &str) -> Option<String> {
    let (file, g) = a.program.files.iter().find_map(|f| {
        f.ast.items.iter().find_map(|i| match i {
            Item::Goal(g) if g.name.text == name => Some((f.id, g)),
            _ => None,
        })
    })?;
    let text = a.text(file);
    let asm_ref =
        |r: &ballet_grammar::ast::AsmRef| text.get(r.span.range()).unwrap_or("").to_string();
    let mut out = format!("goal `{name}`: from `{}`", asm_ref(&g.from));
    if let Some(to) = &g.to {
        out.push_str(&format!(" to `{}`", asm_ref(to)));
    }
    if !g
        .items
        .iter()
        .any(|i| matches!(i, GoalItem::StartAll(..) | GoalItem::StartInstance(..)))
    {
        out.push_str("\n- every instance starts at its initial place");
    }
    for it in &g.items {
        let line = match it {
            GoalItem::StartAll(m, _) => {
                format!("every instance starts at its {} place", landmark(*m))
            }
            GoalItem::StartInstance(i, s, _) => {
                format!("`{}` starts at {}", template_key(text, i), state(s))
            }
            GoalItem::Behavior(i, b, _) => format!(
                "`{}` executes its behavior `{}`",
                template_key(text, i),
                b.text
            ),
            GoalItem::BehaviorAll(b, _) => {
                format!("every instance whose type has `{}` executes it", b.text)
            }
            GoalItem::Port(p, s, _) => format!(
                "port `{}.{}` is {} at the end",
                template_key(text, &p.instance),
                p.port.text,
                status(*s)
            ),
            GoalItem::PortAll(s, _) => format!("every provide port is {} at the end", status(*s)),
            GoalItem::StateAll(m, _) => {
                format!("every instance ends at its {} place", landmark(*m))
            }
            GoalItem::State(i, s, _) => format!("`{}` ends at {}", template_key(text, i), state(s)),
            GoalItem::Error(_) => continue,
        };
        out.push_str("\n- ");
        out.push_str(&line);
    }
    match a.analysis.goal(name) {
        Some(lowered) => out.push_str(&format!(
            "\n\n{} instances; {} behaviors to execute, {} port and {} place conditions at the end",
            lowered.target.instances.len(),
            lowered.behaviors.len(),
            lowered.ports.len(),
            lowered.states.len()
        )),
        None => out.push_str("\n\n(not lowered: the goal or its assemblies have errors)"),
    }
    Some(out)
}
