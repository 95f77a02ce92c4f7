//! Tile compression: one encoded tile in, its gzip bytes out, the same for
//! the server's cache and the exported archives.
//!
//! One level for every path, so a tile served by `dxmap serve` and the same
//! tile in an exported archive are the same bytes, and the trade-off below
//! is made once.

use std::io::Write;

use flate2::Compression;
use flate2::write::GzEncoder;

/// Gzip level for tiles. Measured on the London default z0–14 (the
/// `export pmtiles` archive, `benches/README.md` "Tile gzip level"): level 6
/// made a file about 2% smaller than level 4 and cost more CPU than the
/// rest of compressing did, and a server compresses tiles on request.
pub const TILE_GZIP_LEVEL: u32 = 4;

/// Deterministic gzip of one tile: no file name, no timestamp, so equal
/// tiles compress to equal bytes and exports are byte-identical.
pub fn gzip(raw: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut enc = GzEncoder::new(
        Vec::with_capacity(raw.len() / 2 + 64),
        Compression::new(TILE_GZIP_LEVEL),
    );
    enc.write_all(raw)?;
    enc.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn gzip_is_deterministic_and_inflates_back() {
        let raw: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
        let a = gzip(&raw).unwrap();
        assert_eq!(a, gzip(&raw).unwrap());
        // No MTIME, no FNAME: bytes 4..8 of the header are zero.
        assert_eq!(&a[4..8], &[0, 0, 0, 0]);
        let mut back = Vec::new();
        flate2::read::GzDecoder::new(&a[..])
            .read_to_end(&mut back)
            .unwrap();
        assert_eq!(back, raw);
    }
}
