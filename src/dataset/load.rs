//! Getting a run's dataset from wherever it is named: the one loader the
//! CLI and the server share.
//!
//! In: a path (a dataset artifact written by `dxmap build`, or a project
//! `.toml` to build on the fly) or none (the embedded London default), and
//! the ingest [`BuildOptions`]. Out: the [`Dataset`], or a [`LoadError`]
//! naming the file. A FIFO or device (as the artifact, the project or a
//! file it names) is refused before it is opened, and an artifact's header
//! before its payload is allocated ([`Dataset::read`]). This is where
//! `dataset` reaches into `ingest`: reading is here, building is there.

use std::path::{Path, PathBuf};

use super::{Dataset, DatasetError};
use crate::file_checks::Input;
use crate::ingest::{self, BuildOptions, IngestError, Project};

/// Where a run's dataset comes from: opened (a project file is parsed) but
/// not yet read or built, so that its files can be checked first.
pub enum DatasetSource {
    /// A dataset artifact written by `dxmap build`.
    Artifact(PathBuf),
    /// A project file, built on the fly as `dxmap build` would.
    Project(Box<Project>),
    /// The embedded London default.
    Embedded,
}

/// Why a dataset could not be loaded (each message names the file).
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The project could not be parsed or built.
    #[error(transparent)]
    Build(#[from] IngestError),
    /// The artifact could not be read or failed its checks.
    #[error(transparent)]
    Read(#[from] DatasetError),
}

impl DatasetSource {
    /// A project `.toml` (parsed now), an artifact, or with no path the
    /// embedded default.
    pub fn open(path: Option<&Path>) -> Result<DatasetSource, IngestError> {
        Ok(match path {
            Some(p) if p.extension().is_some_and(|e| e == "toml") => {
                DatasetSource::Project(Box::new(Project::load(p)?))
            }
            Some(p) => DatasetSource::Artifact(p.to_path_buf()),
            None => DatasetSource::Embedded,
        })
    }

    /// The files on disk it reads: the artifact, or the project file and
    /// every file it names.
    pub fn inputs(&self) -> Vec<Input> {
        match self {
            DatasetSource::Artifact(p) => vec![Input::new("the dataset", p)],
            DatasetSource::Project(project) => project_inputs(project),
            DatasetSource::Embedded => Vec::new(),
        }
    }

    /// What loading it does, for the context of an error ("building p.toml").
    pub fn doing(&self) -> String {
        match self {
            DatasetSource::Artifact(p) => format!("reading dataset {}", p.display()),
            DatasetSource::Project(project) => format!("building {}", project.path.display()),
            DatasetSource::Embedded => "building the embedded London dataset".into(),
        }
    }

    /// Reads or builds the dataset.
    pub fn load(self, opts: &BuildOptions) -> Result<Dataset, LoadError> {
        Ok(match self {
            DatasetSource::Artifact(p) => Dataset::read(&p)?,
            DatasetSource::Project(project) => {
                ingest::files::check_project_inputs(&project)?;
                ingest::build(&project, opts)?.dataset
            }
            DatasetSource::Embedded => ingest::embedded_default(opts)?.dataset,
        })
    }
}

/// A project file and every file on disk it names, as inputs of a run.
pub fn project_inputs(project: &Project) -> Vec<Input> {
    let mut inputs = vec![Input::new("the project file", &project.path)];
    inputs.extend(ingest::files::project_inputs(project));
    inputs
}

/// Opens and loads a dataset (see [`DatasetSource`]).
pub fn load(path: Option<&Path>, opts: &BuildOptions) -> Result<Dataset, LoadError> {
    DatasetSource::open(path)?.load(opts)
}
