//! Benchmark: diagnostics of a 5,000-line document after a change, the way
//! `balletc lsp` computes them (load, check, place in the document), first
//! through the library, then end to end through the real server: the time
//! from sending `didChange` to receiving `publishDiagnostics`. Prints the
//! medians.
//!
//! Run: `cargo bench -p ballet-compiler --bench lsp_diagnostics`.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ballet_compiler::ide::position::LineIndex;
use ballet_compiler::ide::World;

const RUNS: usize = 21;

/// A document of exactly `lines` lines: component types, one assembly using
/// them, one goal; `broken` puts an unknown place in the first type.
fn document(lines: usize, broken: bool) -> String {
    let mut out = String::from("interface Link\n\n");
    let mut types = 0;
    // Each type is 12 lines; the assembly takes 2 lines per instance.
    while out.lines().count() + 12 + 10 + 2 * (types + 1) < lines {
        let running = if broken && types == 0 {
            "runnin"
        } else {
            "running"
        };
        out.push_str(&format!(
            "component T{types} {{\n    places off, ready, running, stopped\n    initial off\n    running {running}\n    behavior deploy {{\n        prepare: off -> ready cost 2\n        start: ready -> running cost 1.5 run \"start {{site}}\"\n    }}\n    behavior stop {{ stop: running -> stopped }}\n    provide out: Link at running\n    use input: Link at running, ready\n}}\n"
        ));
        types += 1;
    }
    out.push_str("\nassembly big {\n");
    for t in 0..types {
        out.push_str(&format!("    site s{t} {{ i{t}: T{t} }}\n"));
    }
    for t in 0..types {
        out.push_str(&format!(
            "    connect i{t}.out -> i{}.input\n",
            (t + 1) % types
        ));
    }
    out.push_str("}\n\ngoal deploy for big {\n    start initial\n    all running\n}\n");
    while out.lines().count() < lines {
        out.push_str("// padding\n");
    }
    out
}

fn median(mut times: Vec<Duration>) -> f64 {
    times.sort();
    times[times.len() / 2].as_secs_f64() * 1e3
}

fn library(path: &Path, texts: &[String; 2]) -> f64 {
    let mut world = World::new();
    let mut times = Vec::new();
    for run in 0..RUNS {
        let text = &texts[run % 2];
        let start = Instant::now();
        world.set(path.to_path_buf(), text.clone());
        let analysis = world.analyze(path).expect("open document");
        let index = LineIndex::new(analysis.text(analysis.root()));
        let placed: Vec<_> = analysis
            .root_diagnostics()
            .iter()
            .map(|d| index.line_col(analysis.text(analysis.root()), d.span.start as usize))
            .collect();
        times.push(start.elapsed());
        assert_eq!(placed.is_empty(), run % 2 == 1, "diagnostics of run {run}");
    }
    median(times)
}

fn send(stdin: &mut impl Write, message: serde_json::Value) {
    let body = message.to_string();
    write!(stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).expect("write");
    stdin.flush().expect("flush");
}

fn receive(reader: &mut impl BufRead) -> serde_json::Value {
    let mut length = 0;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).expect("header");
        match line.trim_end() {
            "" => break,
            l => {
                if let Some(n) = l.strip_prefix("Content-Length: ") {
                    length = n.parse().expect("length");
                }
            }
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).expect("body");
    serde_json::from_slice(&body).expect("json")
}

fn end_to_end(path: &Path, texts: &[String; 2]) -> f64 {
    let mut child = Command::new(env!("CARGO_BIN_EXE_balletc"))
        .arg("lsp")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("balletc lsp starts");
    let mut stdin = child.stdin.take().expect("stdin");
    let mut reader = BufReader::new(child.stdout.take().expect("stdout"));
    let uri = format!("file://{}", path.display());
    let id = |n: u32| serde_json::json!(n);
    send(
        &mut stdin,
        serde_json::json!({"jsonrpc": "2.0", "id": id(1), "method": "initialize", "params": {"capabilities": {}}}),
    );
    receive(&mut reader);
    send(
        &mut stdin,
        serde_json::json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}),
    );
    send(
        &mut stdin,
        serde_json::json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {
        "textDocument": {"uri": uri, "languageId": "ballet", "version": 0, "text": texts[1]}}}),
    );
    receive(&mut reader);
    let mut times = Vec::new();
    for run in 0..RUNS {
        let text = &texts[run % 2];
        let start = Instant::now();
        send(
            &mut stdin,
            serde_json::json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
            "textDocument": {"uri": uri, "version": run + 1}, "contentChanges": [{"text": text}]}}),
        );
        let published = receive(&mut reader);
        times.push(start.elapsed());
        let count = published["params"]["diagnostics"]
            .as_array()
            .map_or(0, Vec::len);
        assert_eq!(count == 0, run % 2 == 1, "diagnostics of run {run}");
    }
    send(
        &mut stdin,
        serde_json::json!({"jsonrpc": "2.0", "id": id(2), "method": "shutdown"}),
    );
    receive(&mut reader);
    send(
        &mut stdin,
        serde_json::json!({"jsonrpc": "2.0", "method": "exit"}),
    );
    let _ = child.wait();
    median(times)
}

fn main() {
    let texts = [document(5_000, true), document(5_000, false)];
    let lines = texts[0].lines().count();
    let path = PathBuf::from("/nonexistent-balletc-bench/big.blt");
    let lib = library(&path, &texts);
    let e2e = end_to_end(&path, &texts);
    println!(
        "lsp diagnostics of a {lines}-line document after a change: library median {lib:.1} ms, \
         end to end (didChange -> publishDiagnostics) median {e2e:.1} ms over {RUNS} changes (target: < 50 ms)"
    );
}
