//! The server's configuration: every setting a flag with its `KG_*` variable (README's
//! table lists them), durations in human units (`30s`, `2m`). Secrets (the Neo4j password,
//! tokens) come only from the environment or from files, never from flags, which every
//! user of the machine can read.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;

use crate::auth::TokenPolicy;
use crate::graphql::{QueryLimits, WalkLimits};
use crate::http::{CorsSettings, HttpSettings};
use crate::store::neo4j::Neo4jConfig;

/// `30s`, `1m30s`, `500ms`; a bare number is seconds.
fn duration(text: &str) -> Result<Duration, String> {
    if let Ok(seconds) = text.trim().parse::<u64>() {
        return Ok(Duration::from_secs(seconds));
    }
    humantime::parse_duration(text).map_err(|e| e.to_string())
}

/// How logs are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines; coloured only on a terminal.
    Text,
    /// One JSON object per line.
    Json,
}

/// `kg serve`'s settings.
#[derive(Args, Clone, Debug)]
pub struct ServeConfig {
    /// Address to listen on. Listening beyond loopback needs write tokens (or
    /// `--allow-anonymous-writes`).
    #[arg(long, env = "KG_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    #[command(flatten)]
    pub store: StoreConfig,
    /// Do not import the seed dataset into an empty store.
    #[arg(
        long,
        env = "KG_NO_SEED",
        action = clap::ArgAction::SetTrue,
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub no_seed: bool,
    /// Seed from this folder of report JSON files instead of the bundled `data/seed/`.
    #[arg(long, env = "KG_SEED_DIR")]
    pub seed_dir: Option<PathBuf>,
    /// Format of the log on standard error.
    #[arg(long, env = "KG_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// How many MiB (of their JSON) of query answers are kept and given again to the same
    /// query with the same variables while no write has committed since, by this process
    /// or (on Neo4j) any other; 0 keeps none. Every write changes the graph's version, and
    /// every query reads it first (on Neo4j, one small query).
    #[arg(long, env = "KG_ANSWER_CACHE_MIB", default_value_t = 64, value_parser = clap::value_parser!(u32).range(0..=65_536))]
    pub answer_cache_mib: u32,
    #[command(flatten)]
    pub walks: WalkSettings,
    #[command(flatten)]
    pub queries: QuerySettings,
    #[command(flatten)]
    pub http: HttpArgs,
}

/// Which store: the embedded one in a folder, or Neo4j over Bolt.
#[derive(Args, Clone, Debug)]
pub struct StoreConfig {
    /// Folder of the embedded store.
    #[arg(long, env = "KG_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// Use Neo4j at this Bolt URI instead of the embedded store.
    #[arg(long, env = "KG_NEO4J_URI")]
    pub neo4j_uri: Option<String>,
    /// The Neo4j user. The password comes from `KG_NEO4J_PASSWORD` or from the file named
    /// by `KG_NEO4J_PASSWORD_FILE`.
    #[arg(long, env = "KG_NEO4J_USER", default_value = "neo4j")]
    pub neo4j_user: String,
    /// The Neo4j database; the server's default when not given.
    #[arg(long, env = "KG_NEO4J_DATABASE")]
    pub neo4j_database: Option<String>,
    /// How long one attempt of one Neo4j call may take.
    #[arg(long, env = "KG_NEO4J_TIMEOUT", default_value = "10s", value_parser = duration)]
    pub neo4j_timeout: Duration,
    /// How many MiB of the embedded store each reader maps into memory: walks read many
    /// pages at random, and mapped they need no copy. Mapped pages count in the process's
    /// resident memory. Default: 1024 for `kg serve`, 0 for `kg import` and `kg export`,
    /// whose resident memory then stays flat however large the store grows.
    #[arg(long, env = "KG_SQLITE_MMAP_MIB", value_parser = clap::value_parser!(u32).range(0..=65_536))]
    pub sqlite_mmap_mib: Option<u32>,
    /// How many MiB (of their stored JSON) of the embedded store's nodes, and of the links
    /// read ahead from them (a quarter of it), are kept decoded between reads, so that pages
    /// read again are neither decoded nor looked up again. Default: 16 for
    /// `kg serve`, 0 for `kg import` and `kg export`, which read each node about once.
    #[arg(long, env = "KG_NODE_CACHE_MIB", value_parser = clap::value_parser!(u32).range(0..=65_536))]
    pub node_cache_mib: Option<u32>,
}

