//! The language server's analysis at the library level: one `check` helper
//! per feature, the cursor written `$0` in the text.

use std::path::{Path, PathBuf};

use ballet_compiler::ide::complete::complete;
use ballet_compiler::ide::hover::hover;
use ballet_compiler::ide::navigate::{definition, references, rename};
use ballet_compiler::ide::outline::outline;
use ballet_compiler::ide::{formatting, FileAnalysis, World};

const APP: &str = r#"interface Sql

component Db {
    places off, ready, serving
    initial off
    running serving
    behavior deploy {
        configure: off -> ready cost 2
        start: ready -> serving cost 1.5 run "systemctl start db on {site}"
    }
    provide sql: Sql at serving
}

component App {
    places off, up
    initial off
    running up
    behavior deploy { launch: off -> up }
    use db: Sql at up
}

assembly demo(n: int = 2) {
    site server { database: Db }
    for i in 0..n {
        site client_{i} { app_{i}: App }
        connect database.sql -> app_{i}.db
    }
}

goal deploy for demo {
    start initial
    behavior app_1.deploy
    all running
}
"#;

/// A world holding `files` (path, text), the first one the root, with the
/// cursor `$0` taken out of the root. Returns the analysis and the offset.
fn setup(files: &[(&str, &str)]) -> (FileAnalysis, usize) {
    let mut world = World::new();
    let mut offset = 0;
    for (i, (path, text)) in files.iter().enumerate() {
        let mut text = text.to_string();
        if i == 0 {
            offset = text.find("$0").unwrap_or(0);
            text = text.replacen("$0", "", 1);
        }
        world.set(PathBuf::from(path), text);
    }
    let analysis = world.analyze(Path::new(files[0].0)).expect("open document");
    (analysis, offset)
}

/// `APP` with the cursor put just before the `nth` occurrence of `needle`.
fn cursor(needle: &str, nth: usize) -> String {
    let at = APP.match_indices(needle).nth(nth).expect("needle").0;
    format!("{}$0{}", &APP[..at], &APP[at..])
}

fn check_hover(needle: &str, nth: usize, expected: &str) {
    let (a, offset) = setup(&[("/virtual/app.blt", &cursor(needle, nth))]);
    let (text, _) = hover(&a, offset).expect("a hover");
    assert_eq!(text, expected);
}

#[test]
fn hover_port_shows_its_interface_and_group() {
    check_hover(
        "sql: Sql",
        0,
        "```ballet\nprovide sql: Sql\n```\nport of `Db`; interface `Sql`  \ngroup: serving",
    );
}

#[test]
fn hover_transition_shows_behavior_cost_and_action() {
    check_hover(
        "start: ready",
        0,
        "transition `start` of `Db`: `ready -> serving`  \nbehavior: `deploy`  \ncost: 1.5  \naction: `systemctl start db on {site}`",
    );
}

#[test]
fn hover_instance_shows_type_and_site() {
    check_hover(
        "database.sql",
        0,
        "instance `database` of assembly `demo`  \ntype `Db` on site `server`",
    );
    // A goal's `app_1` is found through the elaborated assembly.
    check_hover(
        "app_1",
        0,
        "instance `app_{i}` of assembly `demo`  \ntype `App` on site `client_{i}`",
    );
}

#[test]
fn hover_goal_says_what_it_means() {
    check_hover(
        "deploy for",
        0,
        "goal `deploy`: from `demo`\n- every instance starts at its initial place\n- `app_1` executes its behavior `deploy`\n- every instance ends at its running place\n\n3 instances; 1 behaviors to execute, 0 port and 3 place conditions at the end",
    );
}

fn check_definition(needle: &str, nth: usize, target: &str, target_nth: usize) {
    let (a, offset) = setup(&[("/virtual/app.blt", &cursor(needle, nth))]);
    let loc = definition(&a, offset).unwrap_or_else(|| panic!("no definition at {needle}"));
    let expected = APP.match_indices(target).nth(target_nth).expect("target").0;
    assert_eq!(
        loc.span.start as usize,
        expected,
        "{}",
        &APP[loc.span.range()]
    );
}

#[test]
fn definition_of_places_ports_instances_types_and_params() {
    check_definition("ready -> serving", 0, "ready", 0);
    check_definition("sql -> app", 0, "sql: Sql", 0);
    check_definition("database.sql", 0, "database: Db", 0);
    check_definition("Db }", 0, "Db {", 0);
    check_definition("n {\n        site", 0, "n: int", 0);
    check_definition("app_1", 0, "app_{i}: App", 0);
    check_definition("deploy\n    all", 0, "deploy { launch", 0);
}

#[test]
fn references_include_every_use() {
    let (a, offset) = setup(&[("/virtual/app.blt", &cursor("serving\n", 0))]);
    let spans: Vec<&str> = references(&a, offset, true)
        .iter()
        .map(|l| &APP[l.span.range()])
        .collect();
    assert_eq!(spans, ["serving"; 4]);
    assert_eq!(references(&a, offset, false).len(), 3);
}

#[test]
fn rename_within_the_file() {
    let (a, offset) = setup(&[("/virtual/app.blt", &cursor("ready", 0))]);
    let edits = rename(&a, offset, "prepared").expect("renamed");
    assert_eq!(edits.len(), 3);
    assert!(edits
        .iter()
        .all(|(s, t)| &APP[s.range()] == "ready" && t == "prepared"));
    assert!(rename(&a, offset, "not a name").is_err());
    let (a, offset) = setup(&[("/virtual/app.blt", &cursor("Db {", 0))]);
    assert!(rename(&a, offset, "component").is_err(), "a keyword");
    let (a, offset) = setup(&[("/virtual/app.blt", &cursor("app_{i}: App", 0))]);
    assert!(rename(&a, offset, "x").is_err(), "an interpolated name");
}

