//! No input makes the checker panic: every example, stdlib module and
//! fixture, cut, spliced and sprinkled with stray tokens in many
//! deterministic ways, must check without panicking and with spans inside
//! the file. The formatter must not panic on them either.

use std::path::{Path, PathBuf};

use ballet_tests::check_text;

/// xorshift64*: a tiny deterministic generator (no dependency needed).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn corpus() -> Vec<(PathBuf, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut out = Vec::new();
    let mut dirs = vec![
        root.join("examples"),
        root.join("stdlib"),
        root.join("tests/fixtures"),
    ];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("corpus directory") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "blt") {
                let text = std::fs::read_to_string(&path).expect("utf-8 fixture");
                out.push((path, text));
            }
        }
    }
    out.sort();
    out
}

const NOISE: &[&str] = &[
    "{",
    "}",
    "(",
    ")",
    "->",
    "..",
    ".",
    ":",
    ",",
    "=",
    "component",
    "assembly",
    "goal",
    "for",
    "site",
    "connect",
    "behavior",
    "places",
    "use",
    "provide",
    "at",
    "start",
    "all",
    "x_{i}",
    "y_{",
    "\"",
    "/*",
    "*/",
    "0",
    "99999999999999999999999",
    "1.2345",
    "§",
    "\u{1F600}",
    "\n",
    "-",
    "%",
    "/",
    "running",
    "initial",
    "import",
    "import \"nope.blt\"",
];

fn mutate(text: &str, rng: &mut Rng) -> String {
    let mut s: Vec<char> = text.chars().collect();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(s.len() + 1);
        match rng.below(4) {
            0 => {
                let end = (at + rng.below(40)).min(s.len());
                s.drain(at..end);
            }
            1 => {
                let noise = NOISE[rng.below(NOISE.len())];
                for (k, c) in noise.chars().enumerate() {
                    s.insert(at + k, c);
                }
            }
            2 => s.truncate(at),
            _ => {
                let from = rng.below(s.len() + 1);
                let end = (from + rng.below(60)).min(s.len());
                let piece: Vec<char> = s[from..end].to_vec();
                for (k, c) in piece.into_iter().enumerate() {
                    s.insert(at.min(s.len()) + k, c);
                }
            }
        }
    }
    s.into_iter().collect()
}

#[test]
fn mutated_inputs_never_panic() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut runs = 0;
    for (path, text) in corpus() {
        for _ in 0..15 {
            let mutated = mutate(&text, &mut rng);
            let outcome = check_text("mutated.blt", &path, &mutated);
            if let Err(e) = outcome.spans_in_bounds() {
                panic!("{e} in a mutation of {}:\n{mutated}", path.display());
            }
            // Rendering must not panic either.
            let _ = outcome.rendered("mutated.blt");
            // The formatter must not panic either, and is idempotent on
            // whatever it accepts.
            if let Ok(once) = ballet_compiler::fmt::format(&mutated) {
                let twice = ballet_compiler::fmt::format(&once);
                if twice.as_ref() != Ok(&once) {
                    panic!(
                        "formatting is not idempotent on a mutation of {}:\n{mutated}",
                        path.display()
                    );
                }
            }
            runs += 1;
        }
    }
    assert!(runs > 200, "the corpus is too small: {runs} runs");
}
