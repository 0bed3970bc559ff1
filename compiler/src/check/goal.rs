//! Goals: resolving each line against the start and target assemblies and
//! reporting contradictions.

use std::collections::HashMap;

use ballet_grammar::ast::{self, GoalItem, Landmark, PortStatus, StateSpec, Template};
use ballet_grammar::Span;
use ballet_runtime::{
    BehaviorGoal, ComponentType, Endpoint, Goal, InstanceId, Model, PlaceId, PortGoal, PortKind,
    StateGoal,
};

use crate::check::elaborate::Elaborated;
use crate::check::eval::{interpolate, Scope};
use crate::codes::Code;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::source::FileId;

/// How specific a goal line is: per-instance lines override `all`/`forall`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reach {
    All,
    One,
}

struct Claim<T> {
    value: T,
    reach: Reach,
    origin: u32,
    span: Span,
}

/// Lowers goal `decl` (in `file`) against its elaborated start and target
/// assemblies. `None` if any line is wrong (reported).
pub fn lower(
    model: &Model,
    file: FileId,
    decl: &ast::Goal,
    start: &Elaborated,
    target: &Elaborated,
    d: &mut Diagnostics,
) -> Option<Goal> {
    let errors_before = d.errors_pushed();
    let scope = Scope::new(&start.assembly.params);
    let ty_of = |e: &Elaborated, i: InstanceId| model.ty(e.assembly.instances[i.index()].ty);

    let mut start_all: Option<(Landmark, Span)> = None;
    let mut start_one: HashMap<InstanceId, (PlaceId, Span)> = HashMap::new();
    let mut behaviors: Vec<BehaviorGoal> = Vec::new();
    let mut ports: HashMap<Endpoint, Claim<bool>> = HashMap::new();
    let mut states: HashMap<InstanceId, Claim<PlaceId>> = HashMap::new();

    let port_conflict = |e: &Endpoint, _: &bool, _: &bool| {
        format!(
            "`{}` must end both active and inactive",
            port_text(model, target, e)
        )
    };
    let place_conflict =
        |i: &InstanceId, a: &PlaceId, b: &PlaceId| places_text(model, target, *i, *a, *b);
    for (index, item) in decl.items.iter().enumerate() {
        let origin = index as u32;
        let span = item.span();
        match item {
            GoalItem::Error(_) => {}
            GoalItem::StartAll(mark, _) => {
                if let Some((_, first)) = start_all {
                    d.push(
                        Diagnostic::new(Code::E0406, "the start state is given twice")
                            .at(file, span, "second `start` line")
                            .with(file, first, "first `start` line"),
                    );
                }
                start_all = Some((*mark, span));
            }
            GoalItem::StartInstance(t, spec, _) => {
                let Some(i) = instance(file, t, &scope, start, "start", d) else {
                    continue;
                };
                let Some(p) = place(file, ty_of(start, i), spec, d) else {
                    continue;
                };
                if let Some((_, first)) = start_one.insert(i, (p, span)) {
                    d.push(
                        Diagnostic::new(
                            Code::E0406,
                            format!(
                                "the start place of `{}` is given twice",
                                start.assembly.instances[i.index()].name
                            ),
                        )
                        .at(file, span, "second `start` line")
                        .with(file, first, "first `start` line"),
                    );
                }
            }
            GoalItem::Behavior(t, b, _) => {
                let Some(i) = instance(file, t, &scope, start, "start", d) else {
                    continue;
                };
                let ty = ty_of(start, i);
                match ty.behavior_named(&b.text) {
                    Some(behavior) => behaviors.push(BehaviorGoal {
                        instance: i,
                        behavior,
                        origin,
                    }),
                    None => d.push(unknown_behavior(file, ty, b)),
                }
            }
            GoalItem::BehaviorAll(b, _) => {
                let before = behaviors.len();
                for (i, inst) in start.assembly.instances.iter().enumerate() {
                    if let Some(behavior) = model.ty(inst.ty).behavior_named(&b.text) {
                        behaviors.push(BehaviorGoal {
                            instance: InstanceId::from_index(i),
                            behavior,
                            origin,
                        });
                    }
                }
                if behaviors.len() == before {
                    d.push(
                        Diagnostic::new(
                            Code::E0407,
                            format!("no instance has a behavior `{}`", b.text),
                        )
                        .at(file, b.span, "matches nothing"),
                    );
                }
            }
            GoalItem::Port(r, status, _) => {
                let Some(i) = instance(file, &r.instance, &scope, target, "target", d) else {
                    continue;
                };
                let ty = ty_of(target, i);
                let Some(port) = ty.port_named(&r.port.text) else {
                    d.push(
                        Diagnostic::new(
                            Code::E0403,
                            format!("`{}` has no port `{}`", ty.name, r.port.text),
                        )
                        .at(file, r.port.span, "unknown port")
                        .pipe(|d| {
                            crate::suggest::hint(
                                d,
                                &r.port.text,
                                ty.ports.iter().map(|p| p.name.as_str()),
                                &format!("`{}` has ports", ty.name),
                            )
                        }),
                    );
                    continue;
                };
                let active = *status == PortStatus::Active;
                claim(
                    &mut ports,
                    Endpoint { instance: i, port },
                    Claim {
                        value: active,
                        reach: Reach::One,
                        origin,
                        span,
                    },
                    file,
                    d,
                    port_conflict,
                );
            }
            GoalItem::PortAll(status, _) => {
                let active = *status == PortStatus::Active;
                for (i, inst) in target.assembly.instances.iter().enumerate() {
                    let ty = model.ty(inst.ty);
                    for (p, port) in ty.ports.iter().enumerate() {
                        if port.kind == PortKind::Provide {
                            let e = Endpoint {
                                instance: InstanceId::from_index(i),
                                port: ballet_runtime::PortId::from_index(p),
                            };
                            claim(
                                &mut ports,
                                e,
                                Claim {
                                    value: active,
                                    reach: Reach::All,
                                    origin,
                                    span,
                                },
                                file,
                                d,
                                port_conflict,
                            );
                        }
                    }
                }
            }
            GoalItem::StateAll(mark, _) => {
                for (i, inst) in target.assembly.instances.iter().enumerate() {
                    let ty = model.ty(inst.ty);
                    let p = landmark(ty, *mark);
                    claim(
                        &mut states,
                        InstanceId::from_index(i),
                        Claim {
                            value: p,
                            reach: Reach::All,
                            origin,
                            span,
                        },
                        file,
                        d,
                        place_conflict,
                    );
                }
            }
            GoalItem::State(t, spec, _) => {
                let Some(i) = instance(file, t, &scope, target, "target", d) else {
                    continue;
                };
                let Some(p) = place(file, ty_of(target, i), spec, d) else {
                    continue;
                };
                claim(
                    &mut states,
                    i,
                    Claim {
                        value: p,
                        reach: Reach::One,
                        origin,
                        span,
                    },
                    file,
                    d,
                    place_conflict,
                );
            }
        }
    }

    // A port goal that the required place of its instance rules out.
    let mut reported: std::collections::HashSet<(u32, u32)> = std::collections::HashSet::new();
    for (e, pc) in &ports {
        if let Some(sc) = states.get(&e.instance) {
            let ty = ty_of(target, e.instance);
            let port = ty.port(e.port);
            let active_there = port.contains(sc.value);
            if active_there != pc.value && reported.insert((pc.origin, sc.origin)) {
                d.push(
                    Diagnostic::new(
                        Code::E0405,
                        format!(
                            "`{}` must end {}, but `{}` must end at `{}`, where the port is {}",
                            port_text(model, target, e),
                            if pc.value { "active" } else { "inactive" },
                            target.assembly.instances[e.instance.index()].name,
                            ty.place_name(sc.value),
                            if active_there { "active" } else { "inactive" },
                        ),
                    )
                    .at(file, pc.span, "port goal")
                    .with(file, sc.span, "state goal"),
                );
            }
        }
    }

    if d.errors_pushed() != errors_before {
        return None;
    }
    let mark = start_all.map_or(Landmark::Initial, |(m, _)| m);
    let start_places = start
        .assembly
        .instances
        .iter()
        .enumerate()
        .map(|(i, inst)| {
            start_one
                .get(&InstanceId::from_index(i))
                .map_or_else(|| landmark(model.ty(inst.ty), mark), |(p, _)| *p)
        })
        .collect();
    let mut ports: Vec<PortGoal> = ports
        .into_iter()
        .map(|(endpoint, c)| PortGoal {
            endpoint,
            active: c.value,
            origin: c.origin,
        })
        .collect();
    ports.sort_by_key(|g| g.endpoint);
    let mut states: Vec<StateGoal> = states
        .into_iter()
        .map(|(instance, c)| StateGoal {
            instance,
            place: c.value,
            origin: c.origin,
        })
        .collect();
    states.sort_by_key(|g| g.instance);
    Some(Goal {
        name: decl.name.text.clone(),
        start: start.assembly.clone(),
        target: target.assembly.clone(),
        start_places,
        behaviors,
        ports,
        states,
    })
}

