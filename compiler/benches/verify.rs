//! Benchmark: exhaustive exploration (every interleaving, with the
//! partial-order reduction) of the planner's plans for the CPS update,
//! n = 1, 2, 3, … and the OpenStack update, n = 1. Prints states,
//! transitions, time and states per second.
//!
//! Run: `cargo bench -p ballet-compiler --bench verify`.

use std::path::Path;
use std::time::Instant;

use ballet_compiler::check::{analyze, Options};
use ballet_compiler::diagnostic::Diagnostics;
use ballet_compiler::load::load_path;
use ballet_compiler::plan::plan;
use ballet_runtime::explore::explore;
use ballet_runtime::semantics::System;

fn main() {
    // Under `cargo test` (no `--bench` argument) only a smoke run: the
    // bench must not take CI's time.
    let full = std::env::args().any(|a| a == "--bench");
    println!("| case | n | states | transitions | seconds | states/s | verified |");
    println!("|---|---:|---:|---:|---:|---:|---|");
    for (example, goal, ns) in [
        ("cps", "update", &[1usize, 2, 3, 4, 6, 8, 10][..]),
        ("openstack", "update", &[1][..]),
    ] {
        if !full && example != "cps" {
            continue;
        }
        for &n in ns {
            let root =
                Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../examples/{example}.blt"));
            let mut d = Diagnostics::default();
            let program = load_path(&root, &mut d).expect("example");
            let analysis = analyze(
                &program,
                &Options {
                    defines: vec![("n".into(), n.to_string())],
                },
                &mut d,
            );
            let g = analysis.goal(goal).expect("goal").clone();
            let planned = plan(&analysis.model, &g).expect("plannable");
            let start = System::new(
                &analysis.model,
                &planned.plan,
                &planned.problem.start_places,
                planned.problem.start_connections.iter().copied(),
            );
            let t = Instant::now();
            let all = explore(&analysis.model, &planned.plan, start, 5_000_000, true);
            let secs = t.elapsed().as_secs_f64();
            println!(
                "| {example} {goal} | {n} | {} | {} | {secs:.2} | {:.0} | {} |",
                all.states,
                all.transitions,
                all.states as f64 / secs,
                if all.truncated {
                    "not decided (limit)"
                } else if all.deadlocks.is_empty() {
                    "yes"
                } else {
                    "NO"
                }
            );
            if secs > 60.0 || all.truncated || !full {
                break;
            }
        }
    }
}
