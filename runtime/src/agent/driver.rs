//! The agent loop: one [`SiteVm`] driven by the network transport.
//!
//! Every event (a payload from a peer, the end of a transition) is handled
//! the same way: the VM runs to a fixpoint, then the event is made durable
//! and its effects happen, in this order (the *checkpoint ordering*):
//!
//! 1. the agent's checkpoint (`checkpoint.rs`: the VM's state, the event's
//!    outgoing payloads, the peers known to be done) is written atomically;
//! 2. the outgoing payloads are queued on the transport;
//! 3. the transport's delivery state is checkpointed
//!    ([`crate::net::Sender::checkpoint`]): it records the payloads just
//!    queued and lets peers forget the ones handled so far;
//! 4. the transitions the VM started run (`vm::action`);
//! 5. the status and the progress are reported.
//!
//! Payloads waiting together are handled as one event.
//!
//! A crash before 1 re-delivers the event (the transport has not
//! acknowledged it) or re-runs the transition (still running in the last
//! checkpoint); a crash after 1 re-sends the event's payloads from the
//! checkpoint; after 3, the transport has them. The next checkpoint of
//! ours leaves them out only once 3 has recorded them. Facts are
//! idempotent, so nothing is lost and a duplicate changes nothing.
//!
//! A restarted agent ([`Agent::restore`]) starts its VM again
//! ([`SiteVm::start`]: every fact peers may need is stated again), re-runs
//! the transitions that were running ([`SiteVm::resume`]) and re-sends the
//! last event's payloads.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc::{unbounded_channel, UnboundedSender};
use tokio_util::sync::CancellationToken;

use crate::agent::checkpoint::AgentCheckpoint;
use crate::agent::payload::Payload;
use crate::agent::status::AgentStatus;
use crate::agent::store::Store;
use crate::bytecode::SiteImage;
use crate::ids::{InstanceId, SiteId, TransitionId};
use crate::net::{Receiver, Sender};
use crate::vm::action::{start_job, ActionFailure, ExecConfig};
use crate::vm::runner::job;
use crate::vm::{AgentMessage, Output, RunEvent, SiteProgress, SiteVm, TransitionFailure, Work};

/// At most this many payloads waiting together are handled as one event.
const BATCH: usize = 64;

/// How long a finished agent goes on answering before it leaves, so that
/// its last acknowledgements reach the peers that wait for them.
pub const LINGER: Duration = Duration::from_millis(300);

/// How an agent runs.
#[derive(Debug)]
pub struct AgentConfig {
    /// How transitions run.
    pub exec: ExecConfig,
    /// Where its checkpoints go.
    pub store: Store,
    /// Whether the transport keeps a delivery state on disk (its checkpoint
    /// then follows each of the agent's).
    pub durable_net: bool,
    /// Every other site: all must say they are done before this one leaves.
    pub peers: Vec<SiteId>,
    /// When the loop ends by itself.
    pub exit: Exit,
}

/// When an agent's loop ends by itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Never: it runs until stopped (an agent answering `status`, or the
    /// agents of an in-process run, stopped when the run is quiet).
    Never,
    /// Once its program and every peer's are done and each peer has
    /// acknowledged what it was sent until both were done (see
    /// [`Agent::run`]); or at once when an action fails (`balletc agent
    /// --once`).
    WhenFinished,
}

/// How an agent reports to its caller.
#[derive(Clone, Debug, Default)]
pub struct Hooks {
    /// Progress, failures and warnings.
    pub events: Option<UnboundedSender<RunEvent>>,
    /// The outstanding work of an in-process run: a payload counts from its
    /// send until its receiver has handled it, a transition until it ended,
    /// the agent until it has started.
    pub work: Option<Arc<Work>>,
}

/// Why an agent's loop ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ending {
    /// Its program and every peer's are done, and every peer acknowledged
    /// what it needed.
    Finished,
    /// An action failed ([`Exit::WhenFinished`] only).
    Failed,
    /// It was stopped, or its transport closed.
    Stopped,
}

/// What an agent's loop ends with.
#[derive(Debug)]
pub struct AgentEnd {
    /// Why it ended.
    pub ending: Ending,
    /// The VM in its final state.
    pub vm: SiteVm,
    /// Payloads received.
    pub received: u64,
    /// Payloads sent.
    pub sent: u64,
    /// Failed transitions.
    pub failures: Vec<TransitionFailure>,
    /// The last change of the VM's state.
    pub last_change: Instant,
}

