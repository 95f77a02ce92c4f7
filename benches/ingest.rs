//! Whole-build timing from the real files in ../shared/data: the LSOA 2011
//! London project (boundaries, ward lookup, ten tables, borough and ward
//! outlines; target under 1 s) and England and Wales project (34,753
//! boundaries, national tables and local-authority outlines; target under
//! 5 s), and their LSOA 2021 successors (London's 4,994 areas on the 20 m
//! boundaries with Ofcom coverage and derived columns, target under 0.5 s;
//! England and Wales' 35,672, target under 3 s). Also the London 2011 build
//! without outline layers, to show what dissolving costs.
//! Skips with a printed line when the data is absent.

use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};
use dxmap::ingest::{BuildOptions, Project, build};

fn project(name: &str) -> Option<Project> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    if !root.join("../shared/data/SOURCES.md").is_file() {
        println!("skipped ingest bench: ../shared/data is absent");
        return None;
    }
    match Project::load(&root.join("examples").join(name)) {
        Ok(p) => Some(p),
        Err(e) => {
            println!("skipped ingest bench {name}: {e}");
            None
        }
    }
}

fn ingest(c: &mut Criterion) {
    let opts = BuildOptions::default();
    let mut group = c.benchmark_group("ingest");
    group.sample_size(10);
    if let Some(london) = project("london.toml") {
        group.bench_function("build_london", |b| {
            b.iter(|| build(&london, &opts).map(|o| o.dataset.len()))
        });
        let mut bare = london.clone();
        bare.spec.layers = false;
        group.bench_function("build_london_no_layers", |b| {
            b.iter(|| build(&bare, &opts).map(|o| o.dataset.len()))
        });
    }
    if let Some(ew) = project("england-wales.toml") {
        group.bench_function("build_england_wales", |b| {
            b.iter(|| build(&ew, &opts).map(|o| o.dataset.len()))
        });
    }
    for (name, file) in [
        ("build_london_2021", "london-2021.toml"),
        ("build_england_wales_2021", "england-wales-2021.toml"),
    ] {
        if let Some(p) = project(file) {
            group.bench_function(name, |b| {
                b.iter(|| build(&p, &opts).map(|o| o.dataset.len()))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, ingest);
criterion_main!(benches);
