//! Orientation routes: `GET /api/places/labels` (a label point per borough
//! and ward, with the ward set's vintage), `GET /api/places/wards` (ward
//! outlines for street zooms) and `GET /api/places/basemap` (the
//! `--basemap` the page draws under the choropleth, or `null`).
//!
//! In: the current [`Served`] generation and the [`Basemap`] setting. Out:
//! JSON built by [`crate::places`] once per generation, on first request
//! (off the async threads), then served from a cache; the router's
//! compression layer gzips it like the other JSON.

use std::sync::{Arc, OnceLock};

use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;
use serde_json::json;

use super::AppState;
use super::csp::ContentSecurityPolicy;
use super::error::ApiError;
use super::served::{Served, json_body};
use super::tile::json_response;
use crate::places::{Places, ward_outlines};

/// Douglas-Peucker tolerance of ward outlines, in degrees: about 3 m, under
/// half a pixel at zoom 14, where the areas' own outlines are drawn anyway.
pub const WARD_OUTLINE_TOLERANCE: f64 = 0.00003;

/// The place bodies of one generation, built on first request.
#[derive(Debug, Default)]
pub struct PlacesCache {
    labels: OnceLock<Bytes>,
    wards: OnceLock<Bytes>,
}

/// What the basemap URL is.
#[derive(Clone, Debug, PartialEq)]
pub enum BasemapKind {
    /// A MapLibre style document (`.json`).
    Style,
    /// A raster XYZ tile template with `{z}`, `{x}` and `{y}`.
    Raster,
}

/// A basemap drawn under the choropleth (`dxmap serve --basemap`).
#[derive(Clone, Debug, PartialEq)]
pub struct Basemap {
    /// Style or raster template.
    pub kind: BasemapKind,
    /// The URL as given.
    pub url: String,
    /// Attribution shown on the map (may be empty).
    pub attribution: String,
    /// Opacity of the choropleth over the basemap, 0 to 1.
    pub opacity: f64,
}

impl Basemap {
    /// Checks a `--basemap` URL and its options. Errors name the flag and value.
    pub fn parse(url: &str, attribution: Option<&str>, opacity: f64) -> Result<Basemap, String> {
        // The page's CSP must be able to name its origin.
        ContentSecurityPolicy::new()
            .with_basemap(url)
            .map_err(|e| format!("--basemap {e}"))?;
        let path = url.split(['?', '#']).next().unwrap_or("");
        let kind = if ["{z}", "{x}", "{y}"].iter().all(|p| url.contains(p)) {
            BasemapKind::Raster
        } else if path.to_ascii_lowercase().ends_with(".json") {
            BasemapKind::Style
        } else {
            return Err(format!(
                "--basemap {url}: neither a MapLibre style URL (ending .json) nor a raster \
                 tile template with {{z}}, {{x}} and {{y}}"
            ));
        };
        if !(0.0..=1.0).contains(&opacity) {
            return Err(format!(
                "--basemap-opacity {opacity}: must be between 0 and 1"
            ));
        }
        Ok(Basemap {
            kind,
            url: url.to_string(),
            attribution: attribution.unwrap_or("").trim().to_string(),
            opacity,
        })
    }

    fn to_json(&self) -> serde_json::Value {
        json!({
            "kind": match self.kind { BasemapKind::Style => "style", BasemapKind::Raster => "raster" },
            "url": self.url,
            "attribution": self.attribution,
            "opacity": self.opacity,
        })
    }
}

/// Builds (once) and returns one cached body, off the async threads.
async fn cached(
    served: Arc<Served>,
    pick: fn(&PlacesCache) -> &OnceLock<Bytes>,
    make: fn(&Served) -> serde_json::Value,
) -> Result<Response, ApiError> {
    let body = tokio::task::spawn_blocking(move || {
        pick(&served.places)
            .get_or_init(|| json_body(&make(&served)))
            .clone()
    })
    .await
    .map_err(|e| ApiError::Internal(format!("building places: {e}")))?;
    Ok(json_response(body, None))
}

/// `GET /api/places/labels`.
pub async fn labels(State(state): State<AppState>) -> Result<Response, ApiError> {
    cached(
        state.served(),
        |c| &c.labels,
        |s| Places::of(s.dataset()).labels_geojson(s.dataset()),
    )
    .await
}

/// `GET /api/places/wards`.
pub async fn wards(State(state): State<AppState>) -> Result<Response, ApiError> {
    cached(
        state.served(),
        |c| &c.wards,
        |s| ward_outlines(s.dataset(), WARD_OUTLINE_TOLERANCE),
    )
    .await
}

/// `GET /api/places/basemap`.
pub async fn basemap(State(state): State<AppState>) -> Response {
    let b = state.config().basemap.as_ref().map(Basemap::to_json);
    json_response(json!({ "basemap": b }).to_string(), None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basemap_urls_are_checked() {
        let b = Basemap::parse(
            "https://t.example.org/{z}/{x}/{y}.png",
            Some(" © OSM "),
            0.6,
        )
        .unwrap();
        assert_eq!(
            (b.kind, b.attribution.as_str()),
            (BasemapKind::Raster, "© OSM")
        );
        let b = Basemap::parse("http://127.0.0.1:9000/style.json?key=1", None, 1.0).unwrap();
        assert_eq!(b.kind, BasemapKind::Style);
        for (url, opacity, says) in [
            (
                "https://t.example.org/tiles.png",
                0.5,
                "neither a MapLibre style",
            ),
            (
                "https://t.example.org/{z}/{x}.png",
                0.5,
                "neither a MapLibre style",
            ),
            ("ftp://t.example.org/s.json", 0.5, "not an http(s) URL"),
            ("https://x.org; script-src */s.json", 0.5, "no valid host"),
            ("https://t.example.org/s.json", 1.5, "--basemap-opacity 1.5"),
            (
                "https://t.example.org/s.json",
                f64::NAN,
                "--basemap-opacity NaN",
            ),
        ] {
            let e = Basemap::parse(url, None, opacity).unwrap_err();
            assert!(e.contains(says), "{url}: {e}");
            assert!(e.starts_with("--basemap"), "{e}");
        }
    }
}
