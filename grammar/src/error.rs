//! Syntax errors: what the lexer and parser can report. Plain data; the
//! compiler turns each into a coded diagnostic.

use crate::span::Span;
use crate::token::{LexError, Tok};

/// A syntax error at a span.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SyntaxError {
    /// A lexical error.
    Lex(LexError),
    /// A token the grammar did not expect here.
    UnexpectedToken {
        /// The token.
        found: Tok,
        /// Where it is.
        span: Span,
        /// What would have been accepted, described for humans.
        expected: Vec<String>,
    },
    /// The text ended in the middle of an item.
    UnexpectedEof {
        /// The end of the text.
        span: Span,
        /// What would have been accepted.
        expected: Vec<String>,
        /// The last `{` that is never closed, if any: usually the cause.
        unclosed: Option<Span>,
    },
    /// `{...}` in a name that cannot be interpolated (types, places, ...).
    Interpolation {
        /// The whole name.
        span: Span,
    },
    /// A backslash escape that means nothing: `"\q"`.
    BadEscape {
        /// The escape.
        span: Span,
    },
}

impl SyntaxError {
    /// The primary span of the error.
    pub fn span(&self) -> Span {
        match self {
            SyntaxError::Lex(
                LexError::InvalidCharacter(s)
                | LexError::UnterminatedString(s)
                | LexError::UnterminatedComment(s),
            ) => *s,
            SyntaxError::UnexpectedToken { span, .. }
            | SyntaxError::UnexpectedEof { span, .. }
            | SyntaxError::Interpolation { span }
            | SyntaxError::BadEscape { span } => *span,
        }
    }
}

/// Turns lalrpop's name for a terminal (`"\"import\""`, `NAME`) into words.
pub(crate) fn describe_expected(terminal: &str) -> String {
    match terminal {
        "NAME" => "a name".to_string(),
        "NUMBER" => "a number".to_string(),
        "STRING" | "BADSTRING" => "a string".to_string(),
        quoted => format!("`{}`", quoted.trim_matches('"')),
    }
}
