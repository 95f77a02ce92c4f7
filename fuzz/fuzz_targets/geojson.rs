//! Fuzz target: geojson ingest from arbitrary bytes (see `harness::geojson`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| dxmap_fuzz::harness::geojson(data));
