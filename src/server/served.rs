//! What one generation of the server serves: a scored dataset with its
//! R-tree, prepared tiles, a tile cache and the JSON bodies that are cheap to
//! precompute.
//!
//! In: a [`ScoredDataset`] and tiling options. Out: a [`Served`], immutable
//! apart from its tile cache, swapped whole on reload so a request always sees
//! one consistent generation.

use std::collections::{BTreeMap, HashMap};
use std::hash::{DefaultHasher, Hasher};
use std::io::Write;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use axum::body::Bytes;
use geo::BoundingRect;
use serde_json::{Value, json};

use super::error::ServeError;
use crate::dataset::{Dataset, Values};
use crate::index::AreaIndex;
use crate::score::ScoredDataset;
use crate::tiles::attributes::{area_is_demonstration, layers_from_scored};
use crate::tiles::{LayerInfo, TileCoord, TileOptions, TileSet};

/// One encoded, non-empty tile, held gzip-compressed (nearly every client
/// accepts gzip, and one copy keeps the cache a third of the size), with the
/// strong ETags of both encodings.
#[derive(Debug)]
pub struct EncodedTile {
    /// Gzip-compressed MVT.
    pub gzip: Bytes,
    /// ETag of the uncompressed MVT (quoted).
    pub etag_raw: String,
    /// ETag of `gzip` (quoted).
    pub etag_gzip: String,
}

/// Gzip level for tiles: level 6 costs about twice the time of the whole
/// cut for the biggest tiles, for files a few per cent smaller.
const TILE_GZIP_LEVEL: u32 = 4;

impl EncodedTile {
    /// Compresses once and computes both ETags.
    pub fn new(raw: Vec<u8>) -> std::io::Result<EncodedTile> {
        let mut enc = flate2::write::GzEncoder::new(
            Vec::with_capacity(raw.len() / 2),
            flate2::Compression::new(TILE_GZIP_LEVEL),
        );
        enc.write_all(&raw)?;
        let gzip = enc.finish()?;
        let tag = content_tag(&raw);
        Ok(EncodedTile {
            etag_raw: format!("\"{tag}\""),
            etag_gzip: format!("\"{tag}-gz\""),
            gzip: Bytes::from(gzip),
        })
    }

    /// The uncompressed MVT, inflated on demand for clients without gzip.
    pub fn raw(&self) -> std::io::Result<Bytes> {
        let mut out = Vec::with_capacity(self.gzip.len() * 3);
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&self.gzip[..]), &mut out)?;
        Ok(Bytes::from(out))
    }

    fn bytes(&self) -> usize {
        self.gzip.len() + self.etag_raw.len() + self.etag_gzip.len() + 64
    }
}

/// A 64-bit content hash plus length, in hex: the basis of strong ETags.
pub fn content_tag(bytes: &[u8]) -> String {
    // DefaultHasher::new() uses fixed keys, so tags are stable across runs.
    let mut h = DefaultHasher::new();
    h.write(bytes);
    format!("{:016x}{:08x}", h.finish(), crc32fast::hash(bytes))
}

