//! `balletc run FILE --goal G`: plans the goal and runs it for real, every
//! site as an agent in this process (`ballet_runtime::agent::run_cluster`:
//! a tokio task with its own VM and its own TCP transport on 127.0.0.1,
//! credentials generated for the run), showing progress per site, then a
//! summary: measured makespan against the simulator's prediction, messages,
//! failures. Writes `.ballet/state.json` at the end of a successful run and
//! a checkpoint per site under `.ballet/checkpoints/` at every change, for
//! `--resume`.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use ballet_runtime::agent::{run_cluster, Agent, AgentCheckpoint, ClusterConfig};
use ballet_runtime::vm::{ExecConfig, RunEvent, RunOutcome, SiteVm};
use clap::Args;
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use serde_json::json;

use crate::atomic::write_atomically;
use crate::cli::plan::{planning, GoalArgs};
use crate::cli::Format;
use crate::run::{recorded_state, site_images};

/// The directory a run writes to.
const STATE_DIR: &str = ".ballet";

/// Arguments of `balletc run`.
#[derive(Args, Debug)]
pub struct RunArgs {
    #[command(flatten)]
    goal: GoalArgs,
    /// How long one cost unit lasts for transitions without an action.
    #[arg(long, value_parser = parse_duration, default_value = "100ms")]
    unit: Duration,
    /// The longest an action may run before it counts as failed.
    #[arg(long, value_parser = parse_duration, default_value = "10m")]
    timeout: Duration,
    /// Continue a run that stopped, from the checkpoints in `.ballet/`.
    #[arg(long)]
    resume: bool,
}

/// Parses `100ms`, `2s`, `10m`, `1h`, `500us` (decimals allowed).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let split = s.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    let value: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a duration such as 100ms, 2s or 10m"))?;
    let seconds = match unit {
        "us" => 1e-6,
        "ms" => 1e-3,
        "s" => 1.0,
        "m" => 60.0,
        "h" => 3600.0,
        _ => return Err(format!("`{s}`: the unit must be one of us, ms, s, m, h")),
    };
    Duration::try_from_secs_f64(value * seconds).map_err(|e| format!("`{s}`: {e}"))
}

fn fail(code: &str, message: String) -> ExitCode {
    eprintln!("{:?}", miette::miette!(code = code, "{message}"));
    ExitCode::from(1)
}

/// Runs `balletc run`.
pub fn run(args: RunArgs) -> ExitCode {
    let (_, planning) = match planning(&args.goal) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let model = &planning.analysis.model;
    let planned = &planning.planned;
    let dir = PathBuf::from(STATE_DIR);
    let checkpoints = dir.join("checkpoints");
    let images = site_images(model, planned);
    let mut agents = Vec::new();
    for image in images {
        if args.resume {
            let path = checkpoints.join(format!("{}.ckpt", image.site_name()));
            let restored = AgentCheckpoint::read(&path)
                .and_then(|c| c.ok_or_else(|| format!("no checkpoint `{}`", path.display())))
                .and_then(|c| Agent::restore(image, c));
            match restored {
                Ok(agent) => agents.push(agent),
                Err(e) => return fail("balletc::resume", format!("cannot resume: {e}")),
            }
        } else {
            agents.push(Agent::new(SiteVm::new(image)));
        }
    }
    let config = ClusterConfig {
        exec: ExecConfig {
            unit: args.unit,
            timeout: args.timeout,
            log_dir: dir.join("logs"),
            parameters: args.goal.define.iter().cloned().collect::<BTreeMap<_, _>>(),
        },
        checkpoint_dir: Some(checkpoints.clone()),
        ..ClusterConfig::default()
    };
    let names: Vec<String> = agents
        .iter()
        .map(|a| a.vm().image().site_name().to_string())
        .collect();
    let vms: Vec<&SiteVm> = agents.iter().map(Agent::vm).collect();
    let mut progress = Progress::new(&vms, args.goal.format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return fail("balletc::run", format!("cannot start the runtime: {e}")),
    };
    let outcome = runtime.block_on(run_cluster(agents, config, |event| {
        progress.show(&names, event)
    }));
    progress.clear();
    let outcome = match outcome {
        Ok(o) => o,
        Err(e) => return fail("balletc::run", e),
    };
    let unit_ms = args.unit.as_secs_f64() * 1000.0;
    let predicted = planned.run.makespan.as_units_f64() * unit_ms;
    let measured = outcome.elapsed.as_secs_f64() * 1000.0;
    match args.goal.format {
        Format::Text => print!("{}", text(&outcome, measured, predicted)),
        Format::Json => println!("{}", summary_json(&outcome, measured, predicted)),
    }
    if !outcome.done() {
        if outcome.failures.is_empty() {
            eprintln!("the run is blocked: see the sites above");
        } else {
            eprintln!("fix the cause, then continue with `balletc run --resume` (same arguments)");
        }
        return ExitCode::from(1);
    }
    let state = recorded_state(&outcome.vms, &planning.goal.name);
    let text = serde_json::to_string_pretty(&state).unwrap_or_default();
    if let Err(e) = write_atomically(&dir.join("state.json"), text.as_bytes()) {
        return fail(
            "balletc::io",
            format!("cannot write `.ballet/state.json`: {e}"),
        );
    }
    // A finished run leaves nothing to resume.
    let _ = std::fs::remove_dir_all(&checkpoints);
    ExitCode::SUCCESS
}

