//! `kg export` then `kg import` into an empty store rebuilds the same graph: every seed
//! question, status and explanation answers the same, on both stores.

use std::process::{Command, Stdio};

use kg::import::ReportInput;
use serde_json::{json, Value};

use crate::harness::{conformance, TestApp};

/// Everything the seed answers about its claims: statuses now and on a past day, their
/// explanations, conflicts, refinements and assertions; the events and the contested list.
const WHOLE_STORY: &str = r#"
fragment explained on StatusExplanation {
  status ruleVersion rule summary asOf
  chains { origin assertions { id } }
  denials { id } presuppositionDenials { id } retractions { id } principalDenials { id }
  confirmations { id } conflicts { key }
  excluded { assertion { id } reason }
}
{
  claims(first: 100) { totalCount edges { cursor node {
    id key statement attribute qualifier
    subject { id } value { __typename }
    validFrom { text earliest latest precision inferred reasoning }
    status past: status(asOf: "2024-11-16")
    statusExplanation { ...explained }
    pastExplanation: statusExplanation(asOf: "2024-11-16") { ...explained }
    conflictsWith { key } refines { key } refinedBy { key }
    assertions(first: 20) { totalCount edges { node { id stance quote
      report { id key title kind url publishedAt { text inferred reasoning } publisher { id name } }
      sources { description count anonymous affiliation { id } } } } }
  } } }
  events(first: 50) { totalCount edges { node { id title status } } }
  reports(first: 50) { totalCount edges { node { id key title } } }
  people(first: 50) { totalCount edges { node { id name aliases description } } }
  organizations(first: 50) { totalCount edges { node { id name aliases } } }
  contested(first: 20) { totalCount edges { node { claim { key } support } } }
}"#;

fn parse(lines: &[u8]) -> Vec<ReportInput> {
    String::from_utf8_lossy(lines)
        .lines()
        .map(|line| serde_json::from_str(line).expect("each exported line is a report input"))
        .collect()
}

async fn exported(app: &TestApp) -> Vec<u8> {
    let mut lines = Vec::new();
    let written = kg::import::export::export(app.calls.as_ref(), &mut lines)
        .await
        .expect("the store exports");
    assert_eq!(written, 9, "every seed report is exported");
    lines
}

conformance! {
    async fn an_export_imported_into_an_empty_store_answers_every_seed_question_alike(backend: Backend) {
        let original = TestApp::seeded(backend).await;
        let lines = exported(&original).await;
        let inputs = parse(&lines);

        let copy = TestApp::empty(backend).await;
        // One report at a time, as `kg import --batch 1` would: each line needs only the
        // lines before it.
        for (n, input) in inputs.iter().enumerate() {
            copy.app
                .importer
                .import(std::slice::from_ref(input), &[], false)
                .await
                .unwrap_or_else(|e| panic!("line {} re-imports: {e:?}", n + 1));
        }
        let before = original.data(WHOLE_STORY).await;
        let after = copy.data(WHOLE_STORY).await;
        assert_eq!(before["claims"]["totalCount"], after["claims"]["totalCount"]);
        assert_eq!(after, before, "the copy answers differently");

        // The copy exports the same file, and the original takes it back as already present.
        assert_eq!(exported(&copy).await, lines);
        let again = original
            .app
            .importer
            .import(&inputs, &[], true)
            .await
            .expect("the export re-imports into its own store");
        assert!(again.created.is_empty(), "{again:?}");
    }
}

