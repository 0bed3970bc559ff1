//! Per-instance and per-site timelines of a simulated run, extracted from an
//! [`Outcome`]: what ran when, what was entered when, and every period in
//! which something waited. Pure data, for the Gantt chart and the REPL.
//!
//! A waiting period is time in which the semantics allowed nothing to happen
//! for a reason outside the instance's own durations: a behavior that is
//! head but has not started (a Fire guard, or a marking reached late), an
//! arrival that has not been entered (the dynamic join or an Enter guard), a
//! place that is marked but not yet fired (a Fire guard), and a site whose
//! head instruction is blocked (a `wait`, a `dcon`, …).

use std::collections::VecDeque;

use crate::cost::Cost;
use crate::ids::{BehaviorId, InstanceId, PlaceId, SiteId, TransitionId};
use crate::model::Model;
use crate::program::{Instruction, Plan};
use crate::semantics::instance::outgoing;
use crate::semantics::{Blocked, Step};
use crate::simulate::{EventKind, Outcome};

/// Everything that happened in a run, by instance and by site.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Timelines {
    /// The run's makespan (the deadlock time if it deadlocked).
    pub makespan: Cost,
    /// When the run deadlocked, if it did.
    pub deadlock: Option<Cost>,
    /// One timeline per universe instance, by [`InstanceId`].
    pub instances: Vec<InstanceTimeline>,
    /// One timeline per site, by [`SiteId`].
    pub sites: Vec<SiteTimeline>,
}

/// What one instance did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InstanceTimeline {
    /// Every transition that started, in start order.
    pub bars: Vec<Bar>,
    /// Every place entry, in time order.
    pub entries: Vec<(Cost, PlaceId)>,
    /// Every behavior execution, in queue order.
    pub executions: Vec<Execution>,
    /// Every waiting period, ordered by start.
    pub waits: Vec<Waiting>,
    /// If the run deadlocked: each blocked step of this instance and why.
    pub blocked: Vec<String>,
}

/// A transition's run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bar {
    /// The transition.
    pub transition: TransitionId,
    /// Its behavior.
    pub behavior: BehaviorId,
    /// When it started.
    pub start: Cost,
    /// When it ended (the makespan if it never did).
    pub end: Cost,
    /// Whether it ended within the run.
    pub ended: bool,
}

/// One execution of a behavior: from its push to its finish.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Execution {
    /// The behavior.
    pub behavior: BehaviorId,
    /// When its `pushB` executed (`None` if it was queued at the start).
    pub pushed: Option<Cost>,
    /// When it became the head of the queue, if it did.
    pub head: Option<Cost>,
    /// When its first transition started, if one did.
    pub first_start: Option<Cost>,
    /// When it finished, if it did.
    pub finish: Option<Cost>,
}

/// A period in which an instance waited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Waiting {
    /// What waited.
    pub kind: WaitKind,
    /// Since when.
    pub from: Cost,
    /// Until when (the makespan if it never stopped).
    pub to: Cost,
    /// Whether it was still waiting at the end of the run.
    pub open: bool,
}

/// What an instance waited for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitKind {
    /// The head behavior had not started yet (its first Fire was guarded).
    Head(BehaviorId),
    /// Transitions had arrived at the place but it was not entered yet (the
    /// dynamic join or an Enter guard).
    Arrival(PlaceId),
    /// The place was marked but its head-behavior transitions had not
    /// started (a Fire guard).
    Place(PlaceId),
}

/// What one site's program did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SiteTimeline {
    /// Executed instructions: (time, index in the program, instruction).
    pub executed: Vec<(Cost, usize, Instruction)>,
    /// Periods in which the head instruction was blocked.
    pub waits: Vec<SiteWait>,
    /// If the run deadlocked with this site's head instruction blocked: why.
    pub blocked: Option<String>,
}

/// A period in which a site's head instruction could not execute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SiteWait {
    /// The blocked instruction.
    pub instruction: Instruction,
    /// Since when it was the head.
    pub from: Cost,
    /// When it executed (the makespan if it never did).
    pub to: Cost,
    /// Whether it never executed.
    pub open: bool,
}

