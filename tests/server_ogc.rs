//! OGC API – Tiles under `/ogc` (docs/API.md): the documents' shape (the
//! conformance classes, links with `rel` and `type` that all resolve),
//! tiles that are the bytes `/tiles` serves, JSON 404s out of range, links
//! built from Host with `Vary: Host`, and GDAL against a real server on
//! 127.0.0.1: its OGC API driver (`ogrinfo OGCAPI:…`) lists the collection,
//! and its tile matrix set reader reads `WebMercatorQuad`.

mod common;
mod fixtures;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use dxmap::score::{Methodology, ScoreOptions, ScoredDataset};
use dxmap::server::{AppState, Served, ServerConfig, router};
use dxmap::tiles::TileOptions;
use serde_json::Value;

use common::oneshot::{Resp, send};

const COLS: usize = 8;
const ROWS: usize = 6;
/// The host the router tests send, so links read `http://{HOST}/ogc/…`.
const HOST: &str = "tiles.test:8080";

fn served() -> Served {
    let ds = fixtures::grid(COLS, ROWS, "Grid");
    let m = Arc::new(Methodology::parse(fixtures::METHODOLOGY, "m.toml").unwrap());
    let scored = ScoredDataset::new(Arc::new(ds), m, &ScoreOptions::default()).unwrap();
    Served::build(scored, TileOptions::default(), 8 << 20).unwrap()
}

fn app_with(config: ServerConfig) -> Router {
    router(AppState::new(served(), config))
}

async fn get_with(app: &Router, uri: &str, headers: &[(&str, &str)]) -> Resp {
    let mut b = Request::get(uri);
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
        b = b.header(header::HOST, HOST);
    }
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    send(app, b.body(Body::empty()).unwrap()).await
}

async fn get(app: &Router, uri: &str) -> Resp {
    get_with(app, uri, &[]).await
}

/// A 200 JSON document.
async fn doc(app: &Router, uri: &str) -> Value {
    let r = get(app, uri).await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{uri}: {}",
        String::from_utf8_lossy(&r.body)
    );
    assert_eq!(
        r.header_all(header::CONTENT_TYPE),
        "application/json",
        "{uri}"
    );
    r.json()
}

/// The path of an absolute link on [`HOST`].
fn path_of(href: &str) -> String {
    href.strip_prefix(&format!("http://{HOST}"))
        .unwrap_or_else(|| panic!("{href} is not on http://{HOST}"))
        .to_string()
}

/// Every link of `v` (at any depth): each has `href`, `rel` and `type`.
fn links(v: &Value, out: &mut Vec<Value>) {
    match v {
        Value::Object(m) => {
            if let Some(Value::Array(ls)) = m.get("links") {
                for l in ls {
                    for k in ["href", "rel", "type"] {
                        assert!(l[k].is_string(), "link without {k}: {l}");
                    }
                    out.push(l.clone());
                }
            }
            m.values().for_each(|x| links(x, out));
        }
        Value::Array(a) => a.iter().for_each(|x| links(x, out)),
        _ => {}
    }
}

/// The served zooms and the first tile of the tileset's limits at each.
async fn limits(app: &Router) -> Vec<(u32, u32, u32, u32, u32)> {
    let ts = doc(app, "/ogc/collections/dxmap/tiles/WebMercatorQuad").await;
    ts["tileMatrixSetLimits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            let n = |k: &str| l[k].as_u64().unwrap() as u32;
            let z: u32 = l["tileMatrix"].as_str().unwrap().parse().unwrap();
            (
                z,
                n("minTileRow"),
                n("maxTileRow"),
                n("minTileCol"),
                n("maxTileCol"),
            )
        })
        .collect()
}

