//! Stubborn sets over *agents* (instances and sites): the partial-order
//! reduction of [`Reduction::Stubborn`](super::Reduction::Stubborn).
//!
//! A set `T` of agents is closed when
//! - for each enabled action of an agent in `T`, every agent whose actions
//!   could be disabled by it, could disable it or could read what it
//!   changes (now or after any sequence of actions of agents outside `T`,
//!   hence over the *remaining* programs and future connections) is in `T`;
//! - for each disabled action of an agent in `T`, the agents of a
//!   *necessary enabling set* are in `T`: one reason why it is disabled,
//!   and every agent that can remove that reason;
//! - an instance with an empty queue (or not yet added) brings its site
//!   (only a push or an `add` gives it steps).
//!
//! The enabled actions of a closed `T` form a persistent set (Valmari's
//! strong stubborn sets: actions outside `T` commute with those in `T` and
//! cannot enable a disabled one), so every reachable terminal state —
//! deadlock or final — is still reached. `con` is the only action that can
//! break port safety ([`safety`](super::safety)), so a set whose enabled
//! actions include a `con` is refused (the visibility proviso); the state
//! graph is acyclic, so no cycle proviso is needed (and `explore` checks
//! acyclicity). Every seed agent is tried and the smallest persistent set
//! kept. `tests/oracle.rs` compares the reduced and full explorations.
//!
//! Readings that make dependencies one-sided (and therefore left out):
//! a `wait` never becomes disabled once enabled unless its instance is
//! deleted, and it changes nothing others read; reaching a `dcon` and an
//! `add` only enable others; a push changes what others read only when the
//! queue was empty (the head appears: refusing may change); the `pushes`
//! counters only enable `wait`s.

use crate::explore::{observable, Action, Enabled};
use crate::ids::{InstanceId, PortId, SiteId};
use crate::model::{Connection, Endpoint, Model, PortKind};
use crate::program::{endpoint_sites, Instruction, Plan};
use crate::semantics::{Requirement, System};

/// Where the plan's instructions that matter for dependencies are: built
/// once per exploration.
pub(crate) struct PlanIndex {
    /// Every `con`: (site, position, connection).
    cons: Vec<(SiteId, usize, Connection)>,
    /// Every `dcon`: (site, position, connection).
    dcons: Vec<(SiteId, usize, Connection)>,
    /// Per instance, the `wait`s and `del`s naming it: (site, position).
    readers: Vec<Vec<(SiteId, usize)>>,
}

impl PlanIndex {
    pub(crate) fn new(plan: &Plan) -> PlanIndex {
        let mut index = PlanIndex {
            cons: Vec::new(),
            dcons: Vec::new(),
            readers: vec![Vec::new(); plan.universe.instances.len()],
        };
        for (s, program) in plan.programs.iter().enumerate() {
            let site = SiteId::from_index(s);
            for (k, ins) in program.iter().enumerate() {
                match *ins {
                    Instruction::Con(c) => index.cons.push((site, k, c)),
                    Instruction::Dcon(c) => index.dcons.push((site, k, c)),
                    Instruction::Wait(c, ..) | Instruction::Del(c) => {
                        if let Some(list) = index.readers.get_mut(c.index()) {
                            list.push((site, k));
                        }
                    }
                    Instruction::Add(..) | Instruction::PushB(..) => {}
                }
            }
        }
        index
    }
}

/// The agents of the closure graph: instances `0..n`, then sites.
struct Agents<'a> {
    model: &'a Model,
    plan: &'a Plan,
    index: &'a PlanIndex,
    state: &'a System,
    all: &'a [Enabled],
    /// Per agent, the positions of its enabled actions in `all`.
    enabled: Vec<Vec<usize>>,
    n: usize,
}

/// A persistent subset of `all` (the enabled actions of `state`).
pub(crate) fn persistent(
    model: &Model,
    plan: &Plan,
    index: &PlanIndex,
    state: &System,
    all: Vec<Enabled>,
) -> Vec<Enabled> {
    let n = state.states.len();
    let mut enabled = vec![Vec::new(); n + plan.programs.len()];
    for (k, e) in all.iter().enumerate() {
        let agent = match e.action {
            Action::Step(i, _) => i.index(),
            Action::Instruction(s, _) => n + s.index(),
        };
        enabled[agent].push(k);
    }
    let agents = Agents {
        model,
        plan,
        index,
        state,
        all: &all,
        enabled,
        n,
    };
    let chosen = agents.smallest();
    match chosen {
        None => all,
        Some(members) => all
            .into_iter()
            .enumerate()
            .filter(|(k, _)| members.contains(k))
            .map(|(_, e)| e)
            .collect(),
    }
}

