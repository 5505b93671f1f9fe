//! Measures imports and queries on the embedded store and on a Neo4j-compatible server,
//! through the same library paths the server uses. Run with `scripts/bench`, which starts
//! a scratch test server; by hand:
//!
//! ```text
//! cargo run --release --example bench -- [--reports 600] [--batch 50] [--runs 15]
//! ```
//!
//! With `KG_BENCH_NEO4J_URI` (and `_USER`, `_PASSWORD`, `_DATABASE`) set it also runs on
//! Neo4j, after DELETING every kg node of that database: point it at a scratch database.
//! Prints medians, and the Neo4j/embedded ratio of each.

use std::sync::Arc;
use std::time::{Duration, Instant};

use kg::app::{App, Seed};
use kg::import::{PathSegment, ReportInput};
use kg::store::neo4j::{Neo4jConfig, Neo4jStore};
use kg::store::sqlite::SqliteStore;
use kg::store::{CountingStore, Store};
use serde_json::json;

const DEEP_QUERY: &str = r#"{ claims(first: 100) { edges { node {
    statement status statusExplanation { summary }
    assertions(first: 20) { edges { node { stance report { title publisher { name } } sources { description affiliation { name } } } } }
} } } }"#;

struct Options {
    reports: usize,
    batch: usize,
    runs: usize,
}

