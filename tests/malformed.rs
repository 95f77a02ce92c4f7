//! The malformed-input corpus, run through the real `dxmap` binary.
//!
//! In: the files in `tests/fixtures/malformed/` (small, hand-written) and a
//! few large ones generated here in a temporary directory (a 200 MB
//! single-line GeoJSON and CSV, gzip bombs named `.geojson` and `.csv`).
//! Each case starts from the good project in `malformed/base/` and swaps one
//! file (boundaries, table, project, methodology or dataset artifact) for its
//! fixture. Every case must: exit with code 2; print a message naming the
//! file, the feature, line or key, and what is wrong (the fragments in the
//! table below); create no output; leave an existing output byte-identical;
//! and leave no temporary file behind. Ingest cases go through both
//! `dxmap build` and `dxmap export` (which builds a project on the fly). The
//! large cases also measure the child's peak RSS (`wait4`), which must stay
//! far below the file size. A UTF-8 BOM and CRLF line endings must build
//! the same dataset, byte for byte, as the plain file.

mod common;

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/malformed");

/// Which file of the base project a fixture replaces.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Role {
    /// The boundary file (`[boundaries] file`).
    Boundaries,
    /// The table (`[[dataset]] file`).
    Table,
    /// The project file itself (it names the base boundaries and table).
    Project,
    /// The methodology given to `dxmap export`.
    Methodology,
    /// The dataset artifact given to `dxmap export`.
    Dataset,
}

/// One malformed input and what the error must say.
struct Case {
    fixture: &'static str,
    role: Role,
    wants: &'static [&'static str],
}

/// Fixtures that are not cases of their own: inputs that must build, and
/// files a project case points at.
const NOT_CASES: &[&str] = &[
    "plain.csv",
    "bom.csv",
    "crlf.csv",
    "unclosed_ring_repairable.geojson",
    "crs_4326.geojson",
];

macro_rules! corpus {
    ($($name:ident: $fixture:literal as $role:ident => [$($want:literal),+ $(,)?];)+) => {
        $(
            #[test]
            fn $name() {
                check(&Case { fixture: $fixture, role: Role::$role, wants: &[$($want),+] });
            }
        )+
        /// Every case's fixture, in table order.
        const CASES: &[&str] = &[$($fixture),+];
    };
}

