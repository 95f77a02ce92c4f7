//! The field list of a scored dataset ([`Schema::of`]) and its renderings:
//! one area as JSON, `/api/meta` `fields`, and the docs table.

use serde_json::{Value, json};

use super::{ApiLevel, Cell, Field, Kind, Of, RAW_DECIMALS, Rollup, Schema};
use crate::dataset::{Column, Measure, Unit, Values};
use crate::score::ScoredDataset;

/// The area-count field of ward and borough roll-ups.
pub fn lsoa_count_field() -> Field {
    Field::new(
        "lsoa_count",
        "Number of small areas",
        Kind::Count,
        Of::AreaCount,
    )
    .rollup(Rollup::Sum)
    .api(None)
}

impl Schema {
    /// The fields of `scored`: identity, index, rank, decile, component and
    /// indicator scores, uncertainty, key groups, types of need, the
    /// demonstration flag,
    /// then each source column (exports only, except `population`, the
    /// roll-up weight, which the map also reads).
    pub fn of(scored: &ScoredDataset) -> Schema {
        let s = &scored.scores;
        let ds = &*scored.dataset;
        let summary = Some(ApiLevel::Summary);
        let m = &scored.methodology;
        let risk = "higher risk";
        let mut f = vec![
            Field::new("code", "Area code", Kind::Text, Of::Code)
                .rollup(Rollup::Key)
                .overview(),
            Field::new("name", "Area name", Kind::Text, Of::Name).rollup(Rollup::Key),
            Field::new("borough_code", "Borough code", Kind::Text, Of::BoroughCode)
                .rollup(Rollup::Key),
            Field::new("borough_name", "Borough", Kind::Text, Of::BoroughName).rollup(Rollup::Key),
            Field::new("ward_code", "Ward code", Kind::Text, Of::WardCode)
                .rollup(Rollup::Key)
                .detail(),
            Field::new("ward_name", "Ward", Kind::Text, Of::WardName)
                .rollup(Rollup::Key)
                .detail(),
            Field::new(
                "index",
                "Digital exclusion risk index",
                Kind::Score,
                Of::Index,
            )
            .describe(m.description.clone(), risk)
            .overview(),
            Field::new("rank", "Rank (1 = highest risk)", Kind::Rank, Of::Rank),
            Field::new(
                "decile",
                "Decile (10 = highest-risk tenth)",
                Kind::Rank,
                Of::Decile,
            )
            .describe("", risk)
            .overview(),
            // Why an area has no index: the methodology's min_coverage.
            Field::new(
                "index_status",
                "Index status (ok, insufficient_data, out_of_scope)",
                Kind::Category,
                Of::IndexStatus,
            )
            .overview(),
            Field::new(
                "missing_inputs",
                "Indicators with no value for the area (;-separated)",
                Kind::Text,
                Of::MissingInputs,
            ),
            Field::new(
                "coverage",
                "Share of the index weight with a value",
                Kind::Share,
                Of::Coverage,
            )
            .describe(
                "Weights of the indicators the area has a value for, as a share of the index weight.",
                "more of the inputs present",
            )
            .rollup(Rollup::Drop)
            .detail(),
            // Exports only: the API's area detail carries them with their
            // values, and tiles would grow by a string per area.
            Field {
                tile_minzoom: None,
                ..Field::new(
                    "drivers",
                    "Indicators raising the index most above the scope median (;-separated, largest first)",
                    Kind::Text,
                    Of::Drivers,
                )
                .api(None)
            },
        ];
        // Ward identity is detail in tiles but wanted in every API body.
        for x in &mut f {
            if x.rollup == Rollup::Key
                || matches!(
                    x.of,
                    Of::Index | Of::Rank | Of::Decile | Of::IndexStatus | Of::MissingInputs
                )
            {
                x.api = summary;
            }
        }
        for (j, c) in s.components.iter().enumerate() {
            f.push(
                Field::new(
                    format!("c_{}", c.id.0),
                    &c.label,
                    Kind::Score,
                    Of::Component(j),
                )
                .describe(
                    "A component of the index: the weighted mean of its indicators' scores.",
                    risk,
                ),
            );
        }
        for (j, ind) in s.indicators.iter().enumerate() {
            let mut x = Field::new(
                format!("i_{}", ind.id.0),
                &ind.label,
                Kind::Score,
                Of::Indicator(j),
            )
            .describe(
                format!(
                    "An indicator's score, 0 to 10 across the areas scored, from the column '{}'.",
                    ind.column
                ),
                risk,
            )
            .detail();
            x.api = Some(ApiLevel::Scores);
            f.push(x);
        }
        if s.sensitivity.is_some() {
            let draws = "The share of the weight-sensitivity draws in which the area is \
                         among the highest-risk tenth.";
            f.push(
                Field::new(
                    "p_top",
                    "Probability of being in the top-risk decile",
                    Kind::Share,
                    Of::TopDecileProbability,
                )
                .describe(draws, "more likely to be among the highest-risk tenth"),
            );
            // A quantile of an area's rank says nothing about a ward's rank.
            f.push(
                Field::new("rank_p05", "Rank, 5th percentile", Kind::Rank, Of::RankP05)
                    .rollup(Rollup::Drop)
                    .detail(),
            );
            f.push(
                Field::new("rank_p95", "Rank, 95th percentile", Kind::Rank, Of::RankP95)
                    .rollup(Rollup::Drop)
                    .detail(),
            );
        }
        for (j, k) in s.personas.iter().enumerate() {
            let about = m
                .personas
                .iter()
                .find(|p| p.id == k.id)
                .map_or(String::new(), |p| p.description.clone());
            f.push(
                Field::new(
                    format!("k_{}_count", k.id.0),
                    format!("{}: estimated residents", k.label),
                    Kind::Count,
                    Of::KeyGroupCount(j),
                )
                .describe(about.clone(), "more residents in the group")
                .detail(),
            );
            f.push(
                Field::new(
                    format!("k_{}_share", k.id.0),
                    format!("{}: share of residents", k.label),
                    Kind::Share,
                    Of::KeyGroupShare(j),
                )
                .describe(about, "a larger share of residents in the group")
                .detail(),
            );
        }
        // Types of need: the largest group behind each (a map layer), and
        // its upper bound (exports only).
        for n in scored.need_types() {
            f.push(
                Field::new(
                    format!("n_{}_count", n.id),
                    format!(
                        "{}: residents likely to need it (largest group behind it)",
                        n.label
                    ),
                    Kind::Count,
                    Of::NeedCount(n.position),
                )
                .detail(),
            );
            f.push(Field {
                tile_minzoom: None,
                ..Field::new(
                    format!("n_{}_upper", n.id),
                    format!(
                        "{}: upper bound, min(sum of the groups, population)",
                        n.label
                    ),
                    Kind::Count,
                    Of::NeedUpper(n.position),
                )
                .api(None)
            });
        }
        f.push(
            Field::new(
                "demo",
                "Holds demonstration (not real) data",
                Kind::Flag,
                Of::Demonstration,
            )
            .api(Some(ApiLevel::Detail)),
        );
        for (j, c) in ds.columns.iter().enumerate() {
            // A source column never shadows a derived field.
            let mut name = c.id.to_string();
            if f.iter().any(|x| x.name == name) {
                name = format!("v_{name}");
            }
            let (kind, unit) = column_kind_unit(c);
            let mut x = Field::new(name, &c.label, kind, Of::Column(j)).api(None);
            x.tile_minzoom = None;
            x.unit = unit;
            x.description = [c.source.vintage.as_str(), c.source.method.as_str()]
                .iter()
                .filter(|t| !t.is_empty())
                .copied()
                .collect::<Vec<_>>()
                .join(": ");
            // Raw values keep enough places to re-ingest an export exactly.
            x.decimals = RAW_DECIMALS;
            if c.id.as_str() == "population" {
                x.api = Some(ApiLevel::Scores);
            }
            f.push(x);
        }
        Schema { fields: f }
    }

