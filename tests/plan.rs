//! The planner on the reference cases.

use ballet_compiler::plan::{plan, Planned};
use ballet_tests::example_goal;

fn planned(path: &str, goal: &str, n: &str) -> (ballet_runtime::Model, Planned) {
    let (model, g) = example_goal(path, goal, &[("n", n)]);
    match plan(&model, &g) {
        Ok(p) => (model, p),
        Err(e) => panic!("{path} {goal} n={n}: {e:?}"),
    }
}

fn text(model: &ballet_runtime::Model, p: &Planned) -> String {
    let mut out = String::new();
    for (s, program) in p.plan.programs.iter().enumerate() {
        out.push_str(&format!("{}:", p.plan.universe.sites[s].name));
        for ins in program {
            out.push_str(&format!(" {}", ins.display(model, &p.plan.universe)));
        }
        out.push('\n');
    }
    out.push_str(&format!("{:?}\n", p.metrics));
    out
}

#[test]
fn show() {
    for (path, goal, n) in [
        ("examples/cps.blt", "deploy", "1"),
        ("examples/cps.blt", "update", "1"),
        ("examples/openstack.blt", "deploy", "1"),
        ("examples/openstack.blt", "update", "1"),
        ("examples/openstack.blt", "update", "2"),
    ] {
        let (m, p) = planned(path, goal, n);
        eprintln!("== {path} {goal} {n}\n{}", text(&m, &p));
    }
}
