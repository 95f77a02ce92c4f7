//! The tile cache: least recently used, bounded in bytes, single-flight.
//!
//! In: tiles keyed by [`TileKey`] (coordinate and encoding, so MVT and MLT
//! share one budget) and a function that cuts one. Out: the
//! cached [`CachedTile`], or the result of exactly one cut however many
//! callers ask for the same tile at once.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use super::gzip::GzippedBody;
use crate::tiles::{TileCoord, TileEncoding};

/// What a cached tile is: where, and in which encoding.
pub type TileKey = (TileCoord, TileEncoding);

/// A cached tile: encoded bytes, or known-empty.
pub type CachedTile = Option<Arc<GzippedBody>>;

struct CacheEntry {
    tile: CachedTile,
    size: usize,
    used: AtomicU64,
}

/// The shared result of one tile cut in progress.
type InflightCut = OnceLock<Result<CachedTile, String>>;

/// A byte-bounded tile cache. Hits take a read lock and bump a use stamp;
/// when an insert goes over budget the least recently used quarter of the
/// budget is evicted in one pass, so eviction cost is amortised.
pub struct TileCache {
    map: RwLock<HashMap<TileKey, CacheEntry>>,
    /// Tiles being cut now: a second request for one waits for the first
    /// cut instead of cutting it again.
    inflight: Mutex<HashMap<TileKey, Arc<InflightCut>>>,
    budget: usize,
    bytes: AtomicUsize,
    clock: AtomicU64,
}

impl std::fmt::Debug for TileCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TileCache")
            .field("budget", &self.budget)
            .field("bytes", &self.bytes())
            .finish()
    }
}

impl TileCache {
    /// A cache holding at most about `budget` bytes of tiles.
    pub fn new(budget: usize) -> TileCache {
        TileCache {
            map: RwLock::new(HashMap::new()),
            inflight: Mutex::new(HashMap::new()),
            budget,
            bytes: AtomicUsize::new(0),
            clock: AtomicU64::new(0),
        }
    }

    /// The cached tile, if present (`Some(None)` = known empty).
    pub fn get(&self, key: TileKey) -> Option<CachedTile> {
        let map = self.map.read().unwrap_or_else(|e| e.into_inner());
        let e = map.get(&key)?;
        e.used.store(
            self.clock.fetch_add(1, Ordering::Relaxed),
            Ordering::Relaxed,
        );
        Some(e.tile.clone())
    }

    /// Stores a tile, evicting old entries when over budget.
    pub fn insert(&self, key: TileKey, tile: CachedTile) {
        let size = 48 + tile.as_ref().map_or(0, |t| t.bytes());
        if size > self.budget {
            return;
        }
        let mut map = self.map.write().unwrap_or_else(|e| e.into_inner());
        let stamp = self.clock.fetch_add(1, Ordering::Relaxed);
        if let Some(old) = map.insert(
            key,
            CacheEntry {
                tile,
                size,
                used: AtomicU64::new(stamp),
            },
        ) {
            self.bytes.fetch_sub(old.size, Ordering::Relaxed);
        }
        let total = self.bytes.fetch_add(size, Ordering::Relaxed) + size;
        if total > self.budget {
            let target = self.budget - self.budget / 4;
            let mut by_age: Vec<(u64, TileKey, usize)> = map
                .iter()
                .map(|(c, e)| (e.used.load(Ordering::Relaxed), *c, e.size))
                .collect();
            by_age.sort_unstable_by_key(|e| e.0); // stamps are unique
            let mut now = total;
            for (_, c, s) in by_age {
                if now <= target {
                    break;
                }
                map.remove(&c);
                now -= s;
            }
            self.bytes.store(now, Ordering::Relaxed);
        }
    }

    /// The cached tile, or the result of `make` stored in the cache. While
    /// one caller runs `make` for a tile, others asking for the same tile
    /// block until it is done and share its result. Returns the tile and
    /// whether this call (or the one it waited for) had to make it.
    pub fn get_or_make(
        &self,
        key: TileKey,
        make: impl FnOnce() -> Result<CachedTile, String>,
    ) -> (Result<CachedTile, String>, bool) {
        if let Some(t) = self.get(key) {
            return (Ok(t), false);
        }
        let cell = {
            let mut inflight = self.inflight.lock().unwrap_or_else(|e| e.into_inner());
            // Checked again under the lock: a cut may have finished meanwhile.
            if let Some(t) = self.get(key) {
                return (Ok(t), false);
            }
            inflight.entry(key).or_default().clone()
        };
        let mut made = false;
        let result = cell
            .get_or_init(|| {
                made = true;
                let r = make();
                if let Ok(t) = &r {
                    self.insert(key, t.clone());
                }
                self.inflight
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .remove(&key);
                r
            })
            .clone();
        (result, made)
    }

