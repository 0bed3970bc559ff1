//! Loading a program: the root file and, transitively, everything it
//! imports. Each file is read and parsed once; syntax errors become
//! diagnostics here.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use ballet_grammar::ast::{File, ImportTarget, Item};
use ballet_grammar::{parse, Span};

use crate::codes::Code;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::source::{FileId, Sources};
use crate::stdlib;
use crate::syntax::syntax_diagnostic;

/// Where a loaded file came from.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Origin {
    /// A file on disk (canonical path when it could be resolved).
    Path(PathBuf),
    /// A standard-library module.
    Stdlib(String),
    /// Text given directly (tests, the LSP's unsaved buffers).
    Memory(String),
}

/// One parsed file of the program.
#[derive(Clone, Debug)]
pub struct LoadedFile {
    /// Its id in [`Program::sources`].
    pub id: FileId,
    /// Where it came from.
    pub origin: Origin,
    /// Its syntax tree.
    pub ast: File,
    /// Its imports that resolved: the span of the `import` item and the
    /// origin of the file it names.
    pub imports: Vec<(Span, Origin)>,
}

/// A program: every file reached from the root, parsed.
#[derive(Clone, Debug, Default)]
pub struct Program {
    /// Texts and names of every file.
    pub sources: Sources,
    /// The files, root first, then imports in the order they were reached.
    pub files: Vec<LoadedFile>,
}

impl Program {
    /// Whether `file` is a standard-library module.
    pub fn is_stdlib(&self, file: FileId) -> bool {
        self.files
            .iter()
            .any(|f| f.id == file && matches!(f.origin, Origin::Stdlib(_)))
    }
}

/// Reads and parses `root` and its imports. I/O errors on the root are
/// returned as `Err` (a process-level error); everything else is a
/// diagnostic.
pub fn load_path(root: &Path, diagnostics: &mut Diagnostics) -> std::io::Result<Program> {
    let text = read_source(root)?;
    let name = root.display().to_string();
    let origin = Origin::Path(root.canonicalize().unwrap_or_else(|_| root.to_path_buf()));
    Ok(load(name, text, origin, diagnostics))
}

/// Parses `text` (named `name`) and its imports. Relative file imports are
/// resolved against the directory of `origin` when it is a path.
pub fn load(name: String, text: String, origin: Origin, diagnostics: &mut Diagnostics) -> Program {
    load_with(name, text, origin, &mut read_source, diagnostics)
}

/// [`load`], reading imported files with `read` instead of from disk (the
/// LSP reads open documents from memory).
pub fn load_with(
    name: String,
    text: String,
    origin: Origin,
    read: &mut dyn FnMut(&Path) -> std::io::Result<String>,
    diagnostics: &mut Diagnostics,
) -> Program {
    let mut program = Program::default();
    let mut seen: HashMap<Origin, FileId> = HashMap::new();
    let mut queue = vec![(name, text, origin)];
    while let Some((name, text, origin)) = queue.pop() {
        if seen.contains_key(&origin) {
            continue;
        }
        let id = program.sources.add(name, text);
        seen.insert(origin.clone(), id);
        let parsed = parse(program.sources.text(id));
        diagnostics.extend(parsed.errors.iter().map(|e| syntax_diagnostic(id, e)));
        // Imports are queued in reverse so they load in source order.
        let mut imports = Vec::new();
        let mut resolved = Vec::new();
        for item in &parsed.file.items {
            if let Item::Import(import) = item {
                if let Some(next) = resolve_import(
                    id,
                    &origin,
                    program.sources.name(id),
                    &import.target,
                    read,
                    diagnostics,
                ) {
                    resolved.push((import.span, next.2.clone()));
                    if !seen.contains_key(&next.2) {
                        imports.push(next);
                    }
                }
            }
        }
        queue.extend(imports.into_iter().rev());
        program.files.push(LoadedFile {
            id,
            origin,
            ast: parsed.file,
            imports: resolved,
        });
    }
    program
}

fn resolve_import(
    file: FileId,
    origin: &Origin,
    importer_name: &str,
    target: &ImportTarget,
    read: &mut dyn FnMut(&Path) -> std::io::Result<String>,
    diagnostics: &mut Diagnostics,
) -> Option<(String, String, Origin)> {
    match target {
        ImportTarget::Module(name) => match stdlib::module(&name.text) {
            Some(text) => Some((
                stdlib::display_name(&name.text),
                text.to_string(),
                Origin::Stdlib(name.text.clone()),
            )),
            None => {
                let known: Vec<&str> = stdlib::MODULES.iter().map(|(n, _)| *n).collect();
                diagnostics.push(
                    Diagnostic::new(
                        Code::E0101,
                        format!("no standard-library module named `{}`", name.text),
                    )
                    .at(file, name.span, "not in the standard library")
                    .note(format!("available modules: {}", known.join(", ")))
                    .help("to import a file, quote its path: `import \"path/to/file.blt\"`"),
                );
                None
            }
        },
        ImportTarget::Path(path, span) => {
            let base = match origin {
                Origin::Path(p) => p.parent().map(Path::to_path_buf).unwrap_or_default(),
                _ => PathBuf::from("."),
            };
            let full = base.join(path);
            // Shown relative to how the importer is shown, `..` resolved.
            let shown = normalize(
                &Path::new(importer_name)
                    .parent()
                    .unwrap_or(Path::new(""))
                    .join(path),
            );
            match read(&full) {
                Ok(text) => Some((
                    shown.display().to_string(),
                    text,
                    Origin::Path(full.canonicalize().unwrap_or(full)),
                )),
                Err(error) => {
                    diagnostics.push(import_error(file, *span, &full, &error));
                    None
                }
            }
        }
    }
}

fn import_error(file: FileId, span: Span, path: &Path, error: &std::io::Error) -> Diagnostic {
    Diagnostic::new(
        Code::E0102,
        format!("cannot read `{}`: {error}", path.display()),
    )
    .at(file, span, "imported here")
    .note("import paths are relative to the importing file")
}

/// Reads a source file, refusing files too large to index with `u32` spans.
pub fn read_source(path: &Path) -> std::io::Result<String> {
    let bytes = std::fs::read(path)?;
    if bytes.len() >= u32::MAX as usize {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "file larger than 4 GiB",
        ));
    }
    String::from_utf8(bytes)
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "file is not UTF-8"))
}

/// Resolves `.` and `..` components lexically (no file-system access), for
/// display.
pub(crate) fn normalize(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                let last = out.components().next_back();
                if matches!(last, Some(Component::Normal(_))) {
                    out.pop();
                } else if !matches!(last, Some(Component::RootDir)) {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}
