//! What the page re-weights and ranks with (issue #25, "One scoring"):
//! `/api/scores-exact` (unrounded scores and each area's scope group),
//! unrounded weights in `/api/methodology`, each area's scope group in its
//! detail, and each source column's unit. Router tests on the grid fixture,
//! scored in each scope.

mod common;
mod fixtures;

use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode;
use dxmap::score::{Methodology, ScoreOptions, ScoredDataset};
use dxmap::server::{AppState, Served, ServerConfig, router};
use dxmap::tiles::TileOptions;
use serde_json::Value;

use common::oneshot::get;

/// The fixture methodology in `scope` (a TOML value), with component
/// weights 1 and 2 (so normalised thirds, which 4 decimals cannot hold).
fn app(scope: &str) -> Router {
    let toml = fixtures::METHODOLOGY
        .replace("scope = \"all\"", &format!("scope = {scope}"))
        .replacen(
            "id = \"deprivation\"\nlabel = \"Deprivation\"\nweight = 1",
            "id = \"deprivation\"\nlabel = \"Deprivation\"\nweight = 2",
            1,
        );
    assert!(
        toml.contains("weight = 2"),
        "the fixture methodology changed"
    );
    let m = Methodology::parse(&format!("min_coverage = 0\n{toml}"), "test.toml").unwrap();
    let ds = fixtures::grid(8, 6, "Grid");
    let scored = ScoredDataset::new(Arc::new(ds), Arc::new(m), &ScoreOptions::default()).unwrap();
    let served = Served::build(scored, TileOptions::default(), 8 << 20).unwrap();
    router(AppState::new(served, ServerConfig::default()))
}

async fn json(app: &Router, uri: &str) -> Value {
    let r = get(app, uri).await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{uri}: {}",
        String::from_utf8_lossy(&r.body)
    );
    r.json()
}

fn round4(x: f64) -> f64 {
    (x * 1e4).round() / 1e4
}

#[tokio::test]
async fn exact_scores_are_the_rounded_ones_unrounded_aligned_by_code() {
    let app = app("\"all\"");
    let exact = json(&app, "/api/scores-exact").await;
    let scores = json(&app, "/api/scores").await;
    assert_eq!(exact["code"], scores["code"], "aligned with /api/scores");
    let n = scores["code"].as_array().unwrap().len();
    let fields: Vec<&String> = exact
        .as_object()
        .unwrap()
        .keys()
        .filter(|k| *k == "index" || k.starts_with("c_") || k.starts_with("i_"))
        .collect();
    assert!(
        fields.len() >= 5,
        "index, two components, two indicators: {fields:?}"
    );
    let mut finer = 0;
    for f in &fields {
        for a in 0..n {
            let (e, s) = (&exact[f.as_str()][a], &scores[f.as_str()][a]);
            match (e.as_f64(), s.as_f64()) {
                (Some(e), Some(s)) => {
                    assert_eq!(round4(e), s, "{f} of area {a}: {e} rounds to {s}");
                    finer += usize::from(e != s);
                }
                (None, None) => assert!(e.is_null() && s.is_null()),
                _ => panic!("{f} of area {a}: exact {e}, rounded {s}"),
            }
        }
    }
    assert!(finer > 0, "some score has more than 4 decimals");
    // One group, named; every area in it.
    assert_eq!(exact["scope"], "all");
    assert_eq!(exact["groups"], serde_json::json!(["all areas"]));
    assert!(exact["group"].as_array().unwrap().iter().all(|g| g == 0));
    assert_eq!(exact["group"].as_array().unwrap().len(), n);
}

