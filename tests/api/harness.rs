//! Test harness: a fresh app per test on the store under test, helpers to run GraphQL and
//! read its answers, and the `conformance!` macro that runs one body on every store.

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use kg::app::{App, Seed};
use kg::store::neo4j::{Neo4jConfig, Neo4jStore};
use kg::store::sqlite::SqliteStore;
use kg::store::{CountingStore, Store};
use serde_json::{json, Value};
use tempfile::TempDir;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The stores every conformance test runs against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Embedded,
    Neo4j,
}

/// The Neo4j-compatible test server that `scripts/test` starts.
pub struct Neo4jServer {
    pub uri: String,
    pub user: String,
    pub password: String,
    databases: Mutex<Vec<String>>,
    permits: Arc<Semaphore>,
}

pub fn neo4j_server() -> &'static Neo4jServer {
    static SERVER: OnceLock<Neo4jServer> = OnceLock::new();
    SERVER.get_or_init(|| {
        let var = |name: &str| {
            std::env::var(name).unwrap_or_else(|_| {
                panic!(
                    "{name} is not set: run scripts/test, which starts the Neo4j test server \
                     (or leave Neo4j out on purpose, shown as filtered out: cargo test -- --skip on_the_neo4j_store --skip neo4j_server)"
                )
            })
        };
        let databases: Vec<String> = var("KG_TEST_NEO4J_DATABASES")
            .split(',')
            .map(String::from)
            .collect();
        Neo4jServer {
            uri: var("KG_TEST_NEO4J_URI"),
            user: var("KG_TEST_NEO4J_USER"),
            password: var("KG_TEST_NEO4J_PASSWORD"),
            permits: Arc::new(Semaphore::new(databases.len())),
            databases: Mutex::new(databases),
        }
    })
}

/// One database of the test server, emptied, held by one test at a time.
pub struct DatabaseLease {
    pub name: String,
    _permit: OwnedSemaphorePermit,
}

impl Drop for DatabaseLease {
    fn drop(&mut self) {
        if let Ok(mut free) = neo4j_server().databases.lock() {
            free.push(self.name.clone());
        }
    }
}

impl Neo4jServer {
    /// Waits for a free database and empties it.
    pub async fn lease(&self) -> DatabaseLease {
        let permit = self.permits.clone().acquire_owned().await.unwrap();
        let name = self
            .databases
            .lock()
            .unwrap()
            .pop()
            .expect("a permit means a free database");
        let config = neo4rs::ConfigBuilder::default()
            .uri(self.uri.as_str())
            .user(self.user.as_str())
            .password(self.password.as_str())
            .db(name.as_str())
            .build()
            .unwrap();
        let graph = neo4rs::Graph::connect(config)
            .await
            .expect("the test server answers");
        graph
            .run(neo4rs::query("MATCH (n:KgNode) DETACH DELETE n"))
            .await
            .expect("the test database empties");
        DatabaseLease {
            name,
            _permit: permit,
        }
    }

    /// The environment that points a `kg serve` at a leased database.
    pub fn kg_env<'a>(&'a self, lease: &'a DatabaseLease) -> [(&'static str, &'a str); 4] {
        [
            ("KG_NEO4J_URI", self.uri.as_str()),
            ("KG_NEO4J_USER", self.user.as_str()),
            ("KG_NEO4J_PASSWORD", self.password.as_str()),
            ("KG_NEO4J_DATABASE", lease.name.as_str()),
        ]
    }

    pub fn config(&self, database: &str) -> Neo4jConfig {
        Neo4jConfig {
            uri: self.uri.clone(),
            user: self.user.clone(),
            password: self.password.clone(),
            database: Some(database.to_string()),
            timeout: Duration::from_secs(20),
        }
    }
}

/// What keeps a test's store alive (by being held until the test ends): a folder, or a
/// database lease.
#[allow(dead_code)] // held only for what dropping it releases
enum Holding {
    Folder(TempDir),
    Database(DatabaseLease),
}

/// An app over a fresh store, with a call counter in front of it.
pub struct TestApp {
    pub app: App,
    pub calls: Arc<CountingStore>,
    pub neo4j: Option<Arc<Neo4jStore>>,
    _holding: Holding,
}

impl TestApp {
    /// A fresh store with nothing in it.
    pub async fn empty(backend: Backend) -> Self {
        let (store, neo4j, holding): (Arc<dyn Store>, _, _) = match backend {
            Backend::Embedded => {
                let dir = tempfile::tempdir().expect("a temporary directory");
                let store = SqliteStore::open(dir.path()).expect("the store opens");
                (Arc::new(store), None, Holding::Folder(dir))
            }
            Backend::Neo4j => {
                let server = neo4j_server();
                let lease = server.lease().await;
                let store = Neo4jStore::connect(&server.config(&lease.name))
                    .await
                    .expect("the Neo4j store connects");
                let store = Arc::new(store);
                (store.clone(), Some(store), Holding::Database(lease))
            }
        };
        let calls = Arc::new(CountingStore::new(store));
        let app = App::new(calls.clone());
        Self {
            app,
            calls,
            neo4j,
            _holding: holding,
        }
    }

