//! Small text helpers shared by the stages that parse TOML.

/// The 1-based line of a byte offset in `text` (offsets past the end count
/// as the last line).
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// The line breaks of a text, for many [`line_of`] look-ups: each one a
/// binary search rather than a scan from the start (which made checking a
/// file with thousands of keys quadratic).
pub(crate) struct LineIndex {
    /// Byte offset of every `\n`.
    newlines: Vec<usize>,
}

impl LineIndex {
    pub(crate) fn new(text: &str) -> LineIndex {
        LineIndex {
            newlines: text
                .bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i)
                .collect(),
        }
    }

    /// As [`line_of`] for the indexed text.
    pub(crate) fn line(&self, offset: usize) -> usize {
        self.newlines.partition_point(|&nl| nl < offset) + 1
    }
}

#[cfg(test)]
mod tests {
    use super::{LineIndex, line_of};

    #[test]
    fn lines_count_from_one() {
        let t = "a = 1\nb = 2\n";
        assert_eq!(line_of(t, 0), 1);
        assert_eq!(line_of(t, 6), 2);
        assert_eq!(line_of(t, 999), 3);
        let ix = LineIndex::new(t);
        for offset in [0, 5, 6, 11, 12, 999] {
            assert_eq!(ix.line(offset), line_of(t, offset), "offset {offset}");
        }
    }
}
