//! One apply as an idle agent takes part in it: the agent's side of the
//! protocol in `apply/mod.rs`.

use ballet_runtime::agent::{Agent, AgentStatus};
use ballet_runtime::net::{OperatorLink, Receiver, Sender};
use ballet_runtime::recorded::RecordedState;
use ballet_runtime::vm::SiteVm;
use ballet_runtime::SiteId;
use tokio::sync::mpsc::UnboundedReceiver;

use crate::apply::generation;
use crate::apply::message::{decode, encode, PlannerPayload, ToAgent, ToOperator};
use crate::apply::model::ModelSources;
use crate::apply::planner::{Output, PlannerThread};
use crate::run::recorded_state;

/// What an agent knows while idle.
pub struct Idle<'a> {
    /// The site's name.
    pub name: &'a str,
    /// The site's id (its index in the inventory).
    pub site: SiteId,
    /// Every site's name, in inventory order.
    pub inventory: &'a [String],
    /// The model it plans with, or why it has none.
    pub sources: &'a Result<ModelSources, String>,
    /// `OUT_DIR/state/<site>/`.
    pub base: &'a std::path::Path,
    /// The last generation.
    pub generation: u64,
    /// The last generation's VM (its local instances' places).
    pub last: &'a SiteVm,
}

impl Idle<'_> {
    /// Its local instances' places.
    pub fn places(&self) -> RecordedState {
        let mut state = recorded_state(std::slice::from_ref(self.last), "");
        state.goal = None;
        state
    }

    /// What `balletc status` is told while it is idle or planning.
    pub fn status(&self, doing: &str) -> AgentStatus {
        let vm = self.last;
        AgentStatus {
            site: self.name.to_string(),
            pc: vm.pc(),
            len: vm.image().code.len(),
            done: vm.done(),
            blocked: Some(doing.to_string()),
            ..AgentStatus::default()
        }
    }
}

/// An apply that reached `Run`: the new generation's agent, and the link
/// to report its end on.
pub struct Committed {
    /// The agent of the new generation.
    pub agent: Agent,
    /// The operator's link.
    pub link: OperatorLink,
}

/// Takes part in the apply the operator opens on `link`, planning over the
/// transport (`sender`, `receiver`). `Ok` once the operator says `Run`
/// (the generation is committed on disk); `Err` says why the apply was
/// abandoned (the agent stays idle).
pub async fn take_part(
    idle: &Idle<'_>,
    mut link: OperatorLink,
    sender: &Sender,
    receiver: &mut Receiver,
    others: &mut UnboundedReceiver<OperatorLink>,
) -> Result<Committed, String> {
    let request = match next(&mut link).await? {
        ToAgent::Prepare(request) => request,
        other => return Err(format!("expected `Prepare`, got {other:?}")),
    };
    let sources = match idle.sources {
        Ok(s) => s.clone(),
        Err(why) => return refuse(&mut link, why.clone()).await,
    };
    let ready = ToOperator::Ready {
        generation: idle.generation,
        state: idle.places(),
    };
    send(&mut link, &ready).await?;
    let start = match next(&mut link).await? {
        ToAgent::Plan { start } => start,
        ToAgent::Abort(why) => return Err(format!("the operator aborted: {why}")),
        other => return Err(format!("expected `Plan`, got {other:?}")),
    };
    sender.set_status(
        idle.status(&format!(
            "planning goal `{}` for `balletc apply`",
            request.goal
        ))
        .encode(),
    );
    let mut planner = PlannerThread::spawn(
        sources,
        request.clone(),
        start,
        idle.site,
        idle.inventory.to_vec(),
    );
    let operator = match planner.output.recv().await {
        Some(Output::Started(Ok(operator))) => operator,
        Some(Output::Started(Err(why))) => return refuse(&mut link, why).await,
        _ => return refuse(&mut link, "the planner stopped".into()).await,
    };
    // The exchange: envelopes to and from the other sites' planners, the
    // acknowledgement of the operator's `Start` over the link, until the
    // operator commits. The transport is read only until then: after the
    // commit, no planner envelope is in transit (every one was
    // acknowledged), and the next payloads are the new generation's.
    loop {
        tokio::select! {
            got = link.recv() => match got.map_err(|e| format!("the operator left: {e}")).and_then(|b| decode(&b))? {
                ToAgent::Commit => break,
                ToAgent::Abort(why) => return Err(format!("the operator aborted: {why}")),
                other => return Err(format!("expected `Commit`, got {other:?}")),
            },
            out = planner.output.recv() => match out {
                Some(Output::Send(envelope)) if envelope.to == operator => {
                    send(&mut link, &ToOperator::Ack).await?;
                }
                Some(Output::Send(envelope)) if envelope.to == idle.site => planner.deliver(envelope),
                Some(Output::Send(envelope)) => {
                    let to = envelope.to;
                    let payload = PlannerPayload { apply: request.id, envelope };
                    sender
                        .send(to, payload.encode())
                        .map_err(|e| format!("cannot send to site #{}: {e}", to.0))?;
                }
                Some(Output::Finished(Err(why))) => {
                    send(&mut link, &ToOperator::Failed(why.clone())).await?;
                    return Err(why);
                }
                _ => return Err("the planner stopped".into()),
            },
            got = receiver.recv() => {
                let (from, bytes) = got.ok_or("the transport stopped")?;
                match PlannerPayload::decode(&bytes) {
                    Some(p) if p.apply == request.id && p.envelope.from == from && p.envelope.to == idle.site => {
                        planner.deliver(p.envelope);
                    }
                    _ => tracing::debug!(site = idle.name, "dropped a stale payload from site #{}", from.0),
                }
                // The transport acknowledges only what a checkpoint covers.
                let _ = sender.checkpoint().await;
            }
            Some(mut other) = others.recv() => {
                let busy = ToOperator::Refused(format!("site `{}` is already taking part in an apply", idle.name));
                let _ = other.send(&encode(&busy)).await;
            }
        }
    }
    planner.finish();
    let image = loop {
        match planner.output.recv().await {
            Some(Output::Finished(Ok((program, image)))) => {
                send(&mut link, &ToOperator::Program(program)).await?;
                break image;
            }
            Some(Output::Finished(Err(why))) => {
                send(&mut link, &ToOperator::Failed(why.clone())).await?;
                return Err(why);
            }
            Some(_) => {}
            None => return Err("the planner stopped".into()),
        }
    };
    match next(&mut link).await? {
        ToAgent::Run => {}
        ToAgent::Abort(why) => return Err(format!("the operator aborted: {why}")),
        other => return Err(format!("expected `Run`, got {other:?}")),
    }
    let k = idle.generation + 1;
    generation::commit(idle.base, k, &image)?;
    send(&mut link, &ToOperator::Started).await?;
    Ok(Committed {
        agent: Agent::new(SiteVm::new(image)),
        link,
    })
}

/// Tells the operator this site will not take part, and why.
async fn refuse(link: &mut OperatorLink, why: String) -> Result<Committed, String> {
    let _ = link.send(&encode(&ToOperator::Refused(why.clone()))).await;
    Err(why)
}

/// The operator's next message.
async fn next(link: &mut OperatorLink) -> Result<ToAgent, String> {
    let bytes = link
        .recv()
        .await
        .map_err(|e| format!("the operator left: {e}"))?;
    decode(&bytes)
}

/// Sends `message` to the operator.
async fn send(link: &mut OperatorLink, message: &ToOperator) -> Result<(), String> {
    link.send(&encode(message))
        .await
        .map_err(|e| format!("the operator left: {e}"))
}
