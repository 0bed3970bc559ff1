//! The syntax layer of Ballet: tokens, grammar and syntax tree of `.blt`
//! files.
//!
//! Parsing never fails: [`parse`] always returns a [`File`] (with `Error`
//! nodes where the text did not parse) together with every syntax error found.
//! This crate knows nothing about files on disk, name resolution or the
//! runtime.

pub mod ast;
pub mod error;
mod literal;
pub mod span;
pub mod token;

#[allow(clippy::all, missing_docs, unused_parens)]
mod parser {
    include!(concat!(env!("OUT_DIR"), "/parser.rs"));
}

use lalrpop_util::ParseError;

pub use ast::File;
pub use error::SyntaxError;
pub use span::Span;
pub use token::{lex, Comment, LexError, Lexed, Tok};

/// A parsed file: the tree, its syntax errors and its comments.
#[derive(Clone, Debug, Default)]
pub struct Parsed {
    /// The syntax tree (partial where errors were found).
    pub file: File,
    /// Every syntax error, in source order.
    pub errors: Vec<SyntaxError>,
    /// Every comment, in source order (for the formatter).
    pub comments: Vec<Comment>,
}

/// Parses a whole `.blt` text. Never fails and never panics.
pub fn parse(text: &str) -> Parsed {
    let lexed = lex(text);
    let mut recovered = Vec::new();
    let tokens = lexed.tokens.iter().map(|&(l, t, r)| Ok((l, t, r)));
    let result = parser::FileParser::new().parse(text, &mut recovered, tokens);
    let mut errors: Vec<SyntaxError> = lexed.errors.into_iter().map(SyntaxError::Lex).collect();
    errors.extend(recovered.into_iter().map(|e| convert(text, e.error)));
    let file = match result {
        Ok(file) => file,
        Err(error) => {
            errors.push(convert(text, error));
            File::default()
        }
    };
    // Lexical errors come first in the list; report everything in source order.
    errors.sort_by_key(|e| e.span());
    errors.dedup();
    Parsed {
        file,
        errors,
        comments: lexed.comments,
    }
}

/// Parses the expression in `text[start..end]` (an interpolation inside a
/// name). Spans in the result are absolute offsets into `text`.
pub(crate) fn parse_expr_at(
    text: &str,
    start: usize,
    end: usize,
) -> Result<ast::Expr, SyntaxError> {
    let inner = &text[start..end];
    let lexed = lex(inner);
    if let Some(error) = lexed.errors.first() {
        return Err(shift(SyntaxError::Lex(error.clone()), start));
    }
    let tokens = lexed
        .tokens
        .iter()
        .map(|&(l, t, r)| Ok((l + start, t, r + start)));
    let mut recovered = Vec::new();
    // The sub-parse sees the full text so that slices by absolute offset work.
    match parser::ExprParser::new().parse(text, &mut recovered, tokens) {
        Ok(expr) => match recovered.into_iter().next() {
            Some(e) => Err(convert(text, e.error)),
            None => Ok(expr),
        },
        Err(error) => Err(convert(text, error)),
    }
}

fn shift(error: SyntaxError, offset: usize) -> SyntaxError {
    let offset = u32::try_from(offset).unwrap_or(u32::MAX);
    match error {
        SyntaxError::Lex(LexError::InvalidCharacter(s)) => {
            SyntaxError::Lex(LexError::InvalidCharacter(s.shifted(offset)))
        }
        SyntaxError::Lex(LexError::UnterminatedString(s)) => {
            SyntaxError::Lex(LexError::UnterminatedString(s.shifted(offset)))
        }
        SyntaxError::Lex(LexError::UnterminatedComment(s)) => {
            SyntaxError::Lex(LexError::UnterminatedComment(s.shifted(offset)))
        }
        other => other,
    }
}

fn convert(text: &str, error: ParseError<usize, Tok, SyntaxError>) -> SyntaxError {
    let describe = |expected: Vec<String>| {
        let mut out: Vec<String> = expected
            .iter()
            .map(|e| error::describe_expected(e))
            .collect();
        out.sort();
        out.dedup();
        out
    };
    match error {
        ParseError::InvalidToken { location } => SyntaxError::Lex(LexError::InvalidCharacter(
            Span::new(location, location + 1),
        )),
        ParseError::UnrecognizedEof { location, expected } => SyntaxError::UnexpectedEof {
            span: Span::new(location.min(text.len()), location.min(text.len())),
            expected: describe(expected),
            unclosed: last_unclosed_brace(text),
        },
        ParseError::UnrecognizedToken {
            token: (l, found, r),
            expected,
        } => SyntaxError::UnexpectedToken {
            found,
            span: Span::new(l, r),
            expected: describe(expected),
        },
        ParseError::ExtraToken {
            token: (l, found, r),
        } => SyntaxError::UnexpectedToken {
            found,
            span: Span::new(l, r),
            expected: Vec::new(),
        },
        ParseError::User { error } => error,
    }
}

/// The last `{` of `text` without a matching `}`.
fn last_unclosed_brace(text: &str) -> Option<Span> {
    let mut open = Vec::new();
    for &(l, t, r) in &lex(text).tokens {
        match t {
            Tok::LBrace => open.push(Span::new(l, r)),
            Tok::RBrace => {
                open.pop();
            }
            _ => {}
        }
    }
    open.pop()
}
