//! The lexer: a logos-generated DFA over the `.blt` token set.
//!
//! Lexing never fails. Bytes that form no token become [`Tok::Error`]-free
//! [`LexError`]s reported beside the token stream, and the parser simply
//! never sees them; comments are kept in their own list for the formatter.

use logos::Logos;

use crate::span::Span;

/// A token of the `.blt` language.
#[derive(Logos, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[logos(skip r"[ \t\r\n\f]+")]
pub enum Tok {
    /// `// ...` up to the end of the line.
    #[regex(r"//[^\n]*", allow_greedy = true)]
    LineComment,
    /// `/* ... */`, possibly nested.
    #[token("/*", block_comment)]
    BlockComment,

    // Keywords. Several of them are *soft*: the grammar also accepts them
    // where a place, behavior or port name is expected (`running` is a place
    // of the CPS listener).
    #[token("import")]
    Import,
    #[token("interface")]
    Interface,
    #[token("component")]
    Component,
    #[token("places")]
    Places,
    #[token("initial")]
    Initial,
    #[token("running")]
    Running,
    #[token("behavior")]
    Behavior,
    #[token("cost")]
    Cost,
    #[token("run")]
    Run,
    #[token("use")]
    Use,
    #[token("provide")]
    Provide,
    #[token("at")]
    At,
    #[token("assembly")]
    Assembly,
    #[token("site")]
    Site,
    #[token("on")]
    On,
    #[token("for")]
    For,
    #[token("in")]
    In,
    #[token("connect")]
    Connect,
    #[token("goal")]
    Goal,
    #[token("start")]
    Start,
    #[token("all")]
    All,
    #[token("forall")]
    Forall,
    #[token("port")]
    Port,
    #[token("active")]
    Active,
    #[token("inactive")]
    Inactive,
    #[token("true")]
    True,
    #[token("false")]
    False,

    /// An identifier, possibly with `{expr}` interpolations glued to it:
    /// `worker`, `worker_{i}`, `db_{i+1}_x`.
    #[regex(r"[A-Za-z_][A-Za-z0-9_]*(\{[ ]*[A-Za-z0-9_]+([ ]*[-+*/%][ ]*[A-Za-z0-9_]+)*[ ]*\}[A-Za-z0-9_]*)*")]
    Ident,
    /// A non-negative integer or decimal literal: `3`, `77.7`.
    #[regex(r"[0-9]+(\.[0-9]+)?")]
    Number,
    /// A double-quoted string with `\"`, `\\`, `\n`, `\t`, `\{`, `\}` escapes.
    #[regex(r#""([^"\\\n]|\\.)*""#)]
    Str,
    /// A string that reaches the end of its line without a closing quote.
    #[regex(r#""([^"\\\n]|\\.)*"#)]
    UnterminatedStr,

    #[token("{")]
    LBrace,
    #[token("}")]
    RBrace,
    #[token("(")]
    LParen,
    #[token(")")]
    RParen,
    #[token(",")]
    Comma,
    #[token(";")]
    Semi,
    #[token(":")]
    Colon,
    #[token("..")]
    DotDot,
    #[token(".")]
    Dot,
    #[token("->")]
    Arrow,
    #[token("=")]
    Eq,
    #[token("+")]
    Plus,
    #[token("-")]
    Minus,
    #[token("*")]
    Star,
    #[token("/")]
    Slash,
    #[token("%")]
    Percent,
}

/// Consumes a (nested) block comment. An unterminated one runs to the end of
/// the input; the lexer driver reports it.
fn block_comment(lex: &mut logos::Lexer<Tok>) {
    let rest = lex.remainder().as_bytes();
    let mut depth = 1usize;
    let mut i = 0;
    while i < rest.len() {
        if rest[i..].starts_with(b"/*") {
            depth += 1;
            i += 2;
        } else if rest[i..].starts_with(b"*/") {
            depth -= 1;
            i += 2;
            if depth == 0 {
                break;
            }
        } else {
            i += 1;
        }
    }
    lex.bump(i);
}

