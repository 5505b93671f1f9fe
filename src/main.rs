//! The `kg` command: `kg serve` runs the server, `kg schema` prints the SDL.

use std::io::IsTerminal;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

use kg::app::{open_store, App, Seed};
use kg::config::{LogFormat, ServeConfig, StoreConfig};
use kg::import::file::{self, BarProgress, FileImportOptions, LineProgress, Progress};
use kg::import::remote::RemoteTarget;
use kg::import::target::{ImportTarget, LocalTarget};

// kg allocates and frees many small strings and records per request and per imported
// report, across threads. jemalloc does that faster than the system's allocator for a few
// MB more resident memory (BENCHMARKS.md, "The allocator, and SQLite's own floor for the
// write"). The library chooses none: its examples run on the system's.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// A GraphQL knowledge-graph server for people, organisations and events as the news
/// reports them, and for who said what about them.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve GraphQL (and GraphiQL) over HTTP.
    Serve(Box<ServeConfig>),
    /// Import reports from JSON or NDJSON files (`-` for standard input) through the one
    /// import path, into the embedded store or Neo4j. Safe to run again after an
    /// interruption: reports already in are skipped.
    Import(ImportArgs),
    /// Write every report as NDJSON in the import format, in the order they were
    /// imported, so that `kg import` of the file into an empty store rebuilds the graph.
    Export(ExportArgs),
    /// Print the GraphQL schema (SDL).
    Schema,
}

#[derive(clap::Args)]
struct ExportArgs {
    /// Where to write the NDJSON (standard output when left out).
    #[arg(long, short, value_name = "FILE")]
    output: Option<std::path::PathBuf>,
    #[command(flatten)]
    store: StoreConfig,
}

#[derive(clap::Args)]
struct ImportArgs {
    /// Files of reports: NDJSON (one per line, streamed) or JSON (one report or an array).
    #[arg(required = true)]
    files: Vec<std::path::PathBuf>,
    #[command(flatten)]
    store: StoreConfig,
    /// Reports per transaction.
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u16).range(1..=1000))]
    batch: u16,
    /// Stop at the first bad report (nothing of its batch is imported).
    #[arg(long)]
    strict: bool,
    /// Write the rejected lines here, as given, for a later retry; their errors go to
    /// FILE.errors.
    #[arg(long, value_name = "FILE")]
    rejects: Option<std::path::PathBuf>,
    /// Send the batches to this running kg server (`http://host:port`) through its
    /// `importReports` mutation instead of opening a store: large loads need not stop it.
    #[arg(long, env = "KG_IMPORT_SERVER", value_name = "URL")]
    server: Option<String>,
    /// The bearer token that grants the server's writes. Prefer the variable, or
    /// `--token-file`: a command line is visible to every user of the machine.
    #[arg(
        long,
        env = "KG_IMPORT_TOKEN",
        hide_env_values = true,
        requires = "server"
    )]
    token: Option<String>,
    /// A file holding the bearer token (its surrounding white space is ignored).
    #[arg(
        long,
        env = "KG_IMPORT_TOKEN_FILE",
        value_name = "FILE",
        requires = "server",
        conflicts_with = "token"
    )]
    token_file: Option<std::path::PathBuf>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Schema => {
            print!("{}", kg::graphql::sdl());
            Ok(())
        }
        Command::Serve(config) => serve(*config).await,
        Command::Import(args) => import(args).await,
        Command::Export(args) => export(args).await,
    }
}

