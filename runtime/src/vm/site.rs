//! [`SiteVm`]: one site's program and instances, driven by events.
//!
//! The VM owns the site's image, its local [`System`] (the image's view:
//! local instances, the local program counter, the connections touching
//! local instances) and the [`Facts`] learnt from peers. Steps and
//! instructions are decided only by `semantics::instance` and
//! `semantics::knowledge`, the code the simulator uses; every `Requirement`
//! and precondition involving a remote instance is resolved from facts, and
//! an unknown fact blocks.

use std::sync::Arc;

use crate::bytecode::{SiteImage, SiteView};
use crate::ids::{BehaviorId, InstanceId, SiteId, TransitionId};
use crate::model::{Connection, Endpoint, Model};
use crate::program::{Instruction, Universe};
use crate::semantics::instance::{InstanceState, Requirement, Step};
use crate::semantics::knowledge::{self, provider_of, Knowledge};
use crate::semantics::System;
use crate::vm::checkpoint::plan_digest;
use crate::vm::facts::{Facts, UserReport};
use crate::vm::message::{AgentMessage, Fact};

/// What the VM asks its driver to do after an event.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Output {
    /// Transitions to start (image-local ids).
    pub start: Vec<(InstanceId, TransitionId)>,
    /// Messages to send, by destination (global site id).
    pub send: Vec<(SiteId, AgentMessage)>,
    /// Instructions executed, in order.
    pub executed: Vec<Instruction>,
}

impl Output {
    /// Appends the effects of `later`, an event handled after this one's.
    pub fn extend(&mut self, later: Output) {
        self.start.extend(later.start);
        self.send.extend(later.send);
        self.executed.extend(later.executed);
    }
}

/// One site's virtual machine.
#[derive(Clone, Debug)]
pub struct SiteVm {
    /// Shared: a VM is cloned per state when its interleavings are explored
    /// (`explore::sites`); only its state is its own.
    pub(crate) image: Arc<SiteImage>,
    pub(crate) view: Arc<SiteView>,
    pub(crate) system: System,
    pub(crate) facts: Facts,
    /// Connections the site exchanges facts about: the start connections and
    /// every `con`/`dcon` of its code (both endpoint sites' programs hold
    /// them, so the peer knows them too).
    interest: Arc<[Connection]>,
    /// `(instance, behavior)` of every `wait` on a remote instance.
    remote_waits: Arc<[(InstanceId, BehaviorId)]>,
    /// `plan_digest` of the image, which every checkpoint carries (computed
    /// once: it encodes the whole image).
    pub(crate) digest: u32,
}

/// [`SiteVm`]'s state as a [`Knowledge`]: local instances exactly, remote
/// ones through facts.
struct Local<'a> {
    view: &'a SiteView,
    system: &'a System,
    facts: &'a Facts,
}

impl Knowledge for Local<'_> {
    fn model(&self) -> &Model {
        &self.view.model
    }
    fn universe(&self) -> &Universe {
        &self.view.plan.universe
    }
    fn is_local(&self, i: InstanceId) -> bool {
        self.view.plan.universe.instances[i.index()].site == self.view.local_site
    }
    fn state(&self, i: InstanceId) -> Option<&InstanceState> {
        self.system.states[i.index()]
            .as_ref()
            .filter(|_| self.is_local(i))
    }
    fn pushes(&self, i: InstanceId, b: BehaviorId) -> u32 {
        self.system.pushes[i.index()][b.index()]
    }
    fn links(&self, e: Endpoint) -> &[Connection] {
        self.system.links(e)
    }
    fn connected(&self, c: &Connection) -> bool {
        self.system.connections.contains(c)
    }
    fn dcon_reached(&self, site: SiteId, c: &Connection) -> bool {
        self.system.dcon_reached.contains(&(site, *c))
    }
    fn remote_user_active(&self, c: &Connection) -> Option<bool> {
        self.facts.user_active(c)
    }
    fn remote_provider_serving(&self, c: &Connection) -> Option<bool> {
        self.facts.serving(c)
    }
    fn remote_finished(&self, i: InstanceId, b: BehaviorId) -> Option<u32> {
        self.facts.finished.get(&(i, b)).copied()
    }
}

