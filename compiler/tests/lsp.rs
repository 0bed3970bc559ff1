//! End to end: start the real `balletc lsp`, speak JSON-RPC to it with
//! `Content-Length` framing, and compare every answer with the golden
//! transcript `snapshots/lsp_session.json` (`BLESS=1` rewrites it).

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::Duration;

use serde_json::{json, Value};

/// How long any one answer may take.
const TIMEOUT: Duration = Duration::from_secs(20);

const LIB: &str = "interface Sql\n\ncomponent Db {\n    places off, serving\n    initial off\n    running serving\n    behavior deploy { start: off -> serving cost 2 run \"start {site}\" }\n    provide sql: Sql at serving\n}\n";

const MAIN_BROKEN: &str = "import \"lib.blt\"\n\ncomponent App {\n    places off, up\n    initial off\n    running upp\n    behavior deploy { launch: off -> up }\n    use db: Sql at up\n}\n";

const MAIN: &str = "import \"lib.blt\"\n\n// é😀: positions count UTF-16 units\ncomponent App {\n    places off, up\n    initial off\n    running up\n    behavior deploy { launch: off -> up }\n    /* é😀 */ use db: Sql at up\n}\n\nassembly demo {\n    site s {   database: Db\n        app: App }\n    connect database.sql -> app.db\n}\n";

struct Client {
    child: Child,
    stdin: ChildStdin,
    messages: Receiver<Value>,
    transcript: Vec<Value>,
    root: String,
}

impl Client {
    fn start(root: &Path) -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_balletc"))
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("balletc lsp starts");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, messages) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Some(message) = read_message(&mut reader) {
                if tx.send(message).is_err() {
                    break;
                }
            }
        });
        Client {
            child,
            stdin,
            messages,
            transcript: Vec::new(),
            root: root.display().to_string(),
        }
    }

    fn send(&mut self, message: Value) {
        let body = message.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).expect("write");
        self.stdin.flush().expect("flush");
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    /// Sends a request and records everything received up to its answer.
    fn request(&mut self, id: u64, method: &str, params: Value) -> Value {
        self.send(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        loop {
            let message = self.next();
            if message.get("id") == Some(&json!(id)) {
                return message;
            }
        }
    }

    /// The next message from the server, recorded (paths made relative).
    fn next(&mut self) -> Value {
        let message = self
            .messages
            .recv_timeout(TIMEOUT)
            .expect("the server answers in time");
        let text = message.to_string().replace(&self.root, "$ROOT");
        let message: Value = serde_json::from_str(&text).expect("json");
        self.transcript.push(message.clone());
        message
    }
}

fn read_message(reader: &mut impl BufRead) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(n) = line.strip_prefix("Content-Length: ") {
            length = n.parse::<usize>().ok();
        }
    }
    let mut body = vec![0; length?];
    reader.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("balletc-lsp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch directory");
    std::fs::write(dir.join("lib.blt"), LIB).expect("lib.blt");
    dir.canonicalize().expect("canonical scratch directory")
}

fn position(line: u32, character: u32) -> Value {
    json!({ "line": line, "character": character })
}

#[test]
fn a_whole_session_with_the_real_binary() {
    let root = scratch();
    let uri = format!("file://{}/main.blt", root.display());
    let doc = json!({ "uri": uri });
    let mut c = Client::start(&root);

    c.request(
        1,
        "initialize",
        json!({ "processId": null, "rootUri": null, "capabilities": {} }),
    );
    c.notify("initialized", json!({}));
    c.notify(
        "textDocument/didOpen",
        json!({ "textDocument": {
        "uri": uri, "languageId": "ballet", "version": 1, "text": MAIN_BROKEN } }),
    );
    c.next(); // the diagnostics: `upp` is no place
    c.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": 2 },
        "contentChanges": [{ "text": MAIN }] }),
    );
    c.next(); // the diagnostics: none left
              // `db` is at UTF-16 column 18 (byte 21) of `    /* é😀 */ use db: Sql at up`.
    c.request(
        14,
        "textDocument/hover",
        json!({ "textDocument": doc, "position": position(8, 19) }),
    );

    // Line 14 is `    connect database.sql -> app.db`.
    c.request(
        2,
        "textDocument/hover",
        json!({ "textDocument": doc, "position": position(14, 22) }),
    );
    c.request(
        3,
        "textDocument/hover",
        json!({ "textDocument": doc, "position": position(11, 10) }),
    );
    c.request(
        4,
        "textDocument/definition",
        json!({ "textDocument": doc, "position": position(12, 27) }),
    );
    c.request(
        5,
        "textDocument/references",
        json!({ "textDocument": doc, "position": position(4, 17),
        "context": { "includeDeclaration": true } }),
    );
    c.request(
        6,
        "textDocument/completion",
        json!({ "textDocument": doc, "position": position(14, 21) }),
    );
    c.request(
        7,
        "textDocument/documentSymbol",
        json!({ "textDocument": doc }),
    );
    c.request(
        8,
        "textDocument/rename",
        json!({ "textDocument": doc, "position": position(4, 17),
        "newName": "running" }),
    );
    c.request(
        9,
        "textDocument/formatting",
        json!({ "textDocument": doc,
        "options": { "tabSize": 4, "insertSpaces": true } }),
    );
    // Garbage is answered with errors, and the server goes on.
    c.request(10, "textDocument/unknownThing", json!({}));
    c.request(11, "textDocument/hover", json!({ "nonsense": true }));
    c.request(
        12,
        "textDocument/hover",
        json!({ "textDocument": { "uri": "file:///nowhere/x.blt" },
        "position": position(0, 0) }),
    );
    c.request(13, "shutdown", Value::Null);
    c.notify("exit", Value::Null);
    let status = c.child.wait().expect("the server exits");
    assert!(status.success(), "{status}");

    let actual = serde_json::to_string_pretty(&c.transcript).expect("json") + "\n";
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/lsp_session.json");
    if std::env::var_os("BLESS").is_some() {
        std::fs::create_dir_all(golden.parent().expect("dir")).expect("snapshots dir");
        std::fs::write(&golden, &actual).expect("write snapshot");
        return;
    }
    let expected = std::fs::read_to_string(&golden).unwrap_or_default();
    assert!(
        expected == actual,
        "the session differs from {}:\n{actual}",
        golden.display()
    );
}