/// A cached tile: encoded bytes, or known-empty.
pub type CachedTile = Option<Arc<EncodedTile>>;

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
    map: RwLock<HashMap<TileCoord, CacheEntry>>,
    /// Tiles being cut now: a second request for one waits for the first
    /// cut instead of cutting it again.
    inflight: Mutex<HashMap<TileCoord, Arc<InflightCut>>>,
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
    pub fn get(&self, coord: TileCoord) -> Option<CachedTile> {
        let map = self.map.read().unwrap_or_else(|e| e.into_inner());
        let e = map.get(&coord)?;
        e.used.store(
            self.clock.fetch_add(1, Ordering::Relaxed),
            Ordering::Relaxed,
        );
        Some(e.tile.clone())
    }

    /// Stores a tile, evicting old entries when over budget.
    pub fn insert(&self, coord: TileCoord, tile: CachedTile) {
        let size = 48 + tile.as_ref().map_or(0, |t| t.bytes());
        if size > self.budget {
            return;
        }
        let mut map = self.map.write().unwrap_or_else(|e| e.into_inner());
        let stamp = self.clock.fetch_add(1, Ordering::Relaxed);
        if let Some(old) = map.insert(
            coord,
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
            let mut by_age: Vec<(u64, TileCoord, usize)> = map
                .iter()
                .map(|(c, e)| (e.used.load(Ordering::Relaxed), *c, e.size))
                .collect();
            by_age.sort_unstable();
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
        coord: TileCoord,
        make: impl FnOnce() -> Result<CachedTile, String>,
    ) -> (Result<CachedTile, String>, bool) {
        if let Some(t) = self.get(coord) {
            return (Ok(t), false);
        }
        let cell = {
            let mut inflight = self.inflight.lock().unwrap_or_else(|e| e.into_inner());
            // Checked again under the lock: a cut may have finished meanwhile.
            if let Some(t) = self.get(coord) {
                return (Ok(t), false);
            }
            inflight.entry(coord).or_default().clone()
        };
        let mut made = false;
        let result = cell
            .get_or_init(|| {
                made = true;
                let r = make();
                if let Ok(t) = &r {
                    self.insert(coord, t.clone());
                }
                self.inflight
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .remove(&coord);
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

/// Everything one server generation serves.
#[derive(Debug)]
pub struct Served {
    /// The scored dataset.
    pub scored: ScoredDataset,
    /// R-tree over its areas.
    pub index: AreaIndex,
    /// Prepared tiles.
    pub tiles: TileSet,
    /// Encoded tiles, cleared with the generation on reload.
    pub cache: TileCache,
    /// Vector layer descriptions (TileJSON `vector_layers`, `/catalog`).
    pub layers: Vec<LayerInfo>,
    /// Feature count per layer, in `layers` order.
    pub feature_counts: Vec<usize>,
    /// WGS84 bounds of the areas.
    pub bounds: [f64; 4],
    /// Map centre: lon, lat, zoom.
    pub center: [f64; 3],
    /// `/api/meta` body.
    pub meta_json: Bytes,
    /// `/api/methodology` body.
    pub methodology_json: Bytes,
    /// `/api/scores` body.
    pub scores_json: Bytes,
    /// `/api/key-groups` body.
    pub key_groups_json: Bytes,
    /// Per indicator (in `Scores::indicators` order): min and max raw value.
    pub raw_range: Vec<(Option<f64>, Option<f64>)>,
    /// Boroughs: code → (name, area positions).
    pub boroughs: BTreeMap<String, (String, Vec<usize>)>,
    /// Dataset columns the methodology reads (listed as sources), in dataset order.
    pub source_columns: Vec<usize>,
}

/// Rounds for JSON bodies; values are 0–10 scores or shares.
pub(crate) fn r4(v: f64) -> f64 {
    let r = (v * 1e4).round() / 1e4;
    if r == 0.0 { 0.0 } else { r }
}

fn opt_r4(v: Option<f64>) -> Value {
    v.map_or(Value::Null, |x| json!(r4(x)))
}

fn union(a: Option<[f64; 4]>, b: [f64; 4]) -> [f64; 4] {
    match a {
        None => b,
        Some(a) => [
            a[0].min(b[0]),
            a[1].min(b[1]),
            a[2].max(b[2]),
            a[3].max(b[3]),
        ],
    }
}

/// Bounding box of area `i`, if it has geometry.
pub(crate) fn area_bbox(ds: &Dataset, i: usize) -> Option<[f64; 4]> {
    let r = ds.areas.get(i)?.geometry.bounding_rect()?;
    Some([r.min().x, r.min().y, r.max().x, r.max().y])
}

fn round_bbox(b: [f64; 4]) -> [f64; 4] {
    b.map(|v| (v * 1e6).round() / 1e6)
}

impl Served {
    /// The tile at `coord` from the cache, or cut, compressed and cached now
    /// (once, however many callers ask at the same time). Blocking: call it
    /// off the async threads. The flag says whether this call cut it.
    pub fn cut(&self, coord: TileCoord) -> (Result<CachedTile, String>, bool) {
        self.cache.get_or_make(coord, || {
            let raw = self
                .tiles
                .tile(coord)
                .map_err(|e| format!("tile {coord}: {e}"))?;
            match raw {
                Some(raw) if !raw.is_empty() => EncodedTile::new(raw)
                    .map(|t| Some(Arc::new(t)))
                    .map_err(|e| format!("tile {coord}: gzip: {e}")),
                _ => Ok(None),
            }
        })
    }

    /// Cuts every tile with data up to `max_zoom` into the cache, lowest zoom
    /// first, stopping early when `stop` turns true (a newer generation).
    /// Overview tiles hold thousands of areas and cost tens of milliseconds
    /// to cut; cutting them ahead keeps a visitor's first view fast. Returns
    /// the number of tiles cut.
    pub fn prewarm(&self, max_zoom: u8, stop: &dyn Fn() -> bool) -> usize {
        let o = self.tiles.options();
        let mut n = 0;
        for z in o.min_zoom..=max_zoom.min(o.max_zoom) {
            for coord in crate::tiles::candidate_tiles(&self.tiles, z) {
                if stop() {
                    return n;
                }
                if let (Ok(_), true) = self.cut(coord) {
                    n += 1;
                }
            }
        }
        n
    }

    /// Builds a generation: attribute layers, tiles, index and JSON bodies.
    pub fn build(
        scored: ScoredDataset,
        tile_options: TileOptions,
        cache_bytes: usize,
    ) -> Result<Served, ServeError> {
        let layer_data = layers_from_scored(&scored);
        let own_layers: Vec<LayerInfo> = layer_data.iter().map(LayerInfo::of).collect();
        let feature_counts: Vec<usize> = layer_data.iter().map(|l| l.features.len()).collect();
        let tiles = TileSet::build(layer_data, tile_options)?;
        let layers = if tiles.layers().is_empty() {
            own_layers
        } else {
            tiles.layers().to_vec()
        };
        let feature_counts = layers
            .iter()
            .map(|l| {
                own_layer_position(&scored, &l.name)
                    .and_then(|p| feature_counts.get(p).copied())
                    .unwrap_or(0)
            })
            .collect();
        let ds = scored.dataset.clone();
        let index = AreaIndex::new(&ds);

        let mut bounds: Option<[f64; 4]> = None;
        let mut boroughs: BTreeMap<String, (String, Vec<usize>)> = BTreeMap::new();
        let mut borough_bbox: BTreeMap<String, [f64; 4]> = BTreeMap::new();
        for (i, a) in ds.areas.iter().enumerate() {
            if let Some(b) = area_bbox(&ds, i) {
                bounds = Some(union(bounds, b));
                if !a.borough_code.is_empty() {
                    let prev = borough_bbox.get(&a.borough_code).copied();
                    borough_bbox.insert(a.borough_code.clone(), union(prev, b));
                }
            }
            if !a.borough_code.is_empty() {
                boroughs
                    .entry(a.borough_code.clone())
                    .or_insert_with(|| (a.borough_name.clone(), Vec::new()))
                    .1
                    .push(i);
            }
        }
        let bounds = round_bbox(bounds.unwrap_or([-180.0, -85.0, 180.0, 85.0]));
        let width = (bounds[2] - bounds[0]).max(1e-6);
        let zoom = ((360.0 / width).log2() + 1.0)
            .floor()
            .clamp(0.0, tiles.options().max_zoom as f64);
        let center = [
            ((bounds[0] + bounds[2]) / 2.0 * 1e6).round() / 1e6,
            ((bounds[1] + bounds[3]) / 2.0 * 1e6).round() / 1e6,
            zoom,
        ];

        let meta = json!({
            "title": ds.title,
            "geography": ds.geography,
            "attribution": ds.attribution,
            "demonstration": ds.has_demonstration_data(),
            "bounds": bounds,
            "center": center,
            "methodology": scored.methodology.name,
            "boroughs": boroughs.iter().map(|(code, (name, _))| json!({
                "code": code,
                "name": name,
                "bbox": borough_bbox.get(code).map(|b| round_bbox(*b)),
            })).collect::<Vec<_>>(),
        });

        let methodology = methodology_json(&scored);
        let source_columns = source_columns(&scored);

        let raw_range = (0..scored.scores.indicators.len())
            .map(|j| {
                let mut it = scored.raw(j).iter().flatten().copied();
                let first = it.next();
                let (lo, hi) = it.fold((first, first), |(lo, hi), v| {
                    (lo.map(|l| l.min(v)), hi.map(|h| h.max(v)))
                });
                (lo, hi)
            })
            .collect();

        let scores_json = scores_json(&scored);
        let cache = TileCache::new(cache_bytes);
        Ok(Served {
            index,
            tiles,
            cache,
            layers,
            feature_counts,
            bounds,
            center,
            meta_json: Bytes::from(meta.to_string()),
            methodology_json: Bytes::from(methodology.to_string()),
            scores_json: Bytes::from(scores_json.to_string()),
            key_groups_json: Bytes::from(key_groups_json(&scored).to_string()),
            raw_range,
            boroughs,
            source_columns,
            scored,
        })
    }

    /// The dataset.
    pub fn dataset(&self) -> &Dataset {
        &self.scored.dataset
    }

    /// The area summary used in lists.
    pub fn area_summary(&self, i: usize) -> Value {
        let ds = self.dataset();
        let a = &ds.areas[i];
        let s = &self.scored.scores;
        json!({
            "code": a.code.as_str(),
            "name": a.name,
            "borough_code": a.borough_code,
            "borough_name": a.borough_name,
            "ward_code": a.ward_code,
            "ward_name": a.ward_name,
            "index": opt_r4(s.index.get(i)),
            "rank": s.rank.get(i).copied().flatten(),
            "decile": s.decile.get(i).copied().flatten(),
            "index_status": s.status_of(i).as_str(),
            "missing_inputs": s.missing_inputs(i).map(|id| id.0.as_str()).collect::<Vec<_>>(),
        })
    }

    /// The full area body of `/api/areas/{code}` and `/api/lookup`.
    pub fn area_detail(&self, i: usize) -> Value {
        let ds = self.dataset();
        let s = &self.scored.scores;
        let mut v = self.area_summary(i);
        let at = |x: &[Option<f64>]| x.get(i).copied().flatten();
        let detail = json!({
            "coverage": opt_r4(s.coverage.get(i)),
            "insufficiency": self.scored.insufficiency(i),
            "components": s.components.iter().map(|c| json!({
                "id": c.id.0, "label": c.label, "weight": r4(c.weight), "score": opt_r4(c.score.get(i)),
            })).collect::<Vec<_>>(),
            "indicators": s.indicators.iter().zip(&self.raw_range).enumerate().map(|(j, (ind, (lo, hi)))| json!({
                "id": ind.id.0, "label": ind.label, "component": ind.component.0,
                "weight": r4(ind.weight), "raw": at(self.scored.raw(j)), "score": opt_r4(ind.score.get(i)),
                "min": lo, "max": hi,
            })).collect::<Vec<_>>(),
            "drivers": s.drivers.get(i).map(|d| d.iter().map(|d| json!({
                "indicator": s.indicators.get(d.indicator).map(|i| i.id.0.as_str()),
                "label": s.indicators.get(d.indicator).map(|i| i.label.as_str()),
                "contribution": r4(d.contribution),
            })).collect::<Vec<_>>()).unwrap_or_default(),
            "personas": s.personas.iter().map(|k| json!({
                "id": k.id.0, "label": k.label,
                "count": at(&k.count).map(|c| c.round()), "share": opt_r4(at(&k.share)),
                "availability": k.availability,
            })).collect::<Vec<_>>(),
            "sensitivity": s.sensitivity.as_ref().map(|x| json!({
                "draws": x.draws,
                "rank_p05": at(&x.rank_p05), "rank_p95": at(&x.rank_p95),
                "p_top_decile": opt_r4(at(&x.p_top_decile)),
            })),
            "sources": self.source_columns.iter().map(|&c| &ds.columns[c]).map(|c| json!({
                "column": c.id.as_str(), "label": c.label, "dataset": c.source.dataset,
                "file": c.source.file, "vintage": c.source.vintage, "method": c.source.method,
                "demonstration": c.source.demonstration,
            })).collect::<Vec<_>>(),
            "demonstration": area_is_demonstration(ds, i),
        });
        if let (Value::Object(m), Value::Object(d)) = (&mut v, detail) {
            m.extend(d);
        }
        v
    }
}

fn own_layer_position(scored: &ScoredDataset, name: &str) -> Option<usize> {
    // layers_from_scored emits lsoa, then boroughs and wards when present.
    let ds = &scored.dataset;
    let mut names = vec!["lsoa"];
    for n in ["boroughs", "wards"] {
        if ds.layer(n).is_some() {
            names.push(n);
        }
    }
    names.iter().position(|n| *n == name)
}

/// Columns the methodology reads (indicators and personas), or all columns
/// when it reads none.
fn source_columns(scored: &ScoredDataset) -> Vec<usize> {
    let m = &scored.methodology;
    let mut used: std::collections::BTreeSet<String> =
        m.indicators().map(|(_, i)| i.column.clone()).collect();
    for p in &m.personas {
        used.extend(p.columns());
    }
    let cols = &scored.dataset.columns;
    let picked: Vec<usize> = (0..cols.len())
        .filter(|&i| used.contains(cols[i].id.as_str()))
        .collect();
    if picked.is_empty() {
        (0..cols.len()).collect()
    } else {
        picked
    }
}

fn methodology_json(scored: &ScoredDataset) -> Value {
    let m = &scored.methodology;
    let s = &scored.scores;
    // Effective (normalised) weights come from the scores; the rest from the file.
    let comp_weight = |id: &str| {
        s.components
            .iter()
            .find(|c| c.id.0 == id)
            .map(|c| r4(c.weight))
    };
    let ind_weight = |id: &str| {
        s.indicators
            .iter()
            .find(|i| i.id.0 == id)
            .map(|i| r4(i.weight))
    };
    let components: Vec<Value> = m
        .components
        .iter()
        .map(|c| {
            let indicators: Vec<Value> = c
                .indicators
                .iter()
                .map(|i| {
                    json!({
                        "id": i.id.0, "label": i.label,
                        "weight": ind_weight(&i.id.0).unwrap_or(i.weight),
                        "column": i.column, "direction": i.direction.as_str(),
                        "transform": i.transform.as_str(),
                    })
                })
                .collect();
            json!({
                "id": c.id.0, "label": c.label,
                "weight": comp_weight(&c.id.0).unwrap_or(c.weight),
                "indicators": indicators,
            })
        })
        .collect();
    let personas: Vec<Value> = m
        .personas
        .iter()
        .map(|p| {
            json!({
                "id": p.id.0, "label": p.label, "description": p.description,
                "columns": p.columns(), "reasoning": p.reasoning,
            })
        })
        .collect();
    json!({
        "name": m.name,
        "description": m.description,
        "scope": m.scope.as_str(),
        "missing": m.missing.as_str(),
        "min_coverage": m.min_coverage,
        "components": components,
        "personas": personas,
    })
}

fn scores_json(scored: &ScoredDataset) -> Value {
    let ds = &scored.dataset;
    let s = &scored.scores;
    fn col(v: impl Iterator<Item = Option<f64>>) -> Vec<Value> {
        v.map(opt_r4).collect()
    }
    let population: Vec<Value> = match ds.column("population").map(|c| &c.values) {
        Some(Values::Numeric(v)) => v
            .iter()
            .map(|x| x.map_or(Value::Null, |x| json!(x)))
            .collect(),
        _ => vec![Value::Null; ds.len()],
    };
    let mut indicators = serde_json::Map::new();
    for i in &s.indicators {
        indicators.insert(i.id.0.clone(), json!(col(i.score.iter())));
    }
    let mut components = serde_json::Map::new();
    for c in &s.components {
        components.insert(c.id.0.clone(), json!(col(c.score.iter())));
    }
    let p_top = s
        .sensitivity
        .as_ref()
        .map_or(Value::Null, |x| json!(col(x.p_top_decile.iter().copied())));
    json!({
        "codes": ds.areas.iter().map(|a| a.code.as_str()).collect::<Vec<_>>(),
        "names": ds.areas.iter().map(|a| a.name.as_str()).collect::<Vec<_>>(),
        "boroughs": ds.areas.iter().map(|a| a.borough_name.as_str()).collect::<Vec<_>>(),
        "borough_codes": ds.areas.iter().map(|a| a.borough_code.as_str()).collect::<Vec<_>>(),
        "wards": ds.areas.iter().map(|a| a.ward_name.as_deref()).collect::<Vec<_>>(),
        "ward_codes": ds.areas.iter().map(|a| a.ward_code.as_deref()).collect::<Vec<_>>(),
        "population": population,
        "index": col(s.index.iter()),
        "rank": s.rank,
        "decile": s.decile,
        "index_status": s.status.iter().map(|x| x.as_str()).collect::<Vec<_>>(),
        "missing_inputs": (0..ds.len()).map(|a| s.missing_inputs(a).map(|id| id.0.as_str()).collect::<Vec<_>>()).collect::<Vec<_>>(),
        "indicators": indicators,
        "components": components,
        "p_top": p_top,
        "weights": {
            "components": s.components.iter().map(|c| (c.id.0.clone(), json!(c.weight))).collect::<serde_json::Map<_, _>>(),
            "indicators": s.indicators.iter().map(|i| (i.id.0.clone(), json!({"component": i.component.0, "weight": i.weight}))).collect::<serde_json::Map<_, _>>(),
        },
    })
}

/// Columnar key-group estimates, aligned with `/api/scores` `codes`. Kept
/// out of `/api/scores`, which the map needs before its first paint.
fn key_groups_json(scored: &ScoredDataset) -> Value {
    let s = &scored.scores;
    let count = |v: &[Option<f64>]| {
        v.iter()
            .map(|x| {
                x.filter(|x| x.is_finite())
                    .map_or(Value::Null, |x| json!(x.round() as i64))
            })
            .collect::<Vec<_>>()
    };
    let groups: serde_json::Map<String, Value> = s
        .personas
        .iter()
        .map(|k| {
            (
                k.id.0.clone(),
                json!({
                    "label": k.label,
                    "availability": k.availability,
                    "share": k.share.iter().map(|x| opt_r4(*x)).collect::<Vec<_>>(),
                    "count": count(&k.count),
                }),
            )
        })
        .collect();
    json!({
        "codes": scored.dataset.areas.iter().map(|a| a.code.as_str()).collect::<Vec<_>>(),
        "groups": groups,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
        Some(Arc::new(EncodedTile::new(raw).unwrap()))
    }

    #[test]
    fn cache_stays_within_budget_and_keeps_recent_tiles() {
        let cache = TileCache::new(10_000);
        let c = |x| TileCoord::new(10, x, 0).unwrap();
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
        let c = TileCoord::new(3, 1, 1).unwrap();
        assert!(cache.get(c).is_none());
        cache.insert(c, None);
        assert!(matches!(cache.get(c), Some(None)));
    }

    #[test]
    fn etags_differ_by_encoding_and_content() {
        let a = EncodedTile::new(b"abc".to_vec()).unwrap();
        let b = EncodedTile::new(b"abd".to_vec()).unwrap();
        assert_ne!(a.etag_raw, a.etag_gzip);
        assert_ne!(a.etag_raw, b.etag_raw);
        assert_eq!(
            a.etag_raw,
            EncodedTile::new(b"abc".to_vec()).unwrap().etag_raw
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
    fn one_cut_is_shared_by_concurrent_callers() {
        let cache = Arc::new(TileCache::new(1 << 20));
        let coord = TileCoord::new(10, 1, 1).unwrap();
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
        let tags: Vec<String> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        assert_eq!(cuts.load(Ordering::SeqCst), 1);
        assert!(tags.windows(2).all(|w| w[0] == w[1]));
        assert!(cache.get(coord).is_some());
        // A failed cut is not cached: the next caller tries again.
        let other = TileCoord::new(10, 2, 2).unwrap();
        assert!(cache.get_or_make(other, || Err("boom".into())).0.is_err());
        assert!(cache.get_or_make(other, || Ok(None)).0.is_ok());
    }
}
