//! dxmap: a digital-exclusion mapping engine and vector-tile server.
//!
//! Data flows one way, and each stage imports only the stages before it:
//!
//! 1. [`ingest`] reads boundaries (GeoJSON, Shapefile) and tables (CSV) named
//!    in a project file, reprojects, repairs, validates and joins them;
//! 2. [`dataset`] is the result: areas, joined columns, provenance, stored as
//!    one artifact;
//! 3. [`score`] applies a [`score::Methodology`] (parsed from
//!    `methodology/*.toml`, which [`methodology_file`] reads) to a dataset:
//!    indicator, component and index
//!    scores, ranks, drivers, sensitivity and key-group (persona) overlays;
//! 4. [`index`] is an R-tree over the areas, and [`tiles`] cuts Mapbox Vector
//!    Tiles from a scored dataset;
//!    [`schema`] describes every attribute of a scored area once, for tiles, the server and exports;
//!    [`places`] gives the boroughs' and wards' label points and outlines;
//! 5. [`server`] serves tiles and JSON over HTTP, and [`export`] writes
//!    GeoJSON, CSV, MBTiles and PMTiles; [`select`] cuts either down to the
//!    areas of a `--within` selection, keeping the whole run's scores.
//!
//! Beside the stages: [`capped`] reads an input file (gzip or not) under a
//! size cap, [`progress`] is how a long run tells its caller how far it
//! is, and [`memory`] keeps glibc's allocator from holding freed memory.
//! The `dxmap` binary wires the stages together.

pub mod atomic;
pub mod capped;
pub mod dataset;
pub mod export;
pub mod file_checks;
pub mod index;
pub mod ingest;
pub mod memory;
pub mod methodology_file;
pub mod places;
pub mod progress;
pub mod schema;
pub mod score;
pub mod select;
pub mod server;
mod text;
pub mod tiles;
