//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod csv;

use std::path::PathBuf;

/// `../shared/data` beside the repository, or `None` (after [`skip_for_tool`])
/// when it is absent, as in a user's fresh clone.
pub fn shared_data(test: &str) -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data");
    if dir.join("SOURCES.md").is_file() {
        Some(dir)
    } else {
        skip_for_tool(test, "../shared/data is absent");
        None
    }
}

/// The built `dxmap` binary.
pub fn dxmap_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_dxmap"))
}

/// The one way a test skips: it cannot run here for want of an external
/// tool, of `../shared/data`, or of a release build. Prints one `skipped`
/// line, and the caller returns. But where CI set `DXMAP_REQUIRE_TOOLS=1`
/// (its install step put every tool in place, `../shared` is beside the
/// clone, and it tests with `--release`), nothing should be wanting, so a
/// skip is a failure: a broken install cannot pass as a run of skipped tests.
pub fn skip_for_tool(test: &str, why: &str) {
    if std::env::var_os("DXMAP_REQUIRE_TOOLS").is_some_and(|v| v == "1") {
        panic!(
            "{test}: {why} (DXMAP_REQUIRE_TOOLS=1: .ci/install.sh installs every tool, \
             ../shared/data must be beside the clone, and tests run with --release)"
        );
    }
    println!("skipped {test}: {why}");
}

/// True when `name` is a command on PATH.
pub fn has_command(name: &str) -> bool {
    std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {name} >/dev/null"))
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// The Python with the test modules (mapbox-vector-tile, pmtiles, shapely):
/// `DXMAP_PYTHON`, else the venv `.ci/install.sh` makes (`DXMAP_VENV`, default
/// `~/.cache/dxmap-venv`), else `python3`.
pub fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("DXMAP_PYTHON") {
        return PathBuf::from(p);
    }
    let venv = std::env::var_os("DXMAP_VENV")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/dxmap-venv")));
    match venv.map(|v| v.join("bin/python3")) {
        Some(py) if py.is_file() => py,
        _ => PathBuf::from("python3"),
    }
}

/// True when `python()` can import `module`.
pub fn python_has(module: &str) -> bool {
    std::process::Command::new(python())
        .args(["-c", &format!("import {module}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}
