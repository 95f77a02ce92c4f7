//! Fuzz target: `serve --basemap` flags checked and, when accepted, served
//! over a small grid (see `inputs::basemap`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| dxmap_fuzz::inputs::basemap(data));
