//! One instance's state and its steps: SEMANTICS.md §2 and §3, the single
//! implementation used by the simulator, the planner, the VM and the
//! verifier.
//!
//! Everything here is local to the instance. Guards that need other
//! instances (connected ports) are returned as [`Requirement`]s, which the
//! caller resolves against what it knows: the whole system in the simulator
//! and the verifier, local state plus remote facts in a site agent.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use crate::bitset::BitSet;
use crate::ids::{BehaviorId, PlaceId, PortId, TransitionId};
use crate::model::{ComponentType, PortKind};

/// The state of one instance (SEMANTICS.md §2).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct InstanceState {
    /// Marked places.
    pub marked: BitSet,
    /// Running transitions.
    pub running: BitSet,
    /// Ended transitions waiting at their destination.
    pub arrived: BitSet,
    /// Queued behaviors; the front one is the head.
    pub queue: VecDeque<BehaviorId>,
    /// How many executions of each behavior have finished.
    pub finished: Vec<u32>,
    /// Set when an action failed: no further step until resumed (§3).
    pub failed: bool,
}

/// A step of one instance (SEMANTICS.md §3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Step {
    /// Consume a marked place and start all head-behavior transitions out of it.
    Fire(PlaceId),
    /// A running transition ends and becomes an arrival.
    End(TransitionId),
    /// Mark a place whose incoming head-behavior transitions have all arrived.
    Enter(PlaceId),
    /// Pop the head behavior.
    Finish,
}

/// A guard of a step that depends on other instances.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Requirement {
    /// This provide port becomes inactive: every use port connected to it
    /// must be inactive (Fire guard).
    UsersInactive(PortId),
    /// This use port becomes active: it must be connected and its provider
    /// must not be refusing (Enter guard).
    ProviderServing(PortId),
}

impl InstanceState {
    /// A new instance of `ty` with `place` marked and an empty queue (`add`
    /// marks the initial place; a start state may mark another one).
    pub fn at(ty: &ComponentType, place: PlaceId) -> InstanceState {
        let mut marked = BitSet::with_capacity(ty.places.len());
        marked.insert(place.index());
        InstanceState {
            marked,
            running: BitSet::with_capacity(ty.transitions.len()),
            arrived: BitSet::with_capacity(ty.transitions.len()),
            queue: VecDeque::new(),
            finished: vec![0; ty.behaviors.len()],
            failed: false,
        }
    }

    /// The head behavior, if any.
    pub fn head(&self) -> Option<BehaviorId> {
        self.queue.front().copied()
    }

    /// Whether nothing runs, nothing is queued: `del` and "done" need it.
    pub fn idle(&self) -> bool {
        self.queue.is_empty() && self.running.is_empty() && self.arrived.is_empty()
    }

    /// The single marked place of a stable state (no head, nothing running).
    pub fn stable_place(&self) -> Option<PlaceId> {
        let mut it = self.marked.iter();
        match (
            it.next(),
            it.next(),
            self.running.is_empty() && self.arrived.is_empty(),
        ) {
            (Some(p), None, true) => Some(PlaceId::from_index(p)),
            _ => None,
        }
    }

    /// Appends `b` to the queue (`pushB`).
    pub fn push(&mut self, b: BehaviorId) {
        self.queue.push_back(b);
    }

    /// Whether the port is active (§2): its group holds a marked place, a
    /// running group transition or a pending arrival of one.
    pub fn port_active(&self, ty: &ComponentType, port: PortId) -> bool {
        marking_serves(ty, &self.marked, port)
            || self
                .running
                .iter()
                .chain(self.arrived.iter())
                .any(|t| in_group(ty, port, TransitionId::from_index(t)))
    }

    /// Whether a provide port is refusing (§2): inactive, or every marked
    /// place of its group is about to leave it (has head-behavior
    /// transitions, all leading out of the group).
    pub fn refusing(&self, ty: &ComponentType, port: PortId) -> bool {
        if !self.port_active(ty, port) {
            return true;
        }
        let p = ty.port(port);
        let Some(head) = self.head() else {
            // Without a head behavior nothing is about to leave. A port
            // active only through transitions cannot be so without a head.
            return !p.group.iter().any(|g| self.marked.contains(g.index()));
        };
        p.group
            .iter()
            .filter(|g| self.marked.contains(g.index()))
            .all(|&g| {
                let mut outs = outgoing(ty, head, g).peekable();
                outs.peek().is_some() && outs.all(|t| !p.contains(ty.transition(t).dst))
            })
    }

