//! One test per `.blt` fixture under `fixtures/check/`: the rendered
//! diagnostics must equal the golden `.out` file beside it. Files under
//! `valid/` must also check without error. `BLESS=1 cargo test` rewrites the
//! golden files (review the diff like code).

use std::path::Path;

use ballet_tests::check_text;

fn check_fixture(path: &Path, text: String) -> datatest_stable::Result<()> {
    let name = path
        .strip_prefix(env!("CARGO_MANIFEST_DIR"))
        .unwrap_or(path)
        .display()
        .to_string();
    let outcome = check_text(&name, path, &text);
    outcome.spans_in_bounds()?;
    let valid = path.components().any(|c| c.as_os_str() == "valid");
    if valid && outcome.diagnostics.iter().any(|d| d.is_error()) {
        return Err(format!("valid fixture has errors:\n{}", outcome.rendered(&name)).into());
    }
    if !valid && !outcome.diagnostics.iter().any(|d| d.is_error()) && !name.contains("/W0") {
        return Err("error fixture reported no error".into());
    }
    let actual = outcome.rendered(&name);
    Ok(ballet_tests::golden(&path.with_extension("out"), &actual)?)
}

datatest_stable::harness! {
    { test = check_fixture, root = "fixtures/check", pattern = r"\.blt$" },
}
