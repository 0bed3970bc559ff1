//! Oracles for the planner on small random systems (2–5 instances of random
//! lifecycles, random connections and goals), generated as `.blt` text and
//! taken through the real checker:
//!
//! - the local search against brute-force enumeration of behavior sequences
//!   (same constraints): same optimal duration, same infeasibility verdict;
//! - the planner's verdict against a centralized, sequential controller
//!   explored exhaustively with the semantics (push one behavior on one
//!   instance, let it run to its end with every guard enforced, repeat):
//!   whenever that controller can reach the goal, the planner must find a
//!   plan; every plan the planner finds is simulated and checked against the
//!   goal by the planner itself;
//! - the planner's makespan against the optimum over plans of pushes and
//!   waits correct under every interleaving, found by an exhaustive timed
//!   search executed with the simulator, its witnesses judged with the
//!   verifier's exploration (`ballet_tests::optimal`): equal, and the same
//!   infeasibility verdicts, on random systems of 2–6 instances.

use std::collections::{HashSet, VecDeque};

use ballet_compiler::check::{analyze, Options};
use ballet_compiler::diagnostic::Diagnostics;
use ballet_compiler::load::{load, Origin};
use ballet_compiler::plan::automaton::explore;
use ballet_compiler::plan::local::{deactivations, enters, port_on, search, LocalGoal};
use ballet_compiler::plan::problem::Problem;
use ballet_compiler::plan::{plan, PlanError};
use ballet_runtime::bitset::BitSet;
use ballet_runtime::program::{Instruction, Plan};
use ballet_runtime::semantics::System;
use ballet_runtime::simulate::simulate;
use ballet_runtime::{
    BehaviorId, ComponentType, Cost, Goal, InstanceId, Model, PlaceId, PortId, PortKind,
};
use ballet_tests::optimal::{
    correct_below, judge, optimal_makespan, Below, Judgement, Optimum, Search,
};
use ballet_tests::random::{checked, random_program, Rng};

/// Brute force: the best (duration, length) over every behavior sequence of
/// at most `depth` behaviors meeting `goal` (same rules as the search).
fn brute_force(
    ty: &ComponentType,
    start: PlaceId,
    model: &Model,
    tid: ballet_runtime::TypeId,
    goal: &LocalGoal,
    depth: usize,
) -> Option<(Cost, usize)> {
    let mut marking = BitSet::default();
    marking.insert(start.index());
    let a = explore(model, tid, marking);
    let meets = |s: usize| goal.meet.iter().all(|&p| !port_on(ty, &a.states[s], p));
    let accepts = |s: usize, done: &[BehaviorId]| {
        let m = &a.states[s];
        goal.behaviors.iter().all(|b| done.contains(b))
            && goal
                .place
                .is_none_or(|p| m.len() == 1 && m.contains(p.index()))
            && goal.ports.iter().all(|&(p, on)| port_on(ty, m, p) == on)
    };
    let serving = |s: usize| -> Vec<PortId> {
        goal.serve
            .iter()
            .copied()
            .filter(|&p| port_on(ty, &a.states[s], p))
            .collect()
    };
    let mut best: Option<(Cost, usize)> = None;
    let mut stack = vec![(
        0usize,
        Cost::ZERO,
        Vec::<BehaviorId>::new(),
        meets(0),
        serving(0),
    )];
    while let Some((s, cost, done, met, served)) = stack.pop() {
        let all_served = goal.serve.iter().all(|p| served.contains(p));
        if met && all_served && accepts(s, &done) && best.is_none_or(|b| (cost, done.len()) < b) {
            best = Some((cost, done.len()));
        }
        if done.len() == depth {
            continue;
        }
        for &e in &a.out[s] {
            let edge = &a.edges[e];
            let enters_use = ty.ports.iter().enumerate().any(|(p, port)| {
                port.kind == PortKind::Use && enters(ty, &a, edge, PortId::from_index(p))
            });
            if !met && enters_use {
                continue;
            }
            if goal.unconnected.iter().any(|&p| enters(ty, &a, edge, p))
                || goal
                    .keep
                    .iter()
                    .any(|&p| deactivations(ty, &a, edge, p) > 0)
                || goal
                    .serve
                    .iter()
                    .any(|p| !served.contains(p) && deactivations(ty, &a, edge, *p) > 0)
            {
                continue;
            }
            let mut next = done.clone();
            next.push(edge.behavior);
            let mut now_served = served.clone();
            now_served.extend(serving(edge.to));
            stack.push((
                edge.to,
                cost + edge.duration,
                next,
                met || meets(edge.to),
                now_served,
            ));
        }
    }
    best
}