    /// Bytes currently held.
    pub fn bytes(&self) -> usize {
        self.bytes.load(Ordering::Relaxed)
    }

    /// Entries currently held.
    pub fn len(&self) -> usize {
        self.map.read().map(|m| m.len()).unwrap_or(0)
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::served::GzippedBody;
    use axum::http::HeaderValue;
    use std::sync::atomic::AtomicUsize;

    /// A tile of `n` incompressible bytes (the cache holds the gzip copy).
    fn tile(n: usize) -> CachedTile {
        let mut x = 0x2545_f491_u32;
        let raw = (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x as u8
            })
            .collect();
        Some(Arc::new(GzippedBody::new(raw).unwrap()))
    }

    #[test]
    fn both_encodings_of_a_tile_are_held_apart_within_one_budget() {
        let cache = TileCache::new(10_000);
        let at = TileCoord::new(10, 1, 1).unwrap();
        cache.insert((at, TileEncoding::Mvt), tile(1000));
        assert!(
            cache.get((at, TileEncoding::Mlt)).is_none(),
            "the MVT is not the MLT"
        );
        cache.insert((at, TileEncoding::Mlt), tile(1000));
        assert_eq!(cache.len(), 2);
        for x in 2..20 {
            cache.insert(
                (TileCoord::new(10, x, 1).unwrap(), TileEncoding::Mlt),
                tile(1000),
            );
        }
        assert!(
            cache.bytes() <= 10_000,
            "one budget for both: {}",
            cache.bytes()
        );
    }

    #[test]
    fn cache_stays_within_budget_and_keeps_recent_tiles() {
        let cache = TileCache::new(10_000);
        let c = |x| (TileCoord::new(10, x, 0).unwrap(), TileEncoding::Mvt);
        for x in 0..50 {
            cache.insert(c(x), tile(1000));
            // Keep tile 0 hot.
            assert!(cache.get(c(0)).is_some());
            assert!(cache.bytes() <= 10_000, "over budget: {}", cache.bytes());
        }
        assert!(cache.get(c(0)).is_some(), "recently used tile evicted");
        assert!(cache.get(c(1)).is_none(), "old tile kept");
        assert!(cache.get(c(49)).is_some());
    }

    #[test]
    fn empty_tiles_are_cached_as_empty() {
        let cache = TileCache::new(1000);
        let c = (TileCoord::new(3, 1, 1).unwrap(), TileEncoding::Mvt);
        assert!(cache.get(c).is_none());
        cache.insert(c, None);
        assert!(matches!(cache.get(c), Some(None)));
    }

    #[test]
    fn one_cut_is_shared_by_concurrent_callers() {
        let cache = Arc::new(TileCache::new(1 << 20));
        let coord = (TileCoord::new(10, 1, 1).unwrap(), TileEncoding::Mvt);
        let cuts = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (cache, cuts) = (cache.clone(), cuts.clone());
                std::thread::spawn(move || {
                    cache
                        .get_or_make(coord, || {
                            cuts.fetch_add(1, Ordering::SeqCst);
                            std::thread::sleep(std::time::Duration::from_millis(100));
                            Ok(tile(500))
                        })
                        .0
                        .unwrap()
                        .unwrap()
                        .etag_raw
                        .clone()
                })
            })
            .collect();
        let tags: Vec<HeaderValue> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        assert_eq!(cuts.load(Ordering::SeqCst), 1);
        assert!(tags.windows(2).all(|w| w[0] == w[1]));
        assert!(cache.get(coord).is_some());
        // A failed cut is not cached: the next caller tries again.
        let other = (TileCoord::new(10, 2, 2).unwrap(), TileEncoding::Mvt);
        assert!(cache.get_or_make(other, || Err("boom".into())).0.is_err());
        assert!(cache.get_or_make(other, || Ok(None)).0.is_ok());
    }
}
