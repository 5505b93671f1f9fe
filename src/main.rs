//! The `kg` command: `kg serve` runs the server, `kg schema` prints the SDL.

use std::io::IsTerminal;
use std::sync::Arc;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

use kg::app::{App, Seed};
use kg::config::{LogFormat, ServeConfig};
use kg::store::neo4j::Neo4jStore;
use kg::store::sqlite::SqliteStore;
use kg::store::Store;

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
    /// Print the GraphQL schema (SDL).
    Schema,
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

async fn open_store(config: &ServeConfig) -> anyhow::Result<Arc<dyn Store>> {
    match config.neo4j()? {
        None => {
            let store = SqliteStore::open(&config.data_dir).with_context(|| {
                format!(
                    "cannot open the embedded store in {}",
                    config.data_dir.display()
                )
            })?;
            Ok(Arc::new(store))
        }
        Some(neo4j) => {
            tracing::info!(?neo4j, "connecting to Neo4j");
            let store = Neo4jStore::connect(&neo4j)
                .await
                .with_context(|| format!("cannot use Neo4j at {}", neo4j.uri))?;
            Ok(Arc::new(store))
        }
    }
}

async fn serve(config: ServeConfig) -> anyhow::Result<()> {
    init_logs(config.log_format);
    // Settings first: a server that would refuse to start says so before touching a store.
    let http = config.http_settings()?;
    tracing::info!(tokens = ?http.tokens, cors = ?http.cors.origins, "access");
    let store = open_store(&config).await?;
    tracing::info!(backend = store.backend(), "store open");
    let app = App::with_limits(store, config.walk_limits(), config.query_limits());
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
