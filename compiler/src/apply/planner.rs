//! One site's planner on an agent, on a thread of its own: a
//! [`SiteSession`] borrows the model and the problem and shares automata
//! through `Rc`, so it cannot move between the tasks of the async agent.
//! The thread owns everything it plans with and talks through channels.

use std::sync::mpsc as std_mpsc;

use ballet_runtime::bytecode::{ImageBuilder, SiteImage};
use ballet_runtime::program::{Instruction, Plan, Universe};
use ballet_runtime::recorded::RecordedState;
use ballet_runtime::SiteId;
use tokio::sync::mpsc;

use crate::apply::message::ApplyRequest;
use crate::apply::model::{fingerprint, ModelSources};
use crate::check::Options;
use crate::diagnostic::Diagnostics;
use crate::pipeline::{explain, prepare};
use crate::plan::automaton::AutomatonCache;
use crate::plan::problem::Problem;
use crate::plan::protocol::Envelope;
use crate::plan::session::{operator_id, SiteSession};

/// What the agent gives its planner.
enum Input {
    /// A planner envelope from another site.
    Deliver(Envelope),
    /// The operator committed: emit the program.
    Finish,
}

/// What the planner gives the agent.
#[derive(Debug)]
pub enum Output {
    /// The session started (`Ok`: the operator's id in envelopes), or
    /// cannot (`Err`: why, for the operator).
    Started(Result<SiteId, String>),
    /// An envelope to send (to another site, or to the operator).
    Send(Envelope),
    /// The site's program and image, or why it has none.
    Finished(Result<(Vec<Instruction>, SiteImage), String>),
}

/// A running planner thread.
pub struct PlannerThread {
    input: std_mpsc::Sender<Input>,
    /// What it says, in order.
    pub output: mpsc::UnboundedReceiver<Output>,
}

impl PlannerThread {
    /// Starts planning `request` from `start` for site `site` of
    /// `inventory` (site names in inventory order): the thread loads the
    /// model, checks it against the request, builds the problem and starts
    /// the session at once (the operator's `Start`).
    pub fn spawn(
        sources: ModelSources,
        request: ApplyRequest,
        start: RecordedState,
        site: SiteId,
        inventory: Vec<String>,
    ) -> PlannerThread {
        let (input, inputs) = std_mpsc::channel();
        let (outputs, output) = mpsc::unbounded_channel();
        std::thread::spawn(move || {
            plan_site(
                &sources, &request, &start, site, &inventory, &inputs, &outputs,
            );
        });
        PlannerThread { input, output }
    }

    /// Hands it an envelope from another site.
    pub fn deliver(&self, envelope: Envelope) {
        let _ = self.input.send(Input::Deliver(envelope));
    }

    /// Asks for the program.
    pub fn finish(&self) {
        let _ = self.input.send(Input::Finish);
    }
}

/// The planner thread's body.
fn plan_site(
    sources: &ModelSources,
    request: &ApplyRequest,
    start: &RecordedState,
    site: SiteId,
    inventory: &[String],
    inputs: &std_mpsc::Receiver<Input>,
    outputs: &mpsc::UnboundedSender<Output>,
) {
    let say = |o: Output| {
        let _ = outputs.send(o);
    };
    let mut d = Diagnostics::default();
    let Some(program) = sources.load(&mut d) else {
        return say(Output::Started(Err("model.json has no root file".into())));
    };
    if fingerprint(&program) != request.fingerprint {
        return say(Output::Started(Err(format!(
            "its model (`{}`, fingerprint {}) is not the operator's ({}): rebuild with `balletc build` and restart the agents",
            sources.name,
            fingerprint(&program),
            request.fingerprint
        ))));
    }
    let options = Options {
        defines: request.defines.clone(),
    };
    let prepared = prepare(&program, &options, Some(&request.goal), Some(start), &mut d);
    let Ok((analysis, goal)) = prepared else {
        let errors: Vec<String> = d
            .into_sorted()
            .into_iter()
            .filter(|x| x.is_error())
            .map(|x| format!("{}: {}", x.code.as_str(), x.message))
            .collect();
        return say(Output::Started(Err(format!(
            "cannot plan goal `{}`: {}",
            request.goal,
            errors.join("; ")
        ))));
    };
    let model = &analysis.model;
    let problem = match Problem::new(model, &goal) {
        Ok(p) => p,
        Err(e) => return say(Output::Started(Err(e.message))),
    };
    let sites: Vec<&str> = problem
        .universe
        .sites
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    if sites != inventory {
        return say(Output::Started(Err(format!(
            "goal `{}` has the sites {} but the build's inventory has {}: build with a goal over the same sites",
            request.goal,
            sites.join(", "),
            inventory.join(", ")
        ))));
    }
    let mut cache = AutomatonCache::default();
    let mut session = SiteSession::new(model, &problem, site, &mut cache);
    say(Output::Started(Ok(operator_id(&problem))));
    for envelope in session.start() {
        say(Output::Send(envelope));
    }
    while let Ok(input) = inputs.recv() {
        match input {
            Input::Deliver(envelope) => {
                for out in session.receive(envelope) {
                    say(Output::Send(out));
                }
                if session.diverged() {
                    return say(Output::Finished(Err(
                        "the planners' exchange went past its bound".into(),
                    )));
                }
            }
            Input::Finish => {
                let result = match session.finish() {
                    Ok(program) => {
                        let image = site_image(&problem, model, site, &program);
                        Ok((program, image))
                    }
                    Err(failure) => Err(format!(
                        "no plan for instance `{}`: {}",
                        problem.universe.instances[failure.instance.index()].name,
                        explain(model, &problem, &failure).join("; ")
                    )),
                };
                return say(Output::Finished(result));
            }
        }
    }
}

/// The site's image from its own program: the builder reads only this
/// site's program and the universe.
fn site_image(
    problem: &Problem,
    model: &ballet_runtime::Model,
    site: SiteId,
    program: &[Instruction],
) -> SiteImage {
    let mut programs = vec![Vec::new(); problem.universe.sites.len()];
    programs[site.index()] = program.to_vec();
    let plan = Plan {
        universe: Universe::clone(&problem.universe),
        programs,
    };
    ImageBuilder::new(
        model,
        &plan,
        &problem.start_places,
        &problem.start_connections,
    )
    .image(site, &[])
}
