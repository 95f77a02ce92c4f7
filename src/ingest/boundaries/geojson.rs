//! GeoJSON bytes or a stream in, raw features (text properties, unrepaired
//! rings in the file's own coordinates) and the legacy `crs` name out. A
//! stream is parsed as it is read, so only the features are ever held.
//!
//! Deserialises with serde straight into flat coordinate buffers rather
//! than through a generic JSON value tree: the 32 MB England and Wales file
//! parses several times faster this way. A `Progress` shared with the
//! visitors records which feature is being read, so a JSON error deep
//! inside a coordinate array still names the feature and its code.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::fmt;
use std::io::{BufReader, Read};
use std::path::Path;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::error::Category;

mod geometry;

use geometry::RawGeometry;

use super::{RawFeature, feature_code};
use crate::ingest::IngestError;

/// A parsed GeoJSON file before CRS handling and repair.
pub(super) struct Parsed {
    /// The legacy `crs` member's name (or "EPSG:<code>"), when present.
    pub crs: Option<String>,
    pub features: Vec<RawFeature>,
}

/// Parses GeoJSON text (a FeatureCollection or a single Feature).
pub(super) fn parse(bytes: &[u8], file: &Path) -> Result<Parsed, IngestError> {
    let progress = Progress::new(file);
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let result = TopSeed(&progress)
        .deserialize(&mut de)
        .and_then(|parsed| de.end().map(|()| parsed));
    result.map_err(|e| {
        let token = non_finite_token(bytes, e.line(), e.column());
        json_error(e, token, &progress)
    })
}

/// Parses GeoJSON from a stream, holding only the features read so far and
/// never the text: a file far larger than memory that goes wrong is refused
/// with memory to spare.
pub(super) fn parse_reader<R: Read>(reader: R, file: &Path) -> Result<Parsed, IngestError> {
    let progress = Progress::new(file);
    let mut tail = Tail {
        inner: BufReader::with_capacity(1 << 16, reader),
        last: [0; TAIL],
        pos: 0,
    };
    let result = {
        let mut de = serde_json::Deserializer::from_reader(&mut tail);
        TopSeed(&progress)
            .deserialize(&mut de)
            .and_then(|parsed| de.end().map(|()| parsed))
    };
    result.map_err(|e| {
        // The literal that broke the JSON spans the error position: read a
        // few bytes past it.
        let mut ahead = [0u8; 12];
        let got = tail.inner.read(&mut ahead).unwrap_or(0);
        let mut window = tail.recent();
        window.extend_from_slice(&ahead[..got]);
        json_error(e, token_in(&window), &progress)
    })
}

/// Bytes of the stream kept for error messages.
const TAIL: usize = 16;

/// Remembers the last [`TAIL`] bytes read (serde_json reads byte by byte).
struct Tail<R> {
    inner: R,
    last: [u8; TAIL],
    pos: usize,
}

impl<R: Read> Read for Tail<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        for &b in &buf[..n] {
            self.last[self.pos % TAIL] = b;
            self.pos += 1;
        }
        Ok(n)
    }
}

impl<R> Tail<R> {
    fn recent(&self) -> Vec<u8> {
        let n = self.pos.min(TAIL);
        (self.pos - n..self.pos)
            .map(|i| self.last[i % TAIL])
            .collect()
    }
}

struct Progress<'a> {
    file: &'a Path,
    /// Whether the top-level object was opened (else an EOF means an empty file).
    started: Cell<bool>,
    /// The feature being read, if inside one.
    feature: Cell<Option<usize>>,
    /// Whether the reader is inside its geometry (stays set on an error there).
    in_geometry: Cell<bool>,
    /// Its code, once its properties are read.
    code: RefCell<Option<String>>,
    /// A feature-level failure found by a visitor (wins over serde's message).
    failure: RefCell<Option<IngestError>>,
}

