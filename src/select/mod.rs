//! Selections: "score nationally, map locally".
//!
//! In: the text of a `--within` flag ([`Within`]: local authority, ward or
//! LSOA codes, a text file of codes, or a polygon file) and a dataset. Out:
//! a [`Selection`], the positions of the areas it picks in
//! `Dataset::areas`. A polygon picks an area when the area's label point
//! ([`crate::dataset::label_point`]) lies inside or on it. The scores stay
//! those of the whole dataset: [`select_table`] cuts an export table down to the
//! selected rows (adding the rank and decile within the selection, from the
//! score stage's own [`crate::score::ranks`]) and [`restrict`] a scored dataset down to
//! the selected areas (for tiles and the server), copying every score bit
//! for bit.
//!
//! An unknown code is an error naming it and the nearest known codes; a
//! selection with no area is an error; a polygon file that cannot be read
//! names the file and the feature (through the boundary reader of ingest).

mod output;

use std::collections::{BTreeSet, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use geo::{BoundingRect, Intersects};
use geo_types::{MultiPolygon, Point, Rect};
use rayon::prelude::*;

use crate::capped::{read_capped, utf8_text};
use crate::dataset::{Dataset, label_point};
use crate::ingest::IngestError;
use crate::ingest::boundaries::{BoundaryOptions, read_boundaries};

pub use output::{restrict, select_table, within_ranks};

/// What `--within` names, before it is resolved against a dataset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Within {
    /// Codes given on the command line: local authority (`E08000035`), ward
    /// (`E05…`) or LSOA (`E01…`) codes, in any mix.
    Codes(Vec<String>),
    /// A file: polygons (`.geojson`, `.json`, `.geojson.gz`, `.shp`) or a
    /// text file of codes (any other extension: codes separated by commas,
    /// spaces or lines; `#` starts a comment).
    File(PathBuf),
}

impl FromStr for Within {
    type Err = String;

    /// A path (anything with `.`, `/` or `\`, or an existing file) is a
    /// file; otherwise a comma-separated list of codes.
    fn from_str(s: &str) -> Result<Within, String> {
        let s = s.trim();
        if s.is_empty() {
            return Err("--within is empty; give codes (E08000035,E08000036) or a file".into());
        }
        if s.contains(['.', '/', '\\']) || Path::new(s).is_file() {
            return Ok(Within::File(PathBuf::from(s)));
        }
        Ok(Within::Codes(split_codes(s)))
    }
}

impl fmt::Display for Within {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Within::Codes(c) => f.write_str(&c.join(",")),
            Within::File(p) => write!(f, "{}", p.display()),
        }
    }
}

fn split_codes(s: &str) -> Vec<String> {
    s.lines()
        .map(|l| l.split('#').next().unwrap_or(""))
        .flat_map(|l| l.split([',', ' ', '\t', ';']))
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_string)
        .collect()
}

/// The areas a [`Within`] picks from one dataset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selection {
    /// Positions in `Dataset::areas`, ascending, each once.
    pub areas: Vec<usize>,
    /// What was asked for, for messages and metadata (the flag's text).
    pub within: String,
}

impl Selection {
    /// Number of selected areas.
    pub fn len(&self) -> usize {
        self.areas.len()
    }

    /// True when nothing is selected (never, from [`resolve`]).
    pub fn is_empty(&self) -> bool {
        self.areas.is_empty()
    }
}

/// Why a selection could not be made.
#[derive(Debug, thiserror::Error)]
pub enum SelectError {
    /// Codes that are not an LSOA, ward or local authority of the dataset.
    #[error("--within: {}", unknown_message(.0))]
    UnknownCodes(Vec<UnknownCode>),
    /// The selection picks no area.
    #[error("--within {within}: {why}")]
    Empty {
        /// The flag's text.
        within: String,
        /// Why nothing was picked.
        why: String,
    },
    /// The file could not be read (names the file, and the feature where it applies).
    #[error(transparent)]
    File(#[from] IngestError),
}

/// One unknown code with the nearest codes the dataset has.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownCode {
    /// The code as given.
    pub code: String,
    /// The nearest known codes, each with its name when it has one.
    pub nearest: Vec<String>,
}

