//! Reading boundary files (GeoJSON, gzip-compressed GeoJSON, ESRI
//! Shapefile) into WGS84 polygons: a path (or GeoJSON bytes) and
//! [`BoundaryOptions`] in, [`Boundaries`] out — features in file order with
//! text properties and repaired [`MultiPolygon`]s, the source CRS, and every
//! repair made.
//!
//! The steps: read and parse (gzip transparently, capped in size and
//! inflation ratio; up to 48 MiB from memory, beyond as a stream), settle the CRS (the user's, else the file's, else
//! WGS84 for GeoJSON; a stated CRS that contradicts the file's is an error),
//! check the coordinates fit it (longitude/latitude, or on the British
//! National Grid and not longitude/latitude), reproject, repair
//! ([`crate::ingest::repair`]). Features are reprojected and repaired in
//! parallel; outputs keep file order.

mod geojson;
mod shapefile;

pub use shapefile::parse_shapefile;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use geo_types::{Coord, MultiPolygon};
use rayon::prelude::*;

use crate::ingest::IngestError;
use crate::ingest::crs::{pure_rust_transform, reproject_all};
use crate::ingest::gzip::{DEFAULT_MAX_BYTES, io_error, open_capped};
use crate::ingest::repair::{RawPolygons, repair_polygons};

/// A coordinate reference system of an input file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Crs {
    /// WGS84 longitude/latitude (EPSG:4326, OGC CRS84).
    Wgs84,
    /// British National Grid (EPSG:27700).
    BritishNationalGrid,
    /// Any other EPSG code (needs the `proj` feature).
    Epsg(u32),
}

/// Options for reading a boundary file.
#[derive(Clone, Debug, Default)]
pub struct BoundaryOptions {
    /// The CRS the user states; overrides detection and is required when the file names none.
    pub crs: Option<Crs>,
    /// Skip features whose geometry is invalid beyond safe repair (each is
    /// reported in [`Boundaries::repairs`] as "skipped ...") instead of
    /// failing the whole file.
    pub skip_invalid: bool,
    /// Cap on the (decompressed) file size in bytes; `None` means
    /// [`DEFAULT_MAX_BYTES`] (1 GiB).
    pub max_bytes: Option<u64>,
}

/// One feature of a boundary file.
#[derive(Clone, Debug)]
pub struct BoundaryFeature {
    /// 0-based position in the file (for error messages: "feature 812").
    pub index: usize,
    /// Properties as text (numbers formatted plainly).
    pub properties: BTreeMap<String, String>,
    /// Geometry in WGS84, repaired.
    pub geometry: MultiPolygon<f64>,
}

/// A repair made to a feature.
#[derive(Clone, Debug, PartialEq)]
pub struct Repair {
    /// 0-based feature position.
    pub feature: usize,
    /// What was repaired, e.g. "closed an unclosed ring".
    pub what: String,
}

/// The features of a boundary file, reprojected and repaired.
#[derive(Clone, Debug)]
pub struct Boundaries {
    /// Features in file order.
    pub features: Vec<BoundaryFeature>,
    /// The CRS the file was in.
    pub source_crs: Crs,
    /// Repairs made.
    pub repairs: Vec<Repair>,
}

/// A feature as read, before CRS handling and repair.
struct RawFeature {
    properties: BTreeMap<String, String>,
    polygons: RawPolygons,
}

/// Property names holding an area's code, most specific first.
const CODE_KEYS: [&str; 7] = [
    "LSOA21CD", "LSOA11CD", "code", "CODE", "Code", "lsoa21cd", "lsoa11cd",
];

/// The feature's code, for error messages, when a code-like property is present.
fn feature_code(properties: &BTreeMap<String, String>) -> Option<String> {
    CODE_KEYS.iter().find_map(|k| properties.get(*k).cloned())
}

/// GeoJSON content up to this size is parsed from memory; larger streams.
/// The England and Wales LSOA file is 31 MiB.
const IN_MEMORY_BYTES: u64 = 48 << 20;

