//! `balletc lsp`: the language server over standard input and output.

use std::process::ExitCode;

use clap::Args;

/// Arguments of `balletc lsp` (none: the editor speaks LSP on stdio).
#[derive(Args, Debug)]
pub struct LspArgs {}

/// Runs `balletc lsp` until the editor says `exit`.
pub fn run(_args: LspArgs) -> ExitCode {
    match crate::lsp::run_stdio() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: balletc lsp: {e}");
            ExitCode::from(1)
        }
    }
}