#[test]
fn local_search_equals_brute_force_on_random_lifecycles() {
    let mut compared = 0;
    let mut infeasible = 0;
    for seed in 0..300u64 {
        let Some((model, goal)) = checked(&random_program(seed)) else {
            continue;
        };
        for (i, inst) in goal.start.instances.iter().enumerate() {
            let ty = model.ty(inst.ty);
            let start = goal.start_places[i];
            let mut rng = Rng(seed * 31 + i as u64);
            let use_ports: Vec<PortId> = (0..ty.ports.len())
                .map(PortId::from_index)
                .filter(|&p| ty.port(p).kind == PortKind::Use)
                .collect();
            let local = LocalGoal {
                behaviors: goal
                    .behaviors
                    .iter()
                    .filter(|b| b.instance.index() == i)
                    .map(|b| b.behavior)
                    .collect(),
                place: goal
                    .states
                    .iter()
                    .find(|s| s.instance.index() == i)
                    .map(|s| s.place),
                ports: Vec::new(),
                meet: use_ports
                    .iter()
                    .copied()
                    .filter(|_| rng.below(2) == 0)
                    .collect(),
                unconnected: use_ports
                    .into_iter()
                    .filter(|_| rng.below(3) == 0)
                    .collect(),
                serve: (0..ty.ports.len())
                    .map(PortId::from_index)
                    .filter(|&p| ty.port(p).kind == PortKind::Provide && rng.below(3) == 0)
                    .collect(),
                keep: (0..ty.ports.len())
                    .map(PortId::from_index)
                    .filter(|&p| ty.port(p).kind == PortKind::Provide && rng.below(3) == 0)
                    .collect(),
                timing: Vec::new(),
            };
            let mut marking = BitSet::default();
            marking.insert(start.index());
            let a = explore(&model, inst.ty, marking);
            let found = search(ty, &a, &local).map(|p| (p.duration, p.behaviors.len()));
            let depth = 6;
            let brute = brute_force(ty, start, &model, inst.ty, &local, depth);
            match (found, brute) {
                (Some(f), Some(b)) if f.1 <= depth => assert_eq!(f, b, "seed {seed} c{i}"),
                (Some(f), Some(b)) => {
                    assert!(b >= f, "seed {seed} c{i}: brute force beat the search")
                }
                (Some(f), None) => assert!(
                    f.1 > depth,
                    "seed {seed} c{i}: brute force missed a short plan"
                ),
                (None, Some(b)) => {
                    panic!("seed {seed} c{i}: search says infeasible, brute force found {b:?}")
                }
                (None, None) => infeasible += 1,
            }
            compared += 1;
        }
    }
    assert!(compared > 300, "only {compared} instances compared");
    assert!(infeasible > 0, "no infeasible case exercised");
}

/// Whether a centralized controller that pushes one behavior at a time and
/// lets it finish (every guard enforced) can reach the goal; `None` when the
/// state space is too large to decide here.
fn sequential_controller_reaches(model: &Model, goal: &Goal) -> Option<bool> {
    let Ok(problem) = Problem::new(model, goal) else {
        return Some(false);
    };
    let n = problem.universe.instances.len();
    let required: Vec<(InstanceId, BehaviorId)> = goal
        .behaviors
        .iter()
        .map(|b| (b.instance, b.behavior))
        .collect();
    let start = problem
        .start_places
        .iter()
        .map(|p| p.expect("no added instances"))
        .collect::<Vec<PlaceId>>();
    let satisfied = |places: &[BitSet], done: u64| {
        done.count_ones() as usize == required.len()
            && problem.goals.iter().enumerate().all(|(i, own)| {
                let ty = model.ty(problem.universe.instances[i].ty);
                let m = &places[i];
                own.place
                    .is_none_or(|(p, _)| m.len() == 1 && m.contains(p.index()))
                    && own.ports.iter().all(|&(p, on, _)| port_on(ty, m, p) == on)
            })
    };
    let initial: Vec<BitSet> = start
        .iter()
        .map(|p| {
            let mut m = BitSet::default();
            m.insert(p.index());
            m
        })
        .collect();
    let mut seen: HashSet<(Vec<BitSet>, u64)> = HashSet::new();
    let mut queue = VecDeque::from([(initial, 0u64)]);
    while let Some((places, done)) = queue.pop_front() {
        if !seen.insert((places.clone(), done)) {
            continue;
        }
        if satisfied(&places, done) {
            return Some(true);
        }
        if seen.len() > 20_000 {
            return None;
        }
        for i in 0..n {
            let ty = model.ty(problem.universe.instances[i].ty);
            for b in 0..ty.behaviors.len() {
                let b = BehaviorId::from_index(b);
                let plan = Plan {
                    universe: problem.universe.clone(),
                    programs: vec![vec![Instruction::PushB(InstanceId::from_index(i), b)]],
                };
                let mut system = problem.start_system(model, &plan);
                for (k, m) in places.iter().enumerate() {
                    if let Some(s) = &mut system.states[k] {
                        s.marked = m.clone();
                    }
                }
                let run = simulate(model, &plan, system);
                if run.deadlock.is_some() {
                    continue;
                }
                let after: Vec<BitSet> = run
                    .system
                    .states
                    .iter()
                    .map(|s| s.as_ref().map(|s| s.marked.clone()).unwrap_or_default())
                    .collect();
                if after == places {
                    continue;
                }
                let bit = required
                    .iter()
                    .position(|&(c, r)| c.index() == i && r == b)
                    .map_or(0, |k| 1u64 << k);
                queue.push_back((after, done | bit));
            }
        }
    }
    Some(false)
}

