//! The exhaustive timed oracle of the planner (issue 6): the minimal
//! makespan over plans of `pushB`s and `wait`s correct under every
//! interleaving, by a centralized controller searched best-first, executed
//! with the one semantics, then judged with the verifier's exploration.
//!
//! **The plan space.** A plan without `add`/`del`/`con`/`dcon` (the random
//! systems keep their assembly) executes each `pushB` either in the first
//! sweep of the sites at time 0, or in the sweep of the sites that follows a
//! sweep of the instances in which a behavior finished (only a finish lets a
//! `wait` pass, and everything behind it executes in the same sweep). Those
//! are exactly the *decision points* of [`Stepper::next_finishes`]; the
//! controller appends pushes there to one program of its own, and the
//! simulator runs on unchanged. So every plan's run is one of the
//! controller's runs, and conversely every run of the controller is a
//! plan's: [`Optimum::witness`] writes it as one program per site (each
//! push on its instance's own site) with `wait`s for what finished before
//! each push, which the tests simulate with
//! [`simulate`](ballet_runtime::simulate::simulate). Sites are ordered only
//! through finishes, as in every real plan: the controller's own order of
//! two pushes on different sites is not something a plan can express.
//!
//! **Pushing onto idle instances only, one behavior each.** Queuing `b2`
//! behind a running `b1` makes `b2` the head when `b1` finishes; pushing
//! `b2` at the decision point right after that finish makes it the head
//! before the same sweep of the instances, and a head can first fire in the
//! sweep after the one it became head in, so both give the same timed run
//! (not the same interleavings: see *Correct plans*). The controller
//! therefore pushes at most one behavior on each instance whose
//! queue is empty, at each decision point; every such choice (including
//! pushing nothing) is a child. The behaviors offered are those that do
//! something there: the edges out of the instance's marking in its
//! automaton (`plan::automaton`, the simulator on the instance alone). A
//! behavior with no transition from the marking would finish at once and
//! only count as executed, which the planner does not accept as executing
//! a goal's `behavior` line (nor does the sequential oracle of
//! `tests/oracle.rs`); one that cannot finish alone cannot finish under
//! guards either.
//!
//! **Best-first.** Nodes are decision points ordered by time plus a lower
//! bound of what is left (A*): for each idle instance, its fastest sequence
//! of behaviors to its own goals in its automaton, where guards on other
//! instances are ignored (guards only delay); infinite when there is none,
//! which prunes the node. The first finished run popped that reaches the
//! goal ([`reached_state`], as the planner's own check) is optimal. States
//! are merged when equal up to time (instances' states with finished counts
//! read as "ever finished", which is all the goal reads, and the remaining
//! durations of running transitions): the future of a state does not depend
//! on when it is reached, so only the earliest copy is expanded. Those keys
//! are finitely many, so exhausting them without a goal proves that no plan
//! reaches it.
//!
//! **Correct plans.** A plan must be correct under every interleaving and
//! every duration (`balletc verify`), not only in the simulator's run, so
//! the timed optimum of [`optimal_makespan`] is only a lower bound. Its
//! witness is the most constrained plan with its run ([`Optimum::witness`]):
//! when [`judge`] finds it correct, the timed optimum is the optimum. When
//! it does not, a run with a correct witness may have been merged away (the
//! witness depends on the whole run, not on the state reached), so
//! [`correct_below`] searches every run below a bound, merging nothing.
//!
//! Its answer is exact among the plans that push each behavior onto an idle
//! instance (in their timed run), as the controller does, but for one case
//! it reports as undecided: a witness whose only failures are deadlocks at
//! its own waits, which a plan waiting less might avoid. Plans that queue a
//! behavior behind a running one are not searched: their runs are the
//! controller's too, but a queued behavior becomes the head the moment the
//! running one ends, with nothing in between (a provider refuses new users
//! at once), which no `wait` reproduces, so they may be correct where the
//! witness of the same run is not.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::rc::Rc;

