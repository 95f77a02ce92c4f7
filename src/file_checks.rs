//! Which paths a run may read, and which it may write over.
//!
//! In: paths (an input's; an output's and the run's inputs). Out: an open
//! input file, or a refusal naming the path and what is wrong. Inputs must be
//! regular files: a FIFO blocks the reader forever and a device such as
//! `/dev/zero` never ends, so both are refused before the file is opened
//! ([`open_input`], [`check_input`]). An output must be a regular file or a
//! new path, and never the same file (device and inode, symlinks followed)
//! as an input of the run ([`check_output`]): the temporary-file-and-rename
//! write of [`crate::atomic`] would otherwise replace `/dev/null`, a FIFO or
//! the very dataset being read with a new file. [`crate::atomic`] refuses a
//! destination that is not a regular file on its own; the CLI, which knows
//! a run's inputs, checks every output against them before any work.

use std::fs::{File, Metadata};
use std::io;
use std::path::{Path, PathBuf};

/// What kind of file a path is (symlinks followed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// A regular file: the only kind read or written.
    Regular,
    /// A directory.
    Directory,
    /// A FIFO (named pipe).
    Fifo,
    /// A character device (`/dev/null`, `/dev/zero`).
    CharDevice,
    /// A block device (a disk).
    BlockDevice,
    /// A Unix socket.
    Socket,
    /// Anything else.
    Other,
}

impl FileKind {
    /// The kind of the file `meta` describes.
    pub fn of(meta: &Metadata) -> FileKind {
        let t = meta.file_type();
        #[cfg(unix)]
        {
            use std::os::unix::fs::FileTypeExt;
            if t.is_fifo() {
                return FileKind::Fifo;
            }
            if t.is_char_device() {
                return FileKind::CharDevice;
            }
            if t.is_block_device() {
                return FileKind::BlockDevice;
            }
            if t.is_socket() {
                return FileKind::Socket;
            }
        }
        if t.is_file() {
            FileKind::Regular
        } else if t.is_dir() {
            FileKind::Directory
        } else {
            FileKind::Other
        }
    }

    /// The kind with its article, for messages: "a FIFO (named pipe)".
    pub fn describe(self) -> &'static str {
        match self {
            FileKind::Regular => "a regular file",
            FileKind::Directory => "a directory",
            FileKind::Fifo => "a FIFO (named pipe)",
            FileKind::CharDevice => "a character device",
            FileKind::BlockDevice => "a block device",
            FileKind::Socket => "a socket",
            FileKind::Other => "not a regular file",
        }
    }
}

/// The error for an input of the wrong kind; the caller adds the path.
fn not_readable(kind: FileKind) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!(
            "is {}, not a regular file; dxmap reads its inputs only from regular files",
            kind.describe()
        ),
    )
}

/// Refuses `path` as an input unless it is a regular file, without opening
/// it. A missing file passes: the reader reports it in its own words.
pub fn check_input(path: &Path) -> io::Result<()> {
    match std::fs::metadata(path) {
        Ok(meta) => match FileKind::of(&meta) {
            FileKind::Regular => Ok(()),
            kind => Err(not_readable(kind)),
        },
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// Opens an input for reading, refusing anything but a regular file. The
/// kind is checked before opening (a clear refusal for the usual case) and
/// again on the open file ([`open_regular`]), in case the path changed between.
pub fn open_input(path: &Path) -> io::Result<File> {
    check_input(path)?;
    open_regular(path)
}

/// Opens `path` and refuses it unless the open file is a regular file. On
/// Unix the open is non-blocking, so a path swapped for a FIFO after
/// [`check_input`] is refused rather than waited on; the flag stays set, as
/// it has no effect on a regular file (open(2)), the only kind returned.
fn open_regular(path: &Path) -> io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path)?;
    match FileKind::of(&file.metadata()?) {
        FileKind::Regular => Ok(file),
        kind => Err(not_readable(kind)),
    }
}

/// One input of a run, as a refusal names it: `what` ("the dataset", "a
/// table named by p.toml") and its path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Input {
    /// What the file is to the run.
    pub what: String,
    /// Its path, as given.
    pub path: PathBuf,
}

impl Input {
    /// An input called `what` at `path`.
    pub fn new(what: impl Into<String>, path: impl Into<PathBuf>) -> Input {
        Input {
            what: what.into(),
            path: path.into(),
        }
    }
}

/// Why an output path is refused.
#[derive(Debug, thiserror::Error)]
pub enum OutputRefused {
    /// The output path exists and is not a regular file.
    #[error(
        "{}: is {}, not a regular file; refusing to replace it with an output (outputs are written to a temporary file and renamed over the destination)",
        out.display(),
        kind.describe()
    )]
    NotRegular {
        /// The output path.
        out: PathBuf,
        /// What it is.
        kind: FileKind,
    },
    /// The output path is an input of the same run.
    #[error(
        "{}: is the same file as {} ({what}); refusing to overwrite an input of this run (choose another output path)",
        out.display(),
        input.display()
    )]
    SameAsInput {
        /// The output path.
        out: PathBuf,
        /// What the input is to the run.
        what: String,
        /// The input's path.
        input: PathBuf,
    },
}

