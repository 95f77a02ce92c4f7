//! ESRI Shapefile in (`.shp` with `.dbf` and `.shx` beside it, and a `.prj`
//! naming the CRS unless the user states one), [`Boundaries`] out: DBF
//! attributes become text properties, polygon rings are grouped into
//! polygons (each hole goes to the exterior that contains it) and turned
//! from the Shapefile convention (exterior clockwise) to RFC 7946's.
//! [`parse_shapefile`] does the same from bytes held in memory.

use std::collections::BTreeMap;
use std::io::{Cursor, Read, Seek};
use std::path::{Path, PathBuf};

use ::shapefile::dbase::FieldValue;
use ::shapefile::{PolygonRing, Shape};
use geo_types::Coord;

use super::{Boundaries, BoundaryOptions, Declared, RawFeature, feature_code, finish};
use crate::ingest::IngestError;
use crate::ingest::boundaries::Crs;
use crate::ingest::gzip::DEFAULT_MAX_BYTES;
use crate::ingest::repair::RawPolygons;

/// Reads a shapefile.
pub(super) fn read(path: &Path, opts: &BoundaryOptions) -> Result<Boundaries, IngestError> {
    let file_err = |message: String| IngestError::File {
        file: path.to_path_buf(),
        message,
    };
    let declared = match opts.crs {
        Some(crs) => Declared::User(crs),
        None => {
            let Some(prj) = sibling(path, "prj") else {
                return Err(file_err(
                    "no .prj file beside it says its CRS; state the CRS (e.g. EPSG:27700)"
                        .to_string(),
                ));
            };
            let wkt = std::fs::read_to_string(&prj).map_err(|source| IngestError::Io {
                file: prj.clone(),
                source,
            })?;
            match Crs::from_wkt(&wkt) {
                Some(crs) => Declared::File(crs),
                None => {
                    let head: String = wkt.trim().chars().take(80).collect();
                    return Err(IngestError::File {
                        file: prj,
                        message: format!("unknown CRS {head:?}; state the CRS (e.g. EPSG:27700)"),
                    });
                }
            }
        }
    };
    let cap = opts.max_bytes.unwrap_or(DEFAULT_MAX_BYTES);
    let size = std::fs::metadata(path)
        .map_err(|source| IngestError::Io {
            file: path.to_path_buf(),
            source,
        })?
        .len();
    if size > cap {
        return Err(file_err(format!("size exceeds the limit of {cap} bytes")));
    }
    let reader = ::shapefile::Reader::from_path(path).map_err(|e| file_err(e.to_string()))?;
    let raw = raw_features(reader, path)?;
    finish(path, raw, declared, opts, true)
}

/// Parses a shapefile held in memory: the `.shp` bytes, the `.shx` index if
/// there is one, the `.dbf` attributes and the `.prj` text (needed unless
/// `opts.crs` is set). `file` names the `.shp` in errors. This is the path
/// the fuzz targets and in-memory callers take; reading from disk is the same after
/// the files are opened.
pub fn parse_shapefile(
    shp: &[u8],
    shx: Option<&[u8]>,
    dbf: &[u8],
    prj: Option<&str>,
    file: &Path,
    opts: &BoundaryOptions,
) -> Result<Boundaries, IngestError> {
    let file_err = |message: String| IngestError::File {
        file: file.to_path_buf(),
        message,
    };
    let declared = match (opts.crs, prj) {
        (Some(crs), _) => Declared::User(crs),
        (None, Some(wkt)) => match Crs::from_wkt(wkt) {
            Some(crs) => Declared::File(crs),
            None => {
                let head: String = wkt.trim().chars().take(80).collect();
                return Err(file_err(format!(
                    "unknown CRS {head:?} in the .prj; state the CRS (e.g. EPSG:27700)"
                )));
            }
        },
        (None, None) => {
            return Err(file_err(
                "no .prj says its CRS; state the CRS (e.g. EPSG:27700)".to_string(),
            ));
        }
    };
    let cap = opts.max_bytes.unwrap_or(DEFAULT_MAX_BYTES);
    if shp.len() as u64 > cap {
        return Err(file_err(format!("size exceeds the limit of {cap} bytes")));
    }
    let shapes = match shx {
        Some(shx) => ::shapefile::ShapeReader::with_shx(Cursor::new(shp), Cursor::new(shx)),
        None => ::shapefile::ShapeReader::new(Cursor::new(shp)),
    }
    .map_err(|e| file_err(e.to_string()))?;
    let records = ::shapefile::dbase::Reader::new(Cursor::new(dbf))
        .map_err(|e| file_err(format!("attributes (.dbf): {e}")))?;
    let raw = raw_features(::shapefile::Reader::new(shapes, records), file)?;
    finish(file, raw, declared, opts, true)
}

