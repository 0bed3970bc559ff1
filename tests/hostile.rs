//! Hostile and broken input: the bodies of the fuzz targets
//! (`tests/fuzz/fuzz_targets/`), the seeds of their corpora, and the inputs
//! they found (`tests/fuzz/regressions/<target>/`, replayed by
//! `tests/fuzz_regressions.rs`). Each target takes arbitrary bytes, runs the
//! code that reads such bytes for real, and panics only on a bug: a panic
//! inside the code under test, or a broken invariant checked here.

use std::collections::VecDeque;
use std::path::Path;
use std::sync::OnceLock;

use ballet_compiler::check::{analyze, Options};
use ballet_compiler::diagnostic::Diagnostics;
use ballet_compiler::load::{load_with, Origin};
use ballet_compiler::render::terminal;
use ballet_compiler::run::site_images;
use ballet_runtime::bytecode::{decode, disassemble, encode, SiteImage};
use ballet_runtime::net::{fuzzing, Outbox, PeerSnapshot, Snapshot};
use ballet_runtime::vm::{AgentMessage, Checkpoint, Fact, Output, SiteVm};
use ballet_runtime::{Connection, Endpoint, InstanceId, PortId, SiteId, TransitionId};

use crate::{example_goal, header_defines, Outcome};

/// A fuzz target: its name (the directory of its corpus and regressions)
/// and its body.
pub type Target = (&'static str, fn(&[u8]));

/// Every target, by name.
pub const TARGETS: [Target; 3] = [
    ("check", check_source),
    ("bytecode", load_bytecode),
    ("wire", wire),
];

/// The most steps a VM is driven for on one input (an image whose program
/// never ends must not hang the fuzzer).
const MAX_STEPS: usize = 2_000;

/// `balletc check` on a source text: load (imports of files are refused,
/// standard-library modules resolve), check with the `-D` values of its
/// header, render. Every label must lie inside its file; the formatter must
/// not panic either. Bytes that are not UTF-8 are refused by `balletc` before
/// the lexer, so they are skipped here.
pub fn check_source(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut diagnostics = Diagnostics::default();
    let mut no_files = |path: &Path| -> std::io::Result<String> {
        Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("{} is not read while fuzzing", path.display()),
        ))
    };
    let program = load_with(
        "fuzz.blt".into(),
        text.to_string(),
        Origin::Memory("fuzz.blt".into()),
        &mut no_files,
        &mut diagnostics,
    );
    let options = Options {
        defines: header_defines(text),
    };
    analyze(&program, &options, &mut diagnostics);
    let outcome = Outcome {
        program,
        diagnostics: diagnostics.into_sorted(),
    };
    if let Err(e) = outcome.spans_in_bounds() {
        panic!("{e}");
    }
    let _ = terminal::render_plain(&outcome.program.sources, &outcome.diagnostics);
    let _ = ballet_compiler::fmt::format(text);
}

/// A site agent loading a `.bltc` file: decode and validate it; an image
/// that loads must encode back to the same image, disassemble, and run in a
/// VM (every started transition ended at once, for a bounded number of
/// steps). The same bytes with their checksum made right are loaded too, so
/// that mutations reach the sections and the validation.
pub fn load_bytecode(data: &[u8]) {
    load_image(data);
    if let Some(at) = data.len().checked_sub(4) {
        let mut fixed = data.to_vec();
        let crc = crc32fast::hash(&fixed[..at]);
        fixed[at..].copy_from_slice(&crc.to_le_bytes());
        load_image(&fixed);
    }
}

fn load_image(bytes: &[u8]) {
    let Ok(image) = decode(bytes) else {
        return;
    };
    let again = decode(&encode(&image)).expect("an encoded image loads");
    assert!(again == image, "an image changes through encode and decode");
    let _ = disassemble(&image);
    let mut vm = SiteVm::new(image);
    let out = vm.start();
    drive(&mut vm, out);
}

/// Ends every transition the VM starts, at once, until it starts none or
/// [`MAX_STEPS`] were ended.
fn drive(vm: &mut SiteVm, out: Output) {
    let mut running: VecDeque<(InstanceId, TransitionId)> = out.start.into();
    for _ in 0..MAX_STEPS {
        let Some((i, t)) = running.pop_front() else {
            return;
        };
        running.extend(vm.transition_ended(i, t).start);
    }
}

