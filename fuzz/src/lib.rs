//! Fuzz harness for dxmap: the checks each target runs live in [`harness`],
//! which `tests/fuzz_regressions.rs` also includes by path.

pub mod harness;
