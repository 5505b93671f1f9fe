//! No N+1: a request costs the same number of store calls whatever the number of rows.

use std::collections::BTreeMap;

use kg::model::record::Props;
use kg::model::{Label, NodeId, RelType};
use kg::store::{Expanded, Hop, ListOrder, ListQuery, Plan, Position, Step, Subgraph};
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

/// Imports `count` reports made by [`extra_report`], each about one more event.
async fn import_extra_reports(app: &TestApp, count: usize) {
    let inputs: Vec<Value> = (0..count).map(extra_report).collect();
    app.data_with(
        "mutation($inputs: [ReportInput!]!) { importReports(inputs: $inputs) { createdCount } }",
        json!({ "inputs": inputs }),
    )
    .await;
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
        import_extra_reports(&app, 40).await;
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
    async fn the_frontend_query_costs_one_store_call_whatever_the_rows(backend: Backend) {
        let app = TestApp::seeded(backend).await;
        import_extra_reports(&app, 40).await;
        app.calls.reset();
        let bolt_before = app.bolt_queries();
        let data = app.data(FRONTEND).await;
        let bolt = app.bolt_queries().zip(bolt_before).map(|(after, before)| after - before);
        let events = data["events"]["edges"].as_array().unwrap();
        assert_eq!(events.len(), 42, "the meeting, the appointment and 40 more events: {data}");
        assert_eq!(app.calls.calls(), 1, "store calls: the page with its read-ahead");
        if backend == Backend::Neo4j {
            assert_eq!(bolt, Some(1), "Bolt queries for the whole request");
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

/// Events, their occurrence claim's assertions and publishers, and their participants.
fn frontend_plan() -> Plan {
    use kg::domain::attributes::{OCCURRED, PARTICIPANT};
    use kg::store::Direction::{In, Out};
    let mut occurrence = Step::new(Hop::claims_of(RelType::Subject, In, OCCURRED));
    occurrence
        .child(Hop::new(RelType::About, In))
        .child(Hop::new(RelType::MadeIn, Out))
        .child(Hop::new(RelType::PublishedBy, Out));
    let mut participants = Step::new(Hop::claims_of(RelType::Subject, In, PARTICIPANT));
    participants.child(Hop::new(RelType::Value, Out));
    Plan {
        steps: vec![occurrence, participants],
    }
}

/// What a subgraph says, in a form that compares: its nodes by id, and its link lists.
fn read_back(plan: &Plan, subgraph: Subgraph) -> (BTreeMap<String, Props>, Vec<String>) {
    let expanded = Expanded::from_subgraph(plan, subgraph);
    let nodes = expanded
        .nodes
        .iter()
        .map(|(id, record)| (id.to_string(), record.props.clone()))
        .collect();
    let mut links: Vec<String> = expanded
        .links
        .iter()
        .map(|((from, hop), ends)| format!("{from} {hop:?} {ends:?}"))
        .collect();
    links.sort();
    (nodes, links)
}

conformance! {
    async fn a_listing_reads_ahead_what_expand_reads_from_its_page_in_both_directions(backend: Backend) {
        let app = TestApp::seeded(backend).await;
        import_extra_reports(&app, 6).await;
        let store = app.app.graph.store();
        let plan = frontend_plan();
        let all = store.list(&ListQuery::of(Label::Event, 100)).await.expect("the events");
        assert_eq!(all.records.len(), 8, "the seed's two events and six more");
        let middle = Position::of(&all.records[3], ListOrder::Name);
        for from_end in [false, true] {
            let query = ListQuery {
                after: (!from_end).then(|| middle.clone()),
                before: from_end.then(|| middle.clone()),
                from_end,
                limit: 3,
                read_ahead: plan.clone(),
                ..ListQuery::of(Label::Event, 0)
            };
            let page = store.list(&query).await.expect("a page with its read-ahead");
            let ids: Vec<NodeId> = page.records.iter().map(|r| r.id.clone()).collect();
            let expected: Vec<NodeId> = if from_end {
                all.records[0..3].iter().map(|r| r.id.clone()).collect()
            } else {
                all.records[4..7].iter().map(|r| r.id.clone()).collect()
            };
            assert_eq!(ids, expected, "the page, read {}", if from_end { "backwards" } else { "forwards" });
            assert_eq!(page.total, Some(8));
            let expanded = store.expand(&ids, &plan).await.expect("the same plan from the page");
            let (nodes, links) = read_back(&plan, page.read_ahead);
            assert_eq!((nodes.clone(), links.clone()), read_back(&plan, expanded));
            // Not empty by accident: every event of the page with its occurrence's publishers.
            assert!(ids.iter().all(|id| nodes.contains_key(&id.to_string())), "{nodes:?}");
            assert!(nodes.keys().any(|id| id.starts_with("Organization:")), "{nodes:?}");
        }
        let unplanned = store.list(&ListQuery::of(Label::Event, 3)).await.expect("a plain page");
        assert_eq!(unplanned.read_ahead, Subgraph::default(), "nothing planned, nothing read ahead");
    }
}
