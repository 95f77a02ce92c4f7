//! The map as a directory of static files (`dxmap export site`).
//!
//! In: a [`Served`] generation and a destination directory. Out: a
//! directory any static web host can serve, at its root or under a
//! sub-path: the page and MapLibre as `/` serves them, every JSON body the
//! page reads at its path without the leading slash (`api/meta`,
//! `api/areas/<CODE>`, `tiles.json`, …), every non-empty tile from the
//! lowest to the highest zoom as uncompressed `tiles/{z}/{x}/{y}.mvt`, and
//! a `README.txt`. Each file is a GET through the server's own [`router`]
//! with no `Accept-Encoding`, so it holds the bytes `dxmap serve` sends;
//! two differ on purpose: `api/meta` says `"static": true`, and
//! `tiles.json` has a relative tile template, since the site's URL is not
//! known. The directory is written beside the destination under a
//! temporary name and renamed into place, so a failure leaves no
//! half-written site.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{Request, StatusCode, header};
use tokio::task::JoinSet;
use tower::ServiceExt;

use super::{AppState, Served, ServerConfig, assets, router};
use crate::file_checks::FileKind;
use crate::progress::Progress;
use crate::tiles::candidate_tiles;

/// The JSON bodies the page reads, besides one per area (`web/*.js`).
pub const API_PATHS: [&str; 8] = [
    "/api/meta",
    "/api/methodology",
    "/api/scores",
    "/api/scores-exact",
    "/api/key-groups",
    "/api/places/labels",
    "/api/places/wards",
    "/api/places/basemap",
];

/// The tile template of the site's `tiles.json`, relative to the page.
pub const TILE_TEMPLATE: &str = "tiles/{z}/{x}/{y}.mvt";

/// The `Host` the site's requests carry (the router needs one; no body the
/// site writes names it: `tiles.json` is written from
/// [`Served::tilejson`] with a relative template, not fetched).
const HOST: &str = "site.dxmap.invalid";

/// Requests in flight at once: enough to keep every core cutting tiles.
const IN_FLIGHT: usize = 16;

/// What [`write_site`] wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SiteStats {
    /// Files written, the README included.
    pub files: u64,
    /// Their bytes.
    pub bytes: u64,
    /// Tile files among them.
    pub tiles: u64,
}

/// Why a site could not be written.
#[derive(Debug, thiserror::Error)]
pub enum SiteError {
    /// The destination is refused before anything is written.
    #[error("{}: {why}", path.display())]
    Refused {
        /// The destination.
        path: PathBuf,
        /// What is wrong with it.
        why: String,
    },
    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The failure.
        #[source]
        source: io::Error,
    },
    /// The router did not answer a path with its body.
    #[error("GET {path}: status {status}: {body}")]
    Status {
        /// The request path.
        path: String,
        /// The status it answered.
        status: u16,
        /// The start of its body.
        body: String,
    },
    /// An area code that cannot name a file.
    #[error(
        "area {code}: the code cannot be a file name in a static site (only ASCII letters, digits, '-', '_' and '.', not first)"
    )]
    AreaCode {
        /// The code.
        code: String,
    },
    /// The runtime or a request task failed.
    #[error("{0}")]
    Runtime(String),
}

fn io_at(path: &Path) -> impl FnOnce(io::Error) -> SiteError + '_ {
    move |source| SiteError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Refuses a destination that exists and is not an empty directory (a
/// file, perhaps an input of the run, or a directory with something in it).
pub fn check_destination(out: &Path) -> Result<(), SiteError> {
    let refuse = |why: String| SiteError::Refused {
        path: out.to_path_buf(),
        why,
    };
    let meta = match fs::symlink_metadata(out) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io_at(out)(e)),
        Ok(m) => m,
    };
    if meta.file_type().is_symlink() {
        return Err(refuse(
            "is a symbolic link; refusing to replace it with a site (give a new or empty directory)"
                .into(),
        ));
    }
    let kind = FileKind::of(&meta);
    if kind != FileKind::Directory {
        return Err(refuse(format!(
            "is {}, not a directory; refusing to replace it with a site (give a new or empty directory)",
            kind.describe()
        )));
    }
    if fs::read_dir(out).map_err(io_at(out))?.next().is_some() {
        return Err(refuse(
            "is a directory that is not empty; refusing to write a site over it (give a new or empty directory)"
                .into(),
        ));
    }
    Ok(())
}

/// True when `code` can be a file name as it stands in a URL path.
fn file_safe(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= 255
        && !code.starts_with('.')
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

/// `/api/meta` with `"static": true` first, its other bytes as served.
fn static_meta(meta: &[u8]) -> Bytes {
    let rest = meta.strip_prefix(b"{").unwrap_or(meta);
    let sep: &[u8] = if rest.starts_with(b"}") { b"" } else { b"," };
    Bytes::from([b"{\"static\":true".as_slice(), sep, rest].concat())
}

/// What a request is for, and so what is done with its body.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    File,
    /// A tile: a 204 (empty) writes nothing.
    Tile,
}

