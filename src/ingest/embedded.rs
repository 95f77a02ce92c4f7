//! The default London dataset, built from files embedded in the binary.
//!
//! In: nothing (`data/london-default.toml` and the boundary and indicator
//! files beside it are compiled in). Out: the same [`BuildOutput`] a
//! project on disk gives, so dxmap runs with no input files at all.

use std::collections::BTreeMap;
use std::path::Path;

use super::IngestError;
use super::build::{BuildOptions, BuildOutput, build};
use super::files::Files;
use super::project::Project;

/// The project text of the embedded default London dataset.
pub const DEFAULT_PROJECT: &str = include_str!("../../data/london-default.toml");

/// Builds the default London dataset from the embedded files.
pub fn embedded_default(opts: &BuildOptions) -> Result<BuildOutput, IngestError> {
    let files = Files::Embedded(BTreeMap::from([
        (
            "london_lsoa21_boundaries.geojson.gz".to_string(),
            &include_bytes!("../../data/london_lsoa21_boundaries.geojson.gz")[..],
        ),
        (
            "london_lsoa21_indicators.csv".to_string(),
            &include_bytes!("../../data/london_lsoa21_indicators.csv")[..],
        ),
    ]));
    let project = Project::parse(
        DEFAULT_PROJECT,
        Path::new("data/london-default.toml"),
        files,
    )?;
    build(&project, opts)
}
