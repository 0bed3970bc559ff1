//! The operator's side of `balletc apply`: one link per agent, each in a
//! task of its own, and the phases of the protocol (`apply/mod.rs`) over
//! them. Every wait is bounded; any agent that refuses, fails or leaves
//! before `Run` aborts the apply everywhere.

use std::time::Duration;

use ballet_runtime::net::{open_link, OperatorCredentials, OperatorLink};
use ballet_runtime::program::Instruction;
use ballet_runtime::recorded::{RecordedState, VERSION};
use ballet_runtime::SiteId;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};
use tokio::time::{timeout_at, Instant};

use crate::apply::message::{decode, encode, ApplyRequest, ToAgent, ToOperator};
use crate::plan::protocol::{Envelope, Message};
use crate::plan::session::Operator;

/// How long an agent has to answer `Prepare`, `Commit` or `Run`.
pub const ANSWER_LIMIT: Duration = Duration::from_secs(30);

/// The end of one site's generation, as it reported it.
#[derive(Clone, Debug, PartialEq)]
pub struct SiteEnd {
    /// Whether its program and every peer's are done.
    pub done: bool,
    /// Payloads it received.
    pub received: u64,
    /// Its failed transitions.
    pub failures: Vec<String>,
    /// Its local instances' places.
    pub state: RecordedState,
}

type Event = (usize, Result<ToOperator, String>);

/// The operator's links to every agent of the inventory.
pub struct OperatorSession {
    names: Vec<String>,
    links: Vec<UnboundedSender<ToAgent>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    events: UnboundedReceiver<Event>,
    /// Sites whose generation ended (their link closing is then expected).
    ended: Vec<bool>,
}

impl OperatorSession {
    /// Opens a link to every agent of `inventory` (name, address); `Err`
    /// names every agent that cannot be reached.
    pub async fn connect(
        inventory: &[(String, String)],
        creds: &OperatorCredentials,
        limit: Duration,
    ) -> Result<OperatorSession, String> {
        let opening = inventory.iter().enumerate().map(|(i, (_, address))| {
            let (creds, address) = (creds.clone(), address.clone());
            tokio::spawn(async move {
                open_link(&address, &creds, SiteId::from_index(i), 1 << 20, limit).await
            })
        });
        let handles: Vec<_> = opening.collect();
        let (tx, events) = unbounded_channel();
        let mut links = Vec::new();
        let mut unreachable = Vec::new();
        for (i, handle) in handles.into_iter().enumerate() {
            let (name, address) = &inventory[i];
            match handle.await {
                Ok(Ok(link)) => links.push(spawn_link(i, link, tx.clone())),
                Ok(Err(e)) => unreachable.push(format!("`{name}` at {address}: {e}")),
                Err(e) => unreachable.push(format!("`{name}` at {address}: {e}")),
            }
        }
        if !unreachable.is_empty() {
            return Err(format!(
                "agents unreachable: {} (start them with `balletc agent OUT_DIR --site S`)",
                unreachable.join("; ")
            ));
        }
        let (links, tasks) = links.into_iter().unzip();
        Ok(OperatorSession {
            names: inventory.iter().map(|(n, _)| n.clone()).collect(),
            ended: vec![false; inventory.len()],
            links,
            tasks,
            events,
        })
    }

    fn broadcast(&self, message: &ToAgent) {
        for link in &self.links {
            let _ = link.send(message.clone());
        }
    }

    /// Tells every agent the apply is off, and closes the links once that
    /// is sent (within [`ANSWER_LIMIT`]).
    pub async fn abort(self, why: &str) {
        self.broadcast(&ToAgent::Abort(why.to_string()));
        let OperatorSession { links, tasks, .. } = self;
        drop(links);
        let _ = tokio::time::timeout(ANSWER_LIMIT, futures_join(tasks)).await;
    }

    /// The next event before `deadline`, with its site's name in errors.
    async fn next(
        &mut self,
        deadline: Instant,
        waiting: &str,
    ) -> Result<(usize, ToOperator), String> {
        loop {
            let event = timeout_at(deadline, self.events.recv())
                .await
                .map_err(|_| format!("no answer from every agent in time ({waiting})"))?
                .ok_or("every link closed")?;
            let (site, got) = event;
            match got {
                Ok(ToOperator::Refused(why)) => {
                    return Err(format!("site `{}` refused: {why}", self.names[site]))
                }
                Ok(ToOperator::Failed(why)) => {
                    return Err(format!("site `{}` has no plan: {why}", self.names[site]))
                }
                Ok(message) => return Ok((site, message)),
                Err(_) if self.ended[site] => {}
                Err(why) => return Err(format!("site `{}`: {why}", self.names[site])),
            }
        }
    }