/// Writes the site of `served` to `out` (see the module docs). `progress`
/// hears of every file and candidate tile.
pub fn write_site(
    mut served: Served,
    out: &Path,
    progress: Option<Arc<dyn Progress>>,
) -> Result<SiteStats, SiteError> {
    check_destination(out)?;
    served.meta_json = static_meta(&served.meta_json);
    // Written beside the fetched files, as the README is.
    let written = [
        ("tiles.json", served.tilejson(TILE_TEMPLATE).to_string()),
        ("README.txt", readme(&served)),
    ];

    let mut jobs: Vec<(String, Kind)> = assets::embedded_paths()
        .into_iter()
        .map(|p| (p, Kind::File))
        .collect();
    jobs.extend(API_PATHS.iter().map(|p| (p.to_string(), Kind::File)));
    for area in &served.dataset().areas {
        let code = area.code.as_str();
        if !file_safe(code) {
            return Err(SiteError::AreaCode { code: code.into() });
        }
        jobs.push((format!("/api/areas/{code}"), Kind::File));
    }
    let o = served.tiles.options();
    for z in o.min_zoom..=o.max_zoom {
        for c in candidate_tiles(&served.tiles, z) {
            jobs.push((format!("/tiles/{}/{}/{}.mvt", c.z, c.x, c.y), Kind::Tile));
        }
    }

    // No cache: each tile is asked for once.
    let config = ServerConfig {
        tile_cache_bytes: 0,
        prewarm_zoom: None,
        ..ServerConfig::default()
    };
    let app = router(AppState::new(served, config));

    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let tmp = tempfile::Builder::new()
        .prefix(".dxmap-site-")
        .tempdir_in(parent)
        .map_err(io_at(parent))?;
    if let Some(p) = &progress {
        p.start((jobs.len() + written.len()) as u64);
    }
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(cores * 2)
        .build()
        .map_err(|e| SiteError::Runtime(format!("starting the runtime: {e}")))?;
    let root = tmp.path().to_path_buf();
    let result = rt
        .block_on(fetch_all(app, root.clone(), jobs, progress.clone()))
        .and_then(|mut stats| {
            for (name, text) in &written {
                let path = root.join(name);
                fs::write(&path, text).map_err(io_at(&path))?;
                stats.files += 1;
                stats.bytes += text.len() as u64;
                if let Some(p) = &progress {
                    p.advance(1);
                }
            }
            Ok(stats)
        });
    if let Some(p) = &progress {
        p.finish();
    }
    let stats = result?;
    // A temporary directory is private to its owner; a site is for a web
    // server to read.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&root, fs::Permissions::from_mode(0o755)).map_err(io_at(&root))?;
    }
    // Renaming over an empty directory replaces it; the checked state may
    // have changed since, and then the rename fails and the site is removed.
    check_destination(out)?;
    fs::rename(&root, out).map_err(io_at(out))?;
    let _ = tmp.keep();
    Ok(stats)
}

/// GETs every job through `app`, [`IN_FLIGHT`] at a time, writing each body
/// under `root`.
async fn fetch_all(
    app: Router,
    root: PathBuf,
    jobs: Vec<(String, Kind)>,
    progress: Option<Arc<dyn Progress>>,
) -> Result<SiteStats, SiteError> {
    let mut stats = SiteStats::default();
    let mut tasks = JoinSet::new();
    let mut add = |done: Result<Result<Option<(Kind, u64)>, SiteError>, tokio::task::JoinError>| {
        let written = done.map_err(|e| SiteError::Runtime(format!("a request task: {e}")))??;
        if let Some((kind, bytes)) = written {
            stats.files += 1;
            stats.bytes += bytes;
            stats.tiles += u64::from(kind == Kind::Tile);
        }
        if let Some(p) = &progress {
            p.advance(1);
        }
        Ok::<(), SiteError>(())
    };
    for (path, kind) in jobs {
        if tasks.len() >= IN_FLIGHT
            && let Some(done) = tasks.join_next().await
        {
            add(done)?;
        }
        tasks.spawn(fetch_one(app.clone(), root.clone(), path, kind));
    }
    while let Some(done) = tasks.join_next().await {
        add(done)?;
    }
    Ok(stats)
}

