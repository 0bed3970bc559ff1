//! Completion: keywords and the names in scope where the cursor is.
//!
//! The context is read from the tokens before the cursor (which item the
//! cursor is in, what comes just before it), so that it works on the
//! half-written text an editor sends, whatever the parser made of it.

use ballet_grammar::{lex, Tok};

use crate::ide::index::Symbol;
use crate::ide::FileAnalysis;
use crate::stdlib;

/// What a completion inserts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum CompletionKind {
    /// A port of the instance before the dot.
    Port,
    /// A behavior of the instance before the dot.
    Behavior,
    /// A place.
    Place,
    /// An instance.
    Instance,
    /// A site.
    Site,
    /// An assembly parameter.
    Param,
    /// A component type.
    Component,
    /// An interface.
    Interface,
    /// An assembly.
    Assembly,
    /// A standard-library module.
    Module,
    /// A keyword.
    Keyword,
}

/// One proposal.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Completion {
    /// What it is.
    pub kind: CompletionKind,
    /// The text to insert.
    pub label: String,
    /// A short description.
    pub detail: Option<String>,
}

/// Picks the symbols to propose, with their label and detail.
type Keep<'a> = &'a dyn Fn(&Symbol) -> Option<(String, Option<String>)>;

/// Where the cursor is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
enum Context {
    /// Between items.
    #[default]
    Top,
    /// Inside `component NAME { }`.
    Component(String),
    /// Inside `assembly NAME { }`.
    Assembly(String),
    /// Inside `goal g for ASM { }`.
    Goal(String),
}

const TOP: &[&str] = &["import", "interface", "component", "assembly", "goal"];
const MEMBER: &[&str] = &[
    "places", "initial", "running", "behavior", "use", "provide", "at", "cost", "run",
];
const ASSEMBLY: &[&str] = &["site", "connect", "for", "in", "on"];
const GOAL: &[&str] = &[
    "start", "all", "forall", "behavior", "port", "at", "running", "initial", "active", "inactive",
];

/// The proposals at byte `offset` of the root document, sorted.
pub fn complete(a: &FileAnalysis, offset: usize) -> Vec<Completion> {
    let text = a.text(a.root());
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let prefix = &text[..end];
    let tokens = lex(prefix).tokens;
    // The word being typed is not context.
    let mut before: Vec<(Tok, &str)> = tokens.iter().map(|&(l, t, r)| (t, &prefix[l..r])).collect();
    if let Some(&(_, _, r)) = tokens.last() {
        let typing = r == prefix.len()
            && prefix[..r].ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_' || c == '}');
        if typing && !matches!(before.last(), Some((Tok::Dot, _))) {
            before.pop();
        }
    }
    let context = context(&before);
    let mut out = Vec::new();
    let index = a.index();
    let mut names = |kind: CompletionKind, keep: Keep<'_>| {
        for symbol in index.defs.keys() {
            if let Some((label, detail)) = keep(symbol) {
                out.push(Completion {
                    kind,
                    label,
                    detail,
                });
            }
        }
    };
    let asm_of_context = match &context {
        Context::Assembly(n) | Context::Goal(n) => Some(n.clone()),
        _ => None,
    };
    // `instance.` and `instance at`: the members of the instance's type.
    let member_of = match before.as_slice() {
        [.., (Tok::Ident, inst), (Tok::Dot, _)] => Some((*inst, false)),
        [.., (Tok::Ident, inst), (Tok::At, _)] if matches!(context, Context::Goal(_)) => {
            Some((*inst, true))
        }
        _ => None,
    };
    if let (Some((inst, places)), Some(asm)) = (member_of, &asm_of_context) {
        let ty = instance_type(a, asm, inst);
        if let Some(ty) = ty {
            let of = |s: &Symbol, want: CompletionKind| match s {
                Symbol::Port { ty: t, name } if *t == ty && want == CompletionKind::Port => {
                    Some((name.clone(), None))
                }
                Symbol::Behavior { ty: t, name }
                    if *t == ty && want == CompletionKind::Behavior =>
                {
                    Some((name.clone(), None))
                }
                Symbol::Place { ty: t, name } if *t == ty && want == CompletionKind::Place => {
                    Some((name.clone(), None))
                }
                _ => None,
            };
            if places {
                names(CompletionKind::Place, &|s| of(s, CompletionKind::Place));
            } else {
                names(CompletionKind::Port, &|s| of(s, CompletionKind::Port));
                names(CompletionKind::Behavior, &|s| {
                    of(s, CompletionKind::Behavior)
                });
            }
        }
        return finish(out);
    }
    let keywords: &[&str] = match &context {
        Context::Top => match before.last() {
            Some((Tok::Import, _)) => {
                for (module, _) in stdlib::MODULES {
                    out.push(Completion {
                        kind: CompletionKind::Module,
                        label: module.to_string(),
                        detail: None,
                    });
                }
                return finish(out);
            }
            Some((Tok::For | Tok::Arrow, _)) => {
                names(CompletionKind::Assembly, &|s| match s {
                    Symbol::Assembly(n) => Some((n.clone(), None)),
                    _ => None,
                });
                return finish(out);
            }
            _ => TOP,
        },
        Context::Component(ty) => {
            names(CompletionKind::Place, &|s| match s {
                Symbol::Place { ty: t, name } if t == ty => Some((name.clone(), None)),
                _ => None,
            });
            names(CompletionKind::Interface, &|s| match s {
                Symbol::Interface(n) => Some((n.clone(), None)),
                _ => None,
            });
            MEMBER
        }
        Context::Assembly(asm) => {
            names(CompletionKind::Component, &|s| match s {
                Symbol::Component(n) => Some((n.clone(), None)),
                _ => None,
            });
            scoped(index, asm, &mut names);
            ASSEMBLY
        }
        Context::Goal(asm) => {
            // Instances by their elaborated names: `worker_1`, not `worker_{i}`.
            if let Some(e) = a
                .analysis
                .assemblies
                .iter()
                .find(|e| &e.assembly.name == asm)
            {
                for i in &e.assembly.instances {
                    let ty = a
                        .analysis
                        .model
                        .types
                        .get(i.ty.index())
                        .map(|t| t.name.clone());
                    out.push(Completion {
                        kind: CompletionKind::Instance,
                        label: i.name.clone(),
                        detail: ty,
                    });
                }
            }
            GOAL
        }
    };
    out.extend(keywords.iter().map(|k| Completion {
        kind: CompletionKind::Keyword,
        label: k.to_string(),
        detail: None,
    }));
    finish(out)
}

