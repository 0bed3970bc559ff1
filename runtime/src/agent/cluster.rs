//! Every site of a plan as an agent in this process, over real TCP on
//! loopback (`balletc run`): each agent gets its own transport, bound on
//! `127.0.0.1` port 0 before any is started so that every peer knows every
//! address, and credentials generated in memory for the run. A site links
//! only to its neighbours (`neighbors.rs`).
//!
//! The run ends when no work is left ([`Work`]): a payload counts from its
//! send until the receiving agent has handled it, a transition until it
//! ended, an agent until it has started. Every site is then done, or blocked
//! for good (a failed action, or a deadlock); the agents are stopped and
//! their final states returned.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::net::TcpListener;
use tokio::sync::mpsc::unbounded_channel;
use tokio_util::sync::CancellationToken;

use crate::agent::background::CheckpointWriter;
use crate::agent::driver::{Agent, AgentConfig, Exit, Hooks};
use crate::agent::neighbors::neighbors;
use crate::agent::store::Store;
use crate::ids::SiteId;
use crate::net::{self, ClusterKeys, NetConfig};
use crate::vm::{ExecConfig, RunEvent, RunOutcome, Work};

/// How long the run waits for its links to come up before it starts.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How an in-process run goes.
#[derive(Clone, Debug)]
pub struct ClusterConfig {
    /// How transitions run.
    pub exec: ExecConfig,
    /// Where each site's checkpoint goes (`<dir>/<site>.ckpt`, written in
    /// the background, the last state when the run stops); none if `None`.
    pub checkpoint_dir: Option<PathBuf>,
    /// The transports' largest frame.
    pub max_frame: usize,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        ClusterConfig {
            exec: ExecConfig::default(),
            checkpoint_dir: None,
            max_frame: 1 << 20,
        }
    }
}

/// Runs `agents` (one per site of the plan, in global site order) to the
/// end over loopback TCP. `on_event` sees every progress report, failure
/// and warning.
pub async fn run_cluster(
    agents: Vec<Agent>,
    config: ClusterConfig,
    mut on_event: impl FnMut(&RunEvent),
) -> Result<RunOutcome, String> {
    let names: Vec<String> = agents
        .iter()
        .map(|a| a.vm().image().site_name().to_string())
        .collect();
    for (k, agent) in agents.iter().enumerate() {
        if agent.vm().site().index() != k {
            return Err(format!(
                "site `{}` is given at position {k}, not at its id {}",
                names[k],
                agent.vm().site().index()
            ));
        }
    }
    let keys = ClusterKeys::generate(&names).map_err(|e| e.to_string())?;
    let mut listeners = Vec::new();
    let mut addresses = Vec::new();
    for name in &names {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| format!("cannot listen for site `{name}` on 127.0.0.1: {e}"))?;
        let address = listener
            .local_addr()
            .map_err(|e| format!("site `{name}`: {e}"))?;
        addresses.push(address.to_string());
        listeners.push(listener);
    }
    let images: Vec<_> = agents.iter().map(|a| a.vm().image()).collect();
    let neighbors = neighbors(&images);
    let work = Arc::new(Work::default());
    work.add(agents.len());
    let (events, mut monitor) = unbounded_channel();
    let stop = CancellationToken::new();
    let writer = match &config.checkpoint_dir {
        Some(_) => Some(CheckpointWriter::spawn()?),
        None => None,
    };
    let mut nodes = Vec::new();
    for ((k, agent), listener) in agents.into_iter().enumerate().zip(listeners) {
        let site = SiteId::from_index(k);
        let peers: Vec<(SiteId, String)> = addresses
            .iter()
            .enumerate()
            .filter(|(j, _)| neighbors[k].contains(&SiteId::from_index(*j)))
            .map(|(j, a)| (SiteId::from_index(j), a.clone()))
            .collect();
        let credentials = keys
            .credentials(site)
            .ok_or_else(|| format!("no key for site `{}`", names[k]))?;
        let net_config = NetConfig {
            site,
            peers: peers.clone(),
            listen: addresses[k].clone(),
            credentials,
            max_frame: config.max_frame,
            state_dir: None,
        };
        let (sender, receiver) = net::start_on(listener, net_config)
            .await
            .map_err(|e| format!("site `{}`: {e}", names[k]))?;
        let store = match (&config.checkpoint_dir, &writer) {
            (Some(dir), Some(writer)) => {
                Store::Background(writer.file(dir.join(format!("{}.ckpt", names[k]))))
            }
            _ => Store::Nothing,
        };
        let agent_config = AgentConfig {
            exec: config.exec.clone(),
            store,
            durable_net: false,
            peers: peers.into_iter().map(|(s, _)| s).collect(),
            exit: Exit::Never,
        };
        let hooks = Hooks {
            events: Some(events.clone()),
            work: Some(work.clone()),
        };
        nodes.push((agent, sender, receiver, agent_config, hooks));
    }
    drop(events);
    // The run starts once every link is up, so that the measured makespan
    // does not count the handshakes; a link that does not come up in time
    // is the transport's business (it keeps calling).
    for (_, sender, _, config, _) in &nodes {
        let mut stats = sender.watch_stats();
        let want = config.peers.len() as u64;
        let _ =
            tokio::time::timeout(CONNECT_TIMEOUT, stats.wait_for(|s| s.connected >= want)).await;
    }
    let start = Instant::now();
    let tasks: Vec<_> = nodes
        .into_iter()
        .map(|(agent, sender, receiver, config, hooks)| {
            tokio::spawn(agent.run(sender, receiver, config, hooks, stop.clone()))
        })
        .collect();
    let mut failures = Vec::new();
    work.follow(&mut monitor, |event| {
        if let RunEvent::Failure(f) = &event {
            failures.push(f.clone());
        }
        on_event(&event);
    })
    .await;
    stop.cancel();
    let mut vms = Vec::new();
    let mut messages = 0;
    let mut last = start;
    for task in tasks {
        let end = task.await.map_err(|e| format!("an agent failed: {e}"))?;
        messages += end.received;
        last = last.max(end.last_change);
        vms.push(end.vm);
    }
    // Warnings of the final checkpoints.
    while let Ok(e) = monitor.try_recv() {
        on_event(&e);
    }
    Ok(RunOutcome {
        elapsed: last.duration_since(start),
        messages,
        failures,
        vms,
    })
}
