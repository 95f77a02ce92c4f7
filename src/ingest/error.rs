use std::path::{Path, PathBuf};

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
    /// What is wrong, before the caller knows where: [`with_line`](IngestError::with_line)
    /// and [`with_path`](IngestError::with_path) add the place as the error
    /// travels up.
    #[error("{0}")]
    Message(String),
    /// An error at a line of the file it is then placed in.
    #[error("line {line}: {err}")]
    WithLine {
        /// 1-based line number.
        line: usize,
        /// The error.
        err: Box<IngestError>,
    },
    /// An error placed in a file.
    #[error("{}: {err}", file.display())]
    WithPath {
        /// The file.
        file: PathBuf,
        /// The error.
        err: Box<IngestError>,
    },
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

impl IngestError {
    /// A problem whose place is added on the way up.
    pub fn msg(message: impl Into<String>) -> IngestError {
        IngestError::Message(message.into())
    }

    /// Places the error at a line (of the file a later [`with_path`](IngestError::with_path) names).
    pub fn with_line(self, line: usize) -> IngestError {
        IngestError::WithLine {
            line,
            err: Box::new(self),
        }
    }

    /// Places the error in a file; each problem of a list is placed on its own.
    pub fn with_path(self, file: &Path) -> IngestError {
        match self {
            IngestError::Many(v) => {
                IngestError::Many(v.into_iter().map(|e| e.with_path(file)).collect())
            }
            e => IngestError::WithPath {
                file: file.to_path_buf(),
                err: Box::new(e),
            },
        }
    }

    /// The one problem of a list, else all of them.
    pub fn one_or_many(mut list: Vec<IngestError>) -> IngestError {
        if list.len() == 1 {
            list.remove(0)
        } else {
            IngestError::Many(list)
        }
    }
}

impl From<crate::capped::ReadError> for IngestError {
    fn from(e: crate::capped::ReadError) -> IngestError {
        use crate::capped::ReadError;
        match e {
            ReadError::Io { file, source } => IngestError::Io { file, source },
            ReadError::Refused { file, message } => IngestError::File { file, message },
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_is_added_on_the_way_up_and_reads_like_a_row_error() {
        let e = IngestError::msg("column 'x': not a number")
            .with_line(44)
            .with_path(Path::new("income.csv"));
        let row = IngestError::Row {
            file: "income.csv".into(),
            line: 44,
            message: "column 'x': not a number".into(),
        };
        assert_eq!(e.to_string(), row.to_string());
        assert_eq!(
            e.to_string(),
            "income.csv: line 44: column 'x': not a number"
        );
    }

    #[test]
    fn a_list_is_placed_problem_by_problem_and_one_problem_stands_alone() {
        let list = IngestError::Many(vec![
            IngestError::msg("a").with_line(2),
            IngestError::msg("b").with_line(3),
        ])
        .with_path(Path::new("p.toml"));
        assert_eq!(
            list.to_string(),
            "2 problems:\n  p.toml: line 2: a\n  p.toml: line 3: b"
        );
        let one = IngestError::one_or_many(vec![IngestError::msg("only")]);
        assert_eq!(one.to_string(), "only");
    }
}
