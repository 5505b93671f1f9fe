//! Test harness: a fresh app per test on the store under test, helpers to run GraphQL and
//! read its answers, and the `conformance!` macro that runs one body on every store.

use std::sync::Arc;

use kg::app::{App, Seed};
use kg::store::sqlite::SqliteStore;
use kg::store::{CountingStore, Store};
use serde_json::{json, Value};
use tempfile::TempDir;

/// The stores every conformance test runs against.
#[derive(Clone, Copy, Debug)]
pub enum Backend {
    Embedded,
}

/// An app over a fresh store, with a call counter in front of it.
pub struct TestApp {
    pub app: App,
    pub calls: Arc<CountingStore>,
    _dir: TempDir,
}

impl TestApp {
    /// A fresh store with nothing in it.
    pub async fn empty(backend: Backend) -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let store: Arc<dyn Store> = match backend {
            Backend::Embedded => Arc::new(SqliteStore::open(dir.path()).expect("the store opens")),
        };
        let calls = Arc::new(CountingStore::new(store));
        let app = App::new(calls.clone());
        Self {
            app,
            calls,
            _dir: dir,
        }
    }

    /// A fresh store holding the seed story, imported through the one import path.
    pub async fn seeded(backend: Backend) -> Self {
        let test = Self::empty(backend).await;
        let seeded = test
            .app
            .seed_if_empty(&Seed::Bundled)
            .await
            .expect("the seed imports");
        assert_eq!(seeded, 6, "the seed holds six reports");
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
        }
    )*};
}
pub(crate) use conformance;
