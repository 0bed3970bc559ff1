//! Agent processes killed with SIGKILL, 50 times (issue 6): the CPS update
//! (n = 3) with an action on every transition that logs its
//! `BALLET_EXECUTION` (`tests/fixtures/faults/cps_logged.blt`), one
//! `balletc agent --once` process per site over loopback TCP. In each seeded
//! repetition a random agent is killed a random delay (under 10 ms) after
//! its k-th progress line (k from 1 to 3; each line is printed once its
//! checkpoint is on disk), so the kill lands anywhere between two
//! checkpoints, actions included, and is restarted at once. Every
//! repetition must end with every agent exiting 0, the simulator's final
//! state in the checkpoints, every checkpoint and delivery state file
//! decodable (none lost or corrupted), and exactly the simulator's
//! executions in the log (a re-run only repeats an identity). About 30 s on
//! two cores.
//!
//! `tests/faults.rs` runs the same agents in-process over the test
//! transport, with crashes, message faults and partitions. A failing
//! repetition names its seed; `FAULT_SEED=<seed>` runs only that one. Every
//! wait is bounded ([`common::LIMIT`]); children are killed on drop.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use ballet_compiler::run::{executions, FinalState};
use ballet_runtime::net::Snapshot;
use ballet_runtime::vm::SiteVm;
use common::agents::{build, final_vms, planning, site_names};
use common::{scratch, Child, ROOT};

/// Kills (one per repetition).
const REPETITIONS: u64 = 50;

fn fixture() -> String {
    format!("{ROOT}/tests/fixtures/faults/cps_logged.blt")
}

/// `balletc agent out --site SITE --once`, logging executions to `log`.
fn agent(dir: &Path, out: &Path, site: &str, log: &Path) -> Child {
    let out_s = out.display().to_string();
    let log_s = format!("log={}", log.display());
    Child::spawn(
        dir,
        &[
            "agent", &out_s, "--site", site, "--unit", "2ms", "--once", "-D", &log_s,
        ],
    )
}

/// SplitMix64, for the seeded choice of victim and kill point.
fn mix(seed: u64, k: u64) -> u64 {
    let mut z = seed.wrapping_add(k.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[test]
fn agents_killed_at_random_points_end_where_the_simulator_does() {
    let dir = scratch("agent-faults");
    let file = fixture();
    let out = build(&dir, &file, "update", &["-D", "n=3"]);
    let planned = planning(&file, "update", &[("n", "3")], None);
    let analysis = &planned.analysis;
    let want: BTreeSet<String> =
        executions(&analysis.model, &planned.planned.plan, &planned.planned.run)
            .into_iter()
            .collect();
    let expected = FinalState::of_system(
        &analysis.model,
        &planned.planned.plan,
        &planned.planned.run.system,
    );
    let sites = site_names(&out);
    let only: Option<u64> = std::env::var("FAULT_SEED")
        .ok()
        .and_then(|s| s.parse().ok());
    for seed in (1..=REPETITIONS).filter(|s| only.is_none_or(|o| o == *s)) {
        let _ = std::fs::remove_dir_all(out.join("state"));
        let log = dir.join(format!("executions-{seed}.log"));
        let victim = &sites[(mix(seed, 1) % sites.len() as u64) as usize];
        let k = 1 + mix(seed, 2) % 3;
        let delay = std::time::Duration::from_micros(mix(seed, 3) % 10_000);
        let what = format!("seed {seed} (kill {victim} {delay:?} after {k} progress lines)");
        let mut agents: Vec<(String, Child)> = sites
            .iter()
            .map(|s| (s.clone(), agent(&dir, &out, s, &log)))
            .collect();
        let (_, child) = agents
            .iter_mut()
            .find(|(s, _)| s == victim)
            .expect("the victim");
        let prefix = format!("[{victim}] ");
        for _ in 0..k {
            child.expect_line("of progress", |l| {
                l.starts_with(&prefix) && l.contains(" running: ")
            });
        }
        // Not a synchronization: where the kill lands between two
        // checkpoints (in an action, between the agent's and the
        // transport's checkpoint, ...).
        std::thread::sleep(delay);
        child.kill();
        *child = agent(&dir, &out, victim, &log);
        child.expect_line("saying it resumed", |l| l.contains("resumed from"));
        for (_, a) in &mut agents {
            a.expect_exit(0);
        }
        // No lost or corrupted checkpoint: every file decodes, and the
        // agents' checkpoints hold the simulator's final state.
        let vms = final_vms(&out);
        assert!(vms.iter().all(SiteVm::done), "{what}: a site is not done");
        assert_eq!(FinalState::of_vms(&vms), expected, "{what}");
        for site in &sites {
            let state = Snapshot::read(&out.join("state").join(site));
            assert!(
                matches!(state, Ok(Some(_))),
                "{what}: {site}'s delivery state: {state:?}"
            );
        }
        // Exactly the simulator's executions; a re-run repeats an identity.
        let text = std::fs::read_to_string(&log).expect("the execution log");
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for line in text.lines() {
            *counts.entry(line).or_default() += 1;
        }
        let seen: BTreeSet<String> = counts.keys().map(|s| s.to_string()).collect();
        assert!(
            seen == want,
            "{what}: executions differ from the simulator's\n missing: {:?}\n extra: {:?}",
            want.difference(&seen).collect::<Vec<_>>(),
            seen.difference(&want).collect::<Vec<_>>()
        );
    }
    let _ = std::fs::remove_dir_all(dir);
}
