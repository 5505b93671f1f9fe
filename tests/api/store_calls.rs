//! No N+1: a request costs the same number of store calls whatever the number of rows.

use serde_json::{json, Value};

use crate::harness::{conformance, strings, Backend, TestApp};

/// Reaches through every kind of relationship, with statuses (the heaviest resolver).
const DEEP: &str = r#"{ claims(first: 100) { totalCount edges { node {
    statement status statusExplanation { summary chains { assertions { id } } }
    subject { ... on Node { id } }
    conflictsWith { statement }
    assertions(first: 20) { edges { node {
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

/// Rows returned, and the store calls and (on Neo4j) Bolt queries the deep query made: the
/// same in each of three runs, since batches form per field path, not by timing.
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
        let (this_calls, this_bolt) = (app.calls.calls(), sent);
        if calls > 0 {
            assert_eq!(
                (this_calls, this_bolt),
                (calls, bolt),
                "a repeated query costs the same"
            );
        }
        (calls, bolt) = (this_calls, this_bolt);
    }
    (rows, calls, bolt)
}

conformance! {
    async fn store_calls_do_not_grow_with_the_rows_returned(backend: Backend) {
        let app = TestApp::seeded(backend).await;
        let (rows_before, calls_before, bolt_before) = rows_and_calls(&app).await;
        // Enough to fill the query's page: 51 claims before, 100 of 131 after.
        let inputs: Vec<Value> = (0..40).map(extra_report).collect();
        app.data_with(
            "mutation($inputs: [ReportInput!]!) { importReports(inputs: $inputs) { createdCount } }",
            json!({ "inputs": inputs }),
        )
        .await;
        let (rows_after, calls_after, bolt_after) = rows_and_calls(&app).await;
        assert_eq!(rows_after, rows_before + 80, "the store now holds more claims");
        assert!(rows_before < 100 && rows_after > 100, "the page grows from {rows_before} rows to full");
        assert_eq!(
            calls_after, calls_before,
            "store calls: {calls_before} for {rows_before} claims, {calls_after} for {rows_after}"
        );
        assert!(calls_before < 60, "a bounded number of calls: {calls_before}");
        assert_eq!(bolt_after, bolt_before, "Bolt queries per request");
        if backend == Backend::Neo4j {
            assert!(bolt_before.is_some_and(|q| q >= calls_before), "every store call is at least one Bolt query");
        }
    }
}

/// The frontend query the read-engine issue measures: events with title, status,
/// participants, and the occurrence claim's assertions with stance and publisher.
const FRONTEND: &str = r#"{ events(first: 50) { totalCount edges { node {
    title status
    participants { edges { node { ... on Person { name } ... on Organization { name } } } }
    occurrence { assertions { edges { node { stance report { publisher { name } } } } } }
} } } }"#;

conformance! {
    async fn the_frontend_query_costs_one_listing_and_one_read_ahead_whatever_the_rows(backend: Backend) {
        let app = TestApp::seeded(backend).await;
        let inputs: Vec<Value> = (0..40).map(extra_report).collect();
        app.data_with(
            "mutation($inputs: [ReportInput!]!) { importReports(inputs: $inputs) { createdCount } }",
            json!({ "inputs": inputs }),
        )
        .await;
        app.calls.reset();
        let bolt_before = app.bolt_queries();
        let data = app.data(FRONTEND).await;
        let bolt = app.bolt_queries().zip(bolt_before).map(|(after, before)| after - before);
        let events = data["events"]["edges"].as_array().unwrap();
        assert_eq!(events.len(), 42, "the meeting, the appointment and 40 more events: {data}");
        assert_eq!(app.calls.calls(), 2, "store calls: the page and its read-ahead");
        if backend == Backend::Neo4j {
            assert_eq!(bolt, Some(2), "Bolt queries for the whole request");
        }
        let meeting = events
            .iter()
            .map(|e| &e["node"])
            .find(|e| e["title"].as_str().is_some_and(|t| t.contains("Iravani")))
            .unwrap_or_else(|| panic!("the meeting is listed: {data}"));
        assert_eq!(meeting["status"], "DISPUTED");
        let mut names = strings(&meeting["participants"]["edges"], "/node/name");
        names.sort();
        assert_eq!(names, ["Amir Saeid Iravani", "Elon Musk"]);
        let mut publishers = strings(
            &meeting["occurrence"]["assertions"]["edges"],
            "/node/report/publisher/name",
        );
        publishers.sort();
        assert_eq!(
            publishers,
            ["Associated Press", "CBS News", "Ministry of Foreign Affairs of Iran", "The New York Times"]
        );
        let extra = events.iter().map(|e| &e["node"]).find(|e| e["title"] == "Event 7").unwrap();
        assert_eq!(extra["status"], "REPORTED");
        assert_eq!(strings(&extra["participants"]["edges"], "/node/name"), ["Elon Musk"]);
        assert_eq!(
            strings(&extra["occurrence"]["assertions"]["edges"], "/node/report/publisher/name"),
            ["Outlet 7"]
        );
    }
}
