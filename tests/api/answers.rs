//! Answers given again: a query asked again while nothing was written gets its kept answer
//! for the one store call that reads the graph's version, and any write, by this process or
//! another on the same Neo4j database, makes the next answer new.

use kg::app::App;
use kg::graphql::{QueryLimits, WalkLimits};
use serde_json::{json, Value};

use crate::harness::{conformance, neo4j_server, strings, Backend, KgProcess, TestApp};

/// The read-engine benchmark's frontend query, over the seed.
const FRONTEND: &str = "{ events(first: 50) { edges { node { title status
    participants { edges { node { ... on Person { name } } } }
    occurrence { assertions { edges { node { stance report { publisher { name } } } } } } } } } }";

const EVENT_TITLES: &str = "{ events(first: 50) { edges { node { title } } } }";

/// A report about one more event.
fn event_report(n: usize) -> Value {
    json!({
        "key": format!("answers-{n}"), "title": format!("Report {n}"), "kind": "ARTICLE",
        "publisher": "answers-outlet", "publishedAt": "2024-12-01",
        "entities": [
            { "key": "answers-outlet", "type": "ORGANIZATION", "organizationKind": "NEWS_OUTLET", "name": "Answers Outlet" },
            { "key": format!("answers-event-{n}"), "type": "EVENT", "name": format!("Answers event {n}") }
        ],
        "claims": [{ "key": format!("answers-event-{n}-occurred"), "statement": format!("Event {n} happened"),
            "subject": format!("answers-event-{n}"), "attribute": "occurred" }],
        "assertions": [{ "claim": format!("answers-event-{n}-occurred"), "stance": "ASSERTS" }]
    })
}

const IMPORT: &str =
    "mutation($input: ReportInput!) { importReport(input: $input) { createdCount } }";

/// The seeded store behind an app that keeps answers.
async fn keeping_answers(backend: Backend) -> TestApp {
    let mut test = TestApp::seeded(backend).await;
    test.app = App::with_limits(
        test.calls.clone(),
        WalkLimits::default(),
        QueryLimits::default(),
        1 << 20,
    );
    test
}

/// Store calls and Bolt queries one request made, and its data.
async fn costed(test: &TestApp, query: &str) -> (Value, usize, Option<usize>) {
    test.calls.reset();
    let bolt = test.bolt_queries();
    let data = test.data(query).await;
    let sent = test
        .bolt_queries()
        .zip(bolt)
        .map(|(after, before)| after - before);
    (data, test.calls.calls(), sent)
}