fn scoped(
    index: &crate::ide::index::Index,
    asm: &str,
    names: &mut dyn FnMut(CompletionKind, Keep<'_>),
) {
    names(CompletionKind::Instance, &|s| match s {
        Symbol::Instance { assembly, name } if assembly == asm => {
            Some((name.clone(), index.instances.get(s).map(|i| i.ty.clone())))
        }
        _ => None,
    });
    names(CompletionKind::Site, &|s| match s {
        Symbol::Site { assembly, name } if assembly == asm => Some((name.clone(), None)),
        _ => None,
    });
    names(CompletionKind::Param, &|s| match s {
        Symbol::Param { assembly, name } if assembly == asm => Some((name.clone(), None)),
        _ => None,
    });
}

fn finish(mut out: Vec<Completion>) -> Vec<Completion> {
    out.sort();
    out.dedup_by(|a, b| a.label == b.label && a.kind == b.kind);
    out
}

/// The type of instance `inst` (as written) of assembly `asm`.
fn instance_type(a: &FileAnalysis, asm: &str, inst: &str) -> Option<String> {
    let key: String = inst.chars().filter(|c| !c.is_whitespace()).collect();
    let symbol = Symbol::Instance {
        assembly: asm.to_string(),
        name: key.clone(),
    };
    if let Some(info) = a.index().instances.get(&symbol) {
        return Some(info.ty.clone());
    }
    let e = a
        .analysis
        .assemblies
        .iter()
        .find(|e| e.assembly.name == asm)?;
    let id = e.assembly.instance_named(&key)?;
    a.analysis
        .model
        .types
        .get(e.assembly.instance(id).ty.index())
        .map(|t| t.name.clone())
}

/// Which item the end of `tokens` is in.
fn context(tokens: &[(Tok, &str)]) -> Context {
    let mut depth = 0usize;
    let mut context = Context::Top;
    let mut header: Option<(Tok, Option<String>, Option<String>)> = None;
    let mut after_for = false;
    for &(t, text) in tokens {
        match t {
            Tok::LBrace => {
                if depth == 0 {
                    context = match header.take() {
                        Some((Tok::Component, Some(n), _)) => Context::Component(n),
                        Some((Tok::Assembly, Some(n), _)) => Context::Assembly(n),
                        Some((Tok::Goal, _, Some(from))) => Context::Goal(from),
                        _ => Context::Top,
                    };
                }
                depth += 1;
            }
            Tok::RBrace => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    context = Context::Top;
                }
            }
            Tok::Component | Tok::Assembly | Tok::Goal if depth == 0 => {
                header = Some((t, None, None));
                after_for = false;
            }
            Tok::For if depth == 0 => after_for = true,
            Tok::Ident if depth == 0 => {
                if let Some((_, name, from)) = &mut header {
                    if after_for && from.is_none() {
                        *from = Some(text.to_string());
                    } else if name.is_none() {
                        *name = Some(text.to_string());
                    }
                }
            }
            _ => {}
        }
    }
    context
}
