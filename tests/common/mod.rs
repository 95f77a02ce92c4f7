//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod csv;
pub mod oneshot;

use std::path::{Path, PathBuf};
#[cfg(unix)]
use std::time::{Duration, Instant};

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

/// Runs `cmd` to the end and fails the test, with `what` and its stderr,
/// unless it succeeded; returns its output.
pub fn run_ok(cmd: &mut std::process::Command, what: &str) -> std::process::Output {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot run: {e}"));
    assert!(
        out.status.success(),
        "{what}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Runs a Python `script` under [`python()`] with `args` and reads the JSON
/// document it prints.
pub fn python_json<S: AsRef<std::ffi::OsStr>>(script: &str, args: &[S]) -> serde_json::Value {
    let out = run_ok(
        std::process::Command::new(python())
            .arg("-c")
            .arg(script)
            .args(args),
        "python",
    );
    serde_json::from_slice(&out.stdout).expect("python printed JSON")
}

/// What a finished `dxmap` run gave.
#[cfg(unix)]
pub struct Run {
    /// Exit code, or -1 when a signal ended it.
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    /// Peak resident set size, in bytes.
    pub peak_rss: u64,
    pub elapsed: Duration,
}

/// Runs the built `dxmap` in `dir` with `args` and an empty stdin, killing
/// it (and failing the test) if it runs past `limit`. The peak RSS is the
/// kernel's accounting of the child (`wait4`), so it misses nothing
/// between samples.
#[cfg(unix)]
#[expect(
    clippy::zombie_processes,
    reason = "the child is reaped by wait4, which also gives its peak RSS"
)]
pub fn run_measured(dir: &Path, args: &[&str], limit: Duration) -> Run {
    use std::io::Read;
    use std::process::{Command, Stdio};
    let started = Instant::now();
    let mut child = Command::new(dxmap_bin())
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn dxmap");
    let drain = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut s = String::new();
            r.read_to_string(&mut s).ok();
            s
        })
    };
    let out = drain(Box::new(child.stdout.take().expect("stdout")));
    let err = drain(Box::new(child.stderr.take().expect("stderr")));
    let pid = libc::pid_t::try_from(child.id()).expect("pid");
    let mut status = 0;
    // SAFETY: rusage is plain data the kernel fills; pid is our own child,
    // which `Child` has not reaped.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        let got = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        if got == pid {
            break;
        }
        assert_eq!(got, 0, "wait4: {}", std::io::Error::last_os_error());
        if started.elapsed() > limit {
            let _ = child.kill();
            unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
            panic!("dxmap {args:?} did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let elapsed = started.elapsed();
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    Run {
        code,
        stdout: out.join().expect("stdout thread"),
        stderr: err.join().expect("stderr thread"),
        // ru_maxrss is in kilobytes on Linux.
        peak_rss: usage.ru_maxrss as u64 * 1024,
        elapsed,
    }
}
