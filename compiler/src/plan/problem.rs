//! The planning problem, as every site planner sees it: the universe of
//! instances (the start assembly's, then those only the target has), the
//! assembly diff, and each instance's own goals with the goal lines they
//! come from.
//!
//! All of this is public knowledge in a Ballet deployment (every agent has
//! the `.blt` program and the goal); what a site planner does *not* know is
//! the other sites' chosen behavior sequences, which it learns by messages.

use std::collections::{BTreeSet, HashMap, HashSet};

use ballet_runtime::program::{Plan, Universe};
use ballet_runtime::semantics::System;
use ballet_runtime::{
    BehaviorId, Connection, Endpoint, Goal, InstanceId, Model, PlaceId, PortId, SiteId,
};

/// One instance's own goals, each with its goal line (an index into the
/// goal's items).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OwnGoals {
    /// Behaviors to execute.
    pub behaviors: Vec<(BehaviorId, u32)>,
    /// The place to end at.
    pub place: Option<(PlaceId, u32)>,
    /// Ports to end active or inactive.
    pub ports: Vec<(PortId, bool, u32)>,
}

/// The reconfiguration to plan, over the universe.
#[derive(Clone, Debug)]
pub struct Problem {
    /// Start instances first (same indices as in the start assembly), then
    /// instances only the target has.
    pub universe: Universe,
    /// Where each universe instance starts (`None`: created by `add`).
    pub start_places: Vec<Option<PlaceId>>,
    /// Connections at the start.
    pub start_connections: Vec<Connection>,
    /// Connections at the end.
    pub target_connections: Vec<Connection>,
    /// Whether each universe instance exists at the end.
    pub kept: Vec<bool>,
    /// Each universe instance's goals.
    pub goals: Vec<OwnGoals>,
    /// Connections by endpoint, start and target together, deduplicated.
    pub by_endpoint: HashMap<Endpoint, Vec<Connection>>,
    target_set: HashSet<Connection>,
    start_set: HashSet<Connection>,
}

/// Why a goal cannot be turned into a problem.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProblemError {
    /// The message.
    pub message: String,
}

impl Problem {
    /// The system at the start of the problem, about to run `plan` (whose
    /// universe is the problem's).
    pub fn start_system(&self, model: &Model, plan: &Plan) -> System {
        System::new(
            model,
            plan,
            &self.start_places,
            self.start_connections.iter().copied(),
        )
    }