use ballet_compiler::plan::automaton::{explore, Automaton};
use ballet_compiler::plan::local::port_on;
use ballet_compiler::plan::problem::Problem;
use ballet_compiler::plan::validate::reached_state;
use ballet_runtime::bitset::BitSet;
use ballet_runtime::explore::{explore_with, safety, Options};
use ballet_runtime::program::{Instruction, Plan};
use ballet_runtime::semantics::instance::InstanceState;
use ballet_runtime::semantics::System;
use ballet_runtime::simulate::{Status, Stepper};
use ballet_runtime::{BehaviorId, Cost, Goal, InstanceId, Model, TransitionId, TypeId};

/// What the search concludes.
#[derive(Clone, Debug)]
pub enum Search {
    /// The smallest makespan over every plan, with a plan that has it.
    Optimal(Optimum),
    /// No plan reaches the goal.
    Infeasible,
    /// More than the allowed number of decision points: undecided.
    TooLarge,
}

/// An optimal controller run.
#[derive(Clone, Debug)]
pub struct Optimum {
    /// Its makespan (time of its last event).
    pub makespan: Cost,
    /// The decision points where it pushed something, in order.
    pub decisions: Vec<Decision>,
}

/// The pushes of one decision point.
#[derive(Clone, Debug)]
pub struct Decision {
    /// Every behavior execution finished by then, as `wait(c, b, k)`: for
    /// each instance and behavior the last one (`wait(c, b, k)` implies
    /// every `wait(c, b, j)` with `j < k`). Empty at time 0.
    pub waits: Vec<(InstanceId, BehaviorId, u32)>,
    /// The behaviors pushed, one per instance at most.
    pub pushes: Vec<(InstanceId, BehaviorId)>,
}

impl Optimum {
    /// The run as a plan over `problem`'s universe, each push in the program
    /// of its instance's own site (a site program may push only onto its
    /// own instances, as the agents do): at each decision point, every site
    /// with pushes there waits for every execution finished by then, then
    /// pushes. Sites are ordered only through those waits, as in any real
    /// plan: a push on one site cannot be ordered after a push on another
    /// except through a finish.
    ///
    /// **Same timed run.** Those waits are satisfied when the controller
    /// pushed, and one of them (a finish of the sweep just before) is not
    /// satisfied any earlier, so each push executes at its decision point
    /// as in the controller's run.
    ///
    /// **The most constrained plan with that run.** Any plan with the same
    /// timed run, pushes included (each made at the same decision point,
    /// onto an idle instance, from its own site), makes each push after
    /// waits satisfied there (for executions finished by then, each implied
    /// by ours) and after the instructions its site executed before (ours
    /// all precede it in the site's program). So every interleaving of the
    /// witness is one of that plan's, up to the order of the pushes one site
    /// makes at one decision point: more waits, fewer interleavings. Hence
    /// when the witness misses the goal in a final state, breaks port
    /// safety, or deadlocks with its programs exhausted, so does every such
    /// plan. Only a deadlock at one of its own waits may be the waits'
    /// doing: a plan that waits less could push on there ([`judge`] tells
    /// them apart). Plans that push onto a busy instance (queuing) are not
    /// covered: see the module documentation.
    pub fn witness(&self, problem: &Problem) -> Plan {
        let universe = problem.universe.clone();
        let mut programs = vec![Vec::new(); universe.sites.len()];
        for d in &self.decisions {
            for (s, program) in programs.iter_mut().enumerate() {
                let here: Vec<Instruction> = d
                    .pushes
                    .iter()
                    .filter(|&&(c, _)| universe.instances[c.index()].site.index() == s)
                    .map(|&(c, b)| Instruction::PushB(c, b))
                    .collect();
                if here.is_empty() {
                    continue;
                }
                program.extend(d.waits.iter().map(|&(c, b, k)| Instruction::Wait(c, b, k)));
                program.extend(here);
            }
        }
        Plan { universe, programs }
    }
}

/// A decision point of the controller.
#[derive(Clone)]
struct Node {
    stepper: Stepper,
    /// The controller's program: every push so far (all executed).
    program: Vec<Instruction>,
    decisions: Vec<Decision>,
}