corpus! {
    // Boundary files (GeoJSON).
    truncated_json: "truncated.geojson" as Boundaries => ["truncated.geojson: truncated JSON: EOF while parsing", "line 3 column", "(in feature 1)"];
    empty_geojson: "empty.geojson" as Boundaries => ["empty.geojson: empty file: no GeoJSON object"];
    self_intersecting_polygon: "self_intersecting.geojson" as Boundaries => ["self_intersecting.geojson: feature 1 (E01000002): ring 0: ring intersects itself", "not safe to repair"];
    unclosed_ring_that_crosses_itself_once_closed: "unclosed_ring.geojson" as Boundaries => ["unclosed_ring.geojson: feature 2 (E01000003): ring 0: ring intersects itself"];
    nan_coordinate: "nan_coordinate.geojson" as Boundaries => ["nan_coordinate.geojson: feature 1 (E01000002): coordinate NaN is not a finite number", "line 3 column"];
    infinity_coordinate: "infinity_coordinate.geojson" as Boundaries => ["infinity_coordinate.geojson: feature 2 (E01000003): coordinate Infinity is not a finite number"];
    overflowing_coordinate: "overflow_coordinate.geojson" as Boundaries => ["overflow_coordinate.geojson: feature 2 (E01000003): invalid JSON: number out of range at line 4 column"];
    bng_metres_declared_wgs84: "bng_declared_wgs84.geojson" as Boundaries => ["bng_declared_wgs84.geojson: feature 0 (E01000001): the file states WGS84, but coordinate (528000, 180000) is not a longitude/latitude", "state its CRS"];
    lon_lat_declared_bng: "wgs84_declared_bng.geojson" as Boundaries => ["wgs84_declared_bng.geojson: feature 0 (E01000001): the file states EPSG:27700 (British National Grid), but every coordinate is within ±180, ±90", "state EPSG:4326"];
    file_crs_contradicts_project: "crs_contradiction.toml" as Project => ["crs_4326.geojson: the file's \"crs\" member says EPSG:4326 (WGS84), but EPSG:27700 (British National Grid) was stated for it"];
    unknown_crs_in_file: "unknown_crs.geojson" as Boundaries => ["unknown_crs.geojson: unknown CRS \"urn:ogc:def:crs:IAU::49900\" in the file's \"crs\" member"];
    latitude_out_of_range: "latitude_out_of_range.geojson" as Boundaries => ["latitude_out_of_range.geojson: feature 2 (E01000003): no CRS is stated", "coordinate (-0.12, 91.51) is not a longitude/latitude"];
    wrong_geometry_type: "linestring.geojson" as Boundaries => ["linestring.geojson: feature 1 (E01000002): geometry type LineString is not supported; only Polygon and MultiPolygon"];
    ring_with_fewer_than_four_points: "three_point_ring.geojson" as Boundaries => ["three_point_ring.geojson: feature 0 (E01000001): ring 0: no polygon with 3 or more distinct points is left"];
    duplicate_codes_in_boundaries: "duplicate_codes.geojson" as Boundaries => ["duplicate_codes.geojson: feature 2 (E01000001): duplicate code (also feature 0)"];
    no_features: "no_features.geojson" as Boundaries => ["no_features.geojson: no features"];
    missing_code_property: "missing_code_property.geojson" as Boundaries => ["missing_code_property.geojson: feature 1: no code property 'LSOA11CD'"];
    null_geometry: "null_geometry.geojson" as Boundaries => ["null_geometry.geojson: feature 2 (E01000003): has no geometry"];
    bare_geometry_not_a_feature: "bare_geometry.geojson" as Boundaries => ["bare_geometry.geojson:", "top-level type is \"Polygon\"; expected a FeatureCollection or Feature"];
    string_coordinates: "string_coordinates.geojson" as Boundaries => ["string_coordinates.geojson: feature 1 (E01000002): invalid type: string \"-0.14\""];
    // Tables (CSV).
    duplicate_codes_in_table: "duplicate_codes.csv" as Table => ["duplicate_codes.csv: line 4: column 'code': duplicate code 'E01000001' (first on line 2)"];
    missing_code_column: "missing_code_column.csv" as Table => ["case.toml: line 13: dataset 'base': missing_code_column.csv has no column 'code' (it has: lsoa, people"];
    non_numeric_value: "non_numeric.csv" as Table => ["non_numeric.csv: line 3: column 'score': 'high' is not a number"];
    empty_table: "empty.csv" as Table => ["empty.csv: empty file (expected a header line)"];
    header_only_table: "header_only.csv" as Table => ["header_only.csv: no rows (only a header line)"];
    negative_count: "negative_count.csv" as Table => ["negative_count.csv: line 3: column 'people': negative count -200"];
    unknown_code_in_table: "unknown_code.csv" as Table => ["unknown_code.csv: line 5: column 'code': code 'E01999999' is not in the boundaries (areas.geojson)"];
    lsoa_2021_code_among_2011: "lsoa2021_code.csv" as Table => ["lsoa2021_code.csv: line 4: column 'code': code 'E01033769' is not in the boundaries", "it is a 2021 LSOA code", "geography = \"lookup\""];
    not_utf8: "latin1.csv" as Table => ["latin1.csv: line 3: not UTF-8 text (byte 0xE9)"];
    binary_table: "binary.csv" as Table => ["binary.csv: line 1: not UTF-8 text (byte 0xFF)"];
    extra_field: "extra_field.csv" as Table => ["extra_field.csv: line 3: 6 fields, but the header has 5"];
    missing_field: "missing_field.csv" as Table => ["missing_field.csv: line 3: 4 fields, but the header has 5"];
    unterminated_quote: "unterminated_quote.csv" as Table => ["unterminated_quote.csv: line 3: a quoted field starts here and its closing quote never comes"];
    zero_denominator: "zero_denominator.csv" as Table => ["zero_denominator.csv: line 3: column 'people': zero denominator (numerator 0)"];
    infinite_and_nan_values: "infinite_value.csv" as Table => ["infinite_value.csv: line 3: column 'score': 'inf' is not a number", "infinite_value.csv: line 4: column 'score': 'NaN' is not a number"];
    empty_code: "empty_code.csv" as Table => ["empty_code.csv: line 3: column 'code': empty code"];
    // Project files (TOML).
    project_duplicate_key: "duplicate_key.toml" as Project => ["duplicate_key.toml: line 4: duplicate key"];
    project_unknown_key: "unknown_key.toml" as Project => ["unknown_key.toml: line 18: unknown field `colour`"];
    project_unknown_column: "unknown_column.toml" as Project => ["unknown_column.toml: line 21: dataset 'base': column 'score': table.csv has no column 'scor' (it has: code, people"];
    project_unknown_epsg: "unknown_crs.toml" as Project => ["areas.geojson:", "EPSG:99999"];
    project_nonsense_crs: "nonsense_crs.toml" as Project => ["nonsense_crs.toml:", "boundaries.crs: unknown CRS 'Mars 2000'"];
    project_missing_boundaries: "missing_boundaries.toml" as Project => ["no_such_file.geojson: No such file or directory"];
    project_unsupported_boundaries: "unsupported_boundaries.toml" as Project => ["areas.kml: unknown boundary file type"];
    project_truncated: "truncated.toml" as Project => ["truncated.toml: line 13: missing field `vintage`"];
    project_two_kinds_in_a_column: "two_kinds.toml" as Project => ["two_kinds.toml: line 19: dataset 'base': column 'people': give exactly one of 'count', 'rate', 'value' or 'category'"];
    project_duplicate_column_id: "duplicate_column_id.toml" as Project => ["duplicate_column_id.toml: line 21: dataset 'base': column 'people': duplicate column id"];
    project_wrong_type: "wrong_type.toml" as Project => ["wrong_type.toml: line 17: invalid type: integer `2011`, expected a string"];
    project_lookup_without_table: "lookup_without_table.toml" as Project => ["lookup_without_table.toml: line 13: dataset 'base': geography needs a 'lookup' table"];
    // Methodologies (TOML), through `dxmap export`.
    methodology_unknown_column: "method_unknown_column.toml" as Methodology => ["method_unknown_column.toml: line 18: component[0].indicator[1].column: column 'scor' is not in the dataset"];
    methodology_negative_weight: "method_negative_weight.toml" as Methodology => ["method_negative_weight.toml: line 15: component[0].indicator[0].weight: weight -1 is negative or not finite"];
    methodology_duplicate_key: "method_duplicate_key.toml" as Methodology => ["method_duplicate_key.toml: line 3: duplicate key"];
    methodology_unknown_key: "method_unknown_key.toml" as Methodology => ["method_unknown_key.toml: line 5: unknown field `normalise`"];
    methodology_zero_weights: "method_zero_weights.toml" as Methodology => ["method_zero_weights.toml: line 7: component: all component weights are zero"];
    // Dataset artifacts, through `dxmap export`.
    dataset_garbage: "garbage.dxds" as Dataset => ["garbage.dxds: not a dxmap dataset (bad magic)"];
    dataset_text: "not_a_dataset.dxds" as Dataset => ["not_a_dataset.dxds: not a dxmap dataset (bad magic)"];
}

