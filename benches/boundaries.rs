//! Boundary ingest timing: read + parse + reproject + repair of the real
//! London (4,835 LSOAs, 2.3 MB) and England & Wales (34,753 LSOAs, 32 MB
//! gzip-compressed) files from ../shared/data, and the parse step alone
//! from bytes already in memory. Skips with a printed line when the data is
//! absent.

use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};
use dxmap::ingest::boundaries::{BoundaryOptions, parse_geojson, read_boundaries};

fn data_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data/boundaries");
    if dir.is_dir() {
        Some(dir)
    } else {
        println!("skipped boundaries bench: ../shared/data is absent");
        None
    }
}

fn boundaries(c: &mut Criterion) {
    let Some(dir) = data_dir() else {
        return;
    };
    let opts = BoundaryOptions::default();
    let mut group = c.benchmark_group("boundaries");
    group.sample_size(10);
    for (name, file) in [
        ("london_lsoa11", "london_lsoa11.geojson"),
        ("ew_lsoa11_gz", "ew_lsoa11.geojson.gz"),
    ] {
        let path = dir.join(file);
        group.bench_function(format!("read_{name}"), |b| {
            b.iter(|| read_boundaries(&path, &opts).map(|b| b.features.len()))
        });
    }
    // geo's OGC validation over the same polygons, to compare with the
    // validity check inside read_boundaries.
    if let Ok(ew) = read_boundaries(&dir.join("ew_lsoa11.geojson.gz"), &opts) {
        group.bench_function("geo_validation_ew_lsoa11", |b| {
            b.iter(|| {
                ew.features
                    .iter()
                    .filter(|f| geo::Validation::is_valid(&f.geometry))
                    .count()
            })
        });
    }
    let london = dir.join("london_lsoa11.geojson");
    if let Ok(bytes) = std::fs::read(&london) {
        group.bench_function("parse_london_lsoa11_bytes", |b| {
            b.iter(|| parse_geojson(&bytes, &london, &opts).map(|b| b.features.len()))
        });
    }
    group.finish();
}

criterion_group!(benches, boundaries);
criterion_main!(benches);
