//! The wait-for graph of a stuck system, and the cycle that makes it a
//! deadlock: who waits for whom, read from the semantics (the failing
//! guards and instruction preconditions), never from the reason strings.
//!
//! Nodes are instances and sites. An instance waits for the instances its
//! blocked steps need (the active users a provider cannot leave, the
//! provider a user cannot enter without) or, when it is idle, for its site
//! (whose program still has instructions for it); a site waits for what its
//! head instruction needs (the instance whose push must finish, the site
//! whose push has not executed, the other endpoint of a `dcon`).

use crate::ids::{InstanceId, SiteId};
use crate::model::{Endpoint, Model};
use crate::program::{endpoint_sites, Instruction, Plan};
use crate::semantics::{Requirement, Step, System};

/// A node of the wait-for graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Node {
    /// An instance.
    Instance(InstanceId),
    /// A site (its program's head instruction).
    Site(SiteId),
}

impl Node {
    /// The node's name: the instance's, or `site NAME`.
    pub fn name(self, plan: &Plan) -> String {
        match self {
            Node::Instance(i) => plan.universe.instances[i.index()].name.clone(),
            Node::Site(s) => format!("site {}", plan.universe.sites[s.index()].name),
        }
    }
}

/// What each node waits for, in a fixed order.
pub fn edges(model: &Model, plan: &Plan, system: &System, node: Node) -> Vec<Node> {
    let mut out = Vec::new();
    match node {
        Node::Site(s) => {
            if let (Some(ins), Err(_)) = (
                system.head(plan, s),
                system.instruction_enabled(model, plan, s),
            ) {
                site_needs(plan, system, s, ins, &mut out);
            }
        }
        Node::Instance(i) => instance_needs(model, plan, system, i, &mut out),
    }
    out.dedup();
    out
}

fn site_needs(plan: &Plan, system: &System, s: SiteId, ins: Instruction, out: &mut Vec<Node>) {
    let site_of = |i: InstanceId| plan.universe.instances[i.index()].site;
    match ins {
        Instruction::Wait(c, b, k) => {
            if system.pushes[c.index()][b.index()] < k {
                out.push(Node::Site(site_of(c)));
            } else {
                out.push(Node::Instance(c));
            }
        }
        Instruction::Dcon(c) => {
            for other in endpoint_sites(&plan.universe, &c) {
                if other != s && !system.dcon_reached.contains(&(other, c)) {
                    out.push(Node::Site(other));
                }
            }
            out.push(Node::Instance(c.user.instance));
        }
        Instruction::Con(c) => {
            for i in [c.provider.instance, c.user.instance] {
                if system.states[i.index()].is_none() {
                    out.push(Node::Site(site_of(i)));
                }
            }
            for e in system.links(c.user) {
                if e.user == c.user {
                    out.push(Node::Site(site_of(c.user.instance)));
                }
            }
        }
        Instruction::Del(c) => out.push(Node::Instance(c)),
        Instruction::Add(c, _) => out.push(Node::Instance(c)),
        Instruction::PushB(..) => {}
    }
}

fn instance_needs(model: &Model, plan: &Plan, system: &System, i: InstanceId, out: &mut Vec<Node>) {
    let Some(state) = &system.states[i.index()] else {
        return;
    };
    let ty = model.ty(plan.universe.instances[i.index()].ty);
    let mut steps = Vec::new();
    state.candidate_steps(ty, &mut steps);
    let mut requirements = Vec::new();
    for step in steps {
        if matches!(step, Step::End(_)) {
            continue;
        }
        requirements.clear();
        state.requirements(ty, step, &mut requirements);
        for &r in &requirements {
            if system.requirement_holds(model, plan, i, r).is_ok() {
                continue;
            }
            match r {
                Requirement::UsersInactive(port) => {
                    let me = Endpoint { instance: i, port };
                    for c in system.links(me).iter().filter(|c| c.provider == me) {
                        if system.port_active(model, plan, c.user) {
                            out.push(Node::Instance(c.user.instance));
                        }
                    }
                }
                Requirement::ProviderServing(port) => {
                    let me = Endpoint { instance: i, port };
                    for c in system.links(me).iter().filter(|c| c.user == me) {
                        out.push(Node::Instance(c.provider.instance));
                    }
                }
            }
        }
    }
    // An idle instance waits for its site when the site's remaining program
    // still acts on it.
    if state.idle() {
        let site = plan.universe.instances[i.index()].site;
        let rest = &plan.programs[site.index()]
            [system.pc[site.index()].min(plan.programs[site.index()].len())..];
        let pending = rest.iter().any(|ins| match ins {
            Instruction::PushB(c, _) | Instruction::Del(c) => *c == i,
            _ => false,
        });
        if pending {
            out.push(Node::Site(site));
        }
    }
}

/// A cycle of the wait-for graph, starting from its smallest node
/// (instances before sites, by index), if the
/// system has one (a deadlock always does unless something waits for a
/// push no program will ever make).
pub fn cycle(model: &Model, plan: &Plan, system: &System) -> Option<Vec<Node>> {
    let nodes: Vec<Node> = (0..plan.universe.sites.len())
        .map(|s| Node::Site(SiteId::from_index(s)))
        .chain(
            (0..plan.universe.instances.len()).map(|i| Node::Instance(InstanceId::from_index(i))),
        )
        .collect();
    let index = |n: Node| match n {
        Node::Site(s) => s.index(),
        Node::Instance(i) => plan.universe.sites.len() + i.index(),
    };
    let succ: Vec<Vec<Node>> = nodes
        .iter()
        .map(|&n| edges(model, plan, system, n))
        .collect();
    // Iterative DFS with colours; the first back edge closes a cycle.
    let mut colour = vec![0u8; nodes.len()];
    for &root in &nodes {
        if colour[index(root)] != 0 {
            continue;
        }
        let mut stack: Vec<(Node, usize)> = vec![(root, 0)];
        colour[index(root)] = 1;
        while let Some(&mut (n, ref mut next)) = stack.last_mut() {
            let Some(&m) = succ[index(n)].get(*next) else {
                colour[index(n)] = 2;
                stack.pop();
                continue;
            };
            *next += 1;
            match colour[index(m)] {
                0 => {
                    colour[index(m)] = 1;
                    stack.push((m, 0));
                }
                1 => {
                    let from = stack.iter().position(|&(x, _)| x == m).unwrap_or(0);
                    let mut cycle: Vec<Node> = stack[from..].iter().map(|&(x, _)| x).collect();
                    let smallest = (0..cycle.len()).min_by_key(|&k| cycle[k]).unwrap_or(0);
                    cycle.rotate_left(smallest);
                    return Some(cycle);
                }
                _ => {}
            }
        }
    }
    None
}

/// The cycle by node name, closed: `a -> b -> c -> a`.
pub fn cycle_text(model: &Model, plan: &Plan, system: &System) -> Option<String> {
    let names: Vec<String> = cycle(model, plan, system)?
        .iter()
        .map(|n| n.name(plan))
        .collect();
    Some(format!("{} -> {}", names.join(" -> "), names[0]))
}
