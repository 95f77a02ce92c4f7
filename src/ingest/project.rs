//! Project files: the TOML that names a build's boundaries and tables.
//!
//! In: the text of a project file and where its files live ([`Files`]).
//! Out: a [`Project`], the parsed and checked specification that
//! [`crate::ingest::build()`] follows. Unknown keys are rejected, and every
//! error names the project file, the line and the key. Paths inside a project
//! file are relative to the project file.
//!
//! ```toml
//! title = "London LSOA 2011"
//! geography = "LSOA 2011"
//! attribution = ["Source: Office for National Statistics licensed under the Open Government Licence v3.0."]
//!
//! [boundaries]
//! file = "boundaries/london_lsoa11.geojson"
//! code = "LSOA11CD"
//! name = "LSOA11NM"
//! borough = { name_prefix = "london" }
//!
//! [[dataset]]
//! name = "census2011_qualifications"
//! file = "census/qualifications.csv"
//! code = "LSOA11CD"
//! vintage = "Census 2011"
//! unmatched_rows = "ignore"
//! column = [
//!   { id = "no_qualifications", label = "No qualifications", rate = { numerator = "no_qualifications", denominator = "residents_16plus" } },
//! ]
//! ```

use std::io::Read;
use std::ops::Range;
use std::path::{Path, PathBuf};

use super::IngestError;
use super::boundaries::Crs;
use super::files::Files;
use crate::text::line_of;

mod spec;

pub use spec::{
    AreaLookupSpec, BoroughSpec, BoundarySpec, Cols, ColumnKind, ColumnSpec, DatasetSpec,
    GeographyKind, LookupSpec, Policy, ProjectSpec, RateSpec, SourceBoundarySpec, Unmatched,
    declared_unit,
};

/// Largest project file read: they are a few kilobytes of TOML.
pub const MAX_PROJECT_BYTES: u64 = 1 << 20;

/// A parsed, checked project.
#[derive(Clone, Debug)]
pub struct Project {
    /// The project file (for messages).
    pub path: PathBuf,
    /// Where its files come from.
    pub files: Files,
    /// The specification.
    pub spec: ProjectSpec,
    text: String,
}

impl Project {
    /// Reads a project file from disk; its files are resolved beside it.
    pub fn load(path: &Path) -> Result<Project, IngestError> {
        let io = |source| IngestError::Io {
            file: path.to_path_buf(),
            source,
        };
        let mut bytes = Vec::new();
        crate::file_checks::open_input(path)
            .and_then(|f| f.take(MAX_PROJECT_BYTES + 1).read_to_end(&mut bytes))
            .map_err(io)?;
        if bytes.len() as u64 > MAX_PROJECT_BYTES {
            return Err(IngestError::File {
                file: path.to_path_buf(),
                message: format!(
                    "larger than {MAX_PROJECT_BYTES} bytes; a project file is a short TOML file naming the data files"
                ),
            });
        }
        let text = crate::capped::utf8_text(path, bytes)?;
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Project::parse(&text, path, Files::Dir(dir))
    }

