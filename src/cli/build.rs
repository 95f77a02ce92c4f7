//! `dxmap build`: a project file in, a dataset artifact out (and optionally
//! the joined columns as CSV). Prints the coverage report (with `--quiet`
//! only its warnings, on stderr); on any error nothing is written, and an output that is one of
//! the project's files, or a FIFO or device, is refused before the build.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;

use dxmap::dataset::{Dataset, Values};
use dxmap::ingest::{self, BuildOptions, Project, boundaries::Crs};

use super::common::{build_options, check_run_files, project_run_inputs};

/// Arguments of `dxmap build`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The project file (TOML) naming boundaries and tables.
    #[arg(long, short)]
    pub project: PathBuf,
    /// Where to write the dataset artifact.
    #[arg(long, short)]
    pub out: PathBuf,
    /// CRS of the boundary file when it does not say (e.g. EPSG:27700).
    #[arg(long, value_parser = parse_crs)]
    pub crs: Option<Crs>,
    /// Also write the joined columns as CSV (code, name, borough and ward codes and names, then every column).
    #[arg(long)]
    pub table: Option<PathBuf>,
}

fn parse_crs(s: &str) -> Result<Crs, String> {
    Crs::parse(s).ok_or_else(|| format!("unknown CRS '{s}' (use e.g. EPSG:27700)"))
}

/// Runs `dxmap build`.
pub fn run(args: Args, quiet: bool) -> anyhow::Result<()> {
    let project = Project::load(&args.project)?;
    let mut outputs = vec![("--out", args.out.as_path())];
    if let Some(table) = &args.table {
        outputs.push(("--table", table.as_path()));
    }
    check_run_files(&project_run_inputs(&project), &outputs)?;
    let opts = BuildOptions {
        crs: args.crs,
        ..build_options(quiet)
    };
    let out = ingest::build(&project, &opts)?;
    let mut stdout = std::io::stdout().lock();
    // A closed pipe (e.g. `| head`) must not fail the build.
    if !quiet {
        let _ = write!(stdout, "{}", out.report);
    } else {
        // Quiet drops the report, never a problem found in the data.
        for w in &out.report.warnings {
            eprintln!("warning: {w}");
        }
    }
    if let Some(table) = &args.table {
        write_table(&out.dataset, table)
            .with_context(|| format!("{}: cannot write the table", table.display()))?;
    }
    out.dataset
        .write(&args.out)
        .with_context(|| format!("{}: cannot write the dataset", args.out.display()))?;
    if !quiet {
        let _ = writeln!(
            stdout,
            "wrote {} ({} areas, {} columns)",
            args.out.display(),
            out.dataset.len(),
            out.dataset.columns.len()
        );
    }
    Ok(())
}

/// Writes code, name and every column as CSV, atomically.
fn write_table(d: &Dataset, path: &Path) -> std::io::Result<()> {
    dxmap::atomic::write_atomic(path, |w| {
        let mut header: Vec<String> = [
            "code",
            "name",
            "borough_code",
            "borough_name",
            "ward_code",
            "ward_name",
        ]
        .map(String::from)
        .to_vec();
        header.extend(d.columns.iter().map(|c| c.id.to_string()));
        writeln!(
            w,
            "{}",
            header
                .iter()
                .map(|h| csv_field(h))
                .collect::<Vec<_>>()
                .join(",")
        )?;
        for (i, a) in d.areas.iter().enumerate() {
            let mut row = vec![
                csv_field(a.code.as_str()),
                csv_field(&a.name),
                csv_field(a.borough_code().unwrap_or("")),
                csv_field(a.borough_name().unwrap_or("")),
                csv_field(a.ward_code().unwrap_or("")),
                csv_field(a.ward_name().unwrap_or("")),
            ];
            for c in &d.columns {
                row.push(match &c.values {
                    Values::Numeric(v) => v[i].map(fmt_value).unwrap_or_default(),
                    Values::Category(v) => v[i].as_deref().map(csv_field).unwrap_or_default(),
                });
            }
            writeln!(w, "{}", row.join(","))?;
        }
        Ok(())
    })
}

/// Whole numbers plainly, others to 6 decimal places without trailing
/// zeros (shares to 1 in a million; keeps the embedded default small).
fn fmt_value(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        let s = format!("{x:.6}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        if s == "-0" {
            "0".to_string()
        } else {
            s.to_string()
        }
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}
