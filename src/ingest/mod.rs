//! Ingest: boundary files and tables named in a project file in, one joined
//! [`Dataset`](crate::dataset::Dataset) and a [`BuildReport`] out.
//!
//! A [`Project`] (parsed from TOML, its files on disk or embedded as
//! [`Files`]) goes through [`build`]'s stages: the boundary file becomes the
//! areas ([`boundaries`], reprojected through [`crs`] and repaired); each
//! table is read ([`tables`]), routed to the areas (by code, a lookup,
//! areal interpolation or points), checked ([`validate`]), aggregated and
//! its coverage measured; then derived columns ([`derived`]) and outline
//! layers. Errors are [`IngestError`]s that name the file and the row or
//! feature; a [`Progress`] hears of each step.

mod aggregate;
mod areas;
pub mod boundaries;
mod build;
mod coverage;
pub mod crs;
pub mod derived;
mod embedded;
mod error;
pub mod files;
mod geography;
mod interpolate;
mod join;
mod layers;
mod points;
mod policy;
mod progress;
pub mod project;
mod repair;
mod report;
mod route;
pub mod tables;
pub mod validate;

pub use build::{BuildOptions, BuildOutput, build};
pub use embedded::{DEFAULT_PROJECT, embedded_default};
pub use error::IngestError;
pub use files::Files;
// Outline layers by any key of the areas: `places` dissolves wards with it
// when a dataset has no ward layer.
pub use layers::dissolve;
pub use progress::Progress;
pub use project::Project;
pub use report::{BuildReport, Coverage};
