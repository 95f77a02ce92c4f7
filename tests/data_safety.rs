//! Outputs never touch an input, and no input file can hang a run or blow
//! its memory, checked through the real `dxmap` binary.
//!
//! In: the good project of `fixtures/malformed/base/` copied into a
//! temporary directory and built there into `base.dxds`; FIFOs (`mkfifo`),
//! a character device (`mknod`, when allowed) and sparse multi-gigabyte
//! files made in that directory, never in `/dev`. Every refusal must exit 2
//! with a message naming the paths, leave every file byte-identical (a FIFO
//! or device still a FIFO or device) and leave no temporary file; every
//! command runs under a time limit and the refused large inputs under a
//! peak RSS limit (the kernel's `wait4` figure, as `tests/malformed.rs`
//! measures it). Also: a quoted CSV field holding line breaks is held to the
//! 1 MiB limit, `--quiet` silences `dxmap build`, a full disk during an
//! MBTiles export says so, and a running server refuses a reload of an
//! oversized file or a FIFO without its memory growing.

#![cfg(unix)]

mod common;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::os::unix::fs::FileTypeExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const BASE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/malformed/base");
const MB: u64 = 1_000_000;
/// Long enough for a tiny build or export on a busy machine; a run that
/// blocks on a FIFO or reads gigabytes overshoots it.
const LIMIT: Duration = Duration::from_secs(60);

fn run(dir: &Path, args: &[&str]) -> common::Run {
    common::run_measured(dir, args, LIMIT)
}

/// A temporary directory with the base project and `base.dxds` built from it.
fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for entry in std::fs::read_dir(BASE).expect("fixture dir") {
        let p = entry.expect("entry").path();
        std::fs::copy(&p, dir.path().join(p.file_name().expect("name"))).expect("copy");
    }
    let r = run(
        dir.path(),
        &[
            "--quiet",
            "build",
            "--project",
            "project.toml",
            "--out",
            "base.dxds",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    dir
}

/// What `dir` holds: each name with its bytes, or its kind if not a file.
/// A file over 64 MB (a sparse test file) stands as its size and mtime:
/// holding it would raise the peak RSS that children inherit at fork.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .expect("list")
        .map(|e| {
            let e = e.expect("entry");
            let t = e.file_type().expect("type");
            let meta = e.metadata().expect("metadata");
            let content = if t.is_file() && meta.len() <= 64 * MB {
                std::fs::read(e.path()).expect("read")
            } else if t.is_file() {
                format!("{} bytes, modified {:?}", meta.len(), meta.modified().ok()).into_bytes()
            } else {
                format!("{t:?}").into_bytes()
            };
            (e.file_name().to_string_lossy().into_owned(), content)
        })
        .collect()
}

/// Runs a command that must be refused: exit 2, every fragment in the
/// message, and the directory exactly as before.
fn refused(dir: &Path, args: &[&str], wants: &[&str]) -> String {
    let before = snapshot(dir);
    let r = run(dir, args);
    assert_eq!(r.code, 2, "{args:?}: {}{}", r.stdout, r.stderr);
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    for w in wants {
        assert!(
            r.stderr.contains(w),
            "{args:?}: stderr lacks {w:?}: {}",
            r.stderr
        );
    }
    assert!(
        snapshot(dir) == before,
        "{args:?}: a file changed or appeared: {}",
        r.stderr
    );
    r.stderr
}

fn mkfifo(path: &Path) {
    let ok = Command::new("mkfifo").arg(path).status();
    assert!(ok.expect("mkfifo").success(), "mkfifo {}", path.display());
}

fn is_fifo(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.file_type().is_fifo())
}

