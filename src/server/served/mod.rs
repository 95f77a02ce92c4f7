//! What one generation of the server serves: a scored dataset with its
//! R-tree, prepared tiles, a tile cache and the JSON bodies that are cheap to
//! precompute.
//!
//! In: a [`ScoredDataset`] and tiling options. Out: a [`Served`], immutable
//! apart from its tile cache, swapped whole on reload so a request always sees
//! one consistent generation. The jobs it draws on live beside it: [`gzip`]
//! (tile compression and ETags), [`cache`] (the LRU tile cache with
//! single-flight cuts) and [`views`] (the JSON bodies, built from the
//! generation's [`Schema`]).

mod cache;
mod gzip;
mod views;

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Bytes;
use geo::BoundingRect;
use serde_json::{Value, json};

pub use cache::{CachedTile, TileCache, TileKey};
pub(crate) use gzip::exact_bytes;
pub use gzip::{GzippedBody, content_tag};
pub use views::ScopeGroups;
pub(crate) use views::score_num;

use super::error::ServeError;
use crate::dataset::Dataset;
use crate::index::AreaIndex;
use crate::schema::{ApiLevel, COORD_DECIMALS, Schema, round};
use crate::score::ScoredDataset;
use crate::tiles::attributes::keyed_layers_from_scored;
use crate::tiles::{KeyedLayer, LayerInfo, TileCoord, TileEncoding, TileOptions, TileSet};

/// Everything one server generation serves.
#[derive(Debug)]
pub struct Served {
    /// The scored dataset.
    pub scored: ScoredDataset,
    /// R-tree over its areas.
    pub index: AreaIndex,
    /// Prepared tiles.
    pub tiles: TileSet,
    /// Encoded tiles (MVT and MLT, one budget), cleared with the generation on reload.
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
    /// `/api/scores` body. This and the next two are megabytes for a
    /// national dataset, asked for on every page load: held gzipped, as
    /// tiles are, so they are compressed once and held at a third or less.
    pub scores_json: GzippedBody,
    /// `/api/scores-exact` body, gzipped.
    pub scores_exact_json: GzippedBody,
    /// `/api/key-groups` body, gzipped.
    pub key_groups_json: GzippedBody,
    /// Per indicator (in `Scores::indicators` order): min and max raw value.
    pub raw_range: Vec<(Option<f64>, Option<f64>)>,
    /// Boroughs: code → (name, area positions).
    pub boroughs: BTreeMap<String, (String, Vec<usize>)>,
    /// Dataset columns the methodology reads (listed as sources), in dataset order.
    pub source_columns: Vec<usize>,
    /// The fields of every area, as tiles, exports and the API name them.
    pub schema: Schema,
    /// The scope groups areas are ranked within.
    pub scope: ScopeGroups,
    /// Place labels and ward outlines, built on first request.
    pub(crate) places: super::places::PlacesCache,
    /// Bytes of tiles cut on request, to trim freed memory now and then.
    churn: crate::memory::Churn,
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

/// A JSON body held for the life of a generation, without spare capacity.
pub(crate) fn json_body(v: &Value) -> Bytes {
    exact_bytes(v.to_string().into_bytes())
}

/// A large JSON body held gzipped for the life of a generation.
fn gzip_json(v: &Value) -> Result<GzippedBody, ServeError> {
    GzippedBody::new(v.to_string().into_bytes())
        .map_err(|e| ServeError::Other(format!("compressing a JSON body: {e}")))
}

/// Coordinates to 6 places (about 0.1 m), as the exports write them.
fn round_bbox(b: [f64; 4]) -> [f64; 4] {
    b.map(|v| round(v, COORD_DECIMALS))
}

impl Served {
    /// The tile at `coord` from the cache, or cut, compressed and cached now
    /// (once, however many callers ask at the same time). Blocking: call it
    /// off the async threads. The flag says whether this call cut it.
    pub fn cut(&self, coord: TileCoord) -> (Result<CachedTile, String>, bool) {
        self.cut_as(coord, TileEncoding::Mvt)
    }