impl<'a> Progress<'a> {
    fn new(file: &'a Path) -> Progress<'a> {
        Progress {
            file,
            started: Cell::new(false),
            feature: Cell::new(None),
            in_geometry: Cell::new(false),
            code: RefCell::new(None),
            failure: RefCell::new(None),
        }
    }

    fn fail<E: de::Error>(&self, message: String) -> E {
        let feature = self.feature.get().unwrap_or(0);
        *self.failure.borrow_mut() = Some(IngestError::Feature {
            file: self.file.to_path_buf(),
            feature,
            code: self.code.borrow().clone(),
            message,
        });
        E::custom("feature error")
    }
}

fn json_error(
    e: serde_json::Error,
    non_finite: Option<&'static str>,
    progress: &Progress,
) -> IngestError {
    if let Some(failure) = progress.failure.borrow_mut().take() {
        return failure;
    }
    let file = progress.file.to_path_buf();
    let feature = progress.feature.get();
    let in_feature = |message: String| match feature {
        Some(feature) => IngestError::Feature {
            file: progress.file.to_path_buf(),
            feature,
            code: progress.code.borrow().clone(),
            message,
        },
        None => IngestError::File {
            file: progress.file.to_path_buf(),
            message: message.clone(),
        },
    };
    match e.classify() {
        Category::Eof if !progress.started.get() => IngestError::File {
            file,
            message: "empty file: no GeoJSON object".to_string(),
        },
        Category::Eof => IngestError::File {
            file,
            message: format!(
                "truncated JSON: {e}{}",
                feature
                    .map(|f| format!(" (in feature {f})"))
                    .unwrap_or_default()
            ),
        },
        Category::Syntax => match non_finite {
            Some(token) => in_feature(format!(
                "{} {token} is not a finite number (line {} column {})",
                if progress.in_geometry.get() {
                    "coordinate"
                } else {
                    "value"
                },
                e.line(),
                e.column()
            )),
            None => in_feature(format!("invalid JSON: {e}")),
        },
        Category::Data => in_feature(format!("{e}")),
        Category::Io => crate::capped::io_error(&file, e.into()).into(),
    }
}

/// The NaN/Infinity literal near a syntax error, if that is what broke the JSON.
fn non_finite_token(bytes: &[u8], line: usize, column: usize) -> Option<&'static str> {
    let mut start = 0;
    if line > 1 {
        let mut seen = 1;
        for (i, &b) in bytes.iter().enumerate() {
            if b == b'\n' {
                seen += 1;
                if seen == line {
                    start = i + 1;
                    break;
                }
            }
        }
    }
    let at = start + column.saturating_sub(1);
    let lo = at.saturating_sub(10).min(bytes.len());
    let hi = (at + 10).min(bytes.len());
    token_in(&bytes[lo..hi])
}

/// The NaN/Infinity literal in a few bytes around an error, if any.
fn token_in(window: &[u8]) -> Option<&'static str> {
    let window = String::from_utf8_lossy(window).to_ascii_lowercase();
    if window.contains("nan") {
        Some("NaN")
    } else if window.contains("inf") {
        Some("Infinity")
    } else {
        None
    }
}

struct TopSeed<'p, 'a>(&'p Progress<'a>);