/// Logs go to stderr (stdout carries only the address line, for scripts), coloured only on
/// a terminal, as JSON lines when asked.
fn init_logs(format: LogFormat) {
    let filter = EnvFilter::try_from_env("KG_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let logs = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(filter);
    match format {
        LogFormat::Json => logs.json().with_current_span(true).init(),
        LogFormat::Text => logs.with_ansi(std::io::stderr().is_terminal()).init(),
    }
}

async fn serve(config: ServeConfig) -> anyhow::Result<()> {
    init_logs(config.log_format);
    // Settings first: a server that would refuse to start says so before touching a store.
    let http = config.http_settings()?;
    tracing::info!(tokens = ?http.tokens, cors = ?http.cors.origins, "access");
    let store = open_store(&config.store).await?;
    tracing::info!(backend = store.backend(), "store open");
    let app = App::with_limits(
        store,
        config.walk_limits(),
        config.query_limits(),
        u64::from(config.answer_cache_mib) << 20,
    );
    let rebuilt = app.importer.rebuild_stale_statuses().await?;
    if rebuilt > 0 {
        tracing::info!(
            claims = rebuilt,
            "stored statuses were derived by another rule version"
        );
    }
    let seed = match (config.no_seed, &config.seed_dir) {
        (true, _) => Seed::None,
        (false, Some(dir)) => Seed::Dir(dir.clone()),
        (false, None) => Seed::Bundled,
    };
    let seeded = app.seed_if_empty(&seed).await?;
    if seeded > 0 {
        tracing::info!(reports = seeded, "seeded the empty store");
    }
    let listener = TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let address = listener.local_addr()?;
    tracing::info!("GraphiQL at http://{address}/graphql");
    // Printed for scripts and tests that start the server on port 0.
    println!("listening on {address}");
    kg::http::serve(listener, app.http_backend(), http, shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(())
}

async fn import(args: ImportArgs) -> anyhow::Result<()> {
    init_logs(LogFormat::Text);
    let target: Box<dyn ImportTarget> = match &args.server {
        Some(server) => {
            let token = match &args.token_file {
                Some(path) => Some(
                    std::fs::read_to_string(path)
                        .with_context(|| format!("cannot read the token in {}", path.display()))?
                        .trim()
                        .to_string(),
                ),
                None => args.token.clone(),
            };
            Box::new(RemoteTarget::new(server, token)?)
        }
        None => {
            let mut store = args.store.clone();
            // A bulk load reads little at random: its resident memory stays flat unmapped.
            store.sqlite_mmap_mib.get_or_insert(0);
            store.node_cache_mib.get_or_insert(0);
            let store = open_store(&store).await?;
            let app = App::new(store);
            app.importer.rebuild_stale_statuses().await?;
            Box::new(LocalTarget::new(app))
        }
    };
    let options = FileImportOptions {
        batch: args.batch.into(),
        strict: args.strict,
        rejects: args.rejects,
    };
    let started = std::time::Instant::now();
    let summary = if std::io::stderr().is_terminal() {
        let sizes: Option<u64> = args
            .files
            .iter()
            .map(|f| std::fs::metadata(f).ok().map(|m| m.len()))
            .sum();
        let bar =
            BarProgress::new(sizes.filter(|_| !args.files.iter().any(|f| f.as_os_str() == "-")));
        let summary = file::import_files(target.as_ref(), &args.files, &options, &bar).await;
        bar.finish();
        summary?
    } else {
        let lines = LineProgress::new(std::time::Duration::from_secs(5));
        file::import_files(
            target.as_ref(),
            &args.files,
            &options,
            &lines as &dyn Progress,
        )
        .await?
    };
    let seconds = started.elapsed().as_secs_f64();
    let read = summary.created + summary.merged + summary.already_present + summary.rejected;
    let merged = if summary.merged > 0 {
        format!(", merged {}", summary.merged)
    } else {
        String::new()
    };
    eprintln!(
        "created {}, already present {}, rejected {}{merged}, in {seconds:.1} s ({:.0} reports/s){}",
        summary.created,
        summary.already_present,
        summary.rejected,
        read as f64 / seconds.max(0.001),
        if summary.stopped {
            "; stopped at the first bad report (--strict)"
        } else {
            ""
        }
    );
    if summary.rejected > 0 {
        std::process::exit(1);
    }
    Ok(())
}

async fn export(mut args: ExportArgs) -> anyhow::Result<()> {
    init_logs(LogFormat::Text);
    args.store.sqlite_mmap_mib.get_or_insert(0);
    args.store.node_cache_mib.get_or_insert(0);
    let store = open_store(&args.store).await?;
    let started = std::time::Instant::now();
    let written = match &args.output {
        Some(path) => {
            let file = std::fs::File::create(path)
                .with_context(|| format!("cannot create {}", path.display()))?;
            let mut out = std::io::BufWriter::new(file);
            kg::import::export::export(store.as_ref(), &mut out).await?
        }
        None => {
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            kg::import::export::export(store.as_ref(), &mut out).await?
        }
    };
    eprintln!(
        "exported {written} reports in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
