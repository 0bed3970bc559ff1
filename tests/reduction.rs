//! The verifier's reductions against the unreduced exploration, on random
//! systems with interchangeable sites (a hub site and `k` identical worker
//! sites of random lifecycles) and random multi-site plans (naive ones that
//! push behaviors with random waits, which often deadlock, and the
//! planner's): stubborn sets alone, and stubborn sets with symmetry, must
//! find the same deadlock verdict, the same deadlocks and final states
//! (modulo symmetry), the same port-safety verdict, and no more states.

use std::collections::HashSet;

use ballet_compiler::plan::plan;
use ballet_compiler::plan::problem::Problem;
use ballet_runtime::explore::{explore_with, Exploration, Key, Options, Reduction, Symmetry};
use ballet_runtime::program::{Instruction, Plan};
use ballet_runtime::semantics::System;
use ballet_runtime::{BehaviorId, InstanceId, Model, SiteId};
use ballet_tests::random::{checked, has_port, random_type, Rng};

/// A hub site and `k` identical worker sites, each worker holding an
/// instance of `T1` and one of `T2`, wired hub → x → y where ports allow.
fn symmetric_program(seed: u64, k: usize) -> String {
    let mut rng = Rng(seed);
    let mut text = String::from("interface I\n");
    for t in 0..3 {
        text.push_str(&random_type(&mut rng, &format!("T{t}")));
    }
    let has = has_port;
    let hub_x = has(&text, 0, "out") && has(&text, 1, "inp");
    let x_y = has(&text, 1, "out") && has(&text, 2, "inp");
    text.push_str(&format!(
        "assembly a(n: int = {k}) {{\n    site hub {{ h: T0 }}\n"
    ));
    text.push_str("    for i in 0..n {\n        site w_{i} { x_{i}: T1 y_{i}: T2 }\n");
    if hub_x {
        text.push_str("        connect h.out -> x_{i}.inp\n");
    }
    if x_y {
        text.push_str("        connect x_{i}.out -> y_{i}.inp\n");
    }
    text.push_str("    }\n}\ngoal g for a {\n");
    text.push_str(if rng.below(2) == 0 {
        "    start running\n"
    } else {
        "    start initial\n"
    });
    text.push_str("    behavior h.b0\n    all running\n}\n");
    text
}

/// A naive plan over the real sites, the same on every worker site: each
/// pushes random behaviors of its instances, some after a `wait` for the
/// hub's first behavior; `asymmetric` adds one push on the first worker.
fn naive_plan(seed: u64, problem: &Problem, model: &Model, asymmetric: bool) -> Plan {
    let mut rng = Rng(seed ^ 0x5555);
    let u = &problem.universe;
    let mut programs = vec![Vec::new(); u.sites.len()];
    let behaviors = |i: usize| model.ty(u.instances[i].ty).behaviors.len();
    let hub = InstanceId::from_index(0);
    programs[0].push(Instruction::PushB(hub, BehaviorId::from_index(0)));
    if rng.below(2) == 0 {
        programs[0].push(Instruction::PushB(hub, BehaviorId::from_index(1)));
    }
    // The choices for one worker, replayed on every worker.
    let script: Vec<(usize, usize, bool)> = (0..2 + rng.below(2))
        .map(|_| (rng.below(2), rng.below(3), rng.below(3) == 0))
        .collect();
    for (s, program) in programs.iter_mut().enumerate().skip(1) {
        let locals: Vec<usize> = (0..u.instances.len())
            .filter(|&i| u.instances[i].site == SiteId::from_index(s))
            .collect();
        for &(which, b, wait) in &script {
            let i = locals[which % locals.len()];
            if wait {
                program.push(Instruction::Wait(hub, BehaviorId::from_index(0), 1));
            }
            let b = BehaviorId::from_index(b % behaviors(i));
            program.push(Instruction::PushB(InstanceId::from_index(i), b));
        }
        if asymmetric && s == 1 {
            program.push(Instruction::PushB(
                InstanceId::from_index(locals[0]),
                BehaviorId::from_index(0),
            ));
        }
    }
    Plan {
        universe: u.clone(),
        programs,
    }
}

fn run(
    model: &Model,
    plan: &Plan,
    start: &System,
    reduction: Reduction,
    sym: Option<&Symmetry>,
) -> Exploration {
    let options = Options {
        limit: 3_000,
        reduction,
        symmetry: sym.cloned(),
    };
    explore_with(model, plan, start.clone(), &options)
}

/// Compares `reduced` with `full`: same verdicts, same terminal states up
/// to `canon`.
fn same(full: &Exploration, reduced: &Exploration, canon: &dyn Fn(&System) -> Key, what: &str) {
    let keys = |v: &[System]| v.iter().map(canon).collect::<HashSet<_>>();
    assert_eq!(
        keys(&full.finals),
        keys(&reduced.finals),
        "{what}: final states"
    );
    assert_eq!(
        keys(&full.deadlocks),
        keys(&reduced.deadlocks),
        "{what}: deadlocks"
    );
    assert_eq!(
        full.violation.is_some(),
        reduced.violation.is_some(),
        "{what}: port safety"
    );
    assert_eq!(full.cycle, reduced.cycle, "{what}: cycles");
    assert!(!full.cycle, "{what}: a cycle");
    assert!(reduced.states <= full.states, "{what}: more states");
}