/// GETs `path` and writes its body to `root/path`; `None` for an empty tile.
async fn fetch_one(
    app: Router,
    root: PathBuf,
    path: String,
    kind: Kind,
) -> Result<Option<(Kind, u64)>, SiteError> {
    let req = Request::get(&path)
        .header(header::HOST, HOST)
        .body(Body::empty())
        .map_err(|e| SiteError::Runtime(format!("GET {path}: {e}")))?;
    let res = app
        .oneshot(req)
        .await
        .map_err(|e| SiteError::Runtime(format!("GET {path}: {e}")))?;
    let status = res.status();
    let body = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .map_err(|e| SiteError::Runtime(format!("GET {path}: reading the body: {e}")))?;
    if kind == Kind::Tile && status == StatusCode::NO_CONTENT {
        return Ok(None);
    }
    if status != StatusCode::OK {
        let text = String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned();
        return Err(SiteError::Status {
            path,
            status: status.as_u16(),
            body: text,
        });
    }
    let file = root.join(path.trim_start_matches('/'));
    if let Some(dir) = file.parent() {
        tokio::fs::create_dir_all(dir).await.map_err(io_at(dir))?;
    }
    tokio::fs::write(&file, &body).await.map_err(io_at(&file))?;
    Ok(Some((kind, body.len() as u64)))
}

/// The site's `README.txt`: what it is, its data, methodology and
/// attribution, and how to host it. No date of writing, so that two runs
/// give the same bytes; the data's vintages date it.
fn readme(served: &Served) -> String {
    let ds = served.dataset();
    let o = served.tiles.options();
    let mut seen = std::collections::BTreeSet::new();
    let sources: Vec<String> = served
        .source_columns
        .iter()
        .map(|&c| {
            let s = &ds.columns[c].source;
            format!("  - {} ({})", s.dataset, s.vintage)
        })
        .filter(|line| seen.insert(line.clone()))
        .collect();
    let attribution: Vec<String> = ds.attribution.iter().map(|a| format!("  - {a}")).collect();
    let mut text = format!(
        "{title}\n\n\
         A static copy of the dxmap digital exclusion map: {n} areas ({geography}),\n\
         scored with {method}, tiles z{lo}-{hi}.\n\
         Written by {gen} (`dxmap export site`).\n\n\
         Data (source, vintage):\n{sources}\n\n\
         Attribution:\n{attribution}\n",
        title = if ds.title.is_empty() { "dxmap" } else { &ds.title },
        n = ds.areas.len(),
        geography = if ds.geography.is_empty() { "small areas" } else { &ds.geography },
        method = served.scored.methodology.name,
        lo = o.min_zoom,
        hi = o.max_zoom,
        gen = crate::export::GENERATOR,
        sources = sources.join("\n"),
        attribution = attribution.join("\n"),
    );
    if ds.has_demonstration_data() {
        text.push_str("\nSome columns are demonstration data, not real measurements.\n");
    }
    text.push_str(HOSTING);
    text
}

const HOSTING: &str = "
How to host it:
  Copy this whole directory to any static web host or CDN, at its root or
  under a sub-path (e.g. https://data.london.gov.uk/dxmap/), and open
  index.html through the host (browsers refuse the page's modules and data
  from a file:// URL). No dxmap process is needed. The files under api/
  are JSON without a .json extension; tiles/ holds uncompressed Mapbox
  Vector Tiles (the host may compress them on the fly). tiles.json names
  the tiles relative to the page.

What a static copy cannot do (it needs `dxmap serve`): re-weight the
scores on the server (POST /api/score), download a selection
(/api/download), select areas by box or polygon (/api/areas?bbox=), or
look up the area under a click (/api/lookup).
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meta_gains_static_and_keeps_its_bytes() {
        assert_eq!(
            &static_meta(br#"{"a":1.5,"b":[]}"#)[..],
            br#"{"static":true,"a":1.5,"b":[]}"#
        );
        assert_eq!(&static_meta(b"{}")[..], br#"{"static":true}"#);
    }

    #[test]
    fn only_plain_codes_name_files() {
        for ok in ["E01000001", "W01-2_x.y"] {
            assert!(file_safe(ok), "{ok}");
        }
        for bad in ["", ".", "..", ".x", "a/b", "a b", "a%2f", "é"] {
            assert!(!file_safe(bad), "{bad}");
        }
    }

    #[test]
    fn destination_must_be_new_or_empty() {
        let dir = tempfile::tempdir().unwrap();
        check_destination(&dir.path().join("new")).unwrap();
        check_destination(dir.path()).unwrap();
        fs::write(dir.path().join("f"), b"x").unwrap();
        let e = check_destination(dir.path()).unwrap_err().to_string();
        assert!(e.ends_with("is a directory that is not empty; refusing to write a site over it (give a new or empty directory)"), "{e}");
        let e = check_destination(&dir.path().join("f"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("is a regular file, not a directory"), "{e}");
    }
}
