//! The sequential baseline of the published µs / "Muse" tool, for comparison
//! with Ballet's schedule (CASES.md, "Published figures"): each instance runs
//! the behaviors the plan pushes on it, in order, each as its transitions one
//! after another, and starts only when all its providers have finished all
//! theirs.
//!
//! Which transitions a behavior fires from a marking is asked of the
//! semantics: the behavior is run on the instance alone, with guards on
//! other instances ignored ([`Guards::Ignored`], as the planner's automata
//! do). There is no second implementation of the semantics here.

use std::collections::{BTreeSet, VecDeque};
use std::fmt;

use crate::cost::Cost;
use crate::ids::{BehaviorId, InstanceId, SiteId, TransitionId, TypeId};
use crate::model::{Instance, Model, Site};
use crate::program::{Instruction, Plan, Universe};
use crate::semantics::{Guards, InstanceState, System};
use crate::simulate::{simulate, EventKind};

/// The baseline schedule of a plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BaselineSchedule {
    /// One entry per universe instance, by [`InstanceId`].
    pub instances: Vec<BaselineInstance>,
    /// When the last instance finishes.
    pub makespan: Cost,
}

/// One instance in the baseline.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BaselineInstance {
    /// When its providers have all finished.
    pub start: Cost,
    /// When its last transition ends (`start` if it runs none).
    pub end: Cost,
    /// Its transitions, one after another.
    pub bars: Vec<BaselineBar>,
}

/// A transition in the baseline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BaselineBar {
    /// The transition.
    pub transition: TransitionId,
    /// Its behavior.
    pub behavior: BehaviorId,
    /// When it starts.
    pub start: Cost,
    /// When it ends.
    pub end: Cost,
}

/// Why a plan has no sequential baseline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BaselineError {
    /// The provider → user relation has a cycle through these instances, so
    /// "start when all providers have finished" never starts them.
    Cycle(Vec<String>),
    /// A behavior does not finish even on the instance alone (its run
    /// deadlocks locally, e.g. on a failed instance).
    Stuck {
        /// The instance.
        instance: String,
        /// The behavior.
        behavior: String,
    },
}

impl fmt::Display for BaselineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BaselineError::Cycle(names) => write!(
                f,
                "no sequential baseline: the providers of {} depend on each other in a cycle",
                names.join(", ")
            ),
            BaselineError::Stuck { instance, behavior } => write!(
                f,
                "no sequential baseline: {behavior} does not finish on {instance} alone"
            ),
        }
    }
}

impl std::error::Error for BaselineError {}

/// The sequential baseline of `plan` from `start`.
///
/// The provider → user relation is that of the start connections and of the
/// connections the plan's `con` instructions create. An instance that does
/// not exist at the start begins at its type's initial place.
pub fn sequential(
    model: &Model,
    plan: &Plan,
    start: &System,
) -> Result<BaselineSchedule, BaselineError> {
    let u = &plan.universe;
    let n = u.instances.len();
    let mut behaviors: Vec<Vec<BehaviorId>> = (0..n)
        .map(|i| {
            start.states[i]
                .as_ref()
                .map_or(Vec::new(), |s| s.queue.iter().copied().collect())
        })
        .collect();
    let mut edges = BTreeSet::new();
    for c in &start.connections {
        edges.insert((c.provider.instance, c.user.instance));
    }
    for ins in plan.programs.iter().flatten() {
        match *ins {
            Instruction::PushB(c, b) => behaviors[c.index()].push(b),
            Instruction::Con(c) => {
                edges.insert((c.provider.instance, c.user.instance));
            }
            _ => {}
        }
    }
    edges.retain(|(p, u)| p != u);
    let order = topological(n, &edges).map_err(|rest| {
        BaselineError::Cycle(
            rest.iter()
                .map(|i| u.instances[i.index()].name.clone())
                .collect(),
        )
    })?;

    let mut providers: Vec<Vec<InstanceId>> = vec![Vec::new(); n];
    for &(p, user) in &edges {
        providers[user.index()].push(p);
    }
    let mut instances = vec![BaselineInstance::default(); n];
    for i in order {
        let inst = &u.instances[i.index()];
        let ty = model.ty(inst.ty);
        let begin = providers[i.index()]
            .iter()
            .map(|p| instances[p.index()].end)
            .max()
            .unwrap_or(Cost::ZERO);
        let mut state = match &start.states[i.index()] {
            Some(s) => s.clone(),
            None => InstanceState::at(ty, ty.initial),
        };
        let mut now = begin;
        let mut bars = Vec::new();
        for &b in &behaviors[i.index()] {
            let (after, fired) =
                run_alone(model, inst.ty, &inst.name, &state, b).ok_or_else(|| {
                    BaselineError::Stuck {
                        instance: inst.name.clone(),
                        behavior: ty.behavior(b).name.clone(),
                    }
                })?;
            for t in fired {
                let end = now + ty.transition(t).cost;
                bars.push(BaselineBar {
                    transition: t,
                    behavior: b,
                    start: now,
                    end,
                });
                now = end;
            }
            state = after;
        }
        instances[i.index()] = BaselineInstance {
            start: begin,
            end: now,
            bars,
        };
    }
    let makespan = instances.iter().map(|i| i.end).max().unwrap_or(Cost::ZERO);
    Ok(BaselineSchedule {
        instances,
        makespan,
    })
}

