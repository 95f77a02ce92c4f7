//! `[[derived]]` columns: rates, sums and differences of columns joined from
//! different tables. A zero or missing denominator gives a missing value and
//! a per-area reason in the build report, never an infinity; a bad entry
//! stops the build with the project file, line and key.

mod common;

use std::path::Path;
use std::process::Command;

use dxmap::ingest::{self, BuildOptions, Project};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/ingest");

/// The tiny fixture (E01000001-3) with two tables: counts in `a.csv`,
/// denominators in `b.csv` (E01000002's is zero, E01000003 has none).
const TABLES: &str = r#"title = "Derived"
[boundaries]
file = "tiny.geojson"
code = "LSOA11CD"
name = "LSOA11NM"

[[dataset]]
name = "iod"
file = "a.csv"
code = "code"
vintage = "IoD 2025"
column = [
  { id = "older_poor", label = "Older people on benefits", count = "n" },
  { id = "extra", label = "Extra", count = "m" },
  { id = "group", label = "Group", category = "g" },
]

[[dataset]]
name = "census"
file = "b.csv"
code = "code"
vintage = "Census 2021"
allow_empty = true
column = [{ id = "older", label = "Residents 60+", count = "older" }]
"#;

fn project_dir(extra: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        Path::new(FIXTURES).join("tiny.geojson"),
        dir.path().join("tiny.geojson"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("a.csv"),
        "code,n,m,g\nE01000001,20,5,x\nE01000002,10,1,y\nE01000003,30,2,x\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("b.csv"),
        "code,older\nE01000001,200\nE01000002,0\nE01000003,\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("p.toml"), format!("{TABLES}{extra}")).unwrap();
    dir
}

fn build(extra: &str) -> Result<ingest::BuildOutput, String> {
    let dir = project_dir(extra);
    let p = Project::load(&dir.path().join("p.toml")).map_err(|e| e.to_string())?;
    ingest::build(&p, &BuildOptions::default()).map_err(|e| e.to_string())
}

#[test]
fn a_rate_across_tables_is_missing_with_a_reason_where_the_denominator_is_zero_or_absent() {
    let out = build(
        r#"
[[derived]]
id = "idaopi_rate"
label = "Older people in income deprivation"
rate = { numerator = "older_poor", denominator = "older" }
"#,
    )
    .unwrap();
    let d = &out.dataset;
    assert_eq!(
        d.numeric("idaopi_rate").unwrap(),
        [Some(0.1), None, None],
        "zero and missing denominators give missing values, not infinities"
    );
    let c = d.column("idaopi_rate").unwrap();
    assert_eq!(c.source.vintage, "IoD 2025 / Census 2021");
    assert!(
        c.source.method.contains("older_poor from iod (a.csv)"),
        "{}",
        c.source.method
    );
    assert!(
        c.source.method.contains("older from census (b.csv)"),
        "{}",
        c.source.method
    );
    let cov = &out.report.derived[0];
    assert_eq!(cov.present, 1);
    assert_eq!(
        cov.missing,
        [
            (
                "E01000002".to_string(),
                "denominator 'older' is zero".to_string()
            ),
            (
                "E01000003".to_string(),
                "denominator 'older' is missing".to_string()
            ),
        ]
    );
    let text = out.report.to_string();
    assert!(text.contains("derived idaopi_rate: 1/3 present"), "{text}");
    assert!(
        text.contains("missing in 1 areas: denominator 'older' is zero (E01000002)"),
        "{text}"
    );
}

#[test]
fn sums_differences_and_chains_of_derived_columns() {
    let out = build(
        r#"
[[derived]]
id = "both"
label = "Both counts"
sum = ["older_poor", "extra"]
vintage = "IoD 2025"

[[derived]]
id = "gap"
label = "Both minus the census count"
difference = ["both", "older"]
source = "test difference"
"#,
    )
    .unwrap();
    let d = &out.dataset;
    assert_eq!(
        d.numeric("both").unwrap(),
        [Some(25.0), Some(11.0), Some(32.0)]
    );
    assert_eq!(d.numeric("gap").unwrap(), [Some(-175.0), Some(11.0), None]);
    assert_eq!(d.column("both").unwrap().source.vintage, "IoD 2025");
    let gap = d.column("gap").unwrap();
    assert!(
        gap.source
            .method
            .starts_with("test difference; difference: both - older"),
        "{}",
        gap.source.method
    );
    assert_eq!(
        out.report.derived[1].missing,
        [("E01000003".to_string(), "'older' is missing".to_string())]
    );
}

#[test]
fn bad_derived_entries_name_the_project_file_line_and_key() {
    let cases = [
        (
            "rate = { numerator = \"older_poor\", denominator = \"nope\" }",
            "derived 'x': rate: no column 'nope' is defined before it",
        ),
        (
            "sum = [\"older_poor\", \"group\"]",
            "derived 'x': sum: column 'group' holds categories, not numbers",
        ),
        (
            "difference = [\"older_poor\", \"extra\", \"older\"]",
            "derived 'x': difference: give two column ids",
        ),
        (
            "sum = [\"older\"]\ndifference = [\"older\", \"extra\"]",
            "derived 'x': give exactly one of 'rate', 'sum' or 'difference'",
        ),
        (
            "sum = [\"later\"]\n[[derived]]\nid = \"later\"\nlabel = \"l\"\nsum = [\"older\"]",
            "derived 'x': sum: no column 'later' is defined before it",
        ),
        ("sum = [\"older\"]\ncolour = 1", "unknown field `colour`"),
    ];
    for (body, want) in cases {
        let e = build(&format!(
            "\n[[derived]]\nid = \"x\"\nlabel = \"X\"\n{body}\n"
        ))
        .unwrap_err();
        assert!(e.contains("p.toml: line "), "{body}: {e}");
        assert!(e.contains(want), "{body}: {e}");
    }
    let e = build("\n[[derived]]\nid = \"older\"\nlabel = \"X\"\nsum = [\"extra\"]\n").unwrap_err();
    assert!(e.contains("derived 'older': duplicate column id"), "{e}");
}

#[test]
fn the_cli_refuses_a_bad_derived_column_with_exit_code_2_and_writes_nothing() {
    let dir = project_dir(
        "\n[[derived]]\nid = \"x\"\nlabel = \"X\"\nrate = { numerator = \"n\", denominator = \"older\" }\n",
    );
    let o = Command::new(common::dxmap_bin())
        .current_dir(dir.path())
        .args([
            "--quiet",
            "build",
            "--project",
            "p.toml",
            "--out",
            "out.dxm",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("p.toml: line 26: derived 'x': rate: no column 'n' is defined before it"),
        "{stderr}"
    );
    assert!(!dir.path().join("out.dxm").exists());
}

/// A rate whose numerator and denominator come from different sources can
/// exceed 1 (IoD2025's IDAOPI count over Census 2021 residents 60+ does in
/// 15 London areas); `cap = 1` keeps it a share, and every capped area is
/// named in the report and counted in the column's method.
#[test]
fn a_capped_rate_never_exceeds_its_cap_and_the_report_names_the_capped_areas() {
    let out = build(
        r#"
[[derived]]
id = "per_older"
label = "Extra per older resident"
rate = { numerator = "extra", denominator = "older_poor" }
cap = 0.2
"#,
    )
    .unwrap();
    // 5/20, 1/10 and 2/30: only E01000001 is above 0.2.
    let v = out.dataset.numeric("per_older").unwrap();
    assert_eq!(v[0], Some(0.2));
    assert_eq!(v[1], Some(0.1));
    assert!((v[2].unwrap() - 2.0 / 30.0).abs() < 1e-12);
    let cov = &out.report.derived[0];
    assert_eq!(cov.capped, Some((0.2, vec!["E01000001".to_string()])));
    let text = out.report.to_string();
    assert!(
        text.contains("capped at 0.2 in 1 areas: the result was above it (E01000001)"),
        "{text}"
    );
    let c = out.dataset.column("per_older").unwrap();
    assert!(
        c.source
            .method
            .ends_with("capped at 0.2 (1 areas above it)"),
        "{}",
        c.source.method
    );
    let err = build(
        "\n[[derived]]\nid = \"r\"\nlabel = \"R\"\nrate = { numerator = \"extra\", denominator = \"older_poor\" }\ncap = nan\n",
    )
    .unwrap_err();
    assert!(
        err.contains("derived 'r': cap: give a finite number"),
        "{err}"
    );
}