#[tokio::test]
async fn kg_export_writes_the_file_kg_import_reads() {
    let dir = tempfile::tempdir().unwrap();
    let original = dir.path().join("original");
    let copy = dir.path().join("copy");
    let file = dir.path().join("export.ndjson");
    let kg = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_kg"))
            .args(args)
            .env("KG_LOG", "warn")
            .stdin(Stdio::null())
            .output()
            .expect("kg runs")
    };
    // `kg serve` seeds an empty store; the seed is imported the same way by the library.
    {
        let store = kg::store::sqlite::SqliteStore::open(&original).unwrap();
        let app = kg::app::App::new(std::sync::Arc::new(store));
        app.seed_if_empty(&kg::app::Seed::Bundled).await.unwrap();
    }
    let export = kg(&[
        "export",
        "--data-dir",
        original.to_str().unwrap(),
        "--output",
        file.to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&export.stderr).to_string();
    assert!(export.status.success(), "{text}");
    assert!(text.contains("exported 9 reports"), "{text}");

    let import = kg(&[
        "import",
        file.to_str().unwrap(),
        "--data-dir",
        copy.to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&import.stderr).to_string();
    assert!(import.status.success(), "{text}");
    assert!(
        text.contains("created 9, already present 0, rejected 0"),
        "{text}"
    );

    // Standard output, when no file is named: the same lines.
    let to_stdout = kg(&["export", "--data-dir", copy.to_str().unwrap()]);
    assert!(to_stdout.status.success());
    assert_eq!(to_stdout.stdout, std::fs::read(&file).unwrap());
    let first_line = to_stdout.stdout.split(|b| *b == b'\n').next().unwrap();
    let first: Value = serde_json::from_slice(first_line).unwrap();
    assert!(
        first["key"].is_string() && first["title"].is_string(),
        "{first}"
    );
}

/// Imports NDJSON lines through `kg import`'s own path (reports and merge lines).
async fn import_lines(app: &TestApp, lines: &[u8]) -> kg::import::file::ImportSummary {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("export.ndjson");
    std::fs::write(&file, lines).unwrap();
    let options = kg::import::file::FileImportOptions {
        batch: 500,
        strict: true,
        rejects: None,
    };
    let progress = kg::import::file::LineProgress::new(std::time::Duration::from_secs(60));
    kg::import::file::import_files(app.app.importer.as_ref(), &[file], &options, &progress)
        .await
        .expect("the export imports")
}

const MERGED: &str = r#"{
  people { totalCount }
  musk: entity(key: "elon-musk") { ... on Person { key claims(first: 50) { totalCount edges { node { key status conflictsWith { key } } } } } }
  merged: entity(key: "musk-twin") { ... on Person { key } }
  entityMerge(key: "musk-twin") { kept { key } mergedKey reason movedLinks }
}"#;

conformance! {
    async fn merges_are_exported_where_they_were_made_and_imported_again(backend: Backend) {
        let original = TestApp::seeded(backend).await;
        let twin = json!([{
            "key": "twin-report", "title": "A second Musk", "kind": "ARTICLE", "publisher": "associated-press",
            "entities": [{ "key": "musk-twin", "type": "PERSON", "name": "Elon Musk" }],
            "claims": [{ "key": "twin-born", "statement": "Musk was born in 1971", "subject": "musk-twin",
                         "attribute": "birthDate", "value": { "date": "1971" } }],
            "assertions": [{ "claim": "twin-born", "stance": "ASSERTS" }]
        }]);
        original
            .data_with("mutation($i: [ReportInput!]!) { importReports(inputs: $i) { reports { id } } }", json!({ "i": twin }))
            .await;
        let ids = original.data(r#"{ a: entity(key: "elon-musk") { id } b: entity(key: "musk-twin") { id } }"#).await;
        original
            .data_with(
                "mutation($a: ID!, $b: ID!) { mergeEntities(keep: $a, merge: $b, reason: \"one man\") { movedLinks } }",
                json!({ "a": ids["a"]["id"], "b": ids["b"]["id"] }),
            )
            .await;
        let mut lines = Vec::new();
        let written = kg::import::export::export(original.calls.as_ref(), &mut lines).await.unwrap();
        assert_eq!(written, 11, "nine seed reports, the twin's report, the merge");
        let text = String::from_utf8(lines.clone()).unwrap();
        let last: Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
        assert_eq!(last, json!({ "mergeEntities": { "keep": "elon-musk", "merge": "musk-twin", "reason": "one man" } }));

        let copy = TestApp::empty(backend).await;
        let summary = import_lines(&copy, &lines).await;
        assert_eq!((summary.created, summary.merged, summary.rejected), (10, 1, 0), "{summary:?}");
        assert_eq!(copy.data(MERGED).await, original.data(MERGED).await);
        assert_eq!(copy.data(WHOLE_STORY).await, original.data(WHOLE_STORY).await);
        // Again: everything is in, the merge included.
        let again = import_lines(&copy, &lines).await;
        assert_eq!((again.created, again.merged, again.already_present), (0, 0, 11), "{again:?}");
    }
}
