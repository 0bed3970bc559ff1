//! Fuzz target: the lexer, parser and checker on a source text (`balletc check`).
//! The body is `ballet_tests::hostile::check_source`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ballet_tests::hostile::check_source(data));
