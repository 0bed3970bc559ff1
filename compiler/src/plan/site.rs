//! One site planner: plans the site's own instances and exchanges port
//! constraints with the sites of their neighbours until a fixpoint.
//!
//! A site knows the program (types, assemblies, the goal: public) and its
//! own instances' chosen behavior sequences (private). For each connection
//! it tells the other endpoint's site what it needs to know ([`Fact`]):
//! a provider whether and when its port goes down and whether it ends
//! active; a user that it needs the port active at the end. Facts between
//! two local instances are applied directly, never sent. The constraint
//! sets only grow (a port once required to meet stays required), so the
//! exchange terminates.

use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

use ballet_runtime::{Connection, Cost, Endpoint, InstanceId, Model, PortId, PortKind, SiteId};

use crate::plan::automaton::{Automaton, AutomatonCache};
use crate::plan::local::{deactivations, port_on, search, LocalGoal, LocalPlan};
use crate::plan::problem::Problem;
use crate::plan::protocol::{Envelope, Fact, Message};

/// Why an instance has to do more than its own goals say.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reason {
    /// Its provider on this connection goes down.
    ProviderDown(Connection),
    /// This connection is removed (the use port must be inactive to `dcon`).
    Disconnected(Connection),
    /// A user of this connection ends active.
    UserNeedsIt(Connection),
}

/// An instance whose constraints no behavior sequence meets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// The instance.
    pub instance: InstanceId,
    /// Use ports that had to go inactive together, and why.
    pub meet: Vec<(PortId, Reason)>,
    /// Provide ports that had to end active, and why.
    pub end_active: Vec<(PortId, Reason)>,
}

/// The planning state of one local instance.
#[derive(Clone, Debug)]
pub struct Local {
    /// The instance.
    pub id: InstanceId,
    /// Its automaton from its start place (the initial place if added).
    pub automaton: Rc<Automaton>,
    /// Use ports to release together, and why.
    pub meet: BTreeMap<PortId, Reason>,
    /// Provide ports to end active, and why.
    pub end_active: BTreeMap<PortId, Reason>,
    /// The chosen sequence (`None` if infeasible or not planned yet).
    pub plan: Option<LocalPlan>,
    dirty: bool,
}

/// The planner of one site.
#[derive(Debug)]
pub struct SitePlanner<'a> {
    /// The site.
    pub site: SiteId,
    model: &'a Model,
    problem: &'a Problem,
    /// The site's instances, in index order.
    pub locals: Vec<Local>,
    slot: HashMap<InstanceId, usize>,
    /// The latest provider fact of every connection whose user is local.
    pub providers: HashMap<Connection, Fact>,
    sent: HashMap<(Connection, bool), Fact>,
    outbox: BTreeMap<SiteId, Vec<Fact>>,
    deficit: usize,
    parent: Option<SiteId>,
    /// The first instance found infeasible, if any.
    pub failure: Option<Failure>,
}

