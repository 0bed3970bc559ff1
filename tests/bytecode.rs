//! The per-site bytecode: round trips on the examples, corrupted and
//! truncated files rejected without panicking, the validation of a file with
//! a correct checksum, the view the VM runs, and the golden disassembly of
//! one image (`BLESS=1` regenerates `fixtures/bytecode/*.dump`).

use ballet_runtime::bytecode::{
    decode, disassemble, encode, DebugLoc, LoadError, SiteImage, FORMAT_VERSION,
};
use ballet_runtime::program::{Instruction, Plan};
use ballet_runtime::{BehaviorId, Goal, InstanceId, Model, PlaceId, PortId, SiteId};
use ballet_tests::{example_goal, per_component_plan, push_everywhere, start_system};

/// The published CPS update plan (CASES.md), one pseudo-site per component.
const CPS_UPDATE: &str = "database  : pushB(interrupt) pushB(update) pushB(deploy)
system    : pushB(stop) wait(database, interrupt) pushB(deploy)
listener_0: pushB(update) wait(system, stop) pushB(deploy)
sensor_0  : pushB(pause) wait(listener_0, update) pushB(deploy)";

/// The debug locations of a per-component plan: each instruction at its
/// line and column in the plan text, per pseudo-site (= instance) index.
fn plan_text_debug(goal: &Goal, text: &str) -> Vec<Vec<Option<DebugLoc>>> {
    let mut debug = vec![Vec::new(); goal.start.instances.len()];
    for (line, row) in text.lines().enumerate() {
        let Some((name, rest)) = row.split_once(':') else {
            continue;
        };
        let site = goal
            .start
            .instance_named(name.trim())
            .expect("instance")
            .index();
        let mut column = name.len() + 2;
        for ins in rest.split_inclusive(')') {
            let lead = ins.len() - ins.trim_start().len();
            debug[site].push(Some(DebugLoc {
                file: "cps_update.plan".into(),
                line: line as u32 + 1,
                column: (column + lead) as u32,
                origin: "published update plan".into(),
            }));
            column += ins.len();
        }
    }
    debug
}

struct Case {
    name: &'static str,
    model: Model,
    goal: Goal,
    plan: Plan,
    debug: Vec<Vec<Option<DebugLoc>>>,
}

impl Case {
    fn start_places(&self) -> Vec<Option<PlaceId>> {
        (0..self.plan.universe.instances.len())
            .map(|i| self.goal.start_places.get(i).copied())
            .collect()
    }

    fn image(&self, site: usize) -> SiteImage {
        SiteImage::new(
            &self.model,
            &self.plan,
            &self.start_places(),
            &self.goal.start.connections,
            SiteId::from_index(site),
            self.debug.get(site).map_or(&[], Vec::as_slice),
        )
    }

    fn images(&self) -> Vec<SiteImage> {
        (0..self.plan.universe.sites.len())
            .map(|s| self.image(s))
            .collect()
    }
}

fn deploy(path: &'static str, n: &str) -> Case {
    let (model, goal) = example_goal(path, "deploy", &[("n", n)]);
    let plan = push_everywhere(&model, &goal, "deploy");
    Case {
        name: path,
        model,
        goal,
        plan,
        debug: Vec::new(),
    }
}

fn cps_update() -> Case {
    let (model, goal) = example_goal("examples/cps.blt", "update", &[("n", "1")]);
    let plan = per_component_plan(&model, &goal, CPS_UPDATE);
    let debug = plan_text_debug(&goal, CPS_UPDATE);
    Case {
        name: "cps update",
        model,
        goal,
        plan,
        debug,
    }
}

fn cases() -> Vec<Case> {
    vec![
        deploy("examples/openstack.blt", "1"),
        deploy("examples/openstack.blt", "2"),
        deploy("examples/cps.blt", "2"),
        cps_update(),
    ]
}

#[test]
fn every_site_image_round_trips() {
    for case in cases() {
        for (s, image) in case.images().into_iter().enumerate() {
            image.validate().expect("a built image is valid");
            let bytes = encode(&image);
            assert_eq!(decode(&bytes), Ok(image), "{} site {s}", case.name);
        }
    }
}