/// Bounds on paths and neighbourhoods.
#[derive(Args, Clone, Debug)]
pub struct WalkSettings {
    /// The most edges a path may have (`maxHops`).
    #[arg(long, env = "KG_MAX_PATH_HOPS", default_value_t = 6, value_parser = clap::value_parser!(u16).range(1..=12))]
    pub max_path_hops: u16,
    /// The deepest neighbourhood (`depth`).
    #[arg(long, env = "KG_MAX_NEIGHBORHOOD_DEPTH", default_value_t = 3, value_parser = clap::value_parser!(u16).range(1..=6))]
    pub max_neighborhood_depth: u16,
    /// The most paths one `paths` returns (`first`).
    #[arg(long, env = "KG_MAX_PATHS", default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=100))]
    pub max_paths: u16,
    /// The most entities a neighbourhood returns (`first`).
    #[arg(long, env = "KG_MAX_WALK_NODES", default_value_t = 500, value_parser = clap::value_parser!(u16).range(1..=10_000))]
    pub max_walk_nodes: u16,
}

/// Bounds on one query, counted before it runs.
#[derive(Args, Clone, Debug)]
pub struct QuerySettings {
    /// The most a query may cost: one per field, times the page sizes above it.
    #[arg(long, env = "KG_MAX_QUERY_COST", default_value_t = QueryLimits::default().max_cost)]
    pub max_query_cost: u64,
    /// The deepest nesting of fields, fragments expanded.
    #[arg(long, env = "KG_MAX_QUERY_DEPTH", default_value_t = QueryLimits::default().max_depth)]
    pub max_query_depth: u64,
    /// The most aliases in a query, fragments expanded.
    #[arg(long, env = "KG_MAX_ALIASES", default_value_t = QueryLimits::default().max_aliases)]
    pub max_aliases: u64,
    /// The most fields in a query, fragments expanded.
    #[arg(long, env = "KG_MAX_FIELDS", default_value_t = QueryLimits::default().max_fields)]
    pub max_fields: u64,
    /// The most directives on one field.
    #[arg(long, env = "KG_MAX_DIRECTIVES", default_value_t = QueryLimits::default().max_directives)]
    pub max_directives: u64,
    /// The longest query document, in bytes (variables not counted).
    #[arg(long, env = "KG_MAX_QUERY_BYTES", default_value_t = QueryLimits::default().max_query_bytes)]
    pub max_query_bytes: u64,
}

/// The HTTP transport: timeouts, sizes, CORS and who may write.
#[derive(Args, Clone, Debug)]
pub struct HttpArgs {
    /// How long one request may take before the server answers 408.
    #[arg(long, env = "KG_REQUEST_TIMEOUT", default_value = "30s", value_parser = duration)]
    pub request_timeout: Duration,
    /// How long a client may take to send a request's headers.
    #[arg(long, env = "KG_HEADER_TIMEOUT", default_value = "10s", value_parser = duration)]
    pub header_timeout: Duration,
    /// How long a WebSocket may wait before sending `connection_init` (then closed, 4408).
    #[arg(long, env = "KG_WS_INIT_TIMEOUT", default_value = "10s", value_parser = duration)]
    pub ws_init_timeout: Duration,
    /// The largest answer, in bytes of JSON (refused with `LIMIT_EXCEEDED` beyond).
    #[arg(long, env = "KG_MAX_RESPONSE_BYTES", default_value_t = HttpSettings::default().max_response_bytes)]
    pub max_response_bytes: u64,
    /// The largest request body, in bytes (a bulk import must fit).
    #[arg(long, env = "KG_MAX_BODY_BYTES", default_value_t = 32 * 1024 * 1024)]
    pub max_body_bytes: usize,
    /// An origin browsers may call from (`https://app.example.org`); repeat the flag or
    /// separate with commas. None by default.
    #[arg(long = "cors-origin", env = "KG_CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,
    /// Let those origins send credentials (cookies, `Authorization`).
    #[arg(
        long,
        env = "KG_CORS_CREDENTIALS",
        action = clap::ArgAction::SetTrue,
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub cors_credentials: bool,
    /// Accept mutations without a token even when listening beyond loopback.
    #[arg(
        long,
        env = "KG_ALLOW_ANONYMOUS_WRITES",
        action = clap::ArgAction::SetTrue,
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub allow_anonymous_writes: bool,
}

impl ServeConfig {
    /// The settings of `kg serve` with no flags, from the environment alone (as a test or a
    /// benchmark would start it).
    pub fn from_env() -> Self {
        #[derive(clap::Parser)]
        struct Only {
            #[command(flatten)]
            config: ServeConfig,
        }
        <Only as clap::Parser>::parse_from(["kg"]).config
    }

