//! `balletc status OUT_DIR`: asks every agent of the inventory where it
//! stands (program counter, running transitions, done, why it waits,
//! failures, messages), as the operator of the cluster's key file (see
//! `ballet_runtime::net::query_status`: authenticated, read-only). An
//! agent that does not answer within `--timeout` is reported unreachable,
//! and the exit code is then 1.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use ballet_runtime::agent::AgentStatus;
use ballet_runtime::net::query_status;
use ballet_runtime::SiteId;
use clap::Args;
use serde_json::json;

use crate::cli::operator::operator_access;
use crate::cli::run::parse_duration;
use crate::cli::Format;

/// Arguments of `balletc status`.
#[derive(Args, Debug)]
pub struct StatusArgs {
    /// The build directory (`balletc build -o`), with `inventory.toml`.
    out: PathBuf,
    /// The cluster's key file (default: `OUT_DIR/cluster.key`).
    #[arg(long, value_name = "FILE")]
    key: Option<PathBuf>,
    /// How long to wait for each agent.
    #[arg(long, value_parser = parse_duration, default_value = "2s")]
    timeout: Duration,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

fn fail(message: String) -> ExitCode {
    eprintln!(
        "{:?}",
        miette::miette!(code = "balletc::status", "{message}")
    );
    ExitCode::from(1)
}

/// Runs `balletc status`.
pub fn run(args: StatusArgs) -> ExitCode {
    let (inventory, operator) = match operator_access(&args.out, args.key.as_deref()) {
        Ok(access) => access,
        Err(e) => return fail(e),
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return fail(format!("cannot start the runtime: {e}")),
    };
    let answers: Vec<Result<AgentStatus, String>> = runtime.block_on(async {
        let asks = inventory.iter().enumerate().map(|(i, (_, address))| {
            let operator = operator.clone();
            let address = address.clone();
            async move {
                let bytes = query_status(
                    &address,
                    &operator,
                    SiteId::from_index(i),
                    1 << 20,
                    args.timeout,
                )
                .await
                .map_err(|e| format!("unreachable: {e}"))?;
                AgentStatus::decode(&bytes)
            }
        });
        let handles: Vec<_> = asks.map(tokio::spawn).collect();
        let mut out = Vec::new();
        for h in handles {
            out.push(h.await.unwrap_or_else(|e| Err(format!("unreachable: {e}"))));
        }
        out
    });
    let unreachable = answers.iter().any(Result::is_err);
    match args.format {
        Format::Text => print!("{}", table(&inventory, &answers)),
        Format::Json => println!("{}", to_json(&inventory, &answers)),
    }
    if unreachable {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// One line per site: name, address, position, state, messages.
fn table(inventory: &[(String, String)], answers: &[Result<AgentStatus, String>]) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<16} {:<21} {:>9}  {:>11}  state",
        "site", "address", "pc", "recv/sent"
    );
    for ((name, address), answer) in inventory.iter().zip(answers) {
        match answer {
            Ok(s) => {
                let state = if !s.failures.is_empty() {
                    format!("failed: {}", s.failures.join("; "))
                } else if s.done {
                    format!(
                        "done ({}/{} peers done{})",
                        s.peers_done.0,
                        s.peers_done.1,
                        if s.unacked > 0 {
                            format!(", {} unacknowledged", s.unacked)
                        } else {
                            String::new()
                        }
                    )
                } else if !s.running.is_empty() {
                    format!("running: {}", s.running.join(" "))
                } else {
                    s.blocked
                        .as_ref()
                        .map_or("waiting".to_string(), |b| format!("blocked: {b}"))
                };
                let _ = writeln!(
                    out,
                    "{name:<16} {address:<21} {:>9}  {:>11}  {state}",
                    format!("{}/{}", s.pc, s.len),
                    format!("{}/{}", s.received, s.sent)
                );
            }
            Err(e) => {
                let _ = writeln!(out, "{name:<16} {address:<21} {:>9}  {:>11}  {e}", "-", "-");
            }
        }
    }
    out
}

/// `{"sites": [...]}`, one object per site of the inventory.
fn to_json(
    inventory: &[(String, String)],
    answers: &[Result<AgentStatus, String>],
) -> serde_json::Value {
    let sites: Vec<_> = inventory
        .iter()
        .zip(answers)
        .map(|((name, address), answer)| match answer {
            Ok(s) => json!({
                "name": name, "address": address, "reachable": true,
                "pc": s.pc, "len": s.len, "running": s.running, "done": s.done,
                "blocked": s.blocked, "failures": s.failures,
                "received": s.received, "sent": s.sent, "unacked": s.unacked,
                "peers_done": s.peers_done.0, "peers": s.peers_done.1,
            }),
            Err(e) => json!({
                "name": name, "address": address, "reachable": false, "error": e,
            }),
        })
        .collect();
    json!({ "sites": sites })
}