/// Reads a boundary file: `.geojson`/`.json` (optionally gzip-compressed,
/// `.gz`) or `.shp` (with `.dbf`, `.shx` and `.prj` beside it).
pub fn read_boundaries(path: &Path, opts: &BoundaryOptions) -> Result<Boundaries, IngestError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let inner = name.strip_suffix(".gz").unwrap_or(&name);
    if inner.ends_with(".shp") && inner.len() == name.len() {
        return shapefile::read(path, opts);
    }
    if inner.ends_with(".geojson") || inner.ends_with(".json") || name.ends_with(".gz") {
        // Up to IN_MEMORY_BYTES parse from memory (several times faster);
        // beyond, stream, so a huge file (or a gzip bomb) is refused while it
        // is read, never held.
        let (mut reader, _) = open_capped(path, opts.max_bytes.unwrap_or(DEFAULT_MAX_BYTES))?;
        let mut head = Vec::new();
        (&mut reader)
            .take(IN_MEMORY_BYTES + 1)
            .read_to_end(&mut head)
            .map_err(|e| io_error(path, e))?;
        let parsed = if head.len() as u64 <= IN_MEMORY_BYTES {
            geojson::parse(&head, path)?
        } else {
            geojson::parse_reader(std::io::Cursor::new(head).chain(reader), path)?
        };
        return settle_crs(parsed, path, opts);
    }
    Err(IngestError::File {
        file: path.to_path_buf(),
        message: "unknown boundary file type; expected .geojson, .json, .geojson.gz or .shp"
            .to_string(),
    })
}

/// Parses GeoJSON bytes (not compressed). `file` only names the source in
/// errors.
pub fn parse_geojson(
    bytes: &[u8],
    file: &Path,
    opts: &BoundaryOptions,
) -> Result<Boundaries, IngestError> {
    let parsed = geojson::parse(bytes, file)?;
    settle_crs(parsed, file, opts)
}

/// Settles a parsed file's CRS (the user's, else the file's, else WGS84),
/// refusing a stated CRS that contradicts the file's own, then finishes.
fn settle_crs(
    parsed: geojson::Parsed,
    file: &Path,
    opts: &BoundaryOptions,
) -> Result<Boundaries, IngestError> {
    let in_file = match parsed.crs.as_deref() {
        None => None,
        Some(name) => match Crs::parse(name) {
            Some(crs) => Some(crs),
            None if opts.crs.is_some() => None,
            None => {
                return Err(IngestError::File {
                    file: file.to_path_buf(),
                    message: format!(
                        "unknown CRS {name:?} in the file's \"crs\" member; state the CRS (e.g. EPSG:27700)"
                    ),
                });
            }
        },
    };
    let declared = match (opts.crs, in_file) {
        (Some(user), Some(own)) if user != own => {
            return Err(IngestError::File {
                file: file.to_path_buf(),
                message: format!(
                    "the file's \"crs\" member says {own}, but {user} was stated for it; the two contradict, so one is wrong"
                ),
            });
        }
        (Some(crs), _) => Declared::User(crs),
        (None, Some(crs)) => Declared::File(crs),
        (None, None) => Declared::Assumed,
    };
    finish(file, parsed.features, declared, opts, false)
}

/// Where the CRS came from (for error messages).
#[derive(Clone, Copy, Debug)]
enum Declared {
    User(Crs),
    File(Crs),
    /// None stated: RFC 7946 GeoJSON is WGS84.
    Assumed,
}

/// One feature reprojected and repaired, with its repairs; or why not.
type FeatureResult = Result<(BoundaryFeature, Vec<String>), IngestError>;

