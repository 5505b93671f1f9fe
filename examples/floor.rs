//! How far kg's reads are from the framework's floor. The frontend query of the read-engine
//! benchmark is executed in process (no HTTP) by kg on the embedded store, and by a plain
//! async-graphql schema of the same shape whose resolvers hand out data held in memory: no
//! store, no records to decode, no ids to encode. Both answers are serialised to JSON and
//! must be equal. The floor is what async-graphql itself costs for this answer; the gap
//! between the two is what kg can still win.
//!
//! ```text
//! cargo build --release --example floor
//! python3 scripts/bench-data.py 50 | target/release/examples/floor [--seconds 3]
//! ```
//!
//! Prints the median latency of one request (one task) and the throughput of 10 tasks on a
//! runtime of 2 worker threads, for both, side by side in one run. `--profile kg` (or
//! `floor`) instead runs only that one, with 10 tasks, for a profiler to watch.

use std::io::Read;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::resolver_utils::EnumType;
use async_graphql::{EmptyMutation, EmptySubscription, Enum, Object, Schema, SimpleObject, Union};
use kg::app::App;
use kg::import::{PathSegment, ReportInput};
use kg::store::sqlite::SqliteStore;
use serde_json::Value;

const QUERY: &str = "{ events(first: 50) { edges { node { title status participants { edges { node { ... on Person { name } } } } occurrence { assertions { edges { node { stance report { publisher { name } } } } } } } } } }";

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
enum ClaimStatus {
    Unreported,
    Reported,
    Corroborated,
    Confirmed,
    Disputed,
    Denied,
    Retracted,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
enum Stance {
    Asserts,
    Confirms,
    Denies,
    Disputes,
    Retracts,
}

#[derive(SimpleObject, Clone)]
struct Person {
    name: String,
}

#[derive(Union, Clone)]
enum Participant {
    Person(Person),
}

#[derive(SimpleObject, Clone)]
struct Organization {
    name: String,
}

#[derive(SimpleObject, Clone)]
struct Report {
    publisher: Organization,
}

#[derive(SimpleObject, Clone)]
struct Assertion {
    stance: Stance,
    report: Report,
}

#[derive(Clone)]
struct Claim {
    assertions: Vec<Assertion>,
}

#[Object]
impl Claim {
    async fn assertions(&self) -> Connection<usize, Assertion, EmptyFields, EmptyFields> {
        connection(&self.assertions)
    }
}

#[derive(Clone)]
struct Event {
    title: String,
    status: ClaimStatus,
    participants: Vec<Participant>,
    occurrence: Claim,
}

#[Object]
impl Event {
    async fn title(&self) -> &str {
        &self.title
    }

    async fn status(&self) -> ClaimStatus {
        self.status
    }

    async fn participants(&self) -> Connection<usize, Participant, EmptyFields, EmptyFields> {
        connection(&self.participants)
    }