#[test]
fn outline_lists_items_and_members() {
    let (a, _) = setup(&[("/virtual/app.blt", APP)]);
    let names: Vec<String> = outline(&a)
        .iter()
        .map(|s| {
            let children: Vec<&str> = s.children.iter().map(|c| c.name.as_str()).collect();
            format!("{}[{}]", s.name, children.join(","))
        })
        .collect();
    assert_eq!(
        names,
        [
            "Sql[]",
            "Db[off,ready,serving,deploy,sql]",
            "App[off,up,deploy,db]",
            "demo[n,server,for i]",
            "deploy[]"
        ]
    );
}

fn labels(files: &[(&str, &str)]) -> Vec<String> {
    let (a, offset) = setup(files);
    complete(&a, offset).into_iter().map(|c| c.label).collect()
}

#[test]
fn completion_after_an_instance_offers_its_ports_and_behaviors() {
    let text = APP.replace("connect database.sql", "connect database.$0");
    assert_eq!(labels(&[("/virtual/app.blt", &text)]), ["sql", "deploy"]);
    let text = APP.replace("behavior app_1.deploy", "behavior app_1.de$0");
    assert_eq!(labels(&[("/virtual/app.blt", &text)]), ["db", "deploy"]);
}

#[test]
fn completion_in_each_context() {
    let in_component = labels(&[("/virtual/app.blt", &cursor("    initial off\n", 0))]);
    assert!(
        in_component.contains(&"ready".to_string()),
        "{in_component:?}"
    );
    assert!(in_component.contains(&"Sql".to_string()));
    assert!(in_component.contains(&"behavior".to_string()));
    let in_assembly = labels(&[("/virtual/app.blt", &cursor("    for i", 0))]);
    for want in ["App", "Db", "database", "server", "n", "connect"] {
        assert!(
            in_assembly.contains(&want.to_string()),
            "{want}: {in_assembly:?}"
        );
    }
    let in_goal = labels(&[("/virtual/app.blt", &cursor("    all running", 0))]);
    for want in ["app_0", "app_1", "database", "forall"] {
        assert!(in_goal.contains(&want.to_string()), "{want}: {in_goal:?}");
    }
    let top = labels(&[("/virtual/app.blt", "interface Sql\n$0")]);
    assert_eq!(
        top,
        ["assembly", "component", "goal", "import", "interface"]
    );
    let import = labels(&[("/virtual/app.blt", "import $0")]);
    assert_eq!(import, ["cps", "openstack"]);
}

#[test]
fn diagnostics_match_balletc_check() {
    let text = APP.replace("ready -> serving", "ready -> nowhere");
    let (a, _) = setup(&[("/virtual/app.blt", &text)]);
    let got: Vec<(String, String)> = a
        .root_diagnostics()
        .into_iter()
        .map(|d| (d.code, d.message))
        .collect();
    let expected: Vec<(String, String)> = a
        .diagnostics
        .iter()
        .map(|d| (d.code.as_str().to_string(), d.message.clone()))
        .collect();
    assert_eq!(got, expected);
    assert_eq!(got[0].0, "E0202");
}

#[test]
fn errors_of_an_open_imported_file_show_on_the_import() {
    let main = "import \"lib.blt\"\nassembly a { site s { x: T } }\n";
    let broken = "component T { places p initial p running q }\n";
    let (a, _) = setup(&[("/virtual/main.blt", main), ("/virtual/lib.blt", broken)]);
    let d = a.root_diagnostics();
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].code, "E0202");
    assert_eq!(&main[d[0].span.range()], "import \"lib.blt\"");
    assert_eq!(a.text(d[0].related[0].file), broken);
    // The open (unsaved) text counts, not the disk.
    let fixed = "component T { places p initial p running p }\n";
    let (a, _) = setup(&[("/virtual/main.blt", main), ("/virtual/lib.blt", fixed)]);
    assert_eq!(a.root_diagnostics(), []);
}

#[test]
fn formatting_uses_the_formatter() {
    assert_eq!(
        formatting("interface   Sql").as_deref(),
        Some("interface Sql\n")
    );
    assert_eq!(formatting("interface {"), None);
}

#[test]
fn garbage_never_panics() {
    let texts = [
        "",
        "{{{{",
        "}}}} component",
        "component X { places a, b initial a running b behavior d { t: a -> b } use p: I at }",
        "assembly a(n: int = 1/0) { for i in 0..n { site s_{i/0} { x_{i}: X } } connect x_0. -> ",
        "goal g for nowhere(n = \"x\") -> other { start x at behavior y. port z.",
        "é😀 component 😀 { places é }",
    ];
    for text in texts {
        let (a, _) = setup(&[("/virtual/garbage.blt", text)]);
        for offset in 0..=text.len() + 2 {
            let _ = a.root_diagnostics();
            let _ = hover(&a, offset);
            let _ = definition(&a, offset);
            let _ = references(&a, offset, true);
            let _ = complete(&a, offset);
            let _ = rename(&a, offset, "renamed");
            let _ = outline(&a);
        }
    }
}
