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
    /// Several problems, all reported (or the first few and a [`Note`](IngestError::Note)
    /// counting the rest); the header counts them all.
    #[error("{} problems:\n{}", problem_count(.0), .0.iter().map(|e| format!("  {e}")).collect::<Vec<_>>().join("\n"))]
    Many(Vec<IngestError>),
    /// Not a problem in itself, in a [`Many`](IngestError::Many) list: how
    /// many more problems there were than are listed, or what to change.
    #[error("{}: {message}", file.display())]
    Note {
        /// The file.
        file: PathBuf,
        /// Problems it stands for that are not listed (0 for advice).
        more: usize,
        /// What to say.
        message: String,
    },
}

/// Problems in a list: each entry one, a note the number it stands for, a
/// nested list its own count.
fn problem_count(list: &[IngestError]) -> usize {
    list.iter()
        .map(|e| match e {
            IngestError::Note { more, .. } => *more,
            IngestError::Many(v) => problem_count(v),
            _ => 1,
        })
        .sum()
}