/// Per-instance bookkeeping while reading the events.
#[derive(Default)]
struct Reading {
    /// Executions queued and not finished (indices into `executions`).
    queue: VecDeque<usize>,
    /// Running bars, by transition: index into `bars`.
    running: Vec<(TransitionId, usize)>,
    /// Ended transitions not yet entered: (destination, end time).
    arrivals: Vec<(PlaceId, Cost)>,
    /// Places entered during the head execution and not fired yet.
    marked: Vec<(PlaceId, Cost)>,
}

impl Timelines {
    /// Reads the timelines of `outcome`, a run of `plan`. A behavior queued
    /// in the start state (which [`crate::semantics::System::new`] never
    /// does) shows as an execution without a push.
    pub fn new(model: &Model, plan: &Plan, outcome: &Outcome) -> Timelines {
        let u = &plan.universe;
        let end = outcome.makespan;
        let mut instances = vec![InstanceTimeline::default(); u.instances.len()];
        let mut reading: Vec<Reading> =
            (0..u.instances.len()).map(|_| Reading::default()).collect();
        let mut sites = vec![SiteTimeline::default(); plan.programs.len()];
        let mut site_head_since = vec![Cost::ZERO; plan.programs.len()];
        let mut site_pc = vec![0usize; plan.programs.len()];
        let ty = |i: InstanceId| model.ty(u.instances[i.index()].ty);

        for event in &outcome.events {
            let now = event.time;
            match event.kind {
                EventKind::Instruction(site, ins) => {
                    let Some(s) = sites.get_mut(site.index()) else {
                        continue;
                    };
                    let since = site_head_since[site.index()];
                    if now > since {
                        s.waits.push(SiteWait {
                            instruction: ins,
                            from: since,
                            to: now,
                            open: false,
                        });
                    }
                    s.executed.push((now, site_pc[site.index()], ins));
                    site_pc[site.index()] += 1;
                    site_head_since[site.index()] = now;
                    if let Instruction::PushB(c, b) = ins {
                        let Some(t) = instances.get_mut(c.index()) else {
                            continue;
                        };
                        let r = &mut reading[c.index()];
                        let head = r.queue.is_empty().then_some(now);
                        r.queue.push_back(t.executions.len());
                        t.executions.push(Execution {
                            behavior: b,
                            pushed: Some(now),
                            head,
                            first_start: None,
                            finish: None,
                        });
                    }
                }
                EventKind::Start(i, tr) => {
                    let (t, r) = (&mut instances[i.index()], &mut reading[i.index()]);
                    let transition = ty(i).transition(tr);
                    let e = head_execution(t, r, transition.behavior, now);
                    let exec = &mut t.executions[e];
                    if exec.first_start.is_none() {
                        exec.first_start = Some(now);
                        if let Some(h) = exec.head.filter(|&h| now > h) {
                            let kind = WaitKind::Head(exec.behavior);
                            t.waits.push(waiting(kind, h, now));
                        }
                    }
                    if let Some(k) = r.marked.iter().position(|&(p, _)| p == transition.src) {
                        let (p, since) = r.marked.swap_remove(k);
                        if now > since {
                            t.waits.push(waiting(WaitKind::Place(p), since, now));
                        }
                    }
                    r.running.push((tr, t.bars.len()));
                    t.bars.push(Bar {
                        transition: tr,
                        behavior: transition.behavior,
                        start: now,
                        end,
                        ended: false,
                    });
                }
                EventKind::End(i, tr) => {
                    let (t, r) = (&mut instances[i.index()], &mut reading[i.index()]);
                    if let Some(k) = r.running.iter().position(|&(x, _)| x == tr) {
                        let (_, bar) = r.running.swap_remove(k);
                        t.bars[bar].end = now;
                        t.bars[bar].ended = true;
                    }
                    r.arrivals.push((ty(i).transition(tr).dst, now));
                }
                EventKind::Enter(i, q) => {
                    let (t, r) = (&mut instances[i.index()], &mut reading[i.index()]);
                    let first = r
                        .arrivals
                        .iter()
                        .filter(|&&(p, _)| p == q)
                        .map(|&(_, at)| at)
                        .min();
                    r.arrivals.retain(|&(p, _)| p != q);
                    if let Some(first) = first.filter(|&f| now > f) {
                        t.waits.push(waiting(WaitKind::Arrival(q), first, now));
                    }
                    t.entries.push((now, q));
                    r.marked.push((q, now));
                }
                EventKind::Finish(i, b) => {
                    let (t, r) = (&mut instances[i.index()], &mut reading[i.index()]);
                    let e = head_execution(t, r, b, now);
                    t.executions[e].finish = Some(now);
                    r.queue.pop_front();
                    r.marked.clear();
                    if let Some(&next) = r.queue.front() {
                        t.executions[next].head = Some(now);
                    }
                }
            }
        }

        // Whatever still waits at the end of the run waits until its end.
        for (i, (t, r)) in instances.iter_mut().zip(&reading).enumerate() {
            let i = InstanceId::from_index(i);
            if let Some(exec) = r.queue.front().map(|&e| t.executions[e]) {
                if let (Some(h), None) = (exec.head, exec.first_start) {
                    t.waits.push(open(WaitKind::Head(exec.behavior), h, end));
                }
                for &(p, since) in &r.marked {
                    if outgoing(ty(i), exec.behavior, p).next().is_some() {
                        t.waits.push(open(WaitKind::Place(p), since, end));
                    }
                }
            }
            let mut places: Vec<PlaceId> = r.arrivals.iter().map(|&(p, _)| p).collect();
            places.sort();
            places.dedup();
            for p in places {
                let since = r.arrivals.iter().filter(|a| a.0 == p).map(|a| a.1).min();
                t.waits
                    .push(open(WaitKind::Arrival(p), since.unwrap_or(end), end));
            }
            t.waits.sort_by_key(|w| (w.from, w.to));
        }
        for (s, site) in sites.iter_mut().enumerate() {
            if let Some(&ins) = plan.programs[s].get(site_pc[s]) {
                site.waits.push(SiteWait {
                    instruction: ins,
                    from: site_head_since[s],
                    to: end,
                    open: true,
                });
            }
        }
        if let Some(deadlock) = &outcome.deadlock {
            for b in &deadlock.blocked {
                match b {
                    Blocked::Instruction {
                        site,
                        instruction,
                        reason,
                    } => {
                        if let Some(s) = sites.get_mut(site.index()) {
                            let shown = instruction.display(model, u);
                            s.blocked = Some(format!("{shown}: {reason}"));
                        }
                    }
                    Blocked::Step {
                        instance,
                        step,
                        reason,
                    } => {
                        if let Some(t) = instances.get_mut(instance.index()) {
                            let shown = step_display(model, plan, *instance, *step);
                            t.blocked.push(format!("{shown}: {reason}"));
                        }
                    }
                }
            }
        }
        Timelines {
            makespan: end,
            deadlock: outcome.deadlock.as_ref().map(|d| d.time),
            instances,
            sites,
        }
    }

