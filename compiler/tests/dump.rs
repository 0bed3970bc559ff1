//! End-to-end tests of `balletc dump` on files written by
//! `ballet_compiler::build::write_build`.

use std::path::{Path, PathBuf};

use ballet_compiler::build::write_build;
use ballet_compiler::check::{analyze, Options};
use ballet_compiler::diagnostic::Diagnostics;
use ballet_compiler::load::load_path;
use ballet_runtime::inventory::parse_inventory;
use ballet_runtime::program::{Instruction, Plan, Universe};
use ballet_runtime::InstanceId;

mod common;

use common::{assert_exit, balletc, scratch, ROOT};

/// Builds the CPS deploy plan (push `deploy` everywhere) into `dir`.
fn build_cps_deploy(dir: &Path) -> Vec<PathBuf> {
    let mut diagnostics = Diagnostics::default();
    let program =
        load_path(&Path::new(ROOT).join("examples/cps.blt"), &mut diagnostics).expect("example");
    let analysis = analyze(&program, &Options::default(), &mut diagnostics);
    assert!(!diagnostics.has_errors());
    let goal = analysis.goal("deploy").expect("deploy goal");
    let model = &analysis.model;
    let a = &goal.start;
    let mut programs = vec![Vec::new(); a.sites.len()];
    for (i, inst) in a.instances.iter().enumerate() {
        let b = model.ty(inst.ty).behavior_named("deploy").expect("deploy");
        programs[inst.site.index()].push(Instruction::PushB(InstanceId::from_index(i), b));
    }
    let plan = Plan {
        universe: Universe {
            sites: a.sites.clone(),
            instances: a.instances.clone(),
        },
        programs,
    };
    let start: Vec<_> = goal.start_places.iter().copied().map(Some).collect();
    write_build(dir, model, &plan, &start, &a.connections, &[], 7400).expect("build written")
}

#[test]
fn build_writes_one_file_per_site_and_the_inventory() {
    let dir = scratch("files");
    let written = build_cps_deploy(&dir);
    let names: Vec<String> = written
        .iter()
        .map(|p| p.file_name().expect("name").to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        [
            "database.bltc",
            "system.bltc",
            "sensor_0.bltc",
            "inventory.toml"
        ]
    );
    let inventory = std::fs::read_to_string(dir.join("inventory.toml")).expect("inventory");
    assert_eq!(
        parse_inventory(&inventory),
        Ok(vec![
            ("database".into(), "127.0.0.1:7400".into()),
            ("system".into(), "127.0.0.1:7401".into()),
            ("sensor_0".into(), "127.0.0.1:7402".into()),
        ])
    );
    let leftovers = std::fs::read_dir(&dir)
        .expect("dir")
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        })
        .count();
    assert_eq!(leftovers, 0, "temporary files left behind");
}

#[test]
fn dump_prints_the_disassembly() {
    let dir = scratch("ok");
    build_cps_deploy(&dir);
    let file = dir.join("sensor_0.bltc").display().to_string();
    let o = balletc(&["dump", &file]);
    assert_exit(&o, 0);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.starts_with("; ballet site image, format version 1\nsite sensor_0"),
        "{out}"
    );
    assert!(out.contains("0000  pushB(listener_0, deploy)\n"), "{out}");
    assert!(out.contains("0001  pushB(sensor_0, deploy)\n"), "{out}");
}

#[test]
fn dump_rejects_a_corrupted_file_with_exit_1() {
    let dir = scratch("bad");
    build_cps_deploy(&dir);
    let path = dir.join("database.bltc");
    let mut bytes = std::fs::read(&path).expect("read");
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x10;
    std::fs::write(&path, bytes).expect("write");
    let o = balletc(&["dump", &path.display().to_string()]);
    assert_exit(&o, 1);
    assert!(o.stdout.is_empty());
    assert!(String::from_utf8_lossy(&o.stderr).contains("corrupted"));

    let o = balletc(&["dump", "examples/cps.blt"]);
    assert_exit(&o, 1);
    assert!(String::from_utf8_lossy(&o.stderr).contains("not a Ballet bytecode file"));

    let o = balletc(&["dump", &dir.join("missing.bltc").display().to_string()]);
    assert_exit(&o, 1);
    assert!(String::from_utf8_lossy(&o.stderr).contains("cannot read"));
}

#[test]
fn dump_without_a_file_is_a_usage_error() {
    assert_exit(&balletc(&["dump"]), 2);
}
