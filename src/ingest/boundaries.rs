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
//! (`ingest::repair`). Features are reprojected and repaired in
//! parallel; outputs keep file order.

mod crs_check;
mod geojson;
mod shapefile;

use crs_check::{Declared, check_grid, check_lon_lat, settle_crs};

pub use shapefile::parse_shapefile;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use geo_types::{Coord, MultiPolygon};
use rayon::prelude::*;

use crate::capped::{DEFAULT_MAX_BYTES, io_error, open_capped};
use crate::ingest::IngestError;
use crate::ingest::crs::{pure_rust_transform, reproject_all};
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

#[cfg(test)]
mod tests;
