//! The makespan of the planner's plans against the sequential µs-style
//! ("Muse") baseline of the same reconfiguration.

use std::fmt::Write;

use ballet_compiler::plan::plan;
use ballet_runtime::baseline::sequential;

use crate::cases::{load, SCENARIOS};

/// The published gains of Ballet over Muse (CASES.md, real durations).
fn published(example: &str, goal: &str) -> &'static str {
    match (example, goal) {
        ("openstack", "deploy") => "306 s vs 537 s (−42.7 %)",
        ("openstack", "update") => "417 s vs 556 s (−24 %)",
        ("cps", "deploy") => "24.4 s vs 66 s (−63 %), n ≥ 5: 38 vs 84–93 (−55–59 %)",
        _ => "60.4 s vs 107 s (−44 %), n ≥ 5: 79 vs 151 (−48 %)",
    }
}

/// The Markdown section, at each of `sizes`.
pub fn section(sizes: &[usize]) -> String {
    let mut out = String::from(
        "## Ballet's plans against the sequential baseline\n\n\
         `balletc simulate FILE --goal G --baseline sequential`: the planner's plan in virtual \
         time against the µs-style baseline of the same behaviors (each component's behaviors as \
         one sequential block, started when all its providers have finished). Costs are the \
         transitions' costs of `stdlib/` (the papers' real durations are not all published), so \
         the percentages, not the absolute times, compare with the published ones.\n\n\
         | case | n | Ballet plan | sequential baseline | gain | published (real durations) |\n\
         |---|---:|---:|---:|---:|---|\n",
    );
    for (example, goal) in SCENARIOS {
        for &n in sizes {
            let (analysis, g) = load(example, goal, n);
            let model = &analysis.model;
            let planned = plan(model, &g).expect("plannable");
            let start = planned.problem.start_system(model, &planned.plan);
            let ours = planned.run.makespan.as_units_f64();
            let row = match sequential(model, &planned.plan, &start) {
                Ok(b) => {
                    let theirs = b.makespan.as_units_f64();
                    format!(
                        "{ours} | {theirs} | {:+.1} %",
                        (ours - theirs) / theirs * 100.0
                    )
                }
                Err(e) => format!("{ours} | {e} | —"),
            };
            let _ = writeln!(
                out,
                "| {example} {goal} | {n} | {row} | {} |",
                published(example, goal)
            );
        }
    }
    out
}
