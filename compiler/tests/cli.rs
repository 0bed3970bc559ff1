//! End-to-end tests of the `balletc` binary: exit codes, where things are
//! printed, the JSON format, and robustness against hostile input.

use std::collections::BTreeSet;
use std::process::Output;

mod common;

use common::{assert_exit, balletc, scratch, stderr, stdout, ROOT};

#[track_caller]
fn assert_no_panic(o: &Output) {
    assert!(
        !stderr(o).contains("panicked"),
        "balletc panicked:\n{}",
        stderr(o)
    );
}

/// Writes `bytes` to a scratch file and returns its path as a string.
fn write_file(name: &str, bytes: &[u8]) -> String {
    let path = scratch(name).join("input.blt");
    std::fs::write(&path, bytes).expect("write scratch file");
    path.display().to_string()
}

/// The codes (`E0203`, `W0001`) of the `error[CODE]` / `warning[CODE]` headers
/// of a text report.
fn reported_codes(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| {
            let rest = l
                .strip_prefix("error[")
                .or_else(|| l.strip_prefix("warning["))?;
            rest.split_once(']').map(|(code, _)| code.to_string())
        })
        .collect()
}

/// The numbers of the summary line `FILE: N errors, M warnings` (or `FILE: ok`).
fn summary_counts(text: &str) -> (usize, usize) {
    let line = text.lines().last().unwrap_or_default();
    if line.ends_with(": ok") {
        return (0, 0);
    }
    let numbers: Vec<usize> = line
        .rsplit(": ")
        .next()
        .unwrap_or_default()
        .split(", ")
        .map(|part| {
            part.split_whitespace()
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("bad summary line: {line}"))
        })
        .collect();
    assert_eq!(numbers.len(), 2, "bad summary line: {line}");
    (numbers[0], numbers[1])
}

// ---------------------------------------------------------------- check

#[test]
fn check_openstack_example_succeeds() {
    let o = balletc(&["check", "examples/openstack.blt"]);
    assert_exit(&o, 0);
    assert_no_panic(&o);
    assert!(
        reported_codes(&stderr(&o))
            .iter()
            .all(|c| c.starts_with('W')),
        "{}",
        stderr(&o)
    );
}

#[test]
fn check_openstack_example_with_define_succeeds() {
    let o = balletc(&["check", "-D", "n=50", "examples/openstack.blt"]);
    assert_exit(&o, 0);
    assert_no_panic(&o);
}

#[test]
fn check_every_example_succeeds() {
    for entry in std::fs::read_dir(format!("{ROOT}/examples")).expect("examples") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "blt") {
            let o = balletc(&["check", &path.display().to_string()]);
            assert_exit(&o, 0);
        }
    }
}

#[test]
fn check_broken_fixture_fails_with_its_code_on_stderr() {
    let o = balletc(&[
        "check",
        "tests/fixtures/check/errors/E0203_behavior_cycle.blt",
    ]);
    assert_exit(&o, 1);
    assert_no_panic(&o);
    let err = stderr(&o);
    assert!(err.contains("error[E0203]"), "{err}");
    assert!(err.contains("E0203_behavior_cycle.blt:6:14"), "{err}");
    assert!(stdout(&o).is_empty(), "text reports go to stderr");
    assert_eq!(summary_counts(&err), (1, 0));
}

#[test]
fn check_warnings_only_succeeds() {
    let o = balletc(&[
        "check",
        "tests/fixtures/check/errors/W0001_unreachable_place.blt",
    ]);
    assert_exit(&o, 0);
    assert!(stderr(&o).contains("warning[W0001]"), "{}", stderr(&o));
}

#[test]
fn check_color_never_has_no_escape_codes() {
    let o = balletc(&[
        "check",
        "--color",
        "never",
        "tests/fixtures/check/errors/ten_mistakes.blt",
    ]);
    assert_exit(&o, 1);
    assert!(!stderr(&o).contains('\u{1b}'), "{}", stderr(&o));
}

// ---------------------------------------------------------------- JSON

