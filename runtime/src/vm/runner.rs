//! Running every site of a plan in one process: one tokio task per site,
//! messages through a [`Transport`], transitions as tokio tasks.
//!
//! A site task handles one event at a time (a message, a transition's end),
//! lets its [`SiteVm`] run to a fixpoint, checkpoints, reports its progress,
//! sends the VM's messages and starts its transitions. The run ends when no
//! work is left ([`Work`]): every site is then done, or blocked for good
//! (a failed action, or a deadlock).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};
use tokio::sync::watch;

use crate::agent::background::{BackgroundWriter, CheckpointWriter};
use crate::ids::{InstanceId, SiteId, TransitionId};
use crate::vm::action::{execution_id, start_job, ActionFailure, ExecConfig, Job};
use crate::vm::message::AgentMessage;
use crate::vm::site::{Output, SiteVm};
use crate::vm::transport::{Mailboxes, Transport, Work};

/// How a run goes.
#[derive(Clone, Debug, Default)]
pub struct RunConfig {
    /// How transitions run.
    pub exec: ExecConfig,
    /// Where each site's checkpoint goes (`<dir>/<site>.ckpt`); none if
    /// `None`.
    pub checkpoint_dir: Option<PathBuf>,
}

/// One site's progress, reported after each event it handled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SiteProgress {
    /// The site (global id).
    pub site: SiteId,
    /// Instructions executed.
    pub pc: usize,
    /// Instructions in its program.
    pub len: usize,
    /// Running transitions, as `instance.transition`.
    pub running: Vec<String>,
    /// Messages it has received.
    pub received: u64,
    /// Whether it is done.
    pub done: bool,
}

/// A transition whose action failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransitionFailure {
    /// The site's name.
    pub site: String,
    /// The instance's name.
    pub instance: String,
    /// The transition's name.
    pub transition: String,
    /// What went wrong.
    pub failure: ActionFailure,
}

/// What the runner tells its caller while it runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RunEvent {
    /// A site's progress.
    Progress(SiteProgress),
    /// A transition failed.
    Failure(TransitionFailure),
    /// A checkpoint could not be written.
    CheckpointError(String),
}

/// How a run ended.
#[derive(Debug)]
pub struct RunOutcome {
    /// From the first site's start to the last state change (the
    /// simulator's time 0 is when the programs start executing).
    pub elapsed: Duration,
    /// Messages delivered.
    pub messages: u64,
    /// Failed transitions.
    pub failures: Vec<TransitionFailure>,
    /// Every site's VM in its final state, by global site id.
    pub vms: Vec<SiteVm>,
}

impl RunOutcome {
    /// Whether every site is done.
    pub fn done(&self) -> bool {
        self.vms.iter().all(SiteVm::done)
    }
}

enum Report {
    /// A site starts executing its program.
    Started(Instant),
    Event(RunEvent),
    Changed(Instant),
}

/// Runs `vms` (one per site of the plan, in global site order) to the end.
/// `rerun[k]` are transitions of site `k` to run again (after a resume:
/// [`SiteVm::resume`]). `transport` builds the transport over the sites'
/// inboxes. `on_event` sees every progress report and failure.
pub async fn run_sites<T: Transport>(
    vms: Vec<SiteVm>,
    rerun: Vec<Vec<(InstanceId, TransitionId)>>,
    transport: impl FnOnce(Mailboxes) -> T,
    config: RunConfig,
    mut on_event: impl FnMut(&RunEvent),
) -> Result<RunOutcome, String> {
    for (k, vm) in vms.iter().enumerate() {
        if vm.site().index() != k {
            return Err(format!(
                "site `{}` is given at position {k}, not at its id {}",
                vm.image().site_name(),
                vm.site().index()
            ));
        }
    }
    let work = Arc::new(Work::default());
    work.add(vms.len());
    let (inboxes, receivers): (Vec<_>, Vec<_>) = vms.iter().map(|_| unbounded_channel()).unzip();
    let transport = Arc::new(transport(Mailboxes::new(inboxes, work.clone())));
    let (reports, mut monitor) = unbounded_channel();
    let (stop, stopped) = watch::channel(false);
    let config = Arc::new(config);
    let start = Instant::now();
    let mut tasks = Vec::new();
    let mut rerun = rerun.into_iter();
    let disk = match &config.checkpoint_dir {
        Some(_) => Some(CheckpointWriter::spawn()?),
        None => None,
    };
    for (vm, inbox) in vms.into_iter().zip(receivers) {
        let writer = config
            .checkpoint_dir
            .as_ref()
            .zip(disk.as_ref())
            .map(|(dir, disk)| disk.file(dir.join(format!("{}.ckpt", vm.image().site_name()))));
        let task = SiteTask {
            writer,
            vm,
            transport: transport.clone(),
            work: work.clone(),
            reports: reports.clone(),
            config: config.clone(),
            received: 0,
        };
        let again = rerun.next().unwrap_or_default();
        tasks.push(tokio::spawn(task.run(inbox, again, stopped.clone())));
    }
    drop(reports);
    let mut failures = Vec::new();
    let mut first: Option<Instant> = None;
    let mut last = start;
    work.follow(&mut monitor, |report| match report {
        Report::Started(at) => first = Some(first.map_or(at, |f| f.min(at))),
        Report::Changed(at) => last = last.max(at),
        Report::Event(event) => {
            if let RunEvent::Failure(f) = &event {
                failures.push(f.clone());
            }
            on_event(&event);
        }
    })
    .await;
    let _ = stop.send(true);
    let mut vms = Vec::new();
    let mut messages = 0;
    for task in tasks {
        let (vm, received, writer) = task.await.map_err(|e| format!("a site task failed: {e}"))?;
        messages += received;
        // The last state is written here, after the writer has finished, so
        // a stopped run always resumes from where it ended.
        if let Some(writer) = writer {
            if let Err(e) = writer.finish(&vm.checkpoint().encode()) {
                on_event(&RunEvent::CheckpointError(e));
            }
        }
        vms.push(vm);
    }
    Ok(RunOutcome {
        elapsed: last.saturating_duration_since(first.unwrap_or(start)),
        messages,
        failures,
        vms,
    })
}

