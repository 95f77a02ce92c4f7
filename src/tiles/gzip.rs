//! Tile compression: one encoded tile in, its gzip bytes out, the same for
//! the server's cache and the exported archives.
//!
//! One level for every path, so a tile served by `dxmap serve` and the same
//! tile in an exported archive are the same bytes, and the trade-off below
//! is made once. libdeflate compresses whole buffers, which tiles are; on
//! England and Wales' tiles it was 1.5 times as fast as zlib-rs at a level
//! of the same size, and gzip was the largest part of a national export
//! (`benches/README.md`, "Tile gzip level"). Each thread keeps one
//! compressor and one output buffer of tile size. A [`GzipMemo`] keeps the last few
//! small tiles' gzip bytes so a repeated tile is not deflated again.

use std::cell::RefCell;
use std::sync::Mutex;

use libdeflater::{CompressionLvl, Compressor};

/// Gzip level for tiles (libdeflate's scale, 1–12; 6 is its default).
/// Measured on ~19,000 England and Wales tiles and the London default's
/// 1,113 (`benches/README.md` "Tile gzip level"): level 4 was 11% quicker
/// for 0.9% more bytes, level 1 30% quicker for 3% more.
pub const TILE_GZIP_LEVEL: i32 = 6;

/// The largest output buffer a thread keeps between calls: above any tile
/// (tiles are at most 500 KB), below the server's JSON bodies (England and
/// Wales' `/api/scores-exact` left 15 MB held by the thread that built it).
const KEPT_BUFFER_MAX: usize = 1 << 20;

thread_local! {
    static DEFLATE: RefCell<(Option<Compressor>, Vec<u8>)> = const { RefCell::new((None, Vec::new())) };
}

/// Deterministic gzip of one tile: no file name, no timestamp, so equal
/// tiles compress to equal bytes and exports are byte-identical. The header
/// is RFC 1952's minimal one (deflate, no flags, no modification time, no
/// extra flags at a middle level, OS "unknown"). The result holds exactly
/// its bytes, no spare capacity.
pub fn gzip(raw: &[u8]) -> std::io::Result<Vec<u8>> {
    DEFLATE.with(|d| {
        let (compressor, buf) = &mut *d.borrow_mut();
        let c = match compressor {
            Some(c) => c,
            None => {
                let level = CompressionLvl::new(TILE_GZIP_LEVEL)
                    .map_err(|e| std::io::Error::other(format!("gzip level: {e:?}")))?;
                compressor.insert(Compressor::new(level))
            }
        };
        let bound = c.gzip_compress_bound(raw.len());
        let mut gz = |out: &mut [u8]| {
            c.gzip_compress(raw, out)
                .map_err(|e| std::io::Error::other(format!("gzip: {e}")))
        };
        if bound > KEPT_BUFFER_MAX {
            // A large JSON body: a buffer of its own, so the thread does not
            // hold one of this size for the life of the process.
            let mut out = vec![0; bound];
            let n = gz(&mut out)?;
            out.truncate(n);
            out.shrink_to_fit();
            return Ok(out);
        }
        buf.resize(bound, 0);
        let n = gz(buf)?;
        Ok(buf[..n].to_vec())
    })
}

/// Slots of a [`GzipMemo`].
const MEMO_SLOTS: usize = 1024;

/// Tiles larger than this (uncompressed) are not memoised: repeats are the
/// small tiles inside one area.
const MEMO_MAX_RAW: usize = 8 * 1024;

/// [`gzip`] with a small memory of recent tiles, for a pyramid export: in
/// tile-id (Hilbert) order the tiles wholly inside one large area come one
/// after another with the same bytes (about 18,000 of England and Wales'
/// ~95,000 tiles at z0–14), and each repeat would otherwise be deflated
/// again. A direct-mapped table by content hash, holding at most
/// `MEMO_SLOTS` tiles of at most `MEMO_MAX_RAW` bytes; a hit is checked
/// byte for byte, so the result is always exactly [`gzip`]'s.
pub struct GzipMemo {
    slots: Mutex<Vec<Option<Memo>>>,
}