const JSON_KEYS: &[&str] = &[
    "code",
    "severity",
    "message",
    "file",
    "line",
    "column",
    "end_line",
    "end_column",
    "start",
    "end",
    "labels",
    "notes",
    "help",
];

/// Parses JSON-lines output: one object per non-empty line, each with exactly
/// the documented keys.
#[track_caller]
fn json_lines(text: &str) -> Vec<serde_json::Map<String, serde_json::Value>> {
    text.lines()
        .map(|line| {
            let value: serde_json::Value =
                serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
            let object = value
                .as_object()
                .unwrap_or_else(|| panic!("not an object: {line}"))
                .clone();
            let keys: BTreeSet<&str> = object.keys().map(String::as_str).collect();
            let expected: BTreeSet<&str> = JSON_KEYS.iter().copied().collect();
            assert_eq!(keys, expected, "keys of {line}");
            object
        })
        .collect()
}

#[test]
fn check_json_prints_one_object_per_diagnostic() {
    let file = "tests/fixtures/check/errors/ten_mistakes.blt";
    let text = balletc(&["check", file]);
    let (errors, warnings) = summary_counts(&stderr(&text));

    let o = balletc(&["check", "--format", "json", file]);
    assert_exit(&o, 1);
    assert_no_panic(&o);
    let out = stdout(&o);
    assert!(out.ends_with('\n'), "every object ends its line");
    let objects = json_lines(&out);
    assert_eq!(objects.len(), errors + warnings, "{out}");
    assert_eq!(objects.len(), reported_codes(&stderr(&text)).len());

    for o in &objects {
        let code = o["code"].as_str().expect("code is a string");
        let severity = o["severity"].as_str().expect("severity is a string");
        match severity {
            "error" => assert!(code.starts_with('E'), "{code} is an error"),
            "warning" => assert!(code.starts_with('W'), "{code} is a warning"),
            other => panic!("unknown severity {other}"),
        }
        assert!(!o["message"].as_str().expect("message").is_empty());
        assert!(o["file"]
            .as_str()
            .expect("file")
            .ends_with("ten_mistakes.blt"));
        let line = o["line"].as_u64().expect("line");
        let end_line = o["end_line"].as_u64().expect("end_line");
        assert!(line >= 1 && end_line >= line);
        assert!(o["column"].as_u64().expect("column") >= 1);
        assert!(o["end_column"].as_u64().expect("end_column") >= 1);
        assert!(o["start"].as_u64().expect("start") <= o["end"].as_u64().expect("end"));
        for label in o["labels"].as_array().expect("labels") {
            for key in ["file", "line", "column", "start", "end", "message"] {
                assert!(label.get(key).is_some(), "label without {key}: {label}");
            }
        }
        assert!(o["notes"].is_array());
        assert!(o["help"].is_null() || o["help"].is_string());
    }
    let json_codes: Vec<&str> = objects
        .iter()
        .map(|o| o["code"].as_str().unwrap())
        .collect();
    let text_codes = reported_codes(&stderr(&text));
    assert_eq!(json_codes, text_codes, "same diagnostics in the same order");
}

#[test]
fn check_json_of_a_valid_file_prints_nothing() {
    let o = balletc(&[
        "check",
        "--format",
        "json",
        "tests/fixtures/check/valid/hello.blt",
    ]);
    assert_exit(&o, 0);
    assert!(stdout(&o).trim().is_empty(), "{}", stdout(&o));
}

#[test]
fn check_json_diagnostic_without_place_has_null_position() {
    let o = balletc(&[
        "check",
        "--format",
        "json",
        "-D",
        "nonexistent=1",
        "tests/fixtures/check/valid/hello.blt",
    ]);
    assert_exit(&o, 1);
    let objects = json_lines(&stdout(&o));
    assert_eq!(objects.len(), 1, "{}", stdout(&o));
    assert_eq!(objects[0]["code"], "E0311");
    for key in [
        "file",
        "line",
        "column",
        "end_line",
        "end_column",
        "start",
        "end",
    ] {
        assert!(objects[0][key].is_null(), "{key} should be null");
    }
}