/// An agent before it runs: a VM, fresh or restored.
#[derive(Debug)]
pub struct Agent {
    vm: SiteVm,
    rerun: Vec<(InstanceId, TransitionId)>,
    pending: Vec<(SiteId, Payload)>,
    peers_done: BTreeSet<SiteId>,
}

type Ended = (InstanceId, TransitionId, Result<(), ActionFailure>);

impl Agent {
    /// An agent at the start of `vm`'s program.
    pub fn new(vm: SiteVm) -> Agent {
        Agent {
            vm,
            rerun: Vec::new(),
            pending: Vec::new(),
            peers_done: BTreeSet::new(),
        }
    }

    /// An agent for `image` in the state of `checkpoint`: it will re-run
    /// the transitions that were running (failed ones included) and re-send
    /// the last event's payloads. `Err` if the checkpoint belongs to another
    /// plan.
    pub fn restore(image: SiteImage, checkpoint: AgentCheckpoint) -> Result<Agent, String> {
        let mut vm = SiteVm::restore(image, checkpoint.vm)?;
        let rerun = vm.resume();
        Ok(Agent {
            vm,
            rerun,
            pending: checkpoint.outgoing,
            peers_done: checkpoint.peers_done.into_iter().collect(),
        })
    }

    /// The VM.
    pub fn vm(&self) -> &SiteVm {
        &self.vm
    }

    /// Runs the agent over `sender`/`receiver` until it finishes, fails
    /// ([`Exit::WhenFinished`]) or `stop` is cancelled; then shuts the
    /// transport down.
    ///
    /// It finishes once its program and every peer's are done and each peer
    /// has acknowledged every payload sent to it up to the moment this site
    /// was done and knew that peer done (its `Done` included). What is sent
    /// later (answers to a restarted peer stating its facts again, say) is
    /// of no use to a done peer, which may already have left: waiting for
    /// its acknowledgement would keep this agent up forever.
    pub async fn run(
        self,
        sender: Sender,
        mut receiver: Receiver,
        config: AgentConfig,
        hooks: Hooks,
        stop: CancellationToken,
    ) -> AgentEnd {
        let (ended_tx, mut ended) = unbounded_channel::<Ended>();
        let mut r = Running {
            vm: self.vm,
            sender: sender.clone(),
            config,
            hooks,
            ended_tx,
            peers_done: self.peers_done,
            announced_done: false,
            received: 0,
            sent: 0,
            failures: Vec::new(),
            last_change: Instant::now(),
            last_saved: Vec::new(),
            taken: false,
            needed: BTreeMap::new(),
        };
        let mut out = r.vm.start();
        out.start.extend(self.rerun);
        let mut outgoing = self.pending;
        outgoing.extend(facts(&out));
        r.after(out, outgoing, true).await;
        r.work_done();
        let once = r.config.exit == Exit::WhenFinished;
        let mut ending = loop {
            if once && !r.failures.is_empty() {
                break Ending::Failed;
            }
            let finished = once && r.finished();
            let marks = r.marks();
            tokio::select! {
                _ = stop.cancelled() => break Ending::Stopped,
                got = receiver.recv() => match got {
                    Some(first) => {
                        let mut batch = vec![first];
                        while batch.len() < BATCH {
                            match receiver.try_recv() {
                                Some(next) => batch.push(next),
                                None => break,
                            }
                        }
                        r.on_payloads(batch).await;
                    }
                    None => break Ending::Stopped,
                },
                Some(end) = ended.recv() => r.on_ended(end).await,
                () = sender.settled_upto(&marks), if finished => break Ending::Finished,
            }
        };
        if ending == Ending::Finished {
            // Answer for a while: our acknowledgement of the last peer's
            // `Done` may still be on its way.
            let linger = tokio::time::sleep(LINGER);
            tokio::pin!(linger);
            loop {
                tokio::select! {
                    () = &mut linger => break,
                    _ = stop.cancelled() => break,
                    got = receiver.recv() => match got {
                        Some(payload) => r.on_payloads(vec![payload]).await,
                        None => break,
                    },
                }
            }
            if !r.finished() {
                ending = Ending::Stopped;
            }
        }
        let end = r.finish(ending).await;
        sender.shutdown().await;
        end
    }
}

