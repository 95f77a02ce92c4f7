//! Tile engine timings on the real London LSOA 2011 polygons: building the
//! tile set, and cutting cold tiles (no cache: every call clips, quantises
//! and encodes) at z10, z12 and z14. Before the criterion groups it prints
//! its own p50/p99 over every tile of those zooms, tile counts and bytes for
//! z0–14 and the largest tile. Skips when ../shared/data is absent.

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
}

criterion_group!(benches, bench);
criterion_main!(benches);