/// Records a claim on `key`, reporting a contradiction with an earlier one of
/// the same reach; a per-instance claim overrides an `all` claim.
fn claim<K: std::hash::Hash + Eq + Copy, T: PartialEq + Copy>(
    table: &mut HashMap<K, Claim<T>>,
    key: K,
    new: Claim<T>,
    file: FileId,
    d: &mut Diagnostics,
    describe: impl Fn(&K, &T, &T) -> String,
) {
    match table.get(&key) {
        None => {
            table.insert(key, new);
        }
        Some(old) if old.value == new.value => {
            if new.reach == Reach::One {
                table.insert(key, new);
            }
        }
        Some(old) if old.reach != new.reach => {
            if new.reach == Reach::One {
                table.insert(key, new);
            }
        }
        Some(old) => {
            d.push(
                Diagnostic::new(
                    Code::E0405,
                    format!(
                        "contradictory goals: {}",
                        describe(&key, &old.value, &new.value)
                    ),
                )
                .at(file, new.span, "this line")
                .with(file, old.span, "contradicts this one"),
            );
        }
    }
}

fn port_text(model: &Model, e: &Elaborated, endpoint: &Endpoint) -> String {
    let inst = &e.assembly.instances[endpoint.instance.index()];
    format!(
        "{}.{}",
        inst.name,
        model.ty(inst.ty).port(endpoint.port).name
    )
}

