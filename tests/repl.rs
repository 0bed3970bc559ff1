//! One test per REPL script under `fixtures/repl/`: each line is given to
//! `Session::eval` and the transcript (`> line` then the output) must equal
//! the golden `.out` file beside it (`BLESS=1` regenerates them). `$OUT` in a
//! script names a scratch directory (and is shown as `$OUT`). Multi-line
//! input is joined while a `(` is open, as the front end does.

use std::path::Path;

use ballet_compiler::repl::{is_complete, Session};

/// The workspace root, where `examples/` lives.
const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

fn transcript(script: &str, out_dir: &Path) -> String {
    let out_dir = out_dir.display().to_string();
    let mut session = Session::new(ROOT);
    let mut transcript = String::new();
    let mut pending = String::new();
    for line in script.lines() {
        transcript.push_str(&format!("> {line}\n"));
        if !pending.is_empty() {
            pending.push('\n');
        }
        pending.push_str(line);
        if !is_complete(&pending) {
            continue;
        }
        let input = std::mem::take(&mut pending).replace("$OUT", &out_dir);
        transcript.push_str(&session.eval(&input).replace(&out_dir, "$OUT"));
    }
    if !pending.is_empty() {
        transcript.push_str(&session.eval(&pending));
    }
    transcript
}

fn repl_script(path: &Path, script: String) -> datatest_stable::Result<()> {
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("script");
    let out_dir = std::env::temp_dir().join(format!("ballet-repl-{}-{stem}", std::process::id()));
    std::fs::create_dir_all(&out_dir)?;
    let actual = transcript(&script, &out_dir);
    // A chart asked for must exist and be an SVG document.
    for line in script.lines().filter(|l| l.starts_with(":gantt ")) {
        let file = line[":gantt ".len()..]
            .trim()
            .replace("$OUT", &out_dir.display().to_string());
        let svg = std::fs::read_to_string(&file)?;
        if !svg.contains("<svg") || !svg.trim_end().ends_with("</svg>") {
            return Err(format!("{file} is not an SVG document").into());
        }
    }
    let _ = std::fs::remove_dir_all(&out_dir);
    Ok(ballet_tests::golden(&path.with_extension("out"), &actual)?)
}

datatest_stable::harness! {
    { test = repl_script, root = "fixtures/repl", pattern = r"\.repl$" },
}
