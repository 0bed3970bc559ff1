//! Exhaustive exploration of the planner's plans: every interleaving, with
//! the partial-order reduction; states, transitions, time, states/s.

use std::fmt::Write;
use std::time::Instant;

use ballet_compiler::plan::plan;
use ballet_runtime::explore::explore;
use ballet_runtime::semantics::System;

use crate::cases::load;

/// The Markdown section. `full`: the sizes, else a smoke run.
pub fn section(full: bool) -> String {
    let cases: &[(&str, &str, &[usize])] = if full {
        &[
            ("cps", "update", &[1, 2, 3, 5, 10]),
            ("openstack", "update", &[1]),
        ]
    } else {
        &[("cps", "update", &[1])]
    };
    let mut out = String::from(
        "## Verification\n\n\
         Every interleaving of the plan's execution explored (`runtime/src/explore.rs`: state \
         hashing, partial-order reduction); a case stops the series when it takes over a minute. \
         For reference, the published Maude formalization explored 11,145 states for the CPS \
         update, n = 1, in about 3.5 s.\n\n\
         | case | n | states | transitions | seconds | states/s | verified |\n\
         |---|---:|---:|---:|---:|---:|---|\n",
    );
    for &(example, goal, ns) in cases {
        for &n in ns {
            let (analysis, g) = load(example, goal, n);
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
            let verdict = if all.truncated {
                "not decided (limit)"
            } else if all.deadlocks.is_empty() {
                "yes"
            } else {
                "NO"
            };
            let _ = writeln!(
                out,
                "| {example} {goal} | {n} | {} | {} | {secs:.2} | {:.0} | {verdict} |",
                all.states,
                all.transitions,
                all.states as f64 / secs.max(1e-9),
            );
            if secs > 60.0 || all.truncated {
                break;
            }
        }
    }
    out
}
