//! `balletc apply` against real agent processes (`balletc agent --idle`,
//! one per site) over loopback TCP: a deploy then an update handed to the
//! running agents, whose programs must be `balletc plan`'s and whose final
//! state must be the simulator's; an agent with another model refuses.
//! Every wait is bounded ([`common::LIMIT`]); children are killed on drop.

mod common;

use std::path::{Path, PathBuf};

use ballet_compiler::diagnostic::Diagnostics;
use ballet_compiler::load::load_path;
use ballet_compiler::pipeline::{plan_program, Planning};
use ballet_compiler::run::FinalState;
use ballet_runtime::agent::{Agent, AgentCheckpoint};
use ballet_runtime::bytecode::decode;
use ballet_runtime::recorded::RecordedState;
use ballet_runtime::vm::SiteVm;
use common::{scratch, Child, ROOT};

const UNIT: &str = "5ms";

fn cps() -> String {
    format!("{ROOT}/examples/cps.blt")
}

/// Runs `balletc ARGS` in `dir` to its end; returns its standard output.
#[track_caller]
fn balletc_in(dir: &Path, args: &[&str], code: i32) -> Child {
    let mut child = Child::spawn(dir, args);
    child.expect_exit(code);
    child
}

/// A build of CPS deploy (n = 2) in `dir/out`, on free ports, with keys.
fn build(dir: &Path, file: &str) -> PathBuf {
    common::agents::build(dir, file, "deploy", &["-D", "n=2"])
}

fn site_names(out: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(out.join("inventory.toml")).expect("inventory");
    ballet_runtime::inventory::parse_inventory(&text)
        .expect("parses")
        .into_iter()
        .map(|(n, _)| n)
        .collect()
}

/// Every site's idle agent, each once it says it waits for an apply.
fn start_agents(dir: &Path, out: &Path) -> Vec<Child> {
    let out_s = out.display().to_string();
    site_names(out)
        .iter()
        .map(|site| {
            let mut child = Child::spawn(
                dir,
                &["agent", &out_s, "--site", site, "--unit", UNIT, "--idle"],
            );
            child.expect_line("saying it is idle", |l| {
                l.contains("waiting for `balletc apply`")
            });
            child
        })
        .collect()
}

/// `balletc apply FILE --goal GOAL -D n=2 --dir out --format json`.
fn apply(dir: &Path, out: &Path, file: &str, goal: &str, code: i32) -> Child {
    let out_s = out.display().to_string();
    balletc_in(
        dir,
        &[
            "apply", file, "--goal", goal, "-D", "n=2", "--dir", &out_s, "--format", "json",
        ],
        code,
    )
}

fn json_of(child: &Child) -> serde_json::Value {
    serde_json::from_str(&child.seen.join("\n")).expect("one JSON object")
}

fn planning(goal: &str, state: &Path) -> Planning {
    let mut d = Diagnostics::default();
    let program = load_path(Path::new(&cps()), &mut d).expect("loads");
    let recorded: RecordedState =
        serde_json::from_str(&std::fs::read_to_string(state).expect("state")).expect("a state");
    let options = ballet_compiler::check::Options {
        defines: vec![("n".into(), "2".into())],
    };
    plan_program(&program, &options, Some(goal), Some(&recorded), &mut d).expect("plans")
}

/// Every site's VM as its current generation's checkpoint left it.
fn final_vms(out: &Path) -> Vec<SiteVm> {
    site_names(out)
        .iter()
        .map(|site| {
            let base = out.join("state").join(site);
            let k = std::fs::read_to_string(base.join("generation")).expect("a generation");
            let dir = base.join(format!("gen-{}", k.trim()));
            let image = decode(&std::fs::read(dir.join("program.bltc")).expect("program"))
                .expect("an image");
            let checkpoint = AgentCheckpoint::read(&dir.join("agent.ckpt"))
                .expect("a checkpoint")
                .unwrap_or_else(|| panic!("no checkpoint for {site}"));
            Agent::restore(image, checkpoint)
                .expect("restores")
                .vm()
                .clone()
        })
        .collect()
}

#[test]
fn deploy_then_update_applied_to_running_agents_plan_what_plan_plans() {
    let dir = scratch("apply-deploy-update");
    let out = build(&dir, &cps());
    let agents = start_agents(&dir, &out);
    let cps = cps();
    let recorded = dir.join(".ballet/state.json");
    // Fresh agents: every instance at its initial place, as `plan` assumes.
    let deploy = apply(&dir, &out, &cps, "deploy", 0);
    let plan = balletc_in(
        &dir,
        &[
            "plan", &cps, "--goal", "deploy", "-D", "n=2", "--format", "json",
        ],
        0,
    );
    let got = json_of(&deploy);
    assert_eq!(got["identical"], true, "{got}");
    assert_eq!(got["sites_done"], 4, "{got}");
    assert_eq!(got["programs"], json_of(&plan)["programs"]);
    // The update starts where the deploy ended, as the agents report it.
    let deployed = dir.join("deployed.json");
    std::fs::copy(&recorded, &deployed).expect("a recorded state");
    let deployed_s = deployed.display().to_string();
    let update = apply(&dir, &out, &cps, "update", 0);
    let plan = balletc_in(
        &dir,
        &[
            "plan",
            &cps,
            "--goal",
            "update",
            "-D",
            "n=2",
            "--from-state",
            &deployed_s,
            "--format",
            "json",
        ],
        0,
    );
    let got = json_of(&update);
    assert_eq!(got["identical"], true, "{got}");
    assert_eq!(got["sites_done"], 4, "{got}");
    assert_eq!(got["programs"], json_of(&plan)["programs"]);
    let planned = planning("update", &deployed);
    let expected = FinalState::of_system(
        &planned.analysis.model,
        &planned.planned.plan,
        &planned.planned.run.system,
    );
    let vms = final_vms(&out);
    assert!(vms.iter().all(SiteVm::done), "not every site is done");
    assert_eq!(FinalState::of_vms(&vms), expected);
    drop(agents);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn an_agent_with_another_model_refuses_and_nothing_runs() {
    let dir = scratch("apply-refused");
    let file = dir.join("cps.blt");
    std::fs::write(&file, std::fs::read_to_string(cps()).expect("cps")).expect("copy");
    let file_s = file.display().to_string();
    let out = build(&dir, &file_s);
    let mut agents = start_agents(&dir, &out);
    // The operator's copy changed since the build.
    let mut text = std::fs::read_to_string(&file).expect("copy");
    text.push_str("\n// edited after the build\n");
    std::fs::write(&file, text).expect("edit");
    let refused = apply(&dir, &out, &file_s, "deploy", 1);
    let err = refused.stderr();
    assert!(err.contains("refused"), "{err}");
    assert!(err.contains("rebuild"), "{err}");
    // Every agent is idle again and takes the apply of the right model.
    for a in &mut agents {
        a.expect_line("saying it abandoned the apply", |l| {
            l.contains("apply abandoned")
        });
    }
    std::fs::write(&file, std::fs::read_to_string(cps()).expect("cps")).expect("restore");
    let applied = apply(&dir, &out, &file_s, "deploy", 0);
    assert_eq!(json_of(&applied)["identical"], true);
    drop(agents);
    let _ = std::fs::remove_dir_all(dir);
}
