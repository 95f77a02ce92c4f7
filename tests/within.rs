//! "Score nationally, map locally": `--within` and `--scope` on `dxmap score`,
//! `export` and `serve`, on the England and Wales dataset built from
//! `../shared/data` (`examples/england-wales.toml`, LSOA 2011) with the
//! shipped methodology `methodology/england-wales-2011.toml`.
//! The selected areas must carry exactly the scores of the whole run: in the
//! library (every score compared by its bits) and in the files (every field
//! of every selected row the same text as in the national file).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, OnceLock};

use dxmap::dataset::Dataset;
use dxmap::export::{self, Cells, Level};
use dxmap::ingest::{BuildOptions, Project, build};
use dxmap::score::{ScoreOptions, ScoredDataset};
use dxmap::select::{self, Within};

const LEEDS: &str = "E08000035";

fn repo(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(p)
}

fn methodology() -> PathBuf {
    repo("methodology/england-wales-2011.toml")
}

/// The England and Wales dataset, built once for the file's tests.
fn national(test: &str) -> Option<&'static Dataset> {
    common::shared_data(test)?;
    static D: OnceLock<Dataset> = OnceLock::new();
    Some(D.get_or_init(|| {
        let project = Project::load(&repo("examples/england-wales.toml")).expect("project");
        build(&project, &BuildOptions::default())
            .expect("build")
            .dataset
    }))
}

/// The dataset written as an artifact in `dir`, for the binary.
fn artifact(ds: &Dataset, dir: &Path) -> String {
    let path = dir.join("ew.dxds");
    ds.write(&path).expect("write artifact");
    path.to_string_lossy().into_owned()
}

fn dxmap(args: &[&str]) -> std::process::Output {
    Command::new(common::dxmap_bin())
        .arg("--quiet")
        .args(args)
        .output()
        .expect("run dxmap")
}

