//! Benchmark: `balletc verify` on the planner's plans — every interleaving
//! explored with stubborn sets and symmetry of interchangeable sites — for
//! the CPS update at n = 1, 2, 5, 10 and the OpenStack update at n = 1.
//! Prints a table (states, transitions, seconds, states per second,
//! verdict); the first rows repeat CPS n = 1, 2 with the earlier reduction
//! (safe actions only, no symmetry) and OpenStack n = 1 likewise, for
//! comparison. For reference, the
//! published Maude formalization explored 11,145 states for the CPS update
//! with n = 1 in about 3.5 s.
//!
//! Run: `cargo bench -p ballet-compiler --bench verify`. Under `cargo test`
//! (no `--bench` argument) only CPS n = 1 runs, as a smoke test.

use std::path::Path;

use ballet_compiler::check::{analyze, Options};
use ballet_compiler::diagnostic::Diagnostics;
use ballet_compiler::load::load_path;
use ballet_compiler::plan::plan;
use ballet_compiler::verify::{verify, VerifyOptions};
use ballet_runtime::explore::Reduction;

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    println!("| case | n | reduction | states | transitions | seconds | states/s | verified |");
    println!("|---|---:|---|---:|---:|---:|---:|---|");
    let earlier = VerifyOptions {
        reduction: Reduction::Safe,
        symmetry: false,
        ..VerifyOptions::default()
    };
    let cases: &[(&str, usize, &str, VerifyOptions)] = &[
        ("cps", 1, "safe actions", earlier.clone()),
        ("cps", 2, "safe actions", earlier.clone()),
        ("openstack", 1, "safe actions", earlier),
        ("cps", 1, "stubborn + symmetry", VerifyOptions::default()),
        ("cps", 2, "stubborn + symmetry", VerifyOptions::default()),
        ("cps", 5, "stubborn + symmetry", VerifyOptions::default()),
        ("cps", 10, "stubborn + symmetry", VerifyOptions::default()),
        (
            "openstack",
            1,
            "stubborn + symmetry",
            VerifyOptions::default(),
        ),
    ];
    for (example, n, name, options) in cases {
        if !full && (*example != "cps" || *n != 1 || *name != "stubborn + symmetry") {
            continue;
        }
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../examples/{example}.blt"));
        let mut d = Diagnostics::default();
        let program = load_path(&root, &mut d).expect("example");
        let analysis = analyze(
            &program,
            &Options {
                defines: vec![("n".into(), n.to_string())],
            },
            &mut d,
        );
        let goal = analysis.goal("update").expect("goal").clone();
        let planned = plan(&analysis.model, &goal).expect("plannable");
        let v = verify(
            &analysis.model,
            &planned.problem,
            &goal,
            &planned.plan,
            options,
        );
        println!(
            "| {example} update | {n} | {name} | {} | {} | {:.2} | {:.0} | {} |",
            v.states,
            v.transitions,
            v.seconds,
            v.rate(),
            match &v.failure {
                None => "yes".to_string(),
                Some(f) => format!("NO ({})", f.property.name()),
            }
        );
        assert!(v.verified() || !full, "{example} n = {n} not verified");
    }
    println!("\nFor reference: the published Maude formalization explored 11,145 states for the CPS update, n = 1, in about 3.5 s.");
}
