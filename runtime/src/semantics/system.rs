//! The whole system with every fact known (SEMANTICS.md §4): instances,
//! connections, site programs and their program counters. Used by the
//! simulator, the planner and the verifier; a site agent resolves the same
//! [`Requirement`]s from remote facts instead.

use std::collections::{BTreeSet, HashMap, HashSet};

use crate::ids::{InstanceId, PlaceId, SiteId};
use crate::model::{Connection, Endpoint, Model, PortKind};
use crate::program::{Instruction, Plan, Universe};
use crate::semantics::instance::{InstanceState, Requirement, Step};
use crate::semantics::knowledge::{self, Knowledge};
use crate::BehaviorId;

/// The global state of a reconfiguration in progress.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct System {
    /// Each universe instance's state; `None` while it does not exist.
    pub states: Vec<Option<InstanceState>>,
    /// Current connections. Read it freely; change it only through
    /// `con`/`dcon` instructions ([`System::execute`]), which keep the
    /// endpoint index in step.
    pub connections: BTreeSet<Connection>,
    /// The connections by endpoint (both sides), for guards in O(degree).
    links: HashMap<Endpoint, Vec<Connection>>,
    /// Program counter of each site.
    pub pc: Vec<usize>,
    /// Executed `pushB`s per instance and behavior.
    pub pushes: Vec<Vec<u32>>,
    /// `dcon`s each site has reached: (site, connection).
    pub dcon_reached: HashSet<(SiteId, Connection)>,
    /// Whether guards involving other instances are enforced. Only the
    /// planner turns them off, to run one instance's behaviors in isolation
    /// and learn their timing and port activity; synchronization is inferred
    /// from that afterwards.
    pub guards: Guards,
}

/// See [`System::guards`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Guards {
    /// SEMANTICS.md as written.
    #[default]
    Enforced,
    /// Requirements on other instances are taken as met.
    Ignored,
}

/// Why something cannot happen now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Blocked {
    /// A site's head instruction waits for its precondition.
    Instruction {
        /// The site.
        site: SiteId,
        /// The instruction.
        instruction: Instruction,
        /// Why, in words.
        reason: String,
    },
    /// An instance's step waits for a guard.
    Step {
        /// The instance.
        instance: InstanceId,
        /// The step.
        step: Step,
        /// Why, in words.
        reason: String,
    },
}

impl System {
    /// The system at the start of `plan`: the given instances exist at the
    /// given places (`start[i]` for universe instance `i`, `None` for
    /// instances that do not exist yet) with `connections`.
    pub fn new(
        model: &Model,
        plan: &Plan,
        start: &[Option<PlaceId>],
        connections: impl IntoIterator<Item = Connection>,
    ) -> System {
        let u = &plan.universe;
        let mut system = System {
            states: u
                .instances
                .iter()
                .zip(start)
                .map(|(inst, p)| p.map(|p| InstanceState::at(model.ty(inst.ty), p)))
                .collect(),
            connections: BTreeSet::new(),
            links: HashMap::new(),
            pc: vec![0; plan.programs.len()],
            pushes: u
                .instances
                .iter()
                .map(|i| vec![0; model.ty(i.ty).behaviors.len()])
                .collect(),
            dcon_reached: HashSet::new(),
            guards: Guards::Enforced,
        };
        for c in connections {
            system.connect(c);
        }
        system
    }

    /// Records connection `c` (a no-op when it is already recorded).
    pub(crate) fn connect(&mut self, c: Connection) {
        if self.connections.insert(c) {
            self.links.entry(c.provider).or_default().push(c);
            self.links.entry(c.user).or_default().push(c);
        }
    }

    fn disconnect(&mut self, c: Connection) {
        if self.connections.remove(&c) {
            for e in [c.provider, c.user] {
                if let Some(list) = self.links.get_mut(&e) {
                    list.retain(|x| *x != c);
                }
            }
        }
    }

    /// The connections touching endpoint `e`.
    pub fn links(&self, e: Endpoint) -> &[Connection] {
        self.links.get(&e).map_or(&[], Vec::as_slice)
    }