impl<'a> SitePlanner<'a> {
    /// A planner for `site`, with its instances' automata.
    pub fn new(
        model: &'a Model,
        problem: &'a Problem,
        site: SiteId,
        instances: &[InstanceId],
        cache: &mut AutomatonCache,
    ) -> SitePlanner<'a> {
        let locals: Vec<Local> = instances
            .iter()
            .map(|&id| {
                let inst = &problem.universe.instances[id.index()];
                let ty = model.ty(inst.ty);
                let start = problem.start_places[id.index()].unwrap_or(ty.initial);
                let mut meet = BTreeMap::new();
                for (p, port) in ty.ports.iter().enumerate() {
                    let e = Endpoint {
                        instance: id,
                        port: PortId::from_index(p),
                    };
                    if port.kind != PortKind::Use {
                        continue;
                    }
                    for c in problem.connections_of(e) {
                        if c.user == e && problem.removed(c) {
                            meet.entry(e.port).or_insert(Reason::Disconnected(*c));
                        }
                    }
                }
                Local {
                    id,
                    automaton: cache.get(model, inst.ty, start),
                    meet,
                    end_active: BTreeMap::new(),
                    plan: None,
                    dirty: true,
                }
            })
            .collect();
        let slot = instances.iter().enumerate().map(|(s, &i)| (i, s)).collect();
        SitePlanner {
            site,
            model,
            problem,
            locals,
            slot,
            providers: HashMap::new(),
            sent: HashMap::new(),
            outbox: BTreeMap::new(),
            deficit: 0,
            parent: None,
            failure: None,
        }
    }

    /// Plans every local instance and returns the proposals to send.
    pub fn start(&mut self) -> Vec<Envelope> {
        self.settle();
        self.flush()
    }

    /// Handles one message and returns the messages to send in reply.
    pub fn receive(&mut self, envelope: Envelope) -> Vec<Envelope> {
        match envelope.message {
            Message::Propose(facts) => {
                let engaging = self.deficit == 0 && self.parent.is_none();
                for fact in facts {
                    self.apply(fact);
                }
                self.settle();
                let mut out = self.flush();
                if engaging && self.deficit > 0 {
                    self.parent = Some(envelope.from);
                } else {
                    out.push(self.envelope(envelope.from, Message::Ack));
                }
                out
            }
            Message::Ack => {
                self.deficit = self.deficit.saturating_sub(1);
                match self.parent {
                    Some(parent) if self.deficit == 0 => {
                        self.parent = None;
                        vec![self.envelope(parent, Message::Ack)]
                    }
                    _ => Vec::new(),
                }
            }
        }
    }

    /// Whether everything this site sent has been acknowledged.
    pub fn quiescent(&self) -> bool {
        self.deficit == 0 && self.parent.is_none()
    }

    fn envelope(&self, to: SiteId, message: Message) -> Envelope {
        Envelope {
            from: self.site,
            to,
            message,
        }
    }

    fn flush(&mut self) -> Vec<Envelope> {
        let outbox = std::mem::take(&mut self.outbox);
        let out: Vec<Envelope> = outbox
            .into_iter()
            .map(|(to, facts)| self.envelope(to, Message::Propose(facts)))
            .collect();
        self.deficit += out.len();
        out
    }

    /// Replans dirty instances until none is left, publishing their facts.
    fn settle(&mut self) {
        while let Some(s) = self.locals.iter().position(|l| l.dirty) {
            self.locals[s].dirty = false;
            self.replan(s);
            self.publish(s);
        }
    }

    fn replan(&mut self, s: usize) {
        let problem = self.problem;
        let local = &self.locals[s];
        let ty = self
            .model
            .ty(problem.universe.instances[local.id.index()].ty);
        let own = &problem.goals[local.id.index()];
        let mut ports: Vec<(PortId, bool)> = own.ports.iter().map(|&(p, a, _)| (p, a)).collect();
        ports.extend(local.end_active.keys().map(|&p| (p, true)));
        let goal = LocalGoal {
            behaviors: own.behaviors.iter().map(|&(b, _)| b).collect(),
            place: own.place.map(|(p, _)| p),
            ports,
            meet: local.meet.keys().copied().collect(),
        };
        let plan = search(ty, &local.automaton, &goal);
        if plan.is_none() && self.failure.is_none() {
            self.failure = Some(Failure {
                instance: local.id,
                meet: local.meet.iter().map(|(&p, &r)| (p, r)).collect(),
                end_active: local.end_active.iter().map(|(&p, &r)| (p, r)).collect(),
            });
        }
        self.locals[s].plan = plan;
    }

    /// Tells the other endpoint of every connection of instance `s` what it
    /// needs to know.
    fn publish(&mut self, s: usize) {
        let problem = self.problem;
        let id = self.locals[s].id;
        let Some(plan) = self.locals[s].plan.clone() else {
            return;
        };
        let ty = self.model.ty(problem.universe.instances[id.index()].ty);
        let automaton = self.locals[s].automaton.clone();
        let end = &automaton.states[plan.end];
        let schedule = self.schedule(s, &plan);
        for (p, port) in ty.ports.iter().enumerate() {
            let e = Endpoint {
                instance: id,
                port: PortId::from_index(p),
            };
            for &c in problem.connections_of(e) {
                let fact = match port.kind {
                    PortKind::Provide if c.provider == e => {
                        let last = plan.edges.iter().rposition(|&k| {
                            deactivations(ty, &automaton, &automaton.edges[k], e.port) > 0
                        });
                        Fact::Provider {
                            connection: c,
                            last_down: last.map(|k| {
                                let b = plan.behaviors[k];
                                let nth = plan.behaviors[..=k].iter().filter(|&&x| x == b).count();
                                (b, u32::try_from(nth).unwrap_or(u32::MAX))
                            }),
                            ready: last.map_or(Cost::ZERO, |k| schedule[k]),
                            ends_active: port_on(ty, end, e.port),
                        }
                    }
                    PortKind::Use if c.user == e => {
                        if !problem.in_target(&c)
                            || !port_on(ty, end, e.port)
                            || self.provider_ends_active(c)
                        {
                            continue;
                        }
                        Fact::NeedActive { connection: c }
                    }
                    _ => continue,
                };
                let to = match fact {
                    Fact::Provider { .. } => problem.site_of(c.user.instance),
                    Fact::NeedActive { .. } => problem.site_of(c.provider.instance),
                };
                self.deliver(to, fact);
            }
        }
    }

    /// Whether the provider of `c` is known to end with its port active:
    /// its own goals say so, or its site told us.
    fn provider_ends_active(&self, c: Connection) -> bool {
        match self.providers.get(&c) {
            Some(Fact::Provider { ends_active, .. }) => *ends_active,
            _ => self.provider_goals_imply_active(c),
        }
    }

    /// Whether the provider's own goals make its port of `c` active at the
    /// end (public knowledge: no message needed).
    fn provider_goals_imply_active(&self, c: Connection) -> bool {
        let problem = self.problem;
        let p = c.provider;
        let ty = self
            .model
            .ty(problem.universe.instances[p.instance.index()].ty);
        let own = &problem.goals[p.instance.index()];
        own.place.is_some_and(|(q, _)| ty.port(p.port).contains(q))
            || own.ports.iter().any(|&(q, a, _)| q == p.port && a)
    }

    /// Estimated finish time of each behavior of `plan` for local `s`: the
    /// behaviors in sequence, the first one after the meeting state not
    /// before the awaited providers' behaviors finish.
    fn schedule(&self, s: usize, plan: &LocalPlan) -> Vec<Cost> {
        let waits_ready = self
            .waits_of(s)
            .into_iter()
            .map(|(_, ready)| ready)
            .max()
            .unwrap_or(Cost::ZERO);
        let automaton = &self.locals[s].automaton;
        let mut t = Cost::ZERO;
        plan.edges
            .iter()
            .enumerate()
            .map(|(k, &e)| {
                if k == plan.meeting {
                    t = t.max(waits_ready);
                }
                t = t + automaton.edges[e].duration;
                t
            })
            .collect()
    }

    /// The pushes local `s` must wait for after its meeting state, with
    /// their providers' estimates: the last down of every provider it uses
    /// again afterwards.
    pub fn waits_of(&self, s: usize) -> Vec<((Connection, ballet_runtime::BehaviorId, u32), Cost)> {
        let local = &self.locals[s];
        let Some(plan) = &local.plan else {
            return Vec::new();
        };
        let automaton = &local.automaton;
        let mut out = Vec::new();
        for &p in local.meet.keys() {
            // At the meeting state the port is inactive; it is used again
            // only if a later behavior activates it.
            let used_again = plan.edges[plan.meeting..]
                .iter()
                .any(|&e| !automaton.edges[e].activity[p.index()].is_empty());
            if !used_again {
                continue;
            }
            let e = Endpoint {
                instance: local.id,
                port: p,
            };
            // Only the provider it will use again matters: a removed
            // connection is gone (phase 2) before the port is used again.
            for c in self.problem.connections_of(e) {
                if c.user != e || !self.problem.in_target(c) {
                    continue;
                }
                if let Some(&Fact::Provider {
                    last_down: Some((b, k)),
                    ready,
                    ..
                }) = self.providers.get(c)
                {
                    out.push(((*c, b, k), ready));
                }
            }
        }
        out
    }

    /// Sends `fact` unless the receiver already knows it: it was sent
    /// before, or it says what the receiver assumes without being told (no
    /// down, and ending active exactly when the provider's own goals say
    /// so). Only the estimate `ready` may differ without a new message.
    fn deliver(&mut self, to: SiteId, fact: Fact) {
        let key = (fact.connection(), matches!(fact, Fact::Provider { .. }));
        let significant = |f: &Fact| match *f {
            Fact::Provider {
                last_down,
                ends_active,
                ..
            } => (last_down, ends_active),
            Fact::NeedActive { .. } => (None, true),
        };
        let known = match self.sent.get(&key) {
            Some(old) => Some(significant(old)),
            None => match fact {
                Fact::Provider { connection, .. } => {
                    Some((None, self.provider_goals_imply_active(connection)))
                }
                Fact::NeedActive { .. } => None,
            },
        };
        if known == Some(significant(&fact)) {
            return;
        }
        self.sent.insert(key, fact);
        if to == self.site {
            self.apply(fact);
        } else {
            self.outbox.entry(to).or_default().push(fact);
        }
    }

    /// Takes a fact into account (from a local instance or a message).
    fn apply(&mut self, fact: Fact) {
        match fact {
            Fact::Provider {
                connection: c,
                last_down,
                ends_active,
                ..
            } => {
                let previous = self.providers.insert(c, fact);
                let Some(&s) = self.slot.get(&c.user.instance) else {
                    return;
                };
                if last_down.is_some() && !self.locals[s].meet.contains_key(&c.user.port) {
                    self.locals[s]
                        .meet
                        .insert(c.user.port, Reason::ProviderDown(c));
                    self.locals[s].dirty = true;
                }
                let was_active = matches!(
                    previous,
                    Some(Fact::Provider {
                        ends_active: true,
                        ..
                    })
                );
                if was_active != ends_active {
                    // The user may now have to ask for the port.
                    self.locals[s].dirty = true;
                }
            }
            Fact::NeedActive { connection: c } => {
                let Some(&s) = self.slot.get(&c.provider.instance) else {
                    return;
                };
                if let std::collections::btree_map::Entry::Vacant(v) =
                    self.locals[s].end_active.entry(c.provider.port)
                {
                    v.insert(Reason::UserNeedsIt(c));
                    self.locals[s].dirty = true;
                }
            }
        }
    }

    /// The number of constraints the site planned under: own goal lines
    /// plus propagated requirements, over its instances.
    pub fn constraints(&self) -> usize {
        self.locals
            .iter()
            .map(|l| {
                let own = &self.problem.goals[l.id.index()];
                own.behaviors.len()
                    + usize::from(own.place.is_some())
                    + own.ports.len()
                    + l.meet.len()
                    + l.end_active.len()
            })
            .sum()
    }

    /// The problem planned.
    pub fn problem(&self) -> &Problem {
        self.problem
    }

    /// The model planned against.
    pub fn model(&self) -> &Model {
        self.model
    }
}
