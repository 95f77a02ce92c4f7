//! Load, soak and faults against a real `dxmap serve` on loopback: runs
//! benches/soak.sh for 20 seconds (the documented soak runs 10 minutes) with
//! wrk at saturation, then reloads and a corrupt reload under load. The script
//! fails on any socket error, non-2xx response, panic, refused good reload,
//! accepted corrupt reload or RSS growth over 10% after warm-up.

mod common;

use std::path::PathBuf;
use std::process::Command;

#[test]
fn twenty_second_soak_and_faults_under_load() {
    let test = "twenty_second_soak_and_faults_under_load";
    for tool in ["wrk", "curl", "python3"] {
        if !common::has_command(tool) {
            common::skip_for_tool(test, &format!("no {tool} (apt-get install {tool})"));
            return;
        }
    }
    if cfg!(debug_assertions) {
        common::skip_for_tool(
            test,
            "a debug server's saturation figures mean nothing: run cargo test --release",
        );
        return;
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new("bash")
        .arg(root.join("benches/soak.sh"))
        .arg("20s")
        .env("DXMAP", common::dxmap_bin())
        .current_dir(&root)
        .output()
        .expect("run benches/soak.sh");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    assert!(out.status.success(), "soak failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("soak: PASS"), "{stdout}");
    assert!(
        stdout.contains("non-2xx 0"),
        "wrk's counts were printed: {stdout}"
    );
}
