//! Boundary ingest against real files (London and England & Wales LSOA 2011
//! from ../shared/data) and a set of bad inputs, each of whose errors must
//! name the file and the feature.

mod common;

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use dxmap::ingest::IngestError;
use dxmap::ingest::boundaries::{Boundaries, BoundaryOptions, Crs, parse_geojson, read_boundaries};
use dxmap::ingest::crs::bng_to_wgs84;
use geo_types::Coord;

fn read(path: &Path) -> Result<Boundaries, IngestError> {
    read_boundaries(path, &BoundaryOptions::default())
}

/// Twice the signed area of a closed ring: positive when counter-clockwise.
fn signed_area2(ring: &[Coord<f64>]) -> f64 {
    ring.windows(2)
        .map(|w| w[0].x * w[1].y - w[1].x * w[0].y)
        .sum()
}

fn assert_rfc7946(b: &Boundaries) {
    for f in &b.features {
        assert!(!f.geometry.0.is_empty(), "feature {} empty", f.index);
        for p in &f.geometry.0 {
            let ext = &p.exterior().0;
            assert_eq!(ext.first(), ext.last());
            assert!(
                signed_area2(ext) > 0.0,
                "feature {}: exterior not ccw",
                f.index
            );
            for hole in p.interiors() {
                assert!(
                    signed_area2(&hole.0) < 0.0,
                    "feature {}: hole not cw",
                    f.index
                );
            }
            for c in ext {
                assert!(
                    (-6.5..2.0).contains(&c.x) && (49.8..56.0).contains(&c.y),
                    "{c:?}"
                );
            }
        }
    }
}

#[test]
fn london_lsoa_2011_reads_whole() {
    let Some(data) = common::shared_data("london_lsoa_2011_reads_whole") else {
        return;
    };
    let b = read(&data.join("boundaries/london_lsoa11.geojson")).unwrap();
    assert_eq!(b.features.len(), 4835);
    assert_eq!(b.source_crs, Crs::Wgs84);
    assert_eq!(b.features[0].properties["LSOA11CD"], "E01000001");
    assert_eq!(b.features[0].properties["LAD11NM"], "City of London");
    assert!(b.features.iter().enumerate().all(|(i, f)| f.index == i));
    assert_rfc7946(&b);
    // Our repair's validity check agrees with geo's OGC validation.
    for f in &b.features {
        let errors = geo::Validation::validation_errors(&f.geometry);
        assert!(errors.is_empty(), "feature {}: {errors:?}", f.index);
    }
    for r in &b.repairs {
        assert!(r.feature < 4835);
        assert!(!r.what.starts_with("skipped"), "{r:?}");
    }
}

#[test]
fn england_and_wales_lsoa_2011_reads_from_gzip() {
    let Some(data) = common::shared_data("england_and_wales_lsoa_2011_reads_from_gzip") else {
        return;
    };
    let b = read(&data.join("boundaries/ew_lsoa11.geojson.gz")).unwrap();
    assert_eq!(b.features.len(), 34_753);
    assert_rfc7946(&b);
    let codes: std::collections::BTreeSet<&str> = b
        .features
        .iter()
        .map(|f| f.properties["LSOA11CD"].as_str())
        .collect();
    assert_eq!(codes.len(), 34_753);
    let f = &b.features[0].properties;
    assert_eq!(f["OBJECTID"], "1");
    assert_eq!(f["BNG_E"], "532129");
    assert_eq!(f["LONG"], "-0.09706");
    assert_eq!(f["Shape__Area"], "157794.481079102");
    // Welsh names present where they differ; null properties are absent.
    assert!(
        b.features
            .iter()
            .any(|f| f.properties["LSOA11CD"].starts_with('W'))
    );
}

/// Metres between two lon/lat points (equirectangular; fine at these distances).
fn metres(a: (f64, f64), b: (f64, f64)) -> f64 {
    let lat = a.1.to_radians();
    let dx = (a.0 - b.0).to_radians() * lat.cos() * 6_371_000.0;
    let dy = (a.1 - b.1).to_radians() * 6_371_000.0;
    dx.hypot(dy)
}