    /// A field by name.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// Fields an API body at `level` carries.
    pub fn api_fields(&self, level: ApiLevel) -> impl Iterator<Item = &Field> {
        self.fields
            .iter()
            .filter(move |f| f.api.is_some_and(|l| l <= level))
    }

    /// Fields of the `lsoa` tile layer.
    pub fn tile_fields(&self) -> impl Iterator<Item = &Field> {
        self.fields.iter().filter(|f| f.tile_minzoom.is_some())
    }

    /// Area `i`'s fields at `level` as a JSON object (missing values as null).
    pub fn area_json(&self, scored: &ScoredDataset, i: usize, level: ApiLevel) -> Value {
        let mut m = serde_json::Map::new();
        for f in self.api_fields(level) {
            m.insert(f.name.clone(), cell_json(f, f.value(scored, i)));
        }
        Value::Object(m)
    }

    /// `/api/meta` `fields`.
    pub fn to_json(&self) -> Value {
        Value::Array(self.fields.iter().map(Field::to_json).collect())
    }

    /// The field list as the Markdown table in docs/EXPORTS.md (a test
    /// checks the docs against it).
    pub fn markdown(&self) -> String {
        let mut out = String::from(
            "| field | kind | unit | decimals | ward/borough roll-up | tiles from zoom | API |\n\
             |---|---|---|---|---|---|---|\n",
        );
        for f in &self.fields {
            let api = match f.api {
                Some(ApiLevel::Summary) => "lists, scores, detail",
                Some(ApiLevel::Scores) => "scores, detail",
                Some(ApiLevel::Detail) => "detail",
                None => "–",
            };
            let zoom = f.tile_minzoom.map_or("–".to_string(), |z| z.to_string());
            out.push_str(&format!(
                "| `{}` | {} | {} | {} | {} | {} | {} |\n",
                f.name,
                f.kind.as_str(),
                if f.unit.is_empty() { "–" } else { f.unit },
                if f.kind.is_numeric() {
                    f.decimals.to_string()
                } else {
                    "–".into()
                },
                f.rollup.as_str(),
                zoom,
                api,
            ));
        }
        out
    }
}