// ---------------------------------------------------------------- files

#[test]
fn check_missing_file_fails() {
    let o = balletc(&["check", "tests/fixtures/check/does_not_exist.blt"]);
    assert_exit(&o, 1);
    assert_no_panic(&o);
    assert!(stderr(&o).contains("does_not_exist.blt"), "{}", stderr(&o));
}

#[test]
fn check_directory_fails() {
    let o = balletc(&["check", "examples"]);
    assert_exit(&o, 1);
    assert_no_panic(&o);
}

#[test]
fn check_non_utf8_file_fails_without_panic() {
    let path = write_file("non-utf8", b"component Db {\n    places \xff\xfe, on\n}\n");
    let o = balletc(&["check", &path]);
    assert_exit(&o, 1);
    assert_no_panic(&o);
    assert!(stderr(&o).contains("UTF-8"), "{}", stderr(&o));
}

/// A deterministic pseudo-random byte stream (xorshift), so failures replay.
fn random_bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

#[test]
fn check_random_bytes_fails_without_panic() {
    for seed in 1..=8u64 {
        let path = write_file(&format!("random-{seed}"), &random_bytes(seed, 4096));
        for format in ["text", "json"] {
            let o = balletc(&["check", "--format", format, &path]);
            assert_exit(&o, 1);
            assert_no_panic(&o);
        }
    }
}

#[test]
fn check_random_ascii_fails_without_panic() {
    // Valid UTF-8, so it reaches the lexer and the parser.
    const ALPHABET: &[u8] =
        b"abc_{}()[],.:;=-><+*/%\"\\ \n\t0123456789 component places site for in on";
    for seed in 1..=16u64 {
        let text: Vec<u8> = random_bytes(seed, 2048)
            .into_iter()
            .map(|b| ALPHABET[b as usize % ALPHABET.len()])
            .collect();
        let path = write_file(&format!("ascii-{seed}"), &text);
        let o = balletc(&["check", &path]);
        assert_no_panic(&o);
        assert!(matches!(o.status.code(), Some(0 | 1)), "{}", stderr(&o));
    }
}

#[test]
fn check_empty_file_succeeds() {
    let path = write_file("empty", b"");
    let o = balletc(&["check", &path]);
    assert_exit(&o, 0);
    assert_no_panic(&o);
}

// ---------------------------------------------------------------- usage

#[test]
fn unknown_flag_is_a_usage_error() {
    let o = balletc(&["check", "--frobnicate", "examples/openstack.blt"]);
    assert_exit(&o, 2);
    assert!(stderr(&o).contains("--frobnicate"), "{}", stderr(&o));
}

#[test]
fn missing_argument_is_a_usage_error() {
    assert_exit(&balletc(&["check"]), 2);
    assert_exit(&balletc(&[]), 2);
    assert_exit(&balletc(&["explain"]), 2);
}

#[test]
fn unknown_subcommand_is_a_usage_error() {
    assert_exit(&balletc(&["frobnicate"]), 2);
}

#[test]
fn unknown_format_is_a_usage_error() {
    let o = balletc(&["check", "--format", "xml", "examples/openstack.blt"]);
    assert_exit(&o, 2);
}

#[test]
fn help_and_version_succeed() {
    let o = balletc(&["--help"]);
    assert_exit(&o, 0);
    assert!(stdout(&o).contains("check"), "{}", stdout(&o));
    assert_exit(&balletc(&["--version"]), 0);
}

#[test]
fn define_without_equals_is_a_usage_error() {
    let o = balletc(&["check", "-D", "nonsense", "examples/openstack.blt"]);
    assert_exit(&o, 2);
    assert!(stderr(&o).contains("nonsense"), "{}", stderr(&o));
}

#[test]
fn define_with_empty_name_is_a_usage_error() {
    let o = balletc(&["check", "-D", "=3", "examples/openstack.blt"]);
    assert_exit(&o, 2);
}