/// What makes two decision points equivalent up to time.
type Key = (
    Vec<Option<InstanceState>>,
    Vec<(Cost, InstanceId, TransitionId)>,
);

fn key(stepper: &Stepper) -> Key {
    let states = stepper
        .system()
        .states
        .iter()
        .map(|s| {
            s.clone().map(|mut s| {
                for n in &mut s.finished {
                    *n = (*n).min(1);
                }
                s
            })
        })
        .collect();
    let now = stepper.now();
    let running = stepper
        .running()
        .into_iter()
        .map(|(t, i, tr)| (Cost(t.0 - now.0), i, tr))
        .collect();
    (states, running)
}

/// The minimal makespan of `goal` over every plan of pushes and waits
/// (see the module documentation), exploring at most `limit` decision
/// points.
pub fn optimal_makespan(model: &Model, goal: &Goal, limit: usize) -> Search {
    let Ok(problem) = Problem::new(model, goal) else {
        return Search::Infeasible;
    };
    let (root, mut plan) = root(model, &problem);
    let mut bounds = Bounds::new(model, &problem);
    let Some(h) = bounds.remaining(root.stepper.system()) else {
        return Search::Infeasible;
    };
    // (lower bound of the makespan, 0 for a finished run / 1 for a decision
    // point, index in `nodes`): A* with an admissible bound, so the first
    // finished run popped is optimal.
    let mut heap: BinaryHeap<Reverse<(Cost, u8, usize)>> = BinaryHeap::new();
    heap.push(Reverse((h, 1, 0)));
    // The earliest time each key was enqueued at: a copy no earlier is
    // dropped, an enqueued copy beaten meanwhile is skipped when popped.
    let mut best: HashMap<Key, Cost> = HashMap::from([(key(&root.stepper), Cost::ZERO)]);
    let mut nodes: Vec<Option<Node>> = vec![Some(root)];
    let mut expanded = 0;
    while let Some(Reverse((bound, kind, at))) = heap.pop() {
        let node = nodes[at].take().expect("each node is popped once");
        if kind == 0 {
            return Search::Optimal(Optimum {
                makespan: bound,
                decisions: node.decisions,
            });
        }
        let now = node.stepper.now();
        if best.get(&key(&node.stepper)).is_some_and(|&t| t < now) {
            continue;
        }
        expanded += 1;
        if expanded > limit {
            return Search::TooLarge;
        }
        for choice in choices(&mut bounds, &problem, &node) {
            match advance(model, &problem, goal, &mut plan, &node, choice) {
                Step::Decision(child) => {
                    let k = key(&child.stepper);
                    let t = child.stepper.now();
                    if best.get(&k).is_some_and(|&b| b <= t) {
                        continue;
                    }
                    let Some(h) = bounds.remaining(child.stepper.system()) else {
                        continue;
                    };
                    best.insert(k, t);
                    heap.push(Reverse((t + h, 1, nodes.len())));
                    nodes.push(Some(child));
                }
                Step::Reached(child, end) => {
                    heap.push(Reverse((end, 0, nodes.len())));
                    nodes.push(Some(child));
                }
                Step::Failed => {}
            }
        }
    }
    Search::Infeasible
}

/// How a witness fares under every interleaving and every duration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Judgement {
    /// Correct: `balletc verify`'s properties hold (see [`judge`]).
    Correct,
    /// Wrong, and so is every plan with the same timed run, pushes included
    /// (see [`Optimum::witness`]): why.
    Wrong(String),
    /// Its only failures are deadlocks at one of its own waits: a plan with
    /// the same timed run, pushes included, that waits less might be
    /// correct.
    Blocked(String),
    /// The exploration stopped at its limit.
    Undecided,
}

/// Distinct states [`judge`] explores before giving up.
const JUDGE_LIMIT: usize = 1_000_000;