    /// Bolt queries sent so far, on the Neo4j store.
    pub fn bolt_queries(&self) -> Option<usize> {
        self.neo4j.as_ref().map(|store| store.queries())
    }

    /// A fresh store holding the seed story, imported through the one import path.
    pub async fn seeded(backend: Backend) -> Self {
        let test = Self::empty(backend).await;
        let seeded = test
            .app
            .seed_if_empty(&Seed::Bundled)
            .await
            .expect("the seed imports");
        assert_eq!(seeded, 9, "the seed holds nine reports");
        test
    }

    /// Runs a GraphQL request and returns the whole response as JSON.
    pub async fn request(&self, query: &str, variables: Value) -> Value {
        let request = async_graphql::Request::new(query)
            .variables(async_graphql::Variables::from_json(variables));
        let response = self.app.schema.execute(request).await;
        serde_json::to_value(&response).expect("a response serialises")
    }

    /// Runs a query that must succeed and returns its data.
    pub async fn data(&self, query: &str) -> Value {
        self.data_with(query, json!({})).await
    }

    pub async fn data_with(&self, query: &str, variables: Value) -> Value {
        let response = self.request(query, variables).await;
        assert!(
            response.get("errors").is_none(),
            "unexpected errors: {response:#}"
        );
        response["data"].clone()
    }

    /// Runs a request that must fail and returns its errors.
    pub async fn errors(&self, query: &str, variables: Value) -> Vec<Value> {
        let response = self.request(query, variables).await;
        let errors = response["errors"].as_array().cloned().unwrap_or_default();
        assert!(!errors.is_empty(), "expected errors: {response:#}");
        errors
    }

    /// The global id of the node a search finds first.
    pub async fn id_of(&self, text: &str, typename: &str) -> String {
        let data = self
            .data_with(
                "query($t: String!) { search(text: $t, first: 20) { __typename ... on Node { id } } }",
                json!({ "t": text }),
            )
            .await;
        data["search"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|n| n["__typename"] == typename)
            .and_then(|n| n["id"].as_str())
            .unwrap_or_else(|| panic!("no {typename} found for {text:?}: {data}"))
            .to_string()
    }

    /// How many nodes of each kind the store holds, for "nothing was written" checks.
    pub async fn totals(&self) -> Value {
        self.data(
            "{ reports { totalCount } claims { totalCount } people { totalCount }
               organizations { totalCount } places { totalCount } events { totalCount } }",
        )
        .await
    }
}

/// Every claim's id (up to 10,000), for checks over the whole store.
pub async fn all_claims(store: &dyn Store) -> Vec<kg::model::NodeId> {
    store
        .list(&kg::store::ListQuery::of(kg::model::Label::Claim, 10_000))
        .await
        .expect("claims list")
        .records
        .into_iter()
        .map(|r| r.id)
        .collect()
}

/// A value at a JSON path of keys and indexes, for short assertions.
pub fn strings(values: &Value, field: &str) -> Vec<String> {
    values
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.pointer(field).and_then(Value::as_str).map(String::from))
        .collect()
}

/// Runs one test body against every store: `conformance! { async fn name(app: Backend) {..} }`.
/// Each store's run is its own test, always run: leaving one out is done with the test
/// runner's filter (`-- --skip on_the_neo4j_store`), which reports it as filtered out, never as passed.
macro_rules! conformance {
    ($(async fn $name:ident($backend:ident: Backend) $body:block)*) => {$(
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn body($backend: $crate::harness::Backend) $body

            #[tokio::test]
            async fn on_the_embedded_store() {
                body($crate::harness::Backend::Embedded).await;
            }

            #[tokio::test]
            async fn on_the_neo4j_store() {
                body($crate::harness::Backend::Neo4j).await;
            }
        }
    )*};
}
pub(crate) use conformance;

/// A `kg serve` process on a free port; killed when dropped.
pub struct KgProcess {
    pub child: std::process::Child,
    pub address: String,
}

impl KgProcess {
    /// Starts `kg serve --listen 127.0.0.1:0` with these arguments and environment.
    pub fn start(args: &[&str], env: &[(&str, &str)]) -> Self {
        use std::io::{BufRead, BufReader};
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_kg"))
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(args)
            .envs(env.iter().copied())
            .env("KG_LOG", "warn")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit())
            .spawn()
            .expect("kg starts");
        let stdout = child.stdout.take().unwrap();
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        let address = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("kg printed {line:?} instead of its address"))
            .to_string();
        Self { child, address }
    }

    /// Posts a GraphQL query and returns the whole response.
    pub async fn post(&self, query: &str, variables: Value) -> Value {
        reqwest::Client::new()
            .post(format!("http://{}/graphql", self.address))
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("kg answers")
            .json()
            .await
            .expect("kg answers JSON")
    }

    /// Kills the process with SIGKILL and waits for it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for KgProcess {
    fn drop(&mut self) {
        self.kill();
    }
}
