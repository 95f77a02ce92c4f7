//! Unit tests of parsing and resolving `--within`.

use geo_types::{MultiPolygon, polygon};

use super::*;
use crate::dataset::{AdminUnit, Area, LsoaCode};

fn square(x: f64, y: f64) -> MultiPolygon<f64> {
    MultiPolygon(vec![polygon![
        (x: x, y: y),
        (x: x + 1.0, y: y),
        (x: x + 1.0, y: y + 1.0),
        (x: x, y: y + 1.0),
        (x: x, y: y),
    ]])
}

/// Six areas in two authorities, three wards; area i is the unit square at (i, 50).
fn dataset() -> Dataset {
    let la = |i: usize| {
        if i < 4 {
            ("E08000035", "Leeds")
        } else {
            ("E08000036", "Wakefield")
        }
    };
    Dataset {
        areas: (0..6)
            .map(|i| Area {
                code: LsoaCode::new(format!("E0100000{i}")),
                name: format!("Area {i}"),
                borough: Some(AdminUnit::new(la(i).0, la(i).1)),
                ward: Some(AdminUnit::new(
                    format!("E0500000{}", i / 2),
                    format!("Ward {}", i / 2),
                )),
                geometry: square(i as f64, 50.0),
            })
            .collect(),
        ..Dataset::default()
    }
}

#[test]
fn within_parses_codes_and_files() {
    assert_eq!(
        "E08000035, E08000036".parse::<Within>(),
        Ok(Within::Codes(vec!["E08000035".into(), "E08000036".into()]))
    );
    assert_eq!(
        "leeds.geojson".parse::<Within>(),
        Ok(Within::File("leeds.geojson".into()))
    );
    assert!("  ".parse::<Within>().is_err());
}

#[test]
fn codes_of_any_level_pick_their_areas() {
    let d = dataset();
    let pick = |s: &str| resolve(&s.parse().unwrap(), &d).map(|s| s.areas);
    assert_eq!(pick("E08000036").unwrap(), vec![4, 5]);
    assert_eq!(pick("E05000001").unwrap(), vec![2, 3]);
    assert_eq!(pick("E01000000,E08000036").unwrap(), vec![0, 4, 5]);
}

#[test]
fn unknown_codes_are_named_with_the_nearest() {
    let d = dataset();
    let e = resolve(&"E08000035,E08000037,Wakefield".parse().unwrap(), &d).unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("'E08000037' is not an LSOA, ward or local authority code"),
        "{msg}"
    );
    assert!(
        msg.contains("nearest: E08000035 (Leeds), E08000036 (Wakefield)"),
        "{msg}"
    );
    assert!(
        msg.contains("'Wakefield'") && msg.contains("nearest: E08000036 (Wakefield)"),
        "{msg}"
    );
    assert_eq!(edit_distance("E0800035", "E08000035"), 1);
}

#[test]
fn polygons_pick_by_label_point() {
    let dir = tempfile::tempdir().unwrap();
    // Covers the label points of areas 1 and 2 (x 1.5 and 2.5) only.
    let path = dir.path().join("sel.geojson");
    std::fs::write(
        &path,
        r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},
        "geometry":{"type":"Polygon","coordinates":[[[1.2,49],[2.8,49],[2.8,52],[1.2,52],[1.2,49]]]}}]}"#,
    )
    .unwrap();
    let d = dataset();
    let s = resolve(&Within::File(path.clone()), &d).unwrap();
    assert_eq!(s.areas, vec![1, 2]);
    // Elsewhere: an empty selection is an error.
    std::fs::write(
        &path,
        r#"{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[-5,49],[-4,49],[-4,52],[-5,52],[-5,49]]]}}"#,
    )
    .unwrap();
    let e = resolve(&Within::File(path.clone()), &d)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("sel.geojson") && e.contains("no area's label point"),
        "{e}"
    );
    // A feature that is not a polygon: the file and the feature are named.
    std::fs::write(
        &path,
        r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[1,50]}}]}"#,
    )
    .unwrap();
    let e = resolve(&Within::File(path.clone()), &d)
        .unwrap_err()
        .to_string();
    assert!(e.contains("sel.geojson") && e.contains("feature 0"), "{e}");
    let e = resolve(&Within::File(dir.path().join("none.geojson")), &d)
        .unwrap_err()
        .to_string();
    assert!(e.contains("none.geojson"), "{e}");
}

#[test]
fn within_ranks_rank_the_selection_only() {
    let index = vec![Some(1.0), Some(9.0), None, Some(5.0), Some(5.0), Some(0.5)];
    let (rank, decile) = within_ranks(&index, &[0, 2, 3, 4]);
    // 5.0 twice: the earlier row first; no index, no rank.
    assert_eq!(rank, vec![Some(3), None, Some(1), Some(2)]);
    assert_eq!(decile[1], None);
    assert_eq!(decile[2], Some(10));
}

/// A library caller's codes file goes through the same checks as the CLI's
/// inputs: a FIFO is refused at once (not waited on) and a file over
/// [`MAX_CODES_FILE_BYTES`] is refused without being read whole.
#[cfg(unix)]
#[test]
fn a_codes_file_is_read_capped_and_never_a_fifo() {
    let dir = tempfile::tempdir().unwrap();
    let ds = dataset();

    let fifo = dir.path().join("codes.txt");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let e = resolve(&Within::File(fifo.clone()), &ds)
        .unwrap_err()
        .to_string();
    assert!(e.contains("codes.txt") && e.contains("FIFO"), "{e}");

    let big = dir.path().join("big.txt");
    let f = std::fs::File::create(&big).unwrap();
    f.set_len(MAX_CODES_FILE_BYTES + 1).unwrap();
    let e = resolve(&Within::File(big), &ds).unwrap_err().to_string();
    assert!(e.contains("big.txt"), "{e}");

    let ok = dir.path().join("ok.txt");
    std::fs::write(&ok, "E08000036\n").unwrap();
    assert_eq!(resolve(&Within::File(ok), &ds).unwrap().areas, [4, 5]);
}
