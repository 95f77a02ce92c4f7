//! Fuzz target: the tile encoder fed arbitrary polygons. The input and what
//! is done with it live in `harness::mvt_input`, which
//! `tests/fuzz_regressions.rs` shares to replay the saved crash files.
#![no_main]

use dxmap_fuzz::harness::mvt_input::{Input, run};
use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;

/// One worker runs each whole input, so the encoder's parallel calls run
/// inline on it. From libFuzzer's own thread, every `par_iter` would hand
/// its work to a pool thread and wait, dozens of times an input: a replay
/// of 1,500 corpus inputs took 21 s that way and takes 17 s this way.
static POOL: LazyLock<rayon::ThreadPool> = LazyLock::new(|| {
    rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("a one-thread rayon pool")
});

fuzz_target!(|input: Input| {
    POOL.install(|| run(&input));
});
