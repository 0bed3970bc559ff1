//! From a site planner's settled state to the site's program.
//!
//! A program has four phases, and the order is what makes every plan free
//! of deadlock whatever the durations and interleavings:
//! 1. `add`s, then every instance's behaviors up to its meeting state. These
//!    never block, so every site gets through them; the meeting states are
//!    then reached (a provider going down waits only for its users' meeting
//!    states, which depend on nothing but earlier phase-1 pushes).
//! 2. `dcon`s of removed connections: both sites are past phase 1 and the
//!    users are at their meeting states, where the port is inactive.
//! 3. Per instance: `con`s of new connections, `wait`s for the last down of
//!    every provider it uses again, then its remaining behaviors. Instances
//!    with nothing to wait for come first, the others by the estimated time
//!    their waits complete.
//! 4. `del`s of removed instances, idle and disconnected by then.

use ballet_runtime::program::Instruction;
use ballet_runtime::{Connection, Cost};

use crate::plan::site::SitePlanner;

/// The program of the planner's site.
pub fn site_program(planner: &SitePlanner<'_>) -> Vec<Instruction> {
    let problem = planner.problem();
    let site = planner.site;
    let mut program = Vec::new();
    // Phase 1.
    for local in &planner.locals {
        let i = local.id;
        if problem.start_places[i.index()].is_none() {
            program.push(Instruction::Add(
                i,
                problem.universe.instances[i.index()].ty,
            ));
        }
    }
    for local in &planner.locals {
        if let Some(plan) = &local.plan {
            for &b in &plan.behaviors[..plan.meeting] {
                program.push(Instruction::PushB(local.id, b));
            }
        }
    }
    // Phase 2.
    let ids: Vec<_> = planner.locals.iter().map(|l| l.id).collect();
    let touching = problem.connections_touching(planner.model(), &ids);
    program.extend(
        touching
            .iter()
            .filter(|c| problem.removed(c))
            .map(|&c| Instruction::Dcon(c)),
    );
    // Phase 3.
    let added: Vec<Connection> = touching.into_iter().filter(|c| problem.added(c)).collect();
    let mut chunks: Vec<(Cost, usize, Vec<Instruction>)> = Vec::new();
    for (s, local) in planner.locals.iter().enumerate() {
        let i = local.id;
        let mut chunk: Vec<Instruction> = added
            .iter()
            .filter(|c| {
                c.user.instance == i
                    || (c.provider.instance == i && problem.site_of(c.user.instance) != site)
            })
            .map(|&c| Instruction::Con(c))
            .collect();
        let mut waits = planner.waits_of(s);
        waits.sort();
        waits.dedup_by_key(|((c, b, k), _)| (c.provider.instance, *b, *k));
        let ready = waits.iter().map(|(_, r)| *r).max().unwrap_or(Cost::ZERO);
        chunk.extend(
            waits
                .iter()
                .map(|&((c, b, k), _)| Instruction::Wait(c.provider.instance, b, k)),
        );
        if let Some(plan) = &local.plan {
            chunk.extend(
                plan.behaviors[plan.meeting..]
                    .iter()
                    .map(|&b| Instruction::PushB(i, b)),
            );
        }
        if !chunk.is_empty() {
            let key = if waits.is_empty() { Cost::ZERO } else { ready };
            chunks.push((key, s, chunk));
        }
    }
    chunks.sort_by_key(|(ready, s, _)| (*ready, *s));
    for (_, _, chunk) in chunks {
        program.extend(chunk);
    }
    // Phase 4.
    for local in &planner.locals {
        let i = local.id;
        if !problem.kept[i.index()] && problem.start_places[i.index()].is_some() {
            program.push(Instruction::Del(i));
        }
    }
    program
}
