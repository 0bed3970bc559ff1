//! The top-level namespace: interfaces and component types (one namespace),
//! assemblies, goals. Reports duplicates.

use std::collections::HashMap;

use ballet_grammar::ast::Item;
use ballet_grammar::Span;

use crate::codes::Code;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::load::Program;
use crate::source::FileId;

/// Where a top-level item is: file index in [`Program::files`] and item index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ItemRef {
    /// Index into `Program::files`.
    pub file_index: usize,
    /// Index into that file's items.
    pub item: usize,
}

/// The declarations of a program, by kind, in load order. Duplicates are
/// reported and left out (the first declaration wins).
#[derive(Clone, Debug, Default)]
pub struct Symbols {
    /// Interfaces: name, file, span.
    pub interfaces: Vec<(String, FileId, Span)>,
    /// Component types.
    pub components: Vec<ItemRef>,
    /// Assemblies by name.
    pub assemblies: HashMap<String, ItemRef>,
    /// Assemblies in load order.
    pub assembly_order: Vec<ItemRef>,
    /// Goals in load order.
    pub goals: Vec<ItemRef>,
}

/// Collects the declarations of `program`.
pub fn collect(program: &Program, diagnostics: &mut Diagnostics) -> Symbols {
    let mut symbols = Symbols::default();
    let mut types: HashMap<&str, (FileId, Span)> = HashMap::new();
    let mut assemblies: HashMap<&str, (FileId, Span)> = HashMap::new();
    let mut goals: HashMap<&str, (FileId, Span)> = HashMap::new();
    for (file_index, file) in program.files.iter().enumerate() {
        for (item, decl) in file.ast.items.iter().enumerate() {
            let here = ItemRef { file_index, item };
            let (table, name, kind) = match decl {
                Item::Interface(i) => (&mut types, &i.name, "interface"),
                Item::Component(c) => (&mut types, &c.name, "component type"),
                Item::Assembly(a) => (&mut assemblies, &a.name, "assembly"),
                Item::Goal(g) => (&mut goals, &g.name, "goal"),
                Item::Import(_) | Item::Error(_) => continue,
            };
            if let Some(&(first_file, first_span)) = table.get(name.text.as_str()) {
                diagnostics.push(
                    Diagnostic::new(
                        Code::E0103,
                        format!("the name `{}` is defined more than once", name.text),
                    )
                    .at(
                        file.id,
                        name.span,
                        format!("{kind} `{}` redefined here", name.text),
                    )
                    .with(first_file, first_span, "first defined here"),
                );
                continue;
            }
            table.insert(&name.text, (file.id, name.span));
            match decl {
                Item::Interface(i) => {
                    symbols
                        .interfaces
                        .push((i.name.text.clone(), file.id, i.name.span));
                }
                Item::Component(_) => symbols.components.push(here),
                Item::Assembly(a) => {
                    symbols.assemblies.insert(a.name.text.clone(), here);
                    symbols.assembly_order.push(here);
                }
                Item::Goal(_) => symbols.goals.push(here),
                Item::Import(_) | Item::Error(_) => {}
            }
        }
    }
    symbols
}
