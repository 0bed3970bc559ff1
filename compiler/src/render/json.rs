//! JSON rendering: one object per diagnostic, one per line.
//!
//! Shape (stable; users' scripts depend on it):
//! `{"code", "severity", "message", "file", "line", "column", "end_line",
//! "end_column", "start", "end", "labels": [{"file", "line", "column",
//! "start", "end", "message"}], "notes": [...], "help": string|null}`.
//! Lines and columns are 1-based (columns in characters); `start`/`end` are
//! byte offsets. Position fields are `null` for diagnostics without a place.

use serde::Serialize;

use crate::diagnostic::{Diagnostic, Label, Severity};
use crate::source::Sources;

#[derive(Serialize)]
struct JsonLabel<'a> {
    file: &'a str,
    line: usize,
    column: usize,
    start: u32,
    end: u32,
    message: &'a str,
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    code: &'static str,
    severity: Severity,
    message: &'a str,
    file: Option<&'a str>,
    line: Option<usize>,
    column: Option<usize>,
    end_line: Option<usize>,
    end_column: Option<usize>,
    start: Option<u32>,
    end: Option<u32>,
    labels: Vec<JsonLabel<'a>>,
    notes: &'a [String],
    help: Option<&'a str>,
}

fn label<'a>(sources: &'a Sources, l: &'a Label) -> JsonLabel<'a> {
    let (line, column) = sources.line_column(l.file, l.span.start as usize);
    JsonLabel {
        file: sources.name(l.file),
        line,
        column,
        start: l.span.start,
        end: l.span.end,
        message: &l.message,
    }
}

/// One JSON object (a single line) for `d`.
pub fn render_one(sources: &Sources, d: &Diagnostic) -> String {
    let p = d.primary.as_ref();
    let start = p.map(|l| sources.line_column(l.file, l.span.start as usize));
    let end = p.map(|l| sources.line_column(l.file, l.span.end as usize));
    let json = JsonDiagnostic {
        code: d.code.as_str(),
        severity: d.severity(),
        message: &d.message,
        file: p.map(|l| sources.name(l.file)),
        line: start.map(|s| s.0),
        column: start.map(|s| s.1),
        end_line: end.map(|e| e.0),
        end_column: end.map(|e| e.1),
        start: p.map(|l| l.span.start),
        end: p.map(|l| l.span.end),
        labels: d.secondary.iter().map(|l| label(sources, l)).collect(),
        notes: &d.notes,
        help: d.help.as_deref(),
    };
    serde_json::to_string(&json).unwrap_or_else(|_| String::from("{}"))
}

/// Every diagnostic, one JSON object per line.
pub fn render(sources: &Sources, diagnostics: &[Diagnostic]) -> String {
    diagnostics
        .iter()
        .map(|d| render_one(sources, d) + "\n")
        .collect()
}