/// The kind and unit of a source column: from what it measures and the
/// unit its project file declares (the label only when it declares none).
pub fn column_kind_unit(c: &Column) -> (Kind, &'static str) {
    let kind = match (&c.values, &c.source.measure, c.source.unit) {
        (Values::Category(_), _, _) | (_, Measure::Category, _) => Kind::Category,
        (_, Measure::Count, _) => Kind::Count,
        (_, Measure::Rate { .. }, _) | (_, _, Some(Unit::Share)) => Kind::Share,
        _ => Kind::Value,
    };
    let unit = match kind {
        Kind::Count => "count",
        Kind::Value => c
            .source
            .unit
            .map_or_else(|| unit_from_label(&c.label), column_unit),
        k => k.unit(),
    };
    (kind, unit)
}

/// A declared unit as `/api/meta` names it (the names the page's
/// `format.js` reads).
fn column_unit(u: Unit) -> &'static str {
    match u {
        Unit::Share => Kind::Share.unit(),
        Unit::Percent => "percent",
        Unit::Count => "count",
        Unit::Unitless => "",
    }
}

/// The unit of a ready-made value column that declares none (older project
/// files), from the label's conventions: "… (%)" is a percentage (0–100),
/// "Share …" a proportion (0–1); anything else has no unit the page could
/// name.
pub fn unit_from_label(label: &str) -> &'static str {
    let l = label.trim();
    if l.ends_with("(%)") {
        "percent"
    } else if l.to_lowercase().starts_with("share ") {
        Kind::Share.unit()
    } else {
        ""
    }
}

/// A cell as JSON: whole numbers as integers, missing as null.
pub fn cell_json(f: &Field, c: Option<Cell<'_>>) -> Value {
    match c {
        None => Value::Null,
        Some(Cell::Text(t)) => json!(t),
        Some(Cell::Bool(b)) => json!(b),
        Some(Cell::Num(x)) if f.decimals == 0 && x.abs() < 9e15 => json!(x as i64),
        Some(Cell::Num(x)) => json!(x),
    }
}
