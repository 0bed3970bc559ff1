//! End-to-end tests of `balletc fmt`: rewriting in place, `--check`,
//! standard input, and refusing files that do not parse.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

const MESSY: &str = "interface Sql\ncomponent Db{places off,on initial off running on // the end\nprovide sql:Sql at on}\n";
const TIDY: &str = "interface Sql\n\ncomponent Db {\n    places off, on\n    initial off\n    running on // the end\n    provide sql: Sql at on\n}\n";

fn balletc(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_balletc"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("balletc starts");
    let mut input = child.stdin.take().expect("stdin");
    input
        .write_all(stdin.unwrap_or("").as_bytes())
        .expect("write stdin");
    drop(input);
    child.wait_with_output().expect("balletc runs")
}

fn scratch(name: &str, files: &[(&str, &str)]) -> Vec<PathBuf> {
    let dir = std::env::temp_dir().join(format!("balletc-fmt-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch directory");
    files
        .iter()
        .map(|(file, text)| {
            let path = dir.join(file);
            std::fs::write(&path, text).expect("write scratch file");
            path
        })
        .collect()
}

fn text(path: &PathBuf) -> String {
    std::fs::read_to_string(path).expect("read back")
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn fmt_rewrites_files_in_place() {
    let paths = scratch("rewrite", &[("messy.blt", MESSY), ("tidy.blt", TIDY)]);
    let args: Vec<&str> = paths.iter().map(|p| p.to_str().expect("utf-8")).collect();
    let o = balletc(&[&["fmt"], args.as_slice()].concat(), None);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(text(&paths[0]), TIDY);
    assert_eq!(text(&paths[1]), TIDY);
    // No temporary file is left behind.
    let dir = paths[0].parent().expect("dir");
    assert_eq!(std::fs::read_dir(dir).expect("list").count(), 2);
}

#[test]
fn fmt_check_lists_files_that_would_change_and_writes_nothing() {
    let paths = scratch("check", &[("messy.blt", MESSY), ("tidy.blt", TIDY)]);
    let args: Vec<&str> = paths.iter().map(|p| p.to_str().expect("utf-8")).collect();
    let o = balletc(&[&["fmt", "--check"], args.as_slice()].concat(), None);
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    assert_eq!(out(&o), format!("{}\n", args[0]));
    assert_eq!(text(&paths[0]), MESSY);

    let o = balletc(&["fmt", "--check", args[1]], None);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(out(&o), "");
}

#[test]
fn fmt_refuses_a_file_with_syntax_errors_and_leaves_it_alone() {
    let broken = "component Db { places off initial: off }\n";
    let paths = scratch("broken", &[("broken.blt", broken)]);
    let path = paths[0].to_str().expect("utf-8");
    let o = balletc(&["fmt", "--color", "never", path], None);
    assert_eq!(o.status.code(), Some(1));
    assert!(err(&o).contains("error[E0004]"), "{}", err(&o));
    assert!(err(&o).contains("not formatted"), "{}", err(&o));
    assert!(!err(&o).contains("panicked"), "{}", err(&o));
    assert_eq!(text(&paths[0]), broken);
}

#[test]
fn fmt_formats_standard_input_to_standard_output() {
    let o = balletc(&["fmt"], Some(MESSY));
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(out(&o), TIDY);
    let o = balletc(&["fmt", "--check", "-"], Some(MESSY));
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(out(&o), "<stdin>\n");
}

#[test]
fn fmt_missing_file_fails() {
    let o = balletc(&["fmt", "/nonexistent/dir/x.blt"], None);
    assert_eq!(o.status.code(), Some(1));
    assert!(err(&o).contains("cannot read"), "{}", err(&o));
}