conformance! {
    async fn a_query_asked_again_costs_one_version_read_and_a_write_renews_it(backend: Backend) {
        let test = keeping_answers(backend).await;
        // The first time the document is parsed and run; the second it is run and kept.
        let (first, _, _) = costed(&test, FRONTEND).await;
        let (second, ran, _) = costed(&test, FRONTEND).await;
        assert_eq!(first, second);
        assert!(ran >= 2, "a kept answer is read, then run: {ran} calls");
        let (third, calls, bolt) = costed(&test, FRONTEND).await;
        assert_eq!(third, first, "the kept answer is the answer");
        assert_eq!(calls, 1, "given again, it costs the version read alone");
        if let Some(bolt) = bolt {
            assert_eq!(bolt, 1, "one Bolt query");
        }

        test.data_with(IMPORT, json!({ "input": event_report(1) })).await;
        let (renewed, calls, bolt) = costed(&test, FRONTEND).await;
        assert_ne!(renewed, first, "the write shows");
        assert!(
            strings(&renewed["events"]["edges"], "/node/title").contains(&"Answers event 1".to_string()),
            "{renewed:#}"
        );
        assert!(calls >= 2, "run again after a write: {calls} calls");
        if let Some(bolt) = bolt {
            assert!(bolt <= 2, "the version read and the one query: {bolt} Bolt queries");
        }
        let (again, calls, _) = costed(&test, FRONTEND).await;
        assert_eq!((again, calls), (renewed, 1), "and kept again");
    }

    async fn a_query_of_what_the_schema_decides_is_kept_without_a_store_call(backend: Backend) {
        let test = keeping_answers(backend).await;
        let query = "{ __typename statusRule { version } attributes { name } }";
        let (first, _, _) = costed(&test, query).await;
        for _ in 0..2 {
            let (again, calls, bolt) = costed(&test, query).await;
            assert_eq!(again, first);
            assert_eq!((calls, bolt.unwrap_or(0)), (0, 0), "no store call, not even the version");
        }
        assert!(reused_in(&test.app) >= 1);
        test.data_with(IMPORT, json!({ "input": event_report(5) })).await;
        let (after, calls, _) = costed(&test, query).await;
        assert_eq!((after, calls), (first, 0), "and a write does not matter to it");
        // One graph field among them, and the version is read again.
        let mixed = "{ __typename events { totalCount } }";
        let calls: Vec<usize> = [
            costed(&test, mixed).await.1,
            costed(&test, mixed).await.1,
            costed(&test, mixed).await.1,
        ]
        .into();
        assert_eq!(calls[2], 1, "parsed, then kept, then the version read alone: {calls:?}");
    }

    async fn variables_and_operations_are_part_of_what_is_kept(backend: Backend) {
        let test = keeping_answers(backend).await;
        let query = "query Events($n: Int!) { events(first: $n) { edges { node { title } } } }
                     query Count { events { totalCount } }";
        let ask = |variables: Value, operation: &'static str| {
            let request = async_graphql::Request::new(query)
                .operation_name(operation)
                .variables(async_graphql::Variables::from_json(variables));
            let schema = test.app.schema.clone();
            async move { serde_json::to_value(schema.execute(request).await).unwrap() }
        };
        for _ in 0..3 {
            let one = ask(json!({ "n": 1 }), "Events").await;
            let two = ask(json!({ "n": 2 }), "Events").await;
            let count = ask(json!({ "n": 1 }), "Count").await;
            assert_eq!(one["data"]["events"]["edges"].as_array().map(Vec::len), Some(1), "{one:#}");
            assert_eq!(two["data"]["events"]["edges"].as_array().map(Vec::len), Some(2), "{two:#}");
            assert!(count["data"]["events"]["totalCount"].as_u64().is_some(), "{count:#}");
        }
    }

    async fn answers_with_errors_and_mutations_are_never_given_again(backend: Backend) {
        let test = keeping_answers(backend).await;
        let unknown = r#"{ claims(first: 1) { totalCount } node(id: "not an id") { id } }"#;
        for _ in 0..3 {
            let answer = test.request(unknown, json!({})).await;
            assert!(answer.get("errors").is_some(), "{answer:#}");
        }
        assert_eq!(reused_in(&test.app), 0, "an answer with errors is not kept");
        // A mutation asked again runs again: the second time it finds its report present.
        let import = "mutation($inputs: [ReportInput!]!) { importReports(inputs: $inputs) {
            outcomes { status } } }";
        let inputs = json!({ "inputs": [event_report(2)] });
        let first = test.data_with(import, inputs.clone()).await;
        let second = test.data_with(import, inputs.clone()).await;
        let third = test.data_with(import, inputs).await;
        assert_eq!(first["importReports"]["outcomes"][0]["status"], "CREATED");
        assert_eq!(second["importReports"]["outcomes"][0]["status"], "ALREADY_PRESENT");
        assert_eq!(third, second);
        assert_eq!(reused_in(&test.app), 0, "nor is a mutation's");
    }

    async fn every_write_changes_the_graph_version(backend: Backend) {
        let test = TestApp::seeded(backend).await;
        let store = test.calls.clone();
        let before = kg::store::Store::graph_version(store.as_ref()).await.unwrap();
        assert_eq!(
            kg::store::Store::graph_version(store.as_ref()).await.unwrap(),
            before,
            "reads leave it"
        );
        test.data_with(IMPORT, json!({ "input": event_report(3) })).await;
        let after = kg::store::Store::graph_version(store.as_ref()).await.unwrap();
        assert_ne!(after, before, "an import changes it");
        let mut refused = event_report(4);
        refused["kind"] = json!("NOT_A_KIND");
        let answer = test.request(IMPORT, json!({ "input": refused })).await;
        assert!(answer.get("errors").is_some(), "a refused import writes nothing: {answer:#}");
        assert_eq!(kg::store::Store::graph_version(store.as_ref()).await.unwrap(), after);
    }
}

