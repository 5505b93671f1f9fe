//! `claimStatusChanged`: every claim whose materialised status an import changed is told,
//! after the commit, with its old and new status and the report that changed it.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

use crate::harness::{conformance, TestApp};
use crate::http::{post, spawn_app, websocket};

fn denial(claim_key: &str) -> Value {
    json!({
        "key": "status-change-denial", "title": "A ministry denies it", "kind": "OFFICIAL_STATEMENT",
        "publisher": "status-change-ministry",
        "entities": [{ "key": "status-change-ministry", "type": "ORGANIZATION", "organizationKind": "GOVERNMENT", "name": "A Ministry" }],
        "assertions": [{ "claim": claim_key, "stance": "DENIES" }]
    })
}

const IMPORT: &str = "mutation($i: ReportInput!) { importReport(input: $i) { createdCount } }";

async fn a_reported_claim(app: &TestApp) -> (String, String) {
    let found = app
        .data("{ claims(status: REPORTED, first: 1) { edges { node { id key } } } }")
        .await;
    let node = &found["claims"]["edges"][0]["node"];
    (
        node["id"].as_str().unwrap().to_string(),
        node["key"].as_str().unwrap().to_string(),
    )
}

conformance! {
    async fn an_import_tells_each_status_it_changed_after_its_commit(backend: Backend) {
        let app = TestApp::seeded(backend).await;
        let (_, key) = a_reported_claim(&app).await;
        let mut changes = app.app.importer.subscribe_status_changes();
        app.data_with(IMPORT, json!({ "i": denial(&key) })).await;
        let mut heard = Vec::new();
        while let Ok(change) = changes.try_recv() {
            heard.push(change);
        }
        let change = heard
            .iter()
            .find(|c| c.claim.key() == key)
            .unwrap_or_else(|| panic!("the denied claim changed: {heard:?}"));
        assert_eq!(change.old.as_deref(), Some("REPORTED"));
        assert_ne!(change.new, "REPORTED");
        assert_eq!(change.report.as_ref().map(|r| r.key()), Some("status-change-denial"));
        // Told after the commit: the store already shows the new status.
        let now = app
            .data_with("query($k: String!) { claim(key: $k) { status } }", json!({ "k": key }))
            .await;
        assert_eq!(now["claim"]["status"], change.new.as_str());
        assert!(heard.iter().all(|c| c.old.as_deref() != Some(c.new.as_str())), "only changes");
    }
}

#[tokio::test]
async fn subscribers_hear_of_a_claims_status_change_over_websocket() {
    let app = spawn_app().await;
    let (id, key) = a_reported_claim(&app.test).await;
    let mut socket = websocket(&app).await;
    socket
        .send(Message::text(
            json!({ "type": "connection_init" }).to_string(),
        ))
        .await
        .unwrap();
    let subscribe = json!({ "id": "1", "type": "subscribe", "payload": {
        "query": "subscription($c: ID) { claimStatusChanged(claim: $c) { oldStatus newStatus claim { key } report { title } } }",
        "variables": { "c": id } } });
    socket
        .send(Message::text(subscribe.to_string()))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let imported = post(
        &app.address,
        json!({ "query": IMPORT, "variables": { "i": denial(&key) } }),
    )
    .await;
    assert!(imported["errors"].is_null(), "{imported}");
    let next = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(Ok(message)) = socket.next().await {
            if let Message::Text(text) = message {
                let value: Value = serde_json::from_str(&text).unwrap();
                if value["type"] == "next" {
                    return value;
                }
            }
        }
        Value::Null
    })
    .await
    .expect("the change arrives");
    let change = &next["payload"]["data"]["claimStatusChanged"];
    assert_eq!(change["claim"]["key"], key.as_str(), "{next}");
    assert_eq!(change["oldStatus"], "REPORTED");
    assert_ne!(change["newStatus"], "REPORTED");
    assert_eq!(change["report"]["title"], "A ministry denies it");
}
