//! A minimal conflicting subset of goal lines, by deletion: drop each line
//! in turn and keep it out if the rest is still infeasible. What remains is
//! infeasible and every line of it is needed (removing any one makes the
//! rest feasible, up to the lines already dropped).

use ballet_runtime::Goal;
use ballet_runtime::Model;

use crate::plan::feasible;

/// The goal restricted to the lines in `keep` (goal-line indices).
pub fn restrict(goal: &Goal, keep: &[u32]) -> Goal {
    let mut g = goal.clone();
    g.behaviors.retain(|b| keep.contains(&b.origin));
    g.ports.retain(|p| keep.contains(&p.origin));
    g.states.retain(|s| keep.contains(&s.origin));
    g
}

/// Goal lines (indices) whose constraints conflict, minimal. Empty if the
/// goal is feasible, or if it is infeasible even without any line (the
/// assembly change alone cannot be carried out).
pub fn minimal_core(model: &Model, goal: &Goal) -> Vec<u32> {
    let mut lines: Vec<u32> = goal
        .behaviors
        .iter()
        .map(|b| b.origin)
        .chain(goal.ports.iter().map(|p| p.origin))
        .chain(goal.states.iter().map(|s| s.origin))
        .collect();
    lines.sort_unstable();
    lines.dedup();
    if feasible(model, goal) || !feasible(model, &restrict(goal, &[])) {
        return Vec::new();
    }
    let mut k = 0;
    while k < lines.len() {
        let mut without = lines.clone();
        without.remove(k);
        if feasible(model, &restrict(goal, &without)) {
            k += 1;
        } else {
            lines = without;
        }
    }
    lines
}
