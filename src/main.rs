//! The `kg` command: `kg serve` runs the server, `kg schema` prints the SDL.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

use kg::app::{App, Seed};
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
    #[arg(long, env = "KG_NO_SEED")]
    no_seed: bool,
    /// Seed from this folder of report JSON files instead of the bundled `data/seed/`.
    #[arg(long, env = "KG_SEED_DIR")]
    seed_dir: Option<PathBuf>,
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
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_env("KG_LOG").unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&args.data_dir)?);
    tracing::info!(backend = store.backend(), data_dir = %args.data_dir.display(), "store open");
    let app = App::new(store);
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
