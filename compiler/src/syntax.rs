//! Syntax errors from the grammar crate, as coded diagnostics.

use ballet_grammar::{LexError, SyntaxError};

use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::source::FileId;

/// The diagnostic for one syntax error of `file`.
pub fn syntax_diagnostic(file: FileId, error: &SyntaxError) -> Diagnostic {
    let span = error.span();
    match error {
        SyntaxError::Lex(LexError::InvalidCharacter(_)) => Diagnostic::new(
            Code::E0001,
            "invalid character",
        )
        .at(file, span, "not part of the language"),
        SyntaxError::Lex(LexError::UnterminatedString(_)) => {
            Diagnostic::new(Code::E0002, "unterminated string")
                .at(file, span, "this string has no closing `\"` on its line")
                .help("strings cannot span lines; write `\\n` for a newline")
        }
        SyntaxError::Lex(LexError::UnterminatedComment(_)) => {
            Diagnostic::new(Code::E0003, "unterminated block comment")
                .at(file, span, "this `/*` is never closed")
                .help("add `*/`; block comments nest")
        }
        SyntaxError::UnexpectedToken {
            found, expected, ..
        } => {
            let what = found.describe();
            let what = what.strip_prefix("a ").unwrap_or(what);
            let d = Diagnostic::new(Code::E0004, format!("unexpected {what}")).at(
                file,
                span,
                "unexpected here",
            );
            match expected_list(expected) {
                Some(list) => d.note(format!("expected {list}")),
                None => d,
            }
        }
        SyntaxError::UnexpectedEof {
            expected, unclosed, ..
        } => {
            let mut d = Diagnostic::new(Code::E0005, "unexpected end of file").at(
                file,
                span,
                "the file ends here",
            );
            if let Some(open) = unclosed {
                d = d.with(file, *open, "this `{` is never closed");
            }
            match expected_list(expected) {
                Some(list) => d.note(format!("expected {list}")),
                None => d,
            }
        }
        SyntaxError::Interpolation { .. } => {
            Diagnostic::new(Code::E0006, "this name cannot be interpolated").at(
                file,
                span,
                "`{...}` is only allowed in instance and site names",
            )
        }
        SyntaxError::BadEscape { .. } => Diagnostic::new(Code::E0007, "invalid escape")
            .at(file, span, "unknown escape")
            .help("valid escapes: \\\" \\\\ \\n \\t \\{ \\}"),
    }
}

/// "`a`, `b` or `c`", or `None` for an empty list. Long lists are cut: a
/// message naming twenty tokens helps nobody.
fn expected_list(expected: &[String]) -> Option<String> {
    // Where a name is expected, every soft keyword is too: say "a name".
    let filtered: Vec<String>;
    let expected = if expected.len() > 8 && expected.iter().any(|e| e == "a name") {
        filtered = expected
            .iter()
            .filter(|e| {
                !(e.starts_with('`') && e[1..].starts_with(|c: char| c.is_ascii_alphabetic()))
            })
            .cloned()
            .collect();
        filtered.as_slice()
    } else {
        expected
    };
    match expected {
        [] => None,
        [one] => Some(one.clone()),
        many if many.len() <= 8 => {
            let (last, rest) = many.split_last()?;
            Some(format!("{} or {last}", rest.join(", ")))
        }
        many => Some(format!(
            "one of {} and {} more",
            many[..6].join(", "),
            many.len() - 6
        )),
    }
}
