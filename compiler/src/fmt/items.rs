//! The layout of each item, member and line of a `.blt` file.

use ballet_grammar::ast::{
    AsmItem, AsmRef, Assembly, BehaviorDecl, Component, ForLoop, Goal, GoalItem, Ident,
    ImportTarget, InstanceDecl, Item, Landmark, Member, PortKind, PortRef, PortStatus, SiteDecl,
    StateSpec, TransitionDecl,
};

use super::expr::{expr, template};
use super::writer::{Writer, MAX_WIDTH};

/// Prints one top-level item.
pub(super) fn item(w: &mut Writer<'_>, item: &Item) {
    match item {
        Item::Import(import) => {
            let target = match &import.target {
                ImportTarget::Module(name) => name.text.clone(),
                ImportTarget::Path(_, span) => w.source(*span).to_string(),
            };
            w.line(import.span, &format!("import {target}"));
        }
        Item::Interface(i) => w.line(i.span, &format!("interface {}", i.name.text)),
        Item::Component(c) => component(w, c),
        Item::Assembly(a) => assembly(w, a),
        Item::Goal(g) => goal(w, g),
        // Not reached: files with syntax errors are refused. Kept verbatim.
        Item::Error(span) => w.line(*span, w.source(*span)),
    }
}

fn names(list: &[Ident]) -> String {
    let texts: Vec<&str> = list.iter().map(|i| i.text.as_str()).collect();
    texts.join(", ")
}

fn component(w: &mut Writer<'_>, c: &Component) {
    let brace = w.brace_after(c.name.span.end as usize);
    w.open(
        c.span.start as usize,
        brace,
        &format!("component {}", c.name.text),
    );
    for m in &c.members {
        match m {
            Member::Places(list, span) => w.line(*span, &format!("places {}", names(list))),
            Member::Initial(p, span) => w.line(*span, &format!("initial {}", p.text)),
            Member::Running(p, span) => w.line(*span, &format!("running {}", p.text)),
            Member::Behavior(b) => behavior(w, b),
            Member::Port(p) => {
                let kind = match p.kind {
                    PortKind::Use => "use",
                    PortKind::Provide => "provide",
                };
                let mut line = format!("{kind} {}: {}", p.name.text, p.interface.text);
                if !p.group.is_empty() {
                    line.push_str(" at ");
                    line.push_str(&names(&p.group));
                }
                w.line(p.span, &line);
            }
            Member::Error(span) => w.line(*span, w.source(*span)),
        }
    }
    w.close(c.span.end as usize);
}

fn transition(w: &Writer<'_>, t: &TransitionDecl) -> String {
    let mut line = format!("{}: {} -> {}", t.name.text, t.src.text, t.dst.text);
    if let Some((cost, _)) = &t.cost {
        line.push_str(" cost ");
        line.push_str(cost);
    }
    if let Some((_, span)) = &t.action {
        line.push_str(" run ");
        line.push_str(w.source(*span));
    }
    line
}

fn behavior(w: &mut Writer<'_>, b: &BehaviorDecl) {
    let header = format!("behavior {}", b.name.text);
    if let [t] = b.transitions.as_slice() {
        let joined = format!("{header} {{ {} }}", transition(w, t));
        if fits(w, &joined) && !w.has_comment_in(b.span) {
            w.line(b.span, &joined);
            return;
        }
    }
    let brace = w.brace_after(b.name.span.end as usize);
    w.open(b.span.start as usize, brace, &header);
    for t in &b.transitions {
        let line = transition(w, t);
        w.line(t.span, &line);
    }
    w.close(b.span.end as usize);
}

fn fits(w: &Writer<'_>, line: &str) -> bool {
    w.column() + line.chars().count() <= MAX_WIDTH
}

fn assembly(w: &mut Writer<'_>, a: &Assembly) {
    let mut header = format!("assembly {}", a.name.text);
    let mut header_end = a.name.span.end;
    if !a.params.is_empty() {
        let params: Vec<String> = a
            .params
            .iter()
            .map(|p| {
                let mut s = format!("{}: {}", p.name.text, p.ty.text);
                if let Some(d) = &p.default {
                    s.push_str(" = ");
                    s.push_str(&expr(w.text(), d));
                }
                s
            })
            .collect();
        header.push_str(&format!("({})", params.join(", ")));
        header_end = a
            .params
            .iter()
            .map(|p| p.span.end)
            .max()
            .unwrap_or(header_end);
    }
    let brace = w.brace_after(header_end as usize);
    w.open(a.span.start as usize, brace, &header);
    asm_items(w, &a.items);
    w.close(a.span.end as usize);
}

