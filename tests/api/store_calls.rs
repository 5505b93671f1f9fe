//! No N+1: a request costs the same number of store calls whatever the number of rows.

use serde_json::{json, Value};

use crate::harness::{conformance, Backend, TestApp};

/// Reaches through every kind of relationship, with statuses (the heaviest resolver).
const DEEP: &str = r#"{ claims(first: 100) { totalCount edges { node {
    statement status statusExplanation { summary chains { assertions { id } } }
    subject { ... on Node { id } }
    conflictsWith { statement }
    assertions(first: 100) { edges { node {
        stance
        report { title publisher { name } relays { title } }
        sources { description affiliation { name } person { name } }
    } } }
} } } }"#;

/// A report about one more event, with its own outlet, source and claims.
fn extra_report(n: usize) -> Value {
    json!({
        "key": format!("extra-{n}"),
        "title": format!("Extra report {n}"),
        "kind": "ARTICLE",
        "publisher": format!("outlet-{n}"),
        "publishedAt": "2024-12",
        "relays": ["ap-2024-11-iran-sought-meeting-with-musk"],
        "entities": [
            { "key": format!("outlet-{n}"), "type": "ORGANIZATION", "organizationKind": "NEWS_OUTLET", "name": format!("Outlet {n}") },
            { "key": format!("event-{n}"), "type": "EVENT", "name": format!("Event {n}") }
        ],
        "sources": [{ "key": "insider", "description": "an insider", "anonymous": true, "affiliation": "government-of-iran" }],
        "claims": [
            { "key": format!("event-{n}-occurred"), "statement": format!("Event {n} happened"), "subject": format!("event-{n}"), "attribute": "occurred" },
            { "key": format!("event-{n}-musk"), "statement": format!("Musk took part in event {n}"), "subject": format!("event-{n}"), "attribute": "participant", "value": { "entity": "elon-musk" } }
        ],
        "assertions": [
            { "claim": format!("event-{n}-occurred"), "stance": "ASSERTS", "cites": ["insider"] },
            { "claim": format!("event-{n}-musk"), "stance": "ASSERTS", "cites": ["insider"] },
            { "claim": "meeting-duration", "stance": "DISPUTES" }
        ]
    })
}

/// Rows returned, and the most store calls and (on Neo4j) Bolt queries the deep query made
/// over three runs. A batch may by chance also take in a load from another depth that
/// arrives while it gathers, saving a call; the most over a few runs is the count without
/// such luck.
async fn rows_and_calls(app: &TestApp) -> (u64, usize, Option<usize>) {
    let (mut rows, mut calls, mut bolt) = (0, 0, None);
    for _ in 0..3 {
        app.calls.reset();
        let bolt_before = app.bolt_queries();
        let data = app.data(DEEP).await;
        let sent = app
            .bolt_queries()
            .zip(bolt_before)
            .map(|(after, before)| after - before);
        rows = data["claims"]["totalCount"].as_u64().unwrap();
        calls = calls.max(app.calls.calls());
        bolt = bolt.max(sent);
    }
    (rows, calls, bolt)
}

conformance! {
    async fn store_calls_do_not_grow_with_the_rows_returned(backend: Backend) {
        let app = TestApp::seeded(backend).await;
        let (rows_before, calls_before, bolt_before) = rows_and_calls(&app).await;
        let inputs: Vec<Value> = (0..12).map(extra_report).collect();
        app.data_with(
            "mutation($inputs: [ReportInput!]!) { importReports(inputs: $inputs) { createdCount } }",
            json!({ "inputs": inputs }),
        )
        .await;
        let (rows_after, calls_after, bolt_after) = rows_and_calls(&app).await;
        assert_eq!(rows_after, rows_before + 24, "the query now returns more claims");
        assert!(
            calls_after <= calls_before,
            "store calls grew: {calls_before} for {rows_before} claims, {calls_after} for {rows_after}"
        );
        assert!(calls_before < 60, "a bounded number of calls: {calls_before}");
        assert!(bolt_after <= bolt_before, "Bolt queries grew: {bolt_before:?}, then {bolt_after:?}");
        if backend == Backend::Neo4j {
            assert!(bolt_before.is_some_and(|q| q >= calls_before), "every store call is at least one Bolt query");
        }
    }
}