#[test]
fn define_of_wrong_type_is_e0313() {
    let o = balletc(&["check", "-D", "n=abc", "examples/openstack.blt"]);
    assert_exit(&o, 1);
    assert_no_panic(&o);
    assert!(stderr(&o).contains("error[E0313]"), "{}", stderr(&o));
}

#[test]
fn define_of_unknown_parameter_is_e0311() {
    let o = balletc(&["check", "-D", "m=3", "examples/openstack.blt"]);
    assert_exit(&o, 1);
    assert!(stderr(&o).contains("error[E0311]"), "{}", stderr(&o));
}

#[test]
fn define_of_zero_is_an_empty_range() {
    let o = balletc(&["check", "-D", "n=0", "examples/openstack.blt"]);
    assert_exit(&o, 1);
    assert!(stderr(&o).contains("error[E0314]"), "{}", stderr(&o));
}

// ---------------------------------------------------------------- explain

#[test]
fn explain_prints_the_explanation() {
    let o = balletc(&["explain", "E0203"]);
    assert_exit(&o, 0);
    let out = stdout(&o);
    assert!(out.starts_with("E0203: cycle inside a behavior"), "{out}");
    assert!(out.contains("directed acyclic graph"), "{out}");
}

#[test]
fn explain_is_case_insensitive() {
    let o = balletc(&["explain", "w0001"]);
    assert_exit(&o, 0);
    assert!(stdout(&o).starts_with("W0001:"), "{}", stdout(&o));
}

#[test]
fn explain_list_names_every_code() {
    let o = balletc(&["explain", "list"]);
    assert_exit(&o, 0);
    let out = stdout(&o);
    for code in ballet_compiler::Code::ALL {
        assert!(out.contains(code.as_str()), "{code} missing from the list");
    }
}

#[test]
fn explain_unknown_code_is_a_usage_error() {
    let o = balletc(&["explain", "E9999"]);
    assert_exit(&o, 2);
    assert!(stderr(&o).contains("E9999"), "{}", stderr(&o));
}

// ---------------------------------------------------------------- many mistakes

/// Ten distinct mistakes in one file, one per line of the table below, are
/// all reported, each with its own code: the checker does not stop at the
/// first problem.
#[test]
fn ten_distinct_mistakes_give_ten_distinct_codes() {
    let text = r#"
interface Sql
interface Sql                       // E0103: defined twice

component Db {
    places off, on, on              // E0201: duplicate place
    initial off
    running on
    behavior deploy {
        boot: off -> on
        back: on -> off             // E0203: cycle inside `deploy`
    }
    provide sql: Sqll at on         // E0104: unknown interface
    provide web: Sql                // E0210: empty port group
}

component App {
    places off, up
    initial off
    running up
    behavior deploy { go: off -> up run "ssh {host} start" }   // E0211: unknown placeholder
    use db: Sql at up
}

assembly demo(n: integer = 1) {     // E0318: unknown parameter type
    site s { db: Db  app: App }
    connect db.sql -> app.db
}

assembly other {
    site s { x: App }
    connect nobody.sql -> x.db      // E0303: unknown instance
}

goal g for dmeo {                   // E0106: unknown assembly
    all running
}

goal h for other {
    start running
    behavior x.upgrade              // E0402: unknown behavior
}
"#;
    let path = write_file("ten-mistakes", text.as_bytes());
    let o = balletc(&["check", "--format", "json", &path]);
    assert_exit(&o, 1);
    assert_no_panic(&o);
    let objects = json_lines(&stdout(&o));
    let errors: BTreeSet<String> = objects
        .iter()
        .filter(|o| o["severity"] == "error")
        .map(|o| o["code"].as_str().unwrap().to_string())
        .collect();
    let expected: BTreeSet<String> = [
        "E0103", "E0201", "E0203", "E0104", "E0210", "E0211", "E0318", "E0303", "E0106", "E0402",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(errors, expected, "{}", stdout(&o));
}