#[test]
fn bng_reprojection_agrees_with_ons_centroids_within_10_m() {
    let Some(data) = common::shared_data("bng_reprojection_agrees_with_ons_centroids_within_10_m")
    else {
        return;
    };
    let b = read(&data.join("boundaries/ew_lsoa11.geojson.gz")).unwrap();
    let mut worst = (0.0f64, String::new());
    let mut checked = 0;
    // Every 25th LSOA: ~1,400 points from Cornwall to Northumberland and Wales.
    for f in b.features.iter().step_by(25) {
        let p = &f.properties;
        let num = |k: &str| p[k].parse::<f64>().unwrap();
        let got = bng_to_wgs84(num("BNG_E"), num("BNG_N"));
        let d = metres(got, (num("LONG"), num("LAT")));
        if d > worst.0 {
            worst = (d, p["LSOA11CD"].clone());
        }
        checked += 1;
    }
    println!(
        "BNG -> WGS84: {checked} points, worst {:.2} m ({})",
        worst.0, worst.1
    );
    // 34,753 LSOAs in the file, every 25th checked: fewer than 1,000 points
    // means the file was not read whole (none at all would pass the bound).
    assert!(checked >= 1_000, "only {checked} points checked");
    // LONG/LAT are published to 5 decimals (~1 m); Helmert is good to ~5 m.
    assert!(worst.0 < 10.0, "worst {:.2} m at {}", worst.0, worst.1);
}

// ---- bad inputs: each error names the file and the feature ----

const SQUARE: &str = "[[[-0.1,51.5],[-0.09,51.5],[-0.09,51.51],[-0.1,51.51],[-0.1,51.5]]]";

fn feature(code: &str, geometry: &str) -> String {
    format!(
        r#"{{"type":"Feature","properties":{{"LSOA11CD":"{code}","n":1}},"geometry":{geometry}}}"#
    )
}

