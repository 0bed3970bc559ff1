//! The formatter on every `.blt` file of the repository: fixtures (those that
//! parse), examples, the standard library, and the golden files of
//! `fixtures/fmt/`.
//!
//! For each file: formatting is idempotent, keeps every comment (the same
//! texts in the same order), and never changes meaning (the formatted text
//! checks to the same model, elaborated assemblies, goals and diagnostics,
//! spans aside). `fixtures/fmt/NAME.blt` must also format to
//! `NAME.formatted` (`BLESS=1` rewrites it).

use std::path::Path;

use ballet_compiler::check::{analyze, Options};
use ballet_compiler::diagnostic::Diagnostics;
use ballet_compiler::fmt::format;
use ballet_compiler::load::{load, Origin};
use ballet_grammar::parse;
use ballet_tests::header_defines;

type Result = datatest_stable::Result<()>;

/// The comments of `text` as the formatter prints them: no trailing spaces.
fn comments(text: &str) -> Vec<String> {
    parse(text)
        .comments
        .iter()
        .map(|c| {
            let raw = &text[c.span.range()];
            let lines: Vec<&str> = raw.lines().map(str::trim_end).collect();
            lines.join("\n")
        })
        .collect()
}

/// Everything the checker makes of `text` at `path`, spans left out.
fn meaning(path: &Path, text: &str, defines: &[(String, String)]) -> String {
    let mut diagnostics = Diagnostics::default();
    let program = load(
        path.display().to_string(),
        text.to_string(),
        Origin::Path(path.to_path_buf()),
        &mut diagnostics,
    );
    let options = Options {
        defines: defines.to_vec(),
    };
    let analysis = analyze(&program, &options, &mut diagnostics);
    let assemblies: Vec<_> = analysis
        .assemblies
        .iter()
        .map(|e| (&e.assembly, e.ok))
        .collect();
    let codes: Vec<_> = diagnostics
        .into_sorted()
        .into_iter()
        .map(|d| (d.code, d.message, d.notes, d.help))
        .collect();
    format!(
        "{:#?}\n{assemblies:#?}\n{:#?}\n{codes:#?}",
        analysis.model, analysis.goals
    )
}

/// The three properties every formattable file must have.
fn properties(path: &Path, text: &str, formatted: &str) -> Result {
    let again = format(formatted).map_err(|e| format!("formatted text does not parse: {e:?}"))?;
    if again != formatted {
        return Err(format!("not idempotent:\n--- once\n{formatted}\n--- twice\n{again}").into());
    }
    if comments(text) != comments(formatted) {
        return Err(format!(
            "comments differ:\n{:#?}\n--- after\n{:#?}",
            comments(text),
            comments(formatted)
        )
        .into());
    }
    let defines = header_defines(text);
    let before = meaning(path, text, &defines);
    let after = meaning(path, formatted, &defines);
    if before != after {
        return Err(format!("meaning changed:\n--- before\n{before}\n--- after\n{after}").into());
    }
    Ok(())
}

/// Every `.blt` file: formattable ones keep their meaning; the others have
/// syntax errors, which is the only reason to refuse.
fn every_file(path: &Path, text: String) -> Result {
    match format(&text) {
        Ok(formatted) => properties(path, &text, &formatted),
        Err(errors) if !errors.is_empty() => Ok(()),
        Err(_) => Err("refused without a syntax error".into()),
    }
}

/// Examples and the standard library are kept formatted (CI checks it too).
fn example(path: &Path, text: String) -> Result {
    committed_formatted(path, text)
}

/// A standard-library module is kept formatted, like the examples.
fn stdlib(path: &Path, text: String) -> Result {
    committed_formatted(path, text)
}

fn committed_formatted(path: &Path, text: String) -> Result {
    let formatted = format(&text).map_err(|e| format!("does not parse: {e:?}"))?;
    properties(path, &text, &formatted)?;
    if formatted != text {
        return Err(format!("not formatted: run `balletc fmt {}`", path.display()).into());
    }
    Ok(())
}

/// `fixtures/fmt/NAME.blt` formats to `NAME.formatted`.
fn golden(path: &Path, text: String) -> Result {
    let formatted = format(&text).map_err(|e| format!("does not parse: {e:?}"))?;
    properties(path, &text, &formatted)?;
    let golden = path.with_extension("formatted");
    if std::env::var_os("BLESS").is_some() {
        std::fs::write(&golden, &formatted)?;
        return Ok(());
    }
    let expected = std::fs::read_to_string(&golden)
        .map_err(|e| format!("{}: {e} (run with BLESS=1 to create it)", golden.display()))?;
    if expected != formatted {
        return Err(format!(
            "output differs from {}\n--- expected\n{expected}\n--- actual\n{formatted}",
            golden.display()
        )
        .into());
    }
    Ok(())
}

datatest_stable::harness! {
    { test = every_file, root = "fixtures/check", pattern = r"\.blt(lib)?$" },
    { test = example, root = "../examples", pattern = r"\.blt$" },
    { test = stdlib, root = "../stdlib", pattern = r"\.blt$" },
    { test = golden, root = "fixtures/fmt", pattern = r"\.blt$" },
}
