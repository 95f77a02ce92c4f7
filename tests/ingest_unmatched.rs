//! A table with thousands of rows whose code matches no area (a national
//! table joined onto local boundaries): the build stops with the exact
//! number of problems, lists the first fifty, and says which key skips them.

use std::path::Path;

use dxmap::ingest::{BuildOptions, Project, build};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/ingest");

#[test]
fn unmatched_rows_are_counted_exactly_and_the_key_is_named() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        Path::new(FIXTURES).join("tiny.geojson"),
        dir.path().join("tiny.geojson"),
    )
    .unwrap();
    let mut csv = std::fs::read_to_string(Path::new(FIXTURES).join("tiny.csv")).unwrap();
    let extra = 3_171;
    for i in 0..extra {
        csv.push_str(&format!("E0109{i:04},10,1,0.5,a\n"));
    }
    std::fs::write(dir.path().join("tiny.csv"), &csv).unwrap();
    let toml = std::fs::read_to_string(Path::new(FIXTURES).join("tiny.toml")).unwrap();
    std::fs::write(dir.path().join("tiny.toml"), &toml).unwrap();

    let project = Project::load(&dir.path().join("tiny.toml")).unwrap();
    let e = build(&project, &BuildOptions::default())
        .expect_err("unmatched rows stop the build by default")
        .to_string();
    assert!(
        e.starts_with(&format!("{extra} problems:")),
        "{}",
        &e[..200.min(e.len())]
    );
    assert!(
        e.contains(&format!("... and {} more problems", extra - 50)),
        "{e}"
    );
    assert!(
        e.contains(&format!("{extra} rows have a code that matches no area"))
            && e.contains("set unmatched_rows = \"ignore\" in [[dataset]] 'tiny'"),
        "{e}"
    );
    // Listed: fifty problems, the count line and the advice.
    assert_eq!(e.lines().count(), 1 + 50 + 2, "{e}");

    // With the key set, the build succeeds and counts the rows it skipped.
    let ignoring = toml.replace(
        "code = \"code\"",
        "code = \"code\"\nunmatched_rows = \"ignore\"",
    );
    std::fs::write(dir.path().join("tiny.toml"), ignoring).unwrap();
    let project = Project::load(&dir.path().join("tiny.toml")).unwrap();
    let out = build(&project, &BuildOptions::default()).expect("builds when ignoring");
    let report = out.report.to_string();
    assert!(report.contains(&extra.to_string()), "{report}");
}
