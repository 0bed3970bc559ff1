//! The analysis behind the language server, with no knowledge of LSP or
//! JSON: open documents in, diagnostics, hovers, definitions, references,
//! outlines, completions, renames and formatting out. Positions are byte
//! offsets; [`position`] converts them to the line and UTF-16 column LSP
//! speaks.
//!
//! Diagnostics come from the same `load` → `analyze` pipeline as
//! `balletc check`: the same codes and messages. Open documents take the
//! place of the files on disk, so an unsaved imported file counts.

pub mod complete;
pub mod hover;
pub mod index;
pub mod navigate;
pub mod outline;
pub mod position;
pub mod symbol;

use std::cell::OnceCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use ballet_grammar::Span;

use crate::check::{analyze, Analysis, Options};
use crate::diagnostic::{Diagnostic, Diagnostics, Severity};
use crate::load::{load_with, read_source, Origin, Program};
use crate::source::FileId;

use index::Index;

/// The documents open in the editor, by path; other files are read from
/// disk.
#[derive(Clone, Debug, Default)]
pub struct World {
    docs: HashMap<PathBuf, String>,
}

impl World {
    /// A world with no open document.
    pub fn new() -> World {
        World::default()
    }

    /// Opens `path` with `text`, or replaces its text.
    pub fn set(&mut self, path: PathBuf, text: String) {
        self.docs.insert(path, text);
    }

    /// Closes `path`: from now on it is read from disk.
    pub fn remove(&mut self, path: &Path) {
        self.docs.remove(path);
    }

    /// The open documents' paths.
    pub fn paths(&self) -> impl Iterator<Item = &Path> {
        self.docs.keys().map(PathBuf::as_path)
    }

    /// The text of `path`: the open document's, or the file's on disk.
    pub fn read(&self, path: &Path) -> std::io::Result<String> {
        if let Some(text) = self.docs.get(path) {
            return Ok(text.clone());
        }
        if let Ok(canonical) = path.canonicalize() {
            let open = self
                .docs
                .iter()
                .find(|(p, _)| p.canonicalize().is_ok_and(|c| c == canonical));
            if let Some((_, text)) = open {
                return Ok(text.clone());
            }
        }
        read_source(path)
    }

    /// Loads and checks the program whose root is `path` (open or on disk).
    /// `None` when `path` can be read neither way.
    pub fn analyze(&self, path: &Path) -> Option<FileAnalysis> {
        let text = self.read(path).ok()?;
        let origin = Origin::Path(path.canonicalize().unwrap_or_else(|_| path.to_path_buf()));
        let mut diagnostics = Diagnostics::default();
        let mut read = |p: &Path| self.read(p);
        let program = load_with(
            path.display().to_string(),
            text,
            origin,
            &mut read,
            &mut diagnostics,
        );
        Some(FileAnalysis::new(program, &mut diagnostics))
    }
}

/// A program checked from one root document, and what the editor may ask
/// about it.
#[derive(Debug)]
pub struct FileAnalysis {
    /// The root and its imports.
    pub program: Program,
    /// What the checker made of it.
    pub analysis: Analysis,
    /// Every diagnostic of every file, sorted.
    pub diagnostics: Vec<Diagnostic>,
    index: OnceCell<Index>,
}

/// A diagnostic placed in the root document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileDiagnostic {
    /// The code (`E0203`).
    pub code: String,
    /// Error or warning.
    pub severity: Severity,
    /// The message, as `balletc check` prints it.
    pub message: String,
    /// Where, in the root document. A problem inside an imported file is
    /// shown on the `import` that brings it in.
    pub span: Span,
    /// Related places and facts: secondary labels, the true place of a
    /// problem in an imported file, notes and help (at the primary place).
    pub related: Vec<Related>,
}

/// A place related to a diagnostic, with a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Related {
    /// The file.
    pub file: FileId,
    /// Where in it.
    pub span: Span,
    /// What to say there.
    pub message: String,
}