/// The commands a case runs, each with the outputs it would write.
fn invocations(case: &Case) -> Vec<(Vec<String>, Vec<&'static str>)> {
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let export = |dataset: &str, methodology: &str| {
        s(&[
            "--quiet",
            "export",
            "geojson",
            "--dataset",
            dataset,
            "--methodology",
            methodology,
            "--sensitivity-draws",
            "0",
            "--out",
            "out.geojson",
        ])
    };
    match case.role {
        Role::Boundaries | Role::Table | Role::Project => {
            let project = if case.role == Role::Project {
                case.fixture
            } else {
                "case.toml"
            };
            vec![
                (
                    s(&[
                        "--quiet",
                        "build",
                        "--project",
                        project,
                        "--out",
                        "out.dxds",
                        "--table",
                        "out.csv",
                    ]),
                    vec!["out.dxds", "out.csv"],
                ),
                (export(project, "method.toml"), vec!["out.geojson"]),
            ]
        }
        Role::Methodology => vec![(export("project.toml", case.fixture), vec!["out.geojson"])],
        Role::Dataset => vec![(export(case.fixture, "method.toml"), vec!["out.geojson"])],
    }
}

/// A temporary directory holding the base project, every fixture, and
/// `case.toml`: the base project with the case's file swapped in.
fn workspace(case: Option<&Case>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for src in [Path::new(FIXTURES).join("base"), PathBuf::from(FIXTURES)] {
        for entry in std::fs::read_dir(&src).expect("fixture dir") {
            let p = entry.expect("entry").path();
            if p.is_file() {
                std::fs::copy(&p, dir.path().join(p.file_name().expect("name"))).expect("copy");
            }
        }
    }
    let base = std::fs::read_to_string(dir.path().join("project.toml")).expect("base project");
    let project = match case {
        Some(c) if c.role == Role::Boundaries => swap(&base, "file = \"areas.geojson\"", c.fixture),
        Some(c) if c.role == Role::Table => swap(&base, "file = \"table.csv\"", c.fixture),
        _ => base,
    };
    std::fs::write(dir.path().join("case.toml"), project).expect("case.toml");
    dir
}

