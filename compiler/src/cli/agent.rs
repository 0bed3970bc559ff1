//! `balletc agent OUT_DIR --site S --key KEY`: one site's agent in this
//! process, talking to the other sites' agents over TCP (see
//! `ballet_runtime::agent`). It loads `OUT_DIR/<site>.bltc` and
//! `OUT_DIR/inventory.toml`, listens on its inventory address (or
//! `--listen`), keeps its state under `OUT_DIR/state/<site>/` (checkpoint,
//! delivery state, action logs) and resumes from it when restarted. It
//! prints one line per change of its progress. With `--once` it links only
//! the sites its plan makes it talk to (its neighbours), exits 0 when its
//! program and every neighbour's are done and everything it sent was
//! acknowledged, and 1 when an action fails; without, it stays up to answer
//! `balletc status` and takes reconfigurations from `balletc apply`
//! (`crate::apply::agent`; `--idle`: without running the build's program). SIGTERM or ctrl-c: it saves its state and exits 0.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use ballet_runtime::agent::CancellationToken;
use ballet_runtime::agent::{AgentConfig, AgentSetup, Ending, Exit, Hooks, Store};
use ballet_runtime::net::{self, NetStats};
use ballet_runtime::vm::{ExecConfig, RunEvent};
use clap::Args;
use tokio::sync::mpsc::unbounded_channel;

use crate::apply::agent::{serve as serve_generations, Serving};
use crate::cli::run::parse_duration;
use crate::cli::{log, parse_define};

/// Arguments of `balletc agent`.
#[derive(Args, Debug)]
pub struct AgentArgs {
    /// The build directory (`balletc build -o`).
    out: PathBuf,
    /// The site this agent runs.
    #[arg(long)]
    site: String,
    /// The cluster's key file (default: `OUT_DIR/cluster.key`).
    #[arg(long, value_name = "FILE")]
    key: Option<PathBuf>,
    /// Listen on this address instead of the site's inventory address.
    #[arg(long, value_name = "HOST:PORT")]
    listen: Option<String>,
    /// How long one cost unit lasts for transitions without an action.
    #[arg(long, value_parser = parse_duration, default_value = "100ms")]
    unit: Duration,
    /// The longest an action may run before it counts as failed.
    #[arg(long, value_parser = parse_duration, default_value = "10m")]
    timeout: Duration,
    /// Exit when the reconfiguration is done everywhere (or an action fails).
    #[arg(long)]
    once: bool,
    /// Without `--once`: do not run the build's program, wait for `balletc
    /// apply` (a fresh state only).
    #[arg(long, conflicts_with = "once")]
    idle: bool,
    /// A value for the actions' `{NAME}` placeholders: `-D n=3`.
    #[arg(short = 'D', value_name = "NAME=VALUE", value_parser = parse_define)]
    define: Vec<(String, String)>,
}

fn fail(message: String) -> ExitCode {
    eprintln!(
        "{:?}",
        miette::miette!(code = "balletc::agent", "{message}")
    );
    ExitCode::from(1)
}

/// Runs `balletc agent`.
pub fn run(args: AgentArgs) -> ExitCode {
    let key = args
        .key
        .clone()
        .unwrap_or_else(|| args.out.join("cluster.key"));
    log::install(&format!("[{}]", args.site));
    let mut setup = match AgentSetup::load(&args.out, &args.site, &key, args.listen.clone()) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    if args.once {
        if let Err(e) = setup.link_neighbors_only(&args.out) {
            return fail(e);
        }
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return fail(format!("cannot start the runtime: {e}")),
    };
    runtime.block_on(serve(args, setup))
}

