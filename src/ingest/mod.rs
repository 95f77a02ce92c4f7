//! Ingest: boundary files and tables named in a project file in, one joined
//! [`Dataset`](crate::dataset::Dataset) out.
//!
//! (Contract stub: the ingest helpers fill it in.)

pub mod boundaries;
mod error;

pub use error::IngestError;
pub mod build;
pub mod crs;
pub mod derived;
pub mod files;
pub mod geography;
pub mod gzip;
pub mod interpolate;
pub mod layers;
pub mod points;
pub mod project;
pub mod repair;
pub mod tables;
pub mod validate;

pub use build::{BuildOptions, BuildOutput, BuildReport, Coverage, build, embedded_default};
pub use files::Files;
pub use project::Project;