fn text(outcome: &RunOutcome, measured: f64, predicted: f64) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    for vm in &outcome.vms {
        let len = vm.image().code.len();
        let status = if vm.done() {
            "done".to_string()
        } else {
            vm.blocked()
                .map_or("waiting for its instances".into(), |b| {
                    format!("blocked: {b}")
                })
        };
        let _ = writeln!(
            out,
            "  {:<16} {:>4}/{len:<4} {status}",
            vm.image().site_name(),
            vm.pc()
        );
    }
    for f in &outcome.failures {
        let _ = writeln!(
            out,
            "\nFailed: {}.{} on site {}\n  command: {}\n  status:  {}\n  log:     {}",
            f.instance,
            f.transition,
            f.site,
            f.failure.command,
            f.failure.status,
            f.failure.log.display()
        );
        for line in f.failure.tail.lines() {
            let _ = writeln!(out, "  | {line}");
        }
    }
    let ratio = if predicted > 0.0 {
        measured / predicted
    } else {
        0.0
    };
    let _ = writeln!(
        out,
        "\nMeasured makespan {measured:.1} ms, predicted {predicted:.1} ms (×{ratio:.3}); {} messages; {} failures",
        outcome.messages,
        outcome.failures.len()
    );
    out
}

fn summary_json(outcome: &RunOutcome, measured: f64, predicted: f64) -> serde_json::Value {
    let failures: Vec<_> = outcome
        .failures
        .iter()
        .map(|f| {
            json!({"site": f.site, "instance": f.instance, "transition": f.transition,
                   "command": f.failure.command, "status": f.failure.status,
                   "output": f.failure.tail, "log": f.failure.log.display().to_string()})
        })
        .collect();
    let sites: Vec<_> = outcome
        .vms
        .iter()
        .map(|vm| {
            json!({"name": vm.image().site_name(), "executed": vm.pc(),
                   "instructions": vm.image().code.len(), "done": vm.done(),
                   "blocked": if vm.done() { None } else { vm.blocked() }})
        })
        .collect();
    json!({
        "measured_makespan_ms": measured,
        "predicted_makespan_ms": predicted,
        "messages": outcome.messages,
        "failures": failures,
        "sites": sites,
        "done": outcome.done(),
    })
}

/// Live progress: a bar per site on a terminal, plain lines otherwise,
/// nothing with `--format json`.
enum Progress {
    Bars(MultiProgress, Vec<ProgressBar>),
    Lines(Vec<(usize, Vec<String>)>),
    Quiet,
}

impl Progress {
    fn new(vms: &[&SiteVm], format: Format) -> Progress {
        if format == Format::Json {
            return Progress::Quiet;
        }
        if !std::io::stderr().is_terminal() {
            return Progress::Lines(vec![(0, Vec::new()); vms.len()]);
        }
        let multi = MultiProgress::new();
        let style = ProgressStyle::with_template("{prefix:>16} [{bar:30}] {pos}/{len} {msg}")
            .map(|s| s.progress_chars("=> "))
            .unwrap_or_else(|_| ProgressStyle::default_bar());
        let bars = vms
            .iter()
            .map(|vm| {
                let bar = multi.add(ProgressBar::new(vm.image().code.len() as u64));
                bar.set_style(style.clone());
                bar.set_prefix(vm.image().site_name().to_string());
                bar.set_position(vm.pc() as u64);
                bar
            })
            .collect();
        Progress::Bars(multi, bars)
    }

    fn show(&mut self, names: &[String], event: &RunEvent) {
        match (self, event) {
            (Progress::Bars(_, bars), RunEvent::Progress(p)) => {
                if let Some(bar) = bars.get(p.site.index()) {
                    bar.set_position(p.pc as u64);
                    bar.set_message(if p.done {
                        "done".to_string()
                    } else {
                        p.running.join(" ")
                    });
                }
            }
            (Progress::Lines(last), RunEvent::Progress(p)) => {
                if let Some(slot) = last.get_mut(p.site.index()) {
                    if (slot.0, &slot.1) != (p.pc, &p.running) {
                        *slot = (p.pc, p.running.clone());
                        let name = names.get(p.site.index()).map_or("?", String::as_str);
                        eprintln!(
                            "[{name}] {}/{} running: {}",
                            p.pc,
                            p.len,
                            if p.running.is_empty() {
                                "-".to_string()
                            } else {
                                p.running.join(" ")
                            }
                        );
                    }
                }
            }
            (Progress::Quiet, _) => {}
            (_, RunEvent::Failure(f)) => eprintln!(
                "[{}] {}.{} failed: {}",
                f.site, f.instance, f.transition, f.failure.status
            ),
            (_, RunEvent::CheckpointError(e)) => eprintln!("warning: {e}"),
        }
    }

    fn clear(&self) {
        if let Progress::Bars(multi, _) = self {
            let _ = multi.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ballet_runtime::vm::action::humanize;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("50ms"), Ok(Duration::from_millis(50)));
        assert_eq!(parse_duration("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert!(parse_duration("5 parsecs").is_err());
        assert!(parse_duration("ms").is_err());
        assert!(parse_duration("-1s").is_err());
        assert_eq!(humanize(Duration::from_secs(600)), "10m");
    }
}
