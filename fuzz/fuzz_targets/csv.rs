//! Fuzz target: csv ingest from arbitrary bytes (see `harness::csv`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| dxmap_fuzz::harness::csv(data));
