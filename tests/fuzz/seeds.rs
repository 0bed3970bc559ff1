//! Writes the seed corpus of every fuzz target (see `ballet_tests::hostile`):
//! `cargo run -p ballet-tests --example fuzz_seeds -- DIR` fills
//! `DIR/<target>/`, one file per seed.

use std::path::{Path, PathBuf};

fn main() -> std::io::Result<()> {
    let Some(dir) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: fuzz_seeds DIR");
        std::process::exit(2);
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut counts = std::collections::BTreeMap::new();
    for (target, name, bytes) in ballet_tests::hostile::seeds(&root) {
        let sub = dir.join(target);
        std::fs::create_dir_all(&sub)?;
        std::fs::write(sub.join(name), bytes)?;
        *counts.entry(target).or_insert(0) += 1;
    }
    for (target, n) in counts {
        println!("{target}: {n} seeds");
    }
    Ok(())
}