#[test]
fn planner_finds_a_plan_whenever_a_sequential_controller_can() {
    let (mut planned, mut refused) = (0, 0);
    for seed in 0..1000u64 {
        let Some((model, goal)) = checked(&random_program(seed)) else {
            continue;
        };
        match plan(&model, &goal) {
            Ok(_) => planned += 1,
            Err(PlanError::Infeasible(_)) => {
                refused += 1;
                assert!(
                    sequential_controller_reaches(&model, &goal) != Some(true),
                    "seed {seed}: the planner says infeasible but a sequential controller reaches the goal:\n{}",
                    random_program(seed)
                );
            }
            Err(e) => panic!("seed {seed}: {e:?}\n{}", random_program(seed)),
        }
    }
    assert!(
        planned > 50 && refused > 50,
        "planned {planned}, refused {refused}"
    );
}

/// Every plan the planner finds on small random systems is correct under
/// every interleaving and every duration: no reachable deadlock, and every
/// reachable final state reaches the goal (exhaustive exploration of the
/// semantics, no reduction).
#[test]
fn every_interleaving_of_planned_random_systems_reaches_the_goal() {
    use ballet_compiler::plan::validate::reached_state;
    use ballet_runtime::explore::explore;
    let (mut proved, mut too_large) = (0, 0);
    for seed in 0..300u64 {
        let Some((model, goal)) = checked(&random_program(seed)) else {
            continue;
        };
        let Ok(planned) = plan(&model, &goal) else {
            continue;
        };
        let start = planned.problem.start_system(&model, &planned.plan);
        let all = explore(&model, &planned.plan, start, 50_000, true);
        if all.truncated {
            too_large += 1;
            continue;
        }
        assert!(
            all.deadlocks.is_empty(),
            "seed {seed}: a deadlock is reachable:\n{}",
            random_program(seed)
        );
        for last in &all.finals {
            if let Err(why) = reached_state(&model, &planned.problem, &goal, last) {
                panic!(
                    "seed {seed}: a final state misses the goal: {why}\n{}",
                    random_program(seed)
                );
            }
        }
        proved += 1;
    }
    assert!(proved > 40, "proved {proved}, too large {too_large}");
}

/// The partial-order reduction keeps every reachable deadlock and final
/// state: reduced and full explorations agree on random plans (planned, and
/// naive ones that push every goal behavior everywhere at once, which do
/// deadlock).
#[test]
fn reduced_exploration_finds_the_same_deadlocks_and_final_states() {
    use ballet_runtime::explore::explore;
    let mut compared = 0;
    let mut with_deadlock = 0;
    for seed in 0..200u64 {
        let Some((model, goal)) = checked(&random_program(seed)) else {
            continue;
        };
        let Ok(problem) = Problem::new(&model, &goal) else {
            continue;
        };
        // A naive plan: every required behavior pushed on one site, no waits.
        let programs = vec![goal
            .behaviors
            .iter()
            .map(|b| Instruction::PushB(b.instance, b.behavior))
            .collect::<Vec<_>>()];
        let mut universe = problem.universe.clone();
        universe.sites.truncate(1);
        for inst in &mut universe.instances {
            inst.site = ballet_runtime::SiteId(0);
        }
        let naive = Plan { universe, programs };
        let start = problem.start_system(&model, &naive);
        let full = explore(&model, &naive, start.clone(), 100_000, false);
        let reduced = explore(&model, &naive, start, 100_000, true);
        if full.truncated || reduced.truncated {
            continue;
        }
        let states = |v: &[System]| {
            let mut k: Vec<String> = v.iter().map(|s| format!("{:?}", s.states)).collect();
            k.sort();
            k.dedup();
            k
        };
        assert_eq!(states(&full.finals), states(&reduced.finals), "seed {seed}");
        assert_eq!(
            states(&full.deadlocks),
            states(&reduced.deadlocks),
            "seed {seed}"
        );
        assert!(reduced.states <= full.states);
        with_deadlock += usize::from(!full.deadlocks.is_empty());
        compared += 1;
    }
    assert!(
        compared > 50 && with_deadlock > 5,
        "compared {compared}, with deadlock {with_deadlock}"
    );
}

