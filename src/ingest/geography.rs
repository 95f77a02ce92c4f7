//! Getting a table's rows onto the boundary areas when they are not keyed by
//! the areas' own codes, and the units (borough, ward) each area belongs to.
//!
//! In: lookup tables (OA → LSOA, one LSOA vintage → another, area → ward or
//! borough) and the sorted area codes. Out: [`Contrib`]s, each saying that a
//! fraction of a table row goes to an area, and unit maps from area code to
//! (unit code, unit name). The London borough table turns a 2011 LSOA name
//! prefix ("Camden 001A") into a borough code (E09000007).

use std::collections::{BTreeMap, HashMap};

use super::IngestError;
use super::files::Files;
use super::project::{AreaLookupSpec, LookupSpec};
use super::tables::Table;
use super::validate::read_pairs;

// The units' boundary vintage, for outputs that show wards.
impl AreaLookupSpec {
    /// The stated vintage, else the year in an ONS `WDyyCD`-style column name.
    pub fn vintage(&self) -> String {
        if let Some(v) = &self.vintage {
            return v.trim().to_string();
        }
        let c = self.unit_code.to_ascii_uppercase();
        match c.as_bytes() {
            [b'W', b'D', a, b, b'C', b'D'] if a.is_ascii_digit() && b.is_ascii_digit() => {
                format!("wards 20{}{}", *a as char, *b as char)
            }
            _ => String::new(),
        }
    }
}

/// A share of one table row that goes to one area.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Contrib {
    /// Position of the area in the sorted areas.
    pub target: usize,
    /// Position of the kept row.
    pub row: usize,
    /// Fraction of the row's counts that goes to the area.
    pub fraction: f64,
    /// Weight for averaging values when no weight column is given
    /// (intersection area when interpolating, else the fraction).
    pub area_weight: f64,
}

/// The 33 London boroughs (local authority districts), code and name.
pub const LONDON_BOROUGHS: [(&str, &str); 33] = [
    ("E09000001", "City of London"),
    ("E09000002", "Barking and Dagenham"),
    ("E09000003", "Barnet"),
    ("E09000004", "Bexley"),
    ("E09000005", "Brent"),
    ("E09000006", "Bromley"),
    ("E09000007", "Camden"),
    ("E09000008", "Croydon"),
    ("E09000009", "Ealing"),
    ("E09000010", "Enfield"),
    ("E09000011", "Greenwich"),
    ("E09000012", "Hackney"),
    ("E09000013", "Hammersmith and Fulham"),
    ("E09000014", "Haringey"),
    ("E09000015", "Harrow"),
    ("E09000016", "Havering"),
    ("E09000017", "Hillingdon"),
    ("E09000018", "Hounslow"),
    ("E09000019", "Islington"),
    ("E09000020", "Kensington and Chelsea"),
    ("E09000021", "Kingston upon Thames"),
    ("E09000022", "Lambeth"),
    ("E09000023", "Lewisham"),
    ("E09000024", "Merton"),
    ("E09000025", "Newham"),
    ("E09000026", "Redbridge"),
    ("E09000027", "Richmond upon Thames"),
    ("E09000028", "Southwark"),
    ("E09000029", "Sutton"),
    ("E09000030", "Tower Hamlets"),
    ("E09000031", "Waltham Forest"),
    ("E09000032", "Wandsworth"),
    ("E09000033", "Westminster"),
];

/// The London borough of an LSOA name such as "Camden 001A": (code, name).
pub fn london_borough_of(lsoa_name: &str) -> Option<(&'static str, &'static str)> {
    let prefix = lsoa_name.trim().rsplit_once(' ')?.0.trim();
    LONDON_BOROUGHS
        .iter()
        .find(|(_, n)| n.eq_ignore_ascii_case(prefix))
        .copied()
}

/// Reads an area → (unit code, unit name) lookup. The first row for an area wins.
pub fn read_units(
    files: &Files,
    spec: &AreaLookupSpec,
) -> Result<HashMap<String, (String, String)>, IngestError> {
    let table = Table::parse(
        &files.read_table(&spec.file)?,
        &files.display_path(&spec.file),
    )?;
    let codes = table.require(&spec.code)?;
    let unit_codes = table.require(&spec.unit_code)?;
    let unit_names = table.require(&spec.unit_name)?;
    let mut out = HashMap::with_capacity(codes.len());
    for ((c, u), n) in codes.iter().zip(&unit_codes).zip(&unit_names) {
        if let (Some(c), Some(u)) = (c, u) {
            out.entry(c.to_string())
                .or_insert_with(|| (u.to_string(), n.unwrap_or("").to_string()));
        }
    }
    Ok(out)
}

