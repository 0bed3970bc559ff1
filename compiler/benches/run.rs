//! Benchmark: `balletc run`'s overhead. Plans CPS update and OpenStack
//! update at n = 10, runs every site in-process with 10 ms units (no
//! actions: each transition waits cost × unit) and prints the measured
//! makespan against the simulator's prediction, median of 5 runs, with the
//! issue 4 target (≤ 1.05 × predicted). Checkpoints are written as in a real
//! run (to a temporary directory).
//!
//! Run: `cargo bench -p ballet-compiler --bench run`.

use std::path::Path;
use std::time::Duration;

use ballet_compiler::check::{analyze, Options};
use ballet_compiler::diagnostic::Diagnostics;
use ballet_compiler::load::load_path;
use ballet_compiler::plan::plan;
use ballet_compiler::run::site_images;
use ballet_runtime::vm::{run_sites, ExecConfig, MemoryTransport, RunConfig, SiteVm};

fn main() {
    let unit = Duration::from_millis(10);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    println!("| case | n | predicted ms | measured ms (median of 5) | ratio | messages | target ≤ 1.05 |");
    println!("|---|---|---|---|---|---|---|");
    for (example, goal) in [("cps", "update"), ("openstack", "update")] {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../examples/{example}.blt"));
        let mut diagnostics = Diagnostics::default();
        let program = load_path(&root, &mut diagnostics).expect("example");
        let options = Options {
            defines: vec![("n".into(), "10".into())],
        };
        let analysis = analyze(&program, &options, &mut diagnostics);
        assert!(!diagnostics.has_errors(), "{example} must check clean");
        let g = analysis.goal(goal).expect("goal").clone();
        let planned = plan(&analysis.model, &g).expect("a plan");
        let predicted = planned.run.makespan.as_units_f64() * 10.0;
        let dir = std::env::temp_dir().join(format!("ballet-bench-run-{}", std::process::id()));
        let mut measured = Vec::new();
        let mut messages = 0;
        for _ in 0..5 {
            let vms: Vec<SiteVm> = site_images(&analysis.model, &planned)
                .into_iter()
                .map(SiteVm::new)
                .collect();
            let config = RunConfig {
                exec: ExecConfig {
                    unit,
                    ..ExecConfig::default()
                },
                checkpoint_dir: Some(dir.clone()),
            };
            let outcome = runtime
                .block_on(run_sites(vms, Vec::new(), MemoryTransport, config, |_| {}))
                .expect("a run");
            assert!(outcome.done(), "{example} {goal}: the run did not finish");
            measured.push(outcome.elapsed.as_secs_f64() * 1000.0);
            messages = outcome.messages;
        }
        let _ = std::fs::remove_dir_all(&dir);
        measured.sort_by(f64::total_cmp);
        let median = measured[measured.len() / 2];
        let ratio = median / predicted;
        println!(
            "| {example} {goal} | 10 | {predicted:.0} | {median:.1} | {ratio:.3} | {messages} | {} |",
            if ratio <= 1.05 { "met" } else { "missed" }
        );
    }
}