#[test]
fn export_onto_its_own_dataset_is_refused_and_the_dataset_kept() {
    let ws = workspace();
    let d = ws.path();
    std::os::unix::fs::symlink("base.dxds", d.join("link.dxds")).expect("symlink");
    for format in ["csv", "geojson", "mbtiles", "pmtiles"] {
        refused(
            d,
            &[
                "export",
                format,
                "--dataset",
                "base.dxds",
                "--methodology",
                "method.toml",
                "--out",
                "base.dxds",
            ],
            &["base.dxds: is the same file as base.dxds (the dataset); refusing to overwrite"],
        );
    }
    // Other names for the same file: another spelling, a symlink either way.
    for (dataset, out) in [
        ("base.dxds", "./base.dxds"),
        ("link.dxds", "base.dxds"),
        ("base.dxds", "link.dxds"),
    ] {
        let err = refused(
            d,
            &[
                "export",
                "csv",
                "--dataset",
                dataset,
                "--methodology",
                "method.toml",
                "--out",
                out,
            ],
            &[&format!(
                "{out}: is the same file as {dataset} (the dataset)"
            )],
        );
        println!("{}", err.trim());
    }
    // A new path is fine.
    let r = run(
        d,
        &[
            "--quiet",
            "export",
            "csv",
            "--dataset",
            "link.dxds",
            "--methodology",
            "method.toml",
            "--out",
            "base.csv",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
}

#[test]
fn no_output_may_be_the_project_a_file_it_names_or_the_methodology() {
    let ws = workspace();
    let d = ws.path();
    for (flag, target, what) in [
        (
            "--out",
            "areas.geojson",
            "the boundary file named by project.toml",
        ),
        ("--out", "table.csv", "table 'base' named by project.toml"),
        ("--out", "project.toml", "the project file"),
        ("--table", "table.csv", "table 'base' named by project.toml"),
        ("--table", "project.toml", "the project file"),
        (
            "--table",
            "areas.geojson",
            "the boundary file named by project.toml",
        ),
    ] {
        let mut args = vec!["build", "--project", "project.toml"];
        if flag == "--table" {
            args.extend(["--out", "new.dxds"]);
        }
        args.extend([flag, target]);
        refused(
            d,
            &args,
            &[&format!("{target}: is the same file as {target} ({what})")],
        );
    }
    refused(
        d,
        &[
            "build",
            "--project",
            "project.toml",
            "--out",
            "x.dxds",
            "--table",
            "./x.dxds",
        ],
        &["./x.dxds: given as both --out and --table"],
    );
    // export with a project built on the fly, and the methodology.
    refused(
        d,
        &[
            "export",
            "csv",
            "--dataset",
            "project.toml",
            "--methodology",
            "method.toml",
            "--out",
            "table.csv",
        ],
        &["table.csv: is the same file as table.csv (table 'base' named by project.toml)"],
    );
    refused(
        d,
        &[
            "export",
            "geojson",
            "--dataset",
            "base.dxds",
            "--methodology",
            "method.toml",
            "--out",
            "method.toml",
        ],
        &["method.toml: is the same file as method.toml (the methodology)"],
    );
    // The persona file a methodology names is an input too.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("methodology");
    for f in ["london.toml", "personas.toml"] {
        std::fs::copy(root.join(f), d.join(f)).expect("copy");
    }
    refused(
        d,
        &[
            "export",
            "csv",
            "--dataset",
            "base.dxds",
            "--methodology",
            "london.toml",
            "--out",
            "personas.toml",
        ],
        &[
            "personas.toml: is the same file as personas.toml (the persona file named by london.toml)",
        ],
    );
    let r = run(
        d,
        &[
            "--quiet",
            "build",
            "--project",
            "project.toml",
            "--out",
            "new.dxds",
            "--table",
            "new.csv",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
}

#[test]
fn a_fifo_device_or_directory_is_never_replaced_by_an_output() {
    let ws = workspace();
    let d = ws.path();
    mkfifo(&d.join("out.fifo"));
    std::fs::create_dir(d.join("dir.out")).expect("mkdir");
    // A copy of /dev/null's node, made here rather than touching /dev.
    let device = Command::new("mknod")
        .args(["null.dev", "c", "1", "3"])
        .current_dir(d)
        .status()
        .is_ok_and(|s| s.success());
    let mut targets = vec![
        ("out.fifo", "is a FIFO (named pipe), not a regular file"),
        ("dir.out", "is a directory, not a regular file"),
    ];
    if device {
        targets.push(("null.dev", "is a character device, not a regular file"));
    } else {
        println!("skipped the device case: mknod is not allowed here");
    }
    for (target, why) in targets {
        let want = format!("{target}: {why}; refusing to replace it");
        refused(
            d,
            &["build", "--project", "project.toml", "--out", target],
            &[&want],
        );
        refused(
            d,
            &[
                "build",
                "--project",
                "project.toml",
                "--out",
                "new.dxds",
                "--table",
                target,
            ],
            &[&want],
        );
        for format in ["csv", "mbtiles"] {
            refused(
                d,
                &[
                    "export",
                    format,
                    "--dataset",
                    "base.dxds",
                    "--methodology",
                    "method.toml",
                    "--out",
                    target,
                ],
                &[&want],
            );
        }
    }
    assert!(is_fifo(&d.join("out.fifo")));
    if device {
        let m = std::fs::metadata(d.join("null.dev")).expect("device");
        assert!(m.file_type().is_char_device());
    }
}

#[test]
fn a_fifo_given_as_any_input_is_refused_at_once() {
    let ws = workspace();
    let d = ws.path();
    mkfifo(&d.join("in.fifo"));
    let base = std::fs::read_to_string(d.join("project.toml")).expect("project");
    for (name, from) in [
        ("table_fifo.toml", "file = \"table.csv\""),
        ("areas_fifo.toml", "file = \"areas.geojson\""),
    ] {
        assert!(base.contains(from));
        let text = base.replace(from, "file = \"in.fifo\"");
        std::fs::write(d.join(name), text).expect("project");
    }
    let cases: [&[&str]; 6] = [
        &["export", "csv", "--dataset", "in.fifo", "--out", "o.csv"],
        &["build", "--project", "in.fifo", "--out", "o.dxds"],
        &[
            "export",
            "csv",
            "--dataset",
            "base.dxds",
            "--methodology",
            "in.fifo",
            "--out",
            "o.csv",
        ],
        &["build", "--project", "table_fifo.toml", "--out", "o.dxds"],
        &["build", "--project", "areas_fifo.toml", "--out", "o.dxds"],
        &[
            "export",
            "csv",
            "--dataset",
            "table_fifo.toml",
            "--out",
            "o.csv",
        ],
    ];
    for args in cases {
        let started = Instant::now();
        let err = refused(
            d,
            args,
            &["in.fifo: is a FIFO (named pipe), not a regular file"],
        );
        println!("{args:?}: {:.2?}: {}", started.elapsed(), err.trim());
    }
    assert!(is_fifo(&d.join("in.fifo")));
}

/// Peak RSS allowed for refusing a multi-gigabyte dataset file.
const RSS_LIMIT: u64 = 100 * MB;

/// A sparse file of `size` bytes (no disk used) starting with `head`.
fn sparse(path: &Path, head: &[u8], size: u64) {
    let mut f = std::fs::File::create(path).expect("create");
    f.write_all(head).expect("write");
    f.set_len(size).expect("set_len");
}

#[test]
fn a_huge_dataset_file_is_refused_promptly_in_little_memory() {
    let ws = workspace();
    let d = ws.path();
    let good = std::fs::read(d.join("base.dxds")).expect("artifact");
    // A header as written, declaring a 3 GB payload that the file holds.
    let mut head = good[..24].to_vec();
    head[12..20].copy_from_slice(&3_000_000_000u64.to_le_bytes());
    sparse(&d.join("zeros.dxds"), b"", 3_000_000_000);
    sparse(&d.join("huge.dxds"), &head, 3_000_000_024);
    for (name, want) in [
        ("zeros.dxds", "zeros.dxds: not a dxmap dataset (bad magic)"),
        (
            "huge.dxds",
            "huge.dxds: header declares a payload of 3000000000 bytes, over the limit of 1073741824",
        ),
    ] {
        let before = snapshot(d);
        let r = run(d, &["export", "csv", "--dataset", name, "--out", "out.csv"]);
        println!(
            "{name}: exit {} in {:.2?}, peak RSS {:.1} MB",
            r.code,
            r.elapsed,
            r.peak_rss as f64 / 1e6
        );
        assert_eq!(r.code, 2, "{}", r.stderr);
        assert!(r.stderr.contains(want), "{}", r.stderr);
        assert!(r.elapsed < Duration::from_secs(10), "{:?}", r.elapsed);
        assert!(r.peak_rss < RSS_LIMIT, "peak RSS {} bytes", r.peak_rss);
        assert!(snapshot(d) == before);
    }
}

#[test]
fn a_quoted_field_with_line_breaks_is_held_to_the_line_limit() {
    let ws = workspace();
    let d = ws.path();
    // 8 MB in one quoted field, in lines of 100 bytes: no line is long.
    let mut table = b"code,people,older,score,group\nE01000001,100,20,1.5,\"".to_vec();
    let line = [b'x'; 99];
    while table.len() < 8 << 20 {
        table.extend_from_slice(&line);
        table.push(b'\n');
    }
    table.extend_from_slice(b"\"\nE01000002,200,50,-0.5,b\n");
    std::fs::write(d.join("table.csv"), &table).expect("table");
    let err = refused(
        d,
        &["build", "--project", "project.toml", "--out", "o.dxds"],
        &["table.csv: line 2: a field starting here is longer than 1048576 bytes"],
    );
    println!("{}", err.trim());
}

#[test]
fn quiet_build_prints_only_warnings() {
    let ws = workspace();
    for quiet in [
        &["--quiet", "build"][..],
        &["-q", "build"],
        &["build", "--quiet"],
    ] {
        let mut args = quiet.to_vec();
        args.extend(["--project", "project.toml", "--out", "q.dxds"]);
        let r = run(ws.path(), &args);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert_eq!(r.stdout, "", "{args:?}");
        assert_eq!(r.stderr, "", "{args:?}");
    }
    let r = run(
        ws.path(),
        &["build", "--project", "project.toml", "--out", "q.dxds"],
    );
    assert!(r.stdout.contains("wrote q.dxds"), "{}", r.stdout);
    // Quiet drops the report but keeps its warnings, on stderr.
    let d = ws.path();
    let project = std::fs::read_to_string(d.join("project.toml")).expect("project");
    let warn = project.replace(
        "vintage = \"test\"",
        "vintage = \"test\"\non_invalid = \"warn\"",
    );
    std::fs::write(d.join("warn.toml"), warn).expect("project");
    std::fs::write(
        d.join("table.csv"),
        "code,people,older,score,group\nE01000001,1,1,high,a\n",
    )
    .expect("table");
    let r = run(
        d,
        &["-q", "build", "--project", "warn.toml", "--out", "w.dxds"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, "");
    assert!(
        r.stderr.starts_with("warning: ") && r.stderr.contains("'high' is not a number"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_full_disk_during_an_mbtiles_export_says_so() {
    let ws = workspace();
    let d = ws.path();
    let before = snapshot(d);
    // A file size limit (SIGXFSZ ignored, so write() fails) stands in for a
    // full disk; the output is bigger than 4 KiB.
    let o = Command::new("sh")
        .current_dir(d)
        .arg("-c")
        .arg("trap '' XFSZ; ulimit -f 8; exec \"$0\" --quiet export mbtiles --dataset base.dxds --methodology method.toml --out out.mbtiles")
        .arg(common::dxmap_bin())
        .output()
        .expect("sh");
    let err = String::from_utf8_lossy(&o.stderr);
    println!("{}", err.trim());
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.starts_with("dxmap: error: out.mbtiles: writing the MBTiles file failed ("),
        "{err}"
    );
    assert!(!err.contains("invalid options"), "{err}");
    assert!(
        snapshot(d) == before,
        "an output or temporary file was left"
    );
}

/// Peak RSS of a running process (`VmHWM`), in bytes.
fn peak_rss_of(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM");
    kb * 1024
}

/// Waits until `log` holds `needle` `count` times; false after `limit`.
fn wait_for(log: &Mutex<String>, needle: &str, count: usize, limit: Duration) -> bool {
    let t = Instant::now();
    while t.elapsed() < limit {
        if log.lock().expect("log").matches(needle).count() >= count {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

#[test]
fn a_server_refuses_to_reload_a_huge_file_or_a_fifo_without_growing() {
    if !Path::new("/proc/self/status").exists() {
        println!("skipped a_server_refuses_to_reload…: no /proc");
        return;
    }
    let ws = workspace();
    let d = ws.path();
    let mut child = Command::new(common::dxmap_bin())
        .current_dir(d)
        .args([
            "serve",
            "--dataset",
            "base.dxds",
            "--methodology",
            "method.toml",
            "--addr",
            "127.0.0.1:0",
            "--draws",
            "0",
            "--no-prewarm",
        ])
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn dxmap serve");
    let log = Arc::new(Mutex::new(String::new()));
    for r in [
        Box::new(child.stdout.take().expect("stdout")) as Box<dyn Read + Send>,
        Box::new(child.stderr.take().expect("stderr")),
    ] {
        let log = Arc::clone(&log);
        std::thread::spawn(move || {
            let mut r = std::io::BufReader::new(r);
            let mut line = String::new();
            while matches!(std::io::BufRead::read_line(&mut r, &mut line), Ok(n) if n > 0) {
                log.lock().expect("log").push_str(&line);
                line.clear();
            }
        });
    }
    let pid = child.id();
    // SAFETY: kill only sends a signal, to our own child (not yet reaped).
    let hup = || unsafe { libc::kill(pid as libc::pid_t, libc::SIGHUP) };
    let outcome = (|| -> Result<(), String> {
        if !wait_for(&log, "serving on", 1, LIMIT) {
            return Err("the server did not start".into());
        }
        let baseline = peak_rss_of(pid);
        // A 2 GB file whose header declares its 2 GB payload, moved over
        // the served file as a deploy would.
        let good = std::fs::read(d.join("base.dxds")).expect("artifact");
        let mut head = good[..24].to_vec();
        head[12..20].copy_from_slice(&2_000_000_000u64.to_le_bytes());
        sparse(&d.join("next.dxds"), &head, 2_000_000_024);
        std::fs::rename(d.join("next.dxds"), d.join("base.dxds")).expect("rename");
        hup();
        if !wait_for(&log, "reload refused", 1, LIMIT) {
            return Err("the 2 GB file was not refused".into());
        }
        // Then a FIFO in its place.
        mkfifo(&d.join("next.fifo"));
        std::fs::rename(d.join("next.fifo"), d.join("base.dxds")).expect("rename");
        let before = log.lock().expect("log").matches("reload refused").count();
        hup();
        if !wait_for(&log, "reload refused", before + 1, LIMIT) {
            return Err("a FIFO reload hung instead of being refused".into());
        }
        let peak = peak_rss_of(pid);
        println!(
            "peak RSS {:.1} MB before, {:.1} MB after both refusals",
            baseline as f64 / 1e6,
            peak as f64 / 1e6
        );
        if peak > baseline + 50 * MB {
            return Err(format!("peak RSS grew from {baseline} to {peak} bytes"));
        }
        Ok(())
    })();
    let _ = child.kill();
    let _ = child.wait();
    let log = log.lock().expect("log").clone();
    if let Err(e) = outcome {
        panic!("{e}\n{log}");
    }
    assert!(log.contains("over the limit of 1073741824"), "{log}");
    assert!(log.contains("is a FIFO (named pipe)"), "{log}");
    assert!(!log.contains("panicked"), "{log}");
}
