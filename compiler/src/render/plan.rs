//! A plan as `balletc plan` prints it: per site, the numbered instructions,
//! then a summary (text, like `terraform plan`), or one JSON object.

use std::fmt::Write;

use ballet_runtime::Model;
use serde_json::{json, Map, Value};

use crate::plan::Planned;

/// The text form. Without `timing`, the planning time is left out (golden
/// files stay stable).
pub fn text(model: &Model, goal: &str, planned: &Planned, timing: bool) -> String {
    let plan = &planned.plan;
    let m = &planned.metrics;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Plan for goal `{goal}`: {} sites, {} instances",
        m.sites, m.instances
    );
    for (s, program) in plan.programs.iter().enumerate() {
        let site = &plan.universe.sites[s].name;
        let _ = writeln!(
            out,
            "\nsite {site} ({} instruction{})",
            program.len(),
            if program.len() == 1 { "" } else { "s" }
        );
        for (k, ins) in program.iter().enumerate() {
            let _ = writeln!(
                out,
                "  {:>3}  {}",
                k + 1,
                ins.display(model, &plan.universe)
            );
        }
    }
    let _ = writeln!(
        out,
        "\nSummary: {} instructions ({} pushB, {} wait, {} add, {} con, {} dcon, {} del)",
        m.instructions, m.pushb, m.waits, m.adds, m.connects, m.disconnects, m.deletes
    );
    let _ = writeln!(
        out,
        "         {} messages between site planners, {} constraints",
        m.messages, m.constraints
    );
    let _ = write!(out, "         predicted makespan {}", planned.run.makespan);
    if timing {
        let _ = write!(out, ", planned in {:.2} ms", m.planning_ms);
    }
    out.push('\n');
    out
}

/// The JSON form: `{"goal", "programs": {site: [instruction, ...]}, "metrics"}`.
pub fn json(model: &Model, goal: &str, planned: &Planned) -> Value {
    let plan = &planned.plan;
    let mut programs = Map::new();
    for (s, program) in plan.programs.iter().enumerate() {
        programs.insert(
            plan.universe.sites[s].name.clone(),
            program
                .iter()
                .map(|ins| Value::String(ins.display(model, &plan.universe)))
                .collect(),
        );
    }
    json!({
        "goal": goal,
        "programs": programs,
        "metrics": planned.metrics,
    })
}
