//! What a site planner derives from its instances' plans: the facts it
//! tells the other endpoint of each connection, and the `wait`s its own
//! programs need (after a meeting state, for a provider's last down; before
//! a provider's first down, for its users' releases).

use ballet_runtime::{
    BehaviorId, ComponentType, Connection, Cost, Endpoint, InstanceId, PortId, PortKind,
};

use crate::plan::automaton::Automaton;
use crate::plan::local::{deactivations, enters, finish, port_on, LocalPlan};
use crate::plan::protocol::Fact;
use crate::plan::site::{push_of, SitePlanner};

impl SitePlanner<'_> {
    /// Tells the other endpoint of every connection of instance `s` what it
    /// needs to know.
    pub(super) fn publish(&mut self, s: usize) {
        let problem = self.problem;
        let id = self.locals[s].id;
        let Some(plan) = self.locals[s]
            .plan
            .clone()
            .or_else(|| self.locals[s].relaxed.clone())
        else {
            self.publish_stuck(s);
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
                            last_down: last.map(|k| push_of(&plan.behaviors, k)),
                            ready: last.map_or(Cost::ZERO, |k| schedule[k]),
                            serving: if port_on(ty, end, e.port) {
                                serving_from(ty, &automaton, &plan, &schedule, e.port)
                            } else {
                                Cost::ZERO
                            },
                            ends_active: port_on(ty, end, e.port),
                            refused: self.locals[s].plan.is_none(),
                            serves: match plan.edges.iter().position(|&k| {
                                deactivations(ty, &automaton, &automaton.edges[k], e.port) > 0
                            }) {
                                Some(f) => port_on(
                                    ty,
                                    &automaton.states[automaton.edges[plan.edges[f]].from],
                                    e.port,
                                ),
                                None => {
                                    port_on(ty, &automaton.states[0], e.port)
                                        || plan.edges.iter().any(|&k| {
                                            !automaton.edges[k].activity[e.port.index()].is_empty()
                                        })
                                }
                            },
                        }
                    }
                    PortKind::Use if c.user == e => {
                        if !problem.in_target(&c) {
                            continue;
                        }
                        // A met port: the user needs its provider serving
                        // whenever it makes the port active (the Enter
                        // guard), which it does after the provider's last
                        // down (its `wait`), so the provider must end
                        // active. A port active from the start and never
                        // re-entered needs nothing. A released port: the
                        // provider waits for the last behavior using it.
                        // A dead port (its provider refuses and never
                        // serves) is never used: vacuously "before".
                        let before = self.locals[s].before.contains(&e.port)
                            || self.locals[s].dead.contains(&e.port);
                        let needed = !before
                            && !self.provider_goals_imply_active(c)
                            && plan
                                .edges
                                .iter()
                                .any(|&k| enters(ty, &automaton, &automaton.edges[k], e.port));
                        // Only a user that enters the port needs the
                        // provider to serve (and to wait for it); one that
                        // only leaves it is waited for by the guard.
                        let enters_it = plan
                            .edges
                            .iter()
                            .any(|&k| enters(ty, &automaton, &automaton.edges[k], e.port));
                        // The provider waits for the last behavior using
                        // the port; or for the one before it when that last
                        // one only leaves the port (active from its start,
                        // never entered again, inactive at its end): the
                        // provider's Fire guard then holds the down until
                        // the port is inactive, so the down can be pushed
                        // while the user leaves.
                        let release = if before && enters_it {
                            plan.edges
                                .iter()
                                .rposition(|&k| {
                                    !automaton.edges[k].activity[e.port.index()].is_empty()
                                })
                                .map(|k| {
                                    let edge = &automaton.edges[plan.edges[k]];
                                    let only_leaves = k > 0
                                        && edge.activity[e.port.index()].len() == 1
                                        && port_on(ty, &automaton.states[edge.from], e.port)
                                        && !port_on(ty, &automaton.states[edge.to], e.port);
                                    push_of(&plan.behaviors, if only_leaves { k - 1 } else { k })
                                })
                        } else {
                            None
                        };
                        Fact::User {
                            connection: c,
                            needed,
                            before,
                            release,
                            stuck: self.locals[s].plan.is_none()
                                && self.locals[s].stuck.contains(&e.port),
                        }
                    }
                    _ => continue,
                };
                let to = match fact {
                    Fact::Provider { .. } => problem.site_of(c.user.instance),
                    Fact::User { .. } => problem.site_of(c.provider.instance),
                };
                self.deliver(to, fact);
            }
        }
    }

    /// Without any sequence to describe: tells the providers that must stay
    /// up that they must.
    fn publish_stuck(&mut self, s: usize) {
        let problem = self.problem;
        let id = self.locals[s].id;
        let stuck: Vec<PortId> = self.locals[s].stuck.iter().copied().collect();
        for p in stuck {
            let e = Endpoint {
                instance: id,
                port: p,
            };
            for &c in problem.connections_of(e) {
                if c.user == e && problem.in_target(&c) {
                    let fact = Fact::User {
                        connection: c,
                        needed: false,
                        before: false,
                        release: None,
                        stuck: true,
                    };
                    self.deliver(problem.site_of(c.provider.instance), fact);
                }
            }
        }
    }

    /// Whether the provider's own goals make its port of `c` active at the
    /// end (public knowledge: no message needed).
    pub(super) fn provider_goals_imply_active(&self, c: Connection) -> bool {
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
    /// behaviors in sequence, as the local search estimated them
    /// ([`finish`]: the providers' estimates of the ports it did not
    /// release).
    fn schedule(&self, s: usize, plan: &LocalPlan) -> Vec<Cost> {
        let local = &self.locals[s];
        let ty = self
            .model
            .ty(self.problem.universe.instances[local.id.index()].ty);
        let mut timing = self.timing(local.id);
        timing.retain(|t| !local.before.contains(&t.port));
        let automaton = &local.automaton;
        let mut t = Cost::ZERO;
        plan.edges
            .iter()
            .map(|&e| {
                t = finish(ty, automaton, &automaton.edges[e], t, &timing);
                t
            })
            .collect()
    }

    /// The pushes local `s` must wait for after its meeting state, with
    /// their providers' estimates and the index in its plan of the behavior
    /// the wait must precede: the last down of every provider it uses again
    /// afterwards, awaited just before the first behavior that activates
    /// the port again (the behaviors between keep it inactive, so they
    /// cannot hold the provider back).
    pub fn waits_of(
        &self,
        s: usize,
    ) -> Vec<((Connection, ballet_runtime::BehaviorId, u32), Cost, usize)> {
        let local = &self.locals[s];
        let Some(plan) = &local.plan else {
            return Vec::new();
        };
        let automaton = &local.automaton;
        let mut out = Vec::new();
        for &p in local.meet.keys().filter(|p| !local.before.contains(p)) {
            // At the meeting state the port is inactive; it is used again
            // only if a later behavior activates it.
            let Some(used_again) = plan.edges[plan.meeting..]
                .iter()
                .position(|&e| !automaton.edges[e].activity[p.index()].is_empty())
            else {
                continue;
            };
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
                    out.push(((*c, b, k), ready, plan.meeting + used_again));
                }
            }
        }
        out
    }

    /// The `wait`s local `s` needs before some of its own pushes: before its
    /// first down of a provide port, the release of every user that uses
    /// the port only before it. Each item: (index of the behavior in the
    /// plan, user, behavior, k).
    pub fn release_waits(&self, s: usize) -> Vec<(usize, InstanceId, BehaviorId, u32)> {
        let local = &self.locals[s];
        let Some(plan) = &local.plan else {
            return Vec::new();
        };
        let ty = self
            .model
            .ty(self.problem.universe.instances[local.id.index()].ty);
        let a = &local.automaton;
        let mut out = Vec::new();
        for (&q, users) in &local.releases {
            let Some(first) = plan
                .edges
                .iter()
                .position(|&k| deactivations(ty, a, &a.edges[k], q) > 0)
            else {
                continue;
            };
            out.extend(
                users
                    .iter()
                    .map(|(c, &(b, k))| (first, c.user.instance, b, k)),
            );
        }
        out.sort();
        out.dedup();
        out
    }
}

/// When provide `port`, active at the end of `plan`, becomes active for
/// good by the estimated finish times `ends` of its behaviors: the last
/// activation, zero if it is active from the start and never leaves.
fn serving_from(
    ty: &ComponentType,
    automaton: &Automaton,
    plan: &LocalPlan,
    ends: &[Cost],
    port: PortId,
) -> Cost {
    for (k, &e) in plan.edges.iter().enumerate().rev() {
        let edge = &automaton.edges[e];
        let Some(&(from, _)) = edge.activity[port.index()].last() else {
            // Inactive during this behavior, active at the end: cannot be
            // (the last behavior with activity is met first); be safe.
            return ends[k];
        };
        if from > Cost::ZERO || !port_on(ty, &automaton.states[edge.from], port) {
            // Counted from the end: a wait at an entry comes before.
            return Cost(ends[k].0.saturating_sub(edge.duration.0 - from.0));
        }
    }
    Cost::ZERO
}
