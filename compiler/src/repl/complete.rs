//! Tab completion from the session: command names, goal, instance, site,
//! behavior, type and port names, depending on where the cursor is.

use crate::repl::run::Run;
use crate::repl::typed::NAMES;
use crate::repl::{Session, COMMANDS};

/// Completions of the word before byte `pos` of `line`: where the word
/// starts, and the candidates replacing it (sorted, without duplicates).
pub fn complete(session: &Session, line: &str, pos: usize) -> (usize, Vec<String>) {
    let pos = (0..=pos.min(line.len()))
        .rev()
        .find(|&p| line.is_char_boundary(p))
        .unwrap_or(0);
    let before = &line[..pos];
    let start = before
        .rfind(|c: char| c.is_whitespace() || c == '(' || c == ',')
        .map_or(0, |k| k + 1);
    let word = &before[start..];
    let mut candidates = candidates(session, before, word);
    candidates.retain(|c| c.starts_with(word));
    candidates.sort();
    candidates.dedup();
    (start, candidates)
}

fn candidates(session: &Session, before: &str, word: &str) -> Vec<String> {
    let run = session.run();
    let trimmed = before.trim_start();
    if let Some(command) = trimmed.strip_prefix(':') {
        let mut tokens = command.split_whitespace();
        let name = tokens.next().unwrap_or("");
        if !command.contains(char::is_whitespace) {
            return COMMANDS.iter().map(|(c, _)| c.to_string()).collect();
        }
        let previous: Vec<&str> = tokens.collect();
        return match (name, run) {
            ("goal", _) => session.goals().to_vec(),
            ("state" | "why", Some(run)) => instances(run),
            ("program", Some(run)) => sites(run),
            ("break", Some(run)) => {
                let after_site = previous.first() == Some(&"site")
                    && (previous.len() > 1 || before.ends_with(char::is_whitespace));
                if after_site {
                    sites(run)
                } else if let Some((inst, _)) = word.split_once('.') {
                    behaviors(run, inst)
                } else {
                    let mut all = instances(run);
                    all.push("site".into());
                    all
                }
            }
            _ => Vec::new(),
        };
    }
    let Some((name, args)) = trimmed.split_once('(') else {
        return NAMES.iter().map(|n| n.to_string()).collect();
    };
    let Some(run) = run else {
        return Vec::new();
    };
    if let Some((inst, _)) = word.split_once('.') {
        return ports(run, inst);
    }
    let index = args.matches(',').count();
    let first = args.split(',').next().unwrap_or("").trim();
    match (name.trim(), index) {
        (_, 0) => instances(run),
        ("pushB" | "wait", 1) => behaviors(run, first)
            .into_iter()
            .filter_map(|b| b.split_once('.').map(|(_, b)| b.to_string()))
            .collect(),
        ("add", 1) => run.model.types.iter().map(|t| t.name.clone()).collect(),
        ("con" | "dcon", 1) => instances(run),
        _ => Vec::new(),
    }
}

fn instances(run: &Run) -> Vec<String> {
    run.plan
        .universe
        .instances
        .iter()
        .map(|i| i.name.clone())
        .collect()
}

fn sites(run: &Run) -> Vec<String> {
    run.plan
        .universe
        .sites
        .iter()
        .map(|s| s.name.clone())
        .collect()
}

/// `inst.behavior` for every behavior of `inst`'s type.
fn behaviors(run: &Run, inst: &str) -> Vec<String> {
    let Some(i) = run.instance(inst) else {
        return Vec::new();
    };
    let ty = run.model.ty(run.plan.universe.instances[i.index()].ty);
    ty.behaviors
        .iter()
        .map(|b| format!("{inst}.{}", b.name))
        .collect()
}

/// `inst.port` for every port of `inst`'s type.
fn ports(run: &Run, inst: &str) -> Vec<String> {
    let Some(i) = run.instance(inst) else {
        return Vec::new();
    };
    let ty = run.model.ty(run.plan.universe.instances[i.index()].ty);
    ty.ports
        .iter()
        .map(|p| format!("{inst}.{}", p.name))
        .collect()
}
