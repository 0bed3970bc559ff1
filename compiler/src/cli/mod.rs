//! The command line: one module per subcommand. `main` parses the flags with
//! clap and calls into the library; exit codes are 0 (success), 1 (errors in
//! the input or a failed operation) and 2 (usage).

mod agent;
mod apply;
mod build;
mod check;
mod dump;
mod explain;
mod fmt;
mod given;
mod keygen;
mod log;
mod lsp;
mod operator;
mod plan;
mod repl;
mod report;
mod run;
mod simulate;
mod status;
mod verify;

use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

/// Ballet: plan and run decentralized reconfigurations of distributed systems.
#[derive(Parser, Debug)]
#[command(name = "balletc", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Check a `.blt` file and report every problem found.
    Check(check::CheckArgs),
    /// Print the long explanation of a diagnostic code (e.g. E0203).
    Explain(explain::ExplainArgs),
    /// Synthesize one reconfiguration program per site for a goal.
    Plan(plan::PlanArgs),
    /// Plan a goal and run the plan in virtual time (makespan, Gantt chart, baseline).
    Simulate(simulate::SimulateArgs),
    /// Prove a plan correct under every interleaving, or print a counterexample.
    Verify(verify::VerifyArgs),
    /// Plan a goal and write one bytecode file per site and `inventory.toml`.
    Build(build::BuildArgs),
    /// Plan a goal and run it for real, every site in this process.
    Run(run::RunArgs),
    /// Disassemble a site's bytecode file (`.bltc`).
    Dump(dump::DumpArgs),
    /// Rewrite `.blt` files in the canonical layout (`--check`: only list them).
    Fmt(fmt::FmtArgs),
    /// Run the language server over standard input and output.
    Lsp(lsp::LspArgs),
    /// Walk through a reconfiguration interactively (or from piped commands).
    Repl(repl::ReplArgs),
    /// Generate the cluster's credentials (one key pair per site of an inventory).
    Keygen(keygen::KeygenArgs),
    /// Run one site's agent (from `balletc build` output) over TCP.
    Agent(agent::AgentArgs),
    /// Ask every agent of a build where it stands.
    Status(status::StatusArgs),
    /// Hand a goal to the running agents: they plan it together, then run it.
    Apply(apply::ApplyArgs),
}

/// Output format of commands that report.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Human-readable text.
    #[default]
    Text,
    /// Machine-readable JSON.
    Json,
}

/// When to colour terminal output.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// When writing to a terminal.
    #[default]
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// Parses `NAME=VALUE` for `-D`.
pub(crate) fn parse_define(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((name, value)) if !name.trim().is_empty() => {
            Ok((name.trim().to_string(), value.to_string()))
        }
        _ => Err(format!("`{s}` is not NAME=VALUE")),
    }
}

/// Runs the command line and returns the process exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    match cli.command {
        Command::Check(args) => check::run(args),
        Command::Explain(args) => explain::run(args),
        Command::Plan(args) => plan::run(args),
        Command::Simulate(args) => simulate::run(args),
        Command::Verify(args) => verify::run(args),
        Command::Build(args) => build::run(args),
        Command::Run(args) => run::run(args),
        Command::Dump(args) => dump::run(args),
        Command::Fmt(args) => fmt::run(args),
        Command::Lsp(args) => lsp::run(args),
        Command::Repl(args) => repl::run(args),
        Command::Keygen(args) => keygen::run(args),
        Command::Agent(args) => agent::run(args),
        Command::Status(args) => status::run(args),
        Command::Apply(args) => apply::run(args),
    }
}
