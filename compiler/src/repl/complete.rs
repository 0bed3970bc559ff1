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

#[cfg(test)]
mod tests {
    use super::*;

    fn session() -> Session {
        let mut s = Session::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
        let out = s.eval(":load examples/cps.blt");
        assert!(out.starts_with("loaded"), "{out}");
        s.eval(":goal update");
        s
    }

    fn at_end(s: &Session, line: &str) -> (usize, Vec<String>) {
        complete(s, line, line.len())
    }

    #[test]
    fn commands_and_their_arguments() {
        let s = session();
        assert_eq!(
            at_end(&s, ":st"),
            (0, vec![":state".into(), ":step".into()])
        );
        assert_eq!(at_end(&s, ":goal d"), (6, vec!["deploy".into()]));
        assert_eq!(at_end(&s, ":why sen"), (5, vec!["sensor_0".into()]));
        assert_eq!(at_end(&s, ":program sy"), (9, vec!["system".into()]));
        assert_eq!(
            at_end(&s, ":break database.u"),
            (
                7,
                vec!["database.uninstall".into(), "database.update".into()]
            )
        );
        assert_eq!(at_end(&s, ":break site da"), (12, vec!["database".into()]));
        assert_eq!(at_end(&s, ":break si"), (7, vec!["site".into()]));
    }

    #[test]
    fn instructions_instances_behaviors_ports_types() {
        let s = session();
        assert_eq!(at_end(&s, "pu"), (0, vec!["pushB".into()]));
        assert_eq!(at_end(&s, "pushB(li"), (6, vec!["listener_0".into()]));
        assert_eq!(
            at_end(&s, "pushB(database, in"),
            (16, vec!["interrupt".into()])
        );
        assert_eq!(
            at_end(&s, "con(database.se"),
            (4, vec!["database.service".into()])
        );
        assert_eq!(at_end(&s, "add(x, Sen"), (7, vec!["Sensor".into()]));
        // A cursor inside a multi-byte character counts from the
        // character's start (no panic); past the end, from the end.
        assert_eq!(complete(&s, ":why é", 6).0, 5);
        assert_eq!(complete(&s, ":why sen", 99), (5, vec!["sensor_0".into()]));
    }
}