/// Site planners over a real network receive messages in any order that
/// keeps each channel FIFO; the plan must not depend on it (that is how
/// `balletc apply` on the agents plans what `balletc plan` plans). Random
/// systems and the case studies, each under random delivery orders.
#[test]
fn plans_do_not_depend_on_the_order_messages_arrive_in() {
    use ballet_compiler::plan::plan_delivering;
    let mut cases: Vec<(Model, Goal, String)> = Vec::new();
    for seed in 0..300u64 {
        if let Some((model, goal)) = checked(&random_program(seed)) {
            cases.push((model, goal, format!("seed {seed}")));
        }
    }
    for (file, goal, n) in [
        ("cps", "deploy", 3),
        ("cps", "update", 3),
        ("openstack", "deploy", 2),
        ("openstack", "update", 2),
    ] {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(format!("../examples/{file}.blt"));
        let text = std::fs::read_to_string(&path).expect("example");
        let mut d = Diagnostics::default();
        let program = load(
            format!("{file}.blt"),
            text,
            Origin::Path(path.clone()),
            &mut d,
        );
        let analysis = analyze(
            &program,
            &Options {
                defines: vec![("n".into(), n.to_string())],
            },
            &mut d,
        );
        let g = analysis.goal(goal).expect("goal").clone();
        cases.push((analysis.model, g, format!("{file} {goal} n={n}")));
    }
    let mut decided = 0;
    for (k, (model, goal, name)) in cases.iter().enumerate() {
        let fifo = plan(model, goal);
        for order in 0..8u64 {
            let mut rng = Rng(k as u64 * 1000 + order);
            let other = plan_delivering(model, goal, &mut |n| rng.below(n));
            match (&fifo, &other) {
                (Ok(a), Ok(b)) => assert_eq!(a.plan, b.plan, "{name}, order {order}"),
                (Err(_), Err(_)) => {}
                _ => panic!(
                    "{name}, order {order}: verdicts differ ({} vs {})",
                    fifo.is_ok(),
                    other.is_ok()
                ),
            }
        }
        decided += usize::from(fifo.is_ok());
    }
    assert!(decided > 50, "too few plannable cases: {decided}");
}

/// Planning on the agents (`plan::session`): the operator's `Start`s and
/// the planners' messages delivered in random orders (FIFO per channel),
/// with sites starting at random moments. The operator must learn that the
/// exchange is over exactly when nothing is left in transit, and the sites'
/// programs must be `balletc plan`'s.
#[test]
fn sessions_on_agents_plan_what_plan_plans_and_know_when_it_is_over() {
    use ballet_compiler::plan::automaton::AutomatonCache;
    use ballet_compiler::plan::network::take;
    use ballet_compiler::plan::protocol::{Envelope, Message};
    use ballet_compiler::plan::session::{Operator, SiteSession};
    let mut checked_plans = 0;
    for seed in 0..400u64 {
        let Some((model, goal)) = checked(&random_program(seed)) else {
            continue;
        };
        let Ok(problem) = Problem::new(&model, &goal) else {
            continue;
        };
        let expected = plan(&model, &goal);
        for order in 0..4u64 {
            let mut rng = Rng(seed * 7919 + order);
            let mut cache = AutomatonCache::default();
            let sites = problem.universe.sites.len();
            let mut sessions: Vec<SiteSession<'_>> = (0..sites)
                .map(|s| {
                    SiteSession::new(
                        &model,
                        &problem,
                        ballet_runtime::SiteId::from_index(s),
                        &mut cache,
                    )
                })
                .collect();
            let mut operator = Operator::new(&problem);
            let mut queue: std::collections::VecDeque<Envelope> = (0..sites)
                .map(|s| Envelope {
                    from: operator.id(),
                    to: ballet_runtime::SiteId::from_index(s),
                    message: Message::Propose(Vec::new()),
                })
                .collect();
            let mut delivered = 0;
            while !queue.is_empty() {
                assert!(
                    !operator.settled(),
                    "seed {seed}: settled with messages in transit"
                );
                let Some(e) = take(&mut queue, Some(&mut |n| rng.below(n))) else {
                    break;
                };
                delivered += 1;
                assert!(
                    delivered < 100_000,
                    "seed {seed}: the exchange does not end"
                );
                if e.to == operator.id() {
                    operator.receive(&e);
                    continue;
                }
                let session = &mut sessions[e.to.index()];
                let out = if e.from == operator.id() {
                    session.start()
                } else {
                    session.receive(e)
                };
                queue.extend(out);
            }
            assert!(
                operator.settled(),
                "seed {seed}: the operator never learnt the end"
            );
            let programs: Result<Vec<_>, _> = sessions.iter().map(SiteSession::finish).collect();
            match (&expected, programs) {
                (Ok(p), Ok(programs)) => {
                    assert_eq!(p.plan.programs, programs, "seed {seed}, order {order}");
                    checked_plans += 1;
                }
                (Err(PlanError::Infeasible(_)), Err(_)) => {}
                (e, p) => panic!(
                    "seed {seed}, order {order}: verdicts differ ({} vs {})",
                    e.is_ok(),
                    p.is_ok()
                ),
            }
        }
    }
    assert!(
        checked_plans > 100,
        "too few plans compared: {checked_plans}"
    );
}

