//! The replay that builds an [`EventGraph`]: the run's events applied in
//! order to a [`System`] from the start state, each event's dependencies read
//! from the state just before it.

use std::collections::{HashMap, VecDeque};

use super::{Dependency, DependencyKind, EventGraph};
use crate::cost::Cost;
use crate::ids::{InstanceId, PlaceId, PortId, SiteId, TransitionId};
use crate::model::{Connection, Endpoint, Model, PortKind};
use crate::program::{endpoint_sites, Instruction, Plan};
use crate::semantics::{Requirement, Step, System};
use crate::simulate::{Event, EventKind};

/// The event graph of `events`, a run of `plan` from `start`.
pub(super) fn build(model: &Model, plan: &Plan, start: System, events: &[Event]) -> EventGraph {
    let mut b = Builder::new(model, plan, start);
    for event in events {
        b.event(event.kind);
    }
    b.graph
}

/// The events a step depends on, and why.
type Causes = Vec<(usize, DependencyKind)>;

/// The replay: the system as it was before each event, and for each fact
/// the semantics may test, the event that last changed it.
struct Builder<'a> {
    model: &'a Model,
    plan: &'a Plan,
    system: System,
    graph: EventGraph,
    /// Last executed instruction of each site.
    last_on_site: Vec<Option<usize>>,
    /// Last `add` / `del` of each instance.
    added: Vec<Option<usize>>,
    deleted: Vec<Option<usize>>,
    /// The `con` that created each connection.
    connected: HashMap<Connection, usize>,
    /// Last `dcon` removing a connection of an endpoint / touching an instance.
    disconnected: HashMap<Endpoint, usize>,
    disconnected_instance: Vec<Option<usize>>,
    /// The push of each queued behavior, parallel to the instance's queue.
    queue: Vec<VecDeque<Option<usize>>>,
    /// Last Finish of each instance.
    last_finish: Vec<Option<usize>>,
    /// Pushes and finishes per instance and behavior, and how many of each
    /// the start state had already seen.
    pushes: Vec<Vec<Vec<usize>>>,
    finishes: Vec<Vec<Vec<usize>>>,
    finished_before: Vec<Vec<u32>>,
    /// Last Enter of each place, last Start and End of each transition, per
    /// instance.
    entered: Vec<Vec<Option<usize>>>,
    started: Vec<Vec<Option<usize>>>,
    ended: Vec<Vec<Option<usize>>>,
    /// Last Start/End/Enter of each instance.
    last_step: Vec<Option<usize>>,
    /// The dependencies of the Fire whose Starts are being read.
    fire: Option<(InstanceId, PlaceId, Causes)>,
    /// Per instance and port: active, refusing, and the events that last
    /// made it inactive and made it serve (not refusing).
    active: Vec<Vec<bool>>,
    refusing: Vec<Vec<bool>>,
    went_inactive: Vec<Vec<Option<usize>>>,
    began_serving: Vec<Vec<Option<usize>>>,
}