/// Explores every interleaving of `witness` (the verifier's exploration,
/// partial-order reduced) and checks `balletc verify`'s properties: no
/// endless execution, port safety, every final state in the goal, no
/// deadlock. Port safety only counts when the start state keeps it: when it
/// does not, no plan can (the planner's plans on the random systems fail
/// `verify` exactly then), so it tells no plan from another. Every deadlock is read, not only the
/// first, to tell one with the program exhausted (every push made, so every
/// plan with the same run has it: [`Judgement::Wrong`]) from one at a wait.
pub fn judge(model: &Model, problem: &Problem, goal: &Goal, witness: &Plan) -> Judgement {
    let start = problem.start_system(model, witness);
    let start_safe = safety::violated(model, witness, &start).is_none();
    let options = Options {
        limit: JUDGE_LIMIT,
        ..Options::default()
    };
    let found = explore_with(model, witness, start, &options);
    if found.truncated {
        return Judgement::Undecided;
    }
    if found.cycle {
        return Judgement::Wrong("an execution never ends".into());
    }
    if start_safe && found.violation.is_some() {
        return Judgement::Wrong("a use port is active while its provider is not".into());
    }
    for last in &found.finals {
        if let Err(why) = reached_state(model, problem, goal, last) {
            return Judgement::Wrong(format!("a final state misses the goal: {why}"));
        }
    }
    // Every site's program run to its end: every push made.
    let exhausted = |s: &System| {
        s.pc.iter()
            .zip(&witness.programs)
            .all(|(&pc, program)| pc >= program.len())
    };
    if found.deadlocks.iter().any(exhausted) {
        Judgement::Wrong("a deadlock with every push made".into())
    } else if !found.deadlocks.is_empty() {
        Judgement::Blocked(format!(
            "{} deadlocks, each at one of its waits",
            found.deadlocks.len()
        ))
    } else {
        Judgement::Correct
    }
}

/// What [`correct_below`] concludes.
#[derive(Clone, Debug)]
pub enum Below {
    /// The smallest makespan below the bound of a correct witness, with its
    /// run: a correct plan beats the bound.
    Correct(Optimum),
    /// Every run below the bound has a [`Judgement::Wrong`] witness: no
    /// correct plan that pushes onto idle instances beats the bound.
    Nothing,
    /// No witness below the bound is correct, but this run's is only
    /// [`Judgement::Blocked`]: undecided.
    Blocked(Optimum),
    /// More than the allowed number of decision points, or a witness too
    /// large to judge: undecided.
    TooLarge,
}

/// The smallest makespan below `bound` of a plan correct under every
/// interleaving, among the plans that push onto idle instances (see the
/// module documentation), exploring at most `limit` decision points.
///
/// Correctness depends on the whole run, not on the state reached: two runs
/// merged by [`optimal_makespan`] (same state up to time) have different
/// witnesses. So this search merges nothing: depth-first over decision
/// points (the child of least lower bound first; memory stays that of one
/// path and its siblings), pruned by the A* lower bound against `bound`,
/// which tightens to each correct run found. Each run that reaches the goal
/// is judged ([`judge`]) by its witness, the most constrained plan with that
/// run ([`Optimum::witness`]).
pub fn correct_below(model: &Model, goal: &Goal, bound: Cost, limit: usize) -> Below {
    let Ok(problem) = Problem::new(model, goal) else {
        return Below::Nothing;
    };
    let (root, mut plan) = root(model, &problem);
    let mut bounds = Bounds::new(model, &problem);
    let mut bound = bound;
    let (mut correct, mut blocked): (Option<Optimum>, Option<Optimum>) = (None, None);
    let mut stack = vec![(Cost::ZERO, root)];
    let mut expanded = 0;
    while let Some((lower, node)) = stack.pop() {
        if lower >= bound {
            continue;
        }
        expanded += 1;
        if expanded > limit {
            return Below::TooLarge;
        }
        let mut children = Vec::new();
        for choice in choices(&mut bounds, &problem, &node) {
            match advance(model, &problem, goal, &mut plan, &node, choice) {
                Step::Decision(child) => {
                    if let Some(h) = bounds.remaining(child.stepper.system()) {
                        children.push((child.stepper.now() + h, child));
                    }
                }
                Step::Reached(child, end) if end < bound => {
                    let run = Optimum {
                        makespan: end,
                        decisions: child.decisions,
                    };
                    match judge(model, &problem, goal, &run.witness(&problem)) {
                        Judgement::Correct => {
                            bound = end;
                            correct = Some(run);
                        }
                        Judgement::Blocked(_)
                            if blocked.as_ref().is_none_or(|b| end < b.makespan) =>
                        {
                            blocked = Some(run);
                        }
                        Judgement::Wrong(_) | Judgement::Blocked(_) => {}
                        Judgement::Undecided => return Below::TooLarge,
                    }
                }
                Step::Reached(..) | Step::Failed => {}
            }
        }
        // Popped last, explored first: the least lower bound.
        children.sort_by_key(|&(lower, _)| Reverse(lower));
        stack.extend(children);
    }
    match (correct, blocked) {
        (Some(run), _) => Below::Correct(run),
        (None, Some(run)) => Below::Blocked(run),
        (None, None) => Below::Nothing,
    }
}

