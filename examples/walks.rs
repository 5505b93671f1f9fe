//! Measures the analysts' root fields on a generated graph, on the embedded store and (when
//! `KG_BENCH_NEO4J_URI` is set) on a Neo4j-compatible server. Run with `scripts/bench-walks`;
//! by hand:
//!
//! ```text
//! cargo run --release --example walks -- [--entities 100000] [--claims 1000000] [--runs 50]
//!     [--data-dir DIR] [--only TEXT] [--mmap-mib N]
//! ```
//!
//! `--data-dir` keeps the embedded store's graph in DIR and reuses it when it was generated
//! at the same size, so that two builds can be measured in turn on the same files (and the
//! million claims are written once). A Neo4j database that already holds the graph at the
//! same size is measured as it is, for the same reason. `--only` runs only the operations whose name contains
//! TEXT, for a profiler. `--mmap-mib` maps that much of the embedded store's file (as
//! `kg serve --sqlite-mmap-mib`; default 1024).
//!
//! The graph: people linked by `partner` claims (one hub takes part in 0.5% of them), each
//! asserted by one of 20 outlets in a report of ten, every 200th also denied by another
//! outlet (so disputed); a cut-off group of ten people linked only among themselves. It is
//! written straight through `Store::apply` in the shape the importer gives it (materialised
//! statuses, evidence edges), as importing a million claims through the import path is the
//! importers' benchmark, not this one. Each operation runs through the GraphQL schema, and
//! on Neo4j also as its bare store call (the Cypher over Bolt), for the ratio between them.
//! Prints p50 and p99 of each, which stops early once it has spent 30 s (after 3 runs).

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use kg::app::App;
use kg::domain::status::ClaimStatus;
use kg::domain::timeline::StatusTimeline;
use kg::model::record::{EdgeRecord, NodeRecord, StoredNode};
use kg::model::{
    Assertion, Claim, ClaimValue, Entity, Label, NodeId, RelType, Report, ReportKind, Stance,
};
use kg::store::neo4j::{Neo4jConfig, Neo4jStore};
use kg::store::sqlite::SqliteStore;
use kg::store::{NeighbourhoodQuery, PathQuery, Store, WalkFilter, WriteBatch};
use serde_json::{json, Value};

struct Options {
    entities: usize,
    claims: usize,
    runs: usize,
    data_dir: Option<std::path::PathBuf>,
    only: Option<String>,
    mmap_mib: Option<u64>,
}

fn options() -> Options {
    let mut options = Options {
        entities: 100_000,
        claims: 1_000_000,
        runs: 50,
        data_dir: None,
        only: None,
        mmap_mib: None,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    for pair in args.chunks(2) {
        let value = pair.get(1).and_then(|v| v.parse().ok());
        match (pair[0].as_str(), value) {
            ("--entities", Some(n)) => options.entities = n,
            ("--claims", Some(n)) => options.claims = n,
            ("--runs", Some(n)) => options.runs = n,
            ("--data-dir", _) if pair.len() == 2 => options.data_dir = Some(pair[1].clone().into()),
            ("--only", _) if pair.len() == 2 => options.only = Some(pair[1].clone()),
            ("--mmap-mib", Some(n)) => options.mmap_mib = Some(n as u64),
            _ => {
                eprintln!("usage: walks [--entities N] [--claims N] [--runs N] [--data-dir DIR] [--only TEXT] [--mmap-mib N]");
                std::process::exit(2);
            }
        }
    }
    options
}

/// A fixed pseudo-random sequence, so every run and store gets the same graph.
struct Sequence(u64);

impl Sequence {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) as usize) % n
    }
}

const OUTLETS: usize = 20;
const ISLAND: usize = 10;
const HUB: &str = "person-0";

fn person(i: usize) -> NodeId {
    NodeId::new(Label::Person, &format!("person-{i}"))
}

fn outlet(i: usize) -> NodeId {
    NodeId::new(Label::Organization, &format!("outlet-{i}"))
}

fn day(n: usize) -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 1, 1).unwrap() + chrono::Days::new((n % 365) as u64)
}

fn edge(from: &NodeId, rel: RelType, to: &NodeId) -> EdgeRecord {
    EdgeRecord {
        from: from.clone(),
        rel,
        to: to.clone(),
    }
}

