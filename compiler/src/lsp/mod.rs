//! `balletc lsp`: the language server, over standard input and output.
//!
//! The only part of the code base that knows LSP and JSON-RPC: it keeps the
//! open documents, asks [`crate::ide`] for answers, and turns them into LSP
//! types. Documents are synchronised whole (each change sends the full
//! text); every change re-checks each open document, so that a file that
//! imports the changed one is up to date too. A request that fails, is
//! unknown or panics gets an error response; the server goes on.

mod convert;
mod handlers;

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;

use lsp_server::{Connection, ErrorCode, Message, Notification, Request, Response};
use lsp_types as lsp;
use lsp_types::notification::{self, Notification as _};
use serde_json::Value;

use crate::ide::{FileAnalysis, World};

/// Runs the server on standard input and output until the client says
/// `exit`. Returns an error when the connection breaks.
pub fn run_stdio() -> Result<(), String> {
    let (connection, io_threads) = Connection::stdio();
    serve(&connection)?;
    drop(connection);
    io_threads.join().map_err(|e| e.to_string())
}

/// What the server advertises.
fn capabilities() -> lsp::ServerCapabilities {
    lsp::ServerCapabilities {
        position_encoding: Some(lsp::PositionEncodingKind::UTF16),
        text_document_sync: Some(lsp::TextDocumentSyncCapability::Kind(
            lsp::TextDocumentSyncKind::FULL,
        )),
        hover_provider: Some(lsp::HoverProviderCapability::Simple(true)),
        definition_provider: Some(lsp::OneOf::Left(true)),
        references_provider: Some(lsp::OneOf::Left(true)),
        document_symbol_provider: Some(lsp::OneOf::Left(true)),
        completion_provider: Some(lsp::CompletionOptions {
            trigger_characters: Some(vec![".".into()]),
            ..lsp::CompletionOptions::default()
        }),
        rename_provider: Some(lsp::OneOf::Left(true)),
        document_formatting_provider: Some(lsp::OneOf::Left(true)),
        ..lsp::ServerCapabilities::default()
    }
}

/// The initialize handshake, then the message loop.
fn serve(connection: &Connection) -> Result<(), String> {
    let (id, _params) = connection.initialize_start().map_err(|e| e.to_string())?;
    let result = serde_json::json!({
        "capabilities": capabilities(),
        "serverInfo": { "name": "balletc", "version": env!("CARGO_PKG_VERSION") },
    });
    connection
        .initialize_finish(id, result)
        .map_err(|e| e.to_string())?;
    let mut server = Server::default();
    for message in &connection.receiver {
        match message {
            Message::Request(request) => {
                if connection
                    .handle_shutdown(&request)
                    .map_err(|e| e.to_string())?
                {
                    return Ok(());
                }
                let id = request.id.clone();
                let response = match catch_unwind(AssertUnwindSafe(|| server.request(request))) {
                    Ok(response) => response,
                    Err(_) => Response::new_err(
                        id,
                        ErrorCode::InternalError as i32,
                        "the request made the server fail".into(),
                    ),
                };
                send(connection, Message::Response(response))?;
            }
            Message::Notification(note) => {
                let outgoing = catch_unwind(AssertUnwindSafe(|| server.notification(note)))
                    .unwrap_or_default();
                for message in outgoing {
                    send(connection, message)?;
                }
            }
            Message::Response(_) => {}
        }
    }
    Ok(())
}

fn send(connection: &Connection, message: Message) -> Result<(), String> {
    connection.sender.send(message).map_err(|e| e.to_string())
}

/// An open document.
struct Document {
    uri: lsp::Uri,
    path: PathBuf,
    version: i32,
}

/// The server's state: open documents and their latest analyses.
#[derive(Default)]
struct Server {
    world: World,
    documents: HashMap<String, Document>,
    analyses: HashMap<String, FileAnalysis>,
}

impl Server {
    /// Answers one request.
    fn request(&mut self, request: Request) -> Response {
        let id = request.id.clone();
        match handlers::dispatch(self, &request.method, request.params) {
            Ok(value) => Response::new_ok(id, value),
            Err((code, message)) => Response::new_err(id, code as i32, message),
        }
    }

