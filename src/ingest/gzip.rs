//! Reading a whole input file into memory, gzip or not, with a hard cap on the
//! (decompressed) size: a path and a byte cap go in, the file's bytes come out,
//! or an error naming the file when it is larger than the cap (a zip bomb is
//! refused after reading at most `cap + 1` decompressed bytes).

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use flate2::read::MultiGzDecoder;

use super::IngestError;

/// Default cap on the decompressed size of one input file: 1 GiB (the
/// England and Wales LSOA file is 32 MB).
pub const DEFAULT_MAX_BYTES: u64 = 1 << 30;

/// True when `bytes` start with the gzip magic number.
pub fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0x1f, 0x8b])
}

/// Reads `path` into memory, decompressing it when it is gzip (by magic
/// number, whatever its name), refusing more than `cap` bytes of content.
pub fn read_capped(path: &Path, cap: u64) -> Result<Vec<u8>, IngestError> {
    let io = |source| IngestError::Io {
        file: path.to_path_buf(),
        source,
    };
    let file = File::open(path).map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    let mut reader = BufReader::new(file);
    let mut magic = [0u8; 2];
    let got = read_up_to(&mut reader, &mut magic).map_err(io)?;
    let head = &magic[..got];
    let chained = head.chain(reader);
    let (mut out, gz) = if is_gzip(head) {
        let mut out = Vec::new();
        MultiGzDecoder::new(chained)
            .take(cap.saturating_add(1))
            .read_to_end(&mut out)
            .map_err(|e| IngestError::File {
                file: path.to_path_buf(),
                message: format!("gzip: {e}"),
            })?;
        (out, true)
    } else {
        if len > cap {
            return Err(too_big(path, cap, false));
        }
        let mut out = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
        chained
            .take(cap.saturating_add(1))
            .read_to_end(&mut out)
            .map_err(io)?;
        (out, false)
    };
    if out.len() as u64 > cap {
        return Err(too_big(path, cap, gz));
    }
    out.shrink_to_fit();
    Ok(out)
}

fn too_big(path: &Path, cap: u64, gz: bool) -> IngestError {
    let what = if gz { "decompressed size" } else { "size" };
    IngestError::File {
        file: path.to_path_buf(),
        message: format!(
            "{what} exceeds the limit of {cap} bytes; refusing to read it (a gzip bomb?)"
        ),
    }
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::{Compression, write::GzEncoder};
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
    }

    #[test]
    fn refuses_content_over_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let gz = dir.path().join("zeros.gz");
        let mut enc = GzEncoder::new(File::create(&gz).unwrap(), Compression::fast());
        enc.write_all(&vec![0u8; 10_000]).unwrap();
        enc.finish().unwrap();
        let err = read_capped(&gz, 9_999).unwrap_err().to_string();
        assert!(err.starts_with(&format!("{}: decompressed size exceeds", gz.display())));
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
}
