//! Planning time, plan sizes, messages and predicted makespan of the four
//! scenarios at n = 1 … 1000, next to the published Ballet figures.

use std::fmt::Write;
use std::time::Instant;

use ballet_compiler::plan::plan;

use crate::cases::{load, SCENARIOS};

/// One measured case.
pub struct Row {
    pub example: &'static str,
    pub goal: &'static str,
    pub n: usize,
    /// Synthesis (site planners, exchange, emission), median, ms.
    pub median_ms: f64,
    /// `plan()` with the simulation that predicts the makespan, median, ms.
    pub total_ms: f64,
    pub instructions: usize,
    pub messages: usize,
    pub makespan: f64,
}

/// Measures every scenario at each of `sizes`.
pub fn measure(sizes: &[usize]) -> Vec<Row> {
    let mut rows = Vec::new();
    for (example, goal) in SCENARIOS {
        for &n in sizes {
            let (analysis, g) = load(example, goal, n);
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
            rows.push(Row {
                example,
                goal,
                n,
                median_ms: synth[runs / 2],
                total_ms: total[runs / 2],
                instructions: m.instructions,
                messages: m.messages,
                makespan: m.makespan,
            });
        }
    }
    rows
}

/// The published planning time (slowest site), seconds (CASES.md).
fn published_seconds(example: &str, goal: &str, n: usize) -> Option<&'static str> {
    Some(match (example, goal, n) {
        ("openstack", "deploy", 1) => "1.69",
        ("openstack", "deploy", 10) => "2.02",
        ("openstack", "update", 1) => "3.36",
        ("openstack", "update", 2) => "4.39",
        ("openstack", "update", 5) => "6.05",
        ("openstack", "update", 10) => "5.97",
        ("cps", "deploy", 1..=15) => "0.46–0.49",
        ("cps", "update", 1) => "1.63",
        ("cps", "update", 2) => "1.83",
        ("cps", "update", 5) => "3.24",
        ("cps", "update", 10) => "5.72",
        ("cps", "update", 15) => "8.05",
        _ => return None,
    })
}

/// The published plan size and messages actually sent (CASES.md).
fn published_size(example: &str, goal: &str, n: usize) -> String {
    match (example, goal) {
        ("openstack", "deploy") => format!("{} / 0", 7 + 11 * n),
        ("openstack", "update") => format!("{} / {}", 3 + 20 * n, 8 * n),
        ("cps", "deploy") => format!("{} / 0", 2 + 2 * n),
        _ => format!("{} / {}", 6 + 6 * n, 1 + 3 * n),
    }
}

/// The Markdown section.
pub fn section(rows: &[Row]) -> String {
    let mut out = String::from(
        "## Planning\n\n\
         For each scenario of `../shared/reference/CASES.md`: the synthesis time (site planners, \
         their message exchange, emission: what the published figures time), median over 21 runs \
         (5 from n = 100); the time of `plan()` with the simulation that predicts the makespan and \
         checks the plan against the goal; the plan's instructions, the messages the site planners \
         exchanged and the predicted makespan (time units = the transitions' costs). Published: \
         Ballet's planning time of its slowest site (Python + MiniZinc/Gecode) and its plan size / \
         messages actually sent.\n\n\
         | case | n | synthesis (ms) | with simulation (ms) | instructions | messages | makespan | \
         Ballet planning (s) | Ballet instructions / messages |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---|\n",
    );
    for r in rows {
        let _ = writeln!(
            out,
            "| {} {} | {} | {:.3} | {:.1} | {} | {} | {} | {} | {} |",
            r.example,
            r.goal,
            r.n,
            r.median_ms,
            r.total_ms,
            r.instructions,
            r.messages,
            r.makespan,
            published_seconds(r.example, r.goal, r.n).unwrap_or("—"),
            published_size(r.example, r.goal, r.n),
        );
    }
    let find = |example: &str, goal: &str, n: usize| {
        rows.iter()
            .find(|r| (r.example, r.goal, r.n) == (example, goal, n))
            .map_or("not measured".to_string(), |r| {
                format!("{:.3} ms", r.median_ms)
            })
    };
    let _ = write!(
        out,
        "\nTargets (issue 3): OpenStack update n = 10 in {} (target < 6 ms; Ballet 5.97 s); CPS \
         update n = 15 in {} (target < 8 ms; Ballet 8.05 s); OpenStack update n = 1000 (11,007 \
         instances, 3,001 sites) in {} (target < 1 s).\n\n\
         ![planning time vs n](plots/planning-time.svg)\n",
        find("openstack", "update", 10),
        find("cps", "update", 15),
        find("openstack", "update", 1000),
    );
    out
}
