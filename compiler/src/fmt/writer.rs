//! The output of the formatter: lines at an indentation, with every comment of
//! the source placed on the way.
//!
//! Comments are attached by position. A comment that starts on the same
//! source line as the end of a printed line, after nothing but spaces, stays
//! at the end of that line (*trailing*); every other comment is printed on
//! its own line before the first line printed after it (*leading*). A comment
//! inside a construct printed on one line (`places a, // x` followed by more
//! places) is therefore moved above it, never dropped. Blank lines between
//! items and members are kept, at most one in a row.

use ballet_grammar::{Comment, Span, Tok};

/// How many spaces one level of indentation is.
pub(super) const INDENT: usize = 4;

/// The longest line a block is joined into (`behavior b { t: a -> b }`).
pub(super) const MAX_WIDTH: usize = 100;

/// Accumulates formatted text and hands out the source's comments.
pub(super) struct Writer<'a> {
    text: &'a str,
    comments: &'a [Comment],
    /// The next comment not printed yet.
    next: usize,
    /// The source's tokens, to find the braces the syntax tree does not keep.
    tokens: Vec<(usize, Tok, usize)>,
    out: String,
    indent: usize,
    /// Where in the source the last printed thing ended (for blank lines).
    last_end: usize,
    /// Nothing printed yet since the last `{`: no blank line here.
    block_start: bool,
    /// A blank line is wanted before the next thing printed.
    want_blank: bool,
    /// Lines with a trailing comment: where the line starts in `out` and
    /// where its code ends (the comment follows one space later).
    trailers: Vec<(usize, usize)>,
}

