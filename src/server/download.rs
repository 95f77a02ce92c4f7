//! Downloads: `GET /api/download` and `POST /api/download`.
//!
//! In: a format (`geojson` or `csv`), optionally a selection (local
//! authority, ward or LSOA codes as `dxmap score --within` takes them, or a
//! GeoJSON polygon), weights as `POST /api/score` takes them, a level and a
//! `generated` date. Out: the file `dxmap score --within` writes for the
//! same inputs, as an attachment named from the dataset and the date. There
//! is no second writer: the table is [`crate::export::table`] cut by
//! [`crate::select::select_table`], written by [`crate::export::geojson`] or
//! [`crate::export::csv`], so every area has its full geometry from the
//! dataset. GeoJSON carries the metadata as its top-level `metadata` member;
//! a CSV cannot hold it without breaking readers, so `csv` is a zip of a
//! standard `data.csv`, `metadata.json` (the same member) and `README.txt`.
//! The work runs on the blocking pool, bounded by the limits of
//! `POST /api/score`. docs/API.md and docs/EXPORTS.md describe both.

use std::collections::{BTreeMap, HashSet};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};

mod zip;

use self::zip::zip;
use super::error::ApiError;
use super::handlers::{Q, parse_polygon, polygon_positions, query, truncate, weighted_methodology};
use super::{AppState, Limits, Served};
use crate::export::{self, Level, Table};
use crate::score::{ScoreOptions, ScoredDataset};
use crate::select::{self, Selection, Within};

/// What a download asks for (the POST body; the GET query gives the same
/// fields, `codes` comma-separated).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct DownloadRequest {
    format: Option<String>,
    codes: Option<Vec<String>>,
    polygon: Option<Value>,
    weights: Option<BTreeMap<String, f64>>,
    level: Option<String>,
    generated: Option<String>,
}

/// The file formats of a download.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Geojson,
    Csv,
}

/// `GET /api/download?format=geojson|csv[&codes=…][&level=…][&generated=YYYY-MM-DD]`.
pub async fn download_get(State(state): State<AppState>, q: Q) -> Result<Response, ApiError> {
    let mut q = query(q)?;
    if let Some(k) = q
        .keys()
        .find(|k| !["format", "codes", "level", "generated"].contains(&k.as_str()))
    {
        return Err(ApiError::BadRequest(format!(
            "unknown parameter '{}' (expected format, codes, level, generated; \
             POST a JSON body for a polygon or weights)",
            truncate(k)
        )));
    }
    let req = DownloadRequest {
        format: q.remove("format"),
        codes: q
            .remove("codes")
            .map(|c| c.split(',').map(str::to_string).collect()),
        level: q.remove("level"),
        generated: q.remove("generated"),
        ..DownloadRequest::default()
    };
    respond(state, req).await
}

/// `POST /api/download` with a JSON [`DownloadRequest`].
pub async fn download_post(
    State(state): State<AppState>,
    body: Body,
) -> Result<Response, ApiError> {
    let max = state.config().limits.max_body_bytes;
    let bytes: Bytes = axum::body::to_bytes(body, max)
        .await
        .map_err(|_| ApiError::TooLarge(format!("request body over the limit of {max} bytes")))?;
    let req: DownloadRequest =
        serde_json::from_slice(&bytes).map_err(|e| ApiError::BadRequest(format!("body: {e}")))?;
    respond(state, req).await
}

async fn respond(state: AppState, req: DownloadRequest) -> Result<Response, ApiError> {
    let served = state.served();
    let limits = state.config().limits.clone();
    let file = tokio::task::spawn_blocking(move || build(&served, &limits, &req, today()))
        .await
        .map_err(|e| ApiError::Internal(format!("download task: {e}")))??;
    let mut r = Response::new(Body::from(file.bytes));
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(file.content_type),
    );
    let disposition = format!("attachment; filename=\"{}\"", file.name);
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&disposition)
            .map_err(|e| ApiError::Internal(format!("file name '{}': {e}", file.name)))?,
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}

/// A finished download.
struct File {
    name: String,
    content_type: &'static str,
    bytes: Vec<u8>,
}