/// The decision point at time 0, and the plan the stepper runs: the
/// universe, and the program of the node being stepped.
fn root(model: &Model, problem: &Problem) -> (Node, Plan) {
    let plan = Plan {
        universe: problem.universe.clone(),
        programs: vec![Vec::new()],
    };
    let node = Node {
        stepper: Stepper::new(problem.start_system(model, &plan)),
        program: Vec::new(),
        decisions: Vec::new(),
    };
    (node, plan)
}

/// Where one choice at a decision point leads.
enum Step {
    /// The next decision point.
    Decision(Node),
    /// The run ended in the goal, at this makespan.
    Reached(Node, Cost),
    /// The run deadlocked or ended elsewhere.
    Failed,
}

/// Makes `choice`'s pushes at `node` and runs to the next decision point
/// or the end. `plan` is the universe with one program, the one stepped.
fn advance(
    model: &Model,
    problem: &Problem,
    goal: &Goal,
    plan: &mut Plan,
    node: &Node,
    choice: Vec<(InstanceId, BehaviorId)>,
) -> Step {
    let mut child = node.clone();
    if !choice.is_empty() {
        for &(c, b) in &choice {
            child.program.push(Instruction::PushB(c, b));
        }
        child.stepper.resume();
        child.decisions.push(Decision {
            waits: finished(child.stepper.system()),
            pushes: choice,
        });
    }
    // The program is moved in and out, not cloned.
    plan.programs[0] = std::mem::take(&mut child.program);
    let next = child.stepper.next_finishes(model, plan);
    let done = next.is_none() && child.stepper.status(model, plan) == Status::Done;
    child.program = std::mem::take(&mut plan.programs[0]);
    if next.is_some() {
        Step::Decision(child)
    } else if done && reached_state(model, problem, goal, child.stepper.system()).is_ok() {
        let end = child.stepper.events().last().map_or(Cost::ZERO, |e| e.time);
        Step::Reached(child, end)
    } else {
        Step::Failed
    }
}

/// The last finished execution of each behavior on each instance, as
/// `wait(c, b, k)` arguments.
fn finished(system: &System) -> Vec<(InstanceId, BehaviorId, u32)> {
    let mut out = Vec::new();
    for (i, state) in system.states.iter().enumerate() {
        let Some(state) = state else { continue };
        for (b, &k) in state.finished.iter().enumerate() {
            if k > 0 {
                out.push((InstanceId::from_index(i), BehaviorId::from_index(b), k));
            }
        }
    }
    out
}

