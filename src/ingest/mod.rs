//! Ingest: boundary files and tables named in a project file in, one joined
//! [`Dataset`](crate::dataset::Dataset) out.
//!
//! (Contract stub: the ingest helpers fill it in.)

pub mod boundaries;
mod error;

pub use error::IngestError;
pub mod crs;
pub mod gzip;
pub mod repair;
