//! Reading boundary files (GeoJSON, ESRI Shapefile) into WGS84 polygons.
//!
//! (Contract stub: the boundaries helper fills it in.)

use std::collections::BTreeMap;
use std::path::Path;

use geo_types::MultiPolygon;

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