fn polygon(coords: &str) -> String {
    format!(r#"{{"type":"Polygon","coordinates":{coords}}}"#)
}

/// Writes a FeatureCollection of a valid feature then `bad` to a temp file.
fn write_collection(dir: &Path, name: &str, crs: Option<&str>, bad: &str) -> PathBuf {
    let crs = crs
        .map(|c| format!(r#""crs":{{"type":"name","properties":{{"name":"{c}"}}}},"#))
        .unwrap_or_default();
    let text = format!(
        "{{\"type\":\"FeatureCollection\",{crs}\n\"features\":[\n{},\n{bad}\n]}}\n",
        feature("E01000001", &polygon(SQUARE))
    );
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn err_text(path: &Path) -> (IngestError, String) {
    let e = read(path).unwrap_err();
    let s = e.to_string();
    assert!(s.starts_with(&path.display().to_string()), "{s}");
    (e, s)
}

#[test]
fn truncated_json_names_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_collection(
        dir.path(),
        "t.geojson",
        None,
        &feature("E01000002", &polygon(SQUARE)),
    );
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, &text[..text.len() - 30]).unwrap();
    let (e, s) = err_text(&path);
    assert!(matches!(e, IngestError::File { .. }), "{e:?}");
    assert!(
        s.contains("truncated JSON") && s.contains("line 4 column"),
        "{s}"
    );
}

#[test]
fn point_geometry_names_feature_and_code() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_collection(
        dir.path(),
        "p.geojson",
        None,
        &feature("E01000002", r#"{"type":"Point","coordinates":[-0.1,51.5]}"#),
    );
    let (_, s) = err_text(&path);
    assert!(
        s.contains(": feature 1 (E01000002): geometry type Point is not supported"),
        "{s}"
    );
}

#[test]
fn nan_coordinate_names_feature_and_code() {
    let dir = tempfile::tempdir().unwrap();
    let bad = polygon("[[[-0.1,51.5],[NaN,51.5],[-0.09,51.51],[-0.1,51.5]]]");
    let path = write_collection(dir.path(), "nan.geojson", None, &feature("E01000002", &bad));
    let (e, s) = err_text(&path);
    assert!(
        matches!(e, IngestError::Feature { feature: 1, .. }),
        "{e:?}"
    );
    assert!(
        s.contains("feature 1 (E01000002): coordinate NaN is not a finite number"),
        "{s}"
    );
}

#[test]
fn repairable_rings_are_repaired_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "unclosed",
            "[[[-0.1,51.5],[-0.09,51.5],[-0.09,51.51],[-0.1,51.51]]]",
            "ring 0: closed an unclosed ring",
        ),
        (
            "dups",
            "[[[-0.1,51.5],[-0.09,51.5],[-0.09,51.5],[-0.09,51.51],[-0.1,51.51],[-0.1,51.5]]]",
            "ring 0: removed 1 duplicate vertex",
        ),
        (
            "clockwise",
            "[[[-0.1,51.5],[-0.1,51.51],[-0.09,51.51],[-0.09,51.5],[-0.1,51.5]]]",
            "ring 0: reversed the exterior ring to counter-clockwise",
        ),
    ];
    for (name, coords, what) in cases {
        let path = write_collection(
            dir.path(),
            &format!("{name}.geojson"),
            None,
            &feature("E01000002", &polygon(coords)),
        );
        let b = read(&path).unwrap();
        assert_eq!(b.features.len(), 2, "{name}");
        assert_eq!(b.repairs.len(), 1, "{name}: {:?}", b.repairs);
        assert_eq!(b.repairs[0].feature, 1);
        assert_eq!(b.repairs[0].what, what);
        let ext = &b.features[1].geometry.0[0].exterior().0;
        assert_eq!(ext.len(), 5, "{name}: {ext:?}");
        assert!(signed_area2(ext) > 0.0);
    }
}

#[test]
fn bow_tie_is_refused_naming_feature_and_ring_unless_skipping() {
    let dir = tempfile::tempdir().unwrap();
    let bow = polygon("[[[-0.1,51.5],[-0.09,51.51],[-0.09,51.5],[-0.1,51.51],[-0.1,51.5]]]");
    let path = write_collection(dir.path(), "bow.geojson", None, &feature("E01000002", &bow));
    let (_, s) = err_text(&path);
    assert!(
        s.contains("feature 1 (E01000002): ring 0: ring intersects itself near"),
        "{s}"
    );
    let opts = BoundaryOptions {
        skip_invalid: true,
        ..Default::default()
    };
    let b = read_boundaries(&path, &opts).unwrap();
    assert_eq!(b.features.len(), 1);
    assert_eq!(b.repairs[0].feature, 1);
    assert!(
        b.repairs[0].what.starts_with("skipped the feature: ring 0"),
        "{:?}",
        b.repairs
    );
}

#[test]
fn projected_coordinates_without_a_crs_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let bng = polygon(
        "[[[532129,181625],[532229,181625],[532229,181725],[532129,181725],[532129,181625]]]",
    );
    let path = write_collection(dir.path(), "bng.geojson", None, &feature("E01000002", &bng));
    let (_, s) = err_text(&path);
    assert!(s.contains("feature 1 (E01000002): no CRS is stated"), "{s}");
    assert!(s.contains("state its CRS (e.g. EPSG:27700)"), "{s}");
    // Stated by the user, the same file reads (the WGS84 square is then
    // nonsense as BNG, so give a file that is all BNG).
    let all_bng = dir.path().join("all_bng.geojson");
    std::fs::write(
        &all_bng,
        format!(
            r#"{{"type":"FeatureCollection","features":[{}]}}"#,
            feature("E01000001", &bng)
        ),
    )
    .unwrap();
    let opts = BoundaryOptions {
        crs: Crs::parse("EPSG:27700"),
        ..Default::default()
    };
    let b = read_boundaries(&all_bng, &opts).unwrap();
    let c = b.features[0].geometry.0[0].exterior().0[0];
    assert!(metres((c.x, c.y), (-0.09706, 51.5181)) < 60.0, "{c:?}");
}

