//! The source files of one compilation: names, texts and line tables.

use codespan_reporting::files::{Files, SimpleFiles};

/// Identifies one file of a [`Sources`].
pub type FileId = usize;

/// Every file loaded for a compilation (the root, imports, stdlib modules).
#[derive(Clone, Debug, Default)]
pub struct Sources {
    files: SimpleFiles<String, String>,
    count: usize,
}

impl Sources {
    /// An empty set of files.
    pub fn new() -> Sources {
        Sources::default()
    }

    /// Adds a file and returns its id.
    pub fn add(&mut self, name: impl Into<String>, text: impl Into<String>) -> FileId {
        self.count += 1;
        self.files.add(name.into(), text.into())
    }

    /// The text of a file.
    pub fn text(&self, file: FileId) -> &str {
        self.files
            .get(file)
            .map(|f| f.source().as_str())
            .unwrap_or("")
    }

    /// The name of a file, as given when it was added.
    pub fn name(&self, file: FileId) -> &str {
        self.files
            .get(file)
            .map(|f| f.name().as_str())
            .unwrap_or("")
    }

    /// How many files there are.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether there is no file.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The codespan view of the files, for rendering.
    pub fn files(&self) -> &SimpleFiles<String, String> {
        &self.files
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_column(&self, file: FileId, offset: usize) -> (usize, usize) {
        match self.files.location(file, offset) {
            Ok(loc) => (loc.line_number, loc.column_number),
            Err(_) => (1, 1),
        }
    }
}