/// Mapping the image's code back through the `global` fields gives the
/// site's program of the plan: the renumbering loses nothing.
#[test]
fn image_code_maps_back_to_the_plan() {
    for case in cases() {
        for (s, image) in case.images().into_iter().enumerate() {
            let t = &image.tables;
            let g = |c: InstanceId| t.instances[c.index()].global;
            let global_ty = |ty: ballet_runtime::TypeId| {
                case.model
                    .type_named(&t.types[ty.index()].name)
                    .expect("type")
            };
            let back: Vec<Instruction> = image
                .code
                .iter()
                .map(|ins| match *ins {
                    Instruction::Add(c, ty) => Instruction::Add(g(c), global_ty(ty)),
                    Instruction::Del(c) => Instruction::Del(g(c)),
                    Instruction::PushB(c, b) => Instruction::PushB(g(c), b),
                    Instruction::Wait(c, b, k) => Instruction::Wait(g(c), b, k),
                    Instruction::Con(mut c) | Instruction::Dcon(mut c) => {
                        c.provider.instance = g(c.provider.instance);
                        c.user.instance = g(c.user.instance);
                        match ins {
                            Instruction::Con(_) => Instruction::Con(c),
                            _ => Instruction::Dcon(c),
                        }
                    }
                })
                .collect();
            assert_eq!(back, case.plan.programs[s], "{} site {s}", case.name);
            assert_eq!(t.sites[t.local_site.index()].global, SiteId::from_index(s));
        }
    }
}

/// The sensor's image holds its peer `listener_0` (a `wait` and a
/// connection refer to it) but not the database, which it never names.
#[test]
fn an_image_holds_its_peers_and_nothing_else() {
    let case = cps_update();
    let sensor = case.goal.start.instance_named("sensor_0").expect("sensor");
    let image = case.image(sensor.index());
    let names: Vec<&str> = image
        .tables
        .instances
        .iter()
        .map(|i| i.name.as_str())
        .collect();
    assert_eq!(names, ["listener_0", "sensor_0"]);
    let listener = image.instance_of_global(InstanceId::from_index(2));
    assert_eq!(listener, Some(InstanceId(0)));
    assert_eq!(image.tables.instances[0].start, None, "remote: no start");
    assert!(image.tables.instances[1].start.is_some());
    assert_eq!(image.tables.start_connections.len(), 2);
}

/// The view runs with the shared semantics: its local instances start
/// exactly as in the global system.
#[test]
fn the_view_starts_like_the_global_system() {
    for case in cases() {
        let global = start_system(&case.model, &case.goal, &case.plan);
        for image in case.images() {
            let view = image.view();
            let local = view.system();
            for (c, inst) in image.tables.instances.iter().enumerate() {
                if inst.site == view.local_site {
                    assert_eq!(local.states[c], global.states[inst.global.index()]);
                }
            }
            assert_eq!(view.plan.programs[view.local_site.index()], image.code);
        }
    }
}

fn small_image() -> Vec<u8> {
    let case = cps_update();
    encode(
        &case.image(
            case.goal
                .start
                .instance_named("sensor_0")
                .expect("sensor")
                .index(),
        ),
    )
}

#[test]
fn flipping_any_byte_or_bit_is_rejected() {
    for bytes in [
        small_image(),
        encode(&deploy("examples/openstack.blt", "1").image(0)),
    ] {
        for i in 0..bytes.len() {
            for mask in [0xFF, 0x01, 0x80] {
                let mut bad = bytes.clone();
                bad[i] ^= mask;
                assert!(decode(&bad).is_err(), "byte {i} ^ {mask:#x} accepted");
            }
        }
    }
}