fn asm_items(w: &mut Writer<'_>, items: &[AsmItem]) {
    for it in items {
        match it {
            AsmItem::Site(s) => site(w, s),
            AsmItem::Instance(i) => {
                let line = instance(w, i);
                w.line(i.span, &line);
            }
            AsmItem::Connect(c) => {
                let line = format!("connect {} -> {}", port_ref(w, &c.from), port_ref(w, &c.to));
                w.line(c.span, &line);
            }
            AsmItem::For(f) => for_loop(w, f),
            AsmItem::Error(span) => w.line(*span, w.source(*span)),
        }
    }
}

fn instance(w: &Writer<'_>, i: &InstanceDecl) -> String {
    let mut line = format!("{}: {}", template(w.text(), &i.name), i.ty.text);
    if let Some(site) = &i.site {
        line.push_str(" on ");
        line.push_str(&template(w.text(), site));
    }
    line
}

fn port_ref(w: &Writer<'_>, p: &PortRef) -> String {
    format!("{}.{}", template(w.text(), &p.instance), p.port.text)
}

fn site(w: &mut Writer<'_>, s: &SiteDecl) {
    let header = format!("site {}", template(w.text(), &s.name));
    match s.instances.as_slice() {
        [] => return w.line(s.span, &header),
        [one] => {
            let joined = format!("{header} {{ {} }}", instance(w, one));
            if fits(w, &joined) && !w.has_comment_in(s.span) {
                return w.line(s.span, &joined);
            }
        }
        _ => {}
    }
    let brace = w.brace_after(s.name.span.end as usize);
    w.open(s.span.start as usize, brace, &header);
    for i in &s.instances {
        let line = instance(w, i);
        w.line(i.span, &line);
    }
    w.close(s.span.end as usize);
}

fn for_loop(w: &mut Writer<'_>, f: &ForLoop) {
    let source = w.text();
    let header = format!(
        "for {} in {}..{}",
        f.var.text,
        expr(source, &f.lo),
        expr(source, &f.hi)
    );
    let brace = w.brace_after(f.hi.span.end as usize);
    w.open(f.span.start as usize, brace, &header);
    asm_items(w, &f.items);
    w.close(f.span.end as usize);
}

fn asm_ref(w: &Writer<'_>, r: &AsmRef) -> String {
    if r.args.is_empty() {
        return r.name.text.clone();
    }
    let source = w.text();
    let args: Vec<String> = r
        .args
        .iter()
        .map(|(name, value)| format!("{} = {}", name.text, expr(source, value)))
        .collect();
    format!("{}({})", r.name.text, args.join(", "))
}

fn goal(w: &mut Writer<'_>, g: &Goal) {
    let mut header = format!("goal {} for {}", g.name.text, asm_ref(w, &g.from));
    let mut header_end = g.from.span.end;
    if let Some(to) = &g.to {
        header.push_str(" -> ");
        header.push_str(&asm_ref(w, to));
        header_end = to.span.end;
    }
    let brace = w.brace_after(header_end as usize);
    w.open(g.span.start as usize, brace, &header);
    for it in &g.items {
        let line = goal_line(w, it);
        w.line(it.span(), &line);
    }
    w.close(g.span.end as usize);
}

fn landmark(m: Landmark) -> &'static str {
    match m {
        Landmark::Initial => "initial",
        Landmark::Running => "running",
    }
}

fn state(s: &StateSpec) -> String {
    match s {
        StateSpec::Landmark(m, _) => landmark(*m).to_string(),
        StateSpec::Place(p) => format!("at {}", p.text),
    }
}

fn status(s: PortStatus) -> &'static str {
    match s {
        PortStatus::Active => "active",
        PortStatus::Inactive => "inactive",
    }
}

fn goal_line(w: &Writer<'_>, it: &GoalItem) -> String {
    let source = w.text();
    match it {
        GoalItem::StartAll(m, _) => format!("start {}", landmark(*m)),
        GoalItem::StartInstance(i, s, _) => {
            format!("start {} {}", template(source, i), state(s))
        }
        GoalItem::Behavior(i, b, _) => format!("behavior {}.{}", template(source, i), b.text),
        GoalItem::BehaviorAll(b, _) => format!("forall behavior {}", b.text),
        GoalItem::Port(p, s, _) => format!("port {} {}", port_ref(w, p), status(*s)),
        GoalItem::PortAll(s, _) => format!("forall port {}", status(*s)),
        GoalItem::StateAll(m, _) => format!("all {}", landmark(*m)),
        GoalItem::State(i, s, _) => format!("{} {}", template(source, i), state(s)),
        GoalItem::Error(span) => w.source(*span).to_string(),
    }
}