#[tokio::test]
async fn methodology_weights_are_unrounded() {
    let app = app("\"all\"");
    let m = json(&app, "/api/methodology").await;
    let w: Vec<f64> = m["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["weight"].as_f64().unwrap())
        .collect();
    assert_eq!(w, vec![1.0 / 3.0, 2.0 / 3.0]);
    assert_eq!(m["rescale"], "none");
}

/// Ranks and deciles of `index` within `group`, by the documented rule
/// (1 = highest, ties to the earlier area; decile 10 − ⌊(rank − 1)·10/N⌋).
fn ranks_within(index: &[Option<f64>], group: &[Option<u64>]) -> Vec<Option<(u64, u64, usize)>> {
    let mut out = vec![None; index.len()];
    let mut keys: Vec<u64> = group.iter().flatten().copied().collect();
    keys.sort_unstable();
    keys.dedup();
    for g in keys {
        let mut members: Vec<(f64, usize)> = (0..index.len())
            .filter(|&a| group[a] == Some(g))
            .filter_map(|a| index[a].map(|v| (v, a)))
            .collect();
        members.sort_by(|x, y| y.0.total_cmp(&x.0).then(x.1.cmp(&y.1)));
        let n = members.len();
        for (r, &(_, a)) in members.iter().enumerate() {
            out[a] = Some((r as u64 + 1, 10 - (r as u64 * 10 / n as u64).min(9), n));
        }
    }
    out
}

#[tokio::test]
async fn local_authority_groups_are_the_boroughs_and_the_server_ranks_within_them() {
    let app = app("\"local_authority\"");
    let exact = json(&app, "/api/scores-exact").await;
    let scores = json(&app, "/api/scores").await;
    assert_eq!(exact["scope"], "local_authority");
    assert_eq!(
        exact["groups"],
        serde_json::json!(["areas in City of London", "areas in Barking and Dagenham"])
    );
    let group: Vec<Option<u64>> = exact["group"]
        .as_array()
        .unwrap()
        .iter()
        .map(Value::as_u64)
        .collect();
    let boroughs = scores["borough_code"].as_array().unwrap();
    for (a, g) in group.iter().enumerate() {
        let want = if boroughs[a] == "E09000001" { 0 } else { 1 };
        assert_eq!(*g, Some(want), "area {a}");
    }
    let index: Vec<Option<f64>> = exact["index"]
        .as_array()
        .unwrap()
        .iter()
        .map(Value::as_f64)
        .collect();
    let want = ranks_within(&index, &group);
    for (a, w) in want.iter().enumerate() {
        let got = scores["rank"][a].as_u64().zip(scores["decile"][a].as_u64());
        assert_eq!(got, w.map(|(r, d, _)| (r, d)), "area {a}");
    }
    // An area's detail names its group and the group's ranked areas.
    let d = json(&app, "/api/areas/E01000000").await;
    let (_, _, n) = want[0].unwrap();
    assert_eq!(
        d["scope_group"],
        serde_json::json!({"name": "areas in City of London", "ranked": n})
    );
    assert!(n < index.len(), "a borough, not the whole map");
}

#[tokio::test]
async fn areas_outside_a_custom_scope_have_no_group() {
    let app = app("{ codes = [\"E01000001\", \"E01000002\", \"E01000003\"] }");
    let exact = json(&app, "/api/scores-exact").await;
    let group = exact["group"].as_array().unwrap();
    let code = exact["code"].as_array().unwrap();
    for (c, g) in code.iter().zip(group) {
        let inside = ["E01000001", "E01000002", "E01000003"].contains(&c.as_str().unwrap());
        assert_eq!(g.as_u64(), inside.then_some(0), "{c}");
    }
    assert_eq!(exact["groups"].as_array().unwrap().len(), 1);
    let d = json(&app, "/api/areas/E01000009").await;
    assert!(d["scope_group"].is_null(), "outside the scope");
}
#[tokio::test]
async fn sources_carry_each_columns_unit_from_the_schema() {
    let app = app("\"all\"");
    let meta = json(&app, "/api/meta").await;
    let unit_of = |column: &str| {
        meta["fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == column)
            .map(|f| f["unit"].clone())
            .unwrap_or_else(|| panic!("no field {column}"))
    };
    let detail = json(&app, "/api/areas/E01000001").await;
    for body in [&meta, &detail] {
        let sources = body["sources"].as_array().unwrap();
        assert!(!sources.is_empty());
        for s in sources {
            let column = s["column"].as_str().unwrap();
            assert!(s["unit"].is_string(), "{column}: {s}");
            assert_eq!(s["unit"], unit_of(column), "{column}");
        }
    }
    // A rate column is a share: a unit the page can name, not "".
    let meta_sources = meta["sources"].as_array().unwrap();
    let rate = meta_sources.iter().find(|s| s["column"] == "aged_65_plus");
    assert!(
        rate.is_some_and(|s| s["unit"].as_str().is_some_and(|u| !u.is_empty())),
        "{rate:?}"
    );
}

#[tokio::test]
async fn areas_served_within_a_part_outside_a_custom_scope_have_no_group() {
    // Scored with a custom scope of three areas, then served `--within`
    // three others: the server still starts, and no served area has a group.
    let toml = fixtures::METHODOLOGY.replace(
        "scope = \"all\"",
        "scope = { codes = [\"E01000001\", \"E01000002\", \"E01000003\"] }",
    );
    let m = Methodology::parse(&format!("min_coverage = 0\n{toml}"), "test.toml").unwrap();
    let ds = fixtures::grid(8, 6, "Grid");
    let scored = ScoredDataset::new(Arc::new(ds), Arc::new(m), &ScoreOptions::default()).unwrap();
    let within = dxmap::select::Selection {
        areas: vec![10, 11, 12],
        within: "three areas".into(),
    };
    let served = Served::build(
        dxmap::select::restrict(&scored, &within),
        TileOptions::default(),
        8 << 20,
    )
    .expect("a served part outside the scope still serves");
    let app = router(AppState::new(served, ServerConfig::default()));
    let exact = json(&app, "/api/scores-exact").await;
    assert_eq!(exact["group"], serde_json::json!([null, null, null]));
    assert_eq!(exact["groups"], serde_json::json!([]));
}