#[test]
fn stubborn_sets_and_symmetry_keep_every_terminal_state() {
    let (mut compared, mut with_deadlock, mut symmetric, mut smaller) = (0, 0, 0, 0);
    for seed in 0..120u64 {
        let k = 2 + usize::from(seed % 4 == 0);
        let Some((model, goal)) = checked(&symmetric_program(seed, k)) else {
            continue;
        };
        let Ok(problem) = Problem::new(&model, &goal) else {
            continue;
        };
        let mut plans = vec![
            ("naive", naive_plan(seed, &problem, &model, false)),
            ("asymmetric", naive_plan(seed, &problem, &model, true)),
        ];
        if let Ok(planned) = plan(&model, &goal) {
            plans.push(("planned", planned.plan));
        }
        for (kind, p) in plans {
            let start = problem.start_system(&model, &p);
            let full = run(&model, &p, &start, Reduction::None, None);
            if full.truncated {
                continue;
            }
            let what = format!("seed {seed} {kind}");
            let plain = |s: &System| ballet_runtime::explore::key(s);
            for reduction in [Reduction::Safe, Reduction::Stubborn] {
                let reduced = run(&model, &p, &start, reduction, None);
                assert!(!reduced.truncated, "{what}");
                same(&full, &reduced, &plain, &format!("{what} {reduction:?}"));
                smaller += usize::from(reduced.states < full.states);
            }
            let colours = vec![0; p.universe.instances.len()];
            if let Some(sym) = Symmetry::detect(&p, &start, &colours) {
                symmetric += 1;
                let reduced = run(&model, &p, &start, Reduction::Stubborn, Some(&sym));
                assert!(!reduced.truncated, "{what}");
                let canon = |s: &System| sym.canonical(s);
                same(&full, &reduced, &canon, &format!("{what} symmetry"));
            }
            with_deadlock += usize::from(!full.deadlocks.is_empty());
            compared += 1;
        }
    }
    println!(
        "compared {compared}, with deadlock {with_deadlock}, symmetric {symmetric}, smaller {smaller}"
    );
    assert!(
        compared > 110 && with_deadlock > 30 && symmetric > 60 && smaller > 150,
        "compared {compared}, with deadlock {with_deadlock}, symmetric {symmetric}, smaller {smaller}"
    );
}

/// The examples: the planner's CPS update plan (n = 2, two interchangeable
/// sensor sites) and the published OpenStack update plan (which deadlocks)
/// give the same terminal states reduced and unreduced.
#[test]
fn the_examples_agree_with_the_unreduced_exploration() {
    use ballet_compiler::plan::text::parse_plan;
    use ballet_runtime::program::Universe;
    use ballet_tests::example_goal;

    let (model, goal) = example_goal("examples/cps.blt", "update", &[("n", "2")]);
    let planned = plan(&model, &goal).expect("plannable");
    let (p, problem) = (planned.plan, planned.problem);
    let start = problem.start_system(&model, &p);
    let sym = Symmetry::detect(&p, &start, &vec![0; p.universe.instances.len()])
        .expect("the sensor sites are interchangeable");
    assert_eq!(sym.classes().len(), 1);
    assert_eq!(sym.classes()[0].len(), 2);
    let options = |reduction, symmetry: Option<&Symmetry>| Options {
        limit: 2_000_000,
        reduction,
        symmetry: symmetry.cloned(),
    };
    let full = explore_with(&model, &p, start.clone(), &options(Reduction::Safe, None));
    let reduced = explore_with(&model, &p, start, &options(Reduction::Stubborn, Some(&sym)));
    assert!(!full.truncated && full.deadlocks.is_empty() && !full.finals.is_empty());
    same(&full, &reduced, &|s: &System| sym.canonical(s), "cps n = 2");
    assert!(
        reduced.states * 50 < full.states,
        "{} vs {}",
        reduced.states,
        full.states
    );

    let (model, goal) = example_goal("examples/openstack.blt", "update", &[]);
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/plans/openstack_update_published.plan"
    ))
    .expect("the published plan");
    let universe = Universe {
        sites: goal.start.sites.clone(),
        instances: goal.start.instances.clone(),
    };
    let p = parse_plan(&model, &universe, &text).expect("it parses");
    let places: Vec<_> = goal.start_places.iter().map(|&p| Some(p)).collect();
    let start = System::new(&model, &p, &places, goal.start.connections.iter().copied());
    let full = explore_with(&model, &p, start.clone(), &options(Reduction::None, None));
    let reduced = explore_with(&model, &p, start, &options(Reduction::Stubborn, None));
    assert!(!full.deadlocks.is_empty(), "the published plan deadlocks");
    let plain = |s: &System| ballet_runtime::explore::key(s);
    same(&full, &reduced, &plain, "openstack published");
    assert_eq!(
        full.counterexample.as_ref().map(Vec::len),
        reduced.counterexample.as_ref().map(Vec::len),
        "a shortest trace either way"
    );
}
