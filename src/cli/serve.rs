//! `dxmap serve`: a dataset artifact (or the embedded London default) and a
//! methodology in, an HTTP server of tiles, JSON and the web map out, until
//! SIGINT or SIGTERM. With `--dataset`, SIGHUP or a change of the file
//! reloads it; a bad file is refused and the previous data keeps serving.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use dxmap::score::ScoredDataset;

use super::common::{load_dataset, load_methodology};
use super::score::SelectArgs;
use dxmap::server::reload::{self, Reloader};
use dxmap::server::{AppState, Basemap, CorsPolicy, Limits, Served, ServerConfig};
use dxmap::tiles::TileOptions;

/// Arguments of `dxmap serve`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Dataset artifact from `dxmap build` (or a project `.toml`, built at
    /// start); default: the embedded London dataset.
    #[arg(long, value_name = "PATH")]
    pub dataset: Option<PathBuf>,
    /// Methodology TOML; default: the embedded methodology/dxmap-2025-london.toml.
    #[arg(long, value_name = "FILE")]
    pub methodology: Option<PathBuf>,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// Serve the web map from this directory (for development); default:
    /// the copy built into the binary.
    #[arg(long, value_name = "DIR")]
    pub web: Option<PathBuf>,
    /// Public base URL for absolute tile URLs in TileJSON (default: from the Host header).
    #[arg(long, value_name = "URL")]
    pub public_url: Option<String>,
    /// Allowed CORS origins, comma-separated, or `*` for any.
    #[arg(long, value_name = "ORIGIN|*", default_value = "*")]
    pub cors: String,
    /// Weight-sensitivity draws (0 turns the analysis off).
    #[arg(long, default_value_t = 1000)]
    pub draws: u32,
    /// Tile cache size in MiB.
    #[arg(long, default_value_t = 64)]
    pub cache_mb: usize,
    /// Cut all tiles up to this zoom into the cache in the background at
    /// start and after each reload (overview tiles are the slowest to cut).
    #[arg(long, value_name = "ZOOM", default_value_t = 11)]
    pub prewarm_zoom: u8,
    /// Cut tiles only when they are first asked for.
    #[arg(long)]
    pub no_prewarm: bool,
    /// Most connections open at once; at the limit the longest-idle one is
    /// closed to make room, and when all are busy more clients wait.
    #[arg(long, default_value_t = Limits::default().max_connections)]
    pub max_connections: usize,
    /// Most connections open at once from one client address (0: no cap);
    /// behind a reverse proxy every client has the proxy's address, so raise
    /// it to --max-connections or set 0 there.
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_conns_per_ip)]
    pub max_conns_per_ip: usize,
    /// Draw the map over this basemap: a MapLibre style URL (ending `.json`)
    /// or a raster tile template with `{z}`, `{x}` and `{y}`. Its origin is
    /// added to the page's Content-Security-Policy; without it the page
    /// loads nothing from elsewhere.
    #[arg(long, value_name = "URL")]
    pub basemap: Option<String>,
    /// Attribution of the basemap, shown on the map.
    #[arg(long, value_name = "TEXT", requires = "basemap")]
    pub basemap_attribution: Option<String>,
    /// Opacity of the choropleth over the basemap, 0 to 1.
    #[arg(long, value_name = "0..1", requires = "basemap")]
    pub basemap_opacity: Option<f64>,
    #[command(flatten)]
    pub select: SelectArgs,
}

/// `--web DIR` must hold the page; without it the embedded copy is served.
fn web_dir(flag: Option<PathBuf>) -> anyhow::Result<Option<PathBuf>> {
    match flag {
        Some(dir) if !dir.join("index.html").is_file() => {
            anyhow::bail!("--web {}: no index.html in this directory", dir.display())
        }
        other => Ok(other),
    }
}

/// Opacity of the choropleth over a basemap when `--basemap-opacity` is not given.
const DEFAULT_BASEMAP_OPACITY: f64 = 0.7;

fn basemap(args: &Args) -> anyhow::Result<Option<Basemap>> {
    let Some(url) = &args.basemap else {
        return Ok(None);
    };
    let opacity = args.basemap_opacity.unwrap_or(DEFAULT_BASEMAP_OPACITY);
    Basemap::parse(url, args.basemap_attribution.as_deref(), opacity)
        .map(Some)
        .map_err(anyhow::Error::msg)
}

fn cors_policy(s: &str) -> anyhow::Result<CorsPolicy> {
    CorsPolicy::parse(s).map_err(|e| anyhow::anyhow!("--cors '{s}': {e}"))
}

