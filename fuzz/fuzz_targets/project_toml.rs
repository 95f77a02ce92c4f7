//! Fuzz target: project TOML from arbitrary bytes (see `harness::project`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| dxmap_fuzz::harness::project(data));