/// One claim linking two people, with its report's assertion (and a denial for every
/// 200th), its materialised status and its evidence edges.
fn claim_into(batch: &mut WriteBatch, n: usize, (a, b): (NodeId, NodeId)) {
    let id = NodeId::new(Label::Claim, &format!("claim-{n}"));
    let report_number = n / 10;
    let report = NodeId::new(Label::Report, &format!("report-{report_number}"));
    let asserted = day(report_number);
    let denied = n.is_multiple_of(200);
    let mut entries = vec![
        (None, ClaimStatus::Unreported),
        (Some(asserted), ClaimStatus::Reported),
    ];
    if denied {
        entries.push((Some(asserted + chrono::Days::new(1)), ClaimStatus::Disputed));
    }
    let mut record = Claim {
        id: id.clone(),
        statement: format!("{} and {} were partners", a.key(), b.key()),
        subject: a.clone(),
        attribute: "partner".into(),
        value: ClaimValue::Entity(b.clone()),
        value_inferred: None,
        qualifier: None,
        valid_from: None,
        valid_to: None,
    }
    .to_record();
    let timeline = StatusTimeline {
        rule: kg::domain::status::RULE_VERSION.into(),
        entries,
        // One outlet asserts each claim.
        support: 1,
    };
    record.props.extend(timeline.to_props());
    batch.nodes.push(record.into());
    batch.edges.push(edge(&id, RelType::Subject, &a));
    batch.edges.push(edge(&id, RelType::Value, &b));
    let assertion = NodeId::new(Label::Assertion, &format!("report-{report_number}#{n}"));
    batch.nodes.push(
        Assertion {
            id: assertion.clone(),
            stance: Stance::Asserts,
            quote: None,
            made_at: None,
        }
        .to_record()
        .into(),
    );
    batch.edges.push(edge(&assertion, RelType::MadeIn, &report));
    batch.edges.push(edge(&assertion, RelType::About, &id));
    batch.edges.push(edge(
        &outlet(report_number % OUTLETS),
        RelType::Asserted,
        &id,
    ));
    if denied {
        let denial_report = NodeId::new(Label::Report, &format!("denial-{n}"));
        let denial = NodeId::new(Label::Assertion, &format!("denial-{n}#0"));
        batch
            .nodes
            .push(report_record(&denial_report, asserted + chrono::Days::new(1)).into());
        batch.nodes.push(
            Assertion {
                id: denial.clone(),
                stance: Stance::Denies,
                quote: None,
                made_at: None,
            }
            .to_record()
            .into(),
        );
        let denier = outlet((report_number + 1) % OUTLETS);
        batch
            .edges
            .push(edge(&denial_report, RelType::PublishedBy, &denier));
        batch
            .edges
            .push(edge(&denial, RelType::MadeIn, &denial_report));
        batch.edges.push(edge(&denial, RelType::About, &id));
        batch.edges.push(edge(&denier, RelType::Denied, &id));
    }
}

fn report_record(id: &NodeId, published: NaiveDate) -> NodeRecord {
    Report {
        id: id.clone(),
        title: format!("Generated {}", id.key()),
        url: None,
        kind: ReportKind::Article,
        published_at: Some(published.to_string().parse().expect("a day parses")),
        published_at_inferred: None,
        content_digest: String::new(),
    }
    .to_record()
}

fn entity(id: NodeId, name: String) -> NodeRecord {
    Entity {
        id,
        name,
        aliases: Vec::new(),
        description: None,
        organization_kind: None,
    }
    .to_record()
}

/// Writes the generated graph in batches of about 20,000 claims.
async fn generate(store: &dyn Store, options: &Options) {
    let started = Instant::now();
    // In batches too: a Bolt server may refuse a message over 16 MiB (ArcadeDB does).
    let people = (0..options.entities).map(|i| entity(person(i), format!("Person {i}")));
    let outlets = (0..OUTLETS).map(|i| entity(outlet(i), format!("Outlet {i}")));
    let entities: Vec<NodeRecord> = people.chain(outlets).collect();
    for chunk in entities.chunks(20_000) {
        let batch = WriteBatch {
            nodes: chunk.iter().cloned().map(Arc::new).collect(),
            ..WriteBatch::default()
        };
        store.apply(&batch).await.expect("the entities are written");
    }
    let mut sequence = Sequence(20_241_117);
    let main = options.entities - ISLAND;
    let mut batch = WriteBatch::default();
    for n in 0..options.claims {
        if n.is_multiple_of(10) {
            let report = NodeId::new(Label::Report, &format!("report-{}", n / 10));
            batch.nodes.push(report_record(&report, day(n / 10)).into());
            batch.edges.push(edge(
                &report,
                RelType::PublishedBy,
                &outlet((n / 10) % OUTLETS),
            ));
        }
        // Ten claims within the cut-off group; the rest in the main graph, 0.5% at the hub.
        let pair = if n < ISLAND {
            (person(main + n), person(main + (n + 1) % ISLAND))
        } else {
            let a = if sequence.below(200) == 0 {
                0
            } else {
                sequence.below(main)
            };
            let mut b = sequence.below(main);
            if b == a {
                b = (b + 1) % main;
            }
            (person(a), person(b))
        };
        claim_into(&mut batch, n, pair);
        if batch.nodes.len() >= 40_000 {
            store.apply(&batch).await.expect("a batch is written");
            batch = WriteBatch::default();
            eprint!("\r{} claims written", n + 1);
        }
    }
    store
        .apply(&batch)
        .await
        .expect("the last batch is written");
    eprintln!(
        "\r{} entities and {} claims written in {:.0?}",
        options.entities,
        options.claims,
        started.elapsed()
    );
}

