#[test]
fn parses_hello() {
    let text = include_str!("../../examples/hello.blt");
    let parsed = ballet_grammar::parse(text);
    assert!(parsed.errors.is_empty(), "{:#?}", parsed.errors);
    assert_eq!(parsed.file.items.len(), 5);
}