/// Checks the CRS against the coordinates, reprojects and repairs.
/// `reversed_convention` is true for sources whose rings are clockwise by
/// convention (Shapefile): their orientation flips are not reported.
fn finish(
    file: &Path,
    raw: Vec<RawFeature>,
    declared: Declared,
    opts: &BoundaryOptions,
    reversed_convention: bool,
) -> Result<Boundaries, IngestError> {
    let crs = match declared {
        Declared::User(crs) | Declared::File(crs) => crs,
        Declared::Assumed => Crs::Wgs84,
    };
    if crs == Crs::Wgs84 {
        check_lon_lat(file, &raw, declared)?;
    }
    if crs == Crs::BritishNationalGrid {
        check_grid(file, &raw, declared)?;
    }
    let mut raw = raw;
    if pure_rust_transform(crs).is_none() {
        // libproj handles are not thread-safe: reproject here, in order.
        let mut coords: Vec<&mut Coord<f64>> = raw
            .iter_mut()
            .flat_map(|f| f.polygons.iter_mut().flatten().flatten())
            .collect();
        reproject_all(crs, &mut coords).map_err(|e| IngestError::File {
            file: file.to_path_buf(),
            message: e.to_string(),
        })?;
    }
    let transform = pure_rust_transform(crs).unwrap_or(|c| c);
    let results: Vec<(usize, FeatureResult)> = raw
        .into_par_iter()
        .enumerate()
        .map(|(index, mut f)| {
            for c in f.polygons.iter_mut().flatten().flatten() {
                *c = transform(*c);
            }
            if reversed_convention {
                for ring in f.polygons.iter_mut().flatten() {
                    ring.reverse();
                }
            }
            let mut repairs = Vec::new();
            let result = match repair_polygons(f.polygons, &mut repairs) {
                Ok(geometry) => Ok((
                    BoundaryFeature {
                        index,
                        properties: f.properties,
                        geometry,
                    },
                    repairs,
                )),
                Err(e) => Err(IngestError::Feature {
                    file: file.to_path_buf(),
                    feature: index,
                    code: feature_code(&f.properties),
                    message: e.to_string(),
                }),
            };
            (index, result)
        })
        .collect();
    let mut features = Vec::with_capacity(results.len());
    let mut repairs = Vec::new();
    let mut errors = Vec::new();
    for (index, result) in results {
        match result {
            Ok((feature, done)) => {
                repairs.extend(done.into_iter().map(|what| Repair {
                    feature: index,
                    what,
                }));
                features.push(feature);
            }
            Err(e) if opts.skip_invalid => repairs.push(Repair {
                feature: index,
                what: format!("skipped the feature: {}", skip_reason(&e)),
            }),
            Err(e) => errors.push(e),
        }
    }
    match errors.len() {
        0 => Ok(Boundaries {
            features,
            source_crs: crs,
            repairs,
        }),
        1 => Err(errors.remove(0)),
        _ => Err(IngestError::Many(errors)),
    }
}

fn skip_reason(e: &IngestError) -> String {
    match e {
        IngestError::Feature { message, .. } => message.clone(),
        other => other.to_string(),
    }
}

/// Refuses WGS84 when a coordinate cannot be longitude/latitude, naming the
/// first such feature and saying to state the CRS.
fn check_lon_lat(file: &Path, raw: &[RawFeature], declared: Declared) -> Result<(), IngestError> {
    let bad = raw.iter().enumerate().find_map(|(i, f)| {
        f.polygons
            .iter()
            .flatten()
            .flatten()
            .find(|c| !(-180.0..=180.0).contains(&c.x) || !(-90.0..=90.0).contains(&c.y))
            .map(|c| (i, *c, feature_code(&f.properties)))
    });
    let Some((feature, c, code)) = bad else {
        return Ok(());
    };
    let why = match declared {
        Declared::Assumed => {
            "no CRS is stated, so it should be WGS84 longitude/latitude (RFC 7946), but"
        }
        Declared::File(_) => "the file states WGS84, but",
        Declared::User(_) => "WGS84 was stated, but",
    };
    Err(IngestError::Feature {
        file: file.to_path_buf(),
        feature,
        code,
        message: format!(
            "{why} coordinate ({}, {}) is not a longitude/latitude; the file looks projected: state its CRS (e.g. EPSG:27700)",
            c.x, c.y
        ),
    })
}