/// What an agent reads from its peers and its disk, by the first byte:
/// 0, a connection's first bytes before authentication (frames, hello,
/// Noise handshake); 1, the decrypted messages of an authenticated peer
/// (reliable delivery: each payload at most once, in order); 2, a
/// `net.state` file; 3, an [`AgentMessage`] received by every site of a
/// running plan; 4, a VM checkpoint file restored on every site.
pub fn wire(data: &[u8]) {
    let Some((&kind, rest)) = data.split_first() else {
        return;
    };
    match kind % 5 {
        0 => {
            let (frames, _) = fuzzing::frames(rest, fuzzing::MAX_FRAME);
            check_frames(rest, &frames);
            assert!(
                fuzzing::accept(&frames).is_err(),
                "a handshake completed without a roster key"
            );
        }
        1 => {
            let (frames, _) = fuzzing::frames(rest, fuzzing::MAX_FRAME);
            check_frames(rest, &frames);
            let (delivered, _) = fuzzing::receive(&frames);
            for pair in delivered.windows(2) {
                assert!(
                    pair[0] < pair[1],
                    "payloads delivered twice or out of order: {delivered:?}"
                );
            }
        }
        2 => {
            if let Ok(snapshot) = fuzzing::restore(rest) {
                let again = Snapshot::from_bytes(&snapshot.to_bytes()).expect("a state reads");
                assert_eq!(again, snapshot, "a state file changes when read back");
            }
        }
        3 => {
            let Some(message) = AgentMessage::decode(rest) else {
                return;
            };
            assert_eq!(
                AgentMessage::decode(&message.encode()).as_ref(),
                Some(&message)
            );
            for vm in &sample_run().vms {
                let mut vm = vm.clone();
                let out = vm.receive(&message);
                drive(&mut vm, out);
            }
        }
        _ => {
            let Ok(checkpoint) = Checkpoint::decode(rest) else {
                return;
            };
            let again = Checkpoint::decode(&checkpoint.encode()).expect("a checkpoint reads");
            assert!(again == checkpoint, "a checkpoint changes when read back");
            for image in &sample_run().images {
                if let Ok(mut vm) = SiteVm::restore(image.clone(), checkpoint.clone()) {
                    let running = vm.resume();
                    let mut out = vm.start();
                    out.start.extend(running);
                    drive(&mut vm, out);
                }
            }
        }
    }
}

/// Every frame fits the limit and the frames fit in the bytes they came from.
fn check_frames(bytes: &[u8], frames: &[Vec<u8>]) {
    let mut used = 0;
    for f in frames {
        assert!(f.len() <= fuzzing::MAX_FRAME, "a frame over the limit");
        used += 4 + f.len();
    }
    assert!(used <= bytes.len(), "frames longer than their bytes");
}

/// The CPS update (n = 2) run in process, every transition ending at once:
/// its images, its VMs after `start`, and every message and a checkpoint of
/// every site after every step.
pub struct SampleRun {
    /// The site images.
    pub images: Vec<SiteImage>,
    /// One VM per site, started.
    pub vms: Vec<SiteVm>,
    /// Every message sent, encoded.
    pub messages: Vec<Vec<u8>>,
    /// Checkpoints taken along the run, encoded.
    pub checkpoints: Vec<Vec<u8>>,
}

/// The [`SampleRun`], made once.
pub fn sample_run() -> &'static SampleRun {
    static RUN: OnceLock<SampleRun> = OnceLock::new();
    RUN.get_or_init(|| {
        let (model, goal) = example_goal("examples/cps.blt", "update", &[("n", "2")]);
        let planned = ballet_compiler::plan::plan(&model, &goal).expect("the CPS update plans");
        let images = site_images(&model, &planned);
        let mut vms: Vec<SiteVm> = images.iter().cloned().map(SiteVm::new).collect();
        let mut events = VecDeque::new();
        for (s, vm) in vms.iter_mut().enumerate() {
            events.push_back((s, vm.start()));
        }
        let started = vms.clone();
        let (mut messages, mut checkpoints) = (Vec::new(), Vec::new());
        while let Some((s, out)) = events.pop_front() {
            checkpoints.push(vms[s].checkpoint().encode());
            for (i, t) in out.start {
                let next = vms[s].transition_ended(i, t);
                events.push_back((s, next));
            }
            for (to, message) in out.send {
                messages.push(message.encode());
                let next = vms[to.index()].receive(&message);
                events.push_back((to.index(), next));
            }
        }
        assert!(vms.iter().all(SiteVm::done), "the sample run ends");
        SampleRun {
            images,
            vms: started,
            messages,
            checkpoints,
        }
    })
}