    async fn occurrence(&self) -> Option<Claim> {
        Some(self.occurrence.clone())
    }
}

/// A connection over all of `items`, with offset cursors, as a store-less server builds one.
fn connection<T: async_graphql::OutputType + Clone>(
    items: &[T],
) -> Connection<usize, T, EmptyFields, EmptyFields> {
    let mut connection = Connection::new(false, false);
    connection.edges.extend(
        items
            .iter()
            .enumerate()
            .map(|(i, item)| Edge::new(i, item.clone())),
    );
    connection
}

struct Query(Arc<Vec<Event>>);

#[Object]
impl Query {
    async fn events(&self, first: i32) -> Connection<usize, Event, EmptyFields, EmptyFields> {
        let first = usize::try_from(first).unwrap_or(0);
        connection(&self.0[..first.min(self.0.len())])
    }
}

type FloorSchema = Schema<Query, EmptyMutation, EmptySubscription>;

/// The value of an enum as the answer writes it.
fn enum_value<T: EnumType>(v: &Value) -> T {
    let text = v.as_str().expect("an enum value");
    T::items()
        .iter()
        .find(|item| item.name == text)
        .map(|item| item.value)
        .unwrap_or_else(|| panic!("no enum value {text}"))
}

/// The floor's data, taken from kg's own answer so that both answer the same.
fn events_of(answer: &Value) -> Vec<Event> {
    let text = |v: &Value| v.as_str().expect("a text").to_string();
    let edges = |v: &Value| v["edges"].as_array().expect("edges").clone();
    edges(&answer["data"]["events"])
        .iter()
        .map(|edge| {
            let node = &edge["node"];
            Event {
                title: text(&node["title"]),
                status: enum_value(&node["status"]),
                participants: edges(&node["participants"])
                    .iter()
                    .map(|p| {
                        Participant::Person(Person {
                            name: text(&p["node"]["name"]),
                        })
                    })
                    .collect(),
                occurrence: Claim {
                    assertions: edges(&node["occurrence"]["assertions"])
                        .iter()
                        .map(|a| Assertion {
                            stance: enum_value(&a["node"]["stance"]),
                            report: Report {
                                publisher: Organization {
                                    name: text(&a["node"]["report"]["publisher"]["name"]),
                                },
                            },
                        })
                        .collect(),
                },
            }
        })
        .collect()
}

/// One request, as the HTTP layer would answer it: executed and serialised.
type Run = Arc<
    dyn Fn() -> std::pin::Pin<Box<dyn std::future::Future<Output = Vec<u8>> + Send>> + Send + Sync,
>;

fn kg_run(app: App) -> Run {
    Arc::new(move || {
        let app = app.clone();
        Box::pin(async move {
            let response = app.schema.execute(QUERY).await;
            serde_json::to_vec(&response).expect("the answer serialises")
        })
    })
}

fn floor_run(schema: FloorSchema) -> Run {
    Arc::new(move || {
        let schema = schema.clone();
        Box::pin(async move {
            let response = schema.execute(QUERY).await;
            serde_json::to_vec(&response).expect("the answer serialises")
        })
    })
}

/// The median latency of one request at a time, over `seconds`.
async fn latency(run: &Run, seconds: f64) -> Duration {
    let until = Instant::now() + Duration::from_secs_f64(seconds);
    let mut samples = Vec::new();
    while Instant::now() < until {
        let started = Instant::now();
        run().await;
        samples.push(started.elapsed());
    }
    samples.sort();
    samples[samples.len() / 2]
}

/// Requests a second with `tasks` tasks asking in a loop, over `seconds`.
async fn throughput(run: &Run, tasks: usize, seconds: f64) -> f64 {
    let started = Instant::now();
    let until = started + Duration::from_secs_f64(seconds);
    let mut handles = Vec::new();
    for _ in 0..tasks {
        let run = Arc::clone(run);
        handles.push(tokio::spawn(async move {
            let mut done = 0u64;
            while Instant::now() < until {
                run().await;
                done += 1;
            }
            done
        }));
    }
    let mut done = 0;
    for handle in handles {
        done += handle.await.expect("a task");
    }
    done as f64 / started.elapsed().as_secs_f64()
}

fn main() {
    let mut seconds = 3.0;
    let mut profile = None;
    let args: Vec<String> = std::env::args().skip(1).collect();
    for pair in args.chunks(2) {
        match (pair[0].as_str(), pair.get(1)) {
            ("--seconds", Some(value)) => {
                seconds = value.parse().expect("--seconds takes a number")
            }
            ("--profile", Some(which)) if which == "kg" || which == "floor" => {
                profile = Some(which.clone())
            }
            _ => {
                eprintln!(
                    "usage: python3 scripts/bench-data.py 50 | floor [--seconds 3] [--profile kg|floor]"
                );
                std::process::exit(2);
            }
        }
    }
    let mut request = String::new();
    std::io::stdin()
        .read_to_string(&mut request)
        .expect("the import request on standard input");
    let request: Value = serde_json::from_str(&request).expect("scripts/bench-data.py output");
    let reports: Vec<ReportInput> =
        serde_json::from_value(request["variables"]["inputs"].clone()).expect("report inputs");

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async move {
        let dir = tempfile::tempdir().expect("a scratch folder");
        let app = App::new(Arc::new(
            SqliteStore::open(dir.path()).expect("the store opens"),
        ));
        app.importer
            .import(&reports, &[PathSegment::Field("inputs")], true)
            .await
            .expect("the reports import");
        let kg = kg_run(app);
        let answer: Value = serde_json::from_slice(&kg().await).expect("kg's answer");
        assert!(answer.get("errors").is_none(), "{answer}");
        let events = events_of(&answer);
        let floor = floor_run(
            Schema::build(Query(Arc::new(events)), EmptyMutation, EmptySubscription).finish(),
        );
        let floor_answer: Value = serde_json::from_slice(&floor().await).expect("the answer");
        assert_eq!(answer, floor_answer, "the floor answers as kg does");
        println!(
            "frontend query, {} events, answer of {} bytes",
            answer["data"]["events"]["edges"]
                .as_array()
                .map_or(0, Vec::len),
            kg().await.len()
        );
        if let Some(which) = profile {
            let run = if which == "kg" { &kg } else { &floor };
            let rate = throughput(run, 10, seconds).await;
            println!("{which}: {rate:.0} requests/s with 10 tasks");
            return;
        }
        println!("| | kg (embedded) | async-graphql floor | kg / floor |");
        println!("|---|---|---|---|");
        // Interleaved: kg, floor, kg, floor; each cell is the mean of the two rounds.
        let mut rows = [(Vec::new(), Vec::new()), (Vec::new(), Vec::new())];
        for _ in 0..2 {
            rows[0]
                .0
                .push(latency(&kg, seconds).await.as_secs_f64() * 1e3);
            rows[0]
                .1
                .push(latency(&floor, seconds).await.as_secs_f64() * 1e3);
            rows[1].0.push(throughput(&kg, 10, seconds).await);
            rows[1].1.push(throughput(&floor, 10, seconds).await);
        }
        let mean = |v: &Vec<f64>| v.iter().sum::<f64>() / v.len() as f64;
        let (k, f) = (mean(&rows[0].0), mean(&rows[0].1));
        println!("| latency, 1 task (ms) | {k:.2} | {f:.2} | {:.1} |", k / f);
        let (k, f) = (mean(&rows[1].0), mean(&rows[1].1));
        println!("| requests/s, 10 tasks | {k:.0} | {f:.0} | {:.2} |", k / f);
    });
}
