//! Every input a fuzz target ever failed on, kept under
//! `tests/fuzz/regressions/<target>/`, replayed through the target's body
//! (`ballet_tests::hostile`): none may fail again. The seeds of every corpus
//! go through the same bodies, so a target that panics on its own seeds
//! fails here first.

use std::path::Path;

use ballet_tests::hostile::{seeds, TARGETS};

#[test]
fn saved_crash_inputs_pass() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions");
    let mut replayed = 0;
    for (target, body) in TARGETS {
        let sub = dir.join(target);
        let mut files: Vec<_> = std::fs::read_dir(&sub)
            .unwrap_or_else(|e| panic!("{}: {e}", sub.display()))
            .map(|e| e.expect("an entry").path())
            .filter(|p| p.file_name().is_some_and(|n| n != ".gitkeep"))
            .collect();
        files.sort();
        for file in files {
            let bytes = std::fs::read(&file).expect("a readable input");
            eprintln!("replaying {}", file.display());
            body(&bytes);
            replayed += 1;
        }
    }
    eprintln!("{replayed} saved inputs replayed");
}

#[test]
fn every_seed_passes_its_target() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let seeds = seeds(&root);
    for (name, body) in TARGETS {
        let mine: Vec<_> = seeds.iter().filter(|(t, _, _)| *t == name).collect();
        assert!(mine.len() >= 5, "{name} has only {} seeds", mine.len());
        for (_, file, bytes) in mine {
            eprintln!("{name}: {file}");
            body(bytes);
        }
    }
}