/// The VM's messages as payloads: one per destination, in the order of
/// their first message.
fn facts(out: &Output) -> Vec<(SiteId, Payload)> {
    let mut payloads: Vec<(SiteId, Vec<AgentMessage>)> = Vec::new();
    for (to, m) in &out.send {
        match payloads.iter_mut().find(|(site, _)| site == to) {
            Some((_, facts)) => facts.push(m.clone()),
            None => payloads.push((*to, vec![m.clone()])),
        }
    }
    payloads
        .into_iter()
        .map(|(to, facts)| (to, Payload::Facts(facts)))
        .collect()
}

/// The state of a running agent.
struct Running {
    vm: SiteVm,
    sender: Sender,
    config: AgentConfig,
    hooks: Hooks,
    ended_tx: UnboundedSender<Ended>,
    peers_done: BTreeSet<SiteId>,
    announced_done: bool,
    received: u64,
    sent: u64,
    failures: Vec<TransitionFailure>,
    last_change: Instant,
    /// The bytes of the last checkpoint saved.
    last_saved: Vec<u8>,
    /// Whether a payload was taken since the transport's last checkpoint.
    taken: bool,
    /// Per peer known done while this site is done: the number of the last
    /// payload sent to it by then, which it must acknowledge before this
    /// agent leaves.
    needed: BTreeMap<SiteId, u64>,
}

impl Running {
    /// Whether this program and every peer's are done.
    fn finished(&self) -> bool {
        self.vm.done()
            && self
                .config
                .peers
                .iter()
                .all(|p| self.peers_done.contains(p))
    }

    /// What each peer must acknowledge before this agent leaves (see
    /// `needed`; everything sent so far for a peer without a mark yet).
    fn marks(&self) -> Vec<(SiteId, u64)> {
        self.config
            .peers
            .iter()
            .map(|&p| {
                let mark = self.needed.get(&p).copied();
                (p, mark.unwrap_or_else(|| self.sender.last_sent(p)))
            })
            .collect()
    }

    fn event(&self, event: RunEvent) {
        if let Some(events) = &self.hooks.events {
            let _ = events.send(event);
        }
    }

    fn work_done(&self) {
        if let Some(work) = &self.hooks.work {
            work.done();
        }
    }

    /// Handles payloads that arrived together as one event: one
    /// checkpoint, one report (a site many peers talk to at once, `system`
    /// hearing from every listener at the start of the CPS update, say,
    /// would otherwise checkpoint and report once per payload).
    async fn on_payloads(&mut self, batch: Vec<(SiteId, Vec<u8>)>) {
        let handled = batch.len();
        let mut out = Output::default();
        for (from, bytes) in batch {
            self.received += 1;
            self.taken = true;
            match Payload::decode(&bytes) {
                Some(Payload::Facts(facts)) if facts.iter().all(|m| m.from == from) => {
                    for m in &facts {
                        out.extend(self.vm.receive(m));
                    }
                }
                Some(Payload::Done) => {
                    self.peers_done.insert(from);
                }
                _ => tracing::warn!(
                    site = self.vm.image().site_name(),
                    "dropped a malformed payload from site #{}",
                    from.0
                ),
            }
        }
        let outgoing = facts(&out);
        self.after(out, outgoing, false).await;
        for _ in 0..handled {
            self.work_done();
        }
    }

    async fn on_ended(&mut self, (i, t, result): Ended) {
        let out = match result {
            Ok(()) => self.vm.transition_ended(i, t),
            Err(failure) => {
                self.vm.transition_failed(i);
                let job = job(&self.vm, i, t);
                let failure = TransitionFailure {
                    site: job.site,
                    instance: job.instance,
                    transition: job.transition,
                    failure,
                };
                self.event(RunEvent::Failure(failure.clone()));
                self.failures.push(failure);
                Output::default()
            }
        };
        let outgoing = facts(&out);
        self.after(out, outgoing, true).await;
        self.work_done();
    }