impl SiteVm {
    /// A VM at the start of `image`'s program (an image that passed
    /// [`SiteImage::validate`], as decoded and built ones do).
    pub fn new(image: SiteImage) -> SiteVm {
        let view = image.view();
        let system = view.system();
        let mut interest: Vec<Connection> = image.tables.start_connections.clone();
        let mut remote_waits = Vec::new();
        let local = view.local_site;
        let is_remote = |i: InstanceId| view.plan.universe.instances[i.index()].site != local;
        for ins in &image.code {
            match *ins {
                Instruction::Con(c) | Instruction::Dcon(c) => interest.push(c),
                Instruction::Wait(c, b, _) if is_remote(c) => remote_waits.push((c, b)),
                _ => {}
            }
        }
        interest.sort();
        interest.dedup();
        remote_waits.sort();
        remote_waits.dedup();
        SiteVm {
            digest: plan_digest(&image),
            image: Arc::new(image),
            view: Arc::new(view),
            system,
            facts: Facts::default(),
            interest: interest.into(),
            remote_waits: remote_waits.into(),
        }
    }

    /// The image the VM runs.
    pub fn image(&self) -> &SiteImage {
        &self.image
    }

    /// The image as a model and a plan (image-local ids).
    pub fn view(&self) -> &SiteView {
        &self.view
    }

    /// The local system: local instances, program counter, connections.
    pub fn system(&self) -> &System {
        &self.system
    }

    /// The site's global id.
    pub fn site(&self) -> SiteId {
        self.global_site(self.view.local_site)
    }

    /// The program counter.
    pub fn pc(&self) -> usize {
        self.system.pc[self.view.local_site.index()]
    }

    /// Whether the site is done (§4): program exhausted, queues empty.
    pub fn done(&self) -> bool {
        self.system.done(&self.view.plan)
    }

    /// Whether `i` is an instance of this site.
    pub fn is_local(&self, i: InstanceId) -> bool {
        self.local().is_local(i)
    }

    /// The running transitions of local instances.
    pub fn running(&self) -> Vec<(InstanceId, TransitionId)> {
        let mut out = Vec::new();
        for (i, s) in self.system.states.iter().enumerate() {
            if let Some(s) = s {
                let i = InstanceId::from_index(i);
                out.extend(s.running.iter().map(|t| (i, TransitionId::from_index(t))));
            }
        }
        out
    }

    /// Why the head instruction waits, if it does.
    pub fn blocked(&self) -> Option<String> {
        let site = self.view.local_site;
        let ins = self.system.head(&self.view.plan, site)?;
        knowledge::instruction_enabled(&self.local(), site, ins).err()
    }

