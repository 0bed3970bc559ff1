//! One site planner: plans the site's own instances and exchanges port
//! constraints with the sites of their neighbours until a fixpoint.
//!
//! A site knows the program (types, assemblies, the goal: public) and its
//! own instances' chosen behavior sequences (private). For each connection
//! it tells the other endpoint's site what it needs to know ([`Fact`]):
//! a provider whether and when its port goes down and whether it ends
//! active; a user that it needs the port active at the end. Facts between
//! two local instances are applied directly, never sent (what the facts say
//! is computed in `facts.rs`). Which constraints are sticky so that the
//! exchange settles, and the bounds that report when it does not, are in
//! ARCHITECTURE.md ("Planning").

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::rc::Rc;

use ballet_runtime::{
    BehaviorId, Connection, Cost, Endpoint, InstanceId, Model, PortId, PortKind, SiteId,
};

use crate::plan::automaton::{Automaton, AutomatonCache};
use crate::plan::choice::{choose, Asks};
use crate::plan::local::{LocalGoal, LocalPlan, PortTiming};
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
    /// The user of this connection has no plan if the port goes down.
    UserCannotRelease(Connection),
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
    /// Provide ports that had to stay up, and why.
    pub keep: Vec<(PortId, Reason)>,
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
    /// Provide ports to end active, and the users that need them.
    pub end_active: BTreeMap<PortId, BTreeSet<Connection>>,
    /// Use ports released for good before the provider's first down
    /// instead of met (the other way to let a provider go down).
    pub before: BTreeSet<PortId>,
    /// Use ports that must be released that way: their provider cannot end
    /// active.
    pub forced: BTreeSet<PortId>,
    /// Use ports whose provider cannot end active and never serves: they
    /// can never be entered.
    pub dead: BTreeSet<PortId>,
    /// Without a plan: use ports whose provider must not go down.
    pub stuck: BTreeSet<PortId>,
    /// Use ports whose provider goes down without serving at a stable state
    /// before: if released before that down, they cannot be used at all.
    pub unserved: BTreeSet<PortId>,
    /// Provide ports a user cannot release: they must never go down (once
    /// asked, for good, so that the exchange settles).
    pub never_down: BTreeMap<PortId, BTreeSet<Connection>>,
    /// For each provide port, the users that release it before its first
    /// down, and the push after which they have.
    pub releases: BTreeMap<PortId, BTreeMap<Connection, (BehaviorId, u32)>>,
    /// The chosen sequence (`None` if infeasible or not planned yet).
    pub plan: Option<LocalPlan>,
    /// When `plan` is `None` because users need a provide port at the end:
    /// the sequence without those needs, which is what the neighbours are
    /// told (so that users can change how they use the port, and drop the
    /// need).
    pub relaxed: Option<LocalPlan>,
    dirty: bool,
}