/// Refuses `out` as an output path when it exists and is not a regular file,
/// or is the same file as one of `inputs`. A new path passes; so does a path
/// whose status cannot be read (the write then fails with its own error).
pub fn check_output(out: &Path, inputs: &[Input]) -> Result<(), OutputRefused> {
    let Ok(meta) = std::fs::metadata(out) else {
        return Ok(());
    };
    let kind = FileKind::of(&meta);
    if kind != FileKind::Regular {
        return Err(OutputRefused::NotRegular {
            out: out.to_path_buf(),
            kind,
        });
    }
    for input in inputs {
        if same_file(&meta, out, &input.path) {
            return Err(OutputRefused::SameAsInput {
                out: out.to_path_buf(),
                what: input.what.clone(),
                input: input.path.clone(),
            });
        }
    }
    Ok(())
}

/// True when `other` names the file `meta` (of `path`) describes: the same
/// device and inode on Unix, the same canonical path elsewhere.
fn same_file(meta: &Metadata, path: &Path, other: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let _ = path;
        std::fs::metadata(other).is_ok_and(|m| m.dev() == meta.dev() && m.ino() == meta.ino())
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        matches!(
            (std::fs::canonicalize(path), std::fs::canonicalize(other)),
            (Ok(a), Ok(b)) if a == b
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regular_and_missing_inputs_pass_and_directories_do_not() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("a.csv");
        std::fs::write(&f, b"x").unwrap();
        check_input(&f).unwrap();
        open_input(&f).unwrap();
        check_input(&dir.path().join("missing")).unwrap();
        let e = open_input(&dir.path().join("missing")).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::NotFound);
        let e = open_input(dir.path()).unwrap_err().to_string();
        assert!(e.starts_with("is a directory, not a regular file"), "{e}");
    }

    #[cfg(unix)]
    #[test]
    fn devices_are_neither_inputs_nor_outputs() {
        let e = open_input(Path::new("/dev/zero")).unwrap_err().to_string();
        assert!(e.starts_with("is a character device"), "{e}");
        let e = check_output(Path::new("/dev/null"), &[])
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("/dev/null: is a character device, not a regular file"),
            "{e}"
        );
    }

    /// A FIFO that appears after the up-front check (skipped here) is
    /// still refused, and at once: opening it does not wait for a writer.
    #[cfg(unix)]
    #[test]
    fn a_fifo_swapped_in_after_the_check_is_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("in.fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(made.unwrap().success());
        let (tx, rx) = std::sync::mpsc::channel();
        // A blocked open leaves this thread behind; the test fails on the timeout.
        std::thread::spawn(move || tx.send(open_regular(&fifo).map(drop)));
        let e = rx
            .recv_timeout(std::time::Duration::from_secs(20))
            .expect("opening a FIFO blocked")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("is a FIFO (named pipe)"), "{e}");
        // A regular file still opens and reads whole.
        let f = dir.path().join("a.csv");
        std::fs::write(&f, b"abc").unwrap();
        let mut text = String::new();
        io::Read::read_to_string(&mut open_regular(&f).unwrap(), &mut text).unwrap();
        assert_eq!(text, "abc");
    }

    #[test]
    fn an_output_may_not_be_an_input_under_any_name() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let data = d.join("base.dxds");
        std::fs::write(&data, b"x").unwrap();
        let inputs = [
            Input::new("the methodology", d.join("m.toml")),
            Input::new("the dataset", &data),
        ];
        check_output(&d.join("new.csv"), &inputs).unwrap();
        std::fs::write(d.join("old.csv"), b"y").unwrap();
        check_output(&d.join("old.csv"), &inputs).unwrap();
        let e = check_output(&data, &inputs).unwrap_err().to_string();
        assert_eq!(
            e,
            format!(
                "{}: is the same file as {} (the dataset); refusing to overwrite an input of this run (choose another output path)",
                data.display(),
                data.display()
            )
        );
        // Another spelling of the same path is the same file.
        let spelled = d.join(".").join("base.dxds");
        assert!(check_output(&spelled, &inputs).is_err());
        #[cfg(unix)]
        {
            let link = d.join("link.dxds");
            std::os::unix::fs::symlink(&data, &link).unwrap();
            assert!(check_output(&link, &inputs).is_err());
            let hard = d.join("hard.dxds");
            std::fs::hard_link(&data, &hard).unwrap();
            assert!(check_output(&hard, &inputs).is_err());
        }
    }
}
