//! Every diagnostic code has a fixture that shows it, and an explanation.

use std::collections::BTreeSet;
use std::path::Path;

use ballet_compiler::Code;

fn fixture_outputs(dir: &Path, out: &mut String) {
    for entry in std::fs::read_dir(dir).expect("fixture directory") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            fixture_outputs(&path, out);
        } else if path.extension().is_some_and(|e| e == "out") {
            out.push_str(&std::fs::read_to_string(&path).expect("golden file"));
        }
    }
}

#[test]
fn every_code_has_a_fixture() {
    let mut all = String::new();
    fixture_outputs(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures"),
        &mut all,
    );
    let missing: BTreeSet<&str> = Code::ALL
        .iter()
        .map(|c| c.as_str())
        .filter(|c| !all.contains(&format!("[{c}]")))
        .collect();
    assert!(missing.is_empty(), "codes without a fixture: {missing:?}");
}

#[test]
fn every_code_is_explained() {
    for code in Code::ALL {
        assert!(
            code.explanation().len() > 40,
            "{code} has no real explanation"
        );
        assert_eq!(Code::parse(code.as_str()), Some(*code));
    }
}
