//! A verifier's verdict as `balletc verify` (and `balletc plan --verify`)
//! prints it: text with the counterexample one action per line, or the
//! JSON object `{"verified", "states", "transitions", "seconds",
//! "counterexample"}`, with `--vms` plus `"vms"`: the same five keys for
//! the exploration of the site VMs (`verified` at the top is both).

use std::fmt::Write;

use ballet_runtime::explore::Reduction;
use ballet_runtime::program::Plan;
use ballet_runtime::semantics::System;
use ballet_runtime::Model;
use serde_json::{json, Value};

use crate::verify::trace::{lines, numbered};
use crate::verify::vms::VmVerdict;
use crate::verify::Verdict;

/// The counterexample's action lines (empty when verified).
pub fn counterexample(
    model: &Model,
    plan: &Plan,
    start: &System,
    verdict: &Verdict,
) -> Vec<String> {
    verdict
        .failure
        .as_ref()
        .map(|f| lines(model, plan, start, &f.trace))
        .unwrap_or_default()
}

/// The text form. Without `timing`, seconds and states per second are left
/// out (golden files stay stable).
pub fn text(
    model: &Model,
    goal: &str,
    plan: &Plan,
    start: &System,
    verdict: &Verdict,
    timing: bool,
) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Verification of goal `{goal}`: {} sites, {} instances, every interleaving",
        plan.universe.sites.len(),
        plan.universe.instances.len()
    );
    let _ = write!(
        out,
        "  explored {} states, {} transitions",
        verdict.states, verdict.transitions
    );
    if timing {
        let _ = write!(
            out,
            " in {:.2} s ({:.0} states/s)",
            verdict.seconds,
            verdict.rate()
        );
    }
    out.push('\n');
    let symmetry = if verdict.symmetric.is_empty() {
        "no interchangeable sites".to_string()
    } else {
        let sizes: Vec<String> = verdict.symmetric.iter().map(|n| n.to_string()).collect();
        format!("interchangeable sites in classes of {}", sizes.join(", "))
    };
    let reduction = match verdict.reduction {
        Reduction::None => "none",
        Reduction::Safe => "safe actions alone",
        Reduction::Stubborn => "stubborn sets",
    };
    let _ = writeln!(out, "  reductions: {reduction}, {symmetry}");
    match &verdict.failure {
        None if verdict.vms.as_ref().is_some_and(|v| v.failure.is_some()) => {
            let _ = writeln!(out, "\nThe semantics is verified, but not the site VMs:");
        }
        None => {
            let _ = writeln!(out, "\nVerified:");
            for property in [
                "no deadlock",
                "every execution terminates",
                "every final state reaches the goal",
                "no use port is ever active while its provider is inactive",
            ] {
                let _ = writeln!(out, "  - {property}");
            }
        }
        Some(f) => {
            let _ = writeln!(out, "\nNOT verified ({})", f.property.name());
            let steps = counterexample(model, plan, start, verdict);
            if !steps.is_empty() {
                let _ = writeln!(
                    out,
                    "\nCounterexample ({} action{}, shortest among the interleavings explored):",
                    steps.len(),
                    if steps.len() == 1 { "" } else { "s" }
                );
                for (k, s) in steps.iter().enumerate() {
                    let _ = writeln!(out, "{}", numbered(k, s));
                }
                let _ = writeln!(out, "\nThen {}", f.property.describe());
            } else {
                let _ = writeln!(out, "{}", f.property.describe());
            }
        }
    }
    if let Some(v) = &verdict.vms {
        vms_text(&mut out, v, timing);
    }
    out
}

/// The exploration of the site VMs (`--vms`), after the semantics'.
fn vms_text(out: &mut String, v: &VmVerdict, timing: bool) {
    let _ = write!(
        out,
        "\nSite VMs (every order of transition ends and of deliveries of facts between sites):\n  explored {} states, {} transitions",
        v.states, v.transitions
    );
    if timing {
        let _ = write!(out, " in {:.2} s", v.seconds);
    }
    out.push('\n');
    let _ = writeln!(
        out,
        "  reduction: sleep sets (every state visited, each order of events of different sites once)"
    );
    match &v.failure {
        None => {
            let _ = writeln!(out, "  - the VMs never deadlock");
            let _ = writeln!(out, "  - every final state of the VMs reaches the goal");
        }
        Some(f) => {
            let _ = writeln!(out, "\nNOT verified in the VMs ({})", f.property.name());
            if !f.trace.is_empty() {
                let _ = writeln!(out, "\nTrace ({} events, shortest):", f.trace.len());
                for (k, s) in f.trace.iter().enumerate() {
                    let _ = writeln!(out, "{}", numbered(k, s));
                }
                let _ = writeln!(out, "\nThen {}", f.property.describe());
            } else {
                let _ = writeln!(out, "{}", f.property.describe());
            }
            for b in &f.blocked {
                let _ = writeln!(out, "  - {b}");
            }
        }
    }
}

/// The JSON form: exactly `verified`, `states`, `transitions`, `seconds`
/// and `counterexample` (action strings, empty when verified).
pub fn json(model: &Model, plan: &Plan, start: &System, verdict: &Verdict) -> Value {
    let mut out = json!({
        "verified": verdict.verified(),
        "states": verdict.states,
        "transitions": verdict.transitions,
        "seconds": verdict.seconds,
        "counterexample": counterexample(model, plan, start, verdict),
    });
    if let Some(v) = &verdict.vms {
        out["vms"] = json!({
            "verified": v.failure.is_none(),
            "states": v.states,
            "transitions": v.transitions,
            "seconds": v.seconds,
            "counterexample": v.failure.as_ref().map(|f| f.trace.clone()).unwrap_or_default(),
        });
    }
    out
}
