//! Fuzz target: shapefile ingest from arbitrary bytes (see `harness::shapefile`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| dxmap_fuzz::harness::shapefile(data));
