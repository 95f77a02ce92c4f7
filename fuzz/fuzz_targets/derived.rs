//! Fuzz target: `[[derived]]` entries of a project file computed over a
//! small grid with fuzzed values (see `inputs::derived`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| dxmap_fuzz::inputs::derived(data));