/// Resolves, scores and writes one download; `today` is the `generated`
/// date when the request gives none.
fn build(
    served: &Served,
    limits: &Limits,
    req: &DownloadRequest,
    today: String,
) -> Result<File, ApiError> {
    let format = match req.format.as_deref().map(str::trim) {
        Some("geojson") => Format::Geojson,
        Some("csv") => Format::Csv,
        Some(f) => {
            return Err(ApiError::BadRequest(format!(
                "format '{}' is not geojson or csv",
                truncate(f)
            )));
        }
        None => {
            return Err(ApiError::BadRequest(
                "missing format (geojson or csv)".into(),
            ));
        }
    };
    let level: Level = match &req.level {
        Some(l) => l
            .parse()
            .map_err(|e: String| ApiError::BadRequest(format!("level: {}", truncate(&e))))?,
        None => Level::Lsoa,
    };
    let (generated, generated_from) = match &req.generated {
        Some(d) => (check_date(d)?, "the request"),
        None => (today, "the server's clock (UTC date)"),
    };
    let selection = selection(served, limits, req)?;
    // Re-weighted: the whole dataset re-scored with the request's weights
    // under the methodology's scope, as the page's map shows them. The
    // sensitivity draws are not re-run for a download (`download.weights` says so).
    let weighted = match &req.weights {
        Some(w) if !w.is_empty() => {
            let m = weighted_methodology(served, Some(w))?;
            Some(
                ScoredDataset::new(served.scored.dataset.clone(), m, &ScoreOptions::default())
                    .map_err(|e| ApiError::BadRequest(format!("scoring: {e}")))?,
            )
        }
        _ => None,
    };
    let scored = weighted.as_ref().unwrap_or(&served.scored);
    let mut table =
        export::table(scored, level).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    if let Some(sel) = &selection {
        table = select::select_table(table, &scored.dataset, sel)
            .map_err(|e| ApiError::Internal(e.to_string()))?;
    }
    let weights = match &req.weights {
        Some(w) if !w.is_empty() => json!({
            "source": "the request: the methodology's weights with these replaced (relative, before normalising); methodology.components gives the normalised weights used",
            "requested": w,
            "sensitivity": "not re-run for these weights: p_top, rank_p05 and rank_p95 are absent",
        }),
        _ => json!({"source": "the methodology's own weights (methodology.components)"}),
    };
    if let Value::Object(m) = &mut table.metadata {
        m.insert(
            "download".into(),
            json!({
                "generated": generated,
                "generated_from": generated_from,
                "format": match format { Format::Geojson => "geojson", Format::Csv => "csv" },
                "scope": scored.methodology.scope.as_str(),
                "weights": weights,
                "scores": scores_note(selection.is_some()),
            }),
        );
    }
    let stem = file_stem(
        &served.dataset().title,
        level,
        selection.is_some(),
        &generated,
    );
    let io = |e: std::io::Error| ApiError::Internal(format!("writing the download: {e}"));
    match format {
        Format::Geojson => {
            let mut bytes = Vec::with_capacity(1 << 20);
            export::geojson::write_geojson(&table, &mut bytes).map_err(io)?;
            Ok(File {
                name: format!("{stem}.geojson"),
                content_type: "application/geo+json",
                bytes,
            })
        }
        Format::Csv => Ok(File {
            name: format!("{stem}-csv.zip"),
            content_type: "application/zip",
            bytes: csv_zip(&table).map_err(io)?,
        }),
    }
}

/// Which values are whose: the whole run's, or ranked within the selection.
fn scores_note(selected: bool) -> &'static str {
    if selected {
        "index, rank, decile and the component (c_) and indicator (i_) scores are \
         normalised and ranked over the whole dataset within its scope, not within \
         this selection; only rank_within and decile_within rank the rows of this file \
         among themselves"
    } else {
        "index, rank, decile and the component (c_) and indicator (i_) scores are \
         normalised and ranked over the whole dataset within its scope"
    }
}

/// The areas the request selects, or `None` for the whole dataset.
fn selection(
    served: &Served,
    limits: &Limits,
    req: &DownloadRequest,
) -> Result<Option<Selection>, ApiError> {
    let ds = served.dataset();
    match (&req.codes, &req.polygon) {
        (None, None) => Ok(None),
        (Some(codes), None) => {
            if codes.len() > limits.max_codes {
                return Err(ApiError::BadRequest(format!(
                    "{} codes, the limit is {}",
                    codes.len(),
                    limits.max_codes
                )));
            }
            let codes: Vec<String> = codes
                .iter()
                .map(|c| c.trim().to_string())
                .filter(|c| !c.is_empty())
                .collect();
            // Unknown codes are found cheaply first: the CLI's message looks
            // for the nearest known codes, worth doing for a few codes only.
            let known: HashSet<&str> = ds
                .areas
                .iter()
                .flat_map(|a| [Some(a.code.as_str()), a.borough_code(), a.ward_code()])
                .flatten()
                .collect();
            let unknown: Vec<String> = codes
                .iter()
                .filter(|c| !known.contains(c.as_str()))
                .cloned()
                .collect();
            let more = match unknown.len() {
                0..=3 => String::new(),
                n => format!(" (and {} more unknown codes)", n - 3),
            };
            let within = match unknown.is_empty() {
                true => Within::Codes(codes),
                false => Within::Codes(unknown.into_iter().take(3).collect()),
            };
            select::resolve(&within, ds).map(Some).map_err(|e| {
                // The message is the CLI's, which names the flag.
                let m = e.to_string();
                let m = m.strip_prefix("--within").unwrap_or(&m);
                let m: String = m.chars().take(600).collect();
                ApiError::BadRequest(format!("codes{m}{more}"))
            })
        }
        (None, Some(poly)) => {
            let mp = parse_polygon(poly, limits.max_polygon_vertices)?;
            let areas = polygon_positions(served, &mp)?;
            if areas.is_empty() {
                return Err(ApiError::BadRequest(
                    "polygon: no area's label point lies inside it".into(),
                ));
            }
            Ok(Some(Selection {
                areas,
                within: "a polygon".into(),
            }))
        }
        (Some(_), Some(_)) => Err(ApiError::BadRequest(
            "give at most one of \"codes\" or \"polygon\"".into(),
        )),
    }
}