#[test]
fn unknown_crs_is_refused_unless_stated() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_collection(
        dir.path(),
        "mars.geojson",
        Some("urn:ogc:def:crs:IAU::49900"),
        &feature("E01000002", &polygon(SQUARE)),
    );
    let (e, s) = err_text(&path);
    assert!(matches!(e, IngestError::File { .. }));
    assert!(
        s.contains("unknown CRS \"urn:ogc:def:crs:IAU::49900\""),
        "{s}"
    );
    let opts = BoundaryOptions {
        crs: Some(Crs::Wgs84),
        ..Default::default()
    };
    assert_eq!(read_boundaries(&path, &opts).unwrap().features.len(), 2);
    // A file CRS in EPSG form, BNG, is honoured.
    let path = write_collection(
        dir.path(),
        "epsg.geojson",
        Some("EPSG:27700"),
        &feature(
            "E01000002",
            &polygon("[[[532129,181625],[532229,181625],[532229,181725],[532129,181625]]]"),
        ),
    );
    // The first feature is WGS84-sized numbers read as metres: near BNG's
    // false origin, far off GB, but legal.
    let b = read(&path).unwrap();
    assert_eq!(b.source_crs, Crs::BritishNationalGrid);
}

/// Writes a gzip stream of `gib` GiB of zeros without holding it: one
/// byte-aligned deflate segment of 1 MiB of zeros, repeated (back-references
/// into earlier zeros stay valid), then an empty final block. The trailer's
/// CRC is not computed: a reader must refuse long before reaching it.
fn write_gzip_bomb(path: &Path, gib: usize) -> u64 {
    use flate2::{Compress, Compression, FlushCompress};
    let mut c = Compress::new(Compression::best(), false);
    let zeros = vec![0u8; 1 << 20];
    let mut segment = Vec::with_capacity(1 << 16);
    c.compress_vec(&zeros, &mut segment, FlushCompress::Full)
        .unwrap();
    assert_eq!(c.total_in(), 1 << 20);
    let mut tail = Vec::with_capacity(64);
    c.compress_vec(&[], &mut tail, FlushCompress::Finish)
        .unwrap();
    let mut out = BufWriter::new(File::create(path).unwrap());
    out.write_all(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255])
        .unwrap();
    for _ in 0..gib * 1024 {
        out.write_all(&segment).unwrap();
    }
    out.write_all(&tail).unwrap();
    out.write_all(&[0, 0, 0, 0]).unwrap();
    out.write_all(&(((gib as u64) << 30) as u32).to_le_bytes())
        .unwrap();
    out.flush().unwrap();
    std::fs::metadata(path).unwrap().len()
}

#[test]
fn gzip_bomb_is_refused_at_the_size_cap() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bomb.geojson.gz");
    let size = write_gzip_bomb(&path, 3);
    assert!(size < 8 << 20, "{size}");
    // A small cap keeps the debug-build test quick; the default (1 GiB) is
    // the same code path. It is under the 48 MiB read into memory before
    // parsing, so the cap, not the parser, refuses these zeros.
    let opts = BoundaryOptions {
        max_bytes: Some(32 << 20),
        ..Default::default()
    };
    let e = read_boundaries(&path, &opts).unwrap_err().to_string();
    assert_eq!(
        e,
        format!(
            "{}: decompressed size exceeds the limit of 33554432 bytes; refusing to read it (a gzip bomb?)",
            path.display()
        )
    );
}

// ---- shapefiles ----