struct SiteTask<T> {
    writer: Option<BackgroundWriter>,
    vm: SiteVm,
    transport: Arc<T>,
    work: Arc<Work>,
    reports: UnboundedSender<Report>,
    config: Arc<RunConfig>,
    received: u64,
}

type Ended = (InstanceId, TransitionId, Result<(), ActionFailure>);

impl<T: Transport> SiteTask<T> {
    async fn run(
        mut self,
        mut inbox: UnboundedReceiver<Vec<u8>>,
        rerun: Vec<(InstanceId, TransitionId)>,
        mut stopped: watch::Receiver<bool>,
    ) -> (SiteVm, u64, Option<BackgroundWriter>) {
        let (ended_tx, mut ended) = unbounded_channel::<Ended>();
        let _ = self.reports.send(Report::Started(Instant::now()));
        let mut out = self.vm.start();
        out.start.extend(rerun);
        self.finish(out, true, &ended_tx);
        loop {
            tokio::select! {
                bytes = inbox.recv() => {
                    let Some(bytes) = bytes else { break };
                    self.received += 1;
                    let out = match AgentMessage::decode(&bytes) {
                        Some(m) => self.vm.receive(&m),
                        None => Output::default(),
                    };
                    self.finish(out, false, &ended_tx);
                }
                Some((i, t, result)) = ended.recv() => {
                    let out = match result {
                        Ok(()) => self.vm.transition_ended(i, t),
                        Err(failure) => {
                            self.vm.transition_failed(i);
                            let job = job(&self.vm, i, t);
                            let _ = self.reports.send(Report::Event(RunEvent::Failure(
                                TransitionFailure {
                                    site: job.site,
                                    instance: job.instance,
                                    transition: job.transition,
                                    failure,
                                },
                            )));
                            Output::default()
                        }
                    };
                    self.finish(out, true, &ended_tx);
                }
                _ = stopped.changed() => break,
            }
        }
        (self.vm, self.received, self.writer)
    }

    /// After an event: checkpoint, report, send, start; then release the
    /// event's piece of work (new work is counted before).
    fn finish(&mut self, out: Output, state_changed: bool, ended: &UnboundedSender<Ended>) {
        let changed = state_changed || out != Output::default();
        if changed {
            self.checkpoint();
            let _ = self.reports.send(Report::Changed(Instant::now()));
        }
        let progress = SiteProgress {
            site: self.vm.site(),
            pc: self.vm.pc(),
            len: self.vm.image().code.len(),
            running: self
                .vm
                .running()
                .into_iter()
                .map(|(i, t)| {
                    let j = job(&self.vm, i, t);
                    format!("{}.{}", j.instance, j.transition)
                })
                .collect(),
            received: self.received,
            done: self.vm.done(),
        };
        let _ = self
            .reports
            .send(Report::Event(RunEvent::Progress(progress)));
        for (to, message) in out.send {
            self.transport.send(to, message.encode());
        }
        self.work.add(out.start.len());
        for (i, t) in out.start {
            let ended = ended.clone();
            start_job(job(&self.vm, i, t), &self.config.exec, move |result| {
                let _ = ended.send((i, t, result));
            });
        }
        self.work.done();
    }

    fn checkpoint(&self) {
        if let Some(writer) = &self.writer {
            writer.write(self.vm.checkpoint().encode());
        }
    }
}

/// The [`Job`] of transition `t` of local instance `i`.
pub fn job(vm: &SiteVm, i: InstanceId, t: TransitionId) -> Job {
    let view = vm.view();
    let inst = &view.plan.universe.instances[i.index()];
    let ty = view.model.ty(inst.ty);
    let tr = ty.transition(t);
    // While `t` runs its behavior is the head, so its finished count is
    // that of the executions before this one.
    let finished = vm.system().states[i.index()]
        .as_ref()
        .map_or(0, |s| s.finished[tr.behavior.index()]);
    Job {
        site: vm.image().site_name().to_string(),
        instance: inst.name.clone(),
        transition: tr.name.clone(),
        behavior: ty.behavior(tr.behavior).name.clone(),
        cost: tr.cost,
        action: tr.action.clone(),
        execution: execution_id(&inst.name, &tr.name, finished + 1),
    }
}