/// Whether the store already holds the graph generated at this size: batches are written in
/// order, so its last claim is there only when every batch before it is, and the next claim
/// is there only when it was generated larger. Lets a database be measured again without
/// writing a million claims anew.
async fn holds_graph(store: &dyn Store, options: &Options) -> bool {
    let claim = |n: usize| NodeId::new(Label::Claim, &format!("claim-{n}"));
    let (last, next) = (claim(options.claims - 1), claim(options.claims));
    let found = store
        .nodes(&[last.clone(), next, person(options.entities - 1)])
        .await
        .expect("the store answers");
    let ids: Vec<&NodeId> = found.iter().map(|record| &record.id).collect();
    let held = ids.len() == 2 && ids.contains(&&last);
    if held {
        eprintln!("the database already holds this graph: it is measured as it is");
    }
    held
}

fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    let at = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[at]
}

async fn graphql(app: &App, query: &str, variables: Value) -> Value {
    let request = async_graphql::Request::new(query)
        .variables(async_graphql::Variables::from_json(variables));
    let response = app.schema.execute(request).await;
    assert!(response.errors.is_empty(), "{:?}", response.errors);
    response.data.into_json().expect("data is JSON")
}

fn gid(id: &NodeId) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(id.to_string())
}

/// The time one operation may take in all before its runs stop (at least three are made).
const BUDGET: Duration = Duration::from_secs(30);

/// Times `runs` executions (fewer once `BUDGET` is spent), each with the next of `inputs`;
/// returns p50, p99 and how many ran.
async fn time<F, Fut>(runs: usize, inputs: &[Value], mut run: F) -> (Duration, Duration, usize)
where
    F: FnMut(Value) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut samples = Vec::with_capacity(runs);
    let started = Instant::now();
    for i in 0..runs {
        if samples.len() >= 3 && started.elapsed() > BUDGET {
            break;
        }
        let started = Instant::now();
        run(inputs[i % inputs.len()].clone()).await;
        samples.push(started.elapsed());
    }
    let ran = samples.len();
    (
        percentile(&mut samples, 0.5),
        percentile(&mut samples, 0.99),
        ran,
    )
}

const SHORTEST: &str = "query($from: ID!, $to: ID!) { shortestPath(from: $from, to: $to) { length edges { kind claim { key status } } nodes { ... on Entity { name } } } }";
const NEIGHBORHOOD: &str = "query($id: ID!) { neighborhood(id: $id, depth: 2, first: 500) { truncated nodes { ... on Entity { name } } edges { kind claim { key } } } }";
const CONTESTED: &str =
    "{ contested(first: 20) { totalCount edges { node { support status claim { statement } } } } }";
const TIMELINE: &str = "query($id: ID!) { timeline(entity: $id, first: 20) { totalCount edges { node { kind date { text } claim { statement } } } } }";

fn no_filter() -> WalkFilter {
    WalkFilter {
        claims: true,
        evidence: false,
        attributes: None,
        statuses: None,
        as_of: None,
    }
}

/// Pairs of people four hops apart, found on the first store measured and used on every
/// store: both hold the same graph, and on the test server each try is a slow path search.
type Pairs = Option<Vec<(NodeId, NodeId)>>;