/// Runs `dxmap serve`.
pub fn run(args: Args, quiet: bool) -> anyhow::Result<()> {
    // Before scoring starts rayon's threads and serving tokio's.
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    dxmap::memory::limit_arenas(cores);
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new(if quiet { "warn" } else { "info" })
    });
    let _ = tracing_subscriber::fmt().with_env_filter(filter).try_init();

    let methodology = Arc::new(load_methodology(args.methodology.as_deref())?);
    let options = args.select.options(args.draws);
    let tile_options = TileOptions::default();
    let cache_bytes = args.cache_mb.saturating_mul(1024 * 1024);
    let config = ServerConfig {
        basemap: basemap(&args)?,
        web_dir: web_dir(args.web)?,
        public_url: args.public_url,
        cors: cors_policy(&args.cors)?,
        tile_cache_bytes: cache_bytes,
        prewarm_zoom: (!args.no_prewarm).then_some(args.prewarm_zoom),
        limits: Limits {
            max_connections: args.max_connections,
            max_conns_per_ip: args.max_conns_per_ip,
            ..Limits::default()
        },
        ..ServerConfig::default()
    };

    let started = std::time::Instant::now();
    let (served, reloader) = match &args.dataset {
        Some(path) => {
            // With --within: the whole file scored, then cut to the selection.
            let score = args.select.scorer(path.clone(), methodology, options);
            let r = Arc::new(Reloader::new(
                path.clone(),
                score,
                tile_options,
                cache_bytes,
            ));
            (r.build()?, Some(r))
        }
        None => {
            let ds = Arc::new(load_dataset(None, quiet)?);
            let scored = ScoredDataset::new(ds, methodology, &options)
                .context("scoring the embedded dataset")?;
            let scored = args.select.apply(scored)?;
            (Served::build(scored, tile_options, cache_bytes)?, None)
        }
    };
    tracing::info!(
        areas = served.dataset().len(),
        title = %served.dataset().title,
        ms = started.elapsed().as_millis() as u64,
        "dataset ready"
    );
    if !dxmap::server::assets::maplibre_available(config.web_dir.as_deref()) {
        tracing::warn!(
            "this dxmap was built without the MapLibre files: the page shows a message in \
             place of the map (run `npm ci --prefix web`, then rebuild)"
        );
    }

    // Tile cuts run on the blocking pool; a pool sized to the cores (not
    // tokio's 512) queues a burst of cold requests instead of spawning a
    // thread, and a malloc arena, for each.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(cores * 2)
        .build()?;
    rt.block_on(async move {
        let listener = dxmap::server::bind(args.addr)
            .with_context(|| format!("cannot listen on {}", args.addr))?;
        let addr = listener.local_addr()?;
        let state = AppState::new(served, config);
        if let Some(r) = reloader {
            tokio::spawn(reload::watch(
                state.clone(),
                r.clone(),
                Duration::from_secs(1),
            ));
            spawn_sighup(state.clone(), r);
        }
        tracing::info!("serving on http://{addr}/ (tiles: http://{addr}/tiles.json)");
        if !quiet {
            eprintln!("dxmap: open http://{addr}/ in a browser (Ctrl-C to stop)");
        }
        dxmap::server::serve(listener, state, shutdown_signal()).await?;
        tracing::info!("stopped");
        anyhow::Ok(())
    })
}

#[cfg(unix)]
fn spawn_sighup(state: AppState, reloader: Arc<Reloader>) {
    use tokio::signal::unix::{SignalKind, signal};
    tokio::spawn(async move {
        let Ok(mut hup) = signal(SignalKind::hangup()) else {
            tracing::warn!("cannot listen for SIGHUP; reload by touching the dataset file");
            return;
        };
        while hup.recv().await.is_some() {
            tracing::info!("SIGHUP: reloading");
            let _ = reload::reload(&state, &reloader).await;
        }
    });
}

#[cfg(not(unix))]
fn spawn_sighup(_state: AppState, _reloader: Arc<Reloader>) {}

/// Completes on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: draining in-flight requests");
}

#[cfg(test)]
mod tests {
    use super::super::parse;
    use super::*;

    #[test]
    fn flags_parse() {
        let t = parse::<Args>(&[
            "x",
            "--dataset",
            "d.dxds",
            "--addr",
            "0.0.0.0:9000",
            "--cors",
            "https://a.org, https://b.org",
            "--draws",
            "0",
        ])
        .unwrap();
        assert_eq!(t.addr.port(), 9000);
        assert_eq!(t.draws, 0);
        assert_eq!(
            cors_policy(&t.cors).unwrap(),
            CorsPolicy::Origins(vec!["https://a.org".into(), "https://b.org".into()])
        );
        assert_eq!(cors_policy("*").unwrap(), CorsPolicy::Any);
        let e = cors_policy("*,https://a.example").unwrap_err().to_string();
        assert!(e.contains("--cors"), "{e}");
        assert_eq!(t.max_conns_per_ip, Limits::default().max_conns_per_ip);
        let t = parse::<Args>(&["x", "--max-conns-per-ip", "8"]).unwrap();
        assert_eq!(t.max_conns_per_ip, 8);
        assert!(parse::<Args>(&["x", "--addr", "nope"]).is_err());
    }

    #[test]
    fn basemap_flags_parse_and_are_checked() {
        let t = parse::<Args>(&["x"]).unwrap();
        assert_eq!(basemap(&t).unwrap(), None);
        let t = parse::<Args>(&[
            "x",
            "--basemap",
            "https://tile.example.org/{z}/{x}/{y}.png",
            "--basemap-attribution",
            "© OpenStreetMap contributors",
        ])
        .unwrap();
        let b = basemap(&t).unwrap().unwrap();
        assert_eq!(b.opacity, DEFAULT_BASEMAP_OPACITY);
        assert_eq!(b.attribution, "© OpenStreetMap contributors");
        let t = parse::<Args>(&[
            "x",
            "--basemap",
            "https://tile.example.org/style.json",
            "--basemap-opacity",
            "2",
        ])
        .unwrap();
        let e = basemap(&t).unwrap_err().to_string();
        assert!(e.starts_with("--basemap-opacity 2"), "{e}");
        // The basemap's options mean nothing without it.
        assert!(parse::<Args>(&["x", "--basemap-opacity", "0.5"]).is_err());
        assert!(parse::<Args>(&["x", "--basemap-attribution", "x"]).is_err());
    }
}