    /// After an event: checkpoint, transport checkpoint, report, send,
    /// start (see the module documentation).
    async fn after(&mut self, out: Output, mut outgoing: Vec<(SiteId, Payload)>, changed: bool) {
        if self.vm.done() && !self.announced_done {
            self.announced_done = true;
            outgoing.extend(self.config.peers.iter().map(|&p| (p, Payload::Done)));
        }
        if changed || out != Output::default() || !outgoing.is_empty() {
            self.last_change = Instant::now();
        }
        let bytes = self.checkpoint_bytes(&outgoing);
        let mut saved = true;
        if bytes != self.last_saved {
            match self.config.store.save(bytes.clone()).await {
                Ok(()) => self.last_saved = bytes,
                Err(e) => {
                    saved = false;
                    self.event(RunEvent::CheckpointError(e));
                }
            }
        }
        let sends = !outgoing.is_empty();
        for (to, payload) in outgoing {
            if let Some(work) = &self.hooks.work {
                work.add(1);
            }
            match self.sender.send(to, payload.encode()) {
                Ok(()) => self.sent += 1,
                Err(e) => {
                    self.work_done();
                    self.event(RunEvent::CheckpointError(format!(
                        "cannot send to site #{}: {e}",
                        to.0
                    )));
                }
            }
        }
        // From the moment this site is done and knows a peer done, what it
        // sends that peer is of no use to it (see `Agent::run`).
        if self.vm.done() {
            for &p in &self.config.peers {
                if self.peers_done.contains(&p) && !self.needed.contains_key(&p) {
                    self.needed.insert(p, self.sender.last_sent(p));
                }
            }
        }
        // The transport's checkpoint acknowledges what was handled (only
        // once our checkpoint is on disk) and records what was just sent
        // (so the next checkpoint of ours may leave it out).
        if saved && (self.taken || sends) {
            self.net_checkpoint().await;
        }
        if let Some(work) = &self.hooks.work {
            work.add(out.start.len());
        }
        for (i, t) in out.start {
            let ended = self.ended_tx.clone();
            start_job(job(&self.vm, i, t), &self.config.exec, move |result| {
                let _ = ended.send((i, t, result));
            });
        }
        // Reports last: they are not on the sites' critical path.
        self.sender.set_status(self.status().encode());
        self.event(RunEvent::Progress(self.progress()));
    }

    /// Checkpoints the transport's delivery state, if it keeps one.
    async fn net_checkpoint(&mut self) -> bool {
        if !self.config.durable_net {
            return true;
        }
        match self.sender.checkpoint().await {
            Ok(_) => {
                self.taken = false;
                true
            }
            Err(e) => {
                self.event(RunEvent::CheckpointError(e.to_string()));
                false
            }
        }
    }

    fn checkpoint_bytes(&self, outgoing: &[(SiteId, Payload)]) -> Vec<u8> {
        AgentCheckpoint {
            vm: self.vm.checkpoint(),
            outgoing: outgoing.to_vec(),
            peers_done: self.peers_done.iter().copied().collect(),
        }
        .encode()
    }

    fn running(&self) -> Vec<String> {
        self.vm
            .running()
            .into_iter()
            .map(|(i, t)| {
                let j = job(&self.vm, i, t);
                format!("{}.{}", j.instance, j.transition)
            })
            .collect()
    }

    fn progress(&self) -> SiteProgress {
        SiteProgress {
            site: self.vm.site(),
            pc: self.vm.pc(),
            len: self.vm.image().code.len(),
            running: self.running(),
            received: self.received,
            done: self.vm.done(),
        }
    }

    fn status(&self) -> AgentStatus {
        let done = self.vm.done();
        AgentStatus {
            site: self.vm.image().site_name().to_string(),
            pc: self.vm.pc(),
            len: self.vm.image().code.len(),
            running: self.running(),
            done,
            blocked: if done { None } else { self.vm.blocked() },
            failures: self
                .failures
                .iter()
                .map(|f| format!("{}.{}: {}", f.instance, f.transition, f.failure.status))
                .collect(),
            received: self.received,
            sent: self.sent,
            unacked: self.sender.unacked() as u64,
            peers_done: (
                self.config
                    .peers
                    .iter()
                    .filter(|p| self.peers_done.contains(p))
                    .count(),
                self.config.peers.len(),
            ),
        }
    }

    /// The final checkpoints and the loop's result. The transport's comes
    /// first: once it records every payload sent, ours may leave out the
    /// last event's.
    async fn finish(mut self, ending: Ending) -> AgentEnd {
        let recorded = self.net_checkpoint().await;
        let bytes = self.checkpoint_bytes(&[]);
        let store = std::mem::replace(&mut self.config.store, Store::Nothing);
        let result = match store {
            Store::Durable(_) if !recorded || bytes == self.last_saved => Ok(()),
            store => tokio::task::spawn_blocking(move || store.finish(&bytes))
                .await
                .unwrap_or_else(|e| Err(format!("checkpoint task: {e}"))),
        };
        if let Err(e) = result {
            self.event(RunEvent::CheckpointError(e));
        }
        AgentEnd {
            ending,
            vm: self.vm,
            received: self.received,
            sent: self.sent,
            failures: self.failures,
            last_change: self.last_change,
        }
    }
}
