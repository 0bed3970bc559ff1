//! Every `.blt` file of the standard library and of the examples must parse
//! without a single syntax error.

use std::fs;
use std::path::{Path, PathBuf};

/// Collects every `.blt` file under `dir`, recursively, in a stable order.
fn blt_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => panic!("cannot read {}: {e}", dir.display()),
    };
    let mut paths: Vec<PathBuf> = entries
        .map(|entry| entry.expect("directory entry").path())
        .collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            blt_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "blt") {
            out.push(path);
        }
    }
}

#[test]
fn stdlib_and_examples_parse() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    for dir in ["stdlib", "examples"] {
        blt_files(&root.join(dir), &mut files);
    }
    assert!(
        files.len() >= 5,
        "expected at least 5 .blt files under stdlib/ and examples/, found {}: {files:?}",
        files.len()
    );

    let mut failures = Vec::new();
    for path in &files {
        let text = fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let parsed = ballet_grammar::parse(&text);
        if !parsed.errors.is_empty() {
            failures.push(format!("{}:\n{:#?}", path.display(), parsed.errors));
        }
    }
    assert!(
        failures.is_empty(),
        "syntax errors in {} file(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}
