//! The site VMs run in-process against the simulator (the oracle of
//! STYLE.md): for each reference case, the distributed run's final state
//! equals the simulator's, with an in-order transport, with one that
//! duplicates and reorders every message, and as agents over loopback TCP
//! (what `balletc run` does).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use ballet_compiler::plan::{plan, Planned};
use ballet_compiler::run::{site_images, FinalState};
use ballet_runtime::agent::{run_cluster, Agent, ClusterConfig};
use ballet_runtime::bytecode::SiteImage;
use ballet_runtime::vm::{
    run_sites, ExecConfig, Mailboxes, MemoryTransport, RunConfig, RunOutcome, SiteVm, Transport,
};
use ballet_runtime::{Model, SiteId};
use ballet_tests::example_goal;

fn planned(path: &str, goal: &str, n: usize) -> (Model, Planned) {
    let (model, g) = example_goal(path, goal, &[("n", &n.to_string())]);
    let planned = plan(&model, &g).unwrap_or_else(|e| panic!("{path} {goal}: {e:?}"));
    (model, planned)
}

fn config() -> RunConfig {
    RunConfig {
        exec: ExecConfig {
            unit: Duration::from_millis(1),
            ..ExecConfig::default()
        },
        checkpoint_dir: None,
    }
}

fn run_with<T: Transport>(
    images: Vec<SiteImage>,
    transport: impl FnOnce(Mailboxes) -> T,
) -> RunOutcome {
    let vms: Vec<SiteVm> = images.into_iter().map(SiteVm::new).collect();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let outcome = runtime.block_on(async {
        tokio::time::timeout(
            Duration::from_secs(60),
            run_sites(vms, Vec::new(), transport, config(), |_| {}),
        )
        .await
    });
    outcome.expect("the run ends").expect("the run starts")
}

