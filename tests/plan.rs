//! The planner on the reference cases of CASES.md, against the published
//! Ballet figures: plan sizes, messages, makespans. (The plans themselves
//! are golden files under `fixtures/plan/cases/`; every plan is simulated
//! and checked against its goal by the planner itself.)

use ballet_compiler::plan::{plan, Metrics};
use ballet_tests::example_goal;

fn metrics(path: &str, goal: &str, n: usize) -> Metrics {
    let (model, g) = example_goal(path, goal, &[("n", &n.to_string())]);
    match plan(&model, &g) {
        Ok(p) => p.metrics,
        Err(e) => panic!("{path} {goal} n={n}: {e:?}"),
    }
}

#[test]
fn deploys_push_once_per_instance_and_never_wait() {
    for n in [1, 2, 5] {
        let m = metrics("examples/openstack.blt", "deploy", n);
        assert_eq!(
            (m.pushb, m.waits, m.instructions),
            (7 + 11 * n, 0, 7 + 11 * n)
        );
        assert_eq!(m.messages, 0);
        assert_eq!(m.makespan, 92.0);
        let m = metrics("examples/cps.blt", "deploy", n);
        assert_eq!(
            (m.pushb, m.waits, m.instructions),
            (2 + 2 * n, 0, 2 + 2 * n)
        );
        assert_eq!(m.messages, 0);
        assert_eq!(m.makespan, 6.0);
    }
}

#[test]
fn cps_update_is_no_larger_and_no_slower_than_the_published_plan() {
    for n in [1, 2, 5, 10, 15] {
        let m = metrics("examples/cps.blt", "update", n);
        // Ballet: 6 + 6n pushB/wait, 1 + 3n messages sent, makespan 7 (n = 1).
        assert!(m.pushb + m.waits <= 6 + 6 * n, "n={n}: {m:?}");
        assert!(m.messages <= 1 + 3 * n, "n={n}: {m:?}");
        assert!(m.makespan <= 7.0, "n={n}: {m:?}");
    }
}

#[test]
fn openstack_update_is_valid_where_the_published_plan_deadlocks() {
    for n in [1, 2, 5, 10] {
        let m = metrics("examples/openstack.blt", "update", n);
        // Ballet: 3 + 20n pushB/wait (its plan deadlocks), 8n messages sent.
        assert!(m.pushb + m.waits <= 3 + 20 * n, "n={n}: {m:?}");
        assert!(m.messages <= 8 * n, "n={n}: {m:?}");
    }
}

#[test]
fn planned_makespans_equal_the_event_graph_longest_path() {
    use ballet_runtime::report::Report;
    for (path, goal) in [
        ("examples/cps.blt", "deploy"),
        ("examples/cps.blt", "update"),
        ("examples/openstack.blt", "deploy"),
        ("examples/openstack.blt", "update"),
    ] {
        for n in [1, 2, 3] {
            let (model, g) = example_goal(path, goal, &[("n", &n.to_string())]);
            let planned = plan(&model, &g).expect("plannable");
            let start = planned.problem.start_system(&model, &planned.plan);
            let report = Report::new(&model, &planned.plan, start);
            assert_eq!(report.outcome.makespan, planned.run.makespan);
            assert_eq!(
                report.longest_path, report.outcome.makespan,
                "{path} {goal} n={n}"
            );
        }
    }
}

/// The CPS update plan (n = 1) is correct under every interleaving and every
/// duration: exhaustive exploration of the semantics finds no deadlock and
/// only final states that reach the goal.
#[test]
fn cps_update_plan_is_correct_under_every_interleaving() {
    use ballet_compiler::plan::validate::reached_state;
    use ballet_runtime::explore::explore;
    let (model, g) = example_goal("examples/cps.blt", "update", &[("n", "1")]);
    let planned = plan(&model, &g).expect("plannable");
    let start = planned.problem.start_system(&model, &planned.plan);
    let all = explore(&model, &planned.plan, start, 2_000_000, true);
    assert!(!all.truncated, "{} states", all.states);
    assert!(all.deadlocks.is_empty());
    assert!(!all.finals.is_empty());
    for last in &all.finals {
        reached_state(&model, &planned.problem, &g, last).expect("the goal is reached");
    }
    // 2,444 states with the reduction (22,786 without).
    assert!(all.states > 1_000, "{} states", all.states);
}
