//! Listings filtered by materialised status (now and as of a day) and by date, and sorted by
//! date, in the store.

use serde_json::{json, Value};

use crate::harness::{conformance, strings, TestApp};

const IMPORT_MANY: &str =
    r#"mutation($inputs: [ReportInput!]!) { importReports(inputs: $inputs) { createdCount } }"#;

/// Three more events, two of them dated (out of title order), one denied by its principal.
fn dated_events() -> Vec<Value> {
    let event = |key: &str, title: &str, day: Option<&str>| {
        let mut claims = vec![
            json!({ "key": format!("{key}-occurred"), "statement": format!("{title} happened"), "subject": key, "attribute": "occurred" }),
        ];
        let mut assertions =
            vec![json!({ "claim": format!("{key}-occurred"), "stance": "ASSERTS" })];
        if let Some(day) = day {
            claims.push(json!({ "key": format!("{key}-date"), "statement": format!("{title} was on {day}"), "subject": key, "attribute": "occurredOn", "value": { "date": day } }));
            assertions.push(json!({ "claim": format!("{key}-date"), "stance": "ASSERTS" }));
        }
        json!({
            "key": format!("{key}-report"), "title": format!("On {title}"), "kind": "ARTICLE",
            "publisher": "associated-press", "publishedAt": day.unwrap_or("2025-03"),
            "entities": [{ "key": key, "type": "EVENT", "name": title }],
            "claims": claims, "assertions": assertions
        })
    };
    vec![
        event("aaa-summit", "Aaa summit", Some("2025-02-01")),
        event("bbb-talks", "Bbb talks", Some("2023-06-15")),
        event("ccc-visit", "Ccc visit", None),
    ]
}

/// The seed's other event, which CBS dates only as the day after the meeting.
const APPOINTMENT: &str = "Musk made joint head of Donald Trump's new cost-cutting department";

async fn titles(app: &TestApp, query: &str) -> Vec<String> {
    let data = app.data(query).await;
    strings(&data["events"]["edges"], "/node/title")
}

conformance! {
    async fn claims_are_filtered_by_status_now_and_as_of_a_day(backend: Backend) {
        let app = TestApp::seeded(backend).await;
        let all = app.data("{ claims(first: 100) { edges { node { key status before: status(asOf: \"2024-11-16\") } } } }").await;
        let edges = all["claims"]["edges"].as_array().unwrap().clone();
        for (status, as_of, field) in [("DISPUTED", None, "status"), ("DENIED", None, "status"), ("CORROBORATED", Some("2024-11-16"), "before")] {
            let mut expected: Vec<String> = edges
                .iter()
                .filter(|e| e["node"][field] == status)
                .map(|e| e["node"]["key"].as_str().unwrap().to_string())
                .collect();
            expected.sort();
            assert!(!expected.is_empty(), "the seed has {status} claims");
            let data = app
                .data_with(
                    "query($s: ClaimStatus, $d: Date) { claims(status: $s, asOf: $d, first: 100) { totalCount edges { node { key } } } }",
                    json!({ "s": status, "d": as_of }),
                )
                .await;
            let mut found = strings(&data["claims"]["edges"], "/node/key");
            found.sort();
            assert_eq!(found, expected, "{status} as of {as_of:?}");
            assert_eq!(data["claims"]["totalCount"], expected.len());
        }
        let errors = app.errors("{ claims(asOf: \"2024-11-16\") { totalCount } }", json!({})).await;
        assert_eq!(errors[0]["extensions"]["code"], "BAD_USER_INPUT");
    }

    async fn events_are_filtered_by_status_and_date_and_sorted_by_date(backend: Backend) {
        let app = TestApp::seeded(backend).await;
        app.data_with(IMPORT_MANY, json!({ "inputs": dated_events() })).await;
        let meeting = "Meeting between Elon Musk and Iran's UN ambassador Amir Saeid Iravani";
        assert_eq!(titles(&app, "{ events(status: DISPUTED) { edges { node { title } } } }").await, [meeting]);
        assert_eq!(
            titles(&app, "{ events(status: CORROBORATED, asOf: \"2024-11-16\") { edges { node { title } } } }").await,
            [meeting]
        );
        assert_eq!(
            titles(&app, "{ events(status: REPORTED) { edges { node { title } } } }").await,
            ["Aaa summit", "Bbb talks", "Ccc visit", APPOINTMENT]
        );
        // By date: the seed's meeting is dated 2024-11-11 by the reports Iran rebutted; the
        // undated events (CBS dates the appointment only relative to the meeting) come last.
        let by_date = titles(&app, "{ events(orderBy: DATE) { edges { node { title date } } } }").await;
        assert_eq!(by_date, ["Bbb talks", meeting, "Aaa summit", "Ccc visit", APPOINTMENT]);
        assert_eq!(
            titles(&app, "{ events(orderBy: DATE, from: \"2024-01-01\", to: \"2024-12-31\") { edges { node { title } } } }").await,
            [meeting]
        );
        // Keyset cursors follow the date order too, forward and backward.
        let mut forward = Vec::new();
        let mut after = Value::Null;
        loop {
            let page = app
                .data_with(
                    "query($a: String) { events(orderBy: DATE, first: 1, after: $a) { pageInfo { hasNextPage endCursor } edges { node { title } } } }",
                    json!({ "a": after }),
                )
                .await;
            forward.extend(strings(&page["events"]["edges"], "/node/title"));
            if page["events"]["pageInfo"]["hasNextPage"] == false {
                break;
            }
            after = page["events"]["pageInfo"]["endCursor"].clone();
        }
        assert_eq!(forward, by_date);
        let last_two = titles(&app, "{ events(orderBy: DATE, last: 2) { edges { node { title } } } }").await;
        assert_eq!(last_two, by_date[by_date.len() - 2..]);
    }

    async fn reports_are_sorted_by_publication_date(backend: Backend) {
        let app = TestApp::seeded(backend).await;
        app.data_with(IMPORT_MANY, json!({ "inputs": dated_events() })).await;
        let data = app.data("{ reports(orderBy: PUBLISHED, first: 100) { edges { node { title publishedAt { earliest } } } } }").await;
        let days: Vec<String> = data["reports"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| e["node"]["publishedAt"]["earliest"].as_str().map(String::from))
            .collect();
        let mut sorted = days.clone();
        sorted.sort();
        assert_eq!(days, sorted, "{data:#}");
        assert!(days.len() >= 8, "{days:?}");
        let data = app.data("{ reports(orderBy: PUBLISHED, from: \"2025-01-01\") { edges { node { title } } } }").await;
        assert_eq!(strings(&data["reports"]["edges"], "/node/title"), ["On Aaa summit", "On Ccc visit"]);
    }
}