impl FileAnalysis {
    /// Checks a loaded program (no `-D` values: the defaults hold).
    pub fn new(program: Program, diagnostics: &mut Diagnostics) -> FileAnalysis {
        let analysis = analyze(&program, &Options::default(), diagnostics);
        FileAnalysis {
            program,
            analysis,
            diagnostics: std::mem::take(diagnostics).into_sorted(),
            index: OnceCell::new(),
        }
    }

    /// The root document's id.
    pub fn root(&self) -> FileId {
        self.program.files.first().map_or(0, |f| f.id)
    }

    /// The text of `file`.
    pub fn text(&self, file: FileId) -> &str {
        self.program.sources.text(file)
    }

    /// The path of `file`, when it is a file (not a standard-library module).
    pub fn path(&self, file: FileId) -> Option<&Path> {
        self.program
            .files
            .iter()
            .find(|f| f.id == file)
            .and_then(|f| match &f.origin {
                Origin::Path(p) => Some(p.as_path()),
                Origin::Stdlib(_) | Origin::Memory(_) => None,
            })
    }

    /// The names of the program, built on first use.
    pub fn index(&self) -> &Index {
        self.index
            .get_or_init(|| Index::build(&self.program, &self.analysis))
    }

    /// The diagnostics to show in the root document: its own, and the errors
    /// of the files it imports (directly or not) on their `import` item.
    pub fn root_diagnostics(&self) -> Vec<FileDiagnostic> {
        let root = self.root();
        let via = self.import_of_each_file();
        let mut out = Vec::new();
        for d in &self.diagnostics {
            let primary = d.primary.as_ref();
            let (span, mut related) = match primary {
                Some(l) if l.file == root => (l.span, Vec::new()),
                Some(l) if d.severity() == Severity::Error => match via.get(&l.file) {
                    Some(&import) => (
                        import,
                        vec![Related {
                            file: l.file,
                            span: l.span,
                            message: d.message.clone(),
                        }],
                    ),
                    None => continue,
                },
                Some(_) => continue,
                None => (Span::default(), Vec::new()),
            };
            let at = primary.map_or((root, span), |l| (l.file, l.span));
            related.extend(d.secondary.iter().map(|l| Related {
                file: l.file,
                span: l.span,
                message: if l.message.is_empty() {
                    "related".into()
                } else {
                    l.message.clone()
                },
            }));
            for note in &d.notes {
                related.push(Related {
                    file: at.0,
                    span: at.1,
                    message: format!("note: {note}"),
                });
            }
            if let Some(help) = &d.help {
                related.push(Related {
                    file: at.0,
                    span: at.1,
                    message: format!("help: {help}"),
                });
            }
            out.push(FileDiagnostic {
                code: d.code.as_str().to_string(),
                severity: d.severity(),
                message: d.message.clone(),
                span,
                related,
            });
        }
        out
    }

    /// For each imported file, the root's `import` item through which it
    /// was first reached.
    fn import_of_each_file(&self) -> HashMap<FileId, Span> {
        let by_origin: HashMap<&Origin, FileId> = self
            .program
            .files
            .iter()
            .map(|f| (&f.origin, f.id))
            .collect();
        let imports_of = |id: FileId| -> Vec<FileId> {
            self.program
                .files
                .iter()
                .find(|f| f.id == id)
                .map(|f| {
                    f.imports
                        .iter()
                        .filter_map(|(_, o)| by_origin.get(o).copied())
                        .collect()
                })
                .unwrap_or_default()
        };
        let mut via = HashMap::new();
        let Some(root) = self.program.files.first() else {
            return via;
        };
        for (span, origin) in &root.imports {
            let Some(&first) = by_origin.get(origin) else {
                continue;
            };
            let mut stack = vec![first];
            while let Some(id) = stack.pop() {
                if id == root.id || via.contains_key(&id) {
                    continue;
                }
                via.insert(id, *span);
                stack.extend(imports_of(id));
            }
        }
        via
    }
}

/// The root document in the canonical layout, or `None` when it has syntax
/// errors (they are already among its diagnostics).
pub fn formatting(text: &str) -> Option<String> {
    crate::fmt::format(text).ok()
}
