//! The `mvt_encode` fuzz target's input: layers of polygons, tile options
//! and tile addresses drawn by `arbitrary` (mostly small polygons near
//! London, sometimes raw `f64` coordinates: NaN, infinities, huge values).
//! [`decode`] turns fuzz bytes into an [`Input`] as libFuzzer does, and
//! [`run`] builds and checks its tiles, so the fuzz target and
//! `tests/fuzz_regressions.rs` (which replays the saved crash files) share
//! one reading of the bytes.

use arbitrary::{Arbitrary, Unstructured};
use dxmap::tiles::{FeatureData, LayerData, LayerMeta, PropValue, TileOptions};
use geo_types::{Coord, LineString, MultiPolygon, Polygon};

use super::{Cut, mvt};

#[derive(Arbitrary, Debug)]
enum Ring {
    /// Offsets from the feature's origin, in units of its scale.
    Near(Vec<(i8, i8)>),
    /// Raw coordinates.
    Raw(Vec<(f64, f64)>),
}

#[derive(Arbitrary, Debug)]
struct Feature {
    id: u64,
    /// Origin offset from central London in 1/1000 degree.
    origin: (i16, i16),
    /// Scale exponent: 10^-(scale % 8) degrees per unit.
    scale: u8,
    polygons: Vec<Vec<Ring>>,
    props: Vec<(u8, Value)>,
}

#[derive(Arbitrary, Debug)]
enum Value {
    Str(String),
    Num(f64),
    Int(i64),
    Bool(bool),
}

#[derive(Arbitrary, Debug)]
struct Layer {
    name: u8,
    minzoom: u8,
    maxzoom: u8,
    /// Property key (k0..k7) shown only from this zoom on.
    property_minzoom: Vec<(u8, u8)>,
    features: Vec<Feature>,
}

#[derive(Arbitrary, Debug)]
enum Request {
    /// The tile holding the first feature's origin at this zoom, shifted.
    Near {
        z: u8,
        dx: i8,
        dy: i8,
    },
    Raw(u8, u32, u32),
}

#[derive(Arbitrary, Debug)]
pub struct Input {
    extent: u8,
    buffer: u16,
    min_zoom: u8,
    max_zoom: u8,
    layers: Vec<Layer>,
    requests: Vec<Request>,
}

const LON: f64 = -0.1;
const LAT: f64 = 51.5;
const NAMES: [&str; 4] = ["lsoa", "boroughs", "wards", "x"];

fn ring(r: &Ring, origin: (f64, f64), unit: f64) -> LineString<f64> {
    match r {
        Ring::Near(pts) => pts
            .iter()
            .map(|&(dx, dy)| Coord {
                x: origin.0 + dx as f64 * unit,
                y: origin.1 + dy as f64 * unit,
            })
            .collect(),
        Ring::Raw(pts) => pts.iter().map(|&(x, y)| Coord { x, y }).collect(),
    }
}

fn origin(f: &Feature) -> (f64, f64) {
    (
        LON + f.origin.0 as f64 / 1000.0,
        LAT + f.origin.1 as f64 / 1000.0,
    )
}

fn feature(f: &Feature) -> FeatureData {
    let o = origin(f);
    let unit = 10f64.powi(-((f.scale % 8) as i32));
    let polygons = f
        .polygons
        .iter()
        .filter_map(|rings| {
            let (first, rest) = rings.split_first()?;
            Some(Polygon::new(
                ring(first, o, unit),
                rest.iter().map(|r| ring(r, o, unit)).collect(),
            ))
        })
        .collect();
    let properties = f
        .props
        .iter()
        .map(|(k, v)| {
            let v = match v {
                Value::Str(s) => PropValue::Str(s.clone()),
                Value::Num(n) => PropValue::Num(*n),
                Value::Int(i) => PropValue::Int(*i),
                Value::Bool(b) => PropValue::Bool(*b),
            };
            (format!("k{}", k % 8), v)
        })
        .collect();
    FeatureData {
        id: f.id,
        geometry: MultiPolygon(polygons),
        properties,
    }
}

/// The XYZ tile holding a WGS84 point at zoom z.
fn tile_of(lon: f64, lat: f64, z: u32) -> (f64, f64) {
    let n = (1u64 << z) as f64;
    let x = (lon + 180.0) / 360.0 * n;
    let lat = lat.to_radians();
    let y = (1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0 * n;
    (x, y)
}

/// Fuzz bytes as the target sees them (libfuzzer-sys decodes a typed
/// input with `arbitrary_take_rest`), or `None` where `arbitrary` refuses
/// them.
pub fn decode(bytes: &[u8]) -> Option<Input> {
    Input::arbitrary_take_rest(Unstructured::new(bytes)).ok()
}

/// Builds the tile set the input describes and cuts its tiles through
/// [`mvt`].
pub fn run(input: &Input) -> Cut {
    // Mostly valid options and zoom ranges, so inputs reach the encoder;
    // validation itself is trivial.
    let extent = 16u32 << (input.extent % 13);
    let (lo, hi) = (input.min_zoom % 24, input.max_zoom % 24);
    let options = TileOptions {
        extent,
        buffer: input.buffer as u32 % (extent + 1),
        min_zoom: lo.min(hi),
        max_zoom: lo.max(hi),
    };
    let layers: Vec<LayerData> = input
        .layers
        .iter()
        .take(4)
        .map(|l| LayerData {
            meta: LayerMeta {
                name: NAMES[(l.name % 4) as usize].to_string(),
                description: String::new(),
                minzoom: (l.minzoom % 24).min(l.maxzoom % 24),
                maxzoom: (l.minzoom % 24).max(l.maxzoom % 24),
                property_minzoom: l
                    .property_minzoom
                    .iter()
                    .map(|&(k, z)| (format!("k{}", k % 8), z % 24))
                    .collect(),
            },
            features: l.features.iter().take(64).map(feature).collect(),
        })
        .collect();
    let first = input
        .layers
        .iter()
        .flat_map(|l| &l.features)
        .next()
        .map(origin)
        .unwrap_or((LON, LAT));
    let coords: Vec<(u32, u32, u32)> = input
        .requests
        .iter()
        .take(8)
        .map(|r| match *r {
            Request::Near { z, dx, dy } => {
                let z = (z % 23) as u32;
                let (x, y) = tile_of(first.0, first.1, z);
                let max = ((1u64 << z) - 1) as f64;
                let x = (x.floor() + dx as f64).clamp(0.0, max) as u32;
                let y = (y.floor() + dy as f64).clamp(0.0, max) as u32;
                (z, x, y)
            }
            Request::Raw(z, x, y) => (z as u32, x, y),
        })
        .collect();
    mvt(layers, options, &coords)
}
