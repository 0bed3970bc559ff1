//! `balletc fmt`: the one canonical layout of a `.blt` file.
//!
//! The formatter prints the syntax tree again, four spaces per level, one
//! item, member, transition or goal line per line, and places every comment
//! of the source on the way (see `writer.rs` for where comments go). It never
//! changes meaning: names, numbers and string literals are printed as written,
//! expressions with exactly the parentheses their tree needs. A file with
//! syntax errors is refused: its tree is partial and printing it would lose
//! text.
//!
//! Formatting is idempotent: `format(format(x)) == format(x)`.

mod expr;
mod items;
mod writer;

use ballet_grammar::ast::Item;
use ballet_grammar::{parse, SyntaxError};

use writer::Writer;

/// Formats a whole `.blt` text. Returns the syntax errors instead when the
/// text does not parse.
pub fn format(text: &str) -> Result<String, Vec<SyntaxError>> {
    let parsed = parse(text);
    if !parsed.errors.is_empty() {
        return Err(parsed.errors);
    }
    let mut w = Writer::new(text, &parsed.comments);
    let mut previous: Option<&Item> = None;
    for item in &parsed.file.items {
        // Components, assemblies and goals stand apart; runs of imports and
        // interfaces keep the blank lines they had.
        if previous.is_some_and(|p| is_block(p) || is_block(item)) {
            w.blank_line();
        }
        items::item(&mut w, item);
        previous = Some(item);
    }
    Ok(w.finish())
}

fn is_block(item: &Item) -> bool {
    matches!(item, Item::Component(_) | Item::Assembly(_) | Item::Goal(_))
}

#[cfg(test)]
mod tests {
    use super::format;

    #[track_caller]
    fn check(input: &str, expected: &str) {
        let once = format(input).expect("parses");
        assert_eq!(once, expected);
        assert_eq!(format(&once).expect("parses again"), once, "idempotent");
    }

    #[test]
    fn empty_and_comment_only_files() {
        check("", "");
        check("\n\n  \n", "");
        check(
            "  // only a comment  \n\n\n/* and a block */",
            "// only a comment\n\n/* and a block */\n",
        );
    }

    #[test]
    fn refuses_text_that_does_not_parse() {
        assert!(format("component {").is_err());
        assert!(format("interface Sql \"unterminated").is_err());
        assert!(format("/* never closed").is_err());
    }

    #[test]
    fn windows_line_ends_and_non_ascii_comments() {
        check(
            "interface Sql\r\n// été ✓\r\ninterface Http /* ünïcode */\r\n",
            "interface Sql\n// été ✓\ninterface Http /* ünïcode */\n",
        );
    }

    #[test]
    fn blank_lines_are_kept_once_and_blocks_stand_apart() {
        check(
            "interface A\n\n\n\ninterface B\ninterface C\ncomponent T { places p initial p running p }\ninterface D",
            "interface A\n\ninterface B\ninterface C\n\ncomponent T {\n    places p\n    initial p\n    running p\n}\n\ninterface D\n",
        );
    }

    #[test]
    fn trailing_comments_of_consecutive_lines_share_a_column() {
        check(
            "interface Sql // a\ninterface Identity // b\n\ninterface X // c\n",
            "interface Sql      // a\ninterface Identity // b\n\ninterface X // c\n",
        );
    }

    #[test]
    fn parentheses_exactly_where_the_tree_needs_them() {
        check(
            "assembly a(x: int = ((1)) - (2 - 3) * -(4 % 5), y: int = (1 - 2) - 3) {}",
            "assembly a(x: int = 1 - (2 - 3) * -(4 % 5), y: int = 1 - 2 - 3) {}\n",
        );
    }
}