    /// The instances of `site`, in index order.
    pub fn instances_of(plan: &Plan, site: SiteId) -> impl Iterator<Item = InstanceId> + '_ {
        plan.universe
            .instances
            .iter()
            .enumerate()
            .filter(move |(_, inst)| inst.site == site)
            .map(|(i, _)| InstanceId::from_index(i))
    }
}

/// The index of the execution at the head of the queue; one is made up (not
/// pushed in the run) if the instance started with a queued behavior.
fn head_execution(t: &mut InstanceTimeline, r: &mut Reading, b: BehaviorId, now: Cost) -> usize {
    match r.queue.front() {
        Some(&e) => e,
        None => {
            r.queue.push_back(t.executions.len());
            t.executions.push(Execution {
                behavior: b,
                pushed: None,
                head: Some(if t.executions.is_empty() {
                    Cost::ZERO
                } else {
                    now
                }),
                first_start: None,
                finish: None,
            });
            t.executions.len() - 1
        }
    }
}

fn waiting(kind: WaitKind, from: Cost, to: Cost) -> Waiting {
    Waiting {
        kind,
        from,
        to,
        open: false,
    }
}

fn open(kind: WaitKind, from: Cost, to: Cost) -> Waiting {
    Waiting {
        kind,
        from,
        to,
        open: true,
    }
}

/// A step as a person reads it: `fire deployed`, `enter configured`.
pub fn step_display(model: &Model, plan: &Plan, i: InstanceId, step: Step) -> String {
    let ty = model.ty(plan.universe.instances[i.index()].ty);
    match step {
        Step::Fire(p) => format!("fire {}", ty.place_name(p)),
        Step::End(t) => format!("end {}", ty.transition(t).name),
        Step::Enter(p) => format!("enter {}", ty.place_name(p)),
        Step::Finish => "finish".into(),
    }
}