    /// One answer per site, each picked by `pick` (`None`: not the one
    /// waited for, an error).
    async fn answers<T>(
        &mut self,
        limit: Duration,
        waiting: &str,
        mut pick: impl FnMut(ToOperator) -> Option<T>,
    ) -> Result<Vec<T>, String> {
        let deadline = Instant::now() + limit;
        let mut got: Vec<Option<T>> = (0..self.links.len()).map(|_| None).collect();
        while got.iter().any(Option::is_none) {
            let (site, message) = self.next(deadline, waiting).await?;
            let shown = format!("{message:?}");
            match pick(message) {
                Some(t) if got[site].is_none() => got[site] = Some(t),
                _ => {
                    return Err(format!(
                        "site `{}` answered {shown} while the operator waited for {waiting}",
                        self.names[site]
                    ))
                }
            }
        }
        Ok(got.into_iter().flatten().collect())
    }

    /// `Prepare`: every agent checks the model and says where its
    /// instances are; returns their places, merged.
    pub async fn prepare(&mut self, request: &ApplyRequest) -> Result<RecordedState, String> {
        self.broadcast(&ToAgent::Prepare(request.clone()));
        let states = self
            .answers(ANSWER_LIMIT, "`Ready`", |m| match m {
                ToOperator::Ready { state, .. } => Some(state),
                _ => None,
            })
            .await?;
        let mut merged = RecordedState {
            version: VERSION,
            goal: None,
            instances: Default::default(),
        };
        for state in states {
            merged.instances.extend(state.instances);
        }
        Ok(merged)
    }

    /// `Plan` (the operator's `Start`), the acknowledgements until the
    /// exchange is over (`limit`), then `Commit`: every site's program.
    pub async fn plan(
        &mut self,
        start: &RecordedState,
        mut operator: Operator,
        limit: Duration,
    ) -> Result<Vec<Vec<Instruction>>, String> {
        self.broadcast(&ToAgent::Plan {
            start: start.clone(),
        });
        let deadline = Instant::now() + limit;
        while !operator.settled() {
            match self.next(deadline, "the planners' exchange to end").await? {
                (site, ToOperator::Ack) => operator.receive(&Envelope {
                    from: SiteId::from_index(site),
                    to: operator.id(),
                    message: Message::Ack,
                }),
                (site, other) => {
                    return Err(format!(
                        "site `{}` answered {other:?} during planning",
                        self.names[site]
                    ))
                }
            }
        }
        self.broadcast(&ToAgent::Commit);
        self.answers(ANSWER_LIMIT, "the programs", |m| match m {
            ToOperator::Program(p) => Some(p),
            _ => None,
        })
        .await
    }

    /// `Run`: every agent starts its new generation.
    pub async fn run(&mut self) -> Result<(), String> {
        self.broadcast(&ToAgent::Run);
        self.answers(ANSWER_LIMIT, "`Started`", |m| {
            matches!(m, ToOperator::Started).then_some(())
        })
        .await
        .map(|_| ())
    }

    /// Waits (at most `limit`) for every site's end; `on_end` sees each as
    /// it comes.
    pub async fn finished(
        &mut self,
        limit: Duration,
        mut on_end: impl FnMut(&str, &SiteEnd),
    ) -> Result<Vec<SiteEnd>, String> {
        let deadline = Instant::now() + limit;
        let mut ends: Vec<Option<SiteEnd>> = vec![None; self.links.len()];
        while ends.iter().any(Option::is_none) {
            match self.next(deadline, "the reconfiguration to end").await? {
                (
                    site,
                    ToOperator::Finished {
                        state,
                        done,
                        received,
                        failures,
                    },
                ) => {
                    let end = SiteEnd {
                        done,
                        received,
                        failures,
                        state,
                    };
                    self.ended[site] = true;
                    on_end(&self.names[site], &end);
                    ends[site] = Some(end);
                }
                (site, other) => {
                    return Err(format!(
                        "site `{}` answered {other:?} while running",
                        self.names[site]
                    ))
                }
            }
        }
        Ok(ends.into_iter().flatten().collect())
    }
}

/// Waits for every task.
async fn futures_join(tasks: Vec<tokio::task::JoinHandle<()>>) {
    for task in tasks {
        let _ = task.await;
    }
}

/// One link's task: sends what it is given, forwards what it receives;
/// ends when its queue is closed and drained, or the link breaks.
fn spawn_link(
    site: usize,
    mut link: OperatorLink,
    events: UnboundedSender<Event>,
) -> (UnboundedSender<ToAgent>, tokio::task::JoinHandle<()>) {
    let (tx, mut commands) = unbounded_channel::<ToAgent>();
    let task = tokio::spawn(async move {
        loop {
            tokio::select! {
                command = commands.recv() => {
                    let Some(command) = command else { return };
                    if let Err(e) = link.send(&encode(&command)).await {
                        let _ = events.send((site, Err(format!("connection lost: {e}"))));
                        return;
                    }
                }
                got = link.recv() => {
                    let event = match got {
                        Ok(bytes) => decode(&bytes),
                        Err(e) => {
                            let _ = events.send((site, Err(format!("connection lost: {e}"))));
                            return;
                        }
                    };
                    let _ = events.send((site, event));
                }
            }
        }
    });
    (tx, task)
}