/// Every site as an agent over loopback TCP.
fn run_tcp(images: Vec<SiteImage>) -> RunOutcome {
    let agents: Vec<Agent> = images
        .into_iter()
        .map(|image| Agent::new(SiteVm::new(image)))
        .collect();
    let config = ClusterConfig {
        exec: config().exec,
        ..ClusterConfig::default()
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let outcome = runtime.block_on(async {
        tokio::time::timeout(Duration::from_secs(60), run_cluster(agents, config, |_| {})).await
    });
    outcome.expect("the run ends").expect("the run starts")
}

/// Delivers every message after a pseudo-random number of scheduler turns
/// (so messages overtake each other) and a third of them twice.
struct Faulty {
    mailboxes: Mailboxes,
    seed: AtomicU64,
    duplicated: Arc<AtomicU64>,
}

impl Faulty {
    fn next(&self) -> u64 {
        let x = self
            .seed
            .fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed)
            .wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

impl Transport for Faulty {
    fn send(&self, to: SiteId, payload: Vec<u8>) {
        let copies = if self.next().is_multiple_of(3) { 2 } else { 1 };
        if copies == 2 {
            self.duplicated.fetch_add(1, Ordering::Relaxed);
        }
        for _ in 0..copies {
            let reservation = self.mailboxes.reserve();
            let turns = self.next() % 16;
            let payload = payload.clone();
            tokio::spawn(async move {
                for _ in 0..turns {
                    tokio::task::yield_now().await;
                }
                reservation.deliver(to, payload);
            });
        }
    }
}

fn check(path: &str, goal: &str, n: usize) {
    let (model, planned) = planned(path, goal, n);
    let expected = FinalState::of_system(&model, &planned.plan, &planned.run.system);
    let what = format!("{path} {goal} n={n}");
    check_images(
        &what,
        &|| site_images(&model, &planned),
        &expected,
        n as u64,
    );
}

/// Runs the images `images` makes in process (in-order transport, then one
/// that duplicates and reorders), then as agents over TCP: every run ends
/// done, at `expected`.
fn check_images(what: &str, images: &dyn Fn() -> Vec<SiteImage>, expected: &FinalState, seed: u64) {
    let outcome = run_with(images(), MemoryTransport);
    assert!(
        outcome.failures.is_empty(),
        "{what}: {:?}",
        outcome.failures
    );
    assert!(outcome.done(), "{what}: not every site is done");
    assert_eq!(&FinalState::of_vms(&outcome.vms), expected, "{what}");

    let duplicated = Arc::new(AtomicU64::new(0));
    let outcome = run_with(images(), |mailboxes| Faulty {
        mailboxes,
        seed: AtomicU64::new(seed * 7919),
        duplicated: duplicated.clone(),
    });
    assert!(
        outcome.done(),
        "{what}, faulty transport: not every site is done"
    );
    assert_eq!(
        &FinalState::of_vms(&outcome.vms),
        expected,
        "{what}, faulty transport"
    );
    if outcome.messages > 3 {
        assert!(
            duplicated.load(Ordering::Relaxed) > 0,
            "{what}: no duplicate injected"
        );
    }

    let outcome = run_tcp(images());
    assert!(
        outcome.failures.is_empty(),
        "{what}, TCP: {:?}",
        outcome.failures
    );
    assert!(outcome.done(), "{what}, TCP: not every site is done");
    assert_eq!(&FinalState::of_vms(&outcome.vms), expected, "{what}, TCP");
}

/// The plans the site VMs once deadlocked on (`tests/fixtures/verify/`,
/// ARCHITECTURE.md "Message deliveries"), run for real: with these
/// durations the client of `two_providers` holds the bouncer's
/// confirmation when the bouncer wants to leave (it is revoked), and the
/// client of `connect_late` needs the connection before its own `con`.
#[test]
fn the_plans_the_vms_once_deadlocked_on_run_to_the_end() {
    use ballet_compiler::plan::problem::Problem;
    use ballet_compiler::plan::text::parse_plan;
    use ballet_compiler::run::plan_images;
    use ballet_runtime::simulate::simulate;
    for (name, goal) in [("connect_late", "link"), ("two_providers", "g")] {
        let path = format!("tests/fixtures/verify/{name}");
        let (model, g) = example_goal(&format!("{path}.blt"), goal, &[]);
        let problem = Problem::new(&model, &g).expect("a problem");
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let text = std::fs::read_to_string(root.join(format!("{path}.plan"))).expect("the plan");
        let plan = parse_plan(&model, &problem.universe, &text).expect("a valid plan");
        let simulated = simulate(&model, &plan, problem.start_system(&model, &plan));
        assert!(simulated.deadlock.is_none(), "{name}: the simulator ends");
        let expected = FinalState::of_system(&model, &plan, &simulated.system);
        let images = || plan_images(&model, &problem, &plan);
        check_images(name, &images, &expected, 1);
    }
}

#[test]
fn cps_deploy_ends_where_the_simulator_does() {
    check("examples/cps.blt", "deploy", 2);
}

#[test]
fn cps_update_ends_where_the_simulator_does() {
    check("examples/cps.blt", "update", 2);
}

#[test]
fn openstack_deploy_ends_where_the_simulator_does() {
    check("examples/openstack.blt", "deploy", 1);
}

#[test]
fn openstack_update_ends_where_the_simulator_does() {
    check("examples/openstack.blt", "update", 1);
}

/// An in-process run links each site only to its neighbours, symmetrically:
/// in the CPS update, sensor sites talk to `system` (and `database` only if
/// they refer to it), never to each other.
#[test]
fn sites_link_to_their_neighbours_only() {
    use ballet_runtime::agent::neighbors::neighbors;
    let (model, planned) = planned("examples/cps.blt", "update", 3);
    let images = site_images(&model, &planned);
    let refs: Vec<_> = images.iter().collect();
    let n = neighbors(&refs);
    let site = |name: &str| {
        SiteId::from_index(
            planned
                .plan
                .universe
                .sites
                .iter()
                .position(|s| s.name == name)
                .expect("site"),
        )
    };
    for (k, set) in n.iter().enumerate() {
        for other in set {
            assert!(
                n[other.index()].contains(&SiteId::from_index(k)),
                "not symmetric"
            );
        }
    }
    let sensor0 = site("sensor_0");
    assert!(n[sensor0.index()].contains(&site("system")));
    assert!(!n[sensor0.index()].contains(&site("sensor_1")));
    assert!(n[site("system").index()].len() >= 4);
}