/// Kahn's algorithm in index order. `Err` holds the instances on or between
/// cycles: those left with both a remaining provider and a remaining user.
fn topological(
    n: usize,
    edges: &BTreeSet<(InstanceId, InstanceId)>,
) -> Result<Vec<InstanceId>, Vec<InstanceId>> {
    let mut indegree = vec![0usize; n];
    let mut users: Vec<Vec<InstanceId>> = vec![Vec::new(); n];
    for &(p, u) in edges {
        indegree[u.index()] += 1;
        users[p.index()].push(u);
    }
    let mut ready: VecDeque<InstanceId> = (0..n)
        .filter(|&i| indegree[i] == 0)
        .map(InstanceId::from_index)
        .collect();
    let mut order = Vec::with_capacity(n);
    while let Some(i) = ready.pop_front() {
        order.push(i);
        for &u in &users[i.index()] {
            indegree[u.index()] -= 1;
            if indegree[u.index()] == 0 {
                ready.push_back(u);
            }
        }
    }
    if order.len() == n {
        return Ok(order);
    }
    // Drop the remaining instances that lead to no other remaining one:
    // what is left lies on a cycle or between two.
    let mut left: BTreeSet<InstanceId> = (0..n)
        .filter(|&i| indegree[i] > 0)
        .map(InstanceId::from_index)
        .collect();
    loop {
        let sinks: Vec<InstanceId> = left
            .iter()
            .copied()
            .filter(|i| !users[i.index()].iter().any(|u| left.contains(u)))
            .collect();
        if sinks.is_empty() {
            break;
        }
        for s in sinks {
            left.remove(&s);
        }
    }
    Err(left.into_iter().collect())
}