impl Agents<'_> {
    /// The positions (in `all`) of the smallest persistent set found, or
    /// `None` when no seed gives fewer than every enabled action.
    fn smallest(&self) -> Option<Vec<usize>> {
        let count = self.enabled.len();
        // Successors of each agent in the closure graph, computed once;
        // `None` marks an agent with an enabled (visible) `con`.
        let mut edges: Vec<Option<Option<Vec<usize>>>> = vec![None; count];
        let mut best: Option<Vec<usize>> = None;
        for seed in 0..count {
            if self.enabled[seed].is_empty() {
                continue;
            }
            let mut member = vec![false; count];
            let mut stack = vec![seed];
            member[seed] = true;
            let mut actions = Vec::new();
            let mut refused = false;
            while let Some(a) = stack.pop() {
                let succ = edges[a].get_or_insert_with(|| self.edges(a));
                let Some(succ) = succ else {
                    refused = true;
                    break;
                };
                actions.extend(&self.enabled[a]);
                if best
                    .as_ref()
                    .is_some_and(|b: &Vec<usize>| actions.len() >= b.len())
                {
                    refused = true;
                    break;
                }
                for &b in succ.iter() {
                    if !member[b] {
                        member[b] = true;
                        stack.push(b);
                    }
                }
            }
            if refused || actions.len() >= self.all.len() {
                continue;
            }
            let done = actions.len() == 1;
            best = Some(actions);
            if done {
                break;
            }
        }
        best
    }

    fn instance_agent(&self, i: InstanceId) -> usize {
        i.index()
    }

    fn site_agent(&self, s: SiteId) -> usize {
        self.n + s.index()
    }

    fn site_of(&self, i: InstanceId) -> usize {
        self.site_agent(self.plan.universe.instances[i.index()].site)
    }

    fn remaining(&self, site: SiteId, position: usize) -> bool {
        self.state.pc[site.index()] <= position
    }

    /// The agents `a` brings into `T`; `None` if `a` has an enabled `con`.
    fn edges(&self, a: usize) -> Option<Vec<usize>> {
        let mut out = Vec::new();
        if a < self.n {
            self.instance_edges(InstanceId::from_index(a), &mut out);
        } else {
            let s = SiteId::from_index(a - self.n);
            if !self.site_edges(s, &mut out) {
                return None;
            }
        }
        Some(out)
    }

    fn instance_edges(&self, i: InstanceId, out: &mut Vec<usize>) {
        let Some(st) = &self.state.states[i.index()] else {
            out.push(self.site_of(i));
            return;
        };
        if st.queue.is_empty() {
            out.push(self.site_of(i));
        }
        let ty = self.model.ty(self.plan.universe.instances[i.index()].ty);
        let before = observable(self.model, self.plan, self.state, i);
        let mut requirements = Vec::new();
        for &k in &self.enabled[i.index()] {
            let Action::Step(_, step) = self.all[k].action else {
                continue;
            };
            let after = observable(self.model, self.plan, &self.all[k].next, i);
            self.readers(i, &before, &after, out);
            requirements.clear();
            st.requirements(ty, step, &mut requirements);
            for &r in &requirements {
                let port = match r {
                    Requirement::UsersInactive(p) | Requirement::ProviderServing(p) => p,
                };
                self.partners(Endpoint { instance: i, port }, out);
                self.rewiring_sites(Endpoint { instance: i, port }, out);
                if let Requirement::ProviderServing(_) = r {
                    for c in self.state.links(Endpoint { instance: i, port }) {
                        self.provider_site_if_idle(c.provider.instance, out);
                    }
                }
            }
        }
        // Candidate steps blocked by a guard: one necessary enabling set
        // per failing requirement.
        let mut candidates = Vec::new();
        st.candidate_steps(ty, &mut candidates);
        for step in candidates {
            if self
                .state
                .step_enabled(self.model, self.plan, i, step)
                .is_ok()
            {
                continue;
            }
            requirements.clear();
            st.requirements(ty, step, &mut requirements);
            for &r in &requirements {
                if self
                    .state
                    .requirement_holds(self.model, self.plan, i, r)
                    .is_ok()
                {
                    continue;
                }
                self.enablers(i, r, out);
            }
        }
    }

    /// Who can make failing requirement `r` of `i` hold.
    fn enablers(&self, i: InstanceId, r: Requirement, out: &mut Vec<usize>) {
        match r {
            Requirement::UsersInactive(port) => {
                let me = Endpoint { instance: i, port };
                let blocking = self.state.links(me).iter().find(|c| {
                    c.provider == me && self.state.port_active(self.model, self.plan, c.user)
                });
                if let Some(c) = blocking {
                    out.push(self.instance_agent(c.user.instance));
                    self.dcon_sites(c, out);
                }
            }
            Requirement::ProviderServing(port) => {
                let me = Endpoint { instance: i, port };
                let providers: Vec<Connection> = self
                    .state
                    .links(me)
                    .iter()
                    .filter(|c| c.user == me)
                    .copied()
                    .collect();
                if providers.is_empty() {
                    for &(site, k, c) in &self.index.cons {
                        if c.user == me && self.remaining(site, k) {
                            out.push(self.site_agent(site));
                        }
                    }
                }
                for c in providers {
                    out.push(self.instance_agent(c.provider.instance));
                    out.push(self.site_of(c.provider.instance));
                }
            }
        }
    }

    /// The site of `p` when `p`'s queue is empty (a push would change its
    /// refusing status) or `p` does not exist.
    fn provider_site_if_idle(&self, p: InstanceId, out: &mut Vec<usize>) {
        let idle = self.state.states[p.index()]
            .as_ref()
            .is_none_or(|s| s.queue.is_empty());
        if idle {
            out.push(self.site_of(p));
        }
    }

    /// The agents that read what changed between `before` and `after`
    /// (observable vectors of `i`).
    fn readers(&self, i: InstanceId, before: &[u32], after: &[u32], out: &mut Vec<usize>) {
        let ty = self.model.ty(self.plan.universe.instances[i.index()].ty);
        let ports = ty.ports.len();
        if before.len() != after.len() || before.len() <= ports {
            // Existence changed: everyone who names it.
            for p in 0..ports {
                self.port_readers(i, PortId::from_index(p), out);
            }
            self.program_readers(i, out);
            return;
        }
        for p in 0..ports {
            if before[p] != after[p] {
                self.port_readers(i, PortId::from_index(p), out);
            }
        }
        if before[ports..] != after[ports..] {
            self.program_readers(i, out);
        }
    }

    /// Agents whose guards or instructions read port `p` of `i`: its
    /// partners over current and future connections, and the sites whose
    /// remaining `dcon`s read the use port.
    fn port_readers(&self, i: InstanceId, port: PortId, out: &mut Vec<usize>) {
        let e = Endpoint { instance: i, port };
        self.partners(e, out);
        let ty = self.model.ty(self.plan.universe.instances[i.index()].ty);
        if ty.port(port).kind == PortKind::Use {
            for &(site, k, c) in &self.index.dcons {
                if c.user == e && self.remaining(site, k) {
                    out.push(self.site_agent(site));
                }
            }
        }
    }

    /// The instances on the other side of `e`'s connections, now or after a
    /// remaining `con`.
    fn partners(&self, e: Endpoint, out: &mut Vec<usize>) {
        for c in self.state.links(e) {
            out.push(self.instance_agent(other(c, e)));
        }
        for &(site, k, c) in &self.index.cons {
            if (c.provider == e || c.user == e) && self.remaining(site, k) {
                out.push(self.instance_agent(other(&c, e)));
            }
        }
    }

    /// Sites whose remaining `con`/`dcon` change `e`'s connections.
    fn rewiring_sites(&self, e: Endpoint, out: &mut Vec<usize>) {
        for &(site, k, c) in self.index.cons.iter().chain(&self.index.dcons) {
            if (c.provider == e || c.user == e) && self.remaining(site, k) {
                out.push(self.site_agent(site));
            }
        }
    }

    /// Sites whose remaining `dcon` removes `c`.
    fn dcon_sites(&self, c: &Connection, out: &mut Vec<usize>) {
        for &(site, k, d) in &self.index.dcons {
            if d == *c && self.remaining(site, k) {
                out.push(self.site_agent(site));
            }
        }
    }

    /// Sites whose remaining `wait`s or `del`s read `i`'s finished counts,
    /// idleness or existence.
    fn program_readers(&self, i: InstanceId, out: &mut Vec<usize>) {
        for &(site, k) in &self.index.readers[i.index()] {
            if self.remaining(site, k) {
                out.push(self.site_agent(site));
            }
        }
    }

    /// Returns false when the head is an enabled `con` (visible).
    fn site_edges(&self, s: SiteId, out: &mut Vec<usize>) -> bool {
        let Some(head) = self.state.head(self.plan, s) else {
            return true;
        };
        let me = self.site_agent(s);
        let enabled = self.enabled[me].first().map(|&k| &self.all[k]);
        match (head, enabled) {
            (Instruction::Con(_), Some(_)) => return false,
            (Instruction::Dcon(c), Some(e)) => {
                if e.next.pc[s.index()] > self.state.pc[s.index()] {
                    out.push(self.instance_agent(c.user.instance));
                    out.push(self.instance_agent(c.provider.instance));
                }
            }
            (Instruction::Del(c), Some(_)) => {
                for &(site, k, d) in &self.index.cons {
                    if (d.provider.instance == c || d.user.instance == c) && self.remaining(site, k)
                    {
                        out.push(self.site_agent(site));
                    }
                }
                self.program_readers(c, out);
            }
            (Instruction::PushB(c, _), Some(e)) => {
                let before = observable(self.model, self.plan, self.state, c);
                let after = observable(self.model, self.plan, &e.next, c);
                self.readers(c, &before, &after, out);
            }
            (Instruction::Wait(c, ..), Some(_)) => {
                // Only a `del` of `c` can disable it.
                for &(site, k) in &self.index.readers[c.index()] {
                    let deletes = matches!(
                        self.plan.programs[site.index()][k],
                        Instruction::Del(d) if d == c
                    );
                    if deletes && self.remaining(site, k) {
                        out.push(self.site_agent(site));
                    }
                }
            }
            (Instruction::Add(..), Some(_)) => {}
            (_, None) => self.blocked_site(head, out),
        }
        true
    }

    /// A necessary enabling set for `s`'s disabled head instruction.
    fn blocked_site(&self, head: Instruction, out: &mut Vec<usize>) {
        let state = self.state;
        match head {
            Instruction::Add(..) | Instruction::PushB(..) => {}
            Instruction::Del(c) => {
                let Some(st) = &state.states[c.index()] else {
                    return;
                };
                if !st.idle() {
                    out.push(self.instance_agent(c));
                }
                let ty = self.model.ty(self.plan.universe.instances[c.index()].ty);
                for p in 0..ty.ports.len() {
                    let e = Endpoint {
                        instance: c,
                        port: PortId::from_index(p),
                    };
                    for link in state.links(e) {
                        self.dcon_sites(link, out);
                    }
                }
            }
            Instruction::Con(c) => {
                for i in [c.provider.instance, c.user.instance] {
                    if state.states[i.index()].is_none() {
                        out.push(self.site_of(i));
                    }
                }
                for link in state.links(c.user) {
                    if link.user == c.user {
                        self.dcon_sites(link, out);
                    }
                }
            }
            Instruction::Dcon(c) => {
                let sites = endpoint_sites(&self.plan.universe, &c);
                let waiting: Vec<SiteId> = sites
                    .into_iter()
                    .filter(|o| !state.dcon_reached.contains(&(*o, c)))
                    .collect();
                if waiting.is_empty() {
                    out.push(self.instance_agent(c.user.instance));
                } else {
                    out.extend(waiting.into_iter().map(|o| self.site_agent(o)));
                }
            }
            Instruction::Wait(c, b, k) => {
                if state.pushes[c.index()][b.index()] < k {
                    out.push(self.site_of(c));
                } else {
                    out.push(self.instance_agent(c));
                }
            }
        }
    }
}

/// The instance on the other side of `c` from `e`.
fn other(c: &Connection, e: Endpoint) -> InstanceId {
    if c.provider == e {
        c.user.instance
    } else {
        c.provider.instance
    }
}
