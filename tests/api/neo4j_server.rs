//! `kg serve` against the Neo4j test server, as a user runs it: seeded through the same
//! import path, answering as the embedded store does, and riding out a server restart.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::harness::{neo4j_server, KgProcess};

/// Questions of the seed story, asked of both stores.
const SEED_QUESTIONS: &[&str] = &[
    r#"{ events { edges { node { id title status before: status(asOf: "2024-11-16")
        statusExplanation { rule summary chains { origin } }
        participants { edges { node { id } claim { statement status } } } } } } }"#,
    r#"{ claims(first: 100) { totalCount edges { cursor node { id key statement status
        conflictsWith { key } refines { key }
        assertions { edges { node { stance quote report { title publisher { name } } sources { description count affiliation { name } } } } } } } } }"#,
    r#"{ people(first: 50) { edges { node { name positions { title organization { name kind } validFrom { text } } } } } }"#,
    r#"{ organizations(first: 50) { totalCount pageInfo { hasNextPage endCursor } edges { node { name kind } } } }"#,
    r#"{ search(text: "Iravani ambassador") { __typename ... on Node { id } } }"#,
    r#"{ search(text: "new york") { __typename ... on Node { id } } }"#,
];

fn script() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/arcadedb").to_string()
}

fn arcadedb(args: &[&str]) -> String {
    let output = Command::new(script())
        .args(args)
        .output()
        .expect("scripts/arcadedb runs");
    assert!(
        output.status.success(),
        "scripts/arcadedb {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

#[tokio::test]
async fn kg_serve_on_neo4j_answers_the_seed_questions_as_the_embedded_store_does() {
    let server = neo4j_server();
    let lease = server.lease().await;
    let neo4j = KgProcess::start(
        &[],
        &[
            ("KG_NEO4J_URI", &server.uri),
            ("KG_NEO4J_USER", &server.user),
            ("KG_NEO4J_PASSWORD", &server.password),
            ("KG_NEO4J_DATABASE", &lease.name),
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    let embedded = KgProcess::start(&["--data-dir", dir.path().to_str().unwrap()], &[]);
    for question in SEED_QUESTIONS {
        let on_neo4j = neo4j.post(question, json!({})).await;
        let on_embedded = embedded.post(question, json!({})).await;
        assert!(on_neo4j.get("errors").is_none(), "{on_neo4j:#}");
        assert_eq!(on_neo4j, on_embedded, "the stores differ on {question}");
    }
}

#[tokio::test]
async fn the_test_server_refuses_full_text_indexes_and_is_recorded_as_scanning() {
    let server = neo4j_server();
    let lease = server.lease().await;
    let store = kg::store::neo4j::Neo4jStore::connect(&server.config(&lease.name))
        .await
        .unwrap();
    // Neo4j takes the full-text path; ArcadeDB refuses FULLTEXT indexes, which is the one
    // difference the store works around (see ARCHITECTURE.md).
    assert_eq!(store.search_mode(), kg::store::neo4j::SearchMode::Scan);
}

fn stop_and_wait(dir: &Path) {
    arcadedb(&["stop", dir.to_str().unwrap()]);
}

/// Stops the test's own server (by the process id it recorded) when the test ends, even
/// when an assertion fails halfway.
struct StopOnDrop<'a>(&'a Path);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        let _ = Command::new(script())
            .args(["stop", self.0.to_str().unwrap_or_default()])
            .status();
    }
}

#[tokio::test]
async fn requests_fail_fast_while_neo4j_is_down_and_succeed_again_when_it_is_back() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap().to_string();
    let (bolt, http) = (arcadedb(&["free-port"]), arcadedb(&["free-port"]));
    let password = neo4j_server().password.clone();
    arcadedb(&["start", &data, &bolt, &http, "kg"]);
    let _stop = StopOnDrop(dir.path());
    let uri = format!("bolt://127.0.0.1:{bolt}");
    let kg = KgProcess::start(
        &[],
        &[
            ("KG_NEO4J_URI", &uri),
            ("KG_NEO4J_USER", "root"),
            ("KG_NEO4J_PASSWORD", &password),
            ("KG_NEO4J_DATABASE", "kg"),
        ],
    );
    let status = "{ events { edges { node { status } } } }";
    let answer = kg.post(status, json!({})).await;
    assert_eq!(
        answer["data"]["events"]["edges"][0]["node"]["status"],
        "DISPUTED"
    );

    stop_and_wait(dir.path());
    let asked = Instant::now();
    let down = kg.post(status, json!({})).await;
    let waited = asked.elapsed();
    let codes: Vec<&str> = down["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["extensions"]["code"].as_str())
        .collect();
    assert!(codes.contains(&"STORE_UNAVAILABLE"), "{down:#}");
    let message = down["errors"][0]["message"].as_str().unwrap();
    assert!(
        !message.contains("127.0.0.1") && !message.contains(&bolt) && !message.contains("Neo4j"),
        "no host, port or driver text reaches the client: {down:#}"
    );
    eprintln!("while Neo4j was down, a request failed after {waited:?}: {codes:?}");
    // Fails fast: well inside the default 10 s deadline of a call.
    assert!(waited < Duration::from_secs(5), "waited {waited:?}");

    arcadedb(&["start", &data, &bolt, &http, "kg"]);
    let deadline = Instant::now() + Duration::from_secs(60);
    let back: Value = loop {
        let answer = kg.post(status, json!({})).await;
        if answer.get("errors").is_none() || Instant::now() > deadline {
            break answer;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert_eq!(
        back["data"]["events"]["edges"][0]["node"]["status"], "DISPUTED",
        "{back:#}"
    );
    stop_and_wait(dir.path());
}

/// Runs `kg serve` expecting it to refuse to start: its exit status and standard error.
fn refused_start(args: &[&str], env: &[(&str, &str)]) -> (bool, String, Duration) {
    let started = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_kg"))
        .args(["serve", "--no-seed"])
        .args(args)
        .envs(env.iter().copied())
        .env("RUST_BACKTRACE", "0")
        .env("KG_LOG", "warn")
        .output()
        .expect("kg runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).to_string(),
        started.elapsed(),
    )
}

#[tokio::test]
async fn a_wrong_neo4j_password_fails_at_once_and_says_so() {
    let server = neo4j_server();
    let lease = server.lease().await;
    let (ok, stderr, took) = refused_start(
        &["--listen", "127.0.0.1:0"],
        &[
            ("KG_NEO4J_URI", &server.uri),
            ("KG_NEO4J_USER", &server.user),
            ("KG_NEO4J_PASSWORD", "not-the-password"),
            ("KG_NEO4J_DATABASE", &lease.name),
        ],
    );
    assert!(!ok);
    assert!(stderr.contains("refused user"), "{stderr}");
    assert!(
        !stderr.contains("not-the-password"),
        "the password is never printed"
    );
    // Not retried: the driver alone would retry for over half a minute.
    assert!(took < Duration::from_secs(10), "took {took:?}");
}

#[tokio::test]
async fn the_password_comes_from_a_file_and_never_from_a_flag() {
    let server = neo4j_server();
    let lease = server.lease().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("password");
    std::fs::write(&file, format!("{}\n", server.password)).unwrap();
    let kg = KgProcess::start(
        &["--no-seed"],
        &[
            ("KG_NEO4J_URI", &server.uri),
            ("KG_NEO4J_USER", &server.user),
            ("KG_NEO4J_PASSWORD_FILE", file.to_str().unwrap()),
            ("KG_NEO4J_DATABASE", &lease.name),
        ],
    );
    let answer = kg.post("{ events { totalCount } }", json!({})).await;
    assert!(answer["errors"].is_null(), "{answer}");
    let (ok, stderr, _) = refused_start(&["--neo4j-password", "x"], &[]);
    assert!(!ok && stderr.contains("--neo4j-password"), "{stderr}");
}

#[test]
fn listening_beyond_loopback_without_write_tokens_is_refused_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let (ok, stderr, _) = refused_start(&["--listen", "0.0.0.0:0", "--data-dir", data], &[]);
    assert!(!ok);
    assert!(stderr.contains("KG_WRITE_TOKENS"), "{stderr}");
    // Allowed, it starts (and is stopped at once: no traffic leaves loopback).
    let mut allowed = Command::new(env!("CARGO_BIN_EXE_kg"))
        .args([
            "serve",
            "--listen",
            "0.0.0.0:0",
            "--data-dir",
            data,
            "--no-seed",
        ])
        .env("KG_ALLOW_ANONYMOUS_WRITES", "true")
        .env("KG_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("kg starts");
    let mut line = String::new();
    let stdout = allowed.stdout.take().unwrap();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line).unwrap();
    let _ = allowed.kill();
    let _ = allowed.wait();
    assert!(line.starts_with("listening on 0.0.0.0:"), "{line}");
}

/// A batch that wrongly says the store lacks a node it holds is refused whole by the unique
/// constraint on `KgNode.id`, rather than writing a second node of that id.
#[tokio::test]
async fn a_batch_wrong_about_an_absent_node_writes_nothing() {
    use kg::model::record::NodeRecord;
    use kg::model::{Label, NodeId};
    use kg::store::{Store, WriteBatch};
    use std::collections::HashSet;
    use std::sync::Arc;

    let server = neo4j_server();
    let lease = server.lease().await;
    let store = kg::store::neo4j::Neo4jStore::connect(&server.config(&lease.name))
        .await
        .expect("connects");
    let node = |key: &str, name: &str| -> Arc<NodeRecord> {
        let mut record = NodeRecord {
            id: NodeId::new(Label::Person, key),
            props: Default::default(),
        };
        record.props.insert("name".into(), json!(name));
        Arc::new(record)
    };
    let version = store.import_version().await.expect("version");
    let first = WriteBatch {
        nodes: vec![node("held", "as first written")],
        absent: Arc::new(HashSet::from([NodeId::new(Label::Person, "held")])),
        expect_version: Some(version),
        ..WriteBatch::default()
    };
    let applied = store.apply(&first).await.expect("the first batch applies");
    assert_eq!(applied.created, [NodeId::new(Label::Person, "held")]);

    let version = store.import_version().await.expect("version");
    let wrong = WriteBatch {
        nodes: vec![node("held", "written again"), node("new", "new")],
        absent: Arc::new(HashSet::from([
            NodeId::new(Label::Person, "held"),
            NodeId::new(Label::Person, "new"),
        ])),
        expect_version: Some(version),
        ..WriteBatch::default()
    };
    assert!(
        store.apply(&wrong).await.is_err(),
        "the constraint refuses it"
    );
    let ids = [
        NodeId::new(Label::Person, "held"),
        NodeId::new(Label::Person, "new"),
    ];
    let stored = store.nodes(&ids).await.expect("reads");
    assert_eq!(stored.len(), 1, "nothing of the refused batch was written");
    assert_eq!(stored[0].props["name"], json!("as first written"));
    assert_eq!(store.import_version().await.expect("version"), version);

    // Told nothing, the same batch merges the held node and creates the new one.
    let told_nothing = WriteBatch {
        absent: Arc::default(),
        ..wrong
    };
    let applied = store.apply(&told_nothing).await.expect("applies");
    assert_eq!(applied.created, [NodeId::new(Label::Person, "new")]);
    assert_eq!(applied.existing, [NodeId::new(Label::Person, "held")]);
}