/// Reads every shape and record: polygons grouped into rings, attributes as text.
fn raw_features<T: Read + Seek, D: Read + Seek>(
    mut reader: ::shapefile::Reader<T, D>,
    path: &Path,
) -> Result<Vec<RawFeature>, IngestError> {
    let mut raw = Vec::new();
    for (index, item) in reader.iter_shapes_and_records().enumerate() {
        let (shape, record) = item.map_err(|e| IngestError::Feature {
            file: path.to_path_buf(),
            feature: index,
            code: None,
            message: e.to_string(),
        })?;
        let properties: BTreeMap<String, String> = record
            .into_iter()
            .filter_map(|(name, value)| field_text(value).map(|v| (name, v)))
            .collect();
        let polygons = match shape {
            Shape::Polygon(p) => group_rings(
                p.into_inner()
                    .into_iter()
                    .map(|r| map_ring(r, |p| (p.x, p.y))),
            ),
            Shape::PolygonM(p) => group_rings(
                p.into_inner()
                    .into_iter()
                    .map(|r| map_ring(r, |p| (p.x, p.y))),
            ),
            Shape::PolygonZ(p) => group_rings(
                p.into_inner()
                    .into_iter()
                    .map(|r| map_ring(r, |p| (p.x, p.y))),
            ),
            other => {
                let what = match other {
                    Shape::NullShape => "has no geometry (null shape)".to_string(),
                    other => format!(
                        "geometry type {} is not supported; only Polygon",
                        other.shapetype()
                    ),
                };
                return Err(IngestError::Feature {
                    file: path.to_path_buf(),
                    feature: index,
                    code: feature_code(&properties),
                    message: what,
                });
            }
        };
        raw.push(RawFeature {
            properties,
            polygons,
        });
    }
    Ok(raw)
}

/// `path` with another extension, lower or upper case, if that file exists.
fn sibling(path: &Path, ext: &str) -> Option<PathBuf> {
    [ext.to_string(), ext.to_ascii_uppercase()]
        .into_iter()
        .map(|e| path.with_extension(e))
        .find(|p| p.is_file())
}

fn map_ring<P>(ring: PolygonRing<P>, xy: impl Fn(&P) -> (f64, f64)) -> (bool, Vec<Coord<f64>>) {
    let outer = matches!(ring, PolygonRing::Outer(_));
    let points = ring
        .into_inner()
        .iter()
        .map(|p| {
            let (x, y) = xy(p);
            Coord { x, y }
        })
        .collect();
    (outer, points)
}

/// Groups (is_outer, ring) into polygons: each hole joins the first
/// exterior containing its first point, else the exterior before it.
fn group_rings(rings: impl Iterator<Item = (bool, Vec<Coord<f64>>)>) -> RawPolygons {
    let mut polygons: RawPolygons = Vec::new();
    let mut holes = Vec::new();
    for (outer, ring) in rings {
        if outer || polygons.is_empty() {
            polygons.push(vec![ring]);
        } else {
            holes.push((polygons.len() - 1, ring));
        }
    }
    for (before, hole) in holes {
        let at = hole
            .first()
            .and_then(|&p| polygons.iter().position(|rings| contains(&rings[0], p)))
            .unwrap_or(before);
        polygons[at].push(hole);
    }
    polygons
}

/// Point in ring by ray casting (boundary cases either way).
fn contains(ring: &[Coord<f64>], p: Coord<f64>) -> bool {
    let mut inside = false;
    let n = ring.len();
    for i in 0..n {
        let (a, b) = (ring[i], ring[(i + 1) % n]);
        if (a.y > p.y) != (b.y > p.y) && p.x < a.x + (p.y - a.y) / (b.y - a.y) * (b.x - a.x) {
            inside = !inside;
        }
    }
    inside
}

/// A DBF value as text; `None` when empty.
fn field_text(value: FieldValue) -> Option<String> {
    let num = |v: f64| super::geojson::plain_number(v);
    match value {
        FieldValue::Character(s) => s
            .map(|s| s.trim_end().to_string())
            .filter(|s| !s.is_empty()),
        FieldValue::Memo(s) => Some(s).filter(|s| !s.is_empty()),
        FieldValue::Numeric(v) => v.map(num),
        FieldValue::Float(v) => v.map(|v| v.to_string()),
        FieldValue::Integer(v) => Some(v.to_string()),
        FieldValue::Double(v) | FieldValue::Currency(v) => Some(num(v)),
        FieldValue::Logical(v) => v.map(|b| b.to_string()),
        FieldValue::Date(d) => d.map(|d| d.to_string()),
        FieldValue::DateTime(dt) => Some(format!("{dt:?}")),
    }
}