    /// Every step whose local precondition holds, in a fixed order (fires,
    /// ends, enters, finish). Guards are not checked: see [`Self::requirements`].
    pub fn candidate_steps(&self, ty: &ComponentType, out: &mut Vec<Step>) {
        if self.failed {
            return;
        }
        for t in self.running.iter() {
            out.push(Step::End(TransitionId::from_index(t)));
        }
        let Some(head) = self.head() else { return };
        for p in self.marked.iter() {
            let p = PlaceId::from_index(p);
            if outgoing(ty, head, p).next().is_some() {
                out.push(Step::Fire(p));
            }
        }
        let mut targets: Vec<PlaceId> = self
            .arrived
            .iter()
            .map(|t| ty.transition(TransitionId::from_index(t)).dst)
            .collect();
        targets.sort();
        targets.dedup();
        for q in targets {
            if self.can_enter(ty, head, q) {
                out.push(Step::Enter(q));
            }
        }
        if self.can_finish(ty, head) {
            out.push(Step::Finish);
        }
    }

    /// Whether the local precondition of `step` holds.
    pub fn is_candidate(&self, ty: &ComponentType, step: Step) -> bool {
        if self.failed {
            return false;
        }
        match step {
            Step::End(t) => self.running.contains(t.index()),
            Step::Fire(p) => self.head().is_some_and(|h| {
                self.marked.contains(p.index()) && outgoing(ty, h, p).next().is_some()
            }),
            Step::Enter(q) => self.head().is_some_and(|h| self.can_enter(ty, h, q)),
            Step::Finish => self.head().is_some_and(|h| self.can_finish(ty, h)),
        }
    }

    /// The dynamic AND-join (§3.3): some head transition into `q` arrived and
    /// no un-arrived head transition into `q` can still arrive.
    fn can_enter(&self, ty: &ComponentType, head: BehaviorId, q: PlaceId) -> bool {
        let into_q = |t: &TransitionId| ty.transition(*t).dst == q;
        let transitions = &ty.behavior(head).transitions;
        if !transitions
            .iter()
            .filter(|t| into_q(t))
            .any(|t| self.arrived.contains(t.index()))
        {
            return false;
        }
        // Transitions of the head behavior that will still run: the running
        // ones, and every one reachable from a marked place, from the
        // destination of a running transition or from a pending arrival
        // (other than into `q`), since a fired place starts all its
        // transitions (fork).
        let mut live = BitSet::with_capacity(ty.transitions.len());
        let mut frontier: Vec<PlaceId> = self.marked.iter().map(PlaceId::from_index).collect();
        for t in self.running.iter() {
            live.insert(t);
            frontier.push(ty.transition(TransitionId::from_index(t)).dst);
        }
        for t in self.arrived.iter() {
            let dst = ty.transition(TransitionId::from_index(t)).dst;
            if dst != q {
                frontier.push(dst);
            }
        }
        let mut seen = BitSet::with_capacity(ty.places.len());
        while let Some(p) = frontier.pop() {
            if !seen.insert(p.index()) || p == q {
                continue;
            }
            for t in outgoing(ty, head, p) {
                live.insert(t.index());
                frontier.push(ty.transition(t).dst);
            }
        }
        !transitions
            .iter()
            .filter(|t| into_q(t))
            .any(|t| !self.arrived.contains(t.index()) && live.contains(t.index()))
    }

    fn can_finish(&self, ty: &ComponentType, head: BehaviorId) -> bool {
        self.running.is_empty()
            && self.arrived.is_empty()
            && !self
                .marked
                .iter()
                .any(|p| outgoing(ty, head, PlaceId::from_index(p)).next().is_some())
    }