/// The seed corpus of every target, as `(target, file name, bytes)`: every
/// `.blt` file of the examples, the standard library and the fixtures; the
/// site images of the examples' plans (the bytes `balletc build` writes);
/// frames, messages, state files and checkpoints made by the encoders.
pub fn seeds(root: &Path) -> Vec<(&'static str, String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut dirs = vec![
        root.join("examples"),
        root.join("stdlib"),
        root.join("tests/fixtures"),
    ];
    let mut sources = Vec::new();
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("a fixture directory") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "blt") {
                sources.push(path);
            }
        }
    }
    sources.sort();
    for path in sources {
        let name = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .display()
            .to_string();
        let bytes = std::fs::read(&path).expect("a readable fixture");
        out.push(("check", name.replace('/', "_"), bytes));
    }
    let plans = [
        ("examples/cps.blt", "deploy", "1"),
        ("examples/cps.blt", "update", "2"),
        ("examples/openstack.blt", "deploy", "1"),
        ("examples/openstack.blt", "update", "1"),
    ];
    for (path, goal, n) in plans {
        let (model, g) = example_goal(path, goal, &[("n", n)]);
        let planned = ballet_compiler::plan::plan(&model, &g).expect("the example plans");
        for (s, image) in site_images(&model, &planned).iter().enumerate() {
            let stem = Path::new(path)
                .file_stem()
                .unwrap_or_default()
                .to_string_lossy();
            out.push(("bytecode", format!("{stem}_{goal}_{s}.bltc"), encode(image)));
        }
    }
    let wire = |kind: u8, body: &[u8]| [&[kind][..], body].concat();
    let hello = ballet_runtime::net::Hello::ours().encode();
    let mut handshake = frame(&hello);
    handshake.extend(frame(&[0x55; 32]));
    handshake.extend(frame(&[0xAA; 96]));
    out.push(("wire", "hello".into(), wire(0, &frame(&hello))));
    out.push(("wire", "handshake".into(), wire(0, &handshake)));
    for (k, stream) in fuzzing::sample_streams().iter().enumerate() {
        out.push(("wire", format!("stream_{k}"), wire(1, stream)));
    }
    let mut outbox = Outbox::new(42);
    for p in 0..3u8 {
        outbox.push(vec![p; 5]);
    }
    let snapshot = Snapshot {
        site: SiteId(0),
        epoch: 42,
        peers: vec![PeerSnapshot {
            peer: SiteId(1),
            outbox,
            peer_epoch: 7,
            delivered: 12,
        }],
    };
    out.push(("wire", "state".into(), wire(2, &snapshot.to_bytes())));
    let run = sample_run();
    for (k, m) in run.messages.iter().enumerate() {
        out.push(("wire", format!("message_{k}"), wire(3, m)));
    }
    // Facts the CPS run does not send (`connect_late`, `two_providers`).
    let connection = Connection {
        provider: Endpoint {
            instance: InstanceId(0),
            port: PortId(0),
        },
        user: Endpoint {
            instance: InstanceId(1),
            port: PortId(1),
        },
    };
    for (name, fact) in [
        (
            "connected",
            Fact::Connected {
                connection,
                count: 1,
            },
        ),
        (
            "revoke",
            Fact::Revoke {
                connection,
                number: 2,
            },
        ),
    ] {
        let m = AgentMessage {
            from: SiteId(1),
            fact,
        };
        out.push(("wire", format!("message_{name}"), wire(3, &m.encode())));
    }
    for (k, c) in run.checkpoints.iter().enumerate().step_by(5) {
        out.push(("wire", format!("checkpoint_{k}"), wire(4, c)));
    }
    out
}

/// A frame: 4-byte big-endian length, then `body`.
fn frame(body: &[u8]) -> Vec<u8> {
    let len = u32::try_from(body.len()).unwrap_or(u32::MAX);
    [&len.to_be_bytes()[..], body].concat()
}
