//! The one error type of the scoring stage.
//!
//! In: failures while parsing a methodology, checking it against a
//! dataset, or scoring. Out: a [`ScoreError`] whose Display puts the file,
//! line and key first ("london.toml: line 14: component[0].indicator[2].column:
//! column 'aged_85' is not in the dataset"), lowercase, no final period.
//! Checks report every problem at once ([`ScoreError::Many`], one a line).

/// Errors from loading a methodology or scoring.
#[derive(Debug, thiserror::Error)]
pub enum ScoreError {
    /// The file is not valid TOML or has an unknown or mistyped key.
    #[error("{file}: line {line}: {message}")]
    Parse {
        /// The file as given.
        file: String,
        /// 1-based line.
        line: usize,
        /// What the parser said.
        message: String,
    },
    /// A key holds a value the method cannot use (unknown transform, negative
    /// weight, missing column, empty scope...).
    #[error("{at}: {key}: {message}")]
    Invalid {
        /// Where: "file: line N", or "options" for run-time overrides.
        at: String,
        /// The key path, e.g. `component[1].indicator[0].weight`.
        key: String,
        /// What is wrong.
        message: String,
    },
    /// Several problems found in one pass (a methodology is checked whole,
    /// so one run reports everything to fix): one per line, in file order.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Many(Vec<ScoreError>),
    /// Anything else (kept for callers that wrap their own messages).
    #[error("{0}")]
    Other(String),
}

impl ScoreError {
    /// Ok when `errors` is empty, the error itself when there is one, else
    /// [`ScoreError::Many`].
    pub fn all(mut errors: Vec<ScoreError>) -> Result<(), ScoreError> {
        match errors.len() {
            0 => Ok(()),
            1 => Err(errors.remove(0)),
            _ => Err(ScoreError::Many(errors)),
        }
    }

    /// The individual problems (one for anything but [`ScoreError::Many`]).
    pub fn problems(&self) -> Vec<&ScoreError> {
        match self {
            ScoreError::Many(v) => v.iter().flat_map(ScoreError::problems).collect(),
            e => vec![e],
        }
    }
}