#[tokio::test]
async fn the_documents_list_the_conformance_classes_and_every_link_resolves() {
    let app = app_with(ServerConfig::default());
    let landing = doc(&app, "/ogc").await;
    let rels: BTreeSet<&str> = landing["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["rel"].as_str().unwrap())
        .collect();
    for rel in ["self", "conformance", "data"] {
        assert!(
            rels.contains(rel),
            "landing page lacks rel {rel}: {landing}"
        );
    }
    let conf = doc(&app, "/ogc/conformance?f=json").await;
    let classes: Vec<&str> = conf["conformsTo"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    for c in [
        "http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/core",
        "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
        "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset",
        "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tilesets-list",
        "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/geodata-tilesets",
        "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt",
    ] {
        assert!(classes.contains(&c), "{c} not listed: {conf}");
    }

    // The collection's extent is the data's, and its zooms are TileJSON's.
    let tj = doc(&app, "/tiles.json").await;
    let cols = doc(&app, "/ogc/collections").await;
    let list = cols["collections"].as_array().unwrap();
    assert_eq!(list.len(), 1, "{cols}");
    assert_eq!(list[0]["id"], "dxmap");
    assert_eq!(list[0]["extent"]["spatial"]["bbox"][0], tj["bounds"]);
    assert_eq!(doc(&app, "/ogc/collections/dxmap").await, list[0]);
    let zooms: Vec<u32> = limits(&app).await.iter().map(|l| l.0).collect();
    let (min, max) = (
        tj["minzoom"].as_u64().unwrap(),
        tj["maxzoom"].as_u64().unwrap(),
    );
    assert_eq!(zooms, (min as u32..=max as u32).collect::<Vec<_>>());
    let tms = doc(&app, "/ogc/tileMatrixSets/WebMercatorQuad").await;
    assert_eq!(tms["crs"], "http://www.opengis.net/def/crs/EPSG/0/3857");
    assert_eq!(tms["tileMatrices"].as_array().unwrap().len(), 25);

    // Walk every link from the landing page; each JSON one is a 200 JSON
    // document, the tile template gives a tile.
    let (z, row, _, col, _) = limits(&app).await[0];
    let mut todo = vec!["/ogc".to_string()];
    let mut seen = BTreeSet::new();
    let mut tiles = 0;
    while let Some(path) = todo.pop() {
        if !seen.insert(path.clone()) {
            continue;
        }
        let mut found = Vec::new();
        links(&doc(&app, &path).await, &mut found);
        for l in found {
            let href = path_of(l["href"].as_str().unwrap());
            match l["type"].as_str().unwrap() {
                "application/json" => todo.push(href),
                "application/vnd.mapbox-vector-tile" => {
                    assert_eq!(l["rel"], "item");
                    let url = href
                        .replace("{tileMatrix}", &z.to_string())
                        .replace("{tileRow}", &row.to_string())
                        .replace("{tileCol}", &col.to_string());
                    let r = get(&app, &url).await;
                    assert!(
                        r.status == StatusCode::OK || r.status == StatusCode::NO_CONTENT,
                        "{url}: {}",
                        r.status
                    );
                    tiles += 1;
                }
                t => panic!("{href}: unexpected type {t}"),
            }
        }
    }
    for p in [
        "/ogc/conformance",
        "/ogc/collections",
        "/ogc/collections/dxmap",
        "/ogc/collections/dxmap/tiles",
        "/ogc/collections/dxmap/tiles/WebMercatorQuad",
        "/ogc/tileMatrixSets",
        "/ogc/tileMatrixSets/WebMercatorQuad",
    ] {
        assert!(seen.contains(p), "no link leads to {p}: {seen:?}");
    }
    assert!(tiles > 0, "no tile template link");
}

#[tokio::test]
async fn ogc_tiles_are_the_bytes_of_the_tiles_route() {
    let app = app_with(ServerConfig::default());
    let mut compared = 0;
    for (z, r0, r1, c0, c1) in limits(&app).await {
        if (r1 - r0 + 1) * (c1 - c0 + 1) > 16 {
            continue;
        }
        for row in r0..=r1 {
            for col in c0..=c1 {
                let ogc = format!("/ogc/collections/dxmap/tiles/WebMercatorQuad/{z}/{row}/{col}");
                let xyz = format!("/tiles/{z}/{col}/{row}.mvt");
                for enc in ["identity", "gzip"] {
                    let h = [("accept-encoding", enc)];
                    let (a, b) = (
                        get_with(&app, &ogc, &h).await,
                        get_with(&app, &xyz, &h).await,
                    );
                    assert_eq!(a.status, b.status, "{ogc} {enc}");
                    assert_eq!(a.body, b.body, "{ogc} {enc}");
                    assert_eq!(
                        a.header_all(header::ETAG),
                        b.header_all(header::ETAG),
                        "{ogc}"
                    );
                    assert_eq!(
                        a.header_all(header::CONTENT_TYPE),
                        b.header_all(header::CONTENT_TYPE)
                    );
                    if a.status == StatusCode::OK {
                        compared += 1;
                        // The same ETag answers 304 on either route.
                        let etag = a.header_all(header::ETAG);
                        let h = [("accept-encoding", enc), ("if-none-match", etag.as_str())];
                        let c = get_with(&app, &ogc, &h).await;
                        assert_eq!(c.status, StatusCode::NOT_MODIFIED, "{ogc}");
                    }
                }
            }
        }
    }
    assert!(compared >= 10, "only {compared} tiles compared");
}

#[tokio::test]
async fn out_of_range_tiles_and_unknown_ids_are_json_404s() {
    let app = app_with(ServerConfig::default());
    let lim = limits(&app).await;
    let (z, r0, r1, c0, c1) = lim[lim.len() - 1];
    let max = lim.iter().map(|l| l.0).max().unwrap();
    let base = "/ogc/collections/dxmap/tiles/WebMercatorQuad";
    let mut not_found = vec![
        format!("{base}/{}/0/0", max + 1),
        format!("{base}/99/0/0"),
        format!("{base}/{z}/{}/{c0}", r1 + 1),
        format!("{base}/{z}/{r0}/{}", c1 + 1),
        format!("{base}/{z}/{}/{c0}", 1u64 << z),
        format!("{base}/{z}/{r0}/99999999999"),
        format!("{base}/{z}/-1/{c0}"),
        format!("{base}/0{z}/{r0}/{c0}"),
        format!("{base}/abc/{r0}/{c0}"),
        format!("/ogc/collections/dxmap/tiles/WorldCRS84Quad/{z}/{r0}/{c0}"),
        format!("/ogc/collections/other/tiles/WebMercatorQuad/{z}/{r0}/{c0}"),
        "/ogc/collections/other".into(),
        "/ogc/collections/other/tiles".into(),
        "/ogc/collections/dxmap/tiles/WorldCRS84Quad".into(),
        "/ogc/tileMatrixSets/WorldCRS84Quad".into(),
    ];
    if r0 > 0 {
        not_found.push(format!("{base}/{z}/{}/{c0}", r0 - 1));
    }
    for uri in not_found {
        let r = get(&app, &uri).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{uri}");
        assert_eq!(
            r.header_all(header::CONTENT_TYPE),
            "application/json",
            "{uri}"
        );
        assert!(r.json()["error"].is_string(), "{uri}");
    }
    for uri in [
        "/ogc?f=html",
        "/ogc/collections?f=xml",
        &format!("{base}/{z}/{r0}/{c0}?f=json"),
    ] {
        let r = get(&app, uri).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{uri}");
        assert!(r.json()["error"].as_str().unwrap().contains("f="), "{uri}");
    }
    let ok = get(&app, &format!("{base}/{z}/{r0}/{c0}?f=mvt")).await;
    assert!(ok.status.is_success(), "f=mvt: {}", ok.status);
}

#[tokio::test]
async fn links_follow_the_host_and_vary_on_it_unless_a_public_url_is_set() {
    let app = app_with(ServerConfig::default());
    let r = get_with(&app, "/ogc/collections", &[("x-forwarded-proto", "https")]).await;
    assert!(
        r.header_all(header::VARY).contains("Host"),
        "{:?}",
        r.headers
    );
    let mut found = Vec::new();
    links(&r.json(), &mut found);
    for l in &found {
        let href = l["href"].as_str().unwrap();
        assert!(href.starts_with(&format!("https://{HOST}/ogc/")), "{href}");
    }
    let bad = get_with(&app, "/ogc", &[("host", "a b")]).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);

    let app = app_with(ServerConfig {
        public_url: Some("https://maps.example.org/".into()),
        ..ServerConfig::default()
    });
    let r = get(&app, "/ogc/collections/dxmap/tiles/WebMercatorQuad").await;
    assert!(
        !r.header_all(header::VARY).contains("Host"),
        "{:?}",
        r.headers
    );
    let mut found = Vec::new();
    links(&r.json(), &mut found);
    assert!(!found.is_empty());
    for l in &found {
        let href = l["href"].as_str().unwrap();
        assert!(href.starts_with("https://maps.example.org/ogc/"), "{href}");
    }
}

/// Runs a GDAL tool with `args`; its stdout, or a panic with its stderr.
fn gdal(tool: &str, args: &[String]) -> String {
    let out = std::process::Command::new(tool)
        .args(args)
        .env("GDAL_HTTP_TIMEOUT", "60")
        .output()
        .unwrap_or_else(|e| panic!("{tool}: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success() && !stderr.contains("ERROR"),
        "{tool} {args:?}: {}\n{stdout}\n{stderr}",
        out.status
    );
    stdout
}

/// GDAL against a real server: its `OGCAPI` driver follows the landing
/// page's links and lists the collection as a subdataset, and GDAL's own
/// tile matrix set reader takes `/ogc/tileMatrixSets/WebMercatorQuad` as a
/// COG tiling scheme (it refuses a document it cannot read: "Invalid
/// tiling matrix set name").
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gdal_lists_the_collection_and_reads_the_tile_matrix_set() {
    const TEST: &str = "gdal_lists_the_collection_and_reads_the_tile_matrix_set";
    if !["ogrinfo", "gdal_create", "gdal_translate"]
        .iter()
        .all(|t| common::has_command(t))
    {
        common::skip_for_tool(
            TEST,
            "GDAL's ogrinfo, gdal_create or gdal_translate is not installed",
        );
        return;
    }
    let state = AppState::new(served(), ServerConfig::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(dxmap::server::serve(listener, state, async {
        let _ = rx.await;
    }));
    let base = format!("http://{addr}/ogc");
    let collection = format!("{base}/collections/dxmap");
    let tms = http_json(&format!("{base}/tileMatrixSets/WebMercatorQuad")).await;
    let dir = tempfile::tempdir().unwrap();
    let tms_file = dir.path().join("tms.json");
    std::fs::write(&tms_file, tms.to_string()).unwrap();
    tokio::task::spawn_blocking(move || {
        let listing = gdal(
            "ogrinfo",
            &["-ro".into(), "-mdd".into(), "SUBDATASETS".into(), format!("OGCAPI:{base}")],
        );
        assert!(
            listing.contains(&format!("SUBDATASET_1_NAME=OGCAPI:{collection}")),
            "{listing}"
        );
        let src = dir.path().join("in.tif");
        let cog = dir.path().join("out.tif");
        let p = |p: &std::path::Path| p.display().to_string();
        let args = "-of GTiff -outsize 16 16 -bands 1 -a_srs EPSG:3857 -a_ullr -13358 6720955 -4452 6710219";
        let mut a: Vec<String> = args.split(' ').map(String::from).collect();
        a.push(p(&src));
        gdal("gdal_create", &a);
        gdal(
            "gdal_translate",
            &[
                "-q".into(),
                "-of".into(),
                "COG".into(),
                "-co".into(),
                format!("TILING_SCHEME={}", p(&tms_file)),
                p(&src),
                p(&cog),
            ],
        );
        assert!(cog.is_file(), "no COG written");
    })
    .await
    .unwrap();
    tx.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .expect("graceful shutdown")
        .unwrap()
        .unwrap();
}

/// A JSON document over a plain socket, as HTTP/1.0 so that the body is
/// neither chunked nor kept alive: it ends when the server closes.
async fn http_json(url: &str) -> Value {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_at(rest.find('/').unwrap());
    let mut s = tokio::net::TcpStream::connect(host).await.unwrap();
    let req = format!("GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.unwrap();
    let text = String::from_utf8(buf).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    assert_eq!(head.split(' ').nth(1), Some("200"), "{url}: {head}");
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{url}: {e}: {body}"))
}