fn ok(args: &[&str]) {
    let out = dxmap(args);
    assert!(
        out.status.success(),
        "dxmap {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn selected_scores_are_the_national_scores_bit_for_bit() {
    let Some(ds) = national("selected_scores_are_the_national_scores_bit_for_bit") else {
        return;
    };
    let m = Arc::new(dxmap::methodology_file::load(&methodology()).expect("methodology"));
    let opts = ScoreOptions {
        sensitivity_draws: Some(50),
        ..ScoreOptions::default()
    };
    let full = ScoredDataset::new(Arc::new(ds.clone()), m, &opts).expect("score");
    let sel = select::resolve(&LEEDS.parse::<Within>().unwrap(), ds).expect("leeds");
    assert!(sel.len() > 400, "Leeds has {} LSOAs", sel.len());
    let cut = select::restrict(&full, &sel);
    let bits = |v: Option<f64>| v.map(f64::to_bits);
    for (k, &i) in sel.areas.iter().enumerate() {
        assert_eq!(cut.dataset.areas[k].code, full.dataset.areas[i].code);
        assert_eq!(
            bits(cut.scores.index.get(k)),
            bits(full.scores.index.get(i))
        );
        assert_eq!(cut.scores.rank[k], full.scores.rank[i]);
        assert_eq!(cut.scores.decile[k], full.scores.decile[i]);
        for (a, b) in cut.scores.components.iter().zip(&full.scores.components) {
            assert_eq!(bits(a.score.get(k)), bits(b.score.get(i)), "{:?}", a.id);
        }
        for (a, b) in cut.scores.indicators.iter().zip(&full.scores.indicators) {
            assert_eq!(bits(a.score.get(k)), bits(b.score.get(i)), "{:?}", a.id);
        }
        assert_eq!(cut.scores.drivers.get(k), full.scores.drivers.get(i));
        let (s, t) = (
            cut.scores.sensitivity.as_ref().unwrap(),
            full.scores.sensitivity.as_ref().unwrap(),
        );
        assert_eq!(bits(s.p_top_decile[k]), bits(t.p_top_decile[i]));
        assert_eq!(bits(s.rank_p05[k]), bits(t.rank_p05[i]));
    }
    // The table: the national rows, bit for bit, plus the ranks within.
    let national = export::table(&full, Level::Lsoa).expect("table");
    let within =
        select::select_table(export::table(&full, Level::Lsoa).unwrap(), ds, &sel).expect("cut");
    assert_eq!(within.len(), sel.len());
    for col in &national.columns {
        let w = within.column(&col.name).expect("same column");
        for (k, &i) in sel.areas.iter().enumerate() {
            assert!(
                same_cell(&w.cells, k, &col.cells, i),
                "{}: row {k}",
                col.name
            );
        }
    }
    let Some(Cells::Int(rw)) = within.column("rank_within").map(|c| &c.cells) else {
        panic!("rank_within");
    };
    let mut ranks: Vec<i64> = rw.iter().flatten().copied().collect();
    ranks.sort_unstable();
    assert_eq!(ranks, (1..=ranks.len() as i64).collect::<Vec<_>>());
}

/// Cell `k` of `a` is cell `i` of `b`, numbers compared by their bits.
fn same_cell(a: &Cells, k: usize, b: &Cells, i: usize) -> bool {
    match (a, b) {
        (Cells::Num { values: x, .. }, Cells::Num { values: y, .. }) => {
            x[k].map(f64::to_bits) == y[i].map(f64::to_bits)
        }
        (Cells::Text(x), Cells::Text(y)) => x[k] == y[i],
        (Cells::Int(x), Cells::Int(y)) => x[k] == y[i],
        (Cells::Bool(x), Cells::Bool(y)) => x[k] == y[i],
        _ => false,
    }
}

#[test]
fn score_within_writes_the_national_rows() {
    let Some(ds) = national("score_within_writes_the_national_rows") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let a = &artifact(ds, dir.path());
    let (nat, leeds) = (dir.path().join("nat.csv"), dir.path().join("leeds.csv"));
    let m = methodology();
    let m = m.to_str().unwrap();
    ok(&[
        "score",
        "--dataset",
        a,
        "--methodology",
        m,
        "--out",
        nat.to_str().unwrap(),
    ]);
    ok(&[
        "score",
        "--dataset",
        a,
        "--methodology",
        m,
        "--within",
        LEEDS,
        "--out",
        leeds.to_str().unwrap(),
    ]);
    let common::csv::Rows {
        header: nh,
        rows: nrows,
    } = common::csv::Rows::read(&nat);
    let common::csv::Rows {
        header: lh,
        rows: lrows,
    } = common::csv::Rows::read(&leeds);
    assert!(lh.contains(&"rank_within".to_string()) && lh.contains(&"decile_within".to_string()));
    assert!(lrows.len() > 400);
    let top = lrows
        .values()
        .filter(|r| r[lh.iter().position(|h| h == "decile").unwrap()] == "10")
        .count();
    println!(
        "Leeds LSOAs in the top decile of their nation: {top} of {}",
        lrows.len()
    );
    for (code, row) in &lrows {
        let n = &nrows[code];
        for (k, name) in nh.iter().enumerate() {
            let j = lh.iter().position(|h| h == name).expect("column kept");
            assert_eq!(row[j], n[k], "{code}: {name}");
        }
        assert_eq!(
            row[lh.iter().position(|h| h == "borough_code").unwrap()],
            LEEDS
        );
    }

    // The selection as a polygon file: five Leeds LSOAs exported as GeoJSON
    // and read back as --within picks exactly those five.
    let codes: Vec<&String> = {
        let mut c: Vec<&String> = lrows.keys().collect();
        c.sort();
        c.into_iter().step_by(97).take(5).collect()
    };
    let list = codes
        .iter()
        .map(|c| c.as_str())
        .collect::<Vec<_>>()
        .join(",");
    let poly = dir.path().join("five.geojson");
    ok(&[
        "score",
        "--dataset",
        a,
        "--methodology",
        m,
        "--within",
        &list,
        "--out",
        poly.to_str().unwrap(),
        "--sensitivity-draws",
        "0",
    ]);
    let again = dir.path().join("again.csv");
    ok(&[
        "score",
        "--dataset",
        a,
        "--methodology",
        m,
        "--within",
        poly.to_str().unwrap(),
        "--out",
        again.to_str().unwrap(),
        "--sensitivity-draws",
        "0",
    ]);
    let rows = common::csv::Rows::read(&again).rows;
    let mut got: Vec<&String> = rows.keys().collect();
    got.sort();
    assert_eq!(got, codes);

    // --scope local_authority: the national rank is the rank within Leeds.
    let la = dir.path().join("la.csv");
    ok(&[
        "export",
        "csv",
        "--dataset",
        a,
        "--methodology",
        m,
        "--scope",
        "local_authority",
        "--within",
        LEEDS,
        "--out",
        la.to_str().unwrap(),
        "--sensitivity-draws",
        "0",
    ]);
    let la = common::csv::Rows::read(&la);
    let (r, rw) = (la.col("rank"), la.col("rank_within"));
    assert!(la.rows.values().all(|row| row[r] == row[rw]));
}

#[test]
fn bad_selections_are_named() {
    let Some(ds) = national("bad_selections_are_named") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.csv");
    let a = &artifact(ds, dir.path());
    // serve resolves --within before it listens: a bad code stops it.
    let o = dxmap(&[
        "serve",
        "--dataset",
        a,
        "--methodology",
        methodology().to_str().unwrap(),
        "--within",
        "E08000099",
        "--addr",
        "127.0.0.1:0",
        "--no-prewarm",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("'E08000099'"));
    let m = methodology();
    let run = |within: &str| {
        let o = dxmap(&[
            "score",
            "--dataset",
            a,
            "--methodology",
            m.to_str().unwrap(),
            "--within",
            within,
            "--out",
            out.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(2), "{within}");
        String::from_utf8_lossy(&o.stderr).to_string()
    };
    let e = run("E08000035,E08000099");
    assert!(
        e.contains("'E08000099'") && e.contains("nearest: E08000009"),
        "{e}"
    );
    let e = run("Leeds");
    assert!(e.contains("nearest: E08000035 (Leeds)"), "{e}");
    let sea = dir.path().join("sea.geojson");
    std::fs::write(
        &sea,
        r#"{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[-30,40],[-29,40],[-29,41],[-30,41],[-30,40]]]}}"#,
    )
    .unwrap();
    let e = run(sea.to_str().unwrap());
    assert!(
        e.contains("sea.geojson") && e.contains("no area's label point"),
        "{e}"
    );
    let bad = dir.path().join("bad.geojson");
    std::fs::write(
        &bad,
        r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[-1.6,53.8],[-1.5,53.8],[-1.5,53.9],[-1.6,53.9],[-1.6,53.8]]]}},{"type":"Feature","properties":{},"geometry":{"type":"LineString","coordinates":[[0,0],[1,1]]}}]}"#,
    )
    .unwrap();
    let e = run(bad.to_str().unwrap());
    assert!(e.contains("bad.geojson") && e.contains("feature 1"), "{e}");
    assert!(!out.exists(), "no output after an error");
}

