//! Site agents under faults, in this process (issue 6): every site of the
//! CPS update (n = 3) runs as an [`Agent`] as `balletc agent --once` does
//! (checkpoints on disk before each event's effects, a durable transport),
//! over the in-memory test transport of `net::testing`, and every
//! transition has an action that appends its `BALLET_EXECUTION` to a log
//! (`fixtures/faults/cps_logged.blt`). Each run must end with
//!
//! - every agent finished by itself (the `--once` termination protocol);
//! - the simulator's final state, both in the agents' VMs and in the
//!   checkpoint files left on disk (each one present and decodable: none
//!   lost or corrupted);
//! - exactly the simulator's transition executions in the log: without a
//!   crash each identity exactly once, with crashes re-runs only as repeats
//!   of an identity (a killed agent re-runs what was running).
//!
//! The faults: kill -9 of a random agent after a random number of its
//! events, 50 seeded repetitions (a crash drops the agent's runtime with its
//! tasks and actions, once writes already under way have landed, which is
//! what `kill -9` leaves: the checkpoint on disk and the transport's last
//! recorded state; the agent then restarts from them as `balletc agent`
//! does); message loss, duplication, reordering and delay (several seeds);
//! a site partitioned then healed; a peer down at the start then up; a peer
//! crashed and brought back only once the others stalled. Real processes
//! killed with SIGKILL, 50 times too, are in `compiler/tests/agent_faults.rs`.
//!
//! The same harness runs `fixtures/faults/two_providers_logged` (a
//! hand-written plan whose run makes a provider revoke an unused
//! confirmation) killed at random points and over a hostile network.
//!
//! Nothing sleeps to synchronize: the tests wait for events (an agent's
//! k-th progress report, its end) or for the network's counters, each wait
//! bounded by [`LIMIT`]. A failing run names its seed; `FAULT_SEED=<seed>`
//! runs only that seed of the repeated tests.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use ballet_compiler::plan::plan;
use ballet_compiler::plan::problem::Problem;
use ballet_compiler::plan::text::parse_plan;
use ballet_compiler::run::{executions, plan_images, FinalState};
use ballet_runtime::agent::{
    Agent, AgentCheckpoint, AgentConfig, AgentEnd, CancellationToken, Ending, Exit, Hooks, Store,
};
use ballet_runtime::bytecode::SiteImage;
use ballet_runtime::net::testing::{Faults, Network};
use ballet_runtime::net::Snapshot;
use ballet_runtime::program::Plan;
use ballet_runtime::simulate::simulate;
use ballet_runtime::vm::{ExecConfig, RunEvent, SiteVm};
use ballet_runtime::{Model, SiteId};
use ballet_tests::example_goal;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};

/// The bound of every wait.
const LIMIT: Duration = Duration::from_secs(30);

/// Loss, duplication, reordering and delay, all at once.
const HOSTILE: Faults = Faults {
    drop: 0.2,
    duplicate: 0.2,
    reorder: 0.5,
    max_delay: 8,
};

/// A plan with logged actions, and what its simulation says a run must
/// end with.
struct Case {
    images: Vec<SiteImage>,
    expected: FinalState,
    executions: BTreeSet<String>,
}

impl Case {
    fn new(model: &Model, problem: &Problem, plan: &Plan) -> Case {
        let run = simulate(model, plan, problem.start_system(model, plan));
        assert!(run.deadlock.is_none(), "the plan runs to its end");
        let ids = executions(model, plan, &run);
        let executions: BTreeSet<String> = ids.iter().cloned().collect();
        assert_eq!(
            executions.len(),
            ids.len(),
            "an identity names two executions: {ids:?}"
        );
        Case {
            images: plan_images(model, problem, plan),
            expected: FinalState::of_system(model, plan, &run.system),
            executions,
        }
    }
}

/// The planned CPS update (n = 3) with logged actions.
fn case() -> &'static Case {
    static CASE: OnceLock<Case> = OnceLock::new();
    CASE.get_or_init(|| {
        let (model, goal) = example_goal(
            "tests/fixtures/faults/cps_logged.blt",
            "update",
            &[("n", "3")],
        );
        let planned = plan(&model, &goal).expect("the CPS update plans");
        Case::new(&model, &planned.problem, &planned.plan)
    })
}

