//! Several writers: kg processes importing conflicting claims at the same instant into one
//! Neo4j database end with the links and statuses one process would have written; a second
//! process on an embedded data dir is refused at start.

use std::sync::Arc;

use kg::domain::materialise::timelines;
use kg::domain::Graph;
use kg::store::neo4j::Neo4jStore;
use kg::store::Store;
use serde_json::{json, Value};

use crate::harness::{all_claims, neo4j_server, KgProcess};

const REPORTS: usize = 20;
const IMPORTERS: usize = 8;

/// Report `n` gives the same person a birth date of its own: every two of them conflict.
fn conflicting_report(n: usize) -> Value {
    json!({
        "key": format!("birth-{n}"), "title": format!("Birth record {n}"), "kind": "ARTICLE",
        "publisher": format!("registry-{n}"), "publishedAt": "2024-12-01",
        "entities": [
            { "key": "contested-person", "type": "PERSON", "name": "A contested person" },
            { "key": format!("registry-{n}"), "type": "ORGANIZATION", "organizationKind": "OTHER", "name": format!("Registry {n}") }
        ],
        "claims": [{ "key": format!("birth-date-{n}"), "statement": format!("Born in {}", 1950 + n),
            "subject": "contested-person", "attribute": "birthDate", "value": { "date": format!("{}-01-01", 1950 + n) } }],
        "assertions": [{ "claim": format!("birth-date-{n}"), "stance": "ASSERTS" }]
    })
}

#[tokio::test]
async fn eight_importers_through_two_kg_processes_agree_with_one_writer_on_the_neo4j_store() {
    let server = neo4j_server();
    let lease = server.lease().await;
    let env = server.kg_env(&lease);
    let processes = Arc::new([
        KgProcess::start(&["--no-seed"], &env),
        KgProcess::start(&["--no-seed"], &env),
    ]);
    let importers: Vec<_> = (0..IMPORTERS)
        .map(|importer| {
            let processes = Arc::clone(&processes);
            tokio::spawn(async move {
                for n in (importer..REPORTS).step_by(IMPORTERS) {
                    let answer = processes[importer % 2]
                        .post(
                            "mutation($input: ReportInput!) { importReport(input: $input) { createdCount } }",
                            json!({ "input": conflicting_report(n) }),
                        )
                        .await;
                    assert!(answer.get("errors").is_none(), "report {n}: {answer:#}");
                }
            })
        })
        .collect();
    for importer in importers {
        importer.await.unwrap();
    }

    // Every claim is linked to each of the others, and disputed by them.
    let answer = processes[0]
        .post(
            r#"{ claims(attribute: "birthDate", first: 100) { totalCount edges { node { key status conflictsWith { key } } } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        answer["data"]["claims"]["totalCount"], REPORTS,
        "{answer:#}"
    );
    for edge in answer["data"]["claims"]["edges"].as_array().unwrap() {
        let node = &edge["node"];
        let links = node["conflictsWith"].as_array().unwrap().len();
        assert_eq!(
            links,
            REPORTS - 1,
            "{} is linked to {links} of the others",
            node["key"]
        );
        assert_eq!(node["status"], "DISPUTED", "{node}");
    }

    // And every stored status is what a derivation from scratch gives.
    let store: Arc<dyn Store> = Arc::new(
        Neo4jStore::connect(&server.config(&lease.name))
            .await
            .unwrap(),
    );
    let graph = Graph::new(Arc::clone(&store));
    let claims = all_claims(store.as_ref()).await;
    let stored = graph.records(&claims).await.unwrap();
    for expected in timelines(&graph, &claims).await.unwrap() {
        if let Some(stored) = stored.get(&expected.id) {
            for (name, value) in &expected.props {
                assert_eq!(
                    stored.props.get(name),
                    Some(value),
                    "{name} of {}",
                    expected.id
                );
            }
        }
    }
}

#[test]
fn a_second_kg_process_on_the_same_data_dir_is_refused_naming_the_dir() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_str().unwrap();
    let _first = KgProcess::start(&["--data-dir", path, "--no-seed"], &[]);
    let second = std::process::Command::new(env!("CARGO_BIN_EXE_kg"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--no-seed",
            "--data-dir",
            path,
        ])
        .output()
        .expect("kg runs");
    assert!(!second.status.success());
    let said = String::from_utf8_lossy(&second.stderr);
    assert!(
        said.contains(path) && said.contains("in use by another kg process"),
        "{said}"
    );
}
