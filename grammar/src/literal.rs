//! Turning token text into AST leaves: names, interpolated names, strings and
//! numbers. Called from the grammar's actions; problems become recoverable
//! errors so the parse goes on.

use lalrpop_util::{ErrorRecovery, ParseError};

use crate::ast::{Expr, ExprKind, Ident, Template, TemplatePart};
use crate::error::SyntaxError;
use crate::span::Span;
use crate::token::Tok;

type Errors = Vec<ErrorRecovery<usize, Tok, SyntaxError>>;

fn report(errors: &mut Errors, error: SyntaxError) {
    errors.push(ErrorRecovery {
        error: ParseError::User { error },
        dropped_tokens: Vec::new(),
    });
}

/// A plain name. An interpolated one is reported and kept as written.
pub(crate) fn ident(text: &str, l: usize, r: usize, errors: &mut Errors) -> Ident {
    let span = Span::new(l, r);
    let name = &text[l..r];
    if name.contains('{') {
        report(errors, SyntaxError::Interpolation { span });
    }
    Ident {
        text: name.to_string(),
        span,
    }
}

/// A name with `{expr}` interpolations, each parsed as an expression.
pub(crate) fn template(text: &str, l: usize, r: usize, errors: &mut Errors) -> Template {
    let name = &text[l..r];
    let mut parts = Vec::new();
    let mut rest = name;
    let mut offset = l;
    while let Some(open) = rest.find('{') {
        if open > 0 {
            parts.push(TemplatePart::Lit(rest[..open].to_string()));
        }
        // The lexer only accepts balanced, single-level braces.
        let close = rest[open..].find('}').map_or(rest.len(), |c| open + c);
        let inner_start = offset + open + 1;
        let inner_end = offset + close;
        match crate::parse_expr_at(text, inner_start, inner_end) {
            Ok(expr) => parts.push(TemplatePart::Expr(expr)),
            Err(error) => {
                report(errors, error);
                parts.push(TemplatePart::Expr(Expr {
                    kind: ExprKind::Number("0".into()),
                    span: Span::new(inner_start, inner_end),
                }));
            }
        }
        offset += (close + 1).min(rest.len());
        rest = &rest[(close + 1).min(rest.len())..];
    }
    if !rest.is_empty() {
        parts.push(TemplatePart::Lit(rest.to_string()));
    }
    Template {
        parts,
        span: Span::new(l, r),
    }
}

/// A string literal's value, escapes resolved. Invalid escapes are reported
/// and kept verbatim. Works on unterminated literals too.
pub(crate) fn string_literal(
    text: &str,
    l: usize,
    r: usize,
    errors: &mut Errors,
) -> (String, Span) {
    let raw = &text[l..r];
    let body = raw.strip_prefix('"').unwrap_or(raw);
    let body = if body.len() + 1 == raw.len() && raw.len() >= 2 && raw.ends_with('"') {
        &body[..body.len() - 1]
    } else {
        body
    };
    let mut value = String::with_capacity(body.len());
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        if c != '\\' {
            value.push(c);
            continue;
        }
        match chars.next() {
            Some((_, 'n')) => value.push('\n'),
            Some((_, 't')) => value.push('\t'),
            Some((_, '"')) => value.push('"'),
            // Kept escaped, like `\{` and `\}`: actions are templates that
            // the runtime expands, and it must tell `\\{` from `\{`.
            Some((_, '\\')) => value.push_str("\\\\"),
            Some((_, '{')) => value.push_str("\\{"),
            Some((_, '}')) => value.push_str("\\}"),
            Some((j, other)) => {
                let start = l + 1 + i;
                report(
                    errors,
                    SyntaxError::BadEscape {
                        span: Span::new(start, l + 1 + j + other.len_utf8()),
                    },
                );
                value.push('\\');
                value.push(other);
            }
            None => value.push('\\'),
        }
    }
    (value, Span::new(l, r))
}

/// A number literal's text.
pub(crate) fn number_text(text: &str, l: usize, r: usize) -> (String, Span) {
    (text[l..r].to_string(), Span::new(l, r))
}
