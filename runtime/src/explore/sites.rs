//! Every interleaving of the *site VMs* running a plan: each site's
//! [`SiteVm`] (its own instances and program, and only what it learnt from
//! its peers), the facts in transit on each link, any order of transition
//! ends and deliveries.
//!
//! [`super::explore_with`] explores the semantics over a global
//! [`crate::semantics::System`]: a guard reads the remote state as it is.
//! A site VM reads it through facts, which arrive late and must be fresh:
//! a wait that only the VM makes is a deadlock found here, not there (the
//! two known ones are gone: ARCHITECTURE.md, "Message deliveries").
//!
//! What is explored is the code that runs (`vm/site.rs`, the same calls the
//! agents make), with the transport's guarantee: the facts of one link
//! arrive in the order they were sent (once each; facts are idempotent, so
//! duplicates change nothing). Each VM runs to its fixpoint after every
//! event, as an agent does. Every site starts first: a start only states
//! facts, and a payload waits in the transport until its receiver runs.
//! Actions all succeed. Breadth-first, so a deadlock comes with a shortest
//! trace.
//!
//! **Sleep sets.** Two events of different sites commute and neither
//! disables the other: each changes its own site's VM only, a delivery
//! takes the head of a link that no other site's event can empty, and a
//! site's event only appends to its outgoing links (the head stays). So
//! after exploring `a` then `b` from a state, the order `b` then `a` need
//! not be explored again when they are at different sites: `a` sleeps in
//! the state `b` leads to (Godefroid's sleep sets). That prunes events, not
//! states: every reachable state is still visited, so deadlocks and final
//! states are exactly those of the full exploration
//! ([`SitesReduction::None`], which the tests compare against). With state
//! caching, a state reached again with fewer sleeping events explores the
//! ones that woke up; its sleep set becomes the intersection.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;

use super::trace;
use crate::ids::{InstanceId, SiteId, TransitionId};
use crate::vm::{AgentMessage, Output, SiteVm};

/// One event of the interleaving.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SiteAction {
    /// A transition of an instance of the site ended (image-local ids).
    End(SiteId, InstanceId, TransitionId),
    /// The oldest fact in transit from the first site to the second was
    /// delivered.
    Deliver(SiteId, SiteId),
}

/// How many orders of independent events [`explore_sites_with`] explores.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SitesReduction {
    /// Every enabled event in every state.
    None,
    /// Sleep sets: an order of two events of different sites is explored
    /// once (the same states, fewer events).
    #[default]
    SleepSets,
}

impl SiteAction {
    /// The site whose VM the event changes.
    fn site(self) -> SiteId {
        match self {
            SiteAction::End(s, ..) | SiteAction::Deliver(_, s) => s,
        }
    }

    /// Whether the two events commute and neither disables the other: they
    /// change different VMs (see the module documentation).
    fn independent(self, other: SiteAction) -> bool {
        self.site() != other.site()
    }
}

/// What exploring the site VMs found.
#[derive(Clone, Debug, Default)]
pub struct SitesExploration {
    /// Distinct states visited.
    pub states: usize,
    /// Events taken.
    pub transitions: usize,
    /// The shortest trace to a reachable state where nothing can happen and
    /// some site is not done, if there is one.
    pub deadlock: Option<Vec<SiteAction>>,
    /// The VMs in that deadlock.
    pub deadlocked: Option<Vec<SiteVm>>,
    /// The VMs of each distinct reachable final state (nothing can happen,
    /// every site done).
    pub finals: Vec<Vec<SiteVm>>,
    /// A shortest trace to each of `finals`, in step with it.
    pub final_traces: Vec<Vec<SiteAction>>,
    /// Set when the exploration stopped at its limit: nothing is proved.
    pub truncated: bool,
}

/// The VMs and the facts in transit, by link.
#[derive(Clone)]
struct State {
    /// Shared with the parent state until an event changes them: an event
    /// changes one VM, so a successor copies only that one.
    vms: Vec<Arc<SiteVm>>,
    /// The [`fingerprint`] of each VM's checkpoint, in step with `vms`.
    prints: Vec<u128>,
    links: BTreeMap<(SiteId, SiteId), VecDeque<AgentMessage>>,
}

impl State {
    /// Queues the facts `out` sends from `from`.
    fn post(&mut self, from: SiteId, out: Output) {
        for (to, m) in out.send {
            self.links.entry((from, to)).or_default().push_back(m);
        }
    }

    /// Applies `event` to VM `site` and refreshes its fingerprint.
    fn on(&mut self, site: SiteId, event: impl FnOnce(&mut SiteVm) -> Output) {
        let k = site.index();
        let vm = Arc::make_mut(&mut self.vms[k]);
        let out = event(vm);
        self.prints[k] = vm_print(vm);
        self.post(site, out);
    }

    /// The identity of the state: each VM's checkpoint and the facts in
    /// transit, hashed (see [`fingerprint`]).
    fn key(&self) -> u128 {
        let links: Vec<_> = self.links.iter().filter(|(_, q)| !q.is_empty()).collect();
        let bytes = postcard::to_allocvec(&(&self.prints, links)).unwrap_or_default();
        fingerprint(|h| bytes.hash(h))
    }

