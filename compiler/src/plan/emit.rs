//! From a site planner's settled state to the site's program.
//!
//! Each local instance contributes a *chain* of instructions whose order is
//! fixed: its `add`; its behaviors up to its meeting state; the `dcon`s of
//! its removed use connections; the `con`s of its new ones; its remaining
//! behaviors, the first one that activates a provider's port again preceded
//! by the `wait` for that provider's last down (the behaviors before it keep
//! the port inactive, so they need not wait), and each down of a provide
//! port preceded by the `wait`s for the users that release it before; its
//! `del`. The provider-side copies of `dcon`/`con`
//! (both endpoint sites execute them) are chains of their own.
//!
//! The site's program interleaves the chains. Only `wait`, `dcon`, `con` and
//! `del` can block a site, and a blocked site blocks everything behind it,
//! so the scheduler emits every non-blocking instruction it can before any
//! blocking one, and then the blocking one most likely to be satisfied first
//! (`dcon`s, which depend only on meeting states; `con`s; `wait`s by the
//! estimated time the awaited push finishes; `del`s last). A `wait` for a
//! push of this same site is emitted only after that push. This keeps every
//! meeting prefix ahead of any blocking instruction, which is what the
//! deadlock-freedom argument needs (ARCHITECTURE.md, "Planning").

use std::collections::HashMap;

use ballet_runtime::program::Instruction;
use ballet_runtime::{BehaviorId, Cost, InstanceId};

use crate::plan::site::SitePlanner;

/// One instruction of a chain and, for blocking ones, its priority.
#[derive(Clone, Copy, Debug)]
struct Item {
    instruction: Instruction,
    ready: Cost,
}

/// The program of the planner's site.
pub fn site_program(planner: &SitePlanner<'_>) -> Vec<Instruction> {
    let chains = chains(planner);
    schedule(planner, chains)
}

fn chains(planner: &SitePlanner<'_>) -> Vec<Vec<Item>> {
    let problem = planner.problem();
    let site = planner.site;
    let item = |instruction| Item {
        instruction,
        ready: Cost::ZERO,
    };
    let ids: Vec<_> = planner.locals.iter().map(|l| l.id).collect();
    let touching = problem.connections_touching(planner.model(), &ids);
    let mut chains = Vec::new();
    for (s, local) in planner.locals.iter().enumerate() {
        let i = local.id;
        let mut chain = Vec::new();
        if problem.start_places[i.index()].is_none() {
            chain.push(item(Instruction::Add(
                i,
                problem.universe.instances[i.index()].ty,
            )));
        }
        let releases = planner.release_waits(s);
        let plan = local.plan.as_ref();
        let meeting = plan.map_or(0, |p| p.meeting);
        if let Some(plan) = plan {
            pushes(&mut chain, i, &plan.behaviors, 0..meeting, &releases);
        }
        for c in touching.iter().filter(|c| c.user.instance == i) {
            if problem.removed(c) {
                chain.push(item(Instruction::Dcon(*c)));
            }
        }
        for c in touching.iter().filter(|c| c.user.instance == i) {
            if problem.added(c) {
                chain.push(item(Instruction::Con(*c)));
            }
        }
        // Each awaited push once, before the first behavior that needs it.
        let mut waits: Vec<(usize, InstanceId, BehaviorId, u32, Cost)> = planner
            .waits_of(s)
            .into_iter()
            .map(|((c, b, k), ready, before)| (before, c.provider.instance, b, k, ready))
            .collect();
        waits.sort();
        let mut awaited = std::collections::HashSet::new();
        waits.retain(|&(_, p, b, k, _)| awaited.insert((p, b, k)));
        if let Some(plan) = plan {
            for k in meeting..plan.behaviors.len() {
                chain.extend(
                    waits
                        .iter()
                        .filter(|w| w.0 == k)
                        .map(|&(_, p, b, n, ready)| Item {
                            instruction: Instruction::Wait(p, b, n),
                            ready,
                        }),
                );
                pushes(&mut chain, i, &plan.behaviors, k..k + 1, &releases);
            }
        }
        if !problem.kept[i.index()] && problem.start_places[i.index()].is_some() {
            chain.push(item(Instruction::Del(i)));
        }
        chains.push(chain);
    }
    // The provider side of connections whose user is on another site.
    for c in &touching {
        if problem.site_of(c.user.instance) == site {
            continue;
        }
        if problem.removed(c) {
            chains.push(vec![item(Instruction::Dcon(*c))]);
        }
        if problem.added(c) {
            chains.push(vec![item(Instruction::Con(*c))]);
        }
    }
    chains
}

