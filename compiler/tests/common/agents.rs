//! Helpers of the agent tests (`agent_cli.rs`, `agent_faults.rs`): a build
//! with free ports and a key file, the planning it came from, and the
//! agents' final VMs as their checkpoints left them.

use std::io::Write;
use std::path::{Path, PathBuf};

use ballet_compiler::diagnostic::Diagnostics;
use ballet_compiler::load::load_path;
use ballet_compiler::pipeline::{plan_program, Planning};
use ballet_runtime::agent::{Agent, AgentCheckpoint};
use ballet_runtime::bytecode::decode;
use ballet_runtime::recorded::RecordedState;
use ballet_runtime::vm::SiteVm;

use super::{free_ports, Child};

/// Runs `balletc ARGS` in `dir` to its end and checks it succeeded.
#[track_caller]
pub fn balletc_ok(dir: &Path, args: &[&str]) {
    let mut child = Child::spawn(dir, args);
    child.expect_exit(0);
}

/// A build of `goal` in `dir/out` with free ports and a key file.
pub fn build(dir: &Path, file: &str, goal: &str, extra: &[&str]) -> PathBuf {
    let out = dir.join("out");
    let _ = std::fs::remove_dir_all(&out);
    let out_s = out.display().to_string();
    let mut args = vec!["build", file, "--goal", goal, "-o", &out_s];
    args.extend_from_slice(extra);
    balletc_ok(dir, &args);
    // Free ports instead of the default consecutive ones: the inventory is
    // the user's to edit.
    let inventory = out.join("inventory.toml");
    let text = std::fs::read_to_string(&inventory).expect("inventory");
    let sites: Vec<String> = text
        .lines()
        .filter_map(|l| l.strip_prefix("[sites.")?.strip_suffix(']'))
        .map(str::to_string)
        .collect();
    let mut file = std::fs::File::create(&inventory).expect("inventory");
    for (site, port) in sites.iter().zip(free_ports(sites.len())) {
        writeln!(file, "[sites.{site}]\naddress = \"127.0.0.1:{port}\"").expect("write");
    }
    drop(file);
    let key = out.join("cluster.key").display().to_string();
    balletc_ok(dir, &["keygen", "-o", &key]);
    out
}

/// The site names of a build, in site order.
pub fn site_names(out: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(out.join("inventory.toml")).expect("inventory");
    ballet_runtime::inventory::parse_inventory(&text)
        .expect("parses")
        .into_iter()
        .map(|(n, _)| n)
        .collect()
}

/// The planning of `goal` (from `state` if given), as `balletc build` does.
pub fn planning(
    file: &str,
    goal: &str,
    defines: &[(&str, &str)],
    state: Option<&Path>,
) -> Planning {
    let mut d = Diagnostics::default();
    let program = load_path(Path::new(file), &mut d).expect("loads");
    let recorded: Option<RecordedState> = state.map(|p| {
        serde_json::from_str(&std::fs::read_to_string(p).expect("state")).expect("a state")
    });
    let options = ballet_compiler::check::Options {
        defines: defines
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    };
    plan_program(&program, &options, Some(goal), recorded.as_ref(), &mut d).expect("plans")
}

/// Every site's VM as its agent's checkpoint left it.
pub fn final_vms(out: &Path) -> Vec<SiteVm> {
    site_names(out)
        .iter()
        .map(|site| {
            let image = decode(&std::fs::read(out.join(format!("{site}.bltc"))).expect("bltc"))
                .expect("an image");
            let path = out.join("state").join(site).join("agent.ckpt");
            let checkpoint = AgentCheckpoint::read(&path)
                .expect("a checkpoint")
                .unwrap_or_else(|| panic!("no checkpoint for {site}"));
            let agent = Agent::restore(image, checkpoint).expect("restores");
            agent.vm().clone()
        })
        .collect()
}