    pub fn walk_limits(&self) -> WalkLimits {
        WalkLimits {
            max_hops: self.walks.max_path_hops.into(),
            max_depth: self.walks.max_neighborhood_depth.into(),
            max_paths: self.walks.max_paths.into(),
            max_nodes: self.walks.max_walk_nodes.into(),
        }
    }

    pub fn query_limits(&self) -> QueryLimits {
        let q = &self.queries;
        QueryLimits {
            max_cost: q.max_query_cost,
            max_depth: q.max_query_depth,
            max_aliases: q.max_aliases,
            max_fields: q.max_fields,
            max_directives: q.max_directives,
            max_query_bytes: q.max_query_bytes,
        }
    }

    /// Who may read and write: tokens from `KG_WRITE_TOKENS`/`KG_READ_TOKENS` (commas) and
    /// the files `KG_WRITE_TOKENS_FILE`/`KG_READ_TOKENS_FILE` (one per line). Without write
    /// tokens, writes are anonymous on loopback; beyond it the server refuses to start unless
    /// `--allow-anonymous-writes`.
    pub fn token_policy(&self) -> anyhow::Result<TokenPolicy> {
        let write = tokens_from_env("KG_WRITE_TOKENS")?;
        let read = tokens_from_env("KG_READ_TOKENS")?;
        let loopback = self.listen.ip().is_loopback();
        if write.is_empty() && !loopback && !self.http.allow_anonymous_writes {
            anyhow::bail!(
                "listening on {} beyond loopback without write tokens: set KG_WRITE_TOKENS or \
                 KG_WRITE_TOKENS_FILE, or pass --allow-anonymous-writes",
                self.listen
            );
        }
        Ok(TokenPolicy::new(
            &write,
            &read,
            loopback || self.http.allow_anonymous_writes,
        ))
    }

    pub fn http_settings(&self) -> anyhow::Result<HttpSettings> {
        Ok(HttpSettings {
            request_timeout: self.http.request_timeout,
            header_timeout: self.http.header_timeout,
            ws_init_timeout: self.http.ws_init_timeout,
            max_body_bytes: self.http.max_body_bytes,
            max_response_bytes: self.http.max_response_bytes,
            cors: CorsSettings {
                origins: self
                    .http
                    .cors_origins
                    .iter()
                    .map(|o| o.trim().to_string())
                    .filter(|o| !o.is_empty())
                    .collect(),
                credentials: self.http.cors_credentials,
            },
            tokens: self.token_policy()?,
        })
    }
}

impl StoreConfig {
    /// The Neo4j settings, when a Bolt URI is given (an empty one, as a compose file or a
    /// shell leaves it, means none).
    pub fn neo4j(&self) -> anyhow::Result<Option<Neo4jConfig>> {
        let Some(uri) = self.neo4j_uri.as_deref().filter(|u| !u.trim().is_empty()) else {
            return Ok(None);
        };
        Ok(Some(Neo4jConfig {
            uri: uri.to_string(),
            user: self.neo4j_user.clone(),
            password: secret_from_env("KG_NEO4J_PASSWORD")?.unwrap_or_default(),
            database: self.neo4j_database.clone(),
            timeout: self.neo4j_timeout.max(Duration::from_millis(100)),
        }))
    }
}

/// A secret from `NAME`, or from the file `NAME_FILE` names (as Docker secrets are given).
fn secret_from_env(name: &str) -> anyhow::Result<Option<String>> {
    if let Ok(value) = std::env::var(name) {
        return Ok(Some(value));
    }
    match std::env::var(format!("{name}_FILE")) {
        Ok(path) => Ok(Some(
            read_secret_file(Path::new(&path), name)?
                .trim_end()
                .to_string(),
        )),
        Err(_) => Ok(None),
    }
}

fn read_secret_file(path: &Path, name: &str) -> anyhow::Result<String> {
    std::fs::read_to_string(path)
        .with_context(|| format!("cannot read {name}_FILE at {}", path.display()))
}

/// Tokens from `NAME` (commas) and the file `NAME_FILE` (one per line), both if both.
fn tokens_from_env(name: &str) -> anyhow::Result<Vec<String>> {
    let mut tokens: Vec<String> = std::env::var(name)
        .unwrap_or_default()
        .split(',')
        .map(str::to_string)
        .collect();
    if let Ok(path) = std::env::var(format!("{name}_FILE")) {
        tokens.extend(
            read_secret_file(Path::new(&path), name)?
                .lines()
                .map(str::to_string),
        );
    }
    Ok(tokens
        .into_iter()
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .collect())
}
