//! Fuzz target: a site agent loading a `.bltc` image.
//! The body is `ballet_tests::hostile::load_bytecode`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ballet_tests::hostile::load_bytecode(data));
