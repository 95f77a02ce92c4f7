use std::path::PathBuf;

/// Errors from reading and joining input files. Every variant names the file,
/// and where it applies the feature or row, before saying what is wrong.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The file could not be opened or read.
    #[error("{}: {source}", file.display())]
    Io {
        /// The file.
        file: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Something wrong with the file as a whole (format, CRS, missing column).
    #[error("{}: {message}", file.display())]
    File {
        /// The file.
        file: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// Something wrong with one feature of a boundary file (0-based position).
    #[error("{}: feature {feature}{}: {message}", file.display(), code.as_deref().map(|c| format!(" ({c})")).unwrap_or_default())]
    Feature {
        /// The file.
        file: PathBuf,
        /// 0-based feature position.
        feature: usize,
        /// The feature's code, when known.
        code: Option<String>,
        /// What is wrong.
        message: String,
    },
    /// Something wrong with one row of a table (1-based line number, header is line 1).
    #[error("{}: line {line}: {message}", file.display())]
    Row {
        /// The file.
        file: PathBuf,
        /// 1-based line number in the file.
        line: usize,
        /// What is wrong, naming the column and value.
        message: String,
    },
    /// Several problems, all reported.
    #[error("{} problems:\n{}", .0.len(), .0.iter().map(|e| format!("  {e}")).collect::<Vec<_>>().join("\n"))]
    Many(Vec<IngestError>),
}
