//! `dxmap score`: a dataset and a methodology in, one CSV or GeoJSON file
//! of scores out, the format taken from the file's extension. The whole
//! dataset is scored under `--scope`, then only the areas `--within` picks
//! are written, each with the scores it has in the whole run plus its rank
//! and decile within the selection. It is `dxmap export csv|geojson` under
//! an analyst's name: one implementation writes both.
//!
//! [`SelectArgs`] (`--scope`, `--within`) is shared with `export` and `serve`.

use std::path::PathBuf;
use std::sync::Arc;

use dxmap::dataset::Dataset;
use dxmap::export::Level;
use dxmap::file_checks::Input;
use dxmap::score::{Methodology, Scope, ScoreOptions, ScoredDataset};
use dxmap::select::{self, Selection, Within};
use dxmap::server::ServeError;
use dxmap::server::reload::ScoreFn;

use super::export::{self, Format};

/// The scope and selection flags of `score`, `export` and `serve`.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct SelectArgs {
    /// Normalise and rank within each local authority, each nation, or all
    /// areas together (default: the methodology's `scope`).
    #[arg(long, value_name = "local_authority|nation|all", value_parser = parse_scope)]
    pub scope: Option<Scope>,
    /// Write (or serve) only these areas, scored with the whole dataset:
    /// local authority, ward or LSOA codes (comma-separated), a text file of
    /// codes, or a polygon file (GeoJSON or Shapefile; an area is in when its
    /// label point is).
    #[arg(long, value_name = "CODES|FILE")]
    pub within: Option<Within>,
}

impl SelectArgs {
    /// Scoring options with this scope.
    // Other options (the score stage is adding some) keep their defaults.
    #[allow(clippy::needless_update)]
    pub fn options(&self, sensitivity_draws: u32) -> ScoreOptions {
        ScoreOptions {
            scope: self.scope.clone(),
            sensitivity_draws: (sensitivity_draws > 0).then_some(sensitivity_draws),
            ..ScoreOptions::default()
        }
    }

    /// The `--within` file, as an input of the run that no output may replace.
    pub fn inputs(&self) -> Vec<Input> {
        match &self.within {
            Some(Within::File(path)) => vec![Input::new("the --within file", path)],
            _ => Vec::new(),
        }
    }

    /// The selection in `dataset`, when `--within` was given.
    pub fn resolve(&self, dataset: &Dataset) -> Result<Option<Selection>, select::SelectError> {
        self.within
            .as_ref()
            .map(|w| select::resolve(w, dataset))
            .transpose()
    }

    /// A scoring step for the server: the whole dataset scored, then cut
    /// to the selection (resolved again at each reload).
    pub fn scorer(
        &self,
        path: PathBuf,
        methodology: Arc<Methodology>,
        opts: ScoreOptions,
    ) -> Arc<ScoreFn> {
        let this = self.clone();
        Arc::new(move |ds: Arc<Dataset>| {
            let scored = ScoredDataset::new(ds, methodology.clone(), &opts).map_err(|source| {
                ServeError::Score {
                    path: path.clone(),
                    source,
                }
            })?;
            this.apply(scored)
                .map_err(|e| ServeError::Other(format!("{}: {e}", path.display())))
        })
    }

    /// `scored` cut to the selection, or as it is without `--within`.
    pub fn apply(&self, scored: ScoredDataset) -> Result<ScoredDataset, select::SelectError> {
        Ok(match self.resolve(&scored.dataset)? {
            Some(sel) => select::restrict(&scored, &sel),
            None => scored,
        })
    }
}

fn parse_scope(s: &str) -> Result<Scope, String> {
    match s.trim().to_ascii_lowercase().replace('-', "_").as_str() {
        "local_authority" | "la" => Ok(Scope::LocalAuthority),
        "nation" => Ok(Scope::Nation),
        "all" => Ok(Scope::All),
        _ => Err(format!(
            "unknown scope '{s}' (expected local_authority, nation or all)"
        )),
    }
}

/// Arguments of `dxmap score`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Dataset artifact from `dxmap build`, or a project `.toml` built on the
    /// fly (default: the embedded London dataset).
    #[arg(long, value_name = "PATH")]
    pub dataset: Option<PathBuf>,
    /// Methodology file (default: the embedded methodology/london.toml).
    #[arg(long, value_name = "FILE")]
    pub methodology: Option<PathBuf>,
    #[command(flatten)]
    pub select: SelectArgs,
    /// Destination: `.csv`, or `.geojson`/`.json` (replaced atomically).
    #[arg(long, short)]
    pub out: PathBuf,
    /// Rows per LSOA, or rolled up to wards or boroughs.
    #[arg(long, default_value = "lsoa", value_parser = parse_level)]
    pub level: Level,
    /// Weight-sensitivity draws for the uncertainty columns (0 = none).
    #[arg(long, default_value_t = 200)]
    pub sensitivity_draws: u32,
}

fn parse_level(s: &str) -> Result<Level, String> {
    s.parse()
}

/// Runs `dxmap score`.
pub fn run(args: Args, quiet: bool) -> anyhow::Result<()> {
    let name = args
        .out
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let format = if name.ends_with(".csv") {
        Format::Csv
    } else if name.ends_with(".geojson") || name.ends_with(".json") {
        Format::Geojson
    } else {
        anyhow::bail!(
            "{}: --out must end in .csv, .geojson or .json (for tiles use `dxmap export mbtiles|pmtiles`)",
            args.out.display()
        );
    };
    export::run(
        export::Args {
            format,
            out: args.out,
            dataset: args.dataset,
            methodology: args.methodology,
            level: args.level,
            max_zoom: 14,
            encoding: Default::default(),
            sensitivity_draws: Some(args.sensitivity_draws),
            select: args.select,
        },
        quiet,
    )
}

#[cfg(test)]
mod tests {
    use super::super::parse;
    use super::*;

    #[test]
    fn flags_parse() {
        let t = parse::<Args>(&[
            "x",
            "--scope",
            "local-authority",
            "--within",
            "E08000035,E08000036",
            "--out",
            "leeds.csv",
        ])
        .unwrap();
        assert_eq!(t.select.scope, Some(Scope::LocalAuthority));
        assert_eq!(
            t.select.within,
            Some(Within::Codes(vec!["E08000035".into(), "E08000036".into()]))
        );
        assert!(parse::<Args>(&["x", "--scope", "city", "--out", "a.csv"]).is_err());
        let t = parse::<Args>(&["x", "--within", "leeds.geojson", "--out", "a.csv"]).unwrap();
        assert_eq!(t.select.within, Some(Within::File("leeds.geojson".into())));
    }
}
