//! The embedded store survives SIGKILL: every acknowledged import is there after a
//! restart, and no half-applied one is.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};

use crate::harness::KgProcess;

fn start(data_dir: &std::path::Path) -> KgProcess {
    let dir = data_dir.to_str().expect("a UTF-8 temporary path");
    KgProcess::start(&["--no-seed", "--data-dir", dir], &[])
}

/// A report whose every part can be counted back: 2 claims, 3 assertions, 1 source.
fn report(n: usize) -> Value {
    json!({
        "key": format!("crash-{n}"), "title": format!("Crash report {n}"), "kind": "ARTICLE",
        "entities": [{ "key": format!("person-{n}"), "type": "PERSON", "name": format!("Person {n}") }],
        "sources": [{ "key": "s", "description": "a witness", "anonymous": true }],
        "claims": [
            { "key": format!("c-{n}-born"), "statement": "born", "subject": format!("person-{n}"), "attribute": "birthDate", "value": { "date": "1990" } },
            { "key": format!("c-{n}-name"), "statement": "named", "subject": format!("person-{n}"), "attribute": "fullName", "value": { "text": format!("Person Number {n}") } }
        ],
        "assertions": [
            { "claim": format!("c-{n}-born"), "stance": "ASSERTS", "cites": ["s"] },
            { "claim": format!("c-{n}-name"), "stance": "ASSERTS", "cites": ["s"] },
            { "claim": format!("c-{n}-name"), "stance": "CONFIRMS", "key": "again" }
        ]
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_server_keeps_every_acknowledged_import_and_no_partial_one() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = start(dir.path());
    let acknowledged = Arc::new(Mutex::new(Vec::<usize>::new()));
    let client = reqwest::Client::new();

    let writers: Vec<_> = (0..2)
        .map(|writer| {
            let (client, address, acknowledged) = (client.clone(), server.address.clone(), acknowledged.clone());
            tokio::spawn(async move {
                for n in (writer..10_000).step_by(2) {
                    let body = json!({
                        "query": "mutation($i: ReportInput!) { importReport(input: $i) { createdCount } }",
                        "variables": { "i": report(n) }
                    });
                    let Ok(response) = client.post(format!("http://{address}/graphql")).json(&body).send().await else { break };
                    let Ok(answer) = response.json::<Value>().await else { break };
                    if answer["data"]["importReport"]["createdCount"].as_u64().is_some_and(|c| c > 0) {
                        acknowledged.lock().unwrap().push(n);
                    }
                }
            })
        })
        .collect();
    // Let imports run, then kill mid-stream.
    while acknowledged.lock().unwrap().len() < 40 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    server.kill();
    for writer in writers {
        writer.await.unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();

    let mut restarted = start(dir.path());
    let answer: Value = client
        .post(format!("http://{}/graphql", restarted.address))
        .json(&json!({ "query": "{ reports(first: 100) { totalCount edges { node { key assertions { totalCount edges { node { claim { key } sources { description } } } } } } } claims { totalCount } }" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    restarted.kill();

    let reports = answer["data"]["reports"]["edges"]
        .as_array()
        .expect("reports")
        .clone();
    let total = answer["data"]["reports"]["totalCount"].as_u64().unwrap() as usize;
    assert!(total <= 100, "the test reads every report in one page");
    eprintln!(
        "killed after {} acknowledged imports; {} reports found after the restart",
        acknowledged.len(),
        total
    );
    let keys: Vec<String> = reports
        .iter()
        .map(|r| r["node"]["key"].as_str().unwrap().to_string())
        .collect();
    for n in &acknowledged {
        assert!(
            keys.contains(&format!("crash-{n}")),
            "acknowledged crash-{n} is lost"
        );
    }
    for report in &reports {
        let assertions = &report["node"]["assertions"];
        assert_eq!(assertions["totalCount"], 3, "partial report: {report}");
        for edge in assertions["edges"].as_array().unwrap() {
            assert!(
                edge["node"]["claim"]["key"].is_string(),
                "assertion without its claim: {report}"
            );
        }
    }
    assert_eq!(
        answer["data"]["claims"]["totalCount"].as_u64().unwrap() as usize,
        2 * total,
        "claims of partial reports"
    );
}