    fn ty<'m>(&self, model: &'m Model, plan: &Plan, i: InstanceId) -> &'m crate::ComponentType {
        model.ty(plan.universe.instances[i.index()].ty)
    }

    /// This system as a [`Knowledge`]: every instance is local to it.
    fn everything<'a>(&'a self, model: &'a Model, plan: &'a Plan) -> Everything<'a> {
        Everything {
            system: self,
            model,
            plan,
        }
    }

    /// Whether an endpoint's port is active (false if the instance does not
    /// exist).
    pub fn port_active(&self, model: &Model, plan: &Plan, e: Endpoint) -> bool {
        self.states[e.instance.index()]
            .as_ref()
            .is_some_and(|s| s.port_active(self.ty(model, plan, e.instance), e.port))
    }

    /// Resolves a guard of instance `i`; `Err` says why it does not hold.
    pub fn requirement_holds(
        &self,
        model: &Model,
        plan: &Plan,
        i: InstanceId,
        r: Requirement,
    ) -> Result<(), String> {
        knowledge::requirement_holds(&self.everything(model, plan), i, r)
    }

    /// Whether `step` of instance `i` can happen now (local precondition and
    /// every guard); `Err` says why not.
    pub fn step_enabled(
        &self,
        model: &Model,
        plan: &Plan,
        i: InstanceId,
        step: Step,
    ) -> Result<(), String> {
        let ty = self.ty(model, plan, i);
        let Some(state) = &self.states[i.index()] else {
            return Err("the instance does not exist".into());
        };
        if !state.is_candidate(ty, step) {
            return Err("its local precondition does not hold".into());
        }
        if self.guards == Guards::Ignored {
            return Ok(());
        }
        let mut reqs = Vec::new();
        state.requirements(ty, step, &mut reqs);
        for r in reqs {
            self.requirement_holds(model, plan, i, r)?;
        }
        Ok(())
    }

    /// Every enabled step of instance `i` (ends included), in a fixed order.
    pub fn enabled_steps(&self, model: &Model, plan: &Plan, i: InstanceId, out: &mut Vec<Step>) {
        let Some(state) = &self.states[i.index()] else {
            return;
        };
        let ty = self.ty(model, plan, i);
        let mut candidates = Vec::new();
        state.candidate_steps(ty, &mut candidates);
        out.extend(
            candidates
                .into_iter()
                .filter(|&s| self.step_enabled(model, plan, i, s).is_ok()),
        );
    }

    /// Applies an enabled step of instance `i`.
    pub fn apply_step(
        &mut self,
        model: &Model,
        plan: &Plan,
        i: InstanceId,
        step: Step,
    ) -> Vec<crate::TransitionId> {
        let ty = model.ty(plan.universe.instances[i.index()].ty);
        match &mut self.states[i.index()] {
            Some(state) => state.apply(ty, step),
            None => Vec::new(),
        }
    }

    /// The head instruction of `site`, if its program is not exhausted.
    pub fn head(&self, plan: &Plan, site: SiteId) -> Option<Instruction> {
        plan.programs[site.index()]
            .get(self.pc[site.index()])
            .copied()
    }

    /// Whether the head instruction of `site` can execute now; `Err` says why
    /// not. Reaching a `dcon` is recorded by [`Self::reach`], not here.
    pub fn instruction_enabled(
        &self,
        model: &Model,
        plan: &Plan,
        site: SiteId,
    ) -> Result<Instruction, String> {
        let Some(ins) = self.head(plan, site) else {
            return Err("the program is exhausted".into());
        };
        let ok = knowledge::instruction_enabled(&self.everything(model, plan), site, ins);
        ok.map(|()| ins)
    }

    /// Records that `site` has reached its head `dcon` (monotone, §5).
    /// Returns whether anything changed.
    pub fn reach(&mut self, plan: &Plan, site: SiteId) -> bool {
        match self.head(plan, site) {
            Some(Instruction::Dcon(c)) => self.dcon_reached.insert((site, c)),
            _ => false,
        }
    }

    /// Executes the head instruction of `site`, which must be enabled.
    pub fn execute(&mut self, model: &Model, plan: &Plan, site: SiteId) {
        let Some(ins) = self.head(plan, site) else {
            return;
        };
        match ins {
            Instruction::Add(c, t) => {
                self.states[c.index()] = Some(InstanceState::at(model.ty(t), model.ty(t).initial));
            }
            Instruction::Del(c) => self.states[c.index()] = None,
            Instruction::Con(c) => self.connect(c),
            Instruction::Dcon(c) => self.disconnect(c),
            Instruction::PushB(c, b) => {
                if let Some(s) = &mut self.states[c.index()] {
                    s.push(b);
                    self.pushes[c.index()][b.index()] += 1;
                }
            }
            Instruction::Wait(..) => {}
        }
        self.pc[site.index()] += 1;
    }

    /// Whether every program is exhausted and every queue empty (§4 "done").
    pub fn done(&self, plan: &Plan) -> bool {
        self.pc
            .iter()
            .zip(&plan.programs)
            .all(|(pc, p)| *pc >= p.len())
            && self.states.iter().flatten().all(InstanceState::idle)
    }

    /// Everything that is waiting and why: for deadlock reports.
    pub fn blocked(&self, model: &Model, plan: &Plan) -> Vec<Blocked> {
        let mut out = Vec::new();
        for s in 0..plan.programs.len() {
            let site = SiteId::from_index(s);
            if let (Some(instruction), Err(reason)) = (
                self.head(plan, site),
                self.instruction_enabled(model, plan, site),
            ) {
                out.push(Blocked::Instruction {
                    site,
                    instruction,
                    reason,
                });
            }
        }
        for (i, state) in self.states.iter().enumerate() {
            let Some(state) = state else { continue };
            let i = InstanceId::from_index(i);
            let ty = self.ty(model, plan, i);
            let mut candidates = Vec::new();
            state.candidate_steps(ty, &mut candidates);
            for step in candidates {
                if let Err(reason) = self.step_enabled(model, plan, i, step) {
                    out.push(Blocked::Step {
                        instance: i,
                        step,
                        reason,
                    });
                }
            }
        }
        out
    }

    /// Which provide/use ports are active, for an instance (REPL, reports).
    pub fn active_ports(
        &self,
        model: &Model,
        plan: &Plan,
        i: InstanceId,
    ) -> Vec<(String, PortKind, bool)> {
        let ty = self.ty(model, plan, i);
        let Some(state) = &self.states[i.index()] else {
            return Vec::new();
        };
        ty.ports
            .iter()
            .enumerate()
            .map(|(p, port)| {
                let id = crate::PortId::from_index(p);
                (port.name.clone(), port.kind, state.port_active(ty, id))
            })
            .collect()
    }
}

/// Instances of the universe, by name (for tools and tests).
pub fn instance_index(plan: &Plan) -> HashMap<&str, InstanceId> {
    plan.universe
        .instances
        .iter()
        .enumerate()
        .map(|(i, inst)| (inst.name.as_str(), InstanceId::from_index(i)))
        .collect()
}

/// [`System`] with its model and plan: the decider that knows everything.
struct Everything<'a> {
    system: &'a System,
    model: &'a Model,
    plan: &'a Plan,
}

impl Knowledge for Everything<'_> {
    fn model(&self) -> &Model {
        self.model
    }

    fn universe(&self) -> &Universe {
        &self.plan.universe
    }

    fn is_local(&self, _: InstanceId) -> bool {
        true
    }

    fn state(&self, i: InstanceId) -> Option<&InstanceState> {
        self.system.states[i.index()].as_ref()
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

    fn remote_user_active(&self, _: &Connection) -> Option<bool> {
        None
    }

    fn remote_provider_serving(&self, _: &Connection) -> Option<bool> {
        None
    }

    fn remote_finished(&self, _: InstanceId, _: BehaviorId) -> Option<u32> {
        None
    }
}