    /// Takes one notification in; returns the notifications to send.
    fn notification(&mut self, note: Notification) -> Vec<Message> {
        match note.method.as_str() {
            notification::DidOpenTextDocument::METHOD => {
                let Ok(p) = serde_json::from_value::<lsp::DidOpenTextDocumentParams>(note.params)
                else {
                    return Vec::new();
                };
                let doc = p.text_document;
                self.open(doc.uri, doc.version, doc.text)
            }
            notification::DidChangeTextDocument::METHOD => {
                let Ok(p) = serde_json::from_value::<lsp::DidChangeTextDocumentParams>(note.params)
                else {
                    return Vec::new();
                };
                // Full synchronisation: the last change holds the whole text.
                match p.content_changes.into_iter().last() {
                    Some(change) if change.range.is_none() => {
                        self.open(p.text_document.uri, p.text_document.version, change.text)
                    }
                    _ => Vec::new(),
                }
            }
            notification::DidCloseTextDocument::METHOD => {
                let Ok(p) = serde_json::from_value::<lsp::DidCloseTextDocumentParams>(note.params)
                else {
                    return Vec::new();
                };
                let key = p.text_document.uri.as_str().to_string();
                if let Some(doc) = self.documents.remove(&key) {
                    self.world.remove(&doc.path);
                }
                self.analyses.remove(&key);
                let mut out = vec![publish(&p.text_document.uri, Vec::new(), None)];
                out.extend(self.recheck(None));
                out
            }
            _ => Vec::new(),
        }
    }

    /// Sets a document's text and re-checks: that document first, then the
    /// others (they may import it).
    fn open(&mut self, uri: lsp::Uri, version: i32, text: String) -> Vec<Message> {
        let path = convert::uri_to_path(&uri);
        self.world.set(path.clone(), text);
        let key = uri.as_str().to_string();
        self.documents
            .insert(key.clone(), Document { uri, path, version });
        // Analyses of documents that are not open may be stale now.
        let documents = &self.documents;
        self.analyses.retain(|k, _| documents.contains_key(k));
        let mut out = self.recheck(Some(&key));
        out.extend(self.recheck_others(&key));
        out
    }

    fn recheck_others(&mut self, except: &str) -> Vec<Message> {
        let keys: Vec<String> = self
            .documents
            .keys()
            .filter(|k| *k != except)
            .cloned()
            .collect();
        keys.iter().flat_map(|k| self.recheck(Some(k))).collect()
    }

    /// Re-checks one document (or all), returning its diagnostics to publish.
    fn recheck(&mut self, key: Option<&str>) -> Vec<Message> {
        let Some(key) = key else {
            return self.recheck_others("");
        };
        let Some(doc) = self.documents.get(key) else {
            return Vec::new();
        };
        let Some(analysis) = self.world.analyze(&doc.path) else {
            return Vec::new();
        };
        let message = publish(
            &doc.uri,
            convert::diagnostics(&analysis, &doc.uri),
            Some(doc.version),
        );
        self.analyses.insert(key.to_string(), analysis);
        vec![message]
    }

    /// The analysis of a document: the latest one if it is open, else one
    /// made from the disk.
    fn analysis(&mut self, uri: &lsp::Uri) -> Option<&FileAnalysis> {
        let key = uri.as_str().to_string();
        if !self.analyses.contains_key(&key) {
            let analysis = self.world.analyze(&convert::uri_to_path(uri))?;
            self.analyses.insert(key.clone(), analysis);
        }
        self.analyses.get(&key)
    }
}

fn publish(uri: &lsp::Uri, diagnostics: Vec<lsp::Diagnostic>, version: Option<i32>) -> Message {
    let params = lsp::PublishDiagnosticsParams {
        uri: uri.clone(),
        diagnostics,
        version,
    };
    Message::Notification(Notification::new(
        notification::PublishDiagnostics::METHOD.to_string(),
        serde_json::to_value(params).unwrap_or(Value::Null),
    ))
}