fn swap(project: &str, line: &str, fixture: &str) -> String {
    assert!(project.contains(line), "base project lacks {line}");
    project.replace(line, &format!("file = \"{fixture}\""))
}

/// Writes `out` in `dir`: the base project with `line` pointing at `fixture`.
fn project_variant(dir: &Path, out: &str, line: &str, fixture: &str) {
    let base = std::fs::read_to_string(dir.join("project.toml")).expect("project");
    std::fs::write(dir.join(out), swap(&base, line, fixture)).expect("project");
}

/// Runs dxmap in `dir`: exit code (-1 if killed), stdout, stderr.
fn run(dir: &Path, args: &[String]) -> (i32, String, String) {
    let o = Command::new(common::dxmap_bin())
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run dxmap");
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn listing(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .expect("list")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect()
}

/// Runs every command of a case twice, with no output present and with old
/// outputs present, and checks exit code, message, outputs and leftovers.
fn check(case: &Case) {
    let ws = workspace(Some(case));
    let dir = ws.path();
    let mut problems = Vec::new();
    for (args, outputs) in invocations(case) {
        let cmd = args.join(" ");
        let before = listing(dir);
        let (code, _, err) = run(dir, &args);
        if code != 2 {
            problems.push(format!("`{cmd}`: exit code {code}, want 2; stderr: {err}"));
        }
        if err.contains("panicked") {
            problems.push(format!("`{cmd}` panicked: {err}"));
        }
        for w in case.wants {
            if !err.contains(w) {
                problems.push(format!("`{cmd}`: stderr lacks {w:?}; stderr: {err}"));
            }
        }
        let after = listing(dir);
        if after != before {
            problems.push(format!(
                "`{cmd}` left files behind: {:?}",
                after.difference(&before).collect::<Vec<_>>()
            ));
        }
        for o in &outputs {
            std::fs::write(dir.join(o), format!("previous {o}\n")).expect("old output");
        }
        let before = listing(dir);
        let (code, _, err) = run(dir, &args);
        if code != 2 {
            problems.push(format!(
                "`{cmd}` over old outputs: exit code {code}; stderr: {err}"
            ));
        }
        for o in &outputs {
            let now = std::fs::read(dir.join(o)).unwrap_or_default();
            if now != format!("previous {o}\n").as_bytes() {
                problems.push(format!("`{cmd}` changed the existing {o}"));
            }
            std::fs::remove_file(dir.join(o)).ok();
        }
        if listing(dir).len() != before.len() - outputs.len() {
            problems.push(format!("`{cmd}` over old outputs left files behind"));
        }
    }
    assert!(
        problems.is_empty(),
        "{} ({:?}):\n{}",
        case.fixture,
        case.role,
        problems.join("\n")
    );
}

#[test]
fn every_fixture_is_a_case_and_there_are_at_least_30() {
    let listed: BTreeSet<&str> = CASES.iter().chain(NOT_CASES).copied().collect();
    assert_eq!(
        listed.len(),
        CASES.len() + NOT_CASES.len(),
        "a fixture is listed twice"
    );
    let on_disk: BTreeSet<String> = std::fs::read_dir(FIXTURES)
        .expect("fixtures")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_file())
        .map(|p| p.file_name().expect("name").to_string_lossy().into_owned())
        .collect();
    let listed: BTreeSet<String> = listed.iter().map(|s| s.to_string()).collect();
    assert_eq!(
        on_disk, listed,
        "fixtures on disk and cases in the table differ"
    );
    assert!(CASES.len() >= 30, "{} cases", CASES.len());
}