fn unknown_message(codes: &[UnknownCode]) -> String {
    codes
        .iter()
        .map(|u| {
            let near = if u.nearest.is_empty() {
                String::new()
            } else {
                format!(" (nearest: {})", u.nearest.join(", "))
            };
            format!(
                "'{}' is not an LSOA, ward or local authority code of this dataset{near}",
                u.code
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Largest `--within` codes file read: every LSOA, ward and authority code
/// of England and Wales takes under 1 MB.
pub const MAX_CODES_FILE_BYTES: u64 = 64 << 20;

/// Resolves `within` against `dataset`: every code must be known, and at
/// least one area must be picked.
pub fn resolve(within: &Within, dataset: &Dataset) -> Result<Selection, SelectError> {
    let picked = match within {
        Within::Codes(codes) => by_codes(codes, dataset)?,
        Within::File(path) if is_polygon_file(path) => by_polygons(path, dataset)?,
        Within::File(path) => {
            // Capped and checked (no FIFO or device) for library callers too,
            // not only behind the CLI's input checks.
            let bytes = read_capped(path, MAX_CODES_FILE_BYTES).map_err(IngestError::from)?;
            let text = utf8_text(path, bytes).map_err(IngestError::from)?;
            by_codes(&split_codes(&text), dataset)?
        }
    };
    if picked.is_empty() {
        let why = match within {
            Within::File(p) if is_polygon_file(p) => {
                "no area's label point lies inside the polygons (are they over this dataset's areas, in longitude/latitude?)"
            }
            _ => "no codes given",
        };
        return Err(SelectError::Empty {
            within: within.to_string(),
            why: why.into(),
        });
    }
    Ok(Selection {
        areas: picked,
        within: within.to_string(),
    })
}

fn is_polygon_file(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let inner = name.strip_suffix(".gz").unwrap_or(&name);
    [".geojson", ".json", ".shp"]
        .iter()
        .any(|e| inner.ends_with(e))
}

/// Areas whose own, ward or local authority code is one of `codes`.
fn by_codes(codes: &[String], dataset: &Dataset) -> Result<Vec<usize>, SelectError> {
    let wanted: HashSet<&str> = codes.iter().map(String::as_str).collect();
    let mut found: HashSet<&str> = HashSet::new();
    let mut picked = Vec::new();
    for (i, a) in dataset.areas.iter().enumerate() {
        let hits = [Some(a.code.as_str()), a.borough_code(), a.ward_code()];
        let mut hit = false;
        for c in hits.into_iter().flatten() {
            if let Some(&w) = wanted.get(c) {
                found.insert(w);
                hit = true;
            }
        }
        if hit {
            picked.push(i);
        }
    }
    let missing: BTreeSet<&str> = wanted.difference(&found).copied().collect();
    if !missing.is_empty() {
        let known = known_codes(dataset);
        let unknown = missing
            .into_iter()
            .map(|code| UnknownCode {
                code: code.to_string(),
                nearest: nearest(code, &known, dataset),
            })
            .collect();
        return Err(SelectError::UnknownCodes(unknown));
    }
    Ok(picked)
}

/// Every LSOA, ward and local authority code of the dataset, each once, with its name.
fn known_codes(dataset: &Dataset) -> Vec<(&str, &str)> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for a in &dataset.areas {
        let units = [
            (Some(a.code.as_str()), a.name.as_str()),
            (a.borough_code(), a.borough_name().unwrap_or("")),
            (a.ward_code(), a.ward_name().unwrap_or("")),
        ];
        for (code, name) in units {
            if let Some(c) = code.filter(|c| !c.is_empty())
                && seen.insert(c)
            {
                out.push((c, name));
            }
        }
    }
    out.sort_unstable();
    out
}

/// Up to three known codes nearest `code` (edit distance, then code order);
/// a local authority whose name is `code` comes first.
fn nearest(code: &str, known: &[(&str, &str)], dataset: &Dataset) -> Vec<String> {
    let label = |c: &str, n: &str| {
        if n.is_empty() {
            c.to_string()
        } else {
            format!("{c} ({n})")
        }
    };
    let mut out: Vec<String> = dataset
        .areas
        .iter()
        .filter_map(|a| a.borough.as_ref())
        .find(|b| b.name.eq_ignore_ascii_case(code))
        .map(|b| label(&b.code, &b.name))
        .into_iter()
        .collect();
    // Nearest first; among equals, codes of the same kind (the first three
    // characters: E01 LSOA, E05 ward, E08 authority) first.
    let kind = |c: &str| c.get(..3).map(str::to_ascii_uppercase);
    let mut scored: Vec<(usize, bool, &str, &str)> = known
        .iter()
        .map(|&(c, n)| (edit_distance(code, c), kind(c) != kind(code), c, n))
        .collect();
    scored.sort_unstable();
    let limit = code.chars().count().max(3);
    out.extend(
        scored
            .into_iter()
            .filter(|s| s.0 <= limit)
            .take(3)
            .map(|(_, _, c, n)| label(c, n)),
    );
    out.dedup();
    out.truncate(3);
    out
}

/// Levenshtein distance over characters, case-insensitive.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().map(|c| c.to_ascii_uppercase()).collect();
    let b: Vec<char> = b.chars().map(|c| c.to_ascii_uppercase()).collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// Areas whose label point lies inside (or on) any polygon of the file.
fn by_polygons(path: &Path, dataset: &Dataset) -> Result<Vec<usize>, SelectError> {
    let read = read_boundaries(path, &BoundaryOptions::default())?;
    let shapes: Vec<(Rect<f64>, &MultiPolygon<f64>)> = read
        .features
        .iter()
        .filter_map(|f| Some((f.geometry.bounding_rect()?, &f.geometry)))
        .collect();
    let inside = |p: Point<f64>| {
        shapes.iter().any(|(r, g)| {
            let (lo, hi) = (r.min(), r.max());
            p.x() >= lo.x && p.x() <= hi.x && p.y() >= lo.y && p.y() <= hi.y && g.intersects(&p)
        })
    };
    Ok(dataset
        .areas
        .par_iter()
        .enumerate()
        .filter_map(|(i, a)| label_point(&a.geometry).filter(|p| inside(*p)).map(|_| i))
        .collect())
}

#[cfg(test)]
mod tests;
