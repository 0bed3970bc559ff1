//! One test per `.blt` fixture under `fixtures/plan/`: what `balletc plan`
//! prints (the plan without its timing, or the diagnostics) must equal the
//! golden `.out` file beside it. Files under `errors/` must fail, the others
//! must plan. `BLESS=1 cargo test` rewrites the golden files.

use std::path::Path;

use ballet_tests::plan_fixture;

fn plan_one(path: &Path, text: String) -> datatest_stable::Result<()> {
    let name = path
        .strip_prefix(env!("CARGO_MANIFEST_DIR"))
        .unwrap_or(path)
        .display()
        .to_string();
    let actual = plan_fixture(&name, path, &text);
    let must_fail = path.components().any(|c| c.as_os_str() == "errors");
    let planned = actual.starts_with("Plan for goal");
    if must_fail == planned {
        return Err(format!(
            "expected {}:\n{actual}",
            if must_fail { "an error" } else { "a plan" }
        )
        .into());
    }
    Ok(ballet_tests::golden(&path.with_extension("out"), &actual)?)
}

datatest_stable::harness! {
    { test = plan_one, root = "fixtures/plan", pattern = r"\.blt$" },
}
