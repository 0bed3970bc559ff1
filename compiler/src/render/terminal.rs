//! Terminal rendering through codespan-reporting.

use codespan_reporting::diagnostic::{self as cs, LabelStyle};
use codespan_reporting::term::{self, termcolor::WriteColor, Config};

use crate::diagnostic::{Diagnostic, Severity};
use crate::source::{FileId, Sources};

fn convert(d: &Diagnostic) -> cs::Diagnostic<FileId> {
    let severity = match d.severity() {
        Severity::Error => cs::Severity::Error,
        Severity::Warning => cs::Severity::Warning,
    };
    let mut labels = Vec::new();
    if let Some(p) = &d.primary {
        labels.push(
            cs::Label::new(LabelStyle::Primary, p.file, p.span.range()).with_message(&p.message),
        );
    }
    for s in &d.secondary {
        labels.push(
            cs::Label::new(LabelStyle::Secondary, s.file, s.span.range()).with_message(&s.message),
        );
    }
    let mut notes: Vec<String> = d.notes.iter().map(|n| format!("note: {n}")).collect();
    if let Some(h) = &d.help {
        notes.push(format!("help: {h}"));
    }
    cs::Diagnostic::new(severity)
        .with_code(d.code.as_str())
        .with_message(&d.message)
        .with_labels(labels)
        .with_notes(notes)
}

/// Renders diagnostics as plain text (no colour): what tests snapshot.
pub fn render_plain(sources: &Sources, diagnostics: &[Diagnostic]) -> String {
    let config = Config::default();
    let mut out = String::new();
    for d in diagnostics {
        // Rendering fails only for spans outside their file, which the
        // parser never produces; fall back to the bare message.
        if term::emit_to_string(&mut out, &config, sources.files(), &convert(d)).is_err() {
            out.push_str(&format!(
                "{}[{}]: {}\n",
                severity_word(d),
                d.code,
                d.message
            ));
        }
    }
    out
}

/// Renders diagnostics to a (possibly coloured) writer.
pub fn emit(
    writer: &mut dyn WriteColor,
    sources: &Sources,
    diagnostics: &[Diagnostic],
) -> std::io::Result<()> {
    let config = Config::default();
    for d in diagnostics {
        if term::emit_to_write_style(writer, &config, sources.files(), &convert(d)).is_err() {
            writeln!(writer, "{}[{}]: {}", severity_word(d), d.code, d.message)?;
        }
    }
    Ok(())
}

fn severity_word(d: &Diagnostic) -> &'static str {
    match d.severity() {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// The closing line: "checked FILE: 2 errors, 1 warning".
pub fn summary(file: &str, diagnostics: &[Diagnostic]) -> String {
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics.len() - errors;
    let plural = |n: usize, w: &str| {
        if n == 1 {
            format!("1 {w}")
        } else {
            format!("{n} {w}s")
        }
    };
    if errors == 0 && warnings == 0 {
        format!("{file}: ok")
    } else {
        format!(
            "{file}: {}, {}",
            plural(errors, "error"),
            plural(warnings, "warning")
        )
    }
}
