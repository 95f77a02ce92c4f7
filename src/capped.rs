//! Reading an input file, gzip or not, with hard caps: a path and a byte cap
//! go in; out comes either a streaming reader of the file's (decompressed)
//! content ([`open_capped`]) or its bytes in memory ([`read_capped`]), or an
//! error naming the file. The cap bounds the content; a gzip stream that
//! inflates more than [`MAX_GZIP_RATIO`] times is refused once past
//! [`RATIO_GRACE_BYTES`], so a zip bomb stops after a few megabytes instead
//! of at the cap.
//!
//! Shared by ingest (boundaries, tables, project files) and the methodology
//! reader; its [`ReadError`] becomes an `ReadError` through `From`.

use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use flate2::read::MultiGzDecoder;

use crate::file_checks::open_input;

/// A file that could not be read, or that was refused. Display puts the
/// file first ("file: message").
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file could not be opened or read.
    #[error("{}: {source}", file.display())]
    Io {
        /// The file.
        file: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// The file was refused (over a cap, a gzip bomb, corrupt gzip, not UTF-8).
    #[error("{}: {message}", file.display())]
    Refused {
        /// The file.
        file: PathBuf,
        /// Why.
        message: String,
    },
}

/// Default cap on the decompressed size of one input file: 1 GiB (the
/// England and Wales LSOA file is 32 MB).
pub const DEFAULT_MAX_BYTES: u64 = 1 << 30;

/// Most a gzip stream may inflate per compressed byte. Real boundary files
/// and tables compress 4 to 10 times; a gzip bomb about 1000 times.
pub const MAX_GZIP_RATIO: u64 = 200;

/// Decompressed bytes read before [`MAX_GZIP_RATIO`] is enforced, so small
/// files of repetitive text are never refused. It bounds what a bomb costs:
/// at most this much is inflated (and, for a table, held).
pub const RATIO_GRACE_BYTES: u64 = 64 << 20;

/// Why a capped read stopped. It travels inside an [`io::Error`] (through
/// parsers that only know I/O errors); [`io_error`] turns it back into a
/// message about the file.
#[derive(Debug, thiserror::Error)]
pub enum ReadLimit {
    /// The content is larger than the cap.
    #[error("{} exceeds the limit of {cap} bytes; refusing to read it{}", if *gz { "decompressed size" } else { "size" }, if *gz { " (a gzip bomb?)" } else { "" })]
    Size {
        /// The cap.
        cap: u64,
        /// Whether the file is gzip-compressed.
        gz: bool,
    },
    /// A gzip stream inflates suspiciously far.
    #[error(
        "gzip content inflates more than {MAX_GZIP_RATIO} times ({out} bytes from {input} compressed bytes); refusing to read it (a gzip bomb?)"
    )]
    Ratio {
        /// Decompressed bytes so far.
        out: u64,
        /// Compressed bytes so far.
        input: u64,
    },
    /// The gzip stream is corrupt.
    #[error("gzip: {0}")]
    Gzip(String),
}

/// True when `bytes` start with the gzip magic number.
pub fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0x1f, 0x8b])
}

/// The error for `path` from an I/O error of a capped reader: the limit's
/// message when a limit stopped it, else the I/O error itself.
pub fn io_error(path: &Path, e: io::Error) -> ReadError {
    match e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<ReadLimit>())
    {
        Some(limit) => ReadError::Refused {
            file: path.to_path_buf(),
            message: limit.to_string(),
        },
        None => ReadError::Io {
            file: path.to_path_buf(),
            source: e,
        },
    }
}

/// Opens `path` as a stream of its content, decompressing it when it is gzip
/// (by magic number, whatever its name). Anything but a regular file (a FIFO,
/// a device) is refused before it is opened. Reading more than `cap` bytes of
/// content, or a gzip stream inflating past [`MAX_GZIP_RATIO`], fails with a
/// [`ReadLimit`] inside the I/O error. Also returns whether it is gzip.
pub fn open_capped(path: &Path, cap: u64) -> Result<(Box<dyn Read + Send>, bool), ReadError> {
    let io = |source| ReadError::Io {
        file: path.to_path_buf(),
        source,
    };
    let file = open_input(path).map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    let mut reader = BufReader::with_capacity(1 << 16, file);
    let mut magic = [0u8; 2];
    let got = read_up_to(&mut reader, &mut magic).map_err(io)?;
    let head = io::Cursor::new(magic[..got].to_vec());
    if is_gzip(&magic[..got]) {
        let compressed = Arc::new(AtomicU64::new(0));
        let counted = Counting {
            inner: head.chain(reader),
            count: Arc::clone(&compressed),
        };
        let decoder = GzFaults(MultiGzDecoder::new(counted));
        let capped = Capped {
            inner: decoder,
            out: 0,
            cap,
            gz: true,
            compressed: Some(compressed),
        };
        Ok((Box::new(capped), true))
    } else {
        if len > cap {
            return Err(ReadError::Refused {
                file: path.to_path_buf(),
                message: ReadLimit::Size { cap, gz: false }.to_string(),
            });
        }
        let capped = Capped {
            inner: head.chain(reader),
            out: 0,
            cap,
            gz: false,
            compressed: None,
        };
        Ok((Box::new(capped), false))
    }
}