fn places_text(model: &Model, e: &Elaborated, i: InstanceId, a: PlaceId, b: PlaceId) -> String {
    let inst = &e.assembly.instances[i.index()];
    let ty = model.ty(inst.ty);
    format!(
        "`{}` must end at both `{}` and `{}`",
        inst.name,
        ty.place_name(a),
        ty.place_name(b)
    )
}

fn landmark(ty: &ComponentType, mark: Landmark) -> PlaceId {
    match mark {
        Landmark::Initial => ty.initial,
        Landmark::Running => ty.running,
    }
}

fn instance(
    file: FileId,
    t: &Template,
    scope: &Scope,
    e: &Elaborated,
    which: &str,
    d: &mut Diagnostics,
) -> Option<InstanceId> {
    let name = interpolate(t, scope, file, d)?;
    match e.instances.get(&name) {
        Some(&i) => Some(i),
        None if e.poisoned.contains(&name) => None,
        None => {
            let mut diag = Diagnostic::new(Code::E0401, format!("unknown instance `{name}`")).at(
                file,
                t.span,
                format!(
                    "not an instance of the {which} assembly `{}`",
                    e.assembly.name
                ),
            );
            if let Some(best) =
                crate::suggest::closest(&name, e.instances.keys().map(String::as_str))
            {
                diag = diag.help(format!("did you mean `{best}`?"));
            }
            d.push(diag);
            None
        }
    }
}

fn place(
    file: FileId,
    ty: &ComponentType,
    spec: &StateSpec,
    d: &mut Diagnostics,
) -> Option<PlaceId> {
    match spec {
        StateSpec::Landmark(mark, _) => Some(landmark(ty, *mark)),
        StateSpec::Place(p) => {
            let found = ty.place_named(&p.text);
            if found.is_none() {
                let mut diag = Diagnostic::new(
                    Code::E0404,
                    format!("`{}` has no place `{}`", ty.name, p.text),
                )
                .at(file, p.span, "unknown place");
                diag = crate::suggest::hint(
                    diag,
                    &p.text,
                    ty.places.iter().map(String::as_str),
                    &format!("`{}` has places", ty.name),
                );
                d.push(diag);
            }
            found
        }
    }
}

fn unknown_behavior(file: FileId, ty: &ComponentType, b: &ast::Ident) -> Diagnostic {
    let diag = Diagnostic::new(
        Code::E0402,
        format!("`{}` has no behavior `{}`", ty.name, b.text),
    )
    .at(file, b.span, "unknown behavior");
    match crate::suggest::closest(&b.text, ty.behaviors.iter().map(|b| b.name.as_str())) {
        Some(best) => diag.help(format!("did you mean `{best}`?")),
        None => diag.note(format!(
            "`{}` has behaviors: {}",
            ty.name,
            ty.behaviors
                .iter()
                .map(|b| format!("`{}`", b.name))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}