const BNG_PRJ: &str = r#"PROJCS["British_National_Grid",GEOGCS["GCS_OSGB_1936",DATUM["D_OSGB_1936",SPHEROID["Airy_1830",6377563.396,299.3249646]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER["False_Easting",400000.0],PARAMETER["False_Northing",-100000.0],PARAMETER["Central_Meridian",-2.0],PARAMETER["Scale_Factor",0.9996012717],PARAMETER["Latitude_Of_Origin",49.0],UNIT["Meter",1.0]]"#;
const WGS84_PRJ: &str = r#"GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]"#;

/// One shapefile row: code, name, a number, rings as (x, y).
type ShpRow = (String, String, f64, Vec<Vec<(f64, f64)>>);

/// Writes a polygon shapefile.
fn write_shapefile(path: &Path, rows: &[ShpRow]) {
    use shapefile::dbase::{self, FieldName, FieldValue, TableWriterBuilder};
    use shapefile::{Point, Polygon, PolygonRing};
    let fields = TableWriterBuilder::new()
        .add_character_field(FieldName::try_from("LSOA11CD").unwrap(), 9)
        .add_character_field(FieldName::try_from("LSOA11NM").unwrap(), 60)
        .add_numeric_field(FieldName::try_from("BNG_E").unwrap(), 12, 2);
    let mut w = shapefile::Writer::from_path(path, fields).unwrap();
    for (code, name, num, rings) in rows {
        let rings = rings
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let pts = r.iter().map(|&(x, y)| Point::new(x, y)).collect();
                if i == 0 {
                    PolygonRing::Outer(pts)
                } else {
                    PolygonRing::Inner(pts)
                }
            })
            .collect();
        let mut rec = dbase::Record::default();
        rec.insert("LSOA11CD".into(), FieldValue::Character(Some(code.clone())));
        rec.insert("LSOA11NM".into(), FieldValue::Character(Some(name.clone())));
        rec.insert("BNG_E".into(), FieldValue::Numeric(Some(*num)));
        w.write_shape_and_record(&Polygon::with_rings(rings), &rec)
            .unwrap();
    }
}

