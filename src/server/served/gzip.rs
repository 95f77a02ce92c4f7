//! Bodies as served: gzip-compressed once, with strong ETags.
//!
//! In: the bytes of a tile (MVT or MLT), a file of the page or a large JSON
//! body. Out: a [`GzippedBody`] holding the gzip copy and the ETags of both
//! forms ([`content_tag`]), inflated again only for the rare client without
//! gzip ([`server::negotiate`](crate::server) sends it).

use std::hash::{DefaultHasher, Hasher};

use axum::body::Bytes;
use axum::http::HeaderValue;

/// One non-empty body (a tile, a file, a JSON document), held
/// gzip-compressed (nearly every client accepts gzip, and one copy keeps
/// the tile cache a third of the size), with the strong ETags of both
/// forms, ready to send as headers.
#[derive(Debug)]
pub struct GzippedBody {
    /// The gzip-compressed bytes.
    pub gzip: Bytes,
    /// ETag of the uncompressed bytes (quoted).
    pub etag_raw: HeaderValue,
    /// ETag of `gzip` (quoted).
    pub etag_gzip: HeaderValue,
}

impl GzippedBody {
    /// Compresses once and computes both ETags.
    pub fn new(raw: Vec<u8>) -> std::io::Result<GzippedBody> {
        let gzip = crate::tiles::gzip(&raw)?;
        let tag = content_tag(&raw);
        // Hex digits, quotes and a dash: always a valid header value.
        let header = |t: String| HeaderValue::try_from(t).map_err(std::io::Error::other);
        Ok(GzippedBody {
            etag_raw: header(format!("\"{tag}\""))?,
            etag_gzip: header(format!("\"{tag}-gz\""))?,
            gzip: exact_bytes(gzip),
        })
    }

    /// The uncompressed bytes, inflated on demand for clients without gzip.
    pub fn raw(&self) -> std::io::Result<Bytes> {
        let mut out = Vec::with_capacity(self.gzip.len() * 3);
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&self.gzip[..]), &mut out)?;
        Ok(Bytes::from(out))
    }

    pub(super) fn bytes(&self) -> usize {
        self.gzip.len() + self.etag_raw.len() + self.etag_gzip.len() + 64
    }
}

/// `v` as [`Bytes`] that hold no spare capacity. `Bytes::from(Vec)` keeps
/// the vector's whole allocation, and a vector grown while compressing or
/// serialising is up to twice its length: held for the life of a
/// generation (cached tiles, JSON bodies), that slack was a third of the
/// tile cache and went uncounted in its budget.
pub(crate) fn exact_bytes(v: Vec<u8>) -> Bytes {
    Bytes::from(v.into_boxed_slice())
}

/// A 64-bit content hash plus length, in hex: the basis of strong ETags.
pub fn content_tag(bytes: &[u8]) -> String {
    // DefaultHasher::new() uses fixed keys, so tags are stable across runs.
    let mut h = DefaultHasher::new();
    h.write(bytes);
    format!("{:016x}{:08x}", h.finish(), crc32fast::hash(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags_differ_by_encoding_and_content() {
        let a = GzippedBody::new(b"abc".to_vec()).unwrap();
        let b = GzippedBody::new(b"abd".to_vec()).unwrap();
        assert_ne!(a.etag_raw, a.etag_gzip);
        assert_ne!(a.etag_raw, b.etag_raw);
        assert_eq!(
            a.etag_raw,
            GzippedBody::new(b"abc".to_vec()).unwrap().etag_raw
        );
        let mut d = flate2::read::GzDecoder::new(&a.gzip[..]);
        let mut out = Vec::new();
        std::io::Read::read_to_end(&mut d, &mut out).unwrap();
        assert_eq!(out, b"abc");
        assert_eq!(
            &a.raw().unwrap()[..],
            b"abc",
            "identity body inflated from the cache"
        );
    }

    #[test]
    fn held_bytes_carry_no_spare_capacity() {
        // A compressible tile: its gzip is far shorter than the buffer
        // `tiles::gzip` starts with, so a kept buffer would show here.
        let raw: Vec<u8> = (0..100_000u32).map(|i| (i % 7) as u8).collect();
        let t = GzippedBody::new(raw).unwrap();
        let len = t.gzip.len();
        let held = t.gzip.try_into_mut().expect("the only handle");
        assert_eq!(held.capacity(), len, "the cache holds what it counts");
        let mut v = Vec::with_capacity(4096);
        v.extend_from_slice(b"{}");
        let held = exact_bytes(v).try_into_mut().unwrap();
        assert_eq!(held.capacity(), 2);
    }
}