/// Reads `path` into memory, decompressing it when it is gzip (by magic
/// number, whatever its name), refusing more than `cap` bytes of content.
pub fn read_capped(path: &Path, cap: u64) -> Result<Vec<u8>, ReadError> {
    let (mut reader, _) = open_capped(path, cap)?;
    let mut out = Vec::new();
    reader
        .read_to_end(&mut out)
        .map_err(|e| io_error(path, e))?;
    out.shrink_to_fit();
    Ok(out)
}

/// `bytes` read from `path` as text, or an error naming the file and the
/// first byte that is not UTF-8.
pub fn utf8_text(path: &Path, bytes: Vec<u8>) -> Result<String, ReadError> {
    String::from_utf8(bytes).map_err(|e| ReadError::Refused {
        file: path.to_path_buf(),
        message: format!("not UTF-8 text (at byte {})", e.utf8_error().valid_up_to()),
    })
}

/// Counts the bytes read through it (the compressed side of a gzip stream).
struct Counting<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Tags the decoder's errors as gzip faults, so they are not mistaken for
/// errors reading the file.
struct GzFaults<R>(R);

impl<R: Read> Read for GzFaults<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0
            .read(buf)
            .map_err(|e| io::Error::other(ReadLimit::Gzip(e.to_string())))
    }
}

/// Enforces the content cap and, for gzip, the inflation ratio.
struct Capped<R> {
    inner: R,
    out: u64,
    cap: u64,
    gz: bool,
    compressed: Option<Arc<AtomicU64>>,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // Never hand out more than one byte past the cap.
        let room = usize::try_from(self.cap.saturating_add(1).saturating_sub(self.out))
            .unwrap_or(usize::MAX);
        let want = buf.len().min(room.max(1));
        let n = self.inner.read(&mut buf[..want])?;
        self.out += n as u64;
        if self.out > self.cap {
            return Err(io::Error::other(ReadLimit::Size {
                cap: self.cap,
                gz: self.gz,
            }));
        }
        if let Some(c) = &self.compressed {
            let input = c.load(Ordering::Relaxed);
            if self.out > RATIO_GRACE_BYTES && self.out > input.saturating_mul(MAX_GZIP_RATIO) {
                return Err(io::Error::other(ReadLimit::Ratio {
                    out: self.out,
                    input,
                }));
            }
        }
        Ok(n)
    }
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::{Compression, write::GzEncoder};
    use std::fs::File;
    use std::io::Write;

    #[test]
    fn reads_plain_and_gzip_alike() {
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("a.json");
        std::fs::write(&plain, b"{\"x\":1}").unwrap();
        let gz = dir.path().join("a.json.gz");
        let mut enc = GzEncoder::new(File::create(&gz).unwrap(), Compression::fast());
        enc.write_all(b"{\"x\":1}").unwrap();
        enc.finish().unwrap();
        assert_eq!(read_capped(&plain, 100).unwrap(), b"{\"x\":1}");
        assert_eq!(read_capped(&gz, 100).unwrap(), b"{\"x\":1}");
        let one = dir.path().join("one");
        std::fs::write(&one, b"x").unwrap();
        assert_eq!(read_capped(&one, 100).unwrap(), b"x");
    }

    #[test]
    fn refuses_content_over_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let gz = dir.path().join("zeros.gz");
        let mut enc = GzEncoder::new(File::create(&gz).unwrap(), Compression::fast());
        enc.write_all(&vec![0u8; 10_000]).unwrap();
        enc.finish().unwrap();
        let err = read_capped(&gz, 9_999).unwrap_err().to_string();
        assert!(
            err.starts_with(&format!("{}: decompressed size exceeds", gz.display())),
            "{err}"
        );
        assert_eq!(read_capped(&gz, 10_000).unwrap().len(), 10_000);
        let plain = dir.path().join("big.json");
        std::fs::write(&plain, vec![b' '; 101]).unwrap();
        assert!(
            read_capped(&plain, 100)
                .unwrap_err()
                .to_string()
                .contains("size exceeds")
        );
    }

    #[test]
    fn refuses_a_gzip_bomb_by_its_ratio_long_before_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let gz = dir.path().join("bomb.geojson");
        let mut enc = GzEncoder::new(File::create(&gz).unwrap(), Compression::best());
        let block = vec![b' '; 1 << 20];
        for _ in 0..128 {
            enc.write_all(&block).unwrap();
        }
        enc.finish().unwrap();
        let (mut r, gz_flag) = open_capped(&gz, DEFAULT_MAX_BYTES).unwrap();
        assert!(gz_flag);
        let mut sink = vec![0u8; 1 << 16];
        let mut total = 0u64;
        let err = loop {
            match r.read(&mut sink) {
                Ok(0) => panic!("read the whole bomb ({total} bytes)"),
                Ok(n) => total += n as u64,
                Err(e) => break e,
            }
        };
        assert!(total <= RATIO_GRACE_BYTES + (1 << 16), "{total}");
        let msg = io_error(&gz, err).to_string();
        assert!(
            msg.contains("bomb.geojson: gzip content inflates more than 200 times"),
            "{msg}"
        );
    }

    #[test]
    fn corrupt_gzip_is_a_gzip_error() {
        let dir = tempfile::tempdir().unwrap();
        let gz = dir.path().join("bad.gz");
        std::fs::write(&gz, [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xff, 0xff]).unwrap();
        let err = read_capped(&gz, 100).unwrap_err().to_string();
        assert!(
            err.starts_with(&format!("{}: gzip: ", gz.display())),
            "{err}"
        );
    }
}