/// The kept answers an app has given again, from its metrics.
fn reused_in(app: &App) -> u64 {
    reused_of(&app.metrics.encode())
}

/// The kept answers a `kg serve` has given again, from its `/metrics`.
async fn reused(process: &KgProcess) -> u64 {
    let text = reqwest::get(format!("http://{}/metrics", process.address))
        .await
        .expect("metrics answer")
        .text()
        .await
        .expect("metrics text");
    reused_of(&text)
}

fn reused_of(text: &str) -> u64 {
    text.lines()
        .find_map(|line| line.strip_prefix("kg_answers_reused_total "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no kg_answers_reused_total in {text}"))
}

/// Imports [`event_report`] `n` through a `kg serve`.
async fn import(process: &KgProcess, n: usize) {
    let answer = process
        .post(IMPORT, json!({ "input": event_report(n) }))
        .await;
    assert!(answer.get("errors").is_none(), "{answer:#}");
}

async fn titles(process: &KgProcess) -> Vec<String> {
    let answer = process.post(EVENT_TITLES, json!({})).await;
    assert!(answer.get("errors").is_none(), "{answer:#}");
    strings(&answer["data"]["events"]["edges"], "/node/title")
}

#[tokio::test]
async fn a_kg_process_gives_no_kept_answer_after_another_wrote_to_the_neo4j_database() {
    let server = neo4j_server();
    let lease = server.lease().await;
    let env = server.kg_env(&lease);
    let reader = KgProcess::start(&["--no-seed"], &env);
    let writer = KgProcess::start(&["--no-seed"], &env);
    import(&writer, 1).await;

    for _ in 0..3 {
        assert_eq!(titles(&reader).await, ["Answers event 1"]);
    }
    let before = reused(&reader).await;
    assert!(
        before >= 1,
        "the reader gave its kept answer again: {before}"
    );

    import(&writer, 2).await;
    assert_eq!(
        titles(&reader).await,
        ["Answers event 1", "Answers event 2"],
        "the other process's write shows at once"
    );
    assert_eq!(
        reused(&reader).await,
        before,
        "that answer was not a kept one"
    );
}

#[tokio::test]
async fn kg_serve_keeps_answers_by_default_and_a_write_through_it_renews_them() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().to_str().unwrap();
    let process = KgProcess::start(&["--no-seed", "--data-dir", data_dir], &[]);
    import(&process, 1).await;
    for _ in 0..3 {
        assert_eq!(titles(&process).await, ["Answers event 1"]);
    }
    let before = reused(&process).await;
    assert!(before >= 1, "kept answers are given again: {before}");
    import(&process, 2).await;
    assert_eq!(
        titles(&process).await,
        ["Answers event 1", "Answers event 2"]
    );
    assert_eq!(reused(&process).await, before);

    let off = tempfile::tempdir().unwrap();
    let off_dir = off.path().to_str().unwrap();
    let process = KgProcess::start(
        &[
            "--no-seed",
            "--data-dir",
            off_dir,
            "--answer-cache-mib",
            "0",
        ],
        &[],
    );
    for _ in 0..3 {
        assert!(titles(&process).await.is_empty());
    }
    assert_eq!(reused(&process).await, 0, "0 keeps none");
}