    /// Builds the problem of `goal`. Instances of the start and target
    /// assemblies with the same name are the same instance; they must have
    /// the same type and site.
    pub fn new(model: &Model, goal: &Goal) -> Result<Problem, ProblemError> {
        let mut universe = Universe {
            sites: goal.start.sites.clone(),
            instances: goal.start.instances.clone(),
        };
        let mut site_ids: HashMap<String, SiteId> = universe
            .sites
            .iter()
            .enumerate()
            .map(|(i, s)| (s.name.clone(), SiteId::from_index(i)))
            .collect();
        let mut by_name: HashMap<String, InstanceId> = universe
            .instances
            .iter()
            .enumerate()
            .map(|(i, inst)| (inst.name.clone(), InstanceId::from_index(i)))
            .collect();
        let mut target_map = Vec::with_capacity(goal.target.instances.len());
        let mut kept = vec![false; universe.instances.len()];
        for inst in &goal.target.instances {
            let site_name = &goal.target.sites[inst.site.index()].name;
            let site = *site_ids.entry(site_name.clone()).or_insert_with(|| {
                universe
                    .sites
                    .push(goal.target.sites[inst.site.index()].clone());
                SiteId::from_index(universe.sites.len() - 1)
            });
            let id = match by_name.get(&inst.name) {
                Some(&id) => {
                    let old = &universe.instances[id.index()];
                    if old.ty != inst.ty || old.site != site {
                        return Err(ProblemError {
                            message: format!(
                                "`{}` is a `{}` on site `{}` at the start but a `{}` on site `{}` \
                                 in the target; give the new instance another name",
                                inst.name,
                                model.ty(old.ty).name,
                                universe.sites[old.site.index()].name,
                                model.ty(inst.ty).name,
                                site_name
                            ),
                        });
                    }
                    id
                }
                None => {
                    let mut new = inst.clone();
                    new.site = site;
                    universe.instances.push(new);
                    kept.push(false);
                    let id = InstanceId::from_index(universe.instances.len() - 1);
                    by_name.insert(inst.name.clone(), id);
                    id
                }
            };
            kept[id.index()] = true;
            target_map.push(id);
        }
        let n = universe.instances.len();
        let mut start_places: Vec<Option<PlaceId>> = vec![None; n];
        for (i, p) in goal.start_places.iter().enumerate() {
            start_places[i] = Some(*p);
        }
        let remap = |c: &Connection| Connection {
            provider: Endpoint {
                instance: target_map[c.provider.instance.index()],
                port: c.provider.port,
            },
            user: Endpoint {
                instance: target_map[c.user.instance.index()],
                port: c.user.port,
            },
        };
        let start_connections = goal.start.connections.clone();
        let target_connections: Vec<Connection> =
            goal.target.connections.iter().map(remap).collect();
        let mut goals = vec![OwnGoals::default(); n];
        for b in &goal.behaviors {
            goals[b.instance.index()]
                .behaviors
                .push((b.behavior, b.origin));
        }
        for s in &goal.states {
            goals[target_map[s.instance.index()].index()].place = Some((s.place, s.origin));
        }
        for p in &goal.ports {
            let i = target_map[p.endpoint.instance.index()];
            goals[i.index()]
                .ports
                .push((p.endpoint.port, p.active, p.origin));
        }
        let all: BTreeSet<Connection> = start_connections
            .iter()
            .chain(&target_connections)
            .copied()
            .collect();
        let mut by_endpoint: HashMap<Endpoint, Vec<Connection>> = HashMap::new();
        for c in all {
            by_endpoint.entry(c.provider).or_default().push(c);
            by_endpoint.entry(c.user).or_default().push(c);
        }
        let target_set = target_connections.iter().copied().collect();
        let start_set = start_connections.iter().copied().collect();
        Ok(Problem {
            target_set,
            start_set,
            universe,
            start_places,
            start_connections,
            target_connections,
            kept,
            goals,
            by_endpoint,
        })
    }

    /// The site of an instance.
    pub fn site_of(&self, i: InstanceId) -> SiteId {
        self.universe.instances[i.index()].site
    }

    /// The connections touching an endpoint (start or target).
    pub fn connections_of(&self, e: Endpoint) -> &[Connection] {
        self.by_endpoint.get(&e).map_or(&[], Vec::as_slice)
    }

    /// Whether `c` exists at the end.
    pub fn in_target(&self, c: &Connection) -> bool {
        self.target_set.contains(c)
    }

    /// Whether `c` is removed: at the start, not at the end.
    pub fn removed(&self, c: &Connection) -> bool {
        self.start_set.contains(c) && !self.target_set.contains(c)
    }

    /// Whether `c` is added: at the end, not at the start.
    pub fn added(&self, c: &Connection) -> bool {
        self.target_set.contains(c) && !self.start_set.contains(c)
    }

    /// Every connection touching one of `instances`, sorted, once each.
    pub fn connections_touching(&self, model: &Model, instances: &[InstanceId]) -> Vec<Connection> {
        let mut out: BTreeSet<Connection> = BTreeSet::new();
        for &i in instances {
            let ty = model.ty(self.universe.instances[i.index()].ty);
            for p in 0..ty.ports.len() {
                let e = Endpoint {
                    instance: i,
                    port: PortId::from_index(p),
                };
                out.extend(self.connections_of(e).iter().copied());
            }
        }
        out.into_iter().collect()
    }

    /// Instances of each site, in index order.
    pub fn instances_by_site(&self) -> Vec<Vec<InstanceId>> {
        let mut out = vec![Vec::new(); self.universe.sites.len()];
        for (i, inst) in self.universe.instances.iter().enumerate() {
            out[inst.site.index()].push(InstanceId::from_index(i));
        }
        out
    }
}
