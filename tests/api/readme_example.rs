//! README's example query answers, on every store, exactly what README prints.

use serde_json::{json, Value};

use crate::harness::{conformance, TestApp};

const README: &str = include_str!("../../README.md");

/// The first fenced block of this language after a heading.
fn block_after(heading: &str, language: &str) -> &'static str {
    let example = README
        .split_once(heading)
        .expect("README has the heading")
        .1;
    let fence = format!("```{language}\n");
    let body = example.split_once(&fence).expect("the block opens").1;
    body.split_once("\n```").expect("the block closes").0
}

fn block(language: &str) -> &'static str {
    block_after("## An example query", language)
}

conformance! {
    async fn the_readme_example_answers_what_readme_prints(backend: Backend) {
        let app = TestApp::seeded(backend).await;
        let printed: Value = serde_json::from_str(block("json")).expect("README's answer is JSON");
        let answer = app.request(block("graphql"), Value::Null).await;
        assert_eq!(answer, printed, "README's example answer is stale");
    }

    async fn the_readme_analysts_query_runs_as_written(backend: Backend) {
        let app = TestApp::seeded(backend).await;
        let variables = json!({
            "musk": app.id_of("Elon Musk", "Person").await,
            "ministry": app.id_of("Ministry of Foreign Affairs of Iran", "Organization").await,
            "iravani": app.id_of("Amir Saeid Iravani", "Person").await,
            "claim": app.id_of("The meeting took place at the ambassador's residence in New York", "Claim").await,
        });
        let data = app.data_with(block_after("## For analysts", "graphql"), variables).await;
        assert_eq!(data["shortestPath"]["edges"][1]["kind"], "DENIES", "{data:#}");
        assert!(data["strict"].is_null(), "{data:#}");
        assert!(!data["contested"]["edges"].as_array().unwrap().is_empty());
    }
}