/// What went wrong while lexing, at a span.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LexError {
    /// Bytes that start no token.
    InvalidCharacter(Span),
    /// A string literal without a closing quote on its line.
    UnterminatedString(Span),
    /// A block comment without its closing `*/`.
    UnterminatedComment(Span),
}

/// A comment, kept for the formatter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comment {
    /// Where the comment is, delimiters included.
    pub span: Span,
    /// `true` for `/* */`, `false` for `//`.
    pub block: bool,
}

/// The result of lexing a whole text.
#[derive(Clone, Debug, Default)]
pub struct Lexed {
    /// Significant tokens, in order, as `(start, token, end)` triples.
    pub tokens: Vec<(usize, Tok, usize)>,
    /// Comments, in order.
    pub comments: Vec<Comment>,
    /// Lexical errors, in order.
    pub errors: Vec<LexError>,
}

/// Lexes `text`. Never fails: errors are collected and the offending bytes
/// are left out of the token stream (an unterminated string still yields a
/// `Str`-like token so that the parse can go on).
pub fn lex(text: &str) -> Lexed {
    let mut out = Lexed::default();
    let mut lexer = Tok::lexer(text);
    while let Some(result) = lexer.next() {
        let range = lexer.span();
        let span = Span::new(range.start, range.end);
        match result {
            Ok(Tok::LineComment) => out.comments.push(Comment { span, block: false }),
            Ok(Tok::BlockComment) => {
                if !lexer.slice().ends_with("*/") || lexer.slice().len() < 4 {
                    out.errors.push(LexError::UnterminatedComment(span));
                }
                out.comments.push(Comment { span, block: true });
            }
            Ok(Tok::UnterminatedStr) => {
                out.errors.push(LexError::UnterminatedString(span));
                out.tokens
                    .push((range.start, Tok::UnterminatedStr, range.end));
            }
            Ok(tok) => out.tokens.push((range.start, tok, range.end)),
            Err(()) => match out.errors.last_mut() {
                // Merge runs of bad bytes into one error.
                Some(LexError::InvalidCharacter(prev)) if prev.end == span.start => {
                    *prev = prev.to(span);
                }
                _ => out.errors.push(LexError::InvalidCharacter(span)),
            },
        }
    }
    out
}

impl Tok {
    /// How the token is shown in "expected one of …" messages.
    pub fn describe(self) -> &'static str {
        match self {
            Tok::LineComment | Tok::BlockComment => "a comment",
            Tok::Import => "`import`",
            Tok::Interface => "`interface`",
            Tok::Component => "`component`",
            Tok::Places => "`places`",
            Tok::Initial => "`initial`",
            Tok::Running => "`running`",
            Tok::Behavior => "`behavior`",
            Tok::Cost => "`cost`",
            Tok::Run => "`run`",
            Tok::Use => "`use`",
            Tok::Provide => "`provide`",
            Tok::At => "`at`",
            Tok::Assembly => "`assembly`",
            Tok::Site => "`site`",
            Tok::On => "`on`",
            Tok::For => "`for`",
            Tok::In => "`in`",
            Tok::Connect => "`connect`",
            Tok::Goal => "`goal`",
            Tok::Start => "`start`",
            Tok::All => "`all`",
            Tok::Forall => "`forall`",
            Tok::Port => "`port`",
            Tok::Active => "`active`",
            Tok::Inactive => "`inactive`",
            Tok::True => "`true`",
            Tok::False => "`false`",
            Tok::Ident => "a name",
            Tok::Number => "a number",
            Tok::Str | Tok::UnterminatedStr => "a string",
            Tok::LBrace => "`{`",
            Tok::RBrace => "`}`",
            Tok::LParen => "`(`",
            Tok::RParen => "`)`",
            Tok::Comma => "`,`",
            Tok::Semi => "`;`",
            Tok::Colon => "`:`",
            Tok::DotDot => "`..`",
            Tok::Dot => "`.`",
            Tok::Arrow => "`->`",
            Tok::Eq => "`=`",
            Tok::Plus => "`+`",
            Tok::Minus => "`-`",
            Tok::Star => "`*`",
            Tok::Slash => "`/`",
            Tok::Percent => "`%`",
        }
    }
}