#[test]
fn shapefile_of_real_london_lsoas_round_trips() {
    let Some(data) = common::shared_data("shapefile_of_real_london_lsoas_round_trips") else {
        return;
    };
    let london = read(&data.join("boundaries/london_lsoa11.geojson")).unwrap();
    let rows: Vec<_> = london.features[..5]
        .iter()
        .map(|f| {
            let p = &f.geometry.0[0];
            let rings = std::iter::once(p.exterior())
                .chain(p.interiors())
                .map(|r| r.0.iter().map(|c| (c.x, c.y)).collect())
                .collect();
            (
                f.properties["LSOA11CD"].clone(),
                f.properties["LSOA11NM"].clone(),
                1.5,
                rings,
            )
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let shp = dir.path().join("london.shp");
    write_shapefile(&shp, &rows);
    std::fs::write(dir.path().join("london.prj"), WGS84_PRJ).unwrap();
    let b = read(&shp).unwrap();
    assert_eq!(b.source_crs, Crs::Wgs84);
    assert_eq!(b.features.len(), 5);
    assert!(b.repairs.is_empty(), "{:?}", b.repairs);
    for (got, want) in b.features.iter().zip(&london.features) {
        assert_eq!(got.properties["LSOA11CD"], want.properties["LSOA11CD"]);
        assert_eq!(got.properties["LSOA11NM"], want.properties["LSOA11NM"]);
        assert_eq!(got.properties["BNG_E"], "1.5");
        assert_eq!(got.geometry, want.geometry);
    }
}

#[test]
fn shapefile_in_bng_reprojects_to_ons_centroid() {
    let Some(data) = common::shared_data("shapefile_in_bng_reprojects_to_ons_centroid") else {
        return;
    };
    let ew = read(&data.join("boundaries/ew_lsoa11.geojson.gz")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let shp = dir.path().join("bng.shp");
    // 100 m squares around three real LSOAs' ONS centroids (BNG_E/BNG_N),
    // with a 20 m hole in the first.
    let picks = [0usize, 17_000, 34_000];
    let rows: Vec<_> = picks
        .iter()
        .map(|&i| {
            let p = &ew.features[i].properties;
            let (e, n) = (
                p["BNG_E"].parse::<f64>().unwrap(),
                p["BNG_N"].parse::<f64>().unwrap(),
            );
            let sq = |h: f64| {
                vec![
                    (e - h, n - h),
                    (e - h, n + h),
                    (e + h, n + h),
                    (e + h, n - h),
                    (e - h, n - h),
                ]
            };
            let mut rings = vec![sq(50.0)];
            if i == 0 {
                rings.push(sq(10.0).into_iter().rev().collect());
            }
            (p["LSOA11CD"].clone(), p["LSOA11NM"].clone(), e, rings)
        })
        .collect();
    write_shapefile(&shp, &rows);
    // Without a .prj: refused, naming the file and saying to state the CRS.
    let e = read(&shp).unwrap_err().to_string();
    assert_eq!(
        e,
        format!(
            "{}: no .prj file beside it says its CRS; state the CRS (e.g. EPSG:27700)",
            shp.display()
        )
    );
    std::fs::write(dir.path().join("bng.prj"), BNG_PRJ).unwrap();
    let b = read(&shp).unwrap();
    assert_eq!(b.source_crs, Crs::BritishNationalGrid);
    assert!(b.repairs.is_empty(), "{:?}", b.repairs);
    assert_eq!(b.features[0].geometry.0[0].interiors().len(), 1);
    for (f, &i) in b.features.iter().zip(&picks) {
        let p = &ew.features[i].properties;
        assert_eq!(f.properties["LSOA11CD"], p["LSOA11CD"]);
        let ext = &f.geometry.0[0].exterior().0;
        let (cx, cy) = (
            ext[..4].iter().map(|c| c.x).sum::<f64>() / 4.0,
            ext[..4].iter().map(|c| c.y).sum::<f64>() / 4.0,
        );
        let want = (p["LONG"].parse().unwrap(), p["LAT"].parse().unwrap());
        assert!(
            metres((cx, cy), want) < 10.0,
            "{}: {cx},{cy} vs {want:?}",
            p["LSOA11CD"]
        );
    }
}

#[test]
fn bytes_entry_point_names_the_given_file() {
    let e = parse_geojson(
        b"{\"type\":\"FeatureCollection\",\"features\":[",
        Path::new("embedded.geojson"),
        &BoundaryOptions::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(e.starts_with("embedded.geojson: truncated JSON"), "{e}");
}

/// Three squares near Westminster, in lon/lat, as shapefile rows E0100000{1,2,3}.
fn squares(n: usize) -> Vec<ShpRow> {
    (0..n)
        .map(|i| {
            let x = -0.1 + 0.01 * i as f64;
            // Clockwise, as Shapefile exteriors are.
            let ring = vec![
                (x, 51.5),
                (x, 51.51),
                (x + 0.01, 51.51),
                (x + 0.01, 51.5),
                (x, 51.5),
            ];
            (
                format!("E0100000{}", i + 1),
                format!("Area {i}"),
                1.0,
                vec![ring],
            )
        })
        .collect()
}

/// A shapefile `name` of `shapes` squares whose .dbf is that of one with
/// `records` squares.
fn mismatched_shapefile(dir: &Path, name: &str, shapes: usize, records: usize) -> PathBuf {
    let shp = dir.join(format!("{name}.shp"));
    write_shapefile(&shp, &squares(shapes));
    let other = dir.join(format!("{name}_other.shp"));
    write_shapefile(&other, &squares(records));
    std::fs::copy(other.with_extension("dbf"), shp.with_extension("dbf")).unwrap();
    std::fs::write(shp.with_extension("prj"), WGS84_PRJ).unwrap();
    shp
}

#[test]
fn shapefile_with_fewer_records_than_shapes_is_refused_naming_both_counts() {
    let dir = tempfile::tempdir().unwrap();
    // The same shapes and records read whole: the files themselves are good.
    let fine = mismatched_shapefile(dir.path(), "fine", 3, 3);
    assert_eq!(read(&fine).unwrap().features.len(), 3);

    // Used to read as 2 features, the third shape dropped without a word.
    let shp = mismatched_shapefile(dir.path(), "more_shapes", 3, 2);
    let e = read(&shp).unwrap_err().to_string();
    assert_eq!(
        e,
        format!(
            "{}: feature 2: shape has no record: the .shp has 3 shapes but the .dbf has 2 records; shapes and records pair by position",
            shp.display()
        )
    );
    // The in-memory entry point refuses it the same way.
    let bytes = |ext: &str| std::fs::read(shp.with_extension(ext)).unwrap();
    let e = dxmap::ingest::boundaries::parse_shapefile(
        &bytes("shp"),
        Some(&bytes("shx")),
        &bytes("dbf"),
        Some(WGS84_PRJ),
        Path::new("mem.shp"),
        &BoundaryOptions::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(e.starts_with("mem.shp: feature 2: shape has no record: the .shp has 3 shapes but the .dbf has 2 records"), "{e}");

    // More records than shapes: the spare attributes are refused too.
    let shp = mismatched_shapefile(dir.path(), "more_records", 2, 3);
    let e = read(&shp).unwrap_err().to_string();
    assert_eq!(
        e,
        format!(
            "{}: the .dbf has 3 records but the .shp has 2 shapes; record 2 has no shape; shapes and records pair by position",
            shp.display()
        )
    );
}

/// A FIFO in place of any part of a shapefile is refused at once: opening
/// it would wait for a writer that never comes.
#[cfg(unix)]
#[test]
fn a_fifo_as_any_part_of_a_shapefile_is_refused_without_blocking() {
    use std::sync::mpsc;
    use std::time::Duration;
    for ext in ["shp", "shx", "dbf", "prj", "cpg"] {
        let dir = tempfile::tempdir().unwrap();
        let shp = mismatched_shapefile(dir.path(), "parts", 2, 2);
        let part = shp.with_extension(ext);
        let _ = std::fs::remove_file(&part);
        let made = std::process::Command::new("mkfifo").arg(&part).status();
        assert!(made.expect("mkfifo").success(), "mkfifo {}", part.display());
        let (tx, rx) = mpsc::channel();
        let path = shp.clone();
        // A blocked read leaves this thread behind; the test fails on the timeout.
        std::thread::spawn(move || tx.send(read(&path).map(|b| b.features.len())));
        let got = rx
            .recv_timeout(Duration::from_secs(20))
            .unwrap_or_else(|_| panic!(".{ext} as a FIFO: the read blocked"));
        let e = got.unwrap_err().to_string();
        assert_eq!(
            e,
            format!(
                "{}: is a FIFO (named pipe), not a regular file; dxmap reads its inputs only from regular files",
                part.display()
            ),
            ".{ext}"
        );
    }
}

#[test]
fn shapefile_with_a_deleted_record_is_refused_not_shifted() {
    let dir = tempfile::tempdir().unwrap();
    let shp = mismatched_shapefile(dir.path(), "deleted", 2, 2);
    // Mark the first record deleted: its flag byte opens the records, after
    // the header whose length is the u16 at byte 8.
    let dbf = shp.with_extension("dbf");
    let mut bytes = std::fs::read(&dbf).unwrap();
    let first = usize::from(u16::from_le_bytes([bytes[8], bytes[9]]));
    assert_eq!(bytes[first], b' ');
    bytes[first] = b'*';
    std::fs::write(&dbf, bytes).unwrap();
    // Used to read as one feature: shape 0 with record 1's attributes.
    let e = read(&shp).unwrap_err().to_string();
    assert_eq!(
        e,
        format!(
            "{}: the .dbf marks 1 of its 2 records deleted; shapes and records pair by position, so which shapes they belonged to is unknown (remove the deleted records and their shapes, then try again)",
            shp.display()
        )
    );
}
