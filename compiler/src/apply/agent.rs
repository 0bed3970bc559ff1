//! `balletc agent` without `--once`: an agent that runs reconfigurations
//! one after the other, each a *generation* (`generation.rs`).
//!
//! Generation 0 is the build's program (skipped with `--idle` on a fresh
//! state). When a generation is over everywhere (`Exit::WhenFinished`: the
//! agents' `Done` protocol), the agent starts the next generation's
//! transport and waits, idle, for `balletc apply` on it (`session.rs`);
//! the apply's planner envelopes travel on that transport, then the new
//! generation runs on it. A restarted agent resumes its current generation
//! from its checkpoint.

use std::path::PathBuf;

use ballet_runtime::agent::CancellationToken;
use ballet_runtime::agent::{Agent, AgentConfig, AgentEnd, AgentSetup, Ending, Exit, Hooks, Store};
use ballet_runtime::inventory::parse_inventory;
use ballet_runtime::net::{self, NetConfig, OperatorLink, Receiver, Sender};
use ballet_runtime::vm::ExecConfig;
use ballet_runtime::SiteId;

use crate::apply::generation;
use crate::apply::message::{encode, ToOperator};
use crate::apply::model::ModelSources;
use crate::apply::session::{take_part, Committed, Idle};

/// How an agent serves reconfigurations.
pub struct Serving {
    /// The build directory.
    pub out: PathBuf,
    /// The site's id and name.
    pub site: SiteId,
    /// The site's name.
    pub name: String,
    /// Every site's name, in inventory order.
    pub inventory: Vec<String>,
    /// The transport of generation 0 (already listening).
    pub net: NetConfig,
    /// How transitions run (the log directory is each generation's).
    pub exec: ExecConfig,
    /// Whether generation 0 was restored from a checkpoint.
    pub resumed: bool,
    /// Start idle: do not run the build's program (a fresh state only).
    pub idle: bool,
}

impl Serving {
    /// What `setup` (generation 0, loaded from `out`) says, with the
    /// inventory's site names.
    pub fn new(
        out: &std::path::Path,
        setup: &AgentSetup,
        exec: ExecConfig,
        idle: bool,
    ) -> Result<Serving, String> {
        let path = out.join("inventory.toml");
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
        let inventory = parse_inventory(&text)
            .map_err(|e| format!("`{}`: {e}", path.display()))?
            .into_iter()
            .map(|(name, _)| name)
            .collect();
        Ok(Serving {
            out: out.to_path_buf(),
            site: setup.site,
            name: setup.name.clone(),
            inventory,
            net: setup.net_config(),
            exec,
            resumed: setup.resumed,
            idle,
        })
    }
}