impl<'de> DeserializeSeed<'de> for TopSeed<'_, '_> {
    type Value = Parsed;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Parsed, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for TopSeed<'_, '_> {
    type Value = Parsed;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a GeoJSON FeatureCollection or Feature object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Parsed, A::Error> {
        let progress = self.0;
        progress.started.set(true);
        let mut kind: Option<String> = None;
        let mut crs = None;
        let mut features = None;
        let mut single = FeatureParts::default();
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            match key.as_ref() {
                "type" => kind = Some(map.next_value()?),
                "crs" => crs = crs_name(&map.next_value::<serde_json::Value>()?),
                "features" => features = Some(map.next_value_seed(FeaturesSeed(progress))?),
                "properties" | "geometry" => {
                    progress.feature.set(Some(0));
                    single.read(key.as_ref(), &mut map, progress)?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let features = match (kind.as_deref(), features) {
            (Some("FeatureCollection"), Some(features)) => features,
            (Some("Feature"), None) => {
                progress.feature.set(Some(0));
                vec![single.finish(progress)?]
            }
            (Some("FeatureCollection"), None) => {
                return Err(de::Error::custom(
                    "FeatureCollection has no \"features\" member",
                ));
            }
            (Some(other), _) => {
                return Err(de::Error::custom(format!(
                    "top-level type is {other:?}; expected a FeatureCollection or Feature"
                )));
            }
            (None, _) => return Err(de::Error::custom("top-level object has no \"type\" member")),
        };
        progress.feature.set(None);
        Ok(Parsed { crs, features })
    }
}

/// The CRS name of a legacy GeoJSON `crs` member: `{"type":"name",
/// "properties":{"name":...}}` or `{"type":"EPSG","properties":{"code":n}}`.
fn crs_name(value: &serde_json::Value) -> Option<String> {
    let props = value.get("properties")?;
    if let Some(name) = props.get("name").and_then(|v| v.as_str()) {
        return Some(name.to_string());
    }
    props.get("code").map(|code| match code {
        serde_json::Value::String(s) => format!("EPSG:{s}"),
        other => format!("EPSG:{other}"),
    })
}

struct FeaturesSeed<'p, 'a>(&'p Progress<'a>);

impl<'de> DeserializeSeed<'de> for FeaturesSeed<'_, '_> {
    type Value = Vec<RawFeature>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for FeaturesSeed<'_, '_> {
    type Value = Vec<RawFeature>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of features")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        loop {
            self.0.feature.set(Some(out.len()));
            *self.0.code.borrow_mut() = None;
            match seq.next_element_seed(FeatureSeed(self.0))? {
                Some(f) => out.push(f),
                None => break,
            }
        }
        self.0.feature.set(None);
        Ok(out)
    }
}

struct FeatureSeed<'p, 'a>(&'p Progress<'a>);

impl<'de> DeserializeSeed<'de> for FeatureSeed<'_, '_> {
    type Value = RawFeature;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<RawFeature, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for FeatureSeed<'_, '_> {
    type Value = RawFeature;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a GeoJSON Feature object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawFeature, A::Error> {
        let mut parts = FeatureParts::default();
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            parts.read(key.as_ref(), &mut map, self.0)?;
        }
        parts.finish(self.0)
    }
}

#[derive(Default)]
struct FeatureParts {
    kind: Option<String>,
    properties: BTreeMap<String, String>,
    geometry: Option<RawGeometry>,
}

impl FeatureParts {
    fn read<'de, A: MapAccess<'de>>(
        &mut self,
        key: &str,
        map: &mut A,
        progress: &Progress,
    ) -> Result<(), A::Error> {
        match key {
            "type" => self.kind = Some(map.next_value()?),
            "properties" => {
                let props: Option<BTreeMap<String, PropText>> = map.next_value()?;
                self.properties = props
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|(k, v)| v.0.map(|v| (k, v)))
                    .collect();
                *progress.code.borrow_mut() = feature_code(&self.properties);
            }
            "geometry" => {
                progress.in_geometry.set(true);
                self.geometry = map.next_value()?;
                progress.in_geometry.set(false);
            }
            _ => {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }

    fn finish<E: de::Error>(self, progress: &Progress) -> Result<RawFeature, E> {
        if let Some(kind) = self.kind.as_deref().filter(|k| *k != "Feature") {
            return Err(progress.fail(format!("type is {kind:?}, expected \"Feature\"")));
        }
        let Some(geometry) = self.geometry else {
            return Err(progress.fail("has no geometry".to_string()));
        };
        let polygons = geometry.into_polygons().map_err(|m| progress.fail(m))?;
        Ok(RawFeature {
            properties: self.properties,
            polygons,
        })
    }
}

/// A property value as text; `None` for JSON null.
struct PropText(Option<String>);

impl<'de> serde::Deserialize<'de> for PropText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(PropVisitor)
    }
}

struct PropVisitor;

impl<'de> Visitor<'de> for PropVisitor {
    type Value = PropText;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a property value")
    }
    fn visit_str<E>(self, v: &str) -> Result<PropText, E> {
        Ok(PropText(Some(v.to_string())))
    }
    fn visit_string<E>(self, v: String) -> Result<PropText, E> {
        Ok(PropText(Some(v)))
    }
    fn visit_bool<E>(self, v: bool) -> Result<PropText, E> {
        Ok(PropText(Some(v.to_string())))
    }
    fn visit_i64<E>(self, v: i64) -> Result<PropText, E> {
        Ok(PropText(Some(v.to_string())))
    }
    fn visit_u64<E>(self, v: u64) -> Result<PropText, E> {
        Ok(PropText(Some(v.to_string())))
    }
    fn visit_f64<E>(self, v: f64) -> Result<PropText, E> {
        Ok(PropText(Some(plain_number(v))))
    }
    fn visit_unit<E>(self) -> Result<PropText, E> {
        Ok(PropText(None))
    }
    fn visit_none<E>(self) -> Result<PropText, E> {
        Ok(PropText(None))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<PropText, A::Error> {
        let v: serde_json::Value =
            serde::Deserialize::deserialize(de::value::SeqAccessDeserializer::new(seq))?;
        Ok(PropText(Some(v.to_string())))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<PropText, A::Error> {
        let v: serde_json::Value =
            serde::Deserialize::deserialize(de::value::MapAccessDeserializer::new(map))?;
        Ok(PropText(Some(v.to_string())))
    }
}

/// A number as plain text: no exponent, no trailing ".0" ("532129", "0.5").
pub(super) fn plain_number(v: f64) -> String {
    format!("{v}")
}
