//! Static files of the web map. In: a request's method, path and headers
//! (the router's fallback). Out: the page's files at `/`, `/app.js`, … and
//! MapLibre's at `/vendor/maplibre-gl/NAME`, gzip-compressed when the client
//! accepts it, with a strong ETag and the security headers (a
//! [`ContentSecurityPolicy`], `nosniff`, no framing, `Referrer-Policy`); or
//! a 404.
//!
//! The files are embedded at build time (build.rs), so the binary serves
//! the map from any directory. `--web DIR` serves the page from DIR instead,
//! and MapLibre from `DIR/node_modules/maplibre-gl/dist` when that exists.
//! From a directory, dotfiles, `package*.json` and `node_modules` paths are
//! refused, and a symlink that resolves outside the directory is a 404.
//! Built without MapLibre (no `npm ci --prefix web`), the page gets small
//! stand-ins that put a message in place of the map.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::ServerConfig;
use super::csp::ContentSecurityPolicy;
use super::error::ApiError;
use super::negotiate::encoded_response;
use super::served::GzippedBody;

// static PAGE and MAPLIBRE: &[(name, bytes)], from build.rs.
include!(concat!(env!("OUT_DIR"), "/web_assets.rs"));

/// Where the page loads MapLibre's files from.
pub const VENDOR_PREFIX: &str = "/vendor/maplibre-gl/";

/// Where `--web DIR` keeps MapLibre's files (after `npm ci --prefix DIR`).
const VENDOR_DIR: &str = "node_modules/maplibre-gl/dist";

/// What the page shows in place of the map when MapLibre was not built in.
pub const MAPLIBRE_MISSING: &str = "The map cannot be drawn: this dxmap was built without \
     the MapLibre files. Run `npm ci --prefix web`, then rebuild dxmap (cargo build --release).";

/// True when MapLibre's files were embedded at build time.
pub fn maplibre_embedded() -> bool {
    !MAPLIBRE.is_empty()
}

/// True when the page can load MapLibre: from `web_dir`'s node_modules or
/// built in.
pub fn maplibre_available(web_dir: Option<&Path>) -> bool {
    maplibre_embedded() || web_dir.is_some_and(|d| d.join(VENDOR_DIR).is_dir())
}

/// One file ready to serve: the bytes, and gzip with the ETags of both.
struct Prepared {
    raw: Bytes,
    encoded: GzippedBody,
    content_type: &'static str,
}

impl Prepared {
    fn new(name: &str, raw: Bytes) -> std::io::Result<Prepared> {
        Ok(Prepared {
            encoded: GzippedBody::new(raw.to_vec())?,
            raw,
            content_type: content_type(name),
        })
    }
}

/// The embedded page and MapLibre files, compressed once on first use.
static EMBEDDED: LazyLock<HashMap<String, Prepared>> = LazyLock::new(|| {
    let missing = [
        ("maplibre-gl.mjs", stub_module()),
        ("maplibre-gl.css", stub_stylesheet()),
    ];
    let vendor: Vec<(&str, Bytes)> = if maplibre_embedded() {
        MAPLIBRE
            .iter()
            .map(|(n, b)| (*n, Bytes::from_static(b)))
            .collect()
    } else {
        missing
            .into_iter()
            .map(|(n, s)| (n, Bytes::from(s)))
            .collect()
    };
    let page = PAGE.iter().map(|(n, b)| (*n, Bytes::from_static(b)));
    let mut out = HashMap::new();
    for (key, name, bytes) in page.map(|(n, b)| (format!("/{n}"), n, b)).chain(
        vendor
            .into_iter()
            .map(|(n, b)| (format!("{VENDOR_PREFIX}{n}"), n, b)),
    ) {
        match Prepared::new(name, bytes) {
            Ok(p) => {
                out.insert(key, p);
            }
            Err(e) => tracing::error!(file = name, error = %e, "compressing an embedded file"),
        }
    }
    out
});

/// The paths of the embedded page and MapLibre files (`/index.html`,
/// `/app.js`, `/vendor/maplibre-gl/…`), sorted: what a static copy of the
/// page must hold (`dxmap export site`).
pub fn embedded_paths() -> Vec<String> {
    let mut paths: Vec<String> = EMBEDDED.keys().cloned().collect();
    paths.sort();
    paths
}

/// Serves the web map's static files.
pub struct StaticFiles {
    web_dir: Option<PathBuf>,
    security: HeaderMap,
}