/// Systems where a plan correct under every interleaving is known to be
/// faster than the planner's, with the reason: (seed of
/// `random_program_with(seed, 6)`, why). None in the seeds of the suite;
/// these are from the extended run.
const KNOWN_SUBOPTIMAL: &[(u64, &str)] = &[
    (1062, "the optimum starts c0.b0 one unit later (after c1.b2), so that c0 is marked at p3, hence \
            not refusing, at the very instant c1 enters p2 (t = 5); started at once, c0 is in transit \
            p3 -> p2 then (no marked place: refusing) and c1 waits until 7. Exploiting such a tie \
            needs a global timing search"),
    (2011, "the optimum runs c2.b1 instead of c2's locally fastest sequence, so c0 goes down earlier"),
    (2725, "c3 meets c0 (waits for its down) where releasing before the down is faster: release only when meeting is impossible"),
    (2981, "a correct plan of 5 (the planner's: 6) first runs c1.b1 and c0.b1, then c1.b0 and c5.b1 \
            together (correctness_decides_where_the_timed_optimum_is_faster); the test's budget \
            leaves it undecided"),
];

/// Systems where the planner is known to refuse a goal that a correct plan
/// reaches, with the reason: (seed of `random_program_with(seed, 6)`, why).
/// (Seed 577 was listed while the oracle's plans could order pushes across
/// sites. With plans of real sites it is undecided: the timed optimum's
/// witness deadlocks with every push made, and below 14 (twice the timed
/// optimum) `show_optimum` finds no correct witness but one of makespan 10
/// that deadlocks only at its own waits, which a plan waiting less might
/// not; the test's budget stops earlier. Seed 3375 was listed: `c3`, asked
/// by `c0` to release `c0.out` and by `c4` to serve at the end, reported
/// itself stuck, which kept `c0` up for good before `c4` was told that it
/// could do without `c3` at the end; now an instance whose only obstacle is
/// its users' needs tells them first: `fixtures/plan/needs/drop_need.blt`.)
const KNOWN_MISSED: &[(u64, &str)] = &[(
    1975,
    "c3 can release c1.out only inside a behavior (stable-state synchronization)",
)];

/// What [`compare_with_optimum`] counted.
#[derive(Default)]
struct Tally {
    /// Seeds both sides decided.
    compared: usize,
    /// Compared, with 6 instances.
    six: usize,
    /// The planner's makespan is the optimum among correct plans.
    equal: usize,
    /// Of `equal`, those where a faster run exists but no plan with it is
    /// correct under every interleaving.
    only_correct: usize,
    /// Both say infeasible.
    infeasible: usize,
    /// Of `infeasible`, those where a run reaches the goal but no plan is
    /// correct under every interleaving (searched below twice the timed
    /// optimum).
    infeasible_only_correct: usize,
    /// The planner refuses a goal a plan reaches ([`KNOWN_MISSED`]).
    missed: usize,
    /// Undecided: a search too large, or a blocked witness (printed).
    skipped: usize,
}

impl std::fmt::Display for Tally {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "compared {} ({} of 6 instances): equal {} ({} only among correct plans), \
             infeasible {} ({} only among correct plans), missed {}; skipped as undecided {}",
            self.compared,
            self.six,
            self.equal,
            self.only_correct,
            self.infeasible,
            self.infeasible_only_correct,
            self.missed,
            self.skipped
        )
    }
}