    fn local(&self) -> Local<'_> {
        Local {
            view: &self.view,
            system: &self.system,
            facts: &self.facts,
        }
    }

    fn global_site(&self, s: SiteId) -> SiteId {
        self.image.tables.sites[s.index()].global
    }

    fn site_of(&self, i: InstanceId) -> SiteId {
        self.global_site(self.view.plan.universe.instances[i.index()].site)
    }

    /// The universe id of image instance `i`.
    pub fn global_instance(&self, i: InstanceId) -> InstanceId {
        self.image.tables.instances[i.index()].global
    }

    /// Connection `c` (image ids) in universe ids.
    pub fn global_connection(&self, c: Connection) -> Connection {
        let g = |e: Endpoint| Endpoint {
            instance: self.global_instance(e.instance),
            port: e.port,
        };
        Connection {
            provider: g(c.provider),
            user: g(c.user),
        }
    }

    /// The image-local connection of a global one, if the image knows both
    /// endpoints and the ports exist.
    fn local_connection(&self, c: Connection) -> Option<Connection> {
        let l = |e: Endpoint| {
            let instance = self.image.instance_of_global(e.instance)?;
            let ty = self
                .view
                .model
                .ty(self.view.plan.universe.instances[instance.index()].ty);
            (e.port.index() < ty.ports.len()).then_some(Endpoint {
                instance,
                port: e.port,
            })
        };
        Some(Connection {
            provider: l(c.provider)?,
            user: l(c.user)?,
        })
    }

    fn send(&self, out: &mut Output, to: SiteId, fact: Fact) {
        out.send.push((
            to,
            AgentMessage {
                from: self.site(),
                fact,
            },
        ));
    }

    /// Starts (or, after a restart, resumes) the site: states every fact
    /// peers may need again, asks for the `wait`s on remote instances, and
    /// runs to a fixpoint.
    pub fn start(&mut self) -> Output {
        let mut out = Output::default();
        self.facts.forget_sent();
        for &(i, b) in self.remote_waits.iter() {
            let fact = Fact::WaitsOn {
                instance: self.global_instance(i),
                behavior: b,
            };
            self.send(&mut out, self.site_of(i), fact);
        }
        for (c, n) in self.facts.granted.clone() {
            self.send_serving(&mut out, c, n);
        }
        for &c in self.interest.iter() {
            if self.cons_executed(c) > 0 {
                self.announce_con(&mut out, c);
            }
        }
        let site = self.view.local_site;
        if let Some(Instruction::Dcon(c)) = self.system.head(&self.view.plan, site) {
            if self.system.dcon_reached.contains(&(site, c)) {
                self.announce_dcon(&mut out, c);
            }
        }
        self.settle(&mut out);
        out
    }

    /// Clears the failed flag of every local instance and returns the
    /// transitions to run again: every one that was running (§5: a restarted
    /// site re-runs what was running when it stopped).
    pub fn resume(&mut self) -> Vec<(InstanceId, TransitionId)> {
        for s in self.system.states.iter_mut().flatten() {
            s.failed = false;
        }
        self.running()
    }

    /// A transition ended successfully.
    pub fn transition_ended(&mut self, i: InstanceId, t: TransitionId) -> Output {
        let mut out = Output::default();
        let running = self.system.states[i.index()]
            .as_ref()
            .is_some_and(|s| s.running.contains(t.index()));
        if running && self.is_local(i) {
            self.system
                .apply_step(&self.view.model, &self.view.plan, i, Step::End(t));
            self.settle(&mut out);
        }
        out
    }

    /// A transition's action failed: the instance stops (§3); the transition
    /// stays running so that a resume runs it again.
    pub fn transition_failed(&mut self, i: InstanceId) {
        if let Some(s) = self
            .system
            .states
            .get_mut(i.index())
            .and_then(Option::as_mut)
        {
            s.failed = true;
        }
    }

    /// A message from a peer. Anything that does not fit this image is
    /// ignored: a peer can unblock what the program already contains, never
    /// add to it.
    pub fn receive(&mut self, message: &AgentMessage) -> Output {
        let mut out = Output::default();
        let local_user = |vm: &SiteVm, c: &Connection| vm.is_local(c.user.instance);
        let local_provider = |vm: &SiteVm, c: &Connection| vm.is_local(c.provider.instance);
        match message.fact {
            Fact::UsePort {
                connection,
                active,
                consumed,
                seq,
            } => {
                if let Some(c) = self.local_connection(connection) {
                    if local_provider(self, &c) && !local_user(self, &c) {
                        let report = UserReport {
                            active,
                            consumed,
                            seq,
                        };
                        self.facts.report(c, report);
                    }
                }
            }
            Fact::ServeRequest { connection, number } => {
                if let Some(c) = self.local_connection(connection) {
                    if local_provider(self, &c)
                        && !local_user(self, &c)
                        && self.facts.request(c, number)
                    {
                        self.send_serving(&mut out, c, self.facts.granted(&c));
                    }
                }
            }
            Fact::Serving { connection, number } => {
                if let Some(c) = self.local_connection(connection) {
                    if local_user(self, &c) && !local_provider(self, &c) {
                        self.facts.receive_serving(c, number);
                    }
                }
            }
            Fact::Finished {
                instance,
                behavior,
                count,
            } => {
                if let Some(i) = self.image.instance_of_global(instance) {
                    if !self.is_local(i) {
                        self.facts.finish(i, behavior, count);
                    }
                }
            }
            Fact::WaitsOn { instance, behavior } => {
                if let Some(i) = self.image.instance_of_global(instance) {
                    let ty = self
                        .view
                        .model
                        .ty(self.view.plan.universe.instances[i.index()].ty);
                    if self.is_local(i) && behavior.index() < ty.behaviors.len() {
                        self.facts
                            .waiters
                            .entry((i, behavior))
                            .or_default()
                            .insert(message.from);
                        self.facts
                            .sent_finished
                            .remove(&(i, behavior, message.from));
                    }
                }
            }
            Fact::Connected { connection, count } => {
                if let Some(c) = self.local_connection(connection) {
                    if self.interest.contains(&c) && count > self.cons_executed(c) {
                        self.system.connect(c);
                    }
                }
            }
            Fact::Revoke { connection, number } => {
                if let Some(c) = self.local_connection(connection) {
                    if local_user(self, &c) && !local_provider(self, &c) {
                        self.facts.give_up(c, number);
                    }
                }
            }
            Fact::DconReached { connection } => {
                if let (Some(c), Some(s)) = (
                    self.local_connection(connection),
                    self.image.site_of_global(message.from),
                ) {
                    self.system.dcon_reached.insert((s, c));
                }
            }
        }
        self.settle(&mut out);
        out
    }

    /// Runs instructions and steps to a local fixpoint, then states the facts
    /// that changed.
    fn settle(&mut self, out: &mut Output) {
        loop {
            let mut changed = self.grant(out);
            changed |= self.run_instructions(out);
            changed |= self.run_steps(out);
            if !changed {
                break;
            }
        }
        self.publish(out);
    }

    /// Grants the confirmations asked for while the provider serves.
    fn grant(&mut self, out: &mut Output) -> bool {
        let mut changed = false;
        for (c, n) in self.facts.ungranted() {
            if knowledge::provider_serving(&self.local(), &c) == Some(true) {
                self.facts.grant(c, n);
                self.send_serving(out, c, n);
                changed = true;
            }
        }
        changed
    }

    fn send_serving(&self, out: &mut Output, c: Connection, number: u64) {
        let fact = Fact::Serving {
            connection: self.global_connection(c),
            number,
        };
        self.send(out, self.site_of(c.user.instance), fact);
    }

    /// Sends `fact` about `c` to the site of its remote endpoint, if any.
    fn tell_other_endpoint(&self, out: &mut Output, c: Connection, fact: Fact) {
        let other = [c.provider.instance, c.user.instance]
            .into_iter()
            .find(|&i| !self.is_local(i));
        if let Some(i) = other {
            self.send(out, self.site_of(i), fact);
        }
    }

    fn announce_dcon(&self, out: &mut Output, c: Connection) {
        let fact = Fact::DconReached {
            connection: self.global_connection(c),
        };
        self.tell_other_endpoint(out, c, fact);
    }

    fn announce_con(&self, out: &mut Output, c: Connection) {
        let fact = Fact::Connected {
            connection: self.global_connection(c),
            count: self.cons_executed(c),
        };
        self.tell_other_endpoint(out, c, fact);
    }

    /// How many `con(c)` of the site's program have executed.
    fn cons_executed(&self, c: Connection) -> u32 {
        let program = &self.view.plan.programs[self.view.local_site.index()];
        let executed = &program[..self.pc().min(program.len())];
        executed
            .iter()
            .filter(|&&i| i == Instruction::Con(c))
            .count() as u32
    }

    fn run_instructions(&mut self, out: &mut Output) -> bool {
        let site = self.view.local_site;
        let mut changed = false;
        loop {
            if self.system.reach(&self.view.plan, site) {
                changed = true;
                if let Some(Instruction::Dcon(c)) = self.system.head(&self.view.plan, site) {
                    self.announce_dcon(out, c);
                }
            }
            let Some(ins) = self.system.head(&self.view.plan, site) else {
                return changed;
            };
            if knowledge::instruction_enabled(&self.local(), site, ins).is_err() {
                return changed;
            }
            self.system.execute(&self.view.model, &self.view.plan, site);
            if let Instruction::Con(c) = ins {
                self.announce_con(out, c);
            }
            out.executed.push(ins);
            changed = true;
        }
    }

    fn run_steps(&mut self, out: &mut Output) -> bool {
        let mut changed = false;
        let mut candidates = Vec::new();
        let mut reqs = Vec::new();
        for i in 0..self.system.states.len() {
            let i = InstanceId::from_index(i);
            if !self.is_local(i) {
                continue;
            }
            let ty = self
                .view
                .model
                .ty(self.view.plan.universe.instances[i.index()].ty);
            candidates.clear();
            match &self.system.states[i.index()] {
                Some(s) => s.candidate_steps(ty, &mut candidates),
                None => continue,
            }
            for &step in &candidates {
                if matches!(step, Step::End(_)) {
                    continue;
                }
                let Some(state) = &self.system.states[i.index()] else {
                    break;
                };
                if !state.is_candidate(ty, step) {
                    continue;
                }
                reqs.clear();
                state.requirements(ty, step, &mut reqs);
                let local = self.local();
                if !reqs
                    .iter()
                    .all(|&r| knowledge::requirement_holds(&local, i, r).is_ok())
                {
                    continue;
                }
                // Entering a use port spends the provider's confirmation.
                let spent: Vec<Connection> = reqs
                    .iter()
                    .filter_map(|r| match *r {
                        Requirement::ProviderServing(port) => {
                            provider_of(&local, Endpoint { instance: i, port })
                        }
                        Requirement::UsersInactive(_) => None,
                    })
                    .filter(|c| !self.is_local(c.provider.instance))
                    .collect();
                let started = self
                    .system
                    .apply_step(&self.view.model, &self.view.plan, i, step);
                for c in spent {
                    self.facts.consume(c);
                }
                out.start.extend(started.into_iter().map(|t| (i, t)));
                changed = true;
            }
        }
        changed
    }

    /// States the facts peers rely on, when they changed: use-port reports
    /// to providers, confirmation requests for use ports about to be
    /// entered, finished counts to the sites that wait on them.
    fn publish(&mut self, out: &mut Output) {
        for &c in self.interest.clone().iter() {
            if !self.is_local(c.user.instance) || self.is_local(c.provider.instance) {
                continue;
            }
            // The user is local: its activity on `c` is known.
            let active = knowledge::user_active(&self.local(), &c) == Some(true);
            let consumed = self.facts.consumed.get(&c).copied().unwrap_or(0);
            if self.facts.sent_use.get(&c) != Some(&(active, consumed)) {
                self.facts.sent_use.insert(c, (active, consumed));
                self.facts.seq += 1;
                let fact = Fact::UsePort {
                    connection: self.global_connection(c),
                    active,
                    consumed,
                    seq: self.facts.seq,
                };
                self.send(out, self.site_of(c.provider.instance), fact);
            }
        }
        for c in self.unused_grants_in_the_way() {
            if let Some(number) = self.facts.to_revoke(c) {
                let fact = Fact::Revoke {
                    connection: self.global_connection(c),
                    number,
                };
                self.send(out, self.site_of(c.user.instance), fact);
            }
        }
        for c in self.wanted_confirmations() {
            if let Some(number) = self.facts.to_ask(c) {
                let fact = Fact::ServeRequest {
                    connection: self.global_connection(c),
                    number,
                };
                self.send(out, self.site_of(c.provider.instance), fact);
            }
        }
        for ((i, b), sites) in self.facts.waiters.clone() {
            let Some(s) = &self.system.states[i.index()] else {
                continue;
            };
            let count = s.finished[b.index()];
            for site in sites {
                let sent = self.facts.sent_finished.entry((i, b, site)).or_insert(0);
                if count > *sent {
                    *sent = count;
                    let fact = Fact::Finished {
                        instance: self.global_instance(i),
                        behavior: b,
                        count,
                    };
                    self.send(out, site, fact);
                }
            }
        }
    }

    /// Calls `f` with each candidate step of a local instance that `wanted`
    /// selects, and the step's guards on other instances.
    fn for_guarded_steps(
        &self,
        wanted: impl Fn(Step) -> bool,
        mut f: impl FnMut(InstanceId, &[Requirement]),
    ) {
        let mut candidates = Vec::new();
        let mut reqs = Vec::new();
        for (i, s) in self.system.states.iter().enumerate() {
            let i = InstanceId::from_index(i);
            let Some(s) = s.as_ref().filter(|_| self.is_local(i)) else {
                continue;
            };
            let ty = self
                .view
                .model
                .ty(self.view.plan.universe.instances[i.index()].ty);
            candidates.clear();
            s.candidate_steps(ty, &mut candidates);
            for &step in candidates.iter().filter(|&&step| wanted(step)) {
                if s.is_candidate(ty, step) {
                    reqs.clear();
                    s.requirements(ty, step, &mut reqs);
                    f(i, &reqs);
                }
            }
        }
    }

    /// Connections to remote providers whose use port a local instance is
    /// about to enter (an `Enter` whose only missing guard may be that
    /// provider's confirmation) without a fresh confirmation.
    fn wanted_confirmations(&self) -> Vec<Connection> {
        let mut out = Vec::new();
        let local = self.local();
        self.for_guarded_steps(
            |step| matches!(step, Step::Enter(_)),
            |i, reqs| {
                for r in reqs {
                    if let Requirement::ProviderServing(port) = *r {
                        let me = Endpoint { instance: i, port };
                        if let Some(c) = provider_of(&local, me) {
                            if !self.is_local(c.provider.instance)
                                && self.facts.serving(&c).is_none()
                            {
                                out.push(c);
                            }
                        }
                    }
                }
            },
        );
        out
    }

    /// Connections to remote users whose confirmation, granted and not
    /// used, is all that stops a local instance from leaving a provide
    /// port: a `Fire` whose other guards hold, and whose users are inactive
    /// but for such confirmations. In the semantics the provider may leave
    /// first (the user has not entered), so the VM revokes them rather than
    /// wait: a user waiting for a second provider would hold this one
    /// forever (ARCHITECTURE.md, "Message deliveries").
    fn unused_grants_in_the_way(&self) -> Vec<Connection> {
        let mut out = Vec::new();
        let local = self.local();
        self.for_guarded_steps(
            |step| matches!(step, Step::Fire(_)),
            |i, reqs| {
                let mut unused = Vec::new();
                let only_unused = reqs.iter().all(|&r| match r {
                    _ if knowledge::requirement_holds(&local, i, r).is_ok() => true,
                    Requirement::UsersInactive(port) => {
                        let me = Endpoint { instance: i, port };
                        self.system
                            .links(me)
                            .iter()
                            .filter(|c| c.provider == me)
                            .filter(|c| knowledge::user_active(&local, c) != Some(false))
                            .all(|&c| {
                                unused.push(c);
                                !self.is_local(c.user.instance) && self.facts.unused_grant(&c)
                            })
                    }
                    Requirement::ProviderServing(_) => false,
                });
                if only_unused {
                    out.extend(unused);
                }
            },
        );
        out
    }
}