    fn enabled(&self) -> Vec<SiteAction> {
        let mut out = Vec::new();
        for vm in &self.vms {
            out.extend(
                vm.running()
                    .into_iter()
                    .map(|(i, t)| SiteAction::End(vm.site(), i, t)),
            );
        }
        out.extend(
            self.links
                .iter()
                .filter(|(_, q)| !q.is_empty())
                .map(|(&(from, to), _)| SiteAction::Deliver(from, to)),
        );
        out
    }

    fn apply(&mut self, action: SiteAction) {
        match action {
            SiteAction::End(s, i, t) => self.on(s, |vm| vm.transition_ended(i, t)),
            SiteAction::Deliver(from, to) => {
                let message = self
                    .links
                    .get_mut(&(from, to))
                    .and_then(VecDeque::pop_front);
                if let Some(m) = message {
                    self.on(to, |vm| vm.receive(&m));
                }
            }
        }
    }
}

/// A VM's state (its checkpoint's encoding), as a [`fingerprint`].
fn vm_print(vm: &SiteVm) -> u128 {
    let mut bytes = Vec::new();
    vm.checkpoint_bytes(&mut bytes);
    fingerprint(|h| h.write(&bytes))
}

/// 128 bits of what `feed` hashes (two SipHash-1-3 with different
/// prefixes): states are stored by fingerprint only (hash compaction), 16
/// bytes each instead of their encoding. Two distinct states collide with
/// probability about 2^-128 per pair: for a billion states, below 10^-20 in
/// all.
fn fingerprint(feed: impl Fn(&mut DefaultHasher)) -> u128 {
    let half = |prefix: u8| {
        let mut h = DefaultHasher::new();
        prefix.hash(&mut h);
        feed(&mut h);
        h.finish()
    };
    (u128::from(half(0)) << 64) | u128::from(half(1))
}

/// Explores every interleaving of `vms` (one per site, by global site id,
/// at the start of their programs), up to `limit` distinct states, with
/// sleep sets.
pub fn explore_sites(vms: Vec<SiteVm>, limit: usize) -> SitesExploration {
    explore_sites_with(vms, limit, SitesReduction::SleepSets)
}

/// A state waiting to be expanded: all its events, or (`only`) those that
/// woke up when it was reached again with a smaller sleep set.
struct Pending {
    id: u32,
    state: State,
    only: Option<Vec<SiteAction>>,
}

/// [`explore_sites`] with the reduction given.
pub fn explore_sites_with(
    vms: Vec<SiteVm>,
    limit: usize,
    reduction: SitesReduction,
) -> SitesExploration {
    let mut start = State {
        prints: vec![0; vms.len()],
        vms: vms.into_iter().map(Arc::new).collect(),
        links: BTreeMap::new(),
    };
    for k in 0..start.vms.len() {
        let site = start.vms[k].site();
        start.on(site, SiteVm::start);
    }
    let sleeping = reduction == SitesReduction::SleepSets;
    let mut result = SitesExploration::default();
    let mut seen: HashMap<u128, u32> = HashMap::new();
    let mut parents: Vec<Option<(u32, SiteAction)>> = vec![None];
    // Per state: its sleep set, and whether it was expanded.
    let mut sleep: Vec<Vec<SiteAction>> = vec![Vec::new()];
    let mut expanded: Vec<bool> = vec![false];
    seen.insert(start.key(), 0);
    let mut queue = VecDeque::from([Pending {
        id: 0,
        state: start,
        only: None,
    }]);
    while let Some(Pending { id, state, only }) = queue.pop_front() {
        let enabled = state.enabled();
        if enabled.is_empty() {
            if state.vms.iter().all(|vm| vm.done()) {
                result
                    .finals
                    .push(state.vms.into_iter().map(Arc::unwrap_or_clone).collect());
                result.final_traces.push(trace(&parents, id));
            } else if result.deadlock.is_none() {
                result.deadlock = Some(trace(&parents, id));
                result.deadlocked = Some(state.vms.into_iter().map(Arc::unwrap_or_clone).collect());
            }
            continue;
        }
        expanded[id as usize] = true;
        // Events explored from here sleep in the successors of later,
        // independent ones.
        let mut asleep = sleep[id as usize].clone();
        for action in enabled {
            if asleep.contains(&action) || only.as_ref().is_some_and(|o| !o.contains(&action)) {
                continue;
            }
            let mut next = state.clone();
            next.apply(action);
            result.transitions += 1;
            let next_sleep: Vec<SiteAction> = if sleeping {
                asleep
                    .iter()
                    .copied()
                    .filter(|a| a.independent(action))
                    .collect()
            } else {
                Vec::new()
            };
            if sleeping {
                asleep.push(action);
            }
            let key = next.key();
            if let Some(&known) = seen.get(&key) {
                let k = known as usize;
                let woke: Vec<SiteAction> = sleep[k]
                    .iter()
                    .copied()
                    .filter(|a| !next_sleep.contains(a))
                    .collect();
                if woke.is_empty() {
                    continue;
                }
                sleep[k].retain(|a| next_sleep.contains(a));
                if expanded[k] {
                    queue.push_back(Pending {
                        id: known,
                        state: next,
                        only: Some(woke),
                    });
                }
                continue;
            }
            if seen.len() >= limit {
                result.truncated = true;
                result.states = seen.len();
                return result;
            }
            let next_id = parents.len() as u32;
            seen.insert(key, next_id);
            parents.push(Some((id, action)));
            sleep.push(next_sleep);
            expanded.push(false);
            queue.push_back(Pending {
                id: next_id,
                state: next,
                only: None,
            });
        }
    }
    result.states = seen.len();
    result
}