/// Reads a code lookup as (from, to) pairs.
pub fn read_lookup(files: &Files, spec: &LookupSpec) -> Result<Vec<(String, String)>, IngestError> {
    let table = Table::parse(
        &files.read_table(&spec.file)?,
        &files.display_path(&spec.file),
    )?;
    read_pairs(&table, &spec.from, &spec.to)
}

/// How rows with a given code reach the areas.
#[derive(Debug, Default)]
pub struct Routes {
    /// Row code → (area position, fraction, averaging weight).
    pub to: HashMap<String, Vec<(usize, f64, f64)>>,
}

impl Routes {
    /// Rows keyed by the areas' own codes.
    pub fn direct(codes: &[&str]) -> Routes {
        Routes {
            to: codes
                .iter()
                .enumerate()
                .map(|(i, c)| (c.to_string(), vec![(i, 1.0, 1.0)]))
                .collect(),
        }
    }

    /// Many-to-one (OA → LSOA): every row goes whole to its area. Pairs are (row code, area code).
    pub fn many_to_one(
        pairs: &[(String, String)],
        position: impl Fn(&str) -> Option<usize>,
    ) -> Routes {
        let mut to = HashMap::with_capacity(pairs.len());
        for (from, area) in pairs {
            if let Some(i) = position(area) {
                to.entry(from.clone())
                    .or_insert_with(|| vec![(i, 1.0, 1.0)]);
            }
        }
        Routes { to }
    }

    /// Best-fit vintage lookup. Pairs are (row code, area code): each area takes
    /// one row; a row shared by `n` areas gives each `1/n` of its counts, and
    /// its rates and values unchanged.
    pub fn best_fit(
        pairs: &[(String, String)],
        position: impl Fn(&str) -> Option<usize>,
    ) -> Routes {
        let mut by_row: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        let mut seen = std::collections::HashSet::new();
        for (from, area) in pairs {
            if let Some(i) = position(area)
                && seen.insert(i)
            {
                by_row.entry(from.as_str()).or_default().push(i);
            }
        }
        Routes {
            to: by_row
                .into_iter()
                .map(|(k, v)| {
                    let f = 1.0 / v.len() as f64;
                    (k.to_string(), v.into_iter().map(|i| (i, f, f)).collect())
                })
                .collect(),
        }
    }

    /// True when rows with this code reach some area.
    pub fn knows(&self, code: &str) -> bool {
        self.to.contains_key(code)
    }

    /// The contributions of the kept rows, sorted by area then row.
    pub fn contribs(&self, codes: &[String]) -> Vec<Contrib> {
        let mut out = Vec::with_capacity(codes.len());
        for (row, c) in codes.iter().enumerate() {
            for &(target, fraction, area_weight) in self.to.get(c).map(Vec::as_slice).unwrap_or(&[])
            {
                out.push(Contrib {
                    target,
                    row,
                    fraction,
                    area_weight,
                });
            }
        }
        out.sort_by_key(|c| (c.target, c.row));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn borough_from_name_prefix() {
        assert_eq!(
            london_borough_of("Camden 001A"),
            Some(("E09000007", "Camden"))
        );
        assert_eq!(
            london_borough_of("Barking and Dagenham 016A").map(|b| b.0),
            Some("E09000002")
        );
        assert_eq!(london_borough_of("Manchester 001A"), None);
        assert_eq!(london_borough_of("Camden"), None);
    }

    #[test]
    fn best_fit_splits_counts_between_areas_sharing_a_row() {
        let pairs = [
            ("N1".to_string(), "A".to_string()),
            ("N1".to_string(), "B".to_string()),
            ("N2".to_string(), "C".to_string()),
            ("N3".to_string(), "Z".to_string()),
        ];
        let pos = |c: &str| ["A", "B", "C"].iter().position(|x| *x == c);
        let r = Routes::best_fit(&pairs, pos);
        assert!(
            !r.knows("N3"),
            "rows for areas outside the boundaries are unmatched"
        );
        let c = r.contribs(&["N2".into(), "N1".into()]);
        assert_eq!(c.len(), 3);
        assert_eq!((c[0].target, c[0].row, c[0].fraction), (0, 1, 0.5));
        assert_eq!((c[2].target, c[2].row, c[2].fraction), (2, 0, 1.0));
    }
}
