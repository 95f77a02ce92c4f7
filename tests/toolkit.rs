//! docs/TOOLKIT.md, run as written: every fenced `sh` block is run in order
//! (with `sh -e`, the built `dxmap` first on PATH) in a temporary copy of
//! `examples/` and `methodology/` beside a link to `../shared/data`, except
//! the block that starts the server (it runs until stopped). Then the Leeds
//! file must hold, for every Leeds LSOA, exactly the fields of the national
//! file, and the count of Leeds LSOAs in England's top decile is printed
//! and checked against the sentence of the doc that states it.
//!
//! `walkthrough_runs_as_written` needs `examples/england-wales-2021.toml`
//! and `methodology/dxmap-2025.toml` and skips, naming the file, without
//! them. `walkthrough_runs_on_the_2011_files` runs the same blocks on
//! `examples/england-wales.toml` (LSOA 2011, no wards) with the shipped
//! methodology `methodology/england-wales-2011.toml`.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::csv::Rows;

const LEEDS: &str = "E08000035";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The contents of every fenced `sh` block of `doc`, in order.
fn sh_blocks(doc: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur: Option<String> = None;
    for line in doc.lines() {
        match &mut cur {
            None if line.trim_end() == "```sh" => cur = Some(String::new()),
            Some(b) if line.trim_end() == "```" => {
                out.push(std::mem::take(b));
                cur = None;
            }
            Some(b) => {
                b.push_str(line);
                b.push('\n');
            }
            None => {}
        }
    }
    out
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

/// What the walkthrough left behind.
struct Run {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
}

/// Runs the doc's `sh` blocks with each `(from, to)` replaced, in a fresh
/// checkout-like directory; `None` (after a skip line) when the shared data
/// or a file the doc needs is absent.
fn walkthrough(test: &str, needs: &[&str], replace: &[(&str, &str)]) -> Option<Run> {
    let data = common::shared_data(test)?;
    for f in needs {
        if !repo().join(f).is_file() {
            println!(
                "skipped {test}: {f} is not in this checkout (docs/TOOLKIT.md is written against it)"
            );
            return None;
        }
    }
    let doc = std::fs::read_to_string(repo().join("docs/TOOLKIT.md")).expect("docs/TOOLKIT.md");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("dxmap");
    copy_dir(&repo().join("examples"), &dir.join("examples"));
    copy_dir(&repo().join("methodology"), &dir.join("methodology"));
    std::fs::create_dir_all(tmp.path().join("shared")).unwrap();
    std::os::unix::fs::symlink(data.canonicalize().unwrap(), tmp.path().join("shared/data"))
        .unwrap();
    let bin_dir = common::dxmap_bin().parent().unwrap().to_path_buf();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let blocks = sh_blocks(&doc);
    assert!(
        blocks.len() >= 5,
        "docs/TOOLKIT.md has {} sh blocks",
        blocks.len()
    );
    for block in blocks {
        let mut script = block.clone();
        for (from, to) in replace {
            script = script.replace(from, to);
        }
        if script.contains("dxmap serve") {
            println!("not run (a server runs until stopped): {}", script.trim());
            continue;
        }
        let out = Command::new("sh")
            .args(["-e", "-c", &script])
            .current_dir(&dir)
            .env("PATH", &path)
            .output()
            .expect("run sh");
        assert!(
            out.status.success(),
            "docs/TOOLKIT.md block failed:\n{script}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Some(Run { _tmp: tmp, dir })
}

/// Checks the files the walkthrough wrote; returns (Leeds LSOAs in the
/// nation's top decile, Leeds LSOAs).
fn check(run: &Run) -> (usize, usize) {
    let england = Rows::read(&run.dir.join("england.csv"));
    let leeds = Rows::read(&run.dir.join("leeds.csv"));
    assert!(!leeds.rows.is_empty());
    // Every national field of every Leeds row, as text: bit for bit at the
    // files' precision.
    for (code, row) in &leeds.rows {
        assert_eq!(leeds.get(code, "borough_code"), LEEDS, "{code}");
        let nat = &england.rows[code];
        for (k, name) in england.header.iter().enumerate() {
            assert_eq!(row[leeds.col(name)], nat[k], "{code}: {name}");
        }
    }
    assert!(
        england.rows.len() > 30 * leeds.rows.len(),
        "the national file is national"
    );
    let top = leeds
        .rows
        .keys()
        .filter(|c| leeds.get(c, "decile") == "10")
        .count();
    println!(
        "Leeds LSOAs in England's top decile: {top} of {}",
        leeds.rows.len()
    );
    // The edited methodology changed the scores.
    let rew = Rows::read(&run.dir.join("leeds-reweighted.csv"));
    assert!(
        leeds
            .rows
            .keys()
            .any(|c| rew.get(c, "index") != leeds.get(c, "index"))
    );
    assert!(
        rew.header
            .iter()
            .any(|h| h.starts_with("i_") && !leeds.header.contains(h))
    );
    // Within Leeds: the rank is the rank within.
    let local = Rows::read(&run.dir.join("leeds-within-leeds.csv"));
    for c in local.rows.keys() {
        assert_eq!(local.get(c, "rank"), local.get(c, "rank_within"), "{c}");
    }
    for f in [
        "leeds.geojson",
        "leeds-wards.geojson",
        "leeds-wards.csv",
        "leeds.pmtiles",
    ] {
        assert!(run.dir.join(f).is_file(), "{f} written");
    }
    (top, leeds.rows.len())
}

#[test]
fn walkthrough_runs_as_written() {
    let Some(run) = walkthrough(
        "walkthrough_runs_as_written",
        &[
            "examples/england-wales-2021.toml",
            "methodology/dxmap-2025.toml",
        ],
        &[],
    ) else {
        return;
    };
    let (top, all) = check(&run);
    let doc = std::fs::read_to_string(repo().join("docs/TOOLKIT.md")).unwrap();
    let stated = format!("**{top} of Leeds' {all} LSOAs**");
    assert!(
        doc.contains(&stated),
        "docs/TOOLKIT.md must say {stated} (the run gives {top} of {all})"
    );
}

#[test]
fn walkthrough_runs_on_the_2011_files() {
    let fixture = repo().join("methodology/england-wales-2011.toml");
    let fixture = fixture.to_str().unwrap();
    let Some(run) = walkthrough(
        "walkthrough_runs_on_the_2011_files",
        &["examples/england-wales.toml"],
        &[
            (
                "examples/england-wales-2021.toml",
                "examples/england-wales.toml",
            ),
            ("methodology/dxmap-2025.toml", fixture),
            // 2011 has no health domain column, and no wards.
            ("health_score", "no_qualifications"),
            ("--level ward", "--level borough"),
        ],
    ) else {
        return;
    };
    let (top, all) = check(&run);
    assert!(top > 0 && top < all, "{top} of {all}");
}

#[test]
fn sh_blocks_are_found() {
    let doc = "text\n```sh\na\nb\n```\n```toml\nx = 1\n```\n```sh\nc\n```\n";
    assert_eq!(
        sh_blocks(doc),
        vec!["a\nb\n".to_string(), "c\n".to_string()]
    );
}
