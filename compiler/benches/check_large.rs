//! Benchmark: check `examples/openstack.blt` with n = 2000 (6,001 sites,
//! 22,007 instances, 30,007 connections), the whole pipeline from text to
//! diagnostics. Prints the median and minimum of several runs.
//!
//! Run: `cargo bench -p ballet-compiler --bench check_large`.

use std::path::Path;
use std::time::{Duration, Instant};

use ballet_compiler::check::{analyze, Options};
use ballet_compiler::diagnostic::Diagnostics;
use ballet_compiler::load::load_path;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/openstack.blt");
    let mut times: Vec<Duration> = Vec::new();
    let mut instances = 0;
    for _ in 0..7 {
        let start = Instant::now();
        let mut diagnostics = Diagnostics::default();
        let program = load_path(&root, &mut diagnostics).expect("examples/openstack.blt");
        let options = Options {
            defines: vec![("n".into(), "2000".into())],
        };
        let analysis = analyze(&program, &options, &mut diagnostics);
        times.push(start.elapsed());
        assert!(!diagnostics.has_errors(), "the example must check clean");
        instances = analysis.assemblies[0].assembly.instances.len();
    }
    times.sort();
    println!(
        "check openstack n=2000 ({instances} instances, 2 goals): median {:.1} ms, min {:.1} ms over {} runs (target: < 1000 ms)",
        times[times.len() / 2].as_secs_f64() * 1e3,
        times[0].as_secs_f64() * 1e3,
        times.len()
    );
}
