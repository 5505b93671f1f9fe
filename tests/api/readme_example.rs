//! README's example query answers, on every store, exactly what README prints.

use serde_json::Value;

use crate::harness::{conformance, TestApp};

const README: &str = include_str!("../../README.md");

/// The first fenced block of this language after the example's heading.
fn block(language: &str) -> &'static str {
    let example = README
        .split_once("## An example query")
        .expect("README has the example")
        .1;
    let fence = format!("```{language}\n");
    let body = example.split_once(&fence).expect("the block opens").1;
    body.split_once("\n```").expect("the block closes").0
}

conformance! {
    async fn the_readme_example_answers_what_readme_prints(backend: Backend) {
        let app = TestApp::seeded(backend).await;
        let printed: Value = serde_json::from_str(block("json")).expect("README's answer is JSON");
        let answer = app.request(block("graphql"), Value::Null).await;
        assert_eq!(answer, printed, "README's example answer is stale");
    }
}
