//! The site VMs, not only the semantics, under every interleaving
//! (`ballet_runtime::explore::sites`): every order of transition ends and
//! deliveries of facts between sites (in order per link, as the transport
//! delivers them). For each plan: no reachable deadlock, and every
//! reachable final state of the VMs is a final state of the semantics
//! (explored exhaustively too), and the other way round.
//!
//! The semantics-level verifier (`tests/verified.rs`) cannot see a wait
//! that only the VM makes (facts arrive late and must be fresh); this can.
//! Without a reduction it only reaches small plans: the assembly changes,
//! CPS n = 1.

use std::collections::BTreeSet;

use ballet_compiler::plan::plan;
use ballet_compiler::run::{site_images, FinalState};
use ballet_runtime::explore::{explore, explore_sites};
use ballet_runtime::vm::SiteVm;
use ballet_tests::example_goal;

/// States explored at most per plan, for the VMs and for the semantics.
const LIMIT: usize = 150_000;

/// `Err` with what went wrong unless the VMs running `path`'s plan for
/// `goal` can neither deadlock nor end anywhere the semantics cannot.
fn check(path: &str, goal: &str, defines: &[(&str, &str)]) -> Result<usize, String> {
    let (model, g) = example_goal(path, goal, defines);
    let planned = plan(&model, &g).map_err(|e| format!("not plannable: {e:?}"))?;
    let vms: Vec<SiteVm> = site_images(&model, &planned)
        .into_iter()
        .map(SiteVm::new)
        .collect();
    let sites = explore_sites(vms, LIMIT);
    if sites.truncated {
        return Err(format!("more than {LIMIT} states"));
    }
    if let Some(trace) = &sites.deadlock {
        return Err(format!("the VMs deadlock after {trace:?}"));
    }
    let start = planned.problem.start_system(&model, &planned.plan);
    let semantics = explore(&model, &planned.plan, start, LIMIT, true);
    if semantics.truncated {
        return Err(format!("the semantics has more than {LIMIT} states"));
    }
    let expected: BTreeSet<String> = semantics
        .finals
        .iter()
        .map(|s| format!("{:?}", FinalState::of_system(&model, &planned.plan, s)))
        .collect();
    let found: BTreeSet<String> = sites
        .finals
        .iter()
        .map(|vms| format!("{:?}", FinalState::of_vms(vms)))
        .collect();
    if found != expected {
        return Err(format!(
            "final states differ:\nVMs:\n{found:#?}\nsemantics:\n{expected:#?}"
        ));
    }
    Ok(sites.states)
}

fn must_hold(path: &str, goal: &str, defines: &[(&str, &str)]) {
    match check(path, goal, defines) {
        Ok(states) => {
            eprintln!("{path} --goal {goal} {defines:?}: {states} states of the VMs");
            assert!(states > 1, "{path} {goal}: nothing explored");
        }
        Err(why) => panic!("{path} --goal {goal} {defines:?}: {why}"),
    }
}

#[test]
fn the_reference_cases_run_by_the_vms_never_deadlock() {
    // OpenStack (11 instances, most of them on one site) has more than
    // `LIMIT` states here: this exploration has no reduction yet.
    for goal in ["deploy", "update"] {
        must_hold("examples/cps.blt", goal, &[("n", "1")]);
    }
    must_hold("examples/hello.blt", "deploy", &[]);
}

#[test]
fn the_assembly_changes_run_by_the_vms_never_deadlock() {
    for (file, goal) in [
        ("rewire", "rewire"),
        ("scale_in", "scale_in"),
        ("scale_out", "scale_out"),
        ("update_chain", "update"),
    ] {
        must_hold(
            &format!("tests/fixtures/plan/changes/{file}.blt"),
            goal,
            &[],
        );
    }
}

/// The exploration finds a deadlock when there is one: the application of
/// `hello` deployed alone waits forever for its database, and the trace
/// leads there.
#[test]
fn a_plan_that_deadlocks_in_the_vms_is_caught() {
    use ballet_runtime::bytecode::ImageBuilder;
    use ballet_runtime::program::{Instruction, Plan, Universe};
    use ballet_runtime::{InstanceId, SiteId};
    let (model, g) = example_goal("examples/hello.blt", "deploy", &[]);
    let app = InstanceId::from_index(1);
    let deploy = model
        .ty(g.start.instances[1].ty)
        .behavior_named("deploy")
        .expect("App has deploy");
    let plan = Plan {
        universe: Universe {
            sites: g.start.sites.clone(),
            instances: g.start.instances.clone(),
        },
        programs: vec![Vec::new(), vec![Instruction::PushB(app, deploy)]],
    };
    let start: Vec<_> = g.start_places.iter().copied().map(Some).collect();
    let builder = ImageBuilder::new(&model, &plan, &start, &g.start.connections);
    let vms: Vec<SiteVm> = (0..plan.universe.sites.len())
        .map(|s| SiteVm::new(builder.image(SiteId::from_index(s), &[])))
        .collect();
    let sites = explore_sites(vms, LIMIT);
    let trace = sites.deadlock.expect("a deadlock");
    assert!(!trace.is_empty(), "the start state is not the deadlock");
    assert!(sites.finals.is_empty());
}
