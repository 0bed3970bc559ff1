//! The CASES.md examples, loaded and checked as `balletc` does.

use std::path::Path;

use ballet_compiler::check::{analyze, Analysis, Options};
use ballet_compiler::diagnostic::Diagnostics;
use ballet_compiler::load::load_path;
use ballet_runtime::Goal;

/// `examples/{example}.blt` checked with `-D n={n}`, and its goal `goal`.
pub fn load(example: &str, goal: &str, n: usize) -> (Analysis, Goal) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../examples/{example}.blt"));
    let mut diagnostics = Diagnostics::default();
    let program = load_path(&root, &mut diagnostics).expect("example");
    let options = Options {
        defines: vec![("n".into(), n.to_string())],
    };
    let analysis = analyze(&program, &options, &mut diagnostics);
    assert!(!diagnostics.has_errors(), "{example} must check clean");
    let g = analysis.goal(goal).expect("goal").clone();
    (analysis, g)
}

/// The four scenarios of CASES.md.
pub const SCENARIOS: [(&str, &str); 4] = [
    ("openstack", "deploy"),
    ("openstack", "update"),
    ("cps", "deploy"),
    ("cps", "update"),
];