    /// [`Served::cut`] in either encoding; both share the one cache.
    pub fn cut_as(
        &self,
        coord: TileCoord,
        encoding: TileEncoding,
    ) -> (Result<CachedTile, String>, bool) {
        self.cache.get_or_make((coord, encoding), || {
            let raw = self
                .tiles
                .tile_as(coord, encoding)
                .map_err(|e| format!("tile {coord}: {e}"))?;
            self.churn.add(raw.as_ref().map_or(0, Vec::len));
            match raw {
                Some(raw) if !raw.is_empty() => GzippedBody::new(raw)
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
        // Keyed layers, as the export builds them: attribute names stored
        // once and the attributes moved into the tile set, not copied.
        let layer_data: Vec<KeyedLayer<'_>> = keyed_layers_from_scored(&scored).collect();
        let own_layers: Vec<LayerInfo> = layer_data.iter().map(LayerInfo::of_keyed).collect();
        let own_counts: BTreeMap<String, usize> = layer_data
            .iter()
            .map(|l| (l.meta.name.clone(), l.features.len()))
            .collect();
        let tiles = TileSet::build_keyed(layer_data, tile_options)?;
        let layers = if tiles.layers().is_empty() {
            own_layers
        } else {
            tiles.layers().to_vec()
        };
        let feature_counts = layers
            .iter()
            .map(|l| own_counts.get(&l.name).copied().unwrap_or(0))
            .collect();
        let ds = scored.dataset.clone();
        let index = AreaIndex::new(ds.clone());

        let mut bounds: Option<[f64; 4]> = None;
        let mut boroughs: BTreeMap<String, (String, Vec<usize>)> = BTreeMap::new();
        let mut borough_bbox: BTreeMap<String, [f64; 4]> = BTreeMap::new();
        for (i, a) in ds.areas.iter().enumerate() {
            if let Some(b) = area_bbox(&ds, i) {
                bounds = Some(union(bounds, b));
                if let Some(u) = &a.borough {
                    let prev = borough_bbox.get(&u.code).copied();
                    borough_bbox.insert(u.code.clone(), union(prev, b));
                }
            }
            if let Some(u) = &a.borough {
                boroughs
                    .entry(u.code.clone())
                    .or_insert_with(|| (u.name.clone(), Vec::new()))
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
            round((bounds[0] + bounds[2]) / 2.0, COORD_DECIMALS),
            round((bounds[1] + bounds[3]) / 2.0, COORD_DECIMALS),
            zoom,
        ];

        let schema = Schema::of(&scored);
        let borough_list = boroughs
            .iter()
            .map(|(code, (name, _))| {
                json!({
                    "code": code,
                    "name": name,
                    "bbox": borough_bbox.get(code).map(|b| round_bbox(*b)),
                })
            })
            .collect();
        let meta = views::meta_json(&scored, &schema, bounds, center, borough_list);
        let methodology = views::methodology_json(&scored);
        let source_columns = views::source_columns(&scored);

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

        let scores_json = views::scores_json(&scored, &schema);
        let scope = ScopeGroups::of(&scored);
        let scores_exact = views::scores_exact_json(&scored, &schema, &scope);
        let cache = TileCache::new(cache_bytes);
        Ok(Served {
            index,
            tiles,
            cache,
            layers,
            feature_counts,
            bounds,
            center,
            meta_json: json_body(&meta),
            methodology_json: json_body(&methodology),
            scores_json: gzip_json(&scores_json)?,
            scores_exact_json: gzip_json(&scores_exact)?,
            key_groups_json: gzip_json(&views::key_groups_json(&scored, &schema))?,
            raw_range,
            boroughs,
            source_columns,
            schema,
            scope,
            scored,
            places: Default::default(),
            churn: Default::default(),
        })
    }

    /// TileJSON 3.0.0 for this generation, its tiles at `tile_url` (a
    /// `{z}/{x}/{y}` template: absolute for `GET /tiles.json`, relative to
    /// the page in a static site).
    pub fn tilejson(&self, tile_url: &str) -> Value {
        let ds = self.dataset();
        let mut body =
            crate::tiles::tilejson(&self.tiles, tile_url, &ds.title, &ds.attribution.join("; "));
        if let Value::Object(m) = &mut body {
            m.insert(
                "description".into(),
                json!(format!("{}: {}", ds.title, self.scored.methodology.name)),
            );
        }
        body
    }

    /// The dataset.
    pub fn dataset(&self) -> &Dataset {
        &self.scored.dataset
    }

    /// The area summary used in lists: the schema's summary fields.
    pub fn area_summary(&self, i: usize) -> Value {
        self.schema.area_json(&self.scored, i, ApiLevel::Summary)
    }

    /// The full area body of `/api/areas/{code}` and `/api/lookup`.
    pub fn area_detail(&self, i: usize) -> Value {
        views::area_detail(
            &self.scored,
            &self.schema,
            &self.raw_range,
            &self.source_columns,
            &self.scope,
            i,
        )
    }
}