#[test]
fn each_cause_is_said_once() {
    let ws = workspace(None);
    let args: Vec<String> = [
        "build",
        "--project",
        "missing_boundaries.toml",
        "--out",
        "o.dxds",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let (code, _, err) = run(ws.path(), &args);
    assert_eq!(code, 2);
    assert_eq!(err.matches("No such file or directory").count(), 1, "{err}");
}

#[test]
fn a_truncated_or_corrupted_artifact_is_refused() {
    let ws = workspace(None);
    let dir = ws.path();
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let (code, _, err) = run(
        dir,
        &s(&[
            "--quiet",
            "build",
            "--project",
            "project.toml",
            "--out",
            "good.dxds",
        ]),
    );
    assert_eq!(code, 0, "{err}");
    let good = std::fs::read(dir.join("good.dxds")).expect("artifact");
    let mut flipped = good.clone();
    let mid = flipped.len() / 2;
    flipped[mid] ^= 0x55;
    std::fs::write(dir.join("truncated.dxds"), &good[..good.len() / 2]).expect("write");
    std::fs::write(dir.join("flipped.dxds"), &flipped).expect("write");
    for name in ["truncated.dxds", "flipped.dxds"] {
        std::fs::write(dir.join("out.geojson"), b"previous\n").expect("old output");
        let before = listing(dir);
        let (code, _, err) = run(
            dir,
            &s(&[
                "--quiet",
                "export",
                "geojson",
                "--dataset",
                name,
                "--methodology",
                "method.toml",
                "--out",
                "out.geojson",
            ]),
        );
        assert_eq!(code, 2, "{name}: {err}");
        assert!(!err.contains("panicked"), "{err}");
        assert!(
            err.contains(&format!("reading dataset {name}: {name}: ")),
            "{err}"
        );
        assert_eq!(
            std::fs::read(dir.join("out.geojson")).expect("old"),
            b"previous\n"
        );
        assert_eq!(listing(dir), before, "{name}: files left behind");
        println!("{name}: {}", err.trim());
    }
}

#[test]
fn the_base_project_builds_and_exports() {
    let ws = workspace(None);
    for args in [
        vec![
            "--quiet",
            "build",
            "--project",
            "case.toml",
            "--out",
            "out.dxds",
        ],
        vec![
            "--quiet",
            "export",
            "geojson",
            "--dataset",
            "case.toml",
            "--methodology",
            "method.toml",
            "--sensitivity-draws",
            "0",
            "--out",
            "out.geojson",
        ],
    ] {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let (code, out, err) = run(ws.path(), &args);
        assert_eq!(code, 0, "{args:?}: {out}{err}");
    }
    assert!(ws.path().join("out.dxds").is_file());
    assert!(ws.path().join("out.geojson").is_file());
}

/// Builds `table` in place of the base table; returns the artifact's bytes
/// and the joined table.
fn build_with_table(table: &str) -> (Vec<u8>, String) {
    let ws = workspace(None);
    // Same file name in every run, so the artifacts can be compared byte for byte.
    std::fs::copy(ws.path().join(table), ws.path().join("table.csv")).expect("copy");
    let args: Vec<String> = [
        "--quiet",
        "build",
        "--project",
        "case.toml",
        "--out",
        "out.dxds",
        "--table",
        "out.csv",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let (code, out, err) = run(ws.path(), &args);
    assert_eq!(code, 0, "{table}: {out}{err}");
    (
        std::fs::read(ws.path().join("out.dxds")).expect("artifact"),
        std::fs::read_to_string(ws.path().join("out.csv")).expect("table"),
    )
}

#[test]
fn bom_and_crlf_tables_build_the_same_dataset_as_the_plain_file() {
    let plain = std::fs::read(Path::new(FIXTURES).join("plain.csv")).expect("plain");
    let bom = std::fs::read(Path::new(FIXTURES).join("bom.csv")).expect("bom");
    let crlf = std::fs::read(Path::new(FIXTURES).join("crlf.csv")).expect("crlf");
    assert!(bom.starts_with(b"\xEF\xBB\xBF") && !plain.starts_with(b"\xEF"));
    assert!(crlf.windows(2).filter(|w| w == b"\r\n").count() == 4);
    let (want_artifact, want_table) = build_with_table("plain.csv");
    assert!(
        want_table.contains("E01000002,Camden 001B,E09000007,Camden,,,200,0.25,-0.5,b\n"),
        "{want_table}"
    );
    for t in ["bom.csv", "crlf.csv"] {
        let (artifact, table) = build_with_table(t);
        assert_eq!(table, want_table, "{t}: joined table differs");
        assert!(artifact == want_artifact, "{t}: dataset artifact differs");
    }
}

#[test]
fn an_unclosed_ring_that_closes_cleanly_is_repaired_and_reported() {
    let ws = workspace(Some(&Case {
        fixture: "unclosed_ring_repairable.geojson",
        role: Role::Boundaries,
        wants: &[],
    }));
    let args: Vec<String> = ["build", "--project", "case.toml", "--out", "out.dxds"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let (code, out, err) = run(ws.path(), &args);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("1 x closed an unclosed ring (first: feature 2)"),
        "{out}"
    );
}

// Large inputs, generated here.

const MB: u64 = 1_000_000;
/// Peak RSS allowed for a refused large input: far below its 200 MB.
const RSS_LIMIT: u64 = 100 * MB;
/// A large case that reads its input in bounded memory takes seconds; one
/// past this has hung.
const LARGE_LIMIT: Duration = Duration::from_secs(300);

/// Runs a build on a generated input twice (no output, then an old output)
/// and checks the error, the outputs and the peak memory.
fn check_large(dir: &Path, project: &str, wants: &[&str]) {
    let args = [
        "--quiet",
        "build",
        "--project",
        project,
        "--out",
        "out.dxds",
    ];
    for old in [false, true] {
        if old {
            std::fs::write(dir.join("out.dxds"), b"previous out.dxds\n").expect("old output");
        }
        let before = listing(dir);
        let common::Run {
            code,
            stderr: err,
            peak_rss: rss,
            elapsed,
            ..
        } = common::run_measured(dir, &args, LARGE_LIMIT);
        println!(
            "{project}: exit {code} in {elapsed:.2?}, peak RSS {:.1} MB{}",
            rss as f64 / 1e6,
            if old { " (over an old output)" } else { "" }
        );
        assert_eq!(code, 2, "{err}");
        assert!(!err.contains("panicked"), "{err}");
        for w in wants {
            assert!(err.contains(w), "stderr lacks {w:?}: {err}");
        }
        assert!(
            rss < RSS_LIMIT,
            "peak RSS {rss} bytes (limit {RSS_LIMIT}): {err}"
        );
        assert_eq!(listing(dir), before, "files left behind");
        if old {
            assert_eq!(
                std::fs::read(dir.join("out.dxds")).expect("old output"),
                b"previous out.dxds\n"
            );
        } else {
            assert!(!dir.join("out.dxds").exists(), "an output was created");
        }
    }
}

/// Writes `head`, then `body` repeated until the file reaches `size` bytes,
/// with no line break anywhere.
fn write_single_line(path: &Path, head: &[u8], body: &[u8], size: u64) {
    assert!(!head.contains(&b'\n') && !body.contains(&b'\n'));
    let mut w = std::io::BufWriter::new(std::fs::File::create(path).expect("create"));
    w.write_all(head).expect("write");
    let block: Vec<u8> = body
        .iter()
        .copied()
        .cycle()
        .take(body.len() * (1 << 16) / body.len().max(1))
        .collect();
    let mut written = head.len() as u64;
    while written + block.len() as u64 <= size {
        w.write_all(&block).expect("write");
        written += block.len() as u64;
    }
    w.flush().expect("flush");
}

#[test]
fn a_200_mb_single_line_geojson_is_read_in_bounded_memory() {
    let ws = workspace(None);
    let dir = ws.path();
    // One feature with a 200 MB foreign member, and the file cut off before
    // it ends: the error comes only after every byte is read.
    let head = br#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"LSOA11CD":"E01000001","LSOA11NM":"Camden 001A"},"geometry":{"type":"Polygon","coordinates":[[[-0.15,51.5],[-0.14,51.5],[-0.14,51.51],[-0.15,51.51],[-0.15,51.5]]]},"elevations":["#;
    write_single_line(&dir.join("huge.geojson"), head, b"12.5,", 200 * MB);
    assert!(
        std::fs::metadata(dir.join("huge.geojson"))
            .expect("huge")
            .len()
            > 199 * MB
    );
    project_variant(dir, "huge.toml", "file = \"areas.geojson\"", "huge.geojson");
    check_large(
        dir,
        "huge.toml",
        &[
            "huge.geojson: truncated JSON: EOF while parsing a list at line 1 column",
            "(in feature 0)",
        ],
    );
}

#[test]
fn a_200_mb_single_line_table_is_refused_in_bounded_memory() {
    let ws = workspace(None);
    let dir = ws.path();
    // Records separated by ';' instead of line breaks: one 200 MB line.
    write_single_line(
        &dir.join("huge.csv"),
        b"code,people,older,score,group;",
        b"E01000001,100,20,1.5,a;",
        200 * MB,
    );
    project_variant(dir, "huge.toml", "file = \"table.csv\"", "huge.csv");
    check_large(
        dir,
        "huge.toml",
        &["huge.csv: line 1: longer than 1048576 bytes with no line break; not a CSV table"],
    );
}

/// Writes a gzip file that inflates to `head` then `members` × 16 MiB of
/// `filler` (concatenated gzip members, as `gzip` itself reads them).
fn write_bomb(path: &Path, head: &[u8], filler: &[u8], members: usize) -> u64 {
    let gz = |data: &[u8]| {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(data).expect("gzip");
        e.finish().expect("gzip")
    };
    let block: Vec<u8> = filler.iter().copied().cycle().take(16 << 20).collect();
    let member = gz(&block);
    let mut f = std::fs::File::create(path).expect("create");
    f.write_all(&gz(head)).expect("write");
    for _ in 0..members {
        f.write_all(&member).expect("write");
    }
    head.len() as u64 + members as u64 * block.len() as u64
}

#[test]
fn a_gzip_bomb_named_geojson_is_refused_in_bounded_memory() {
    let ws = workspace(None);
    let dir = ws.path();
    let inflated = write_bomb(
        &dir.join("bomb.geojson"),
        br#"{"type":"FeatureCollection","features":["#,
        b" ",
        256,
    );
    let size = std::fs::metadata(dir.join("bomb.geojson"))
        .expect("bomb")
        .len();
    println!("bomb.geojson: {size} bytes inflating to {inflated} bytes");
    assert!(inflated > 4_000_000_000 && size < 10 * MB);
    project_variant(dir, "bomb.toml", "file = \"areas.geojson\"", "bomb.geojson");
    check_large(
        dir,
        "bomb.toml",
        &[
            "bomb.geojson: gzip content inflates more than 200 times",
            "a gzip bomb?",
        ],
    );
}

#[test]
fn a_gzip_bomb_named_csv_is_refused_in_bounded_memory() {
    let ws = workspace(None);
    let dir = ws.path();
    let inflated = write_bomb(
        &dir.join("bomb.csv"),
        b"code,people,older,score,group\n",
        b"E01000001,100,20,1.5,a\n",
        256,
    );
    assert!(inflated > 4_000_000_000);
    project_variant(dir, "bomb.toml", "file = \"table.csv\"", "bomb.csv");
    check_large(
        dir,
        "bomb.toml",
        &[
            "bomb.csv: gzip content inflates more than 200 times",
            "a gzip bomb?",
        ],
    );
}

#[test]
fn a_200_mb_single_line_project_file_is_refused_in_bounded_memory() {
    let ws = workspace(None);
    let dir = ws.path();
    // A project file that is really a 200 MB one-line data file.
    write_single_line(
        &dir.join("huge.toml"),
        b"title = \"",
        b"0123456789abcdef",
        200 * MB,
    );
    check_large(
        dir,
        "huge.toml",
        &["huge.toml: larger than 1048576 bytes; a project file is a short TOML file"],
    );
}
