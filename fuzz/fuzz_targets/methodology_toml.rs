//! Fuzz target: methodology TOML from arbitrary bytes (see `harness::methodology`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| dxmap_fuzz::harness::methodology(data));
