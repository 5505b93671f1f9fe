//! The `kg` command: `kg serve` runs the server, `kg schema` prints the SDL.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

use kg::app::{App, Seed};
use kg::graphql::WalkLimits;
use kg::store::neo4j::{Neo4jConfig, Neo4jStore};
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
    Serve(ServeArgs),
    /// Print the GraphQL schema (SDL).
    Schema,
}

#[derive(Args)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "KG_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Folder of the embedded store.
    #[arg(long, env = "KG_DATA_DIR", default_value = "data")]
    data_dir: PathBuf,
    /// Do not import the seed dataset into an empty store.
    #[arg(
        long,
        env = "KG_NO_SEED",
        action = clap::ArgAction::SetTrue,
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    no_seed: bool,
    /// Seed from this folder of report JSON files instead of the bundled `data/seed/`.
    #[arg(long, env = "KG_SEED_DIR")]
    seed_dir: Option<PathBuf>,
    /// Use Neo4j at this Bolt URI instead of the embedded store.
    #[arg(long, env = "KG_NEO4J_URI")]
    neo4j_uri: Option<String>,
    /// The Neo4j user.
    #[arg(long, env = "KG_NEO4J_USER", default_value = "neo4j")]
    neo4j_user: String,
    /// The Neo4j password (from the environment; never printed or logged).
    #[arg(
        long,
        env = "KG_NEO4J_PASSWORD",
        hide_env_values = true,
        default_value = ""
    )]
    neo4j_password: String,
    /// The Neo4j database; the server's default when not given.
    #[arg(long, env = "KG_NEO4J_DATABASE")]
    neo4j_database: Option<String>,
    /// Seconds one attempt of one Neo4j call may take.
    #[arg(long, env = "KG_NEO4J_TIMEOUT", default_value_t = 10)]
    neo4j_timeout: u64,
    /// The most edges a path may have (`maxHops`).
    #[arg(long, env = "KG_MAX_PATH_HOPS", default_value_t = 6, value_parser = clap::value_parser!(u16).range(1..=12))]
    max_path_hops: u16,
    /// The deepest neighbourhood (`depth`).
    #[arg(long, env = "KG_MAX_NEIGHBORHOOD_DEPTH", default_value_t = 3, value_parser = clap::value_parser!(u16).range(1..=6))]
    max_neighborhood_depth: u16,
    /// The most paths one `paths` returns (`first`).
    #[arg(long, env = "KG_MAX_PATHS", default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=100))]
    max_paths: u16,
    /// The most entities a neighbourhood returns (`first`).
    #[arg(long, env = "KG_MAX_WALK_NODES", default_value_t = 500, value_parser = clap::value_parser!(u16).range(1..=10_000))]
    max_walk_nodes: u16,
}

impl ServeArgs {
    async fn open_store(&self) -> anyhow::Result<Arc<dyn Store>> {
        // An empty `KG_NEO4J_URI` (as a compose file or a shell leaves it) means no Neo4j.
        let Some(uri) = self.neo4j_uri.as_deref().filter(|u| !u.trim().is_empty()) else {
            return Ok(Arc::new(SqliteStore::open(&self.data_dir)?));
        };
        let config = Neo4jConfig {
            uri: uri.to_string(),
            user: self.neo4j_user.clone(),
            password: self.neo4j_password.clone(),
            database: self.neo4j_database.clone(),
            timeout: Duration::from_secs(self.neo4j_timeout.max(1)),
        };
        tracing::info!(?config, "connecting to Neo4j");
        Ok(Arc::new(Neo4jStore::connect(&config).await?))
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Schema => {
            print!("{}", kg::graphql::sdl());
            Ok(())
        }
        Command::Serve(args) => serve(args).await,
    }
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    // Logs go to stderr; stdout carries only the address line, for scripts.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            EnvFilter::try_from_env("KG_LOG").unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let store = args.open_store().await?;
    tracing::info!(backend = store.backend(), "store open");
    let app = App::with_limits(
        store,
        WalkLimits {
            max_hops: args.max_path_hops.into(),
            max_depth: args.max_neighborhood_depth.into(),
            max_paths: args.max_paths.into(),
            max_nodes: args.max_walk_nodes.into(),
        },
    );
    let rebuilt = app.importer.rebuild_stale_statuses().await?;
    if rebuilt > 0 {
        tracing::info!(
            claims = rebuilt,
            "stored statuses were derived by another rule version"
        );
    }
    let seed = match (args.no_seed, args.seed_dir) {
        (true, _) => Seed::None,
        (false, Some(dir)) => Seed::Dir(dir),
        (false, None) => Seed::Bundled,
    };
    let seeded = app.seed_if_empty(&seed).await?;
    if seeded > 0 {
        tracing::info!(reports = seeded, "seeded the empty store");
    }
    let listener = TcpListener::bind(args.listen).await?;
    let address = listener.local_addr()?;
    tracing::info!("GraphiQL at http://{address}/graphql");
    // Printed for scripts and tests that start the server on port 0.
    println!("listening on {address}");
    kg::http::serve(listener, app.schema, shutdown_signal()).await?;
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