async fn measure(
    name: &str,
    store: Arc<dyn Store>,
    options: &Options,
    fresh: bool,
    found_pairs: &mut Pairs,
) {
    if fresh {
        generate(store.as_ref(), options).await;
    }
    let wanted = |label: &str| {
        options
            .only
            .as_ref()
            .is_none_or(|only| label.contains(only.as_str()))
    };
    let app = App::new(store.clone());
    let main = options.entities - ISLAND;
    // Pairs four hops apart, found (untimed) among pseudo-random pairs.
    let mut sequence = Sequence(7);
    let mut four = found_pairs.clone().unwrap_or_default();
    let path_rows = wanted("shortestPath, 4 hops apart") || wanted("paths, 4 hops apart");
    for _ in 0..2_000 {
        if four.len() >= 20 || !path_rows || found_pairs.is_some() {
            break;
        }
        let (a, b) = (
            person(1 + sequence.below(main - 1)),
            person(1 + sequence.below(main - 1)),
        );
        let found = store
            .paths(&PathQuery {
                from: a.clone(),
                to: b.clone(),
                max_hops: 4,
                filter: no_filter(),
                limit: 1,
            })
            .await
            .expect("paths");
        if found.paths.first().is_some_and(|p| p.len() == 4) {
            four.push((a, b));
        }
    }
    assert!(
        !four.is_empty() || !path_rows,
        "the graph has pairs four hops apart"
    );
    if path_rows {
        *found_pairs = Some(four.clone());
    }
    let pairs: Vec<Value> = four
        .iter()
        .map(|(a, b)| json!({ "from": gid(a), "to": gid(b) }))
        .collect();
    let cut_off: Vec<Value> = (0..ISLAND)
        .map(|i| json!({ "from": gid(&person(main + i)), "to": gid(&person(1 + i)) }))
        .collect();
    let hub = vec![json!({ "id": gid(&NodeId::new(Label::Person, HUB)) })];
    let ordinary: Vec<Value> = (1..=20)
        .map(|i| json!({ "id": gid(&person(i * 97)) }))
        .collect();
    let runs = options.runs;

    println!(
        "\n{name}: {} entities, {} claims, {runs} runs each (p50 / p99)",
        options.entities, options.claims
    );
    let rows: Vec<(&str, &str, &Vec<Value>)> = vec![
        ("shortestPath, 4 hops apart", SHORTEST, &pairs),
        (
            "shortestPath, unreachable within maxHops 6",
            SHORTEST,
            &cut_off,
        ),
        ("neighborhood(depth: 2) of the hub", NEIGHBORHOOD, &hub),
        (
            "neighborhood(depth: 2) of an ordinary node",
            NEIGHBORHOOD,
            &ordinary,
        ),
        ("contested(first: 20)", CONTESTED, &ordinary),
        ("timeline(first: 20)", TIMELINE, &ordinary),
    ];
    for (label, query, inputs) in rows {
        if !wanted(label) {
            continue;
        }
        let (p50, p99, ran) = time(runs, inputs, |variables| {
            let app = &app;
            async move {
                graphql(app, query, variables).await;
            }
        })
        .await;
        println!("  {label:48} {:>10.2?} {:>10.2?}  ({ran} runs)", p50, p99);
    }
    println!("  the same walks as bare store calls (on Neo4j, the Cypher over Bolt):");
    if wanted("paths, 4 hops apart") {
        let walk_pairs: Vec<Value> = four
            .iter()
            .map(|(a, b)| json!([a.to_string(), b.to_string()]))
            .collect();
        let (p50, p99, ran) = time(runs, &walk_pairs, |pair| {
            let store = store.clone();
            async move {
                let id = |i: usize| NodeId::parse(pair[i].as_str().unwrap()).unwrap();
                store
                    .paths(&PathQuery {
                        from: id(0),
                        to: id(1),
                        max_hops: 6,
                        filter: no_filter(),
                        limit: 1,
                    })
                    .await
                    .expect("paths");
            }
        })
        .await;
        println!(
            "  {:48} {:>10.2?} {:>10.2?}  ({ran} runs)",
            "paths, 4 hops apart", p50, p99
        );
    }
    if wanted("neighbourhood(depth 2), ordinary node") {
        let centres: Vec<Value> = (1..=20)
            .map(|i| json!(person(i * 97).to_string()))
            .collect();
        let (p50, p99, ran) = time(runs, &centres, |centre| {
            let store = store.clone();
            async move {
                store
                    .neighbourhood(&NeighbourhoodQuery {
                        centre: NodeId::parse(centre.as_str().unwrap()).unwrap(),
                        depth: 2,
                        filter: no_filter(),
                        max_nodes: 500,
                    })
                    .await
                    .expect("neighbourhood");
            }
        })
        .await;
        println!(
            "  {:48} {:>10.2?} {:>10.2?}  ({ran} runs)",
            "neighbourhood(depth 2), ordinary node", p50, p99
        );
    }
    let paired = "neighbourhood(depth 2), ordinary node: GraphQL / bare, paired";
    if wanted(paired) {
        paired_neighbourhoods(paired, &app, &store, runs).await;
    }
}