/// A correct plan faster than the planner's makespan `found`, given the
/// timed optimum `best` (`best.makespan <= found`): `Ok(None)` when there
/// is none, `Err` when undecided. The witness of `best` is the most
/// constrained plan with its run; when it is not correct, a plan of another
/// run may be, which only a search that merges nothing finds
/// ([`correct_below`]: exact among the plans that push onto idle
/// instances, see `ballet_tests::optimal`).
fn correct_and_faster(
    model: &Model,
    problem: &Problem,
    goal: &Goal,
    best: Optimum,
    found: Cost,
    limit: usize,
) -> Result<Option<Optimum>, String> {
    if best.makespan == found {
        return Ok(None);
    }
    if judge(model, problem, goal, &best.witness(problem)) == Judgement::Correct {
        return Ok(Some(best));
    }
    match correct_below(model, goal, found, limit) {
        Below::Correct(run) => Ok(Some(run)),
        Below::Nothing => Ok(None),
        Below::Blocked(run) => Err(format!(
            "no witness below {found} is correct, but the one of makespan {} only \
             deadlocks at its own waits",
            run.makespan
        )),
        Below::TooLarge => Err(format!("too many runs below {found}")),
    }
}

/// Whether `balletc verify` proves `witness` correct, as far as it tells:
/// when the start state already breaks port safety, that is all it reports
/// (with the empty trace), and [`judge`] discounts it.
fn verifier_agrees(model: &Model, problem: &Problem, goal: &Goal, witness: &Plan) -> bool {
    use ballet_compiler::verify::Property;
    match ballet_tests::verified_plan(model, problem, goal, witness) {
        Ok(()) => true,
        Err((failure, _)) => {
            matches!(failure.property, Property::PortSafety(_)) && failure.trace.is_empty()
        }
    }
}

/// Compares the planner with the exhaustive timed search
/// (`ballet_tests::optimal`) on `seeds` random systems of 2–6 instances:
/// same infeasibility verdicts, and the planner's makespan is the optimum
/// over plans correct under every interleaving (except the listed
/// [`KNOWN_SUBOPTIMAL`] seeds, where a correct plan must still beat it; and
/// the [`KNOWN_MISSED`] ones, refused by the planner). The timed optimum is
/// a lower bound: when the planner's is larger, the oracle looks for a
/// correct plan below it ([`correct_and_faster`]).
fn compare_with_optimum(seeds: std::ops::Range<u64>, limit: usize) -> Tally {
    use ballet_tests::random::random_program_with;
    let mut tally = Tally::default();
    for seed in seeds {
        let text = random_program_with(seed, 6);
        let Some((model, goal)) = checked(&text) else {
            continue;
        };
        let planned = plan(&model, &goal);
        let search = optimal_makespan(&model, &goal, limit);
        let known = KNOWN_SUBOPTIMAL.iter().find(|(s, _)| *s == seed);
        let before = tally.compared;
        match (&planned, search) {
            (_, Search::TooLarge) => tally.skipped += 1,
            (Err(PlanError::Infeasible(_)), Search::Infeasible) => {
                tally.compared += 1;
                tally.infeasible += 1;
            }
            (Ok(p), Search::Optimal(best)) => {
                if let Some((_, why)) = KNOWN_MISSED.iter().find(|(s, _)| *s == seed) {
                    panic!("seed {seed} is listed as missed ({why}) but plans now: remove it");
                }
                let problem = Problem::new(&model, &goal).expect("planned");
                // The optimum is a real plan's: simulated alone, it has the
                // same makespan and reaches the goal.
                let witness = best.witness(&problem);
                let run = simulate(&model, &witness, problem.start_system(&model, &witness));
                if let Err(why) = ballet_compiler::plan::validate::reached(
                    &model, &problem, &witness, &goal, &run,
                ) {
                    panic!("seed {seed}: the optimal run as a plan fails: {why}\n{text}");
                }
                assert_eq!(run.makespan, best.makespan, "seed {seed}: witness\n{text}");
                let found = p.run.makespan;
                assert!(
                    found >= best.makespan,
                    "seed {seed}: the planner ({found}) beats the exhaustive search ({}): \
                     the search is not exhaustive\n{text}",
                    best.makespan
                );
                let timed = best.makespan;
                match correct_and_faster(&model, &problem, &goal, best, found, limit) {
                    Err(why) => {
                        eprintln!("seed {seed}: undecided: {why}");
                        tally.skipped += 1;
                    }
                    Ok(None) => {
                        if let Some((_, why)) = known {
                            panic!(
                                "seed {seed} is listed as suboptimal ({why}) but no correct \
                                 plan beats it now: remove it"
                            );
                        }
                        tally.compared += 1;
                        tally.equal += 1;
                        tally.only_correct += usize::from(timed < found);
                    }
                    Ok(Some(faster)) => {
                        let witness = faster.witness(&problem);
                        assert!(
                            verifier_agrees(&model, &problem, &goal, &witness),
                            "seed {seed}: `verify` refutes a witness judged correct:\n{}\n{text}",
                            witness_text(&model, &witness)
                        );
                        assert!(
                            known.is_some(),
                            "seed {seed}: the planner's makespan ({found}) is not optimal; \
                             a correct plan of makespan {}:\n{}\n{text}",
                            faster.makespan,
                            witness_text(&model, &witness)
                        );
                        tally.compared += 1;
                    }
                }
            }
            (Err(PlanError::Infeasible(_)), Search::Optimal(best)) => {
                // A run reaches the goal; the planner is right if no plan
                // is correct under every interleaving. Runs can be
                // arbitrarily long (behaviors cycle), so the search for a
                // correct one is bounded: below twice the timed optimum.
                let problem = Problem::new(&model, &goal).expect("goal");
                let listed = KNOWN_MISSED.iter().find(|(s, _)| *s == seed);
                let bound = Cost(best.makespan.0.saturating_mul(2).max(1));
                match correct_and_faster(&model, &problem, &goal, best, bound, limit) {
                    Err(why) => {
                        eprintln!("seed {seed}: undecided: {why}");
                        tally.skipped += 1;
                    }
                    Ok(None) => {
                        if let Some((_, why)) = listed {
                            panic!(
                                "seed {seed} is listed as missed ({why}) but no correct plan \
                                 reaches the goal: remove it"
                            );
                        }
                        tally.compared += 1;
                        tally.infeasible += 1;
                        tally.infeasible_only_correct += 1;
                    }
                    Ok(Some(correct)) => {
                        let witness = correct.witness(&problem);
                        assert!(
                            listed.is_some(),
                            "seed {seed}: the planner says infeasible, a correct plan of \
                             makespan {} exists:\n{}\n{text}",
                            correct.makespan,
                            witness_text(&model, &witness)
                        );
                        tally.compared += 1;
                        tally.missed += 1;
                    }
                }
            }
            (Ok(p), Search::Infeasible) => panic!(
                "seed {seed}: the search found no plan, the planner one of makespan {}: \
                 the search is not exhaustive\n{text}",
                p.run.makespan
            ),
            (Err(e), _) => panic!("seed {seed}: {e:?}\n{text}"),
        }
        if tally.compared > before && goal.start.instances.len() == 6 {
            tally.six += 1;
        }
    }
    tally
}