/// `tests/fixtures/faults/two_providers_logged`: a hand-written plan where
/// a provider revokes an unused confirmation and sites learn of a
/// connection from the other endpoint's `con` (the facts `Revoke` and
/// `Connected`, ARCHITECTURE.md "Message deliveries").
fn two_providers() -> &'static Case {
    static CASE: OnceLock<Case> = OnceLock::new();
    CASE.get_or_init(|| {
        let path = "tests/fixtures/faults/two_providers_logged";
        let (model, goal) = example_goal(&format!("{path}.blt"), "g", &[]);
        let problem = Problem::new(&model, &goal).expect("a problem");
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let text = std::fs::read_to_string(root.join(format!("{path}.plan"))).expect("the plan");
        let plan = parse_plan(&model, &problem.universe, &text).expect("a valid plan");
        Case::new(&model, &problem, &plan)
    })
}

/// SplitMix64, for the seeded choices of the tests.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) % n.max(1)
    }
}

/// The seeds of a repeated test, or only `FAULT_SEED`.
fn seeds(all: std::ops::RangeInclusive<u64>) -> Vec<u64> {
    match std::env::var("FAULT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
    {
        Some(seed) if all.contains(&seed) => vec![seed],
        Some(_) => Vec::new(),
        None => all.collect(),
    }
}

/// What the agents tell the test.
enum Note {
    Event(SiteId, u32, RunEvent),
    Ended(SiteId, u32, Box<AgentEnd>),
}

/// One incarnation of an agent: its own runtime, so that a crash stops its
/// loop, its actions and its transitions at once.
struct Node {
    runtime: Option<tokio::runtime::Runtime>,
}

impl Drop for Node {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// Every site of the case as an agent over one test network.
struct Cluster {
    what: String,
    case: &'static Case,
    dir: PathBuf,
    net: Network,
    nodes: Vec<Option<Node>>,
    incarnation: Vec<u32>,
    /// Progress reports of each site's current incarnation.
    progress: Vec<u32>,
    /// Each site's last progress report, for failure messages.
    last: Vec<Option<ballet_runtime::vm::SiteProgress>>,
    ends: Vec<Option<AgentEnd>>,
    crashes: u32,
    notes_tx: UnboundedSender<Note>,
    notes: UnboundedReceiver<Note>,
}

impl Cluster {
    /// A cluster whose network has `faults` drawn from `seed`; no agent
    /// runs yet. Must be called on a tokio runtime (the network's driver).
    fn new(what: String, seed: u64, faults: Faults) -> Cluster {
        Cluster::of(case(), what, seed, faults)
    }

    /// [`Cluster::new`] for another case.
    fn of(case: &'static Case, what: String, seed: u64, faults: Faults) -> Cluster {
        let sites = case.images.len();
        let dir = std::env::temp_dir().join(format!(
            "ballet-faults-{}-{}",
            std::process::id(),
            what.replace(' ', "-")
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a scratch directory");
        let (notes_tx, notes) = unbounded_channel();
        Cluster {
            what,
            case,
            dir,
            net: Network::new(sites, seed, faults),
            nodes: (0..sites).map(|_| None).collect(),
            incarnation: vec![0; sites],
            progress: vec![0; sites],
            last: vec![None; sites],
            ends: (0..sites).map(|_| None).collect(),
            crashes: 0,
            notes_tx,
            notes,
        }
    }

    fn sites(&self) -> impl Iterator<Item = SiteId> {
        (0..self.nodes.len()).map(SiteId::from_index)
    }

    fn name(&self, site: SiteId) -> &str {
        self.case.images[site.index()].site_name()
    }

    fn checkpoint_path(&self, site: SiteId) -> PathBuf {
        self.dir
            .join("state")
            .join(self.name(site))
            .join("agent.ckpt")
    }

    fn log(&self) -> PathBuf {
        self.dir.join("executions.log")
    }

    /// Starts `site`'s agent as `balletc agent` does: from its checkpoint
    /// on disk if there is one (the transport's state `snapshot` renumbered),
    /// fresh otherwise.
    fn start(&mut self, site: SiteId, snapshot: Option<Snapshot>) {
        let image = self.case.images[site.index()].clone();
        let path = self.checkpoint_path(site);
        let checkpoint = AgentCheckpoint::read(&path)
            .unwrap_or_else(|e| panic!("{}: a corrupt checkpoint: {e}", self.what));
        let (agent, from) = match checkpoint {
            Some(c) => (
                Agent::restore(image, c).expect("the checkpoint restores"),
                snapshot.map(Snapshot::renumbered),
            ),
            None => (Agent::new(SiteVm::new(image)), snapshot),
        };
        let (sender, receiver) = self.net.durable_node(site, from).expect("a node");
        let config = AgentConfig {
            exec: ExecConfig {
                unit: Duration::from_millis(1),
                timeout: LIMIT,
                log_dir: self.dir.join("logs"),
                parameters: BTreeMap::from([("log".to_string(), self.log().display().to_string())]),
            },
            store: Store::Durable(path),
            durable_net: true,
            peers: self.sites().filter(|&s| s != site).collect(),
            exit: Exit::WhenFinished,
        };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a runtime");
        self.incarnation[site.index()] += 1;
        self.progress[site.index()] = 0;
        let incarnation = self.incarnation[site.index()];
        let (events, mut events_rx) = unbounded_channel();
        let notes = self.notes_tx.clone();
        runtime.spawn(async move {
            while let Some(e) = events_rx.recv().await {
                let _ = notes.send(Note::Event(site, incarnation, e));
            }
        });
        let notes = self.notes_tx.clone();
        let hooks = Hooks {
            events: Some(events),
            work: None,
        };
        runtime.spawn(async move {
            let end = agent
                .run(sender, receiver, config, hooks, CancellationToken::new())
                .await;
            let _ = notes.send(Note::Ended(site, incarnation, Box::new(end)));
        });
        self.nodes[site.index()] = Some(Node {
            runtime: Some(runtime),
        });
    }

    fn start_all(&mut self) {
        for site in self.sites().collect::<Vec<_>>() {
            self.start(site, None);
        }
    }

    /// Kills `site`'s agent as `kill -9` would: its loop, transitions and
    /// actions stop; a checkpoint write under way lands (it is atomic: a
    /// killed process leaves the old file or the new one). Returns the
    /// transport's last recorded state.
    async fn crash(&mut self, site: SiteId) -> Option<Snapshot> {
        let runtime = self.nodes[site.index()]
            .take()
            .and_then(|mut n| n.runtime.take())
            .expect("the agent runs");
        let (tx, rx) = tokio::sync::oneshot::channel();
        std::thread::spawn(move || {
            runtime.shutdown_timeout(LIMIT);
            let _ = tx.send(());
        });
        tokio::time::timeout(LIMIT, rx)
            .await
            .expect("the crashed agent stops")
            .expect("the crashing thread answers");
        self.crashes += 1;
        self.net.crash(site)
    }

    fn ended(&self) -> bool {
        self.ends.iter().all(Option::is_some)
    }

    /// Handles the next note; `false` once every agent has ended.
    async fn step(&mut self) -> bool {
        if self.ended() {
            return false;
        }
        let note = tokio::time::timeout(LIMIT, self.notes.recv())
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "{}: the run did not end in {LIMIT:?}; ended: {:?}; progress: {:?}; last reports: {:#?}; network: {:?}",
                    self.what,
                    self.ends.iter().map(Option::is_some).collect::<Vec<_>>(),
                    self.progress,
                    self.last,
                    self.net.stats()
                )
            })
            .expect("the cluster holds a sender");
        match note {
            Note::Event(site, inc, event) if inc == self.incarnation[site.index()] => match event {
                RunEvent::Progress(p) => {
                    self.progress[site.index()] += 1;
                    self.last[site.index()] = Some(p);
                }
                RunEvent::Failure(f) => panic!("{}: {f:?}", self.what),
                RunEvent::CheckpointError(e) => panic!("{}: {e}", self.what),
            },
            Note::Ended(site, inc, end) if inc == self.incarnation[site.index()] => {
                assert_eq!(
                    end.ending,
                    Ending::Finished,
                    "{}: site {} did not finish",
                    self.what,
                    self.name(site)
                );
                self.ends[site.index()] = Some(*end);
            }
            _ => {}
        }
        true
    }

    /// Handles notes until `site` has made `k` progress reports; `false`
    /// if every agent ended first.
    async fn until_progress(&mut self, site: SiteId, k: u32) -> bool {
        while self.progress[site.index()] < k {
            if !self.step().await {
                return false;
            }
        }
        true
    }

    /// Waits until the network has gone quiet `rounds` more times (nothing
    /// in flight, so it retransmitted): the others have stalled.
    async fn until_stalled(&mut self, rounds: u64) {
        let want = self.net.stats().retransmissions + rounds;
        let deadline = Instant::now() + LIMIT;
        while self.net.stats().retransmissions < want {
            assert!(
                Instant::now() < deadline,
                "{}: the network never went quiet",
                self.what
            );
            // Polls the network's counter; the notes wait in their channel.
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    /// Runs to the end and checks the run (see the module documentation).
    async fn finish(mut self) {
        while self.step().await {}
        let what = &self.what;
        let expected = &self.case.expected;
        let vms: Vec<SiteVm> = self.ends.iter().flatten().map(|e| e.vm.clone()).collect();
        assert!(vms.iter().all(SiteVm::done), "{what}: a site is not done");
        assert_eq!(&FinalState::of_vms(&vms), expected, "{what}: final state");
        // Every checkpoint on disk decodes, restores and holds the end.
        let saved: Vec<SiteVm> = self
            .sites()
            .map(|site| {
                let c = AgentCheckpoint::read(&self.checkpoint_path(site))
                    .unwrap_or_else(|e| panic!("{what}: {e}"))
                    .unwrap_or_else(|| panic!("{what}: no checkpoint of {}", self.name(site)));
                let image = self.case.images[site.index()].clone();
                Agent::restore(image, c)
                    .unwrap_or_else(|e| panic!("{what}: {e}"))
                    .vm()
                    .clone()
            })
            .collect();
        assert_eq!(
            &FinalState::of_vms(&saved),
            expected,
            "{what}: the checkpoints on disk"
        );
        // Executions: the simulator's, each once, or repeated by a re-run.
        let log = std::fs::read_to_string(self.log()).unwrap_or_default();
        let mut counts: BTreeMap<&str, u32> = BTreeMap::new();
        for line in log.lines() {
            *counts.entry(line).or_default() += 1;
        }
        let seen: BTreeSet<String> = counts.keys().map(|s| s.to_string()).collect();
        let want = &self.case.executions;
        assert!(
            &seen == want,
            "{what}: executions differ from the simulator's\n missing: {:?}\n extra: {:?}",
            want.difference(&seen).collect::<Vec<_>>(),
            seen.difference(want).collect::<Vec<_>>()
        );
        let repeated: Vec<_> = counts.iter().filter(|(_, &n)| n > 1).collect();
        if self.crashes == 0 {
            assert!(
                repeated.is_empty(),
                "{what}: re-run without a crash: {repeated:?}"
            );
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// One repetition of the kill test: a random site killed after a random
/// number of its events (1 to 8) and restarted at once.
async fn killed_and_restarted(seed: u64, faults: Faults) -> bool {
    killed_and_restarted_in(case(), "kill", seed, faults).await
}

/// [`killed_and_restarted`] for another case.
async fn killed_and_restarted_in(
    case: &'static Case,
    what: &str,
    seed: u64,
    faults: Faults,
) -> bool {
    let mut rng = Rng(seed);
    let mut c = Cluster::of(case, format!("{what} seed {seed}"), seed, faults);
    let victim = SiteId::from_index(rng.below(c.nodes.len() as u64) as usize);
    let k = 1 + rng.below(8) as u32;
    c.start_all();
    let killed = c.until_progress(victim, k).await;
    if killed {
        let snapshot = c.crash(victim).await;
        c.start(victim, snapshot);
    }
    c.finish().await;
    killed
}

async fn kill_repetitions(seeds: Vec<u64>) {
    let mut killed = 0;
    let total = seeds.len();
    for seed in seeds {
        killed += u32::from(killed_and_restarted(seed, Faults::default()).await);
    }
    // Most repetitions kill before the victim is done.
    assert!(
        killed as usize * 4 >= total * 3,
        "{killed} of {total} killed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn kill_9_at_random_points_seeds_1_to_25() {
    kill_repetitions(seeds(1..=25)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn kill_9_at_random_points_seeds_26_to_50() {
    kill_repetitions(seeds(26..=50)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn kill_9_over_a_hostile_network() {
    for seed in seeds(101..=103) {
        killed_and_restarted(seed, HOSTILE).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn loss_duplication_reordering_and_delay() {
    for seed in seeds(201..=205) {
        let mut c = Cluster::new(format!("hostile seed {seed}"), seed, HOSTILE);
        c.start_all();
        while c.step().await {}
        let stats = c.net.stats();
        assert!(
            stats.dropped > 0 && stats.duplicated > 0 && stats.reordered > 0,
            "seed {seed}: {stats:?}"
        );
        c.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn a_site_partitioned_then_healed() {
    for seed in seeds(301..=305) {
        let mut rng = Rng(seed);
        let mut c = Cluster::new(format!("partition seed {seed}"), seed, Faults::default());
        let victim = SiteId::from_index(rng.below(c.nodes.len() as u64) as usize);
        let k = 1 + rng.below(3) as u32;
        c.start_all();
        assert!(
            c.until_progress(victim, k).await,
            "seed {seed}: ended early"
        );
        c.net.partition(victim);
        c.until_stalled(3).await;
        let cut = c.net.stats().cut;
        c.net.heal(victim);
        c.finish().await;
        assert!(cut > 0, "seed {seed}: the partition cut nothing");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn a_peer_down_at_the_start_then_up() {
    for seed in seeds(401..=403) {
        let mut rng = Rng(seed);
        let mut c = Cluster::new(format!("late seed {seed}"), seed, Faults::default());
        let late = SiteId::from_index(rng.below(c.nodes.len() as u64) as usize);
        for site in c.sites().filter(|&s| s != late).collect::<Vec<_>>() {
            c.start(site, None);
        }
        c.until_stalled(3).await;
        c.start(late, None);
        c.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn a_peer_down_mid_run_then_up() {
    for seed in seeds(501..=503) {
        let mut rng = Rng(seed);
        let mut c = Cluster::new(format!("down seed {seed}"), seed, Faults::default());
        let victim = SiteId::from_index(rng.below(c.nodes.len() as u64) as usize);
        let k = 1 + rng.below(3) as u32;
        c.start_all();
        assert!(
            c.until_progress(victim, k).await,
            "seed {seed}: ended early"
        );
        let snapshot = c.crash(victim).await;
        c.until_stalled(3).await;
        c.start(victim, snapshot);
        c.finish().await;
    }
}

/// The plan where a provider revokes an unused confirmation and a site
/// learns of a connection from the other endpoint's `con`, under a kill -9
/// of a random site at a random point (20 seeds), then over a hostile
/// network: same final state as the simulator, every execution once.
#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn revocations_under_kill_9_and_a_hostile_network() {
    let mut killed = 0;
    for seed in seeds(201..=220) {
        let faults = Faults::default();
        killed +=
            u32::from(killed_and_restarted_in(two_providers(), "revoke kill", seed, faults).await);
    }
    assert!(killed >= 10, "{killed} of 20 killed");
    for seed in seeds(221..=223) {
        let mut c = Cluster::of(
            two_providers(),
            format!("revoke hostile seed {seed}"),
            seed,
            HOSTILE,
        );
        c.start_all();
        c.finish().await;
    }
}