impl StaticFiles {
    /// Files from `web_dir` (`None`: the embedded ones), with `csp`.
    pub fn new(web_dir: Option<PathBuf>, csp: &ContentSecurityPolicy) -> StaticFiles {
        let mut security = HeaderMap::new();
        if let Ok(v) = HeaderValue::from_str(&csp.header_value()) {
            security.insert(header::CONTENT_SECURITY_POLICY, v);
        }
        security.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        security.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        // Same-origin requests keep the full URL; a basemap host gets the
        // origin only (some tile hosts require a Referer).
        security.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        );
        StaticFiles { web_dir, security }
    }

    /// Files for `config`: its web directory, and a policy that also lets
    /// the page fetch tiles from the `public_url` host and the basemap's.
    pub fn from_config(config: &ServerConfig) -> StaticFiles {
        let mut csp = ContentSecurityPolicy::new();
        if let Some(url) = &config.public_url {
            match csp.clone().with_connect(url) {
                Ok(c) => csp = c,
                Err(e) => tracing::warn!(error = %e, "public URL left out of the page's CSP"),
            }
        }
        // Checked by `Basemap::parse`, so it cannot fail here.
        if let Some(b) = &config.basemap
            && let Ok(c) = csp.clone().with_basemap(&b.url)
        {
            csp = c;
        }
        StaticFiles::new(config.web_dir.clone(), &csp)
    }

    /// The response to `method path`.
    pub fn respond(&self, method: &Method, path: &str, headers: &HeaderMap) -> Response {
        let mut res = if method != Method::GET && method != Method::HEAD {
            let mut r = StatusCode::METHOD_NOT_ALLOWED.into_response();
            r.headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
            r
        } else {
            match self.find(path) {
                Ok(Found::Embedded(p)) => send(p, headers),
                Ok(Found::Read(p)) => send(&p, headers),
                // Unmatched API and tile paths answer like the API does.
                Err(StatusCode::NOT_FOUND) if is_api_path(path) => {
                    ApiError::NotFound("not found".into()).into_response()
                }
                Err(status) => status.into_response(),
            }
        };
        res.headers_mut().extend(self.security.clone());
        res
    }

    /// The file for `path`, or the status to answer with (an empty 404).
    fn find(&self, path: &str) -> Result<Found, StatusCode> {
        let segments = clean_segments(path).ok_or(StatusCode::NOT_FOUND)?;
        if let Some(rest) = path.strip_prefix(VENDOR_PREFIX) {
            let disk = self
                .web_dir
                .as_ref()
                .map(|w| w.join(VENDOR_DIR))
                .filter(|d| d.is_dir());
            return match disk {
                Some(dir) => read_file(&dir, &segments[2..]).map(Found::Read),
                None => EMBEDDED
                    .get(&format!("{VENDOR_PREFIX}{rest}"))
                    .map(Found::Embedded)
                    .ok_or(StatusCode::NOT_FOUND),
            };
        }
        match &self.web_dir {
            Some(dir) => read_file(dir, &segments).map(Found::Read),
            None => {
                let key = if path == "/" { "/index.html" } else { path };
                EMBEDDED
                    .get(key)
                    .map(Found::Embedded)
                    .ok_or(StatusCode::NOT_FOUND)
            }
        }
    }
}

fn is_api_path(path: &str) -> bool {
    path.starts_with("/api/") || path.starts_with("/tiles/")
}