/// Every choice of at most one behavior per idle instance (pushing nothing
/// included), among the behaviors that do something there.
fn choices(
    bounds: &mut Bounds<'_>,
    problem: &Problem,
    node: &Node,
) -> Vec<Vec<(InstanceId, BehaviorId)>> {
    let mut out: Vec<Vec<(InstanceId, BehaviorId)>> = vec![Vec::new()];
    for (i, state) in node.stepper.system().states.iter().enumerate() {
        let Some(state) = state else { continue };
        if !state.queue.is_empty() {
            continue;
        }
        let ty = problem.universe.instances[i].ty;
        let automaton = bounds.automaton(ty, &state.marked);
        let mut behaviors: Vec<BehaviorId> = automaton.out[0]
            .iter()
            .map(|&e| automaton.edges[e].behavior)
            .collect();
        behaviors.dedup();
        let mut next = Vec::with_capacity(out.len() * (1 + behaviors.len()));
        for partial in &out {
            next.push(partial.clone());
            for &b in &behaviors {
                let mut with = partial.clone();
                with.push((InstanceId::from_index(i), b));
                next.push(with);
            }
        }
        out = next;
    }
    out
}

/// Per-instance automata (the simulator on one instance, guards on others
/// ignored: `plan::automaton`) and the lower bounds they give.
struct Bounds<'a> {
    model: &'a Model,
    problem: &'a Problem,
    automata: HashMap<(TypeId, BitSet), Rc<Automaton>>,
    /// By (instance, marking, own required behaviors still to run).
    remaining: HashMap<(usize, BitSet, u64), Option<Cost>>,
}

impl<'a> Bounds<'a> {
    fn new(model: &'a Model, problem: &'a Problem) -> Bounds<'a> {
        Bounds {
            model,
            problem,
            automata: HashMap::new(),
            remaining: HashMap::new(),
        }
    }

    fn automaton(&mut self, ty: TypeId, marking: &BitSet) -> Rc<Automaton> {
        let model = self.model;
        self.automata
            .entry((ty, marking.clone()))
            .or_insert_with(|| Rc::new(explore(model, ty, marking.clone())))
            .clone()
    }

    /// A lower bound on the time still needed from this decision point
    /// (`None`: the goal is out of reach). For each idle instance, its
    /// fastest sequence to its own goals with every guard ignored (guards
    /// only delay); busy instances count 0.
    fn remaining(&mut self, system: &System) -> Option<Cost> {
        let mut bound = Cost::ZERO;
        for (i, state) in system.states.iter().enumerate() {
            let Some(state) = state else { continue };
            if !state.queue.is_empty() {
                continue;
            }
            let own = &self.problem.goals[i];
            let mut todo = 0u64;
            for (k, &(b, _)) in own.behaviors.iter().enumerate() {
                if state.finished[b.index()] == 0 {
                    todo |= 1 << k;
                }
            }
            let k = (i, state.marked.clone(), todo);
            let cost = match self.remaining.get(&k) {
                Some(&c) => c,
                None => {
                    let c = self.alone(i, &state.marked, todo);
                    self.remaining.insert(k, c);
                    c
                }
            };
            bound = bound.max(cost?);
        }
        Some(bound)
    }

    /// Dijkstra over (automaton state, required behaviors still to run).
    fn alone(&mut self, i: usize, marking: &BitSet, todo: u64) -> Option<Cost> {
        let ty_id = self.problem.universe.instances[i].ty;
        let ty = self.model.ty(ty_id);
        let a = self.automaton(ty_id, marking);
        let own = &self.problem.goals[i];
        let accepts = |s: usize| {
            let m = &a.states[s];
            own.place
                .is_none_or(|(p, _)| m.len() == 1 && m.contains(p.index()))
                && own.ports.iter().all(|&(p, on, _)| port_on(ty, m, p) == on)
        };
        let mut heap = BinaryHeap::from([Reverse((Cost::ZERO, 0usize, todo))]);
        let mut done: HashSet<(usize, u64)> = HashSet::new();
        while let Some(Reverse((cost, s, left))) = heap.pop() {
            if !done.insert((s, left)) {
                continue;
            }
            if left == 0 && accepts(s) {
                return Some(cost);
            }
            for &e in &a.out[s] {
                let edge = &a.edges[e];
                let mut next = left;
                for (k, &(b, _)) in own.behaviors.iter().enumerate() {
                    if b == edge.behavior {
                        next &= !(1 << k);
                    }
                }
                heap.push(Reverse((cost + edge.duration, edge.to, next)));
            }
        }
        None
    }
}
