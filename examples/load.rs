//! A mixed load against a running `kg serve`: readers asking what frontends and analysts ask
//! while importers load new reports, for a fixed time. Reports errors, p50/p99 by kind, and
//! the server's RSS (from /proc, given its pid). Loopback only; `scripts/load` runs it.
//!
//!     cargo run --release --example load -- --address 127.0.0.1:8080 --pid 1234 \
//!         [--seconds 60] [--readers 4] [--importers 2]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Parser;
use serde_json::{json, Value};

#[derive(Parser)]
struct Args {
    /// The server, on a loopback address.
    #[arg(long)]
    address: std::net::SocketAddr,
    /// The server's process id, to sample its RSS.
    #[arg(long)]
    pid: u32,
    #[arg(long, default_value_t = 60)]
    seconds: u64,
    #[arg(long, default_value_t = 4)]
    readers: usize,
    #[arg(long, default_value_t = 2)]
    importers: usize,
    /// Reports per import.
    #[arg(long, default_value_t = 20)]
    batch: usize,
}

const READS: &[(&str, &str)] = &[
    (
        "events page",
        "{ events(first: 50) { edges { node { title status participants(first: 10) { edges { node { ... on Entity { name } } } }
           occurrence { assertions { edges { node { stance report { publisher { name } } } } } } } } } }",
    ),
    (
        "claims with explanations",
        "{ claims(first: 20) { edges { node { statement status statusExplanation { summary } } } } }",
    ),
    ("search", "{ search(text: \"Musk Iran\", first: 10) { __typename ... on Node { id } } }"),
    (
        "contested",
        "{ contested(first: 10) { edges { node { claim { statement } assertedBy deniedBy { report { title } } } } } }",
    ),
];

fn report(worker: usize, n: usize) -> Value {
    json!({
        "key": format!("load-{worker}-{n}"),
        "title": format!("Load report {worker}-{n}"),
        "kind": "ARTICLE",
        "publisher": format!("load-outlet-{}", n % 50),
        "entities": [
            { "key": format!("load-outlet-{}", n % 50), "type": "ORGANIZATION", "organizationKind": "NEWS_OUTLET", "name": format!("Load Outlet {}", n % 50) },
            { "key": format!("load-event-{worker}-{n}"), "type": "EVENT", "name": format!("Load event {worker}-{n}") }
        ],
        "claims": [
            { "key": format!("load-event-{worker}-{n}-occurred"), "statement": format!("Load event {worker}-{n} happened"), "subject": format!("load-event-{worker}-{n}"), "attribute": "occurred" },
            { "key": format!("load-event-{worker}-{n}-musk"), "statement": format!("Musk took part in load event {worker}-{n}"), "subject": format!("load-event-{worker}-{n}"), "attribute": "participant", "value": { "entity": "elon-musk" } }
        ],
        "assertions": [
            { "claim": format!("load-event-{worker}-{n}-occurred"), "stance": "ASSERTS" },
            { "claim": format!("load-event-{worker}-{n}-musk"), "stance": if n.is_multiple_of(10) { "DENIES" } else { "ASSERTS" } }
        ]
    })
}

fn rss_mb(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

#[derive(Default)]
struct Tally {
    latencies: BTreeMap<&'static str, Vec<f64>>,
    errors: BTreeMap<String, usize>,
}

async fn send(client: &reqwest::Client, url: &str, body: Value) -> Result<(), String> {
    let response = client
        .post(url)
        .json(&body)
        .send()
        .await
        .map_err(|e| format!("transport: {e}"))?;
    let status = response.status();
    let answer: Value = response.json().await.map_err(|e| format!("body: {e}"))?;
    match answer["errors"][0]["extensions"]["code"].as_str() {
        Some(code) => Err(code.to_string()),
        None if !status.is_success() => Err(format!("HTTP {status}")),
        None => Ok(()),
    }
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    assert!(
        args.address.ip().is_loopback(),
        "load goes to loopback only"
    );
    let url = format!("http://{}/graphql", args.address);
    let client = reqwest::Client::new();
    let tally = Arc::new(Mutex::new(Tally::default()));
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let rss_start = rss_mb(args.pid);
    let mut tasks = Vec::new();
    for reader in 0..args.readers {
        let (client, url, tally) = (client.clone(), url.clone(), Arc::clone(&tally));
        tasks.push(tokio::spawn(async move {
            let mut n = reader;
            while Instant::now() < deadline {
                let (kind, query) = READS[n % READS.len()];
                n += 1;
                let started = Instant::now();
                let outcome = send(&client, &url, json!({ "query": query })).await;
                let mut tally = tally.lock().unwrap();
                tally
                    .latencies
                    .entry(kind)
                    .or_default()
                    .push(started.elapsed().as_secs_f64() * 1e3);
                if let Err(code) = outcome {
                    *tally.errors.entry(format!("{kind}: {code}")).or_default() += 1;
                }
            }
        }));
    }
    for worker in 0..args.importers {
        let (client, url, tally, batch) =
            (client.clone(), url.clone(), Arc::clone(&tally), args.batch);
        tasks.push(tokio::spawn(async move {
            let mut n = 0;
            while Instant::now() < deadline {
                let reports: Vec<Value> = (n..n + batch).map(|i| report(worker, i)).collect();
                n += batch;
                let body = json!({
                    "query": "mutation($r: [ReportInput!]!) { importReports(inputs: $r) { createdCount } }",
                    "variables": { "r": reports }
                });
                let started = Instant::now();
                let outcome = send(&client, &url, body).await;
                let mut tally = tally.lock().unwrap();
                tally.latencies.entry("import of a batch").or_default().push(started.elapsed().as_secs_f64() * 1e3);
                if let Err(code) = outcome {
                    *tally.errors.entry(format!("import: {code}")).or_default() += 1;
                }
            }
        }));
    }
    let mut peak = rss_start;
    while Instant::now() < deadline {
        peak = peak.max(rss_mb(args.pid));
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    for task in tasks {
        let _ = task.await;
    }
    let rss_end = rss_mb(args.pid);
    let tally = tally.lock().unwrap();
    println!(
        "{} s, {} readers, {} importers of {} reports per call",
        args.seconds, args.readers, args.importers, args.batch
    );
    println!("| kind | requests | per second | p50 ms | p99 ms |\n|---|---|---|---|---|");
    for (kind, latencies) in &tally.latencies {
        let mut sorted = latencies.clone();
        sorted.sort_by(f64::total_cmp);
        let at = |q: f64| sorted[((sorted.len() as f64 * q) as usize).min(sorted.len() - 1)];
        println!(
            "| {kind} | {} | {:.1} | {:.1} | {:.1} |",
            sorted.len(),
            sorted.len() as f64 / args.seconds as f64,
            at(0.5),
            at(0.99)
        );
    }
    let errors: usize = tally.errors.values().sum();
    println!("errors: {errors} {:?}", tally.errors);
    println!("RSS: start {rss_start:.1} MB, peak {peak:.1} MB, end {rss_end:.1} MB");
}