/// Refuses British National Grid when a coordinate lies off the grid, or
/// when every coordinate could be a longitude/latitude (a WGS84 file
/// mislabelled: in metres it would all lie within 180 m of the grid's
/// origin, in the sea off the Isles of Scilly).
fn check_grid(file: &Path, raw: &[RawFeature], declared: Declared) -> Result<(), IngestError> {
    let why = match declared {
        Declared::File(_) => "the file states EPSG:27700 (British National Grid), but",
        _ => "EPSG:27700 (British National Grid) was stated, but",
    };
    let fail = |feature: usize, f: &RawFeature, message: String| IngestError::Feature {
        file: file.to_path_buf(),
        feature,
        code: feature_code(&f.properties),
        message: format!("{why} {message}"),
    };
    let coords = || {
        raw.iter().enumerate().flat_map(|(i, f)| {
            f.polygons
                .iter()
                .flatten()
                .flatten()
                .map(move |c| (i, f, *c))
        })
    };
    // The grid's extent (EPSG:27700 area of use, with a margin).
    let on_grid = |c: &Coord<f64>| {
        (-110_000.0..=710_000.0).contains(&c.x) && (-20_000.0..=1_300_000.0).contains(&c.y)
    };
    if let Some((i, f, c)) = coords().find(|(_, _, c)| !on_grid(c)) {
        return Err(fail(
            i,
            f,
            format!(
                "coordinate ({}, {}) is off the grid; state the file's real CRS",
                c.x, c.y
            ),
        ));
    }
    let lon_lat = |c: &Coord<f64>| c.x.abs() <= 180.0 && c.y.abs() <= 90.0;
    if coords().all(|(_, _, c)| lon_lat(&c))
        && let Some((i, f, c)) = coords().next()
    {
        return Err(fail(
            i,
            f,
            format!(
                "every coordinate is within ±180, ±90, e.g. ({}, {}): these are longitude/latitude, not metres; state EPSG:4326",
                c.x, c.y
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn parse(text: &str) -> Result<Boundaries, IngestError> {
        parse_geojson(
            text.as_bytes(),
            &PathBuf::from("t.geojson"),
            &BoundaryOptions::default(),
        )
    }

    const SQUARE: &str = r#"[[[0,0],[1,0],[1,1],[0,1],[0,0]]]"#;

    fn collection(features: &[String]) -> String {
        format!(
            r#"{{"type":"FeatureCollection","features":[{}]}}"#,
            features.join(",")
        )
    }

    fn feature(props: &str, geometry: &str) -> String {
        format!(r#"{{"type":"Feature","properties":{props},"geometry":{geometry}}}"#)
    }

    #[test]
    fn properties_become_plain_text() {
        let f = feature(
            r#"{"code":"E01000001","n":532129,"x":0.5,"big":1e20,"t":true,"nil":null,"o":{"a":[1]}}"#,
            &format!(r#"{{"type":"Polygon","coordinates":{SQUARE}}}"#),
        );
        let b = parse(&collection(&[f])).unwrap();
        let p = &b.features[0].properties;
        assert_eq!(p["code"], "E01000001");
        assert_eq!(p["n"], "532129");
        assert_eq!(p["x"], "0.5");
        assert_eq!(p["big"], "100000000000000000000");
        assert_eq!(p["t"], "true");
        assert!(!p.contains_key("nil"));
        assert_eq!(p["o"], r#"{"a":[1]}"#);
        assert_eq!(b.source_crs, Crs::Wgs84);
        assert!(b.repairs.is_empty(), "{:?}", b.repairs);
    }

    #[test]
    fn reads_multipolygons_holes_and_a_single_feature() {
        let multi = format!(
            r#"{{"coordinates":[{SQUARE},[[[2,2],[5,2],[5,5],[2,5],[2,2]],[[3,3],[3,4],[4,4],[4,3],[3,3]]]],"type":"MultiPolygon"}}"#
        );
        let b = parse(&collection(&[feature("{}", &multi)])).unwrap();
        let g = &b.features[0].geometry;
        assert_eq!(g.0.len(), 2);
        assert_eq!(g.0[1].interiors().len(), 1);
        let single = feature(
            r#"{"code":"X"}"#,
            &format!(r#"{{"type":"Polygon","coordinates":{SQUARE}}}"#),
        );
        let b = parse(&single).unwrap();
        assert_eq!(b.features.len(), 1);
        assert_eq!(b.features[0].properties["code"], "X");
    }

    #[test]
    fn errors_name_the_feature_and_code() {
        let ok = feature(
            r#"{"LSOA11CD":"A"}"#,
            &format!(r#"{{"type":"Polygon","coordinates":{SQUARE}}}"#),
        );
        let point = feature(
            r#"{"LSOA11CD":"B"}"#,
            r#"{"type":"Point","coordinates":[0,0]}"#,
        );
        let e = parse(&collection(&[ok.clone(), point]))
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "t.geojson: feature 1 (B): geometry type Point is not supported; only Polygon and MultiPolygon"
        );
        let none = feature(r#"{"LSOA11CD":"C"}"#, "null");
        let e = parse(&collection(&[ok.clone(), ok.clone(), none]))
            .unwrap_err()
            .to_string();
        assert_eq!(e, "t.geojson: feature 2 (C): has no geometry");
        let nan = feature(
            r#"{"LSOA11CD":"D"}"#,
            r#"{"type":"Polygon","coordinates":[[[0,0],[NaN,0],[1,1],[0,0]]]}"#,
        );
        let e = parse(&collection(&[ok.clone(), nan]))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("t.geojson: feature 1 (D): coordinate NaN is not a finite number"),
            "{e}"
        );
        let nan_prop = feature(
            r#"{"LSOA11CD":"F","x":NaN}"#,
            &format!(r#"{{"type":"Polygon","coordinates":{SQUARE}}}"#),
        );
        let e = parse(&collection(&[nan_prop])).unwrap_err().to_string();
        assert!(
            e.starts_with("t.geojson: feature 0: value NaN is not a finite number"),
            "{e}"
        );
        let text = feature(
            r#"{"LSOA11CD":"E"}"#,
            r#"{"type":"Polygon","coordinates":[[[0,0],["1",0],[1,1],[0,0]]]}"#,
        );
        let e = parse(&collection(&[text])).unwrap_err().to_string();
        assert!(
            e.starts_with("t.geojson: feature 0 (E): invalid type: string \"1\""),
            "{e}"
        );
    }

    #[test]
    fn truncated_json_is_a_file_error_with_line_and_column() {
        let text = collection(&[feature(
            "{}",
            &format!(r#"{{"type":"Polygon","coordinates":{SQUARE}}}"#),
        )]);
        let e = parse(&text[..text.len() - 20]).unwrap_err();
        assert!(matches!(e, IngestError::File { .. }), "{e:?}");
        let e = e.to_string();
        assert!(
            e.starts_with("t.geojson: truncated JSON: EOF while parsing"),
            "{e}"
        );
        assert!(e.contains("line 1 column"), "{e}");
    }

    #[test]
    fn crs_member_user_override_and_plausibility() {
        let bng = r#"[[[532129,181625],[532229,181625],[532229,181725],[532129,181725],[532129,181625]]]"#;
        let f = feature(
            "{}",
            &format!(r#"{{"type":"Polygon","coordinates":{bng}}}"#),
        );
        let e = parse(&collection(std::slice::from_ref(&f)))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("t.geojson: feature 0: no CRS is stated"),
            "{e}"
        );
        assert!(e.contains("state its CRS"), "{e}");
        let named = format!(
            r#"{{"type":"FeatureCollection","crs":{{"type":"name","properties":{{"name":"urn:ogc:def:crs:EPSG::27700"}}}},"features":[{f}]}}"#
        );
        let b = parse(&named).unwrap();
        assert_eq!(b.source_crs, Crs::BritishNationalGrid);
        let c = b.features[0].geometry.0[0].exterior().0[0];
        assert!(
            (c.x - -0.0970).abs() < 0.01 && (c.y - 51.518).abs() < 0.01,
            "{c:?}"
        );
        let opts = BoundaryOptions {
            crs: Some(Crs::BritishNationalGrid),
            ..Default::default()
        };
        let b = parse_geojson(collection(&[f]).as_bytes(), Path::new("t.geojson"), &opts).unwrap();
        assert_eq!(b.source_crs, Crs::BritishNationalGrid);
        let unknown = r#"{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"Mars2000"}},"features":[]}"#;
        let e = parse(unknown).unwrap_err().to_string();
        assert_eq!(
            e,
            "t.geojson: unknown CRS \"Mars2000\" in the file's \"crs\" member; state the CRS (e.g. EPSG:27700)"
        );
    }

    #[test]
    fn a_stated_crs_must_agree_with_the_file_and_its_coordinates() {
        let square = format!(r#"{{"type":"Polygon","coordinates":{SQUARE}}}"#);
        let named = |crs: &str| {
            format!(
                r#"{{"type":"FeatureCollection","crs":{{"type":"name","properties":{{"name":"{crs}"}}}},"features":[{}]}}"#,
                feature(r#"{"code":"A"}"#, &square)
            )
        };
        let bng = BoundaryOptions {
            crs: Some(Crs::BritishNationalGrid),
            ..Default::default()
        };
        let e = parse_geojson(named("EPSG:4326").as_bytes(), Path::new("t.geojson"), &bng)
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "t.geojson: the file's \"crs\" member says EPSG:4326 (WGS84), but EPSG:27700 (British National Grid) was stated for it; the two contradict, so one is wrong"
        );
        let e = parse(&named("EPSG:27700")).unwrap_err().to_string();
        assert!(
            e.starts_with("t.geojson: feature 0 (A): the file states EPSG:27700 (British National Grid), but every coordinate is within ±180, ±90"),
            "{e}"
        );
        let far = feature(
            r#"{"code":"B"}"#,
            r#"{"type":"Polygon","coordinates":[[[0,0],[9000000,0],[9000000,1000],[0,0]]]}"#,
        );
        let e = parse_geojson(collection(&[far]).as_bytes(), Path::new("t.geojson"), &bng)
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("t.geojson: feature 0 (B): EPSG:27700 (British National Grid) was stated, but coordinate (9000000, 0) is off the grid"),
            "{e}"
        );
    }

    #[test]
    fn invalid_features_fail_or_are_skipped_and_reported() {
        let bow = feature(
            r#"{"code":"Z"}"#,
            r#"{"type":"Polygon","coordinates":[[[0,0],[1,1],[1,0],[0,1],[0,0]]]}"#,
        );
        let ok = feature(
            r#"{"code":"A"}"#,
            &format!(r#"{{"type":"Polygon","coordinates":{SQUARE}}}"#),
        );
        let text = collection(&[ok, bow]);
        let e = parse(&text).unwrap_err().to_string();
        assert!(
            e.starts_with("t.geojson: feature 1 (Z): ring 0: ring intersects itself"),
            "{e}"
        );
        let opts = BoundaryOptions {
            skip_invalid: true,
            ..Default::default()
        };
        let b = parse_geojson(text.as_bytes(), Path::new("t.geojson"), &opts).unwrap();
        assert_eq!(b.features.len(), 1);
        assert_eq!(b.repairs.len(), 1);
        assert_eq!(b.repairs[0].feature, 1);
        assert!(
            b.repairs[0]
                .what
                .starts_with("skipped the feature: ring 0: ring intersects itself")
        );
    }
}
