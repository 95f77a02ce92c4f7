use std::path::PathBuf;

/// Errors reading, writing or checking a dataset artifact.
#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    /// The file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The artifact path.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The file is not a dxmap dataset, is of another format version, or is corrupt.
    #[error("{}: {message}", path.display())]
    Corrupt {
        /// The artifact path.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The dataset breaks an invariant (unsorted codes, misaligned column...).
    #[error("invalid dataset: {0}")]
    Invalid(String),
}
