//! Library results → LSP types, and LSP positions and URIs → library
//! inputs. Only this module and its siblings know `lsp-types`.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use ballet_grammar::Span;
use lsp_types as lsp;

use crate::diagnostic::Severity;
use crate::ide::complete::{Completion, CompletionKind};
use crate::ide::outline::{OutlineSymbol, SymbolKind};
use crate::ide::position::{LineCol, LineIndex};
use crate::ide::{FileAnalysis, FileDiagnostic};
use crate::source::FileId;

/// The path a document's URI stands for: the file of a `file:` URI, else
/// the URI itself (an unsaved buffer, whose imports resolve nowhere useful).
pub fn uri_to_path(uri: &lsp::Uri) -> PathBuf {
    let text = uri.as_str();
    match text.strip_prefix("file://") {
        Some(rest) => PathBuf::from(percent_decode(
            rest.strip_prefix("localhost").unwrap_or(rest),
        )),
        None => PathBuf::from(text),
    }
}

/// The `file:` URI of a path.
pub fn path_to_uri(path: &Path) -> Option<lsp::Uri> {
    let mut out = String::from("file://");
    for b in path.to_string_lossy().bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    lsp::Uri::from_str(&out).ok()
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// One file's text with its line table, to convert positions.
pub struct Lines<'a> {
    text: &'a str,
    index: LineIndex,
}

impl<'a> Lines<'a> {
    /// The line table of `text`.
    pub fn new(text: &'a str) -> Lines<'a> {
        Lines {
            text,
            index: LineIndex::new(text),
        }
    }

    /// The byte offset of an LSP position.
    pub fn offset(&self, p: lsp::Position) -> usize {
        self.index.offset(
            self.text,
            LineCol {
                line: p.line,
                col: p.character,
            },
        )
    }

    /// The LSP position of a byte offset.
    pub fn position(&self, offset: usize) -> lsp::Position {
        let at = self.index.line_col(self.text, offset);
        lsp::Position::new(at.line, at.col)
    }

    /// The LSP range of a span.
    pub fn range(&self, span: Span) -> lsp::Range {
        lsp::Range::new(
            self.position(span.start as usize),
            self.position(span.end as usize),
        )
    }
}

/// Where a file of the analysis is, as a URI: `root_uri` for the root.
fn file_uri(a: &FileAnalysis, root_uri: &lsp::Uri, file: FileId) -> Option<lsp::Uri> {
    if file == a.root() {
        Some(root_uri.clone())
    } else {
        a.path(file).and_then(path_to_uri)
    }
}

/// A location in any file of the analysis (none in standard-library
/// modules, which have no file).
pub fn location(
    a: &FileAnalysis,
    root_uri: &lsp::Uri,
    file: FileId,
    span: Span,
) -> Option<lsp::Location> {
    let uri = file_uri(a, root_uri, file)?;
    let range = Lines::new(a.text(file)).range(span);
    Some(lsp::Location { uri, range })
}

/// The root document's diagnostics as LSP diagnostics.
pub fn diagnostics(a: &FileAnalysis, uri: &lsp::Uri) -> Vec<lsp::Diagnostic> {
    let lines = Lines::new(a.text(a.root()));
    a.root_diagnostics()
        .into_iter()
        .map(|d: FileDiagnostic| {
            let related: Vec<lsp::DiagnosticRelatedInformation> = d
                .related
                .iter()
                .filter_map(|r| {
                    Some(lsp::DiagnosticRelatedInformation {
                        location: location(a, uri, r.file, r.span)?,
                        message: r.message.clone(),
                    })
                })
                .collect();
            lsp::Diagnostic {
                range: lines.range(d.span),
                severity: Some(match d.severity {
                    Severity::Error => lsp::DiagnosticSeverity::ERROR,
                    Severity::Warning => lsp::DiagnosticSeverity::WARNING,
                }),
                code: Some(lsp::NumberOrString::String(d.code)),
                source: Some("balletc".into()),
                message: d.message,
                related_information: (!related.is_empty()).then_some(related),
                ..lsp::Diagnostic::default()
            }
        })
        .collect()
}

/// The outline as LSP document symbols.
#[allow(deprecated)] // `DocumentSymbol::deprecated` must be written out.
pub fn symbols(lines: &Lines<'_>, list: Vec<OutlineSymbol>) -> Vec<lsp::DocumentSymbol> {
    list.into_iter()
        .map(|s| lsp::DocumentSymbol {
            name: s.name,
            detail: s.detail,
            kind: match s.kind {
                SymbolKind::Interface => lsp::SymbolKind::INTERFACE,
                SymbolKind::Component => lsp::SymbolKind::CLASS,
                SymbolKind::Place => lsp::SymbolKind::ENUM_MEMBER,
                SymbolKind::Behavior => lsp::SymbolKind::METHOD,
                SymbolKind::Transition => lsp::SymbolKind::EVENT,
                SymbolKind::Port => lsp::SymbolKind::PROPERTY,
                SymbolKind::Assembly => lsp::SymbolKind::MODULE,
                SymbolKind::Param => lsp::SymbolKind::TYPE_PARAMETER,
                SymbolKind::Site => lsp::SymbolKind::NAMESPACE,
                SymbolKind::Instance => lsp::SymbolKind::OBJECT,
                SymbolKind::Loop => lsp::SymbolKind::ARRAY,
                SymbolKind::Goal => lsp::SymbolKind::FUNCTION,
            },
            tags: None,
            deprecated: None,
            range: lines.range(s.span),
            selection_range: lines.range(s.name_span),
            children: (!s.children.is_empty()).then(|| symbols(lines, s.children)),
        })
        .collect()
}

/// A completion proposal as an LSP completion item.
pub fn completion(c: Completion) -> lsp::CompletionItem {
    lsp::CompletionItem {
        label: c.label,
        kind: Some(match c.kind {
            CompletionKind::Port => lsp::CompletionItemKind::PROPERTY,
            CompletionKind::Behavior => lsp::CompletionItemKind::METHOD,
            CompletionKind::Place => lsp::CompletionItemKind::ENUM_MEMBER,
            CompletionKind::Instance => lsp::CompletionItemKind::VARIABLE,
            CompletionKind::Site => lsp::CompletionItemKind::FOLDER,
            CompletionKind::Param => lsp::CompletionItemKind::TYPE_PARAMETER,
            CompletionKind::Component => lsp::CompletionItemKind::CLASS,
            CompletionKind::Interface => lsp::CompletionItemKind::INTERFACE,
            CompletionKind::Assembly => lsp::CompletionItemKind::MODULE,
            CompletionKind::Module => lsp::CompletionItemKind::MODULE,
            CompletionKind::Keyword => lsp::CompletionItemKind::KEYWORD,
        }),
        detail: c.detail,
        ..lsp::CompletionItem::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_uris_round_trip_with_escapes() {
        let path = Path::new("/tmp/a dir/é.blt");
        let uri = path_to_uri(path).expect("a uri");
        assert_eq!(uri.as_str(), "file:///tmp/a%20dir/%C3%A9.blt");
        assert_eq!(uri_to_path(&uri), path);
    }

    #[test]
    fn utf16_ranges() {
        let lines = Lines::new("// é😀\nx");
        assert_eq!(lines.position(9), lsp::Position::new(0, 6));
        assert_eq!(lines.offset(lsp::Position::new(1, 0)), 10);
    }
}
