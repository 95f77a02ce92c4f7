//! The web map in a real browser: runs tests/browser (node's test runner
//! driving Debian's headless Chromium through playwright-core, with axe-core)
//! against `dxmap serve` from this build, so `cargo test` covers the page too.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

#[test]
fn web_map_in_a_real_browser() {
    let test = "web_map_in_a_real_browser";
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let chromium = std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    if !chromium.is_file() {
        common::skip_for_tool(test, "no chromium (apt-get install chromium)");
        return;
    }
    if !common::has_command("node") || !common::has_command("npm") {
        common::skip_for_tool(test, "no node/npm");
        return;
    }
    if cfg!(debug_assertions) {
        common::skip_for_tool(
            test,
            "a debug server cuts cold tiles too slowly for the page's time limits: \
             run cargo test --release",
        );
        return;
    }
    let out = Command::new("bash")
        .arg(Path::new("tests/browser/run.sh"))
        .env("DXMAP_BIN", common::dxmap_bin())
        .current_dir(&root)
        .output()
        .expect("run tests/browser/run.sh");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    eprintln!("{stderr}");
    assert!(
        out.status.success(),
        "browser tests failed:\n{stdout}\n{stderr}"
    );
    // node's runner ends with "# pass N" / "# fail 0": make sure tests really ran.
    let passed = stdout
        .lines()
        .find_map(|l| l.strip_prefix("# pass "))
        .and_then(|n| n.trim().parse::<u32>().ok())
        .unwrap_or(0);
    assert!(passed > 0, "no browser test ran:\n{stdout}");
}
