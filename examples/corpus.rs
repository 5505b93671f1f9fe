//! A deterministic corpus of reports for benchmarks and scale tests, as NDJSON on standard
//! output: N reports, each introducing an event and saying who took part, where and when,
//! citing its sources; entities (people, outlets, governments, places) shared across
//! reports; about 10% denials by governments, 5% relays of an earlier report and 2%
//! retractions by an outlet of what it asserted earlier. The same seed gives the same file.
//!
//!     cargo run --release --example corpus -- --reports 100000 --seed 1 > corpus.ndjson

use std::io::{BufWriter, Write};

use clap::Parser;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

#[derive(Parser)]
struct Args {
    #[arg(long, default_value_t = 1_000)]
    reports: usize,
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

struct Pools {
    people: usize,
    outlets: usize,
    governments: usize,
    places: usize,
}

fn person(n: usize) -> Value {
    json!({ "key": format!("person-{n}"), "type": "PERSON", "name": format!("Person {n}") })
}

fn outlet(n: usize) -> Value {
    json!({ "key": format!("outlet-{n}"), "type": "ORGANIZATION", "organizationKind": "NEWS_OUTLET", "name": format!("Outlet {n}") })
}

fn government(n: usize) -> Value {
    json!({ "key": format!("government-{n}"), "type": "ORGANIZATION", "organizationKind": "GOVERNMENT", "name": format!("Government {n}") })
}

fn place(n: usize) -> Value {
    json!({ "key": format!("place-{n}"), "type": "PLACE", "name": format!("Place {n}") })
}

/// The outlet that publishes report `n`: fixed by `n`, so that a later report knows which
/// outlet asserted what.
fn outlet_of(n: usize, pools: &Pools) -> usize {
    n % pools.outlets
}

fn report(n: usize, pools: &Pools, rng: &mut StdRng) -> Value {
    let event = format!("event-{n}");
    let (a, b) = (
        rng.gen_range(0..pools.people),
        rng.gen_range(0..pools.people),
    );
    let b = if a == b { (b + 1) % pools.people } else { b };
    let place_n = rng.gen_range(0..pools.places);
    let government_n = rng.gen_range(0..pools.governments);
    let day = 1 + n % 28;
    let publisher = outlet_of(n, pools);
    let mut entities = vec![
        outlet(publisher),
        json!({ "key": event, "type": "EVENT", "name": format!("Event {n}") }),
        person(a),
        person(b),
        place(place_n),
        government(government_n),
    ];
    let claims = vec![
        json!({ "key": format!("{event}-occurred"), "statement": format!("Event {n} happened"),
                "subject": event, "attribute": "occurred" }),
        json!({ "key": format!("{event}-p{a}"), "statement": format!("Person {a} took part in event {n}"),
                "subject": event, "attribute": "participant", "value": { "entity": format!("person-{a}") } }),
        json!({ "key": format!("{event}-p{b}"), "statement": format!("Person {b} took part in event {n}"),
                "subject": event, "attribute": "participant", "value": { "entity": format!("person-{b}") } }),
        json!({ "key": format!("{event}-at"), "statement": format!("Event {n} took place in place {place_n}"),
                "subject": event, "attribute": "location", "value": { "entity": format!("place-{place_n}") } }),
        json!({ "key": format!("{event}-on"), "statement": format!("Event {n} took place on 2024-11-{day:02}"),
                "subject": event, "attribute": "occurredOn", "value": { "date": format!("2024-11-{day:02}") } }),
    ];
    let sources = vec![
        json!({ "key": "officials", "description": "two officials", "count": 2, "anonymous": true,
                "affiliation": format!("government-{government_n}") }),
        json!({ "key": "witness", "description": format!("Person {a}"), "anonymous": false,
                "person": format!("person-{a}") }),
    ];
    let mut assertions: Vec<Value> = claims
        .iter()
        .enumerate()
        .map(|(i, claim)| {
            let cites = if i % 2 == 0 {
                vec!["officials"]
            } else {
                vec!["officials", "witness"]
            };
            json!({ "claim": claim["key"], "stance": "ASSERTS", "cites": cites })
        })
        .collect();
    let mut relays = Vec::new();
    let mut kind = "ARTICLE";
    let mut publisher_key = format!("outlet-{publisher}");
    let roll = rng.gen_range(0..100);
    if n > 0 && roll < 10 {
        // A government denies an earlier event's occurrence.
        let earlier = rng.gen_range(0..n);
        kind = "OFFICIAL_STATEMENT";
        publisher_key = format!("government-{government_n}");
        assertions
            .push(json!({ "claim": format!("event-{earlier}-occurred"), "stance": "DENIES" }));
    } else if n > 0 && roll < 15 {
        relays.push(format!("report-{}", rng.gen_range(0..n)));
    } else if n >= pools.outlets && roll < 17 {
        // The outlet retracts what it asserted in its own earlier report.
        let earlier = n - pools.outlets;
        assertions.push(json!({ "claim": format!("event-{earlier}-at"), "stance": "RETRACTS" }));
    }
    if kind == "OFFICIAL_STATEMENT" {
        entities.retain(|e| e["key"] != json!(format!("outlet-{publisher}")));
    }
    json!({
        "key": format!("report-{n}"),
        "title": format!("Report {n} on event {n}"),
        "url": format!("https://news.example/report-{n}"),
        "kind": kind,
        "publisher": publisher_key,
        "publishedAt": format!("2024-11-{day:02}"),
        "relays": relays,
        "entities": entities,
        "sources": sources,
        "claims": claims,
        "assertions": assertions,
    })
}

fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let n = args.reports;
    let pools = Pools {
        people: (n / 10).max(20),
        outlets: (n / 100).clamp(5, 500),
        governments: (n / 500).clamp(3, 100),
        places: (n / 50).max(10),
    };
    let mut rng = StdRng::seed_from_u64(args.seed);
    let mut out = BufWriter::new(std::io::stdout().lock());
    for i in 0..n {
        writeln!(out, "{}", report(i, &pools, &mut rng))?;
    }
    out.flush()
}