#[test]
fn every_truncation_and_extension_is_rejected() {
    let bytes = small_image();
    for len in 0..bytes.len() {
        let err = decode(&bytes[..len]).expect_err("truncated file accepted");
        assert!(
            matches!(err, LoadError::Truncated | LoadError::BadMagic),
            "length {len}: {err}"
        );
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(matches!(decode(&longer), Err(LoadError::Malformed(_))));
    assert_eq!(decode(b"not bytecode"), Err(LoadError::BadMagic));
}

/// Re-frames `bytes` with a correct checksum.
fn reseal(mut bytes: Vec<u8>) -> Vec<u8> {
    let n = bytes.len() - 4;
    let crc = crc32(&bytes[..n]);
    bytes[n..].copy_from_slice(&crc.to_le_bytes());
    bytes
}

/// CRC-32 (IEEE), bit by bit: an oracle independent of the crate the
/// format uses.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[test]
fn another_version_is_reported_as_such() {
    let mut bytes = small_image();
    assert_eq!(
        reseal(bytes.clone()),
        bytes,
        "the checksum is CRC-32 (IEEE)"
    );
    bytes[4..6].copy_from_slice(&(FORMAT_VERSION + 1).to_le_bytes());
    assert_eq!(
        decode(&reseal(bytes)),
        Err(LoadError::UnsupportedVersion {
            found: FORMAT_VERSION + 1,
            supported: FORMAT_VERSION
        })
    );
}

/// Images with a correct frame and checksum but broken contents: the
/// validation itself rejects them.
#[test]
fn validation_rejects_bad_indices_behind_a_good_checksum() {
    let case = cps_update();
    let good = case.image(
        case.goal
            .start
            .instance_named("sensor_0")
            .expect("s")
            .index(),
    );
    let reject = |edit: &dyn Fn(&mut SiteImage)| {
        let mut image = good.clone();
        edit(&mut image);
        decode(&encode(&image)).expect_err("a broken image was accepted")
    };
    let out_of_range = |e: LoadError| matches!(e, LoadError::IndexOutOfRange { .. });
    let malformed = |e: LoadError| matches!(e, LoadError::Malformed(_));

    assert!(out_of_range(reject(&|i| {
        i.code
            .push(Instruction::PushB(InstanceId(99), BehaviorId(0)));
        i.debug.spans.push(None);
    })));
    assert!(out_of_range(reject(&|i| {
        i.code[0] = Instruction::PushB(InstanceId(1), BehaviorId(99));
    })));
    assert!(out_of_range(reject(&|i| i.tables.types[0].transitions
        [0]
    .dst = PlaceId(99))));
    assert!(out_of_range(reject(
        &|i| i.tables.instances[0].ty = ballet_runtime::TypeId(9)
    )));
    assert!(out_of_range(reject(&|i| i.tables.local_site = SiteId(9))));
    assert!(out_of_range(reject(&|i| i.tables.start_connections[0]
        .user
        .port = PortId(99))));
    assert!(out_of_range(reject(&|i| {
        if let Some(Some(span)) = i.debug.spans.first_mut() {
            span.file = 7;
        }
    })));
    assert!(malformed(reject(
        &|i| i.code[1] = Instruction::Wait(InstanceId(0), BehaviorId(0), 0)
    )));
    assert!(malformed(reject(&|i| i.tables.types[0].ports[0]
        .group
        .clear())));
    assert!(malformed(reject(&|i| i.tables.types[0].ports[0]
        .group
        .push(PlaceId(0)))));
    assert!(malformed(reject(&|i| i.tables.instances.swap(0, 1))));
    assert!(malformed(reject(&|i| i
        .debug
        .spans
        .pop()
        .map(drop)
        .unwrap_or(()))));
    assert!(malformed(reject(&|i| {
        let c = &mut i.tables.start_connections[0];
        std::mem::swap(&mut c.provider, &mut c.user);
    })));
    assert!(malformed(reject(&|i| {
        let ty = &mut i.tables.types[0];
        let t = ty.transitions[0].clone();
        ty.transitions.push(ballet_runtime::Transition {
            src: t.dst,
            dst: t.src,
            ..t
        });
        let id = ballet_runtime::TransitionId::from_index(ty.transitions.len() - 1);
        ty.behaviors[t.behavior.index()].transitions.push(id);
    })));
}

#[test]
fn disassembly_matches_the_golden_file() {
    let text = disassemble(&decode(&small_image()).expect("valid"));
    let golden = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/bytecode/cps_update_sensor_0.dump");
    if std::env::var_os("BLESS").is_some() {
        std::fs::write(&golden, &text).expect("write golden file");
        return;
    }
    let expected = std::fs::read_to_string(&golden)
        .unwrap_or_else(|e| panic!("{}: {e} (run with BLESS=1)", golden.display()));
    assert_eq!(
        text,
        expected,
        "disassembly differs from {}",
        golden.display()
    );
}
