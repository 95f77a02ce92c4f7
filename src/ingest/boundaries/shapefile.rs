//! ESRI Shapefile in (`.shp` with `.dbf` and `.shx` beside it, and a `.prj`
//! naming the CRS unless the user states one), [`Boundaries`] out: DBF
//! attributes become text properties, polygon rings are grouped into
//! polygons (each hole goes to the exterior that contains it) and turned
//! from the Shapefile convention (exterior clockwise) to RFC 7946's.
//! [`parse_shapefile`] does the same from bytes held in memory.

use std::collections::BTreeMap;
use std::io::{BufReader, Cursor, Read, Seek};
use std::path::{Path, PathBuf};

use ::shapefile::dbase::FieldValue;
use ::shapefile::{PolygonRing, Shape};
use geo_types::Coord;

use super::{Boundaries, BoundaryOptions, Declared, RawFeature, feature_code, finish};
use crate::capped::DEFAULT_MAX_BYTES;
use crate::file_checks::{check_input, open_input};
use crate::ingest::IngestError;
use crate::ingest::boundaries::Crs;
use crate::ingest::repair::RawPolygons;

/// Reads a shapefile. Every part is checked to be a regular file before it
/// is opened ([`crate::file_checks`]), so a FIFO or a device in the set
/// is refused rather than blocking the read.
pub(super) fn read(path: &Path, opts: &BoundaryOptions) -> Result<Boundaries, IngestError> {
    let file_err = |message: String| IngestError::File {
        file: path.to_path_buf(),
        message,
    };
    let io = |file: &Path| {
        let file = file.to_path_buf();
        move |source| IngestError::Io { file, source }
    };
    let shx = sibling(path, "shx");
    let dbf = sibling(path, "dbf");
    let prj = sibling(path, "prj");
    // The .cpg is not read (no DBF encoding support is built in), but it is
    // refused on the same terms as the CLI's project check refuses it.
    let cpg = sibling(path, "cpg");
    for part in [
        Some(path),
        shx.as_deref(),
        dbf.as_deref(),
        prj.as_deref(),
        cpg.as_deref(),
    ]
    .into_iter()
    .flatten()
    {
        check_input(part).map_err(io(part))?;
    }
    let declared = match opts.crs {
        Some(crs) => Declared::User(crs),
        None => {
            let Some(prj) = prj else {
                return Err(file_err(
                    "no .prj file beside it says its CRS; state the CRS (e.g. EPSG:27700)"
                        .to_string(),
                ));
            };
            let mut wkt = String::new();
            open_input(&prj)
                .and_then(|f| f.take(PRJ_MAX_BYTES).read_to_string(&mut wkt))
                .map_err(io(&prj))?;
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
    let shp = open_input(path).map_err(io(path))?;
    let size = shp.metadata().map_err(io(path))?.len();
    if size > cap {
        return Err(file_err(format!("size exceeds the limit of {cap} bytes")));
    }
    let shp = BufReader::new(shp);
    let shapes = match &shx {
        Some(shx) => {
            let index = open_input(shx).map_err(io(shx))?;
            ::shapefile::ShapeReader::with_shx(shp, BufReader::new(index))
        }
        None => ::shapefile::ShapeReader::new(shp),
    }
    .map_err(|e| file_err(e.to_string()))?;
    let Some(dbf) = dbf else {
        return Err(file_err(
            "no .dbf file beside it holds its attributes".to_string(),
        ));
    };
    let records = open_input(&dbf).map_err(io(&dbf))?;
    let records = ::shapefile::dbase::Reader::new(BufReader::new(records))
        .map_err(|e| file_err(format!("attributes (.dbf): {e}")))?;
    let raw = raw_features(shapes, records, path)?;
    finish(path, raw, declared, opts, true)
}

/// A `.prj` holds one WKT string of a few hundred bytes; this is plenty.
const PRJ_MAX_BYTES: u64 = 1 << 20;

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
    let raw = raw_features(shapes, records, file)?;
    finish(file, raw, declared, opts, true)
}

/// Reads every shape and record: polygons grouped into rings, attributes as
/// text. Shapes and records pair by position, so the two files must hold
/// the same number; a mismatch either way, or a record marked deleted, is
/// refused rather than leaving shapes without attributes (or with another
/// shape's).
fn raw_features<T: Read + Seek, D: Read + Seek>(
    mut shapes: ::shapefile::ShapeReader<T>,
    mut records: ::shapefile::dbase::Reader<D>,
    path: &Path,
) -> Result<Vec<RawFeature>, IngestError> {
    let feature_err =
        |feature: usize, code: Option<String>, message: String| IngestError::Feature {
            file: path.to_path_buf(),
            feature,
            code,
            message,
        };
    let declared_records = records.header().num_records as usize;
    let mut shape_iter = shapes.iter_shapes();
    let mut record_iter = records.iter_records();
    let mut raw = Vec::new();
    loop {
        let index = raw.len();
        let shape = shape_iter
            .next()
            .transpose()
            .map_err(|e| feature_err(index, None, e.to_string()))?;
        let record = record_iter
            .next()
            .transpose()
            .map_err(|e| feature_err(index, None, format!("attributes (.dbf): {e}")))?;
        let (shape, record) = match (shape, record) {
            (Some(shape), Some(record)) => (shape, record),
            (None, None) if index == declared_records => return Ok(raw),
            (shape, record) => {
                let shapes = Count::rest(index + usize::from(shape.is_some()), shape_iter);
                let read_records = Count::rest(index + usize::from(record.is_some()), record_iter);
                return Err(count_mismatch(path, shapes, declared_records, read_records));
            }
        };
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
}

/// How many items a file holds, as far as they could be read.
#[derive(Clone, Copy, Debug)]
struct Count {
    n: usize,
    /// False when an unreadable item stopped the count: `n` is a lower bound.
    complete: bool,
}

impl Count {
    /// `seen` items so far plus what `rest` yields, stopping at the first
    /// error (the crates' iterators do not move past a bad item).
    fn rest<T, E>(seen: usize, rest: impl Iterator<Item = Result<T, E>>) -> Count {
        let mut count = Count {
            n: seen,
            complete: true,
        };
        for item in rest {
            if item.is_err() {
                count.complete = false;
                break;
            }
            count.n += 1;
        }
        count
    }
}

impl std::fmt::Display for Count {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if !self.complete {
            f.write_str("at least ")?;
        }
        write!(f, "{}", self.n)
    }
}

/// The error for a `.shp` and `.dbf` that do not pair one to one: `shapes`
/// in the `.shp`, `declared` records in the `.dbf`'s header of which
/// `records` could be read (the rest are marked deleted, or unreadable).
fn count_mismatch(path: &Path, shapes: Count, declared: usize, records: Count) -> IngestError {
    const PAIRING: &str = "shapes and records pair by position";
    if records.complete && records.n < declared {
        return IngestError::File {
            file: path.to_path_buf(),
            message: format!(
                "the .dbf marks {} of its {declared} records deleted; {PAIRING}, so which shapes they belonged to is unknown (remove the deleted records and their shapes, then try again)",
                declared - records.n
            ),
        };
    }
    if shapes.n > declared {
        return IngestError::Feature {
            file: path.to_path_buf(),
            feature: declared,
            code: None,
            message: format!(
                "shape has no record: the .shp has {shapes} shapes but the .dbf has {declared} records; {PAIRING}"
            ),
        };
    }
    IngestError::File {
        file: path.to_path_buf(),
        message: format!(
            "the .dbf has {declared} records but the .shp has {shapes} shapes; record {} has no shape; {PAIRING}",
            shapes.n
        ),
    }
}

/// `path` with another extension, lower or upper case, if that file exists.
fn sibling(path: &Path, ext: &str) -> Option<PathBuf> {
    [ext.to_string(), ext.to_ascii_uppercase()]
        .into_iter()
        .map(|e| path.with_extension(e))
        .find(|p| p.exists())
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