/// Runs behavior `b` on one instance of type `ty` in `state`, alone, with
/// guards on other instances ignored. Returns the state after it and the
/// transitions it fired, in start order; `None` if it does not finish.
fn run_alone(
    model: &Model,
    ty: TypeId,
    name: &str,
    state: &InstanceState,
    b: BehaviorId,
) -> Option<(InstanceState, Vec<TransitionId>)> {
    let plan = Plan {
        universe: Universe {
            sites: vec![Site {
                name: "baseline".into(),
            }],
            instances: vec![Instance {
                name: name.into(),
                ty,
                site: SiteId(0),
            }],
        },
        programs: vec![vec![Instruction::PushB(InstanceId(0), b)]],
    };
    let mut system = System::new(model, &plan, &[None], []);
    let mut alone = state.clone();
    alone.queue.clear();
    system.states[0] = Some(alone);
    system.guards = Guards::Ignored;
    let outcome = simulate(model, &plan, system);
    if outcome.deadlock.is_some() {
        return None;
    }
    let fired = outcome
        .events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::Start(_, t) => Some(t),
            _ => None,
        })
        .collect();
    let after = outcome.system.states.into_iter().next().flatten()?;
    Some((after, fired))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{InterfaceId, PlaceId, PortId};
    use crate::model::{Behavior, ComponentType, Connection, Endpoint, Port, PortKind, Transition};

    /// `off -(a, 2)-> mid -(b, 3)-> on`, plus `off -(c, 1)-> on`, all in
    /// `go`: the fork runs 3 transitions, 6 units in sequence. Provide `p`
    /// and use `u`, both at {on}.
    fn model() -> Model {
        let t = |name: &str, src: u32, dst: u32, cost: u64| Transition {
            name: name.into(),
            src: PlaceId(src),
            dst: PlaceId(dst),
            cost: Cost::units(cost),
            action: None,
            behavior: BehaviorId(0),
        };
        let port = |name: &str, kind| Port {
            name: name.into(),
            kind,
            interface: InterfaceId(0),
            group: vec![PlaceId(2)],
        };
        Model {
            interfaces: vec!["I".into()],
            types: vec![ComponentType {
                name: "T".into(),
                places: vec!["off".into(), "mid".into(), "on".into()],
                initial: PlaceId(0),
                running: PlaceId(2),
                transitions: vec![t("a", 0, 1, 2), t("b", 1, 2, 3), t("c", 0, 2, 1)],
                behaviors: vec![Behavior {
                    name: "go".into(),
                    transitions: vec![TransitionId(0), TransitionId(1), TransitionId(2)],
                }],
                ports: vec![port("p", PortKind::Provide), port("u", PortKind::Use)],
            }],
        }
    }

    fn plan(n: usize) -> Plan {
        let instances = (0..n)
            .map(|i| Instance {
                name: format!("x{i}"),
                ty: TypeId(0),
                site: SiteId(0),
            })
            .collect();
        Plan {
            universe: Universe {
                sites: vec![Site { name: "s".into() }],
                instances,
            },
            programs: vec![(0..n)
                .map(|i| Instruction::PushB(InstanceId::from_index(i), BehaviorId(0)))
                .collect()],
        }
    }

    fn link(p: usize, u: usize) -> Connection {
        Connection {
            provider: Endpoint {
                instance: InstanceId::from_index(p),
                port: PortId(0),
            },
            user: Endpoint {
                instance: InstanceId::from_index(u),
                port: PortId(1),
            },
        }
    }

    #[test]
    fn users_start_when_their_providers_have_finished() {
        let model = model();
        let plan = plan(3);
        // x0 serves x1 and x2; x1 serves x2.
        let links = [link(0, 1), link(0, 2), link(1, 2)];
        let start = System::new(&model, &plan, &[Some(PlaceId(0)); 3], links);
        let s = sequential(&model, &plan, &start).expect("no cycle");
        let spans: Vec<(u64, u64)> = s.instances.iter().map(|i| (i.start.0, i.end.0)).collect();
        assert_eq!(spans, vec![(0, 6000), (6000, 12000), (12000, 18000)]);
        assert_eq!(s.makespan, Cost::units(18));
        // The fork's transitions run one after another, in start order.
        let bars: Vec<(u32, u64, u64)> = s.instances[1]
            .bars
            .iter()
            .map(|b| (b.transition.0, b.start.0, b.end.0))
            .collect();
        assert_eq!(
            bars,
            vec![(0, 6000, 8000), (2, 8000, 9000), (1, 9000, 12000)]
        );
    }

    #[test]
    fn a_provider_cycle_is_an_error_naming_the_cycle() {
        let model = model();
        let plan = plan(3);
        // x0 and x1 serve each other; x2 only uses x1.
        let links = [link(0, 1), link(1, 0), link(1, 2)];
        let start = System::new(&model, &plan, &[Some(PlaceId(0)); 3], links);
        let err = sequential(&model, &plan, &start).expect_err("cycle");
        assert_eq!(err, BaselineError::Cycle(vec!["x0".into(), "x1".into()]));
        assert!(err.to_string().contains("x0, x1"));
    }

    #[test]
    fn an_instance_pushed_nothing_runs_nothing() {
        let model = model();
        let mut plan = plan(2);
        plan.programs[0].truncate(1);
        let start = System::new(&model, &plan, &[Some(PlaceId(0)); 2], [link(0, 1)]);
        let s = sequential(&model, &plan, &start).expect("no cycle");
        assert!(s.instances[1].bars.is_empty());
        assert_eq!(
            (s.instances[1].start, s.instances[1].end),
            (Cost::units(6), Cost::units(6))
        );
    }
}
