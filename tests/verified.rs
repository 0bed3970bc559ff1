//! Every plan the test suite makes from the examples is proved correct under
//! every interleaving (`balletc verify`): each goal of each example at the
//! sizes the tests use, and the fault tests' logged CPS. The plan fixtures
//! are verified where they are planned (`plan_fixture`), the random plans of
//! `oracle.rs` and `reduction.rs` there.

use ballet_compiler::plan::plan;
use ballet_tests::{example_goal, verified};

fn check(path: &str, goal: &str, n: &str) {
    let defines: &[(&str, &str)] = if n.is_empty() { &[] } else { &[("n", n)] };
    let (model, g) = example_goal(path, goal, defines);
    let planned = plan(&model, &g).expect("plannable");
    if let Err(why) = verified(&model, &g, &planned) {
        panic!("{path} --goal {goal} -D n={n}: {why}");
    }
}

#[test]
fn cps_plans_are_verified() {
    for goal in ["deploy", "update"] {
        for n in ["1", "2", "3", "5", "10"] {
            check("examples/cps.blt", goal, n);
        }
    }
}

#[test]
fn openstack_plans_are_verified() {
    check("examples/openstack.blt", "deploy", "1");
    check("examples/openstack.blt", "deploy", "2");
    check("examples/openstack.blt", "update", "1");
    check("examples/openstack.blt", "update", "2");
}

#[test]
fn the_other_examples_plans_are_verified() {
    check("examples/hello.blt", "deploy", "");
    check("tests/fixtures/faults/cps_logged.blt", "update", "3");
}