fn options() -> Options {
    let mut options = Options {
        reports: 600,
        batch: 50,
        runs: 15,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    for pair in args.chunks(2) {
        let value = pair.get(1).and_then(|v| v.parse().ok());
        match (pair[0].as_str(), value) {
            ("--reports", Some(n)) => options.reports = n,
            ("--batch", Some(n)) => options.batch = n.max(1),
            ("--runs", Some(n)) => options.runs = n.max(1),
            _ => {
                eprintln!("usage: bench [--reports N] [--batch N] [--runs N]");
                std::process::exit(2);
            }
        }
    }
    options
}

/// A report about one more event, with its own outlet, source and three claims.
fn synthetic_report(n: usize) -> ReportInput {
    serde_json::from_value(json!({
        "key": format!("bench-{n}"),
        "title": format!("Bench report {n}"),
        "kind": "ARTICLE",
        "publisher": format!("bench-outlet-{}", n % 20),
        "publishedAt": "2024-12",
        "entities": [
            { "key": format!("bench-outlet-{}", n % 20), "type": "ORGANIZATION", "organizationKind": "NEWS_OUTLET", "name": format!("Bench outlet {}", n % 20) },
            { "key": format!("bench-event-{n}"), "type": "EVENT", "name": format!("Bench event {n}") }
        ],
        "sources": [{ "key": "insider", "description": "an insider", "anonymous": true, "affiliation": "government-of-iran" }],
        "claims": [
            { "key": format!("bench-{n}-occurred"), "statement": format!("Bench event {n} happened"), "subject": format!("bench-event-{n}"), "attribute": "occurred" },
            { "key": format!("bench-{n}-musk"), "statement": format!("Musk took part in bench event {n}"), "subject": format!("bench-event-{n}"), "attribute": "participant", "value": { "entity": "elon-musk" } },
            { "key": format!("bench-{n}-place"), "statement": format!("Bench event {n} was in New York"), "subject": format!("bench-event-{n}"), "attribute": "location", "value": { "entity": "new-york-city" } }
        ],
        "assertions": [
            { "claim": format!("bench-{n}-occurred"), "stance": "ASSERTS", "cites": ["insider"] },
            { "claim": format!("bench-{n}-musk"), "stance": "ASSERTS", "cites": ["insider"] },
            { "claim": format!("bench-{n}-place"), "stance": "ASSERTS" },
            { "claim": "meeting-duration", "stance": "DISPUTES" }
        ]
    }))
    .expect("the synthetic report is valid input")
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// Medians of one store.
struct Figures {
    seed: Duration,
    batch_import: Duration,
    reimport: Duration,
    deep_query: Duration,
    search: Duration,
    /// Store calls one deep query makes, with the seed only and after the bulk import.
    deep_query_calls: (usize, usize),
}

async fn calls_of_deep_query(app: &App, calls: &CountingStore) -> usize {
    calls.reset();
    let response = app.schema.execute(DEEP_QUERY).await;
    assert!(response.errors.is_empty(), "{:?}", response.errors);
    calls.calls()
}

async fn measure(store: Arc<dyn Store>, options: &Options) -> Figures {
    let calls = Arc::new(CountingStore::new(store));
    let app = App::new(calls.clone());
    let started = Instant::now();
    app.seed_if_empty(&Seed::Bundled)
        .await
        .expect("the seed imports");
    let seed = started.elapsed();
    let seed_only_calls = calls_of_deep_query(&app, &calls).await;

    let reports: Vec<ReportInput> = (0..options.reports).map(synthetic_report).collect();
    let mut batches = Vec::new();
    for chunk in reports.chunks(options.batch) {
        let started = Instant::now();
        app.importer
            .import(chunk, &[PathSegment::Field("inputs")], true)
            .await
            .expect("the batch imports");
        batches.push(started.elapsed());
    }
    let mut reimports = Vec::new();
    for chunk in reports.chunks(options.batch).take(options.runs) {
        let started = Instant::now();
        app.importer
            .import(chunk, &[PathSegment::Field("inputs")], true)
            .await
            .expect("the batch re-imports");
        reimports.push(started.elapsed());
    }
    let mut queries = Vec::new();
    let mut searches = Vec::new();
    for _ in 0..options.runs {
        let started = Instant::now();
        let response = app.schema.execute(DEEP_QUERY).await;
        assert!(response.errors.is_empty(), "{:?}", response.errors);
        queries.push(started.elapsed());
        let started = Instant::now();
        let response = app
            .schema
            .execute(r#"{ search(text: "bench event 4", first: 10) { __typename } }"#)
            .await;
        assert!(response.errors.is_empty(), "{:?}", response.errors);
        searches.push(started.elapsed());
    }
    let deep_query_calls = (seed_only_calls, calls_of_deep_query(&app, &calls).await);
    Figures {
        deep_query_calls,
        seed,
        batch_import: median(batches),
        reimport: median(reimports),
        deep_query: median(queries),
        search: median(searches),
    }
}

async fn neo4j_store() -> Option<Arc<dyn Store>> {
    let uri = std::env::var("KG_BENCH_NEO4J_URI").ok()?;
    let var =
        |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.to_string());
    let config = Neo4jConfig {
        uri,
        user: var("KG_BENCH_NEO4J_USER", "neo4j"),
        password: var("KG_BENCH_NEO4J_PASSWORD", ""),
        database: std::env::var("KG_BENCH_NEO4J_DATABASE").ok(),
        timeout: Duration::from_secs(60),
    };
    let store = Neo4jStore::connect(&config).await.expect("Neo4j connects");
    let graph = neo4rs::Graph::connect(
        neo4rs::ConfigBuilder::default()
            .uri(config.uri.as_str())
            .user(config.user.as_str())
            .password(config.password.as_str())
            .db(config
                .database
                .clone()
                .unwrap_or_else(|| "neo4j".into())
                .as_str())
            .build()
            .expect("a Neo4j configuration"),
    )
    .await
    .expect("Neo4j connects");
    graph
        .run(neo4rs::query("MATCH (n:KgNode) DETACH DELETE n"))
        .await
        .expect("the scratch database empties");
    Some(Arc::new(store))
}

fn peak_memory_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[tokio::main]
async fn main() {
    let options = options();
    let dir = tempfile::tempdir().expect("a scratch folder");
    let embedded = measure(
        Arc::new(SqliteStore::open(dir.path()).expect("the store opens")),
        &options,
    )
    .await;
    let neo4j = match neo4j_store().await {
        Some(store) => Some(measure(store, &options).await),
        None => None,
    };
    println!(
        "kg bench: {} synthetic reports in batches of {}, medians over {} runs",
        options.reports, options.batch, options.runs
    );
    println!(
        "{:<40} {:>12} {:>12} {:>8}",
        "", "embedded", "neo4j", "ratio"
    );
    type Pick = fn(&Figures) -> Duration;
    let rows: [(&str, Pick); 5] = [
        ("seed import (6 reports, one batch)", |f| f.seed),
        ("import of one batch", |f| f.batch_import),
        ("re-import of one batch (no-op)", |f| f.reimport),
        ("deep claims query (100 claims)", |f| f.deep_query),
        ("search", |f| f.search),
    ];
    for (name, pick) in rows {
        let e = pick(&embedded);
        match &neo4j {
            Some(n) => {
                let n = pick(n);
                println!(
                    "{name:<40} {:>10.2}ms {:>10.2}ms {:>7.1}x",
                    ms(e),
                    ms(n),
                    ms(n) / ms(e)
                );
            }
            None => println!("{name:<40} {:>10.2}ms {:>12} {:>8}", ms(e), "-", "-"),
        }
    }
    let per_second = |f: &Figures| options.batch as f64 / f.batch_import.as_secs_f64();
    println!(
        "{:<40} {:>12.0} {:>12}",
        "reports imported per second",
        per_second(&embedded),
        neo4j
            .as_ref()
            .map(|n| format!("{:.0}", per_second(n)))
            .unwrap_or_else(|| "-".into())
    );
    let calls = |f: &Figures| format!("{} then {}", f.deep_query_calls.0, f.deep_query_calls.1);
    println!(
        "{:<40} {:>12} {:>12}",
        "store calls of the deep query (seed, then all)",
        calls(&embedded),
        neo4j.as_ref().map(calls).unwrap_or_else(|| "-".into())
    );
    if let Some(kib) = peak_memory_kib() {
        println!("peak resident memory of this process: {} MiB", kib / 1024);
    }
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}