impl<'a> Builder<'a> {
    fn new(model: &'a Model, plan: &'a Plan, system: System) -> Builder<'a> {
        let u = &plan.universe;
        let n = u.instances.len();
        let ty = |i: usize| model.ty(u.instances[i].ty);
        let per_behavior = |i: usize| vec![Vec::new(); ty(i).behaviors.len()];
        let mut b = Builder {
            model,
            plan,
            last_on_site: vec![None; plan.programs.len()],
            added: vec![None; n],
            deleted: vec![None; n],
            connected: HashMap::new(),
            disconnected: HashMap::new(),
            disconnected_instance: vec![None; n],
            queue: (0..n)
                .map(|i| {
                    let len = system.states[i].as_ref().map_or(0, |s| s.queue.len());
                    vec![None; len].into()
                })
                .collect(),
            last_finish: vec![None; n],
            pushes: (0..n).map(per_behavior).collect(),
            finishes: (0..n).map(per_behavior).collect(),
            finished_before: (0..n)
                .map(|i| match &system.states[i] {
                    Some(s) => s.finished.clone(),
                    None => vec![0; ty(i).behaviors.len()],
                })
                .collect(),
            entered: (0..n).map(|i| vec![None; ty(i).places.len()]).collect(),
            started: (0..n)
                .map(|i| vec![None; ty(i).transitions.len()])
                .collect(),
            ended: (0..n)
                .map(|i| vec![None; ty(i).transitions.len()])
                .collect(),
            last_step: vec![None; n],
            fire: None,
            active: (0..n).map(|i| vec![false; ty(i).ports.len()]).collect(),
            refusing: (0..n).map(|i| vec![true; ty(i).ports.len()]).collect(),
            went_inactive: (0..n).map(|i| vec![None; ty(i).ports.len()]).collect(),
            began_serving: (0..n).map(|i| vec![None; ty(i).ports.len()]).collect(),
            system,
            graph: EventGraph::default(),
        };
        for i in 0..n {
            b.observe_ports(InstanceId::from_index(i), None);
        }
        b
    }

    fn edge(&mut self, from: Option<usize>, weight: Cost, kind: DependencyKind) {
        let to = self.graph.nodes.len();
        if let Some(from) = from.filter(|&f| f < to) {
            self.graph.edges.push(Dependency {
                from,
                to,
                weight,
                kind,
            });
        }
    }

    /// Reads one event: its dependencies against the state before it, then
    /// its effect on the state.
    fn event(&mut self, kind: EventKind) {
        let node = self.graph.nodes.len();
        match kind {
            EventKind::Instruction(site, ins) => self.instruction(node, site, ins),
            EventKind::Start(i, t) => self.start(node, i, t),
            EventKind::End(i, t) => {
                let cost = self.ty(i).transition(t).cost;
                self.edge(
                    self.started[i.index()][t.index()],
                    cost,
                    DependencyKind::Duration,
                );
                self.system
                    .apply_step(self.model, self.plan, i, Step::End(t));
                self.ended[i.index()][t.index()] = Some(node);
                self.last_step[i.index()] = Some(node);
            }
            EventKind::Enter(i, q) => self.enter(node, i, q),
            EventKind::Finish(i, b) => {
                for from in self.head_events(i) {
                    self.edge(from, Cost::ZERO, DependencyKind::Head);
                }
                self.edge(
                    self.last_step[i.index()],
                    Cost::ZERO,
                    DependencyKind::Completion,
                );
                self.system
                    .apply_step(self.model, self.plan, i, Step::Finish);
                self.queue[i.index()].pop_front();
                self.last_finish[i.index()] = Some(node);
                if let Some(list) = self.finishes[i.index()].get_mut(b.index()) {
                    list.push(node);
                }
            }
        }
        self.graph.nodes.push(kind);
        if let Some(i) = touched(kind) {
            self.observe_ports(i, Some(node));
        }
    }

    fn ty(&self, i: InstanceId) -> &'a crate::ComponentType {
        self.model.ty(self.plan.universe.instances[i.index()].ty)
    }

    /// The events that made the current head behavior of `i` head: its push
    /// (if it was pushed in the run) and the previous finish.
    fn head_events(&self, i: InstanceId) -> [Option<usize>; 2] {
        let push = self.queue[i.index()].front().copied().flatten();
        [push, self.last_finish[i.index()]]
    }

    fn instruction(&mut self, node: usize, site: SiteId, ins: Instruction) {
        use DependencyKind::{Guard, Precondition, ProgramOrder};
        self.edge(self.last_on_site[site.index()], Cost::ZERO, ProgramOrder);
        match ins {
            Instruction::Add(c, _) => self.edge(self.deleted[c.index()], Cost::ZERO, Precondition),
            Instruction::Del(c) => {
                for from in [
                    self.added[c.index()],
                    self.last_finish[c.index()],
                    self.disconnected_instance[c.index()],
                ] {
                    self.edge(from, Cost::ZERO, Precondition);
                }
            }
            Instruction::Con(c) => {
                for from in [
                    self.added[c.provider.instance.index()],
                    self.added[c.user.instance.index()],
                    self.disconnected.get(&c.user).copied(),
                ] {
                    self.edge(from, Cost::ZERO, Precondition);
                }
                self.connected.insert(c, node);
            }
            Instruction::Dcon(c) => {
                // The other endpoint's site reached this dcon when it executed
                // the instruction before it.
                for other in endpoint_sites(&self.plan.universe, &c) {
                    if other != site {
                        self.edge(self.last_on_site[other.index()], Cost::ZERO, Precondition);
                    }
                }
                let user = &self.went_inactive[c.user.instance.index()];
                self.edge(
                    user.get(c.user.port.index()).copied().flatten(),
                    Cost::ZERO,
                    Guard,
                );
                self.edge(self.connected.get(&c).copied(), Cost::ZERO, Precondition);
                for e in [c.provider, c.user] {
                    self.disconnected.insert(e, node);
                    self.disconnected_instance[e.instance.index()] = Some(node);
                }
            }
            Instruction::PushB(c, b) => {
                self.edge(self.added[c.index()], Cost::ZERO, Precondition);
                self.queue[c.index()].push_back(Some(node));
                if let Some(list) = self.pushes[c.index()].get_mut(b.index()) {
                    list.push(node);
                }
            }
            Instruction::Wait(c, b, k) => {
                // The k-th push, and the finish that brought the count of
                // finished executions of `b` to k (unless the start state
                // had already counted it).
                let nth = |list: Option<&Vec<usize>>, k: u32| {
                    let k = usize::try_from(k).ok()?.checked_sub(1)?;
                    list?.get(k).copied()
                };
                let before = self.finished_before[c.index()].get(b.index()).copied();
                let push = nth(self.pushes[c.index()].get(b.index()), k);
                let finish = nth(
                    self.finishes[c.index()].get(b.index()),
                    k.saturating_sub(before.unwrap_or(0)),
                );
                self.edge(push, Cost::ZERO, Precondition);
                self.edge(finish, Cost::ZERO, Precondition);
            }
        }
        if let Instruction::Add(c, _) = ins {
            self.added[c.index()] = Some(node);
        }
        if let Instruction::Del(c) = ins {
            self.deleted[c.index()] = Some(node);
        }
        if self.system.head(self.plan, site) == Some(ins) {
            self.system.reach(self.plan, site);
            self.system.execute(self.model, self.plan, site);
        }
        self.last_on_site[site.index()] = Some(node);
    }

    /// A Start. The Starts of one Fire are consecutive and share its
    /// dependencies, read before the Fire is applied.
    fn start(&mut self, node: usize, i: InstanceId, t: TransitionId) {
        let src = self.ty(i).transition(t).src;
        let running = self.system.states[i.index()]
            .as_ref()
            .is_some_and(|s| s.running.contains(t.index()));
        let same_fire = matches!(&self.fire, Some((fi, fp, _)) if *fi == i && *fp == src);
        if !(running && same_fire) {
            let deps = self.fire_dependencies(i, src);
            self.fire = Some((i, src, deps));
            self.system
                .apply_step(self.model, self.plan, i, Step::Fire(src));
        }
        let deps = self.fire.as_ref().map(|f| f.2.clone()).unwrap_or_default();
        for (from, kind) in deps {
            self.edge(Some(from), Cost::ZERO, kind);
        }
        self.started[i.index()][t.index()] = Some(node);
        self.last_step[i.index()] = Some(node);
    }

    fn fire_dependencies(&self, i: InstanceId, p: PlaceId) -> Causes {
        let mut deps = Vec::new();
        let marking = self.entered[i.index()][p.index()].or(self.added[i.index()]);
        deps.extend(marking.map(|n| (n, DependencyKind::Marking)));
        for n in self.head_events(i).into_iter().flatten() {
            deps.push((n, DependencyKind::Head));
        }
        for port in self.requirements(i, Step::Fire(p)) {
            let me = Endpoint { instance: i, port };
            for c in self.system.connections.iter().filter(|c| c.provider == me) {
                let user = self.went_inactive[c.user.instance.index()].get(c.user.port.index());
                deps.extend(user.copied().flatten().map(|n| (n, DependencyKind::Guard)));
            }
            if let Some(&n) = self.disconnected.get(&me) {
                deps.push((n, DependencyKind::Guard));
            }
        }
        deps
    }

    fn enter(&mut self, node: usize, i: InstanceId, q: PlaceId) {
        let ty = self.ty(i);
        let arrivals: Vec<usize> = self.system.states[i.index()]
            .as_ref()
            .map(|s| s.arrived.iter().collect())
            .unwrap_or_default();
        for t in arrivals {
            if ty.transitions[t].dst == q {
                self.edge(
                    self.ended[i.index()][t],
                    Cost::ZERO,
                    DependencyKind::Arrival,
                );
            }
        }
        for port in self.requirements(i, Step::Enter(q)) {
            let me = Endpoint { instance: i, port };
            let conn = self
                .system
                .connections
                .iter()
                .find(|c| c.user == me)
                .copied();
            if let Some(c) = conn {
                let p = c.provider;
                let serving = self.began_serving[p.instance.index()].get(p.port.index());
                self.edge(
                    serving.copied().flatten(),
                    Cost::ZERO,
                    DependencyKind::Guard,
                );
                self.edge(
                    self.connected.get(&c).copied(),
                    Cost::ZERO,
                    DependencyKind::Guard,
                );
            }
        }
        self.system
            .apply_step(self.model, self.plan, i, Step::Enter(q));
        self.entered[i.index()][q.index()] = Some(node);
        self.last_step[i.index()] = Some(node);
    }

    /// The ports named by the guards of `step` (§3.1, §3.3).
    fn requirements(&self, i: InstanceId, step: Step) -> Vec<PortId> {
        let mut reqs = Vec::new();
        if let Some(s) = &self.system.states[i.index()] {
            s.requirements(self.ty(i), step, &mut reqs);
        }
        reqs.into_iter()
            .map(|r| match r {
                Requirement::UsersInactive(p) | Requirement::ProviderServing(p) => p,
            })
            .collect()
    }

    /// Records which ports of `i` changed activity or refusing by `node`.
    fn observe_ports(&mut self, i: InstanceId, node: Option<usize>) {
        let ty = self.ty(i);
        let state = self.system.states[i.index()].as_ref();
        for (p, port) in ty.ports.iter().enumerate() {
            let id = PortId::from_index(p);
            let active = state.is_some_and(|s| s.port_active(ty, id));
            let refusing =
                port.kind == PortKind::Provide && state.is_none_or(|s| s.refusing(ty, id));
            if self.active[i.index()][p] && !active {
                self.went_inactive[i.index()][p] = node;
            }
            if self.refusing[i.index()][p] && !refusing && port.kind == PortKind::Provide {
                self.began_serving[i.index()][p] = node;
            }
            self.active[i.index()][p] = active;
            self.refusing[i.index()][p] = refusing || port.kind == PortKind::Use;
        }
    }
}

/// The instance whose ports an event may change.
fn touched(kind: EventKind) -> Option<InstanceId> {
    match kind {
        EventKind::Instruction(_, Instruction::Add(c, _) | Instruction::Del(c))
        | EventKind::Instruction(_, Instruction::PushB(c, _)) => Some(c),
        EventKind::Instruction(..) => None,
        EventKind::Start(i, _) | EventKind::End(i, _) | EventKind::Enter(i, _) => Some(i),
        EventKind::Finish(i, _) => Some(i),
    }
}