/// One remembered tile: its bytes and their gzip.
#[derive(Clone)]
struct Memo {
    raw: Vec<u8>,
    gz: Vec<u8>,
}

impl Default for GzipMemo {
    fn default() -> Self {
        GzipMemo::with_slots(MEMO_SLOTS)
    }
}

impl GzipMemo {
    fn with_slots(n: usize) -> GzipMemo {
        GzipMemo {
            slots: Mutex::new(vec![None; n.max(1)]),
        }
    }

    /// The gzip of `raw`, as [`gzip`] gives it.
    pub fn gzip(&self, raw: &[u8]) -> std::io::Result<Vec<u8>> {
        if raw.len() > MEMO_MAX_RAW {
            return gzip(raw);
        }
        let hash = twox_hash::XxHash3_64::oneshot(raw);
        let slot = |n: usize| (hash % n as u64) as usize;
        {
            let slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(Some(m)) = slots.get(slot(slots.len()))
                && m.raw == raw
            {
                return Ok(m.gz.clone());
            }
        }
        // Deflate outside the lock, so threads compress in parallel.
        let gz = gzip(raw)?;
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        let i = slot(slots.len());
        if let Some(s) = slots.get_mut(i) {
            *s = Some(Memo {
                raw: raw.to_vec(),
                gz: gz.clone(),
            });
        }
        Ok(gz)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    /// The same bytes from a fresh compressor at the level.
    fn reference(raw: &[u8]) -> Vec<u8> {
        let mut c = Compressor::new(CompressionLvl::new(TILE_GZIP_LEVEL).unwrap());
        let mut out = vec![0; c.gzip_compress_bound(raw.len())];
        let n = c.gzip_compress(raw, &mut out).unwrap();
        out.truncate(n);
        out
    }

    #[test]
    fn gzip_is_a_fresh_compressors_bytes_with_a_minimal_header_and_inflates_back() {
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
        // Larger than the kept buffer, compressible and not.
        inputs.push(
            (0..3 * KEPT_BUFFER_MAX as u32)
                .map(|i| (i % 13) as u8)
                .collect(),
        );
        inputs.push((0..KEPT_BUFFER_MAX + 5_000).map(|_| next()).collect());
        for raw in inputs.iter().chain(inputs.iter()) {
            let a = gzip(raw).unwrap();
            assert_eq!(a, reference(raw), "{} bytes", raw.len());
            assert_eq!(a.capacity(), a.len());
            // ID, deflate, no flags, no time, no extra flags, OS unknown.
            assert_eq!(a[..10], [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255]);
            let mut back = Vec::new();
            flate2::read::GzDecoder::new(&a[..])
                .read_to_end(&mut back)
                .unwrap();
            assert_eq!(&back, raw);
            // The thread keeps no buffer of a large body's size.
            DEFLATE.with(|d| assert!(d.borrow().1.capacity() <= 2 * KEPT_BUFFER_MAX));
        }
    }

    #[test]
    fn the_memo_gives_gzips_bytes_for_repeats_and_slot_collisions() {
        // One slot: every tile collides with the one before, so hits,
        // misses and replacements all happen; large tiles bypass the memo.
        for memo in [GzipMemo::with_slots(1), GzipMemo::default()] {
            let big: Vec<u8> = (0..MEMO_MAX_RAW as u32 + 10)
                .map(|i| (i % 7) as u8)
                .collect();
            let tiles: Vec<Vec<u8>> = vec![
                b"tile a".to_vec(),
                b"tile a".to_vec(),
                b"tile b".to_vec(),
                b"tile a".to_vec(),
                Vec::new(),
                big.clone(),
                big,
                b"tile b".to_vec(),
            ];
            for raw in &tiles {
                assert_eq!(memo.gzip(raw).unwrap(), reference(raw), "{raw:?}");
            }
        }
    }
}
