//! The Gantt chart: a golden SVG for the CPS deploy (`BLESS=1 cargo test`
//! rewrites it; review the diff like code), well-formedness and one row per
//! instance at OpenStack scale, and a deadlocked run that still renders.

use std::path::Path;

use ballet_compiler::render::gantt::gantt_svg;
use ballet_runtime::program::Plan;
use ballet_runtime::report::Report;
use ballet_runtime::{Goal, Model};
use ballet_tests::{example_goal, per_component_plan, push_everywhere, start_system};

fn chart(model: &Model, goal: &Goal, plan: &Plan, title: &str) -> String {
    let report = Report::new(model, plan, start_system(model, goal, plan));
    gantt_svg(
        model,
        plan,
        &report.timelines,
        title,
        report.baseline.as_ref().ok(),
    )
}

/// Checks that `svg` is well-formed enough for any XML parser: tags balance
/// and nest, and every `&` starts one of the five predefined entities.
/// Returns the number of elements.
fn well_formed(svg: &str) -> Result<usize, String> {
    let mut stack: Vec<&str> = Vec::new();
    let mut elements = 0;
    let mut rest = svg;
    while let Some(open) = rest.find('<') {
        check_text(&rest[..open])?;
        let close = rest[open..].find('>').ok_or("unclosed tag")? + open;
        let tag = &rest[open + 1..close];
        if tag.contains('<') {
            return Err(format!("'<' inside tag {tag:?}"));
        }
        if let Some(name) = tag.strip_prefix('/') {
            match stack.pop() {
                Some(top) if top == name.trim() => {}
                other => return Err(format!("</{name}> closes {other:?}")),
            }
        } else {
            let name = tag.split_whitespace().next().ok_or("empty tag")?;
            let name = name.trim_end_matches('/');
            elements += 1;
            if !tag.ends_with('/') {
                stack.push(name);
            }
            // Attribute values are quoted and escaped.
            if tag.matches('"').count() % 2 == 1 {
                return Err(format!("unbalanced quotes in {tag:?}"));
            }
            check_text(tag)?;
        }
        rest = &rest[close + 1..];
    }
    check_text(rest)?;
    if stack.is_empty() {
        Ok(elements)
    } else {
        Err(format!("unclosed elements {stack:?}"))
    }
}

fn check_text(text: &str) -> Result<(), String> {
    for (i, _) in text.match_indices('&') {
        let entity = &text[i..];
        if !["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"]
            .iter()
            .any(|e| entity.starts_with(e))
        {
            return Err(format!("bare '&' in {text:?}"));
        }
    }
    Ok(())
}

#[test]
fn cps_deploy_chart_matches_its_golden_file() {
    let (model, goal) = example_goal("examples/cps.blt", "deploy", &[("n", "1")]);
    let plan = push_everywhere(&model, &goal, "deploy");
    let svg = chart(&model, &goal, &plan, "CPS deploy <n = 1> & baseline");
    well_formed(&svg).expect("well-formed");
    assert!(svg.contains("CPS deploy &lt;n = 1&gt; &amp; baseline"));
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/gantt/cps_deploy_n1.svg");
    if std::env::var_os("BLESS").is_some() {
        std::fs::write(&golden, &svg).expect("write the golden file");
        return;
    }
    let expected = std::fs::read_to_string(&golden)
        .unwrap_or_else(|e| panic!("{}: {e} (run with BLESS=1 to create it)", golden.display()));
    assert!(
        expected == svg,
        "the chart differs from {} (BLESS=1 to accept)",
        golden.display()
    );
}

#[test]
fn openstack_deploy_chart_has_one_row_per_instance() {
    let (model, goal) = example_goal("examples/openstack.blt", "deploy", &[("n", "10")]);
    let plan = push_everywhere(&model, &goal, "deploy");
    assert_eq!(plan.universe.instances.len(), 117);
    let svg = chart(&model, &goal, &plan, "OpenStack deploy, n = 10");
    let elements = well_formed(&svg).expect("well-formed");
    assert!(elements > 117 * 5, "{elements} elements");
    assert_eq!(svg.matches("<g class=\"instance\">").count(), 117);
    assert_eq!(svg.matches("<g class=\"site\">").count(), 31);
    assert!(svg.contains("data-instances=\"117\""));
    // Same inputs, same bytes.
    assert_eq!(svg, chart(&model, &goal, &plan, "OpenStack deploy, n = 10"));
    assert!(svg.contains("makespan 92") && svg.contains("baseline 139"));
}

#[test]
fn deadlocked_chart_marks_the_blocked_instances() {
    let (model, goal) = example_goal("examples/openstack.blt", "update", &[("n", "1")]);
    let plan = per_component_plan(
        &model,
        &goal,
        "mariadb_master  : pushB(interrupt) pushB(update) pushB(deploy)
         mariadb_worker_0: pushB(interrupt) pushB(update) wait(mariadb_master, interrupt) pushB(deploy)
         keystone_0      : pushB(uninstall) wait(mariadb_worker_0, interrupt) pushB(deploy)
         nova_0          : pushB(interrupt) wait(mariadb_worker_0, interrupt) pushB(update) wait(keystone_0, uninstall) pushB(deploy)",
    );
    let svg = chart(&model, &goal, &plan, "OpenStack update (published plan)");
    well_formed(&svg).expect("well-formed");
    assert!(svg.contains("deadlock at 1"));
    assert_eq!(svg.matches("<g class=\"instance\">").count(), 18);
    // mariadb_master, mariadb_worker_0 and keystone_0 carry a blocked mark
    // whose tooltip says why.
    let marks = svg.matches("<title>blocked: fire").count();
    assert!(marks >= 3, "{marks} blocked marks");
    assert!(svg.contains("would go inactive while"));
}

#[test]
fn the_checker_rejects_broken_markup() {
    assert!(well_formed("<svg><g></svg>").is_err());
    assert!(well_formed("<svg><text>a & b</text></svg>").is_err());
    assert!(well_formed("<svg><g/></svg>") == Ok(2));
}