/// Pushes `behaviors[range]` of instance `i`, each preceded by the release
/// `wait`s due before it.
fn pushes(
    out: &mut Vec<Item>,
    i: InstanceId,
    behaviors: &[BehaviorId],
    range: std::ops::Range<usize>,
    releases: &[(usize, InstanceId, BehaviorId, u32)],
) {
    for k in range {
        for &(_, user, b, n) in releases.iter().filter(|r| r.0 == k) {
            out.push(Item {
                instruction: Instruction::Wait(user, b, n),
                ready: Cost::ZERO,
            });
        }
        out.push(Item {
            instruction: Instruction::PushB(i, behaviors[k]),
            ready: Cost::ZERO,
        });
    }
}

/// The order in which blocking instructions are preferred (lower first).
fn class(ins: &Instruction) -> Option<u8> {
    match ins {
        Instruction::Add(..) | Instruction::PushB(..) => None,
        Instruction::Dcon(..) => Some(0),
        Instruction::Con(..) => Some(1),
        Instruction::Wait(..) => Some(2),
        Instruction::Del(..) => Some(3),
    }
}

fn schedule(planner: &SitePlanner<'_>, chains: Vec<Vec<Item>>) -> Vec<Instruction> {
    let problem = planner.problem();
    let local = |i: InstanceId| problem.site_of(i) == planner.site;
    let mut next = vec![0usize; chains.len()];
    let mut pushed: HashMap<(InstanceId, BehaviorId), u32> = HashMap::new();
    let mut program = Vec::new();
    let total: usize = chains.iter().map(Vec::len).sum();
    while program.len() < total {
        // Every non-blocking instruction first, chain by chain.
        let mut progressed = true;
        while progressed {
            progressed = false;
            for (c, chain) in chains.iter().enumerate() {
                while let Some(item) = chain.get(next[c]) {
                    if class(&item.instruction).is_some() {
                        break;
                    }
                    if let Instruction::PushB(i, b) = item.instruction {
                        *pushed.entry((i, b)).or_default() += 1;
                    }
                    program.push(item.instruction);
                    next[c] += 1;
                    progressed = true;
                }
            }
        }
        // Then the blocking head most likely to be satisfied first.
        let others_left = |except: usize| {
            chains.iter().enumerate().any(|(c, chain)| {
                c != except
                    && next[c] < chain.len()
                    && !matches!(chain[next[c]].instruction, Instruction::Del(..))
            })
        };
        let admissible = |c: usize, item: &Item| match item.instruction {
            Instruction::Wait(i, b, k) => {
                !local(i) || pushed.get(&(i, b)).copied().unwrap_or(0) >= k
            }
            Instruction::Del(_) => !others_left(c),
            _ => true,
        };
        let heads = chains
            .iter()
            .enumerate()
            .filter_map(|(c, chain)| chain.get(next[c]).map(|item| (c, item)));
        let best = heads
            .clone()
            .filter(|&(c, item)| admissible(c, item))
            .min_by_key(|&(c, item)| (class(&item.instruction), item.ready, c))
            .or_else(|| heads.min_by_key(|&(c, item)| (class(&item.instruction), item.ready, c)));
        let Some((c, item)) = best else { break };
        program.push(item.instruction);
        next[c] += 1;
    }
    program
}
