//! Export benchmarks on London: the 4,835 LSOAs built from examples/london.toml
//! (real open data in ../shared/data) and scored with methodology/london.toml.
//! GeoJSON (table + streamed write) and MBTiles z0–14 (cut, gzip, SQLite).
//! Prints a skip line and measures nothing when ../shared/data is absent.

use std::path::Path;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use dxmap::export::tiling::TileExportOptions;
use dxmap::export::{self, Level};
use dxmap::ingest::{self, BuildOptions, Project};
use dxmap::score::{self, ScoreOptions, ScoredDataset};

fn london() -> Option<ScoredDataset> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    if !root.join("../shared/data/SOURCES.md").is_file() {
        println!("skipped export benches: ../shared/data is absent");
        return None;
    }
    let project = Project::load(&root.join("examples/london.toml")).ok()?;
    let dataset = ingest::build(&project, &BuildOptions::default())
        .ok()?
        .dataset;
    let methodology = dxmap::methodology_file::load(&root.join("methodology/london.toml")).ok()?;
    let opts = ScoreOptions {
        sensitivity_draws: Some(200),
        ..ScoreOptions::default()
    };
    let scores = score::score(&dataset, &methodology, &opts).ok()?;
    Some(ScoredDataset {
        dataset: Arc::new(dataset),
        methodology: Arc::new(methodology),
        scores,
    })
}

fn benches(c: &mut Criterion) {
    let Some(scored) = london() else { return };
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut g = c.benchmark_group("export_london");
    g.sample_size(10);
    let gj = dir.path().join("london.geojson");
    g.bench_function("geojson_lsoa", |b| {
        b.iter(|| {
            let t = export::table(&scored, Level::Lsoa).expect("table");
            export::geojson::export_geojson(&t, &gj).expect("geojson");
        })
    });
    let csv = dir.path().join("london_ward.csv");
    g.bench_function("csv_ward_rollup", |b| {
        b.iter(|| {
            let t = export::table(&scored, Level::Ward).expect("table");
            export::csv::export_csv(&t, &csv).expect("csv");
        })
    });
    let mb = dir.path().join("london.mbtiles");
    g.bench_function("mbtiles_z0_14", |b| {
        b.iter(|| {
            export::mbtiles::export_mbtiles(&scored, TileExportOptions::default(), &mb)
                .expect("mbtiles")
        })
    });
    g.finish();
}

criterion_group!(export_benches, benches);
criterion_main!(export_benches);
