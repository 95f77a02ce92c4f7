//! Every shipped example project is scored by a shipped methodology with no
//! edits: each pair below is built from `../shared/data` and scored, and
//! must give an index to most of its areas. A methodology whose columns an
//! example does not build fails here, naming every missing column at once.

mod common;

use std::path::PathBuf;
use std::sync::Arc;

use dxmap::ingest::{BuildOptions, Project, build};
use dxmap::score::{IndexStatus, ScoreOptions, ScoredDataset};

fn repo(p: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(p)
}

/// Example project, the methodologies that score it, and the least share
/// of its areas that must get an index (the rest are insufficient data,
/// reported with their missing inputs).
const PAIRS: &[(&str, &[&str], f64)] = &[
    ("examples/london.toml", &["methodology/london.toml"], 0.95),
    (
        // Welsh LSOAs have no IoD 2019 values: 1,909 of 34,753.
        "examples/england-wales.toml",
        &["methodology/england-wales-2011.toml"],
        0.94,
    ),
    (
        "examples/london-2021.toml",
        &[
            "methodology/dxmap-2025-london.toml",
            "methodology/dxmap-2025.toml",
        ],
        0.99,
    ),
    (
        // IoD 2025 covers England only: the 1,917 Welsh LSOAs are
        // insufficient data under dxmap-2025.toml.
        "examples/england-wales-2021.toml",
        &["methodology/dxmap-2025.toml"],
        0.94,
    ),
];

#[test]
fn every_example_is_scored_by_a_shipped_methodology() {
    if common::shared_data("every_example_is_scored_by_a_shipped_methodology").is_none() {
        return;
    }
    // Every example in examples/ is listed, so a new one needs a methodology.
    let mut listed: Vec<&str> = PAIRS.iter().map(|p| p.0).collect();
    listed.sort();
    let mut on_disk: Vec<String> = std::fs::read_dir(repo("examples"))
        .expect("examples/")
        .map(|e| format!("examples/{}", e.unwrap().file_name().to_string_lossy()))
        .filter(|n| n.ends_with(".toml"))
        .collect();
    on_disk.sort();
    assert_eq!(listed, on_disk, "PAIRS must list every example project");

    let opts = ScoreOptions {
        sensitivity_draws: Some(0),
        ..ScoreOptions::default()
    };
    for &(example, methods, min_scored) in PAIRS {
        let project = Project::load(&repo(example)).unwrap_or_else(|e| panic!("{example}: {e}"));
        let built =
            build(&project, &BuildOptions::default()).unwrap_or_else(|e| panic!("{example}: {e}"));
        let dataset = Arc::new(built.dataset);
        for method in methods {
            let m = dxmap::methodology_file::load(&repo(method))
                .unwrap_or_else(|e| panic!("{method} on {example}: {e}"));
            let scored = ScoredDataset::new(dataset.clone(), Arc::new(m), &opts)
                .unwrap_or_else(|e| panic!("{method} on {example}: {e}"));
            let n = dataset.len();
            let ok = (0..n)
                .filter(|&a| scored.scores.status_of(a) == IndexStatus::Ok)
                .count();
            println!("{example} with {method}: {ok} of {n} areas have an index");
            assert!(
                ok as f64 >= min_scored * n as f64,
                "{method} on {example}: only {ok} of {n} areas have an index"
            );
            // Areas without one say why.
            for a in (0..n).filter(|&a| scored.scores.status_of(a) == IndexStatus::InsufficientData)
            {
                assert!(
                    scored.insufficiency(a).is_some(),
                    "{method} on {example}: {} has no index and no reason",
                    dataset.areas[a].code
                );
            }
        }
    }
}
