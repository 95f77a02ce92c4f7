//! Tile engine timings on the real London LSOA 2011 polygons: building the
//! tile set, and cutting cold tiles (no cache: every call clips, quantises
//! and encodes) at z10, z12 and z14. Before the criterion groups it prints
//! its own p50/p99 over every tile of those zooms, tile counts and bytes for
//! z0–14 and the largest tile. Then gzip of every z0–14 tile: dxmap's
//! (libdeflate) against zlib-rs at level 4, what it used before, with the
//! bytes of each. Skips when ../shared/data is absent.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use dxmap::tiles::{LayerData, TileOptions, TileSet, candidate_tiles};

#[path = "../tests/fixtures/mod.rs"]
mod fixtures;

/// The London LSOA 2011 layer (the features `tests/tiles_conformance.rs`
/// checks), or `None` when ../shared/data is absent.
fn london() -> Option<Vec<LayerData>> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data/boundaries/london_lsoa11.geojson");
    if !path.is_file() {
        println!("skipped tiles bench: {} is absent", path.display());
        return None;
    }
    Some(fixtures::lsoa_layer(fixtures::london_lsoa11(&path)))
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// Own timing loop: every tile of each zoom once, p50/p99, sizes.
fn report(set: &TileSet) {
    let (mut count, mut bytes, mut largest) = (0usize, 0usize, (0usize, String::new()));
    for z in 0..=14u8 {
        let mut times = Vec::new();
        let (mut zc, mut zb) = (0usize, 0usize);
        for c in candidate_tiles(set, z) {
            let t = Instant::now();
            let tile = set.tile(c).ok().flatten();
            times.push(t.elapsed());
            if let Some(tile) = tile {
                zc += 1;
                zb += tile.len();
                if tile.len() > largest.0 {
                    largest = (tile.len(), c.to_string());
                }
            }
        }
        times.sort();
        if !times.is_empty() {
            println!(
                "z{z:>2}: {zc:>4} tiles {zb:>8} bytes; cold tile p50 {:?} p99 {:?} max {:?}",
                percentile(&times, 0.5),
                percentile(&times, 0.99),
                times[times.len() - 1]
            );
        }
        count += zc;
        bytes += zb;
    }
    println!(
        "z0-14: {count} tiles, {bytes} bytes; largest {} bytes at {}",
        largest.0, largest.1
    );
}

fn bench(c: &mut Criterion) {
    let Some(layers) = london() else { return };
    let t = Instant::now();
    let set = TileSet::build(layers.clone(), TileOptions::default()).expect("build");
    println!("build: {:?}", t.elapsed());
    report(&set);

    let mut g = c.benchmark_group("tiles");
    g.sample_size(10);
    g.bench_function("build_london", |b| {
        b.iter(|| TileSet::build(layers.clone(), TileOptions::default()).expect("build"))
    });
    for z in [10u8, 12, 14] {
        // A sample of real tiles, cut in turn (nothing is cached).
        let tiles: Vec<_> = candidate_tiles(&set, z)
            .into_iter()
            .step_by(7)
            .take(32)
            .collect();
        let mut i = 0;
        g.bench_function(format!("cold_tile_z{z}"), |b| {
            b.iter(|| {
                i = (i + 1) % tiles.len();
                set.tile(tiles[i]).expect("tile")
            })
        });
    }
    g.finish();

    // Every tile z0-14, uncompressed, for the gzip comparison.
    let raw: Vec<Vec<u8>> = (0..=14u8)
        .flat_map(|z| candidate_tiles(&set, z))
        .filter_map(|c| set.tile(c).ok().flatten())
        .collect();
    let zlib_rs = |t: &[u8]| {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(4));
        e.write_all(t).and_then(|_| e.finish()).expect("gzip")
    };
    let total = |f: &dyn Fn(&[u8]) -> Vec<u8>| raw.iter().map(|t| f(t).len()).sum::<usize>();
    println!(
        "gzip of {} tiles ({} bytes): dxmap {} bytes, zlib-rs level 4 {} bytes",
        raw.len(),
        raw.iter().map(Vec::len).sum::<usize>(),
        total(&|t| dxmap::tiles::gzip(t).expect("gzip")),
        total(&zlib_rs)
    );
    let mut g = c.benchmark_group("gzip");
    g.sample_size(10);
    g.bench_function("all_tiles_dxmap", |b| {
        b.iter(|| {
            raw.iter()
                .map(|t| dxmap::tiles::gzip(t).expect("gzip").len())
                .sum::<usize>()
        })
    });
    g.bench_function("all_tiles_zlib_rs_level4", |b| {
        b.iter(|| raw.iter().map(|t| zlib_rs(t).len()).sum::<usize>())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
