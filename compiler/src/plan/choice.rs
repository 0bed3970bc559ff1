//! How one instance is planned under the constraints its neighbours put on
//! it: which of its use ports whose provider goes down it *meets* (releases
//! at a stable state and uses again only after the provider's last down)
//! and which it *releases for good* before the provider's first down; and,
//! when nothing works, what to tell the neighbours so that they can change.

use std::collections::BTreeSet;

use ballet_runtime::{ComponentType, PortId};

use crate::plan::automaton::Automaton;
use crate::plan::local::{search, LocalGoal, LocalPlan};

/// The outcome for one instance.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Choice {
    /// The sequence, if the constraints can be met.
    pub plan: Option<LocalPlan>,
    /// Ports released for good (the others of `flexible` are met).
    pub before: BTreeSet<PortId>,
    /// Without a plan: the sequence ignoring the users' need of provide
    /// ports at the end (what the neighbours are then told).
    pub relaxed: Option<LocalPlan>,
    /// Without a plan: use ports whose provider going down is what makes
    /// it impossible (the instance has a plan if that provider stays up).
    pub stuck: BTreeSet<PortId>,
}

/// What the instance's neighbours ask, beyond `base` (which has every
/// constraint: own goals, ends needed by users, ports to meet, ports never
/// to enter or to leave).
#[derive(Clone, Copy, Debug)]
pub struct Asks<'a> {
    /// Met ports whose provider goes down: each may be released instead.
    pub flexible: &'a [PortId],
    /// Ports that must be released (their provider cannot end active).
    pub forced: &'a BTreeSet<PortId>,
    /// Provide ports users need active at the end.
    pub needed: &'a BTreeSet<PortId>,
    /// Ports whose provider does not serve before its first down: released
    /// ones cannot be entered at all.
    pub unserved: &'a BTreeSet<PortId>,
}

/// Plans one instance: every flexible port met if possible, otherwise the
/// fewest released (at most 6 ports are combined; beyond that all are met).
pub fn choose(
    ty: &ComponentType,
    automaton: &Automaton,
    base: &LocalGoal,
    asks: &Asks<'_>,
) -> Choice {
    let mut masks: Vec<u32> = if asks.flexible.len() <= 6 {
        (0..1u32 << asks.flexible.len()).collect()
    } else {
        vec![0]
    };
    masks.sort_by_key(|m| (m.count_ones(), *m));
    let with = |goal: &LocalGoal, mask: u32| -> (LocalGoal, BTreeSet<PortId>) {
        let released: BTreeSet<PortId> = asks
            .flexible
            .iter()
            .enumerate()
            .filter(|(k, _)| mask & (1 << k) != 0)
            .map(|(_, &p)| p)
            .chain(asks.forced.iter().copied())
            .collect();
        let mut g = goal.clone();
        g.meet.retain(|p| !released.contains(p));
        // A released port is used before its provider's first down: the
        // estimates of after its last down do not apply.
        g.timing.retain(|t| !released.contains(&t.port));
        g.ports.extend(released.iter().map(|&p| (p, false)));
        g.unconnected
            .extend(released.iter().filter(|p| asks.unserved.contains(p)));
        (g, released)
    };
    for &mask in &masks {
        let (goal, released) = with(base, mask);
        if let Some(plan) = search(ty, automaton, &goal) {
            return Choice {
                plan: Some(plan),
                before: released,
                ..Choice::default()
            };
        }
    }
    // Without the users' need at the end, but serving them before going
    // down if possible (so that they can use the port before instead).
    let relaxed = if asks.needed.is_empty() {
        None
    } else {
        let mut goal = base.clone();
        goal.ports
            .retain(|&(p, on)| !(on && asks.needed.contains(&p)));
        let mut serving = goal.clone();
        serving.serve.extend(asks.needed.iter().copied());
        [serving, goal].iter().find_map(|goal| {
            masks
                .iter()
                .find_map(|&mask| search(ty, automaton, &with(goal, mask).0))
        })
    };
    // Which provider going down is the obstacle: without the constraint on
    // that port alone (neither met nor released), a plan exists. None while
    // a plan exists without the users' needs: the users are told first
    // (the relaxed sequence refuses them), and one that cannot do without
    // the port says so (it is stuck), which keeps the port up for good and
    // makes this instance's providers the obstacle again.
    if relaxed.is_some() {
        return Choice {
            plan: None,
            before: BTreeSet::new(),
            relaxed,
            stuck: BTreeSet::new(),
        };
    }
    let stuck = asks
        .flexible
        .iter()
        .chain(asks.forced.iter())
        .copied()
        .filter(|&p| {
            let mut goal = base.clone();
            goal.meet.retain(|&x| x != p);
            let others: Vec<PortId> = asks.flexible.iter().copied().filter(|&x| x != p).collect();
            let forced: BTreeSet<PortId> =
                asks.forced.iter().copied().filter(|&x| x != p).collect();
            let asks = Asks {
                flexible: &others,
                forced: &forced,
                needed: asks.needed,
                unserved: asks.unserved,
            };
            choose_plan_only(ty, automaton, &goal, &asks)
        })
        .collect();
    Choice {
        plan: None,
        before: BTreeSet::new(),
        relaxed,
        stuck,
    }
}

/// Whether some combination of met and released ports has a plan.
fn choose_plan_only(
    ty: &ComponentType,
    automaton: &Automaton,
    base: &LocalGoal,
    asks: &Asks<'_>,
) -> bool {
    let n = asks.flexible.len().min(6);
    (0..1u32 << n).any(|mask| {
        let mut g = base.clone();
        let released = asks
            .flexible
            .iter()
            .enumerate()
            .filter(|(k, _)| mask & (1 << k) != 0)
            .map(|(_, &p)| p)
            .chain(asks.forced.iter().copied());
        for p in released {
            g.meet.retain(|&x| x != p);
            g.ports.push((p, false));
            if asks.unserved.contains(&p) {
                g.unconnected.push(p);
            }
        }
        search(ty, automaton, &g).is_some()
    })
}