    /// The guards of `step` that involve other instances (§3.1, §3.3).
    pub fn requirements(&self, ty: &ComponentType, step: Step, out: &mut Vec<Requirement>) {
        match step {
            Step::Fire(p) => {
                let mut after = self.clone();
                after.apply(ty, step);
                for (i, port) in ty.ports.iter().enumerate() {
                    let id = PortId::from_index(i);
                    if port.kind == PortKind::Provide
                        && port.contains(p)
                        && self.port_active(ty, id)
                        && !after.port_active(ty, id)
                    {
                        out.push(Requirement::UsersInactive(id));
                    }
                }
            }
            Step::Enter(q) => {
                for (i, port) in ty.ports.iter().enumerate() {
                    let id = PortId::from_index(i);
                    if port.kind == PortKind::Use && port.contains(q) && !self.port_active(ty, id) {
                        out.push(Requirement::ProviderServing(id));
                    }
                }
            }
            Step::End(_) | Step::Finish => {}
        }
    }

    /// Applies `step`, whose local precondition must hold. Returns the
    /// transitions that started (for `Fire`).
    pub fn apply(&mut self, ty: &ComponentType, step: Step) -> Vec<TransitionId> {
        let mut started = Vec::new();
        match step {
            Step::Fire(p) => {
                let Some(head) = self.head() else {
                    return started;
                };
                self.marked.remove(p.index());
                for t in outgoing(ty, head, p) {
                    self.running.insert(t.index());
                    started.push(t);
                }
            }
            Step::End(t) => {
                if self.running.remove(t.index()) {
                    self.arrived.insert(t.index());
                }
            }
            Step::Enter(q) => {
                let arrivals: Vec<usize> = self
                    .arrived
                    .iter()
                    .filter(|&t| ty.transition(TransitionId::from_index(t)).dst == q)
                    .collect();
                for t in arrivals {
                    self.arrived.remove(t);
                }
                self.marked.insert(q.index());
            }
            Step::Finish => {
                if let Some(b) = self.queue.pop_front() {
                    self.finished[b.index()] += 1;
                }
            }
        }
        started
    }
}

/// Whether `port` is active at a stable marking (no running transition, no
/// pending arrival): some marked place is in its group. The planner reads
/// port activity of stable states through this, the same rule as
/// [`InstanceState::port_active`].
pub fn marking_serves(ty: &ComponentType, marked: &BitSet, port: PortId) -> bool {
    ty.port(port)
        .group
        .iter()
        .any(|g| marked.contains(g.index()))
}

/// The transitions of behavior `b` leaving place `p`.
pub fn outgoing(
    ty: &ComponentType,
    b: BehaviorId,
    p: PlaceId,
) -> impl Iterator<Item = TransitionId> + '_ {
    ty.behavior(b)
        .transitions
        .iter()
        .copied()
        .filter(move |&t| ty.transition(t).src == p)
}