/// The planner of one site.
#[derive(Debug)]
pub struct SitePlanner<'a> {
    /// The site.
    pub site: SiteId,
    pub(super) model: &'a Model,
    pub(super) problem: &'a Problem,
    /// The site's instances, in index order.
    pub locals: Vec<Local>,
    slot: HashMap<InstanceId, usize>,
    /// The latest provider fact of every connection whose user is local.
    pub providers: HashMap<Connection, Fact>,
    sent: HashMap<(Connection, bool), Fact>,
    outbox: BTreeMap<SiteId, Vec<Fact>>,
    deficit: usize,
    parent: Option<SiteId>,
    /// Set when the site's own instances did not settle (see `settle`).
    pub diverged: bool,
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
                    before: BTreeSet::new(),
                    forced: BTreeSet::new(),
                    dead: BTreeSet::new(),
                    stuck: BTreeSet::new(),
                    unserved: BTreeSet::new(),
                    never_down: BTreeMap::new(),
                    releases: BTreeMap::new(),
                    plan: None,
                    relaxed: None,
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
            diverged: false,
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

    /// The first local instance without a plan, once the exchange is over.
    pub fn failure(&self) -> Option<Failure> {
        let local = self.locals.iter().find(|l| l.plan.is_none())?;
        Some(Failure {
            instance: local.id,
            meet: local.meet.iter().map(|(&p, &r)| (p, r)).collect(),
            end_active: local
                .end_active
                .iter()
                .filter_map(|(&p, users)| Some((p, Reason::UserNeedsIt(*users.first()?))))
                .collect(),
            keep: local
                .never_down
                .iter()
                .filter_map(|(&p, users)| Some((p, Reason::UserCannotRelease(*users.first()?))))
                .collect(),
        })
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
    /// (Like the exchange between sites, this loop is bounded: a site that
    /// does not settle says so instead of looping.)
    fn settle(&mut self) {
        let bound = 64 * (self.locals.len() + 1);
        let mut replans = 0;
        while let Some(s) = self.locals.iter().position(|l| l.dirty) {
            replans += 1;
            if replans > bound {
                self.diverged = true;
                self.locals.iter_mut().for_each(|l| l.dirty = false);
                return;
            }
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
        let base = LocalGoal {
            behaviors: own.behaviors.iter().map(|&(b, _)| b).collect(),
            place: own.place.map(|(p, _)| p),
            ports,
            meet: local.meet.keys().copied().collect(),
            unconnected: ty
                .ports
                .iter()
                .enumerate()
                .map(|(p, _)| PortId::from_index(p))
                .filter(|&p| {
                    let e = Endpoint {
                        instance: local.id,
                        port: p,
                    };
                    ty.port(p).kind == PortKind::Use
                        && (local.dead.contains(&p)
                            || !problem
                                .connections_of(e)
                                .iter()
                                .any(|c| c.user == e && problem.in_target(c)))
                })
                .collect(),
            keep: local.never_down.keys().copied().collect(),
            serve: local
                .releases
                .iter()
                .filter(|(_, users)| !users.is_empty())
                .map(|(&p, _)| p)
                .collect(),
            timing: self.timing(local.id),
        };
        let flexible: Vec<PortId> = local
            .meet
            .iter()
            .filter(|(p, r)| matches!(r, Reason::ProviderDown(_)) && !local.forced.contains(p))
            .map(|(&p, _)| p)
            .collect();
        let needed: BTreeSet<PortId> = local.end_active.keys().copied().collect();
        let choice = choose(
            ty,
            &local.automaton,
            &base,
            &Asks {
                flexible: &flexible,
                forced: &local.forced,
                needed: &needed,
                unserved: &local.unserved,
            },
        );
        let local = &mut self.locals[s];
        local.plan = choice.plan;
        local.before = choice.before;
        local.relaxed = choice.relaxed;
        local.stuck = choice.stuck;
    }

    /// What the providers of `id`'s use ports in the target assembly
    /// estimate (their latest facts; none yet: usable at once).
    pub(super) fn timing(&self, id: InstanceId) -> Vec<PortTiming> {
        let mut out = Vec::new();
        for (c, fact) in &self.providers {
            if c.user.instance != id || !self.problem.in_target(c) {
                continue;
            }
            if let Fact::Provider {
                ready,
                serving,
                last_down,
                ..
            } = *fact
            {
                out.push(PortTiming {
                    port: c.user.port,
                    ready: if last_down.is_some() {
                        ready
                    } else {
                        Cost::ZERO
                    },
                    serving,
                });
            }
        }
        // `providers` is a hash map: the order must not depend on it.
        out.sort_by_key(|t| (t.port, t.ready, t.serving));
        out
    }

    /// Sends `fact` unless the receiver already knows it: it was sent
    /// before, estimates included, or it says what the receiver assumes
    /// without being told (no down, and ending active exactly when the
    /// provider's own goals say so; usable at once). Estimates alone do not
    /// make a first message: deploys exchange none.
    pub(super) fn deliver(&mut self, to: SiteId, fact: Fact) {
        let key = (fact.connection(), matches!(fact, Fact::Provider { .. }));
        let significant = |f: &Fact| match *f {
            Fact::Provider {
                last_down,
                ends_active,
                refused,
                serves,
                ..
            } => (last_down, ends_active, refused && !serves, refused),
            Fact::User {
                needed,
                before,
                release,
                stuck,
                ..
            } => (release, needed, stuck, before),
        };
        let estimates = |f: &Fact| match *f {
            Fact::Provider { ready, serving, .. } => (ready, serving),
            Fact::User { .. } => (Cost::ZERO, Cost::ZERO),
        };
        let known = match self.sent.get(&key) {
            Some(old) => {
                significant(old) == significant(&fact) && estimates(old) == estimates(&fact)
            }
            None => {
                significant(&fact)
                    == match fact {
                        Fact::Provider { connection, .. } => (
                            None,
                            self.provider_goals_imply_active(connection),
                            false,
                            false,
                        ),
                        Fact::User { .. } => (None, false, false, false),
                    }
            }
        };
        if known {
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
                refused,
                serves,
                ..
            } => {
                let previous = self.providers.insert(c, fact);
                let Some(&s) = self.slot.get(&c.user.instance) else {
                    return;
                };
                // New estimates may make another sequence the fastest.
                if previous != Some(fact) {
                    self.locals[s].dirty = true;
                }
                // A refusing provider that goes down: use the port only
                // before that down, for as long as it goes down (it refused
                // because of this user's need; dropping the need makes it
                // accept again, which must not bring the need back). One
                // that does not serve: never enter the port (for good). The
                // exchange settles that way.
                let local = &mut self.locals[s];
                let port = c.user.port;
                let mut changed = if last_down.is_none() {
                    local.forced.remove(&port)
                } else if refused {
                    local.forced.insert(port)
                } else {
                    false
                };
                if refused && !serves {
                    changed |= local.dead.insert(port);
                }
                if changed {
                    local.dirty = true;
                }
                let unserved = last_down.is_some() && !serves;
                if set_to(&mut self.locals[s].unserved, c.user.port, unserved) {
                    self.locals[s].dirty = true;
                }
                // The port is met while its provider goes down (a removed
                // connection's port is met anyway).
                let meet = &mut self.locals[s].meet;
                let changed = match (last_down.is_some(), meet.get(&c.user.port)) {
                    (true, None) => meet.insert(c.user.port, Reason::ProviderDown(c)).is_none(),
                    (false, Some(Reason::ProviderDown(x))) if *x == c => {
                        meet.remove(&c.user.port).is_some()
                    }
                    _ => false,
                };
                if changed {
                    self.locals[s].dirty = true;
                }
            }
            Fact::User {
                connection: c,
                needed,
                before,
                release,
                stuck,
            } => {
                let Some(&s) = self.slot.get(&c.provider.instance) else {
                    return;
                };
                let local = &mut self.locals[s];
                if stuck
                    && local
                        .never_down
                        .entry(c.provider.port)
                        .or_default()
                        .insert(c)
                {
                    local.dirty = true;
                }
                let releases = local.releases.entry(c.provider.port).or_default();
                match release {
                    Some(push) => releases.insert(c, push),
                    None => releases.remove(&c),
                };
                let ends = &mut local.end_active;
                let changed = if needed {
                    ends.entry(c.provider.port).or_default().insert(c)
                } else if !before {
                    false
                } else {
                    let removed = ends
                        .get_mut(&c.provider.port)
                        .is_some_and(|users| users.remove(&c));
                    if ends.get(&c.provider.port).is_some_and(BTreeSet::is_empty) {
                        ends.remove(&c.provider.port);
                    }
                    removed
                };
                if changed {
                    local.dirty = true;
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

/// The push (behavior, k-th push of it) of the `k`-th behavior of a sequence.
pub fn push_of(behaviors: &[BehaviorId], k: usize) -> (BehaviorId, u32) {
    let b = behaviors[k];
    let nth = behaviors[..=k].iter().filter(|&&x| x == b).count();
    (b, u32::try_from(nth).unwrap_or(u32::MAX))
}

/// Puts `port` in `set` or takes it out; whether that changed the set.
fn set_to(set: &mut BTreeSet<PortId>, port: PortId, member: bool) -> bool {
    if member {
        set.insert(port)
    } else {
        set.remove(&port)
    }
}
