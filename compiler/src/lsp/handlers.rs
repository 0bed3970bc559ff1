//! One function per request: decode the parameters, ask [`crate::ide`],
//! encode the answer.

use lsp_server::ErrorCode;
use lsp_types as lsp;
use lsp_types::request::{self, Request as _};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::ide::complete::complete;
use crate::ide::hover::hover;
use crate::ide::navigate::{definition, references, rename};
use crate::ide::outline::outline;
use crate::ide::{formatting, FileAnalysis};
use crate::lsp::convert::{self, Lines};
use crate::lsp::Server;

/// A failed request: an error code and a message.
pub type Failure = (ErrorCode, String);

fn params<P: DeserializeOwned>(value: Value) -> Result<P, Failure> {
    serde_json::from_value(value).map_err(|e| (ErrorCode::InvalidParams, e.to_string()))
}

fn json(value: impl serde::Serialize) -> Result<Value, Failure> {
    serde_json::to_value(value).map_err(|e| (ErrorCode::InternalError, e.to_string()))
}

fn analysis<'a>(server: &'a mut Server, uri: &lsp::Uri) -> Result<&'a FileAnalysis, Failure> {
    server.analysis(uri).ok_or_else(|| {
        (
            ErrorCode::InvalidParams,
            format!("`{}` is neither open nor readable", uri.as_str()),
        )
    })
}

/// The document and byte offset of a text-document position.
fn at<'a>(
    server: &'a mut Server,
    p: &lsp::TextDocumentPositionParams,
) -> Result<(&'a FileAnalysis, usize), Failure> {
    let a = analysis(server, &p.text_document.uri)?;
    let offset = Lines::new(a.text(a.root())).offset(p.position);
    Ok((a, offset))
}

/// Answers the request `method` with `params`.
pub fn dispatch(server: &mut Server, method: &str, value: Value) -> Result<Value, Failure> {
    match method {
        request::HoverRequest::METHOD => {
            let p: lsp::HoverParams = params(value)?;
            let (a, offset) = at(server, &p.text_document_position_params)?;
            let Some((text, span)) = hover(a, offset) else {
                return Ok(Value::Null);
            };
            json(lsp::Hover {
                contents: lsp::HoverContents::Markup(lsp::MarkupContent {
                    kind: lsp::MarkupKind::Markdown,
                    value: text,
                }),
                range: Some(Lines::new(a.text(a.root())).range(span)),
            })
        }
        request::GotoDefinition::METHOD => {
            let p: lsp::GotoDefinitionParams = params(value)?;
            let uri = p.text_document_position_params.text_document.uri.clone();
            let (a, offset) = at(server, &p.text_document_position_params)?;
            match definition(a, offset).and_then(|l| convert::location(a, &uri, l.file, l.span)) {
                Some(location) => json(lsp::GotoDefinitionResponse::Scalar(location)),
                None => Ok(Value::Null),
            }
        }
        request::References::METHOD => {
            let p: lsp::ReferenceParams = params(value)?;
            let uri = p.text_document_position.text_document.uri.clone();
            let (a, offset) = at(server, &p.text_document_position)?;
            let locations: Vec<lsp::Location> =
                references(a, offset, p.context.include_declaration)
                    .into_iter()
                    .filter_map(|l| convert::location(a, &uri, l.file, l.span))
                    .collect();
            json(locations)
        }
        request::DocumentSymbolRequest::METHOD => {
            let p: lsp::DocumentSymbolParams = params(value)?;
            let a = analysis(server, &p.text_document.uri)?;
            let lines = Lines::new(a.text(a.root()));
            json(lsp::DocumentSymbolResponse::Nested(convert::symbols(
                &lines,
                outline(a),
            )))
        }
        request::Completion::METHOD => {
            let p: lsp::CompletionParams = params(value)?;
            let (a, offset) = at(server, &p.text_document_position)?;
            let items: Vec<lsp::CompletionItem> = complete(a, offset)
                .into_iter()
                .map(convert::completion)
                .collect();
            json(lsp::CompletionResponse::Array(items))
        }
        request::Rename::METHOD => {
            let p: lsp::RenameParams = params(value)?;
            let uri = p.text_document_position.text_document.uri.clone();
            let (a, offset) = at(server, &p.text_document_position)?;
            let edits =
                rename(a, offset, &p.new_name).map_err(|e| (ErrorCode::InvalidRequest, e.0))?;
            let lines = Lines::new(a.text(a.root()));
            let edits: Vec<lsp::TextEdit> = edits
                .into_iter()
                .map(|(span, text)| lsp::TextEdit::new(lines.range(span), text))
                .collect();
            // `WorkspaceEdit` keys its changes by `Uri`, whose hash does not
            // depend on its lazily filled parts (clippy cannot know).
            #[allow(clippy::mutable_key_type)]
            let changes = std::collections::HashMap::from([(uri, edits)]);
            json(lsp::WorkspaceEdit::new(changes))
        }
        request::Formatting::METHOD => {
            let p: lsp::DocumentFormattingParams = params(value)?;
            let a = analysis(server, &p.text_document.uri)?;
            let text = a.text(a.root());
            match formatting(text) {
                Some(formatted) if formatted != text => {
                    let whole = Lines::new(text).range(ballet_grammar::Span::new(0, text.len()));
                    json(vec![lsp::TextEdit::new(whole, formatted)])
                }
                Some(_) => json(Vec::<lsp::TextEdit>::new()),
                // A text with syntax errors is not formatted; its
                // diagnostics say why.
                None => Ok(Value::Null),
            }
        }
        _ => Err((
            ErrorCode::MethodNotFound,
            format!("unknown request `{method}`"),
        )),
    }
}
