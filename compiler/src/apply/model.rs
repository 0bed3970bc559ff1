//! The model an agent plans with: the sources of the program it was built
//! from, written by `balletc build` next to the bytecode
//! (`OUT_DIR/model.json`), and their fingerprint.
//!
//! Agents never receive code over the network: `balletc apply` sends a goal
//! name, parameters and a start state, and each agent plans with its own
//! copy of the model. The operator sends the [`fingerprint`] of the program
//! it planned with; an agent whose copy differs refuses the apply ("rebuild
//! and restart"), so that the agents' plan can be the operator's.
//!
//! File (JSON): `{"root": "/abs/path/cps.blt", "name": "examples/cps.blt",
//! "files": {"/abs/path/cps.blt": "...", ...}}`, every file read from disk
//! by canonical path (standard-library modules are embedded in `balletc`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::diagnostic::Diagnostics;
use crate::load::{load_with, normalize, Origin, Program};

/// The model file inside a build directory.
pub const MODEL_FILE: &str = "model.json";

/// A program's sources, as written to [`MODEL_FILE`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelSources {
    /// The root file's canonical path (the key of its text in `files`).
    pub root: String,
    /// The root file's name as the user gave it (for messages).
    pub name: String,
    /// Every file read from disk, by canonical path.
    pub files: BTreeMap<String, String>,
}

impl ModelSources {
    /// The sources of `program` (its root must come from a file).
    pub fn of_program(program: &Program) -> Option<ModelSources> {
        let root = program.files.first()?;
        let Origin::Path(root_path) = &root.origin else {
            return None;
        };
        let files = program
            .files
            .iter()
            .filter_map(|f| match &f.origin {
                Origin::Path(p) => Some((
                    normalize(p).display().to_string(),
                    program.sources.text(f.id).to_string(),
                )),
                _ => None,
            })
            .collect();
        Some(ModelSources {
            root: normalize(root_path).display().to_string(),
            name: program.sources.name(root.id).to_string(),
            files,
        })
    }

    /// Writes `dir/model.json` atomically; returns its path.
    pub fn write(&self, dir: &Path) -> std::io::Result<PathBuf> {
        let path = dir.join(MODEL_FILE);
        let text = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        crate::atomic::write_atomically(&path, text.as_bytes())?;
        Ok(path)
    }

    /// Reads `dir/model.json`; `Err` says what is wrong.
    pub fn read(dir: &Path) -> Result<ModelSources, String> {
        let path = dir.join(MODEL_FILE);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            format!(
                "cannot read `{}` ({e}): rebuild with `balletc build` and restart the agent",
                path.display()
            )
        })?;
        serde_json::from_str(&text).map_err(|e| format!("`{}`: {e}", path.display()))
    }

    /// Parses the sources (imports read from `files`, never from disk).
    pub fn load(&self, diagnostics: &mut Diagnostics) -> Option<Program> {
        let text = self.files.get(&self.root)?.clone();
        let mut read = |p: &Path| {
            self.files
                .get(&normalize(p).display().to_string())
                .cloned()
                .ok_or_else(|| {
                    std::io::Error::new(std::io::ErrorKind::NotFound, "not in model.json")
                })
        };
        Some(load_with(
            self.name.clone(),
            text,
            Origin::Path(PathBuf::from(&self.root)),
            &mut read,
            diagnostics,
        ))
    }
}

/// The fingerprint of a program: FNV-1a (64 bits) over every file's text
/// in load order, standard-library modules included (so two `balletc`
/// versions with different libraries differ too), as 16 hex digits. Not a
/// cryptographic hash: it detects a stale copy; the link that carries it
/// is authenticated.
pub fn fingerprint(program: &Program) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for &b in bytes {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    for file in &program.files {
        let text = program.sources.text(file.id);
        eat(&(text.len() as u64).to_le_bytes());
        eat(text.as_bytes());
    }
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_sources_load_to_the_same_fingerprint() {
        let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/cps.blt"));
        let mut d = Diagnostics::default();
        let program = crate::load::load_path(root, &mut d).expect("loads");
        let sources = ModelSources::of_program(&program).expect("from a file");
        let mut d2 = Diagnostics::default();
        let again = sources.load(&mut d2).expect("a root");
        assert!(!d2.has_errors());
        assert_eq!(fingerprint(&again), fingerprint(&program));
        let mut other = sources.clone();
        if let Some(text) = other.files.get_mut(&other.root) {
            text.push_str("\n// edited\n");
        }
        let edited = other.load(&mut Diagnostics::default()).expect("a root");
        assert_ne!(fingerprint(&edited), fingerprint(&program));
    }
}
