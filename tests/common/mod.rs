//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

/// `../shared/data` beside the repository, or `None` (after printing one line
/// saying the test is skipped) when it is absent, as in a user's fresh clone.
pub fn shared_data(test: &str) -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data");
    if dir.join("SOURCES.md").is_file() {
        Some(dir)
    } else {
        println!("skipped {test}: ../shared/data is absent");
        None
    }
}

/// The built `dxmap` binary.
pub fn dxmap_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_dxmap"))
}