/// The ordinary neighbourhood through GraphQL and as the bare store call, alternately on
/// the same centre, so that both meet the same server state: p50 of each, and the median
/// of the per-centre ratios. (Run one after the other, the second series meets a server
/// warmed, or burdened, by the first.)
async fn paired_neighbourhoods(label: &str, app: &App, store: &Arc<dyn Store>, runs: usize) {
    let mut graphql_times = Vec::new();
    let mut bare_times = Vec::new();
    let mut ratios = Vec::new();
    let started = Instant::now();
    for i in 0..runs {
        if i >= 3 && started.elapsed() > BUDGET {
            break;
        }
        let centre = person((i % 20 + 1) * 97);
        let mut pair = [Duration::ZERO; 2];
        // Alternate which goes first, so that neither always meets the other's leftovers.
        for turn in [i % 2, 1 - i % 2] {
            let began = Instant::now();
            if turn == 0 {
                graphql(app, NEIGHBORHOOD, json!({ "id": gid(&centre) })).await;
            } else {
                store
                    .neighbourhood(&NeighbourhoodQuery {
                        centre: centre.clone(),
                        depth: 2,
                        filter: no_filter(),
                        max_nodes: 500,
                    })
                    .await
                    .expect("neighbourhood");
            }
            pair[turn] = began.elapsed();
        }
        graphql_times.push(pair[0]);
        bare_times.push(pair[1]);
        ratios.push(pair[0].as_secs_f64() / pair[1].as_secs_f64());
    }
    ratios.sort_by(f64::total_cmp);
    let ran = ratios.len();
    println!(
        "  {label}: {:.2?} / {:.2?}, median ratio {:.2}  ({ran} pairs)",
        percentile(&mut graphql_times, 0.5),
        percentile(&mut bare_times, 0.5),
        ratios[ran / 2]
    );
}

#[tokio::main]
async fn main() {
    // The store's errors, as `kg serve` logs them (`KG_LOG`, warnings by default).
    let filter = tracing_subscriber::EnvFilter::try_from_env("KG_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    let options = options();
    let scratch = tempfile::tempdir().expect("a scratch folder");
    let dir = options.data_dir.clone().unwrap_or(scratch.path().into());
    // What the kept graph was generated at: reused only at the same size.
    let marker = dir.join("walks-graph.txt");
    let size = format!("{} {}", options.entities, options.claims);
    let fresh = std::fs::read_to_string(&marker).ok().as_deref() != Some(size.as_str());
    if fresh && options.data_dir.is_some() && dir.join(kg::store::sqlite::DATABASE_FILE).exists() {
        eprintln!(
            "{} holds another graph: give an empty folder",
            dir.display()
        );
        std::process::exit(2);
    }
    let mmap = options
        .mmap_mib
        .map_or(kg::store::sqlite::DEFAULT_MMAP_BYTES, |mib| mib << 20);
    let embedded: Arc<dyn Store> = Arc::new(
        SqliteStore::open_with(&dir, mmap, kg::store::sqlite::DEFAULT_CACHE_BYTES)
            .expect("the embedded store opens"),
    );
    let mut pairs = None;
    measure("embedded", embedded, &options, fresh, &mut pairs).await;
    std::fs::write(&marker, size).expect("the graph's size is noted");
    if let Ok(uri) = std::env::var("KG_BENCH_NEO4J_URI") {
        let var =
            |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.to_string());
        let config = Neo4jConfig {
            uri,
            user: var("KG_BENCH_NEO4J_USER", "neo4j"),
            password: var("KG_BENCH_NEO4J_PASSWORD", ""),
            database: std::env::var("KG_BENCH_NEO4J_DATABASE").ok(),
            // Writing the graph takes long batches.
            timeout: Duration::from_secs(600),
        };
        let store = Neo4jStore::connect(&config).await.expect("Neo4j connects");
        let store: Arc<dyn Store> = Arc::new(store);
        let fresh = !holds_graph(store.as_ref(), &options).await;
        measure(
            "Neo4j (Bolt test server)",
            store,
            &options,
            fresh,
            &mut pairs,
        )
        .await;
    }
}