async fn serve(args: AgentArgs, setup: AgentSetup) -> ExitCode {
    let name = setup.name.clone();
    let net_config = setup.net_config();
    let (sender, receiver) = match net::start(net_config).await {
        Ok(halves) => halves,
        Err(e) => return fail(format!("site `{name}`: {e}")),
    };
    let shown = sender
        .local_addr()
        .map_or(setup.listen.clone(), |a| a.to_string());
    let len = setup.agent.vm().image().code.len();
    if setup.resumed {
        println!(
            "[{name}] resumed from `{}` at {}/{len}, listening on {shown}",
            setup.checkpoint_path().display(),
            setup.agent.vm().pc()
        );
    } else {
        println!("[{name}] started, listening on {shown}");
    }
    let config = AgentConfig {
        exec: ExecConfig {
            unit: args.unit,
            timeout: args.timeout,
            log_dir: setup.state_dir.join("logs"),
            parameters: args.define.iter().cloned().collect::<BTreeMap<_, _>>(),
        },
        store: Store::Durable(setup.checkpoint_path()),
        durable_net: true,
        peers: setup.peers.iter().map(|(s, _)| *s).collect(),
        exit: if args.once {
            Exit::WhenFinished
        } else {
            Exit::Never
        },
    };
    let (events, mut shown_events) = unbounded_channel();
    let hooks = Hooks {
        events: Some(events),
        work: None,
    };
    let stop = CancellationToken::new();
    let signals = tokio::spawn(stop_on_signal(stop.clone()));
    let printer = {
        let name = name.clone();
        tokio::spawn(async move {
            let mut last = None;
            while let Some(event) = shown_events.recv().await {
                print_event(&name, &event, &mut last);
            }
        })
    };
    let refusals = tokio::spawn(report_refusals(name.clone(), sender.watch_stats()));
    let end = if args.once {
        setup
            .agent
            .run(sender, receiver, config, hooks, stop.clone())
            .await
    } else {
        // Reconfigurations one after the other (`balletc apply`).
        let serving = match Serving::new(&args.out, &setup, config.exec.clone(), args.idle) {
            Ok(s) => s,
            Err(e) => return fail(e),
        };
        let halves = (sender, receiver);
        match serve_generations(serving, setup.agent, halves, config, hooks, stop.clone()).await {
            Ok(end) => end,
            Err(e) => return fail(e),
        }
    };
    signals.abort();
    refusals.abort();
    let _ = printer.await;
    match end.ending {
        Ending::Finished => {
            println!(
                "[{name}] done: every site is done ({} messages received)",
                end.received
            );
            ExitCode::SUCCESS
        }
        Ending::Failed => {
            for f in &end.failures {
                eprintln!(
                    "{:?}",
                    miette::miette!(
                        code = "balletc::agent",
                        "{}.{} failed on site {}: {}\n  command: {}\n  log:     {}\n{}",
                        f.instance,
                        f.transition,
                        f.site,
                        f.failure.status,
                        f.failure.command,
                        f.failure.log.display(),
                        f.failure
                            .tail
                            .lines()
                            .map(|l| format!("  | {l}"))
                            .collect::<Vec<_>>()
                            .join("\n")
                    )
                );
            }
            eprintln!("fix the cause, then start the agent again: it resumes from its checkpoint");
            ExitCode::from(1)
        }
        Ending::Stopped => {
            println!(
                "[{name}] stopped at {}/{len}; state saved in `{}`",
                end.vm.pc(),
                setup_dir(&args, &name).display()
            );
            ExitCode::SUCCESS
        }
    }
}

fn setup_dir(args: &AgentArgs, name: &str) -> PathBuf {
    args.out.join("state").join(name)
}

/// Prints a progress line when the site's position or running transitions
/// change, and every failure and warning.
fn print_event(name: &str, event: &RunEvent, last: &mut Option<(usize, Vec<String>, bool)>) {
    match event {
        RunEvent::Progress(p) => {
            let now = (p.pc, p.running.clone(), p.done);
            if last.as_ref() != Some(&now) {
                let running = if p.running.is_empty() {
                    "-".to_string()
                } else {
                    p.running.join(" ")
                };
                let done = if p.done { " (program done)" } else { "" };
                println!("[{name}] {}/{} running: {running}{done}", p.pc, p.len);
                *last = Some(now);
            }
        }
        RunEvent::Failure(f) => println!(
            "[{name}] {}.{} failed: {}",
            f.instance, f.transition, f.failure.status
        ),
        RunEvent::CheckpointError(e) => eprintln!("[{name}] warning: {e}"),
    }
}

/// Prints a line whenever the transport refuses or drops a connection (a
/// bad key, frame or version): the details go to the log (`log.rs`). The
/// counters are read first, so a refusal before this task runs is shown.
async fn report_refusals(name: String, mut stats: tokio::sync::watch::Receiver<NetStats>) {
    let mut seen = 0;
    loop {
        let rejected = stats.borrow_and_update().rejected;
        if rejected > seen {
            seen = rejected;
            println!("[{name}] refused a connection ({rejected} so far): bad key, frame or protocol version");
        }
        if stats.changed().await.is_err() {
            return;
        }
    }
}

/// Cancels `stop` on SIGTERM or ctrl-c.
async fn stop_on_signal(stop: CancellationToken) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
            stop.cancel();
            return;
        }
    }
    if tokio::signal::ctrl_c().await.is_ok() {
        stop.cancel();
    }
}
