//! Benchmark: planning the CASES.md scenarios, as `balletc plan` does, at
//! n = 1 … 1000. For each case: the synthesis time (site planners, message
//! exchange, emission: what the published figures time), median and minimum
//! over several runs; the plan's size, messages and predicted makespan; the
//! time of the simulation that predicts the makespan and checks the plan.
//! Prints a Markdown table (pasted into `docs/PERFORMANCE.md`) and the
//! targets of issue 3.
//!
//! Run: `cargo bench -p ballet-compiler --bench plan`.

use std::path::Path;
use std::time::Instant;

use ballet_compiler::check::{analyze, Options};
use ballet_compiler::diagnostic::Diagnostics;
use ballet_compiler::load::load_path;
use ballet_compiler::plan::plan;

struct Row {
    case: String,
    n: usize,
    median_ms: f64,
    min_ms: f64,
    total_ms: f64,
    instructions: usize,
    messages: usize,
    makespan: f64,
}

fn measure(example: &str, goal: &str, n: usize) -> Row {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../examples/{example}.blt"));
    let mut diagnostics = Diagnostics::default();
    let program = load_path(&root, &mut diagnostics).expect("example");
    let options = Options {
        defines: vec![("n".into(), n.to_string())],
    };
    let analysis = analyze(&program, &options, &mut diagnostics);
    assert!(!diagnostics.has_errors(), "{example} must check clean");
    let g = analysis.goal(goal).expect("goal").clone();
    let runs = if n >= 100 { 5 } else { 21 };
    let mut synth = Vec::new();
    let mut total = Vec::new();
    let mut last = None;
    for _ in 0..runs {
        let start = Instant::now();
        let planned = plan(&analysis.model, &g).expect("plannable");
        total.push(start.elapsed().as_secs_f64() * 1e3);
        synth.push(planned.metrics.planning_ms);
        last = Some(planned.metrics);
    }
    synth.sort_by(f64::total_cmp);
    total.sort_by(f64::total_cmp);
    let m = last.expect("at least one run");
    Row {
        case: format!("{example} {goal}"),
        n,
        median_ms: synth[runs / 2],
        min_ms: synth[0],
        total_ms: total[runs / 2],
        instructions: m.instructions,
        messages: m.messages,
        makespan: m.makespan,
    }
}

fn main() {
    // Under `cargo test` (no `--bench` argument) only a smoke run: the
    // bench must not take CI's time.
    let full = std::env::args().any(|a| a == "--bench");
    let sizes: &[usize] = if full {
        &[1, 2, 5, 10, 15, 100, 1000]
    } else {
        &[1, 2]
    };
    println!("| case | n | synthesis median (ms) | min (ms) | with simulation (ms) | instructions | messages | makespan |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    let mut rows = Vec::new();
    for (example, goal) in [
        ("openstack", "deploy"),
        ("openstack", "update"),
        ("cps", "deploy"),
        ("cps", "update"),
    ] {
        for &n in sizes {
            let r = measure(example, goal, n);
            println!(
                "| {} | {} | {:.3} | {:.3} | {:.1} | {} | {} | {} |",
                r.case,
                r.n,
                r.median_ms,
                r.min_ms,
                r.total_ms,
                r.instructions,
                r.messages,
                r.makespan
            );
            rows.push(r);
        }
    }
    let find = |case: &str, n: usize| {
        rows.iter()
            .find(|r| r.case == case && r.n == n)
            .map_or(f64::NAN, |r| r.median_ms)
    };
    println!();
    println!(
        "targets: openstack update n=10 {:.3} ms (< 6 ms; Ballet 5.97 s), cps update n=15 {:.3} ms (< 8 ms; Ballet 8.05 s), openstack update n=1000 {:.1} ms (< 1000 ms)",
        find("openstack update", 10),
        find("cps update", 15),
        find("openstack update", 1000)
    );
}