/// `serve --within`: the server holds the selected areas only, with their
/// national index and rank; others are not found.
#[tokio::test(flavor = "multi_thread")]
async fn served_selection_keeps_national_scores() {
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use dxmap::server::{AppState, Served, ServerConfig, router};
    use tower::ServiceExt;

    let Some(ds) = national("served_selection_keeps_national_scores") else {
        return;
    };
    let m = Arc::new(dxmap::methodology_file::load(&methodology()).expect("methodology"));
    let full = ScoredDataset::new(Arc::new(ds.clone()), m, &ScoreOptions::default()).unwrap();
    let sel = select::resolve(&LEEDS.parse::<Within>().unwrap(), ds).unwrap();
    let cut = select::restrict(&full, &sel);
    let served = Served::build(cut, Default::default(), 1 << 20).expect("served");
    assert_eq!(served.dataset().len(), sel.len());
    let app = router(AppState::new(served, ServerConfig::default()));
    let get = |uri: String| {
        let app = app.clone();
        async move {
            let res = app
                .oneshot(Request::get(uri).body(Body::empty()).unwrap())
                .await
                .unwrap();
            let status = res.status();
            let body = axum::body::to_bytes(res.into_body(), usize::MAX)
                .await
                .unwrap();
            (status, body)
        }
    };
    let i = sel.areas[sel.len() / 2];
    let code = ds.areas[i].code.as_str();
    let (status, body) = get(format!("/api/areas/{code}")).await;
    assert_eq!(status, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        v["rank"].as_u64(),
        full.scores.rank[i].map(u64::from),
        "{v}"
    );
    // "rank r of N": N is the whole run's count for the area's scope group,
    // not the served part's (before, a Leeds area read "rank 16839 of 482").
    let m = &full.methodology;
    let groups = dxmap::score::groups(ds, &m.scope, &m.origin, "scope").unwrap();
    let g = groups.group_of[i].expect("in scope") as usize;
    let n = groups.groups[g]
        .iter()
        .filter(|&&j| full.scores.rank[j].is_some())
        .count();
    assert!(n > sel.len(), "the group is wider than the part served");
    assert_eq!(v["scope_group"]["ranked"].as_u64(), Some(n as u64), "{v}");
    assert!(v["rank"].as_u64().unwrap() <= n as u64);
    let outside = ds
        .areas
        .iter()
        .position(|a| a.borough_code() != Some(LEEDS))
        .unwrap();
    let (status, _) = get(format!("/api/areas/{}", ds.areas[outside].code)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
