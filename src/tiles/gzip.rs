//! Tile compression: one encoded tile in, its gzip bytes out, the same for
//! the server's cache and the exported archives.
//!
//! One level for every path, so a tile served by `dxmap serve` and the same
//! tile in an exported archive are the same bytes, and the trade-off below
//! is made once. Each thread keeps one deflate state and resets it per
//! tile: a fresh state allocates and zeroes a few hundred kilobytes, which
//! showed in national exports of ~95,000 tiles.

use std::cell::RefCell;

use flate2::{Compress, Compression, FlushCompress, Status};

/// Gzip level for tiles. Measured on the London default z0–14 (the
/// `export pmtiles` archive, `benches/README.md` "Tile gzip level"): level 6
/// made a file about 1% smaller than level 4 for 65% more compression time,
/// and a server compresses tiles on request.
pub const TILE_GZIP_LEVEL: u32 = 4;

/// The gzip member header (RFC 1952): deflate, no flags, no modification
/// time, no extra flags for a middle level, OS "unknown", as flate2's
/// `GzEncoder` writes it.
const HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255];

thread_local! {
    static DEFLATE: RefCell<Compress> =
        RefCell::new(Compress::new(Compression::new(TILE_GZIP_LEVEL), false));
}

/// Deterministic gzip of one tile: no file name, no timestamp, so equal
/// tiles compress to equal bytes and exports are byte-identical.
pub fn gzip(raw: &[u8]) -> std::io::Result<Vec<u8>> {
    DEFLATE.with(|d| {
        let mut d = d.borrow_mut();
        d.reset();
        let mut out = Vec::with_capacity(raw.len() / 2 + 64);
        out.extend_from_slice(&HEADER);
        loop {
            let read = usize::try_from(d.total_in()).unwrap_or(raw.len());
            let rest = raw.get(read..).unwrap_or_default();
            if out.len() == out.capacity() {
                out.reserve(rest.len() / 2 + 64);
            }
            match d.compress_vec(rest, &mut out, FlushCompress::Finish) {
                Ok(Status::StreamEnd) => break,
                Ok(Status::Ok | Status::BufError) => {}
                Err(e) => return Err(std::io::Error::other(e)),
            }
        }
        out.extend_from_slice(&crc32fast::hash(raw).to_le_bytes());
        // ISIZE: the input length modulo 2^32.
        out.extend_from_slice(&(raw.len() as u32).to_le_bytes());
        Ok(out)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    /// The same bytes as a fresh `flate2::write::GzEncoder` at the level.
    fn reference(raw: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), Compression::new(TILE_GZIP_LEVEL));
        enc.write_all(raw).unwrap();
        enc.finish().unwrap()
    }

    #[test]
    fn gzip_is_gzencoders_bytes_and_inflates_back() {
        let mut seed = 7u64;
        let mut next = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as u8
        };
        // Empty, tiny, compressible, incompressible (output larger than
        // the first guess of capacity) and large inputs, in one thread, so
        // the reused state must come back clean each time.
        let mut inputs: Vec<Vec<u8>> = vec![Vec::new(), vec![1], b"lsoa lsoa lsoa".to_vec()];
        inputs.push((0..100_000u32).map(|i| (i % 251) as u8).collect());
        inputs.push((0..70_000).map(|_| next()).collect());
        inputs.push((0..3_000).map(|_| next() & 3).collect());
        inputs.push(vec![0; 1 << 20]);
        for raw in inputs.iter().chain(inputs.iter()) {
            let a = gzip(raw).unwrap();
            assert_eq!(a, reference(raw), "{} bytes", raw.len());
            let mut back = Vec::new();
            flate2::read::GzDecoder::new(&a[..])
                .read_to_end(&mut back)
                .unwrap();
            assert_eq!(&back, raw);
        }
    }
}