enum Found {
    Embedded(&'static Prepared),
    Read(Prepared),
}

/// The decoded segments of `path`, or `None` when it names something never
/// served: `.`-files and directories (so `..` too), `node_modules`,
/// `package*.json`, empty segments, or encoded separators or NUL. A trailing
/// `/` leaves an empty last segment (the directory's index.html).
fn clean_segments(path: &str) -> Option<Vec<String>> {
    let rest = path.strip_prefix('/')?;
    let parts: Vec<&str> = rest.split('/').collect();
    let last = parts.len() - 1;
    let mut out = Vec::with_capacity(parts.len());
    for (i, part) in parts.into_iter().enumerate() {
        let seg = percent_encoding::percent_decode_str(part)
            .decode_utf8()
            .ok()?
            .into_owned();
        let lower = seg.to_ascii_lowercase();
        let refused = (seg.is_empty() && i != last)
            || seg.starts_with('.')
            || seg.contains(['/', '\\', '\0'])
            || lower == "node_modules"
            || (lower.starts_with("package") && lower.ends_with(".json"));
        if refused {
            return None;
        }
        out.push(seg);
    }
    Some(out)
}

/// Reads `segments` under `root`, following symlinks only while they stay
/// inside it; a directory gives its index.html.
fn read_file(root: &Path, segments: &[String]) -> Result<Prepared, StatusCode> {
    let not_found = |_| StatusCode::NOT_FOUND;
    let root = root.canonicalize().map_err(|e| {
        tracing::warn!(dir = %root.display(), error = %e, "web directory unreadable");
        StatusCode::NOT_FOUND
    })?;
    let mut path = root.clone();
    path.extend(segments.iter().filter(|s| !s.is_empty()));
    let mut real = path.canonicalize().map_err(not_found)?;
    if real.is_dir() {
        real = real.join("index.html").canonicalize().map_err(not_found)?;
    }
    // The target of a symlink must stay inside and pass the same rules.
    let inside = real.strip_prefix(&root).ok().and_then(|rel| {
        let parts: Option<Vec<&str>> = rel.iter().map(|c| c.to_str()).collect();
        parts.filter(|p| !p.is_empty())
    });
    let Some(parts) = inside else {
        return Err(StatusCode::NOT_FOUND);
    };
    if !real.is_file() || clean_segments(&format!("/{}", parts.join("/"))).is_none() {
        return Err(StatusCode::NOT_FOUND);
    }
    let name = parts.last().copied().unwrap_or("");
    let bytes = std::fs::read(&real).map_err(not_found)?;
    Prepared::new(name, Bytes::from(bytes)).map_err(|e| {
        tracing::error!(file = %real.display(), error = %e, "compressing a static file");
        StatusCode::INTERNAL_SERVER_ERROR
    })
}

/// The file, or 304 when the client has it; gzip when accepted. URLs
/// carry no version: revalidate each time (a 304 when unchanged).
fn send(p: &Prepared, headers: &HeaderMap) -> Response {
    let no_cache = HeaderValue::from_static("no-cache");
    match encoded_response(&p.encoded, Some(&p.raw), p.content_type, no_cache, headers) {
        Ok((res, _)) => res,
        // Unreachable: the raw bytes are held, so nothing is inflated.
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// The media type of a file name (with nosniff, scripts need the right one).
fn content_type(name: &str) -> &'static str {
    let ext = name.rsplit_once('.').map_or("", |(_, e)| e);
    match ext.to_ascii_lowercase().as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" | "md" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// Stands in for maplibre-gl.mjs when it was not built in: the page's
/// `new Map(…)` throws [`MAPLIBRE_MISSING`], which the page shows.
fn stub_module() -> String {
    format!(
        "// dxmap was built without MapLibre (web/node_modules was absent).\n\
         const message = {msg};\n\
         export class Map {{ constructor() {{ throw new Error(message); }} }}\n\
         export class NavigationControl {{}}\n",
        msg = serde_json::Value::from(MAPLIBRE_MISSING)
    )
}

/// Stands in for maplibre-gl.css: shows [`MAPLIBRE_MISSING`] in the map's
/// place even if the page's script cannot run.
fn stub_stylesheet() -> String {
    let quoted = serde_json::Value::from(MAPLIBRE_MISSING).to_string();
    format!(
        "/* dxmap was built without MapLibre (web/node_modules was absent). */\n\
         #map::before {{ content: {quoted}; display: block; max-width: 34rem; margin: 2rem auto; \
         padding: 1rem; border: 2px solid #b00020; background: #fff; color: #1a1a1a; }}\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_segments() {
        for p in [
            "/.env",
            "/.git/config",
            "/a/.hidden/x.js",
            "/..",
            "/package.json",
            "/package-lock.json",
            "/sub/PACKAGE-lock.json",
            "/node_modules/maplibre-gl/dist/maplibre-gl.mjs",
            "/x/Node_Modules/y.js",
            "/%2e%2e/x",
            "/a%2fb",
            "/a%5cb",
            "/a%00",
            "//etc/passwd",
            "/a//b",
            "/%ff",
            "relative",
        ] {
            assert!(clean_segments(p).is_none(), "{p}");
        }
        assert_eq!(clean_segments("/").unwrap(), vec![""]);
        assert_eq!(clean_segments("/a%20b/c.js").unwrap(), vec!["a b", "c.js"]);
        assert_eq!(clean_segments("/dir/").unwrap(), vec!["dir", ""]);
    }

    #[test]
    fn stand_ins_carry_the_message() {
        assert!(stub_module().contains("npm ci --prefix web"));
        assert!(stub_module().contains("export class Map"));
        assert!(stub_stylesheet().contains("#map::before"));
        assert!(stub_stylesheet().contains("npm ci --prefix web"));
    }

    #[test]
    fn page_is_embedded() {
        assert!(EMBEDDED.contains_key("/index.html"));
        assert!(EMBEDDED.contains_key("/app.js"));
        assert!(EMBEDDED.contains_key(&format!("{VENDOR_PREFIX}maplibre-gl.mjs")));
        assert!(!EMBEDDED.keys().any(|k| k.contains("package")));
    }
}