/// Runs generation after generation until stopped or an action fails; the
/// last generation's end says which. `agent`, `sender`, `receiver` and
/// `config` are generation 0's, as `balletc agent --once` would run it.
pub async fn serve(
    serving: Serving,
    agent: Agent,
    (sender, receiver): (Sender, Receiver),
    config: AgentConfig,
    hooks: Hooks,
    stop: CancellationToken,
) -> Result<AgentEnd, String> {
    let name = serving.name.clone();
    let base = serving.out.join("state").join(&name);
    let sources = ModelSources::read(&serving.out);
    let mut k = generation::current(&base)?;
    let mut last = agent.vm().clone();
    let mut pending: Option<(Agent, Option<OperatorLink>)> = None;
    let mut transport = Some((sender, receiver));
    if k > 0 {
        // A restart in a later generation: generation 0's transport is not
        // the one to resume.
        if let Some((sender, _)) = transport.take() {
            sender.shutdown().await;
        }
        let (agent, resumed) = generation::restore(&base, k)?;
        if resumed {
            println!("[{name}] resumed generation {k} from its checkpoint");
        }
        last = agent.vm().clone();
        pending = Some((agent, None));
    } else if !serving.idle || serving.resumed {
        pending = Some((agent, None));
    } else if let Some((sender, _)) = transport.take() {
        sender.shutdown().await;
    }
    let mut config = Some(AgentConfig {
        exit: Exit::WhenFinished,
        ..config
    });
    loop {
        if let Some((agent, link)) = pending.take() {
            let halves = match transport.take() {
                Some(t) => t,
                None => start_net(&serving, generation::dir(&base, k)).await?,
            };
            let config = config
                .take()
                .unwrap_or_else(|| generation_config(&serving, &base, k));
            let end = agent
                .run(halves.0, halves.1, config, hooks.clone(), stop.clone())
                .await;
            if let Some(mut link) = link {
                let state = Idle {
                    name: &name,
                    site: serving.site,
                    inventory: &serving.inventory,
                    sources: &sources,
                    base: &base,
                    generation: k,
                    last: &end.vm,
                }
                .places();
                let report = ToOperator::Finished {
                    state,
                    done: end.ending == Ending::Finished,
                    received: end.received,
                    failures: end
                        .failures
                        .iter()
                        .map(|f| format!("{}.{}: {}", f.instance, f.transition, f.failure.status))
                        .collect(),
                };
                let _ = link.send(&encode(&report)).await;
            }
            if end.ending != Ending::Finished {
                return Ok(end);
            }
            println!("[{name}] generation {k} done everywhere");
            last = end.vm;
        }
        config = None;
        // Idle, on the next generation's transport.
        generation::clear(&base, k + 1)?;
        let (sender, mut receiver) = start_net(&serving, generation::dir(&base, k + 1)).await?;
        let shown = sender
            .local_addr()
            .map_or(serving.net.listen.clone(), |a| a.to_string());
        println!(
            "[{name}] idle at generation {k}, listening on {shown}: waiting for `balletc apply`"
        );
        let idle = Idle {
            name: &name,
            site: serving.site,
            inventory: &serving.inventory,
            sources: &sources,
            base: &base,
            generation: k,
            last: &last,
        };
        let mut links = sender.operator_links();
        sender.set_status(idle.status("idle: waiting for `balletc apply`").encode());
        let committed = loop {
            tokio::select! {
                _ = stop.cancelled() => break None,
                link = links.recv() => {
                    let Some(link) = link else { break None };
                    match take_part(&idle, link, &sender, &mut receiver, &mut links).await {
                        Ok(c) => break Some(c),
                        Err(why) => {
                            println!("[{name}] apply abandoned: {why}");
                            sender.set_status(idle.status("idle: waiting for `balletc apply`").encode());
                        }
                    }
                }
                got = receiver.recv() => {
                    if got.is_none() {
                        break None;
                    }
                    // A late payload of an abandoned apply or of the last
                    // generation: acknowledged and dropped.
                    let _ = sender.checkpoint().await;
                }
            }
        };
        let Some(Committed { agent, link }) = committed else {
            sender.shutdown().await;
            return Ok(AgentEnd {
                ending: Ending::Stopped,
                vm: last,
                received: 0,
                sent: 0,
                failures: Vec::new(),
                last_change: std::time::Instant::now(),
            });
        };
        k += 1;
        println!(
            "[{name}] generation {k}: running its program ({} instructions)",
            agent.vm().image().code.len()
        );
        transport = Some((sender, receiver));
        pending = Some((agent, Some(link)));
    }
}

/// Starts a generation's transport, with its state in `dir`.
async fn start_net(serving: &Serving, dir: PathBuf) -> Result<(Sender, Receiver), String> {
    let config = NetConfig {
        state_dir: Some(dir),
        ..serving.net.clone()
    };
    net::start(config)
        .await
        .map_err(|e| format!("site `{}`: {e}", serving.name))
}

/// How generation `k ≥ 1` runs: like generation 0, with its own files, and
/// until it is done everywhere.
fn generation_config(serving: &Serving, base: &std::path::Path, k: u64) -> AgentConfig {
    AgentConfig {
        exec: ExecConfig {
            log_dir: generation::dir(base, k).join("logs"),
            ..serving.exec.clone()
        },
        store: Store::Durable(generation::checkpoint_path(base, k)),
        durable_net: true,
        peers: (0..serving.inventory.len())
            .map(SiteId::from_index)
            .filter(|s| *s != serving.site)
            .collect(),
        exit: Exit::WhenFinished,
    }
}
