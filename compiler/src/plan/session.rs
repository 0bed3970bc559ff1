//! Planning on the agents (`balletc apply`): one site's planner over a real
//! network, and the operator that starts the exchange and learns when it is
//! over.
//!
//! The operator is the root of one Dijkstra–Scholten computation: its
//! `Start` engages every site ([`SiteSession::start`]), each site
//! acknowledges it once everything it sent in consequence has been
//! acknowledged, so when the operator holds an acknowledgement from every
//! site no message is in transit and no site will send again
//! ([`Operator::settled`]); it then tells every site to emit its program
//! ([`SiteSession::finish`]). A site keeps the planner messages that arrive
//! before its own `Start` until it has started, so every run is equivalent
//! to one where all sites start first and messages are then delivered in
//! some order that keeps each channel FIFO — the executions
//! `tests/oracle.rs` checks give the plan of `balletc plan`.
//!
//! The operator takes the site id just past the universe's sites
//! ([`operator_id`]): its `Start` is an empty proposal and its
//! acknowledgements are ordinary `Ack`s, so the site planners need nothing
//! of their own for it.

use ballet_runtime::program::Instruction;
use ballet_runtime::SiteId;

use crate::plan::automaton::AutomatonCache;
use crate::plan::emit;
use crate::plan::problem::Problem;
use crate::plan::protocol::{Envelope, Message};
use crate::plan::site::{Failure, SitePlanner};
use ballet_runtime::Model;

/// The id the operator takes in envelopes: one past the last site.
pub fn operator_id(problem: &Problem) -> SiteId {
    SiteId::from_index(problem.universe.sites.len())
}

/// One site's planner between the operator's `Start` and its commit.
pub struct SiteSession<'a> {
    planner: SitePlanner<'a>,
    operator: SiteId,
    started: bool,
    early: Vec<Envelope>,
}

impl<'a> SiteSession<'a> {
    /// The session of `site` (its planner is built, not started).
    pub fn new(
        model: &'a Model,
        problem: &'a Problem,
        site: SiteId,
        cache: &mut AutomatonCache,
    ) -> SiteSession<'a> {
        let instances = problem
            .instances_by_site()
            .get(site.index())
            .cloned()
            .unwrap_or_default();
        SiteSession {
            planner: SitePlanner::new(model, problem, site, &instances, cache),
            operator: operator_id(problem),
            started: false,
            early: Vec::new(),
        }
    }

    /// The operator's `Start`: plans the local instances, then handles the
    /// messages that came before it. Returns what to send.
    pub fn start(&mut self) -> Vec<Envelope> {
        if self.started {
            return Vec::new();
        }
        self.started = true;
        let start = Envelope {
            from: self.operator,
            to: self.planner.site,
            message: Message::Propose(Vec::new()),
        };
        let mut out = self.planner.receive(start);
        for envelope in std::mem::take(&mut self.early) {
            out.extend(self.planner.receive(envelope));
        }
        out
    }

    /// A message from another site's planner. Returns what to send (nothing
    /// before the `Start`: the message waits for it).
    pub fn receive(&mut self, envelope: Envelope) -> Vec<Envelope> {
        if self.started {
            self.planner.receive(envelope)
        } else {
            self.early.push(envelope);
            Vec::new()
        }
    }

    /// Whether the planners have gone past the bound on their exchange.
    pub fn diverged(&self) -> bool {
        self.planner.diverged
    }

    /// The site's program, once the operator has seen the exchange settle;
    /// the first local instance without a plan otherwise.
    pub fn finish(&self) -> Result<Vec<Instruction>, Failure> {
        match self.planner.failure() {
            Some(failure) => Err(failure),
            None => Ok(emit::site_program(&self.planner)),
        }
    }
}

/// The operator's side: which sites have acknowledged its `Start`.
#[derive(Clone, Debug)]
pub struct Operator {
    id: SiteId,
    pending: Vec<bool>,
}

impl Operator {
    /// Before sending `Start` to every site of `problem`.
    pub fn new(problem: &Problem) -> Operator {
        Operator {
            id: operator_id(problem),
            pending: vec![true; problem.universe.sites.len()],
        }
    }

    /// The operator's id in envelopes.
    pub fn id(&self) -> SiteId {
        self.id
    }

    /// An envelope addressed to the operator: an acknowledgement of its
    /// `Start` (anything else is ignored).
    pub fn receive(&mut self, envelope: &Envelope) {
        if envelope.to == self.id && envelope.message == Message::Ack {
            if let Some(p) = self.pending.get_mut(envelope.from.index()) {
                *p = false;
            }
        }
    }

    /// Whether every site has acknowledged: the exchange is over.
    pub fn settled(&self) -> bool {
        self.pending.iter().all(|p| !p)
    }
}