impl<'a> Writer<'a> {
    /// A writer over `text`, whose comments are `comments` (in source order).
    pub(super) fn new(text: &'a str, comments: &'a [Comment]) -> Writer<'a> {
        Writer {
            text,
            comments,
            next: 0,
            tokens: ballet_grammar::lex(text).tokens,
            out: String::with_capacity(text.len() + text.len() / 8),
            indent: 0,
            last_end: 0,
            block_start: false,
            want_blank: false,
            trailers: Vec::new(),
        }
    }

    /// The whole source text.
    pub(super) fn text(&self) -> &'a str {
        self.text
    }

    /// The source text of `span`.
    pub(super) fn source(&self, span: Span) -> &'a str {
        self.text.get(span.range()).unwrap_or("")
    }

    /// Asks for a blank line before whatever is printed next.
    pub(super) fn blank_line(&mut self) {
        self.want_blank = true;
    }

    /// Whether a comment not printed yet starts inside `span`.
    pub(super) fn has_comment_in(&self, span: Span) -> bool {
        let rest = &self.comments[self.next.min(self.comments.len())..];
        let first = rest.partition_point(|c| c.span.start < span.start);
        rest.get(first).is_some_and(|c| c.span.start < span.end)
    }

    /// The start of the first `{` at or after `pos` (the opening brace of a
    /// block whose header ends at `pos`), or `pos` when there is none.
    pub(super) fn brace_after(&self, pos: usize) -> usize {
        let i = self.tokens.partition_point(|&(l, _, _)| l < pos);
        self.tokens[i..]
            .iter()
            .find(|&&(_, t, _)| t == Tok::LBrace)
            .map_or(pos, |&(l, _, _)| l)
    }

    /// Prints one line holding `content`, for a construct spanning `span`.
    /// Comments before its end are printed above it; comments after it on
    /// the same source line stay at its end.
    pub(super) fn line(&mut self, span: Span, content: &str) {
        let (start, end) = (span.start as usize, span.end as usize);
        self.leading(end);
        self.separate(start);
        self.push_indent();
        self.out.push_str(content);
        self.last_end = self.last_end.max(end);
        self.trailing(end);
        self.out.push('\n');
    }

    /// Prints `content {` for a block starting at `start` whose opening brace
    /// is at `brace`, and indents what follows.
    pub(super) fn open(&mut self, start: usize, brace: usize, content: &str) {
        self.leading(brace);
        self.separate(start);
        self.push_indent();
        self.out.push_str(content);
        self.out.push_str(" {");
        let after = (brace + 1).min(self.text.len());
        self.last_end = self.last_end.max(after);
        self.trailing(after);
        self.out.push('\n');
        self.indent += 1;
        self.block_start = true;
    }

    /// Closes the block that ends at `end` (just after its `}`), printing
    /// the comments left inside it first. An empty block becomes `{}`.
    pub(super) fn close(&mut self, end: usize) {
        self.leading(end.saturating_sub(1));
        self.indent = self.indent.saturating_sub(1);
        if self.block_start && self.out.ends_with(" {\n") {
            self.out.pop();
        } else {
            self.push_indent();
        }
        self.out.push('}');
        self.block_start = false;
        self.last_end = self.last_end.max(end);
        self.trailing(end);
        self.out.push('\n');
    }

    /// Prints every comment left, then returns the text (one final newline).
    pub(super) fn finish(mut self) -> String {
        self.leading(usize::MAX);
        while self.out.ends_with("\n\n") {
            self.out.pop();
        }
        align_trailers(&self.out, &self.trailers)
    }

    /// Prints, each on its own line, every comment starting before `until`.
    fn leading(&mut self, until: usize) {
        while let Some(c) = self.comments.get(self.next) {
            let (start, end) = (c.span.start as usize, c.span.end as usize);
            if start >= until {
                break;
            }
            self.separate(start);
            self.push_indent();
            let text = comment_text(self.source(c.span), c.block);
            self.out.push_str(&text);
            self.out.push('\n');
            self.last_end = self.last_end.max(end);
            self.next += 1;
        }
    }

    /// Appends the comments that follow `pos` on its source line, after
    /// nothing but spaces.
    fn trailing(&mut self, mut pos: usize) {
        let line_start = self.out.rfind('\n').map_or(0, |i| i + 1);
        let code_end = self.out.len();
        while let Some(c) = self.comments.get(self.next) {
            let start = c.span.start as usize;
            let Some(gap) = self.text.get(pos..start) else {
                break;
            };
            if !gap.bytes().all(|b| b == b' ' || b == b'\t') {
                break;
            }
            if self.out.len() == code_end {
                self.trailers.push((line_start, code_end));
            }
            self.out.push(' ');
            let text = comment_text(self.source(c.span), c.block);
            self.out.push_str(&text);
            pos = c.span.end as usize;
            self.last_end = self.last_end.max(pos);
            self.next += 1;
            if !c.block {
                break;
            }
        }
    }

    /// Emits the blank line wanted before something starting at `start`.
    fn separate(&mut self, start: usize) {
        let gap = self.text.get(self.last_end..start).unwrap_or("");
        let blank = gap.matches('\n').count() >= 2;
        if (blank || self.want_blank) && !self.block_start && !self.out.is_empty() {
            self.out.push('\n');
        }
        self.want_blank = false;
        self.block_start = false;
    }

    fn push_indent(&mut self) {
        for _ in 0..self.indent * INDENT {
            self.out.push(' ');
        }
    }

    /// The current indentation in columns.
    pub(super) fn column(&self) -> usize {
        self.indent * INDENT
    }
}

/// A comment as printed: no trailing spaces on any of its lines, `\n` line
/// ends. The words are never changed.
pub(super) fn comment_text(source: &str, block: bool) -> String {
    if !block {
        return source.trim_end().to_string();
    }
    let lines: Vec<&str> = source.lines().map(str::trim_end).collect();
    lines.join("\n")
}

/// Aligns the trailing comments of consecutive lines on one column, one
/// space after the longest code of the run (as gofmt does).
fn align_trailers(out: &str, trailers: &[(usize, usize)]) -> String {
    let mut result = String::with_capacity(out.len() + trailers.len() * 8);
    let mut copied = 0;
    let mut i = 0;
    while i < trailers.len() {
        // A run: each next line starts right after the previous line's end.
        let mut j = i + 1;
        while j < trailers.len() {
            let (_, prev_code) = trailers[j - 1];
            let next_line = out[prev_code..].find('\n').map(|n| prev_code + n + 1);
            if next_line != Some(trailers[j].0) {
                break;
            }
            j += 1;
        }
        let width = |&(start, end): &(usize, usize)| out[start..end].chars().count();
        let column = trailers[i..j].iter().map(width).max().unwrap_or(0);
        for t in &trailers[i..j] {
            result.push_str(&out[copied..t.1]);
            result.extend(std::iter::repeat_n(' ', column - width(t)));
            copied = t.1;
        }
        i = j;
    }
    result.push_str(&out[copied..]);
    result
}
