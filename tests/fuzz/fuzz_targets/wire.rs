//! Fuzz target: what an agent reads from its peers and its disk: frames, hello and handshake, messages, state files, checkpoints.
//! The body is `ballet_tests::hostile::wire`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ballet_tests::hostile::wire(data));
