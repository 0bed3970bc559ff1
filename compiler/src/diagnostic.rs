//! The one diagnostic type of the compiler: data, rendered at the edges only
//! (terminal, JSON, LSP).

use ballet_grammar::Span;
use serde::Serialize;

use crate::codes::Code;
use crate::source::FileId;

/// How bad a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The program is rejected.
    Error,
    /// The program is accepted but something looks wrong.
    Warning,
}

/// A span in a file with a message.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Label {
    /// The file.
    pub file: FileId,
    /// Where in it.
    pub span: Span,
    /// What to say there (may be empty).
    pub message: String,
}

/// One problem found in a program.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Diagnostic {
    /// Its stable code (`E0203`); the severity comes with it.
    pub code: Code,
    /// One sentence, lowercase, no final period, naming the things involved.
    pub message: String,
    /// Where the problem is. `None` only for problems with no place in a
    /// file (a `-D` flag naming no parameter).
    pub primary: Option<Label>,
    /// Related places ("first defined here").
    pub secondary: Vec<Label>,
    /// Extra facts.
    pub notes: Vec<String>,
    /// What to do about it.
    pub help: Option<String>,
}

impl Diagnostic {
    /// A diagnostic with `code` and `message`, not yet placed.
    pub fn new(code: Code, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            message: message.into(),
            primary: None,
            secondary: Vec::new(),
            notes: Vec::new(),
            help: None,
        }
    }

    /// Places the diagnostic.
    pub fn at(mut self, file: FileId, span: Span, label: impl Into<String>) -> Diagnostic {
        self.primary = Some(Label {
            file,
            span,
            message: label.into(),
        });
        self
    }

    /// Adds a related place.
    pub fn with(mut self, file: FileId, span: Span, label: impl Into<String>) -> Diagnostic {
        self.secondary.push(Label {
            file,
            span,
            message: label.into(),
        });
        self
    }

    /// Adds a note.
    pub fn note(mut self, note: impl Into<String>) -> Diagnostic {
        self.notes.push(note.into());
        self
    }

    /// Sets the help line.
    pub fn help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// Applies `f` (a builder step that needs a function, e.g. a hint).
    pub fn pipe(self, f: impl FnOnce(Diagnostic) -> Diagnostic) -> Diagnostic {
        f(self)
    }

    /// Records a redefinition: the first declaration as a related place, or,
    /// when both are the same text (a `for` loop declaring one name on
    /// every iteration), a note and a hint instead.
    pub fn first_declared(self, file: FileId, first: Span, again: Span) -> Diagnostic {
        if first == again {
            self.note("this declaration is inside a `for` loop: it runs once per iteration with the same name")
                .help("interpolate the loop variable into the name, e.g. `name_{i}`")
        } else {
            self.with(file, first, "first declared here")
        }
    }

    /// The severity of the diagnostic's code.
    pub fn severity(&self) -> Severity {
        self.code.severity()
    }

    /// Whether this is an error.
    pub fn is_error(&self) -> bool {
        self.severity() == Severity::Error
    }
}

/// What makes two diagnostics the same: code, place, and the message when
/// there is no place.
type DedupKey = (Code, Option<(FileId, Span)>, Option<String>);

/// A growing list of diagnostics that drops exact repeats (same code, same
/// primary place): an error inside a `for` loop is reported once, not once
/// per iteration.
#[derive(Clone, Debug, Default)]
pub struct Diagnostics {
    list: Vec<Diagnostic>,
    seen: std::collections::HashSet<DedupKey>,
    errors_pushed: usize,
}

impl Diagnostics {
    /// Adds a diagnostic unless one with the same code and place is there.
    pub fn push(&mut self, diagnostic: Diagnostic) {
        if diagnostic.is_error() {
            self.errors_pushed += 1;
        }
        // Diagnostics without a place are told apart by their message.
        let place = diagnostic.primary.as_ref().map(|l| (l.file, l.span));
        let message = place.is_none().then(|| diagnostic.message.clone());
        let key = (diagnostic.code, place, message);
        if self.seen.insert(key) {
            self.list.push(diagnostic);
        }
    }

    /// Whether a diagnostic with `code` at `span` of `file` was already
    /// pushed; if so it is counted as pushed again, exactly as
    /// [`Diagnostics::push`] counts a dropped repeat. A check inside a loop
    /// calls this first and skips building a diagnostic that would be
    /// dropped (its edit-distance hint over every name costs as much as the
    /// loop).
    pub fn repeated(&mut self, code: Code, file: FileId, span: Span) -> bool {
        let seen = self.seen.contains(&(code, Some((file, span)), None));
        if seen && code.severity() == Severity::Error {
            self.errors_pushed += 1;
        }
        seen
    }

    /// Whether any error was reported.
    pub fn has_errors(&self) -> bool {
        self.list.iter().any(Diagnostic::is_error)
    }

    /// How many errors were pushed, repeats included: a pass compares this
    /// before and after to learn whether *it* found an error, even one
    /// already reported by an earlier pass over the same text.
    pub fn errors_pushed(&self) -> usize {
        self.errors_pushed
    }

    /// How many errors were reported.
    pub fn error_count(&self) -> usize {
        self.list.iter().filter(|d| d.is_error()).count()
    }

    /// The diagnostics, sorted by file and position (stable for equal places).
    pub fn into_sorted(mut self) -> Vec<Diagnostic> {
        self.list.sort_by_key(|d| {
            d.primary
                .as_ref()
                .map(|l| (0, l.file, l.span.start, l.span.end))
                .unwrap_or((1, 0, 0, 0))
        });
        self.list
    }
}

impl Extend<Diagnostic> for Diagnostics {
    fn extend<T: IntoIterator<Item = Diagnostic>>(&mut self, iter: T) {
        for d in iter {
            self.push(d);
        }
    }
}
