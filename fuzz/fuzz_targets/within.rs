//! Fuzz target: a `--within` selection (codes, a codes file or a polygon
//! file) resolved against a small grid (see `inputs::within`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| dxmap_fuzz::inputs::within(data));
