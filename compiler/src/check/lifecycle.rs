//! Lifecycle checks on a lowered type: each behavior is a DAG (an error),
//! every place is reachable and every behavior can run (warnings).

use ballet_runtime::{BehaviorId, ComponentType, PlaceId};

use crate::check::component::TypeSpans;
use crate::codes::Code;
use crate::diagnostic::{Diagnostic, Diagnostics};

/// Reports cycles inside behaviors (E0203). Returns `false` if any.
pub fn check_dags(ty: &ComponentType, spans: &TypeSpans, diagnostics: &mut Diagnostics) -> bool {
    let mut ok = true;
    for (b, behavior) in ty.behaviors.iter().enumerate() {
        if let Some(cycle) = find_cycle(ty, BehaviorId::from_index(b)) {
            ok = false;
            let path: Vec<&str> = cycle
                .iter()
                .map(|&t| ty.place_name(ty.transition(t).src))
                .chain(std::iter::once(ty.place_name(ty.transition(cycle[0]).src)))
                .collect();
            let mut d = Diagnostic::new(
                Code::E0203,
                format!(
                    "behavior `{}` of `{}` contains a cycle: {}",
                    behavior.name,
                    ty.name,
                    path.join(" -> ")
                ),
            )
            .at(spans.file, spans.behaviors[b], "this behavior is not a DAG");
            for &t in &cycle {
                d = d.with(
                    spans.file,
                    spans.transitions[t.index()],
                    "part of the cycle",
                );
            }
            diagnostics.push(d.help("move the transition that goes back into another behavior"));
        }
    }
    ok
}

/// A cycle of transitions of behavior `b`, if there is one (iterative DFS
/// over places, following `b`'s transitions).
fn find_cycle(ty: &ComponentType, b: BehaviorId) -> Option<Vec<ballet_runtime::TransitionId>> {
    let n = ty.places.len();
    let mut out: Vec<Vec<ballet_runtime::TransitionId>> = vec![Vec::new(); n];
    for &t in &ty.behavior(b).transitions {
        out[ty.transition(t).src.index()].push(t);
    }
    // 0 = unvisited, 1 = on the stack, 2 = done.
    let mut state = vec![0u8; n];
    let mut via: Vec<Option<ballet_runtime::TransitionId>> = vec![None; n];
    for root in 0..n {
        if state[root] != 0 {
            continue;
        }
        let mut stack = vec![(root, 0usize)];
        state[root] = 1;
        while let Some(&mut (place, ref mut next)) = stack.last_mut() {
            if let Some(&t) = out[place].get(*next) {
                *next += 1;
                let dst = ty.transition(t).dst.index();
                match state[dst] {
                    0 => {
                        state[dst] = 1;
                        via[dst] = Some(t);
                        stack.push((dst, 0));
                    }
                    1 => {
                        // Walk back from `place` to `dst` along `via`.
                        let mut cycle = vec![t];
                        let mut at = place;
                        while at != dst {
                            let back = via[at]?;
                            cycle.push(back);
                            at = ty.transition(back).src.index();
                        }
                        cycle.reverse();
                        return Some(cycle);
                    }
                    _ => {}
                }
            } else {
                state[place] = 2;
                stack.pop();
            }
        }
    }
    None
}

/// The places reachable from the initial place through any transitions.
pub fn reachable_places(ty: &ComponentType) -> Vec<bool> {
    let mut seen = vec![false; ty.places.len()];
    let mut stack = vec![ty.initial];
    seen[ty.initial.index()] = true;
    while let Some(p) = stack.pop() {
        for t in ty.transitions.iter().filter(|t| t.src == p) {
            if !seen[t.dst.index()] {
                seen[t.dst.index()] = true;
                stack.push(t.dst);
            }
        }
    }
    seen
}

/// Warns about unreachable places (W0001) and behaviors that can never run
/// (W0002).
pub fn warn_unreachable(ty: &ComponentType, spans: &TypeSpans, diagnostics: &mut Diagnostics) {
    let reach = reachable_places(ty);
    for (p, &ok) in reach.iter().enumerate() {
        if !ok {
            diagnostics.push(
                Diagnostic::new(
                    Code::W0001,
                    format!(
                        "place `{}` of `{}` can never be reached",
                        ty.places[p], ty.name
                    ),
                )
                .at(
                    spans.file,
                    spans.places[p],
                    "unreachable from the initial place",
                )
                .note(format!(
                    "`{}` starts at `{}`; no transition leads here from there",
                    ty.name,
                    ty.place_name(ty.initial)
                )),
            );
        }
    }
    for (b, behavior) in ty.behaviors.iter().enumerate() {
        let runs = behavior
            .transitions
            .iter()
            .any(|&t| reach[ty.transition(t).src.index()]);
        if !runs {
            let why = if behavior.transitions.is_empty() {
                "it has no transitions".to_string()
            } else {
                "none of its transitions leaves a reachable place".to_string()
            };
            diagnostics.push(
                Diagnostic::new(
                    Code::W0002,
                    format!(
                        "behavior `{}` of `{}` can never run",
                        behavior.name, ty.name
                    ),
                )
                .at(spans.file, spans.behaviors[b], why),
            );
        }
    }
}

/// Whether the port group contains a reachable place.
pub fn group_reachable(reach: &[bool], group: &[PlaceId]) -> bool {
    group.iter().any(|p| reach[p.index()])
}