/// `data.csv`, `metadata.json` and `README.txt` in one zip.
fn csv_zip(table: &Table<'_>) -> std::io::Result<Vec<u8>> {
    let mut csv = Vec::with_capacity(1 << 20);
    export::csv::write_csv(table, &mut csv)?;
    let mut meta = serde_json::to_vec_pretty(&table.metadata).map_err(std::io::Error::other)?;
    meta.push(b'\n');
    zip(&[
        ("data.csv", csv.as_slice()),
        ("metadata.json", meta.as_slice()),
        ("README.txt", readme(table).as_bytes()),
    ])
}

/// A plain-text note on what the zip holds, for a reader without a JSON viewer.
fn readme(table: &Table<'_>) -> String {
    let m = &table.metadata;
    let s = |v: &Value| v.as_str().unwrap_or("").to_string();
    let d = &m["download"];
    let mut out = format!(
        "{}\n\n\
         data.csv       one row per {} ({} rows), columns as in docs/EXPORTS.md\n\
         metadata.json  the methodology and weights used, the sources, the selection\n\
         README.txt     this note\n\n\
         Methodology: {}\nScope: {}\nGenerated: {} (from {})\nGenerator: {}\n\n{}.\n",
        s(&m["title"]),
        s(&m["level"]),
        table.len(),
        s(&m["methodology"]["name"]),
        s(&d["scope"]),
        s(&d["generated"]),
        s(&d["generated_from"]),
        s(&m["generator"]),
        s(&d["scores"]),
    );
    if let Some(sel) = m.get("selection") {
        out.push_str(&format!("Selection: {}\n", s(&sel["within"])));
    }
    if let Some(vs) = m["vintages"].as_array() {
        let vs: Vec<String> = vs.iter().map(s).collect();
        out.push_str(&format!("Data vintages: {}\n", vs.join(", ")));
    }
    if let Some(a) = m["attribution"].as_array() {
        out.push_str("\nSources and attribution:\n");
        for line in a {
            out.push_str(&format!("  {}\n", s(line)));
        }
    }
    out
}

/// `YYYY-MM-DD` with a real month and day, or a 400.
fn check_date(d: &str) -> Result<String, ApiError> {
    let bad = || {
        ApiError::BadRequest(format!(
            "generated '{}' is not a date as YYYY-MM-DD",
            truncate(d)
        ))
    };
    let b = d.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return Err(bad());
    }
    let num = |r: std::ops::Range<usize>| {
        d.get(r)
            .filter(|s| s.bytes().all(|c| c.is_ascii_digit()))
            .and_then(|s| s.parse::<u32>().ok())
    };
    match (num(0..4), num(5..7), num(8..10)) {
        (Some(_), Some(m), Some(day)) if (1..=12).contains(&m) && (1..=31).contains(&day) => {
            Ok(d.to_string())
        }
        _ => Err(bad()),
    }
}

/// Today's date in UTC as `YYYY-MM-DD` (days to civil date, H. Hinnant's algorithm).
fn today() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    civil_date((secs / 86_400) as i64)
}

fn civil_date(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// `london-lsoa-2021-selection-2026-01-31`: the dataset's title as a slug,
/// the level when not LSOA, whether it is a selection, and the date.
fn file_stem(title: &str, level: Level, selected: bool, date: &str) -> String {
    let mut slug = String::new();
    for c in title.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    let mut slug: String = slug.trim_end_matches('-').chars().take(60).collect();
    if slug.is_empty() {
        slug.push_str("dxmap");
    }
    if level != Level::Lsoa {
        slug.push('-');
        slug.push_str(level.as_str());
    }
    if selected {
        slug.push_str("-selection");
    }
    format!("{slug}-{date}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_date(0), "1970-01-01");
        assert_eq!(civil_date(19_782), "2024-02-29");
        assert_eq!(civil_date(20_454), "2026-01-01");
    }

    #[test]
    fn dates_are_checked() {
        assert!(check_date("2026-01-31").is_ok());
        for bad in [
            "2026-13-01",
            "2026-1-01",
            "26-01-01xx",
            "2026/01/01",
            "2026-01-00",
            "+026-01-01",
        ] {
            assert!(check_date(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn file_names_are_slugs() {
        assert_eq!(
            file_stem(
                "London LSOA 2021 (within E09000001)",
                Level::Lsoa,
                true,
                "2026-01-31"
            ),
            "london-lsoa-2021-within-e09000001-selection-2026-01-31"
        );
        assert_eq!(
            file_stem("", Level::Ward, false, "2026-01-31"),
            "dxmap-ward-2026-01-31"
        );
    }
}
