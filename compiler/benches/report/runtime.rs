//! `balletc run`'s overhead and scale: every site of a plan run for real as
//! an agent in this process, over loopback TCP (`run_cluster`, as `balletc
//! run` does), with 10 ms units (no actions: each transition waits cost ×
//! unit), checkpoints written as `balletc run` writes them; measured
//! makespan against the simulator's prediction, messages, memory.

use std::fmt::Write;
use std::time::Duration;

use ballet_compiler::plan::plan;
use ballet_compiler::run::site_images;
use ballet_runtime::agent::{run_cluster, Agent, ClusterConfig};
use ballet_runtime::vm::{ExecConfig, SiteVm};

use crate::cases::load;

struct Row {
    case: String,
    n: usize,
    sites: usize,
    predicted_ms: f64,
    measured_ms: f64,
    messages: u64,
    instructions: usize,
    rss_per_site_kib: f64,
}

/// The resident set of this process, KiB.
fn rss_kib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|l| l.split_whitespace().next()?.parse().ok())
        .unwrap_or(f64::NAN)
}

fn run_case(example: &str, goal: &str, n: usize, repeats: usize) -> Row {
    let unit = Duration::from_millis(10);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let (analysis, g) = load(example, goal, n);
    let planned = plan(&analysis.model, &g).expect("a plan");
    let predicted = planned.run.makespan.as_units_f64() * 10.0;
    let dir = std::env::temp_dir().join(format!("ballet-report-run-{}", std::process::id()));
    let mut measured = Vec::new();
    let mut messages = 0;
    let mut rss = 0.0;
    let before = rss_kib();
    for k in 0..repeats {
        let agents: Vec<Agent> = site_images(&analysis.model, &planned)
            .into_iter()
            .map(|image| Agent::new(SiteVm::new(image)))
            .collect();
        let config = ClusterConfig {
            exec: ExecConfig {
                unit,
                ..ExecConfig::default()
            },
            checkpoint_dir: Some(dir.clone()),
            ..ClusterConfig::default()
        };
        let outcome = runtime
            .block_on(run_cluster(agents, config, |_| {}))
            .expect("a run");
        assert!(outcome.done(), "{example} {goal}: the run did not finish");
        if k == 0 {
            // The first run's growth: later runs reuse the freed memory.
            rss = rss_kib() - before;
        }
        measured.push(outcome.elapsed.as_secs_f64() * 1000.0);
        messages = outcome.messages;
    }
    let _ = std::fs::remove_dir_all(&dir);
    measured.sort_by(f64::total_cmp);
    let sites = planned.plan.universe.sites.len();
    Row {
        case: format!("{example} {goal}"),
        n,
        sites,
        predicted_ms: predicted,
        measured_ms: measured[measured.len() / 2],
        messages,
        instructions: planned.metrics.instructions,
        rss_per_site_kib: rss / sites as f64,
    }
}

/// The Markdown section. `full`: the sizes, else a smoke run.
pub fn section(full: bool) -> String {
    let cases: &[(&str, &str, usize, usize)] = if full {
        &[
            ("cps", "update", 10, 5),
            ("openstack", "update", 10, 5),
            ("cps", "deploy", 98, 3),
            ("cps", "update", 98, 3),
        ]
    } else {
        &[("cps", "update", 1, 1)]
    };
    let mut out = String::from(
        "## Runtime overhead and scale\n\n\
         `balletc run` with `--unit 10ms`: every site an agent in this process (its own VM and \
         its own TCP transport on 127.0.0.1, Noise-encrypted, linked to its neighbours), \
         transitions without actions (each waits cost × 10 ms), checkpoints written as `balletc \
         run` writes them (one writer thread for all sites, at most one write per site every \
         20 ms, `runtime/src/agent/background.rs`). Measured makespan (from the moment every link is up to the last state change; median \
         of the runs) against the simulator's prediction; payloads between sites; memory: growth \
         of the process's resident set during the first run, per site (agent).\n\n\
         | case | n | sites | predicted (ms) | measured (ms) | ratio | target | messages | messages / instruction | memory / site (KiB) |\n\
         |---|---:|---:|---:|---:|---:|---|---:|---:|---:|\n",
    );
    for &(example, goal, n, repeats) in cases {
        let r = run_case(example, goal, n, repeats);
        let ratio = r.measured_ms / r.predicted_ms;
        let target = if n == 10 {
            if ratio <= 1.05 {
                "≤ 1.05: met"
            } else {
                "≤ 1.05: missed"
            }
        } else {
            "completes"
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {:.0} | {:.1} | {ratio:.3} | {target} | {} | {:.2} | {:.0} |",
            r.case,
            r.n,
            r.sites,
            r.predicted_ms,
            r.measured_ms,
            r.messages,
            r.messages as f64 / r.instructions as f64,
            r.rss_per_site_kib
        );
    }
    out
}
