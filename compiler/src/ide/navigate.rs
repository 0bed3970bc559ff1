//! Go to definition, find references and rename.

use ballet_grammar::{lex, Span, Tok};

use crate::ide::index::Symbol;
use crate::ide::FileAnalysis;
use crate::source::FileId;

/// A place in a file of the program.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Location {
    /// The file.
    pub file: FileId,
    /// Where in it.
    pub span: Span,
}

/// Where the name under `offset` of the root document is declared.
pub fn definition(a: &FileAnalysis, offset: usize) -> Option<Location> {
    let index = a.index();
    let occurrence = index.at(a.root(), offset)?;
    let &(file, span) = index.defs.get(&occurrence.symbol)?;
    Some(Location { file, span })
}

/// Every occurrence of the name under `offset` of the root document, in
/// every file of the program; the declaration only if `include_declaration`.
pub fn references(a: &FileAnalysis, offset: usize, include_declaration: bool) -> Vec<Location> {
    let index = a.index();
    let Some(occurrence) = index.at(a.root(), offset) else {
        return Vec::new();
    };
    index
        .occurrences_of(&occurrence.symbol)
        .filter(|o| include_declaration || !o.def)
        .map(|o| Location {
            file: o.file,
            span: o.span,
        })
        .collect()
}

/// Why a rename cannot be done.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RenameError(pub String);

/// The edits (span in the root document, new text) that rename the symbol
/// under `offset` to `new_name` throughout the root document.
pub fn rename(
    a: &FileAnalysis,
    offset: usize,
    new_name: &str,
) -> Result<Vec<(Span, String)>, RenameError> {
    let index = a.index();
    let root = a.root();
    let occurrence = index
        .at(root, offset)
        .ok_or_else(|| RenameError("no name to rename here".into()))?;
    if !is_plain_name(new_name) {
        return Err(RenameError(format!("`{new_name}` is not a name")));
    }
    let symbol = &occurrence.symbol;
    match index.defs.get(symbol) {
        Some(&(file, span)) if file == root => {
            if a.text(file)
                .get(span.range())
                .is_some_and(|t| t.contains('{'))
            {
                return Err(RenameError("an interpolated name cannot be renamed".into()));
            }
        }
        Some(_) => {
            return Err(RenameError(
                "this name is declared in another file: rename it there".into(),
            ))
        }
        None => return Err(RenameError("this name is declared nowhere".into())),
    }
    let soft = matches!(
        symbol,
        Symbol::Place { .. }
            | Symbol::Behavior { .. }
            | Symbol::Transition { .. }
            | Symbol::Port { .. }
    );
    if !soft && is_keyword(new_name) {
        return Err(RenameError(format!("`{new_name}` is a keyword")));
    }
    let mut edits: Vec<(Span, String)> = index
        .occurrences_of(symbol)
        .filter(|o| o.file == root)
        .map(|o| (o.span, new_name.to_string()))
        .collect();
    edits.sort_by_key(|(s, _)| *s);
    edits.dedup();
    Ok(edits)
}

/// `[A-Za-z_][A-Za-z0-9_]*`, and not `cost` or `run` (never names).
fn is_plain_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name != "cost"
        && name != "run"
}

fn is_keyword(name: &str) -> bool {
    !matches!(lex(name).tokens.as_slice(), [(_, Tok::Ident, _)])
}