    /// Parses project text; `path` names it in messages.
    pub fn parse(text: &str, path: &Path, files: Files) -> Result<Project, IngestError> {
        let spec: ProjectSpec = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| line_of(text, s.start)).unwrap_or(1);
            IngestError::Row {
                file: path.to_path_buf(),
                line,
                message: e.message().trim().to_string(),
            }
        })?;
        let project = Project {
            path: path.to_path_buf(),
            files,
            spec,
            text: text.to_string(),
        };
        project.check()?;
        Ok(project)
    }

    /// The 1-based line of a byte span in the project file.
    pub fn line(&self, span: &Range<usize>) -> usize {
        line_of(&self.text, span.start)
    }

    /// An error at a place in the project file.
    pub fn error_at(&self, span: &Range<usize>, message: impl Into<String>) -> IngestError {
        IngestError::msg(message)
            .with_line(self.line(span))
            .with_path(&self.path)
    }

    /// The stated boundary CRS, parsed.
    pub fn boundary_crs(&self) -> Result<Option<Crs>, IngestError> {
        match &self.spec.boundaries.crs {
            None => Ok(None),
            Some(s) => Crs::parse(s).map(Some).ok_or_else(|| IngestError::File {
                file: self.path.clone(),
                message: format!("boundaries.crs: unknown CRS '{s}' (use e.g. EPSG:27700)"),
            }),
        }
    }

    fn check(&self) -> Result<(), IngestError> {
        let mut problems = Vec::new();
        let mut ids = std::collections::BTreeMap::new();
        let b = &self.spec.boundaries;
        if let Some(c) = &b.crs
            && Crs::parse(c).is_none()
        {
            problems.push(IngestError::File {
                file: self.path.clone(),
                message: format!("boundaries.crs: unknown CRS '{c}' (use e.g. EPSG:27700)"),
            });
        }
        if let Some(p) = b.borough.as_ref().and_then(|bo| bo.name_prefix.as_ref())
            && p != "london"
        {
            problems.push(IngestError::File {
                file: self.path.clone(),
                message: format!(
                    "boundaries.borough.name_prefix: unknown table '{p}' (only \"london\")"
                ),
            });
        }
        for d in &self.spec.datasets {
            let span = d.span();
            let d = d.get_ref();
            let at = |m: String| self.error_at(&span, format!("dataset '{}': {m}", d.name));
            match d.geography {
                GeographyKind::Oa | GeographyKind::Lookup if d.lookup.is_none() => {
                    problems.push(at("geography needs a 'lookup' table".into()))
                }
                GeographyKind::Interpolate if d.boundaries.is_none() => {
                    problems.push(at("geography 'interpolate' needs 'boundaries'".into()))
                }
                GeographyKind::Points => {
                    let ll = d.lon.is_some() && d.lat.is_some();
                    let en = d.easting.is_some() && d.northing.is_some();
                    if !(ll || en) {
                        problems.push(at(
                            "geography 'points' needs 'lon' and 'lat', or 'easting' and 'northing'"
                                .into(),
                        ));
                    }
                }
                _ => {}
            }
            if d.geography != GeographyKind::Points && d.code.is_none() {
                problems.push(at(
                    "missing key 'code' (the column holding area codes)".into()
                ));
            }
            if let Some(c) = d.boundaries.as_ref().and_then(|b| b.crs.as_ref())
                && Crs::parse(c).is_none()
            {
                problems.push(at(format!("boundaries.crs: unknown CRS '{c}'")));
            }
            if d.columns.is_empty() {
                problems.push(at("no 'column' entries".into()));
            }
            for c in &d.columns {
                let cspan = c.span();
                let c = c.get_ref();
                let at = |m: String| {
                    self.error_at(
                        &cspan,
                        format!("dataset '{}': column '{}': {m}", d.name, c.id),
                    )
                };
                if c.kind().is_none() {
                    problems.push(at(
                        "give exactly one of 'count', 'rate', 'value' or 'category'".into(),
                    ));
                }
                if let Some(ColumnKind::Count(cols)) = c.kind()
                    && cols.iter().any(|c| c == "*")
                    && d.geography != GeographyKind::Points
                {
                    problems.push(at("count = \"*\" (count rows) is only for points".into()));
                }
                if let Err(m) = c.unit() {
                    problems.push(at(m));
                }
                let numeric = !matches!(c.kind(), Some(ColumnKind::Category(_)));
                if ids.insert(c.id.clone(), numeric).is_some() {
                    problems.push(at("duplicate column id".into()));
                }
            }
        }
        super::derived::check(self, &mut ids, &mut problems);
        if problems.is_empty() {
            Ok(())
        } else {
            Err(IngestError::one_or_many(problems))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
title = "T"
[boundaries]
file = "b.geojson"
code = "LSOA11CD"
name = "LSOA11NM"
borough = { name_prefix = "london" }

[[dataset]]
name = "q"
file = "q.csv"
code = "LSOA11CD"
vintage = "Census 2011"
column = [
  { id = "noq", label = "No quals", rate = { numerator = "a", denominator = ["b", "c"] } },
  { id = "grp", label = "Group", category = "GRP_LABEL" },
]
"#;

    fn parse(text: &str) -> Result<Project, IngestError> {
        Project::parse(text, Path::new("p.toml"), Files::Dir(PathBuf::new()))
    }

    #[test]
    fn parses_columns_and_kinds() {
        let p = parse(GOOD).unwrap();
        let d = p.spec.datasets[0].get_ref();
        assert_eq!(
            d.columns[0].get_ref().kind(),
            Some(ColumnKind::Rate(
                vec!["a".into()],
                vec!["b".into(), "c".into()]
            ))
        );
        assert_eq!(p.line(&d.columns[1].span()), 16);
    }

    #[test]
    fn unknown_key_names_file_line_and_key() {
        let text = GOOD.replace("vintage = \"Census 2011\"", "vintage = \"x\"\ncolour = 1");
        let e = parse(&text).unwrap_err().to_string();
        assert!(e.starts_with("p.toml: line 14:"), "{e}");
        assert!(e.contains("colour"), "{e}");
    }

    #[test]
    fn two_kinds_in_one_column_is_an_error_at_its_line() {
        let text = GOOD.replace(
            "category = \"GRP_LABEL\"",
            "category = \"G\", value = \"v\"",
        );
        let e = parse(&text).unwrap_err().to_string();
        assert!(
            e.starts_with("p.toml: line 16: dataset 'q': column 'grp'"),
            "{e}"
        );
    }

    #[test]
    fn a_declared_unit_is_checked_at_its_line() {
        let text = GOOD.replace(
            "category = \"GRP_LABEL\" }",
            "category = \"GRP_LABEL\" },\n  { id = \"inc\", label = \"Income\", value = \"i\", unit = \"share\" },\n  { id = \"bad\", label = \"Bad\", value = \"b\", unit = \"furlongs\" },\n  { id = \"r\", label = \"R\", rate = { numerator = \"a\", denominator = \"b\" }, unit = \"percent\" }",
        );
        let e = parse(&text).unwrap_err().to_string();
        assert!(
            e.contains("p.toml: line 18: dataset 'q': column 'bad': unknown unit 'furlongs' (use share, percent, count or none)"),
            "{e}"
        );
        assert!(
            e.contains("line 19: dataset 'q': column 'r': unit 'percent' does not fit a rate"),
            "{e}"
        );
        assert!(!e.contains("'inc'"), "{e}");
        let ok = text
            .replace("unit = \"furlongs\"", "unit = \"none\"")
            .replace("unit = \"percent\"", "unit = \"share\"");
        let p = parse(&ok).unwrap();
        let cols = &p.spec.datasets[0].get_ref().columns;
        assert_eq!(
            cols[2].get_ref().unit(),
            Ok(Some(crate::dataset::Unit::Share))
        );
        assert_eq!(
            cols[3].get_ref().unit(),
            Ok(Some(crate::dataset::Unit::Unitless))
        );
    }

    #[test]
    fn crs_spellings() {
        assert_eq!(Crs::parse("EPSG:27700"), Some(Crs::BritishNationalGrid));
        assert_eq!(Crs::parse("crs84"), Some(Crs::Wgs84));
        assert_eq!(Crs::parse("EPSG:3857"), Some(Crs::Epsg(3857)));
        assert_eq!(Crs::parse("nonsense"), None);
    }
}