fn witness_text(model: &Model, plan: &Plan) -> String {
    plan.programs
        .iter()
        .map(|p| {
            p.iter()
                .map(|i| i.display(model, &plan.universe))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Issue 6: the planner against exhaustive search on random systems of 2–6
/// instances: same optimal makespan among correct plans, same
/// infeasibility verdicts. Under `cargo test` (debug) 600 seeds with a
/// small search bound (about 15 s); `cargo test --release` takes 1,000
/// seeds and a larger bound (about 45 s).
#[test]
fn planner_makespan_is_optimal_on_random_systems() {
    let (seeds, limit, enough) = if cfg!(debug_assertions) {
        (0..600, 500, 60)
    } else {
        (0..1_000, 20_000, 150)
    };
    let tally = compare_with_optimum(seeds, limit);
    eprintln!("{tally}");
    let suboptimal = tally.compared - tally.equal - tally.infeasible - tally.missed;
    assert!(
        tally.equal >= enough
            && tally.infeasible >= enough
            && tally.six >= 10
            && suboptimal <= KNOWN_SUBOPTIMAL.len(),
        "{tally}"
    );
}

/// The same on 3,000 more seeds (release build, about 2.5 minutes):
/// `cargo test --release -p ballet-tests --test oracle -- --ignored more_random`.
#[test]
#[ignore]
fn planner_makespan_is_optimal_on_more_random_systems() {
    let tally = compare_with_optimum(1_000..4_000, 20_000);
    eprintln!("{tally}");
    assert!(
        tally.equal >= 500 && tally.infeasible >= 500,
        "too few compared: {tally}"
    );
}

/// The two ways a timed optimum below the planner's can end, on the seeds
/// of the extended run that show them. Seed 2848: the timed optimum (12)
/// pushes `c0.b0` before `c1` has passed through `p2`, which uses `c0.out`;
/// no `wait` can tell that, so its witness deadlocks with every push made
/// (wrong for any plan with that run), no run below the planner's 14 has a
/// correct witness, and one of 14 has. Seed 2981: the timed optimum's
/// witness (4, the planner's 6) is wrong as well (its order of `c1.b0`
/// before `c5.b1` is across sites, which no plan can express), but a
/// correct plan of 5 beats the planner (found by `show_optimum`; checked
/// here: simulated, judged, and `balletc verify` finds no deadlock, as far
/// as it tells: it stops at the start state's port safety, which no plan
/// keeps).
#[test]
fn correctness_decides_where_the_timed_optimum_is_faster() {
    use ballet_tests::random::random_program_with;
    let (model, goal) = checked(&random_program_with(2848, 6)).expect("checks");
    let problem = Problem::new(&model, &goal).expect("problem");
    let Search::Optimal(best) = optimal_makespan(&model, &goal, 1_000) else {
        panic!("the search decides seed 2848");
    };
    assert_eq!(best.makespan, Cost::units(12));
    assert!(matches!(
        judge(&model, &problem, &goal, &best.witness(&problem)),
        Judgement::Wrong(_)
    ));
    assert!(matches!(
        correct_below(&model, &goal, Cost::units(14), 1_000),
        Below::Nothing
    ));
    match correct_below(&model, &goal, Cost::units(15), 1_000) {
        Below::Correct(run) => assert_eq!(run.makespan, Cost::units(14)),
        other => panic!("seed 2848: no correct plan of 14: {other:?}"),
    }

    let (model, goal) = checked(&random_program_with(2981, 6)).expect("checks");
    let problem = Problem::new(&model, &goal).expect("problem");
    let Search::Optimal(best) = optimal_makespan(&model, &goal, 20_000) else {
        panic!("the search decides seed 2981");
    };
    assert_eq!(best.makespan, Cost::units(4));
    assert!(matches!(
        judge(&model, &problem, &goal, &best.witness(&problem)),
        Judgement::Wrong(_)
    ));
    let correct = ballet_compiler::plan::text::parse_plan(
        &model,
        &problem.universe,
        "site s1: pushB(c1, b1) pushB(c4, b1) wait(c1, b1) wait(c0, b1) wait(c2, b0) \
           wait(c5, b0) pushB(c1, b0)\n\
         site s2: pushB(c0, b1) pushB(c2, b0) pushB(c5, b0) wait(c1, b1) wait(c0, b1) \
           wait(c2, b0) wait(c5, b0) pushB(c0, b0) pushB(c5, b1)\n",
    )
    .expect("the plan parses");
    let run = simulate(&model, &correct, problem.start_system(&model, &correct));
    assert_eq!(run.makespan, Cost::units(5));
    assert_eq!(judge(&model, &problem, &goal, &correct), Judgement::Correct);
    assert!(verifier_agrees(&model, &problem, &goal, &correct));
}

/// Prints one seed's program, the planner's plan, the timed optimum's
/// witness with its judgement, and the fastest correct plan when that is
/// another: `SEED=464 cargo test -p ballet-tests --test oracle -- --ignored
/// show_optimum`.
#[test]
#[ignore]
fn show_optimum() {
    use ballet_tests::random::random_program_with;
    let seed: u64 = std::env::var("SEED").unwrap().parse().unwrap();
    let text = random_program_with(seed, 6);
    eprintln!("{text}");
    let (model, goal) = checked(&text).unwrap();
    let planned = plan(&model, &goal);
    match &planned {
        Ok(p) => eprintln!(
            "planner {}:\n{}",
            p.run.makespan,
            witness_text(&model, &p.plan)
        ),
        Err(e) => eprintln!("planner: {e:?}"),
    }
    let Search::Optimal(best) = optimal_makespan(&model, &goal, 20_000) else {
        return;
    };
    let problem = Problem::new(&model, &goal).unwrap();
    let witness = best.witness(&problem);
    eprintln!(
        "timed optimum {}, {:?}:\n{}",
        best.makespan,
        judge(&model, &problem, &goal, &witness),
        witness_text(&model, &witness)
    );
    // Infeasible for the planner: a correct plan below twice the timed
    // optimum, as the test looks for one.
    let bound = match &planned {
        Ok(p) => p.run.makespan,
        Err(_) => Cost(best.makespan.0.saturating_mul(2).max(1)),
    };
    {
        match correct_and_faster(&model, &problem, &goal, best, bound, 1_000_000) {
            Ok(Some(run)) => eprintln!(
                "correct {}:\n{}",
                run.makespan,
                witness_text(&model, &run.witness(&problem))
            ),
            Ok(None) => eprintln!("no correct plan beats the planner"),
            Err(why) => eprintln!("undecided: {why}"),
        }
    }
}