/// Whether transition `t` belongs to the group of `port` while it runs (§1):
/// both its source and destination are in the group.
pub fn in_group(ty: &ComponentType, port: PortId, t: TransitionId) -> bool {
    let p = ty.port(port);
    let tr = ty.transition(t);
    p.contains(tr.src) && p.contains(tr.dst)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cost::Cost;
    use crate::ids::InterfaceId;
    use crate::model::{Behavior, Port, Transition};

    /// off -(a)-> mid -(b)-> on, plus off -(c)-> on in the same behavior
    /// `go` (a fork from off, a join at on), and `leave: on -> off`.
    /// Provide port `p` at {mid, on}; use port `u` at {on}.
    fn ty() -> ComponentType {
        let t = |name: &str, src: u32, dst: u32, b: u32| Transition {
            name: name.into(),
            src: PlaceId(src),
            dst: PlaceId(dst),
            cost: Cost::units(1),
            action: None,
            behavior: BehaviorId(b),
        };
        ComponentType {
            name: "T".into(),
            places: vec!["off".into(), "mid".into(), "on".into()],
            initial: PlaceId(0),
            running: PlaceId(2),
            transitions: vec![
                t("a", 0, 1, 0),
                t("b", 1, 2, 0),
                t("c", 0, 2, 0),
                t("leave", 2, 0, 1),
            ],
            behaviors: vec![
                Behavior {
                    name: "go".into(),
                    transitions: vec![TransitionId(0), TransitionId(1), TransitionId(2)],
                },
                Behavior {
                    name: "leave".into(),
                    transitions: vec![TransitionId(3)],
                },
            ],
            ports: vec![
                Port {
                    name: "p".into(),
                    kind: PortKind::Provide,
                    interface: InterfaceId(0),
                    group: vec![PlaceId(1), PlaceId(2)],
                },
                Port {
                    name: "u".into(),
                    kind: PortKind::Use,
                    interface: InterfaceId(0),
                    group: vec![PlaceId(2)],
                },
            ],
        }
    }

    #[test]
    fn join_waits_for_every_branch_that_can_still_arrive() {
        let ty = ty();
        let mut s = InstanceState::at(&ty, PlaceId(0));
        s.push(BehaviorId(0));
        s.apply(&ty, Step::Fire(PlaceId(0)));
        // c arrives at `on` first; a's branch (a then b) can still arrive.
        s.apply(&ty, Step::End(TransitionId(2)));
        assert!(!s.is_candidate(&ty, Step::Enter(PlaceId(2))));
        s.apply(&ty, Step::End(TransitionId(0)));
        assert!(s.is_candidate(&ty, Step::Enter(PlaceId(1))));
        s.apply(&ty, Step::Enter(PlaceId(1)));
        s.apply(&ty, Step::Fire(PlaceId(1)));
        assert!(
            !s.is_candidate(&ty, Step::Enter(PlaceId(2))),
            "b still runs"
        );
        s.apply(&ty, Step::End(TransitionId(1)));
        assert!(s.is_candidate(&ty, Step::Enter(PlaceId(2))));
        s.apply(&ty, Step::Enter(PlaceId(2)));
        assert!(s.is_candidate(&ty, Step::Finish));
        s.apply(&ty, Step::Finish);
        assert_eq!(s.stable_place(), Some(PlaceId(2)));
        assert_eq!(s.finished, vec![1, 0]);
    }

    #[test]
    fn refusing_follows_the_head_behavior() {
        let ty = ty();
        let p = PortId(0);
        let mut s = InstanceState::at(&ty, PlaceId(2));
        // Idle at `on`: active, and nothing is about to leave.
        assert!(s.port_active(&ty, p) && !s.refusing(&ty, p));
        // With `leave` at the head, `on` only has transitions out of the
        // group: the provider is about to leave, so it refuses new users.
        s.push(BehaviorId(1));
        assert!(s.port_active(&ty, p) && s.refusing(&ty, p));
        // Firing `leave` deactivates `p`: a Fire guard on its users.
        let mut reqs = Vec::new();
        s.requirements(&ty, Step::Fire(PlaceId(2)), &mut reqs);
        assert_eq!(reqs, vec![Requirement::UsersInactive(p)]);
        s.apply(&ty, Step::Fire(PlaceId(2)));
        assert!(!s.port_active(&ty, p) && s.refusing(&ty, p));
    }

    #[test]
    fn entering_a_use_group_needs_a_serving_provider() {
        let ty = ty();
        let mut s = InstanceState::at(&ty, PlaceId(0));
        s.push(BehaviorId(0));
        s.apply(&ty, Step::Fire(PlaceId(0)));
        s.apply(&ty, Step::End(TransitionId(0)));
        // Entering `mid` activates only the provide port: no guard.
        let mut reqs = Vec::new();
        s.requirements(&ty, Step::Enter(PlaceId(1)), &mut reqs);
        assert!(reqs.is_empty());
        s.apply(&ty, Step::Enter(PlaceId(1)));
        s.apply(&ty, Step::Fire(PlaceId(1)));
        s.apply(&ty, Step::End(TransitionId(1)));
        s.apply(&ty, Step::End(TransitionId(2)));
        s.requirements(&ty, Step::Enter(PlaceId(2)), &mut reqs);
        assert_eq!(reqs, vec![Requirement::ProviderServing(PortId(1))]);
    }
}
