//! The abuse probes of the hardening issue, each refused before it runs (no store call)
//! with `LIMIT_EXCEEDED` naming the bound, while ordinary queries still pass.

use serde_json::{json, Value};

use crate::harness::{Backend, TestApp};
use crate::http::{post, spawn_app_with};

/// The first error's bound, after checking the code and that the store was not asked.
async fn refused_bound(app: &TestApp, query: &str) -> String {
    app.calls.reset();
    let errors = app.errors(query, json!({})).await;
    assert_eq!(app.calls.calls(), 0, "refused before any store call");
    assert_eq!(
        errors[0]["extensions"]["code"], "LIMIT_EXCEEDED",
        "{errors:#?}"
    );
    errors[0]["extensions"]["bound"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn fragments_that_fan_out_are_refused_without_being_expanded() {
    let app = TestApp::seeded(Backend::Embedded).await;
    let mut query = String::from("fragment F0 on Query { events(first: 1) { totalCount } }\n");
    for level in 1..=23 {
        query.push_str(&format!(
            "fragment F{level} on Query {{ ...F{p} ...F{p} }}\n",
            p = level - 1
        ));
    }
    query.push_str("{ ...F23 }");
    assert!(
        query.len() < 1_200,
        "a small document: {} bytes",
        query.len()
    );
    assert_eq!(refused_bound(&app, &query).await, "maxFields");
}

#[tokio::test]
async fn a_thousand_aliases_are_refused() {
    let app = TestApp::seeded(Backend::Embedded).await;
    let aliases: String = (0..1_000)
        .map(|n| format!("a{n}: claims(first: 100) {{ edges {{ node {{ status statusExplanation {{ summary }} }} }} }} "))
        .collect();
    let bound = refused_bound(&app, &format!("{{ {aliases} }}")).await;
    assert!(
        matches!(bound.as_str(), "maxAliases" | "maxFields"),
        "{bound}"
    );
}

#[tokio::test]
async fn a_field_repeated_ten_thousand_times_is_refused() {
    let app = TestApp::seeded(Backend::Embedded).await;
    let repeated = "claims(first: 100) { edges { node { status } } } ".repeat(10_000);
    assert_eq!(
        refused_bound(&app, &format!("{{ {repeated} }}")).await,
        "maxQueryBytes",
        "490 KB are refused before parsing"
    );
    let repeated = "claims(first: 100) { edges { node { status } } } ".repeat(1_500);
    assert_eq!(
        refused_bound(&app, &format!("{{ {repeated} }}")).await,
        "maxFields"
    );
}

#[tokio::test]
async fn nested_pages_are_refused_by_their_product() {
    let app = TestApp::seeded(Backend::Embedded).await;
    // Three levels of 100 are a million rows: within the depth bound, over the cost.
    let query = "{ claims(first: 100) { edges { node { assertions(first: 100) { edges { node {
        report { assertions(first: 100) { edges { node { stance } } } } } } } } } } }";
    assert_eq!(refused_bound(&app, query).await, "maxCost");
    let mut deep = String::from("{ ");
    for _ in 0..7 {
        deep.push_str("claims(first: 100) { edges { node { subject { ... on Event { ");
    }
    deep.push_str("name");
    deep.push_str(&" } } } } }".repeat(7));
    deep.push_str(" }");
    let bound = refused_bound(&app, &deep).await;
    assert!(
        matches!(bound.as_str(), "maxDepth" | "maxCost" | "maxNesting"),
        "{bound}"
    );
}

#[tokio::test]
async fn a_field_with_too_many_directives_is_refused() {
    let app = TestApp::seeded(Backend::Embedded).await;
    let directives = "@include(if: true) ".repeat(20);
    let query = format!("{{ events(first: 1) {directives} {{ totalCount }} }}");
    assert_eq!(refused_bound(&app, &query).await, "maxDirectives");
}

#[tokio::test]
async fn the_answer_is_held_to_its_size_bound() {
    let settings = kg::http::HttpSettings {
        max_response_bytes: 2_000,
        ..kg::http::HttpSettings::default()
    };
    let app = spawn_app_with(settings, None).await;
    let big: Value = post(
        &app.address,
        json!({ "query": "{ claims(first: 100) { edges { node { statement } } } }" }),
    )
    .await;
    assert_eq!(
        big["errors"][0]["extensions"]["code"], "LIMIT_EXCEEDED",
        "{big:#}"
    );
    assert_eq!(big["errors"][0]["extensions"]["bound"], "maxResponseBytes");
    let small = post(
        &app.address,
        json!({ "query": "{ events { totalCount } }" }),
    )
    .await;
    assert!(small["errors"].is_null(), "{small}");
}

#[tokio::test]
async fn an_analysts_neighbourhood_and_a_frontends_page_fit_the_default_bounds() {
    let app = TestApp::seeded(Backend::Embedded).await;
    let musk = app.id_of("Elon Musk", "Person").await;
    let query = "query($id: ID!) {
        neighborhood(id: $id, depth: 2, first: 500) {
            nodes { id __typename ... on Entity { name aliases } }
            edges { kind direction from { id } to { id }
                    claim { statement status statusExplanation { summary } } } }
        events(first: 50) { edges { node { title status
            participants(first: 10) { edges { node { ... on Entity { name } } } }
            claims(first: 20) { edges { node { statement status
                assertions(first: 10) { edges { node { stance report { title publisher { name } } } } } } } } } } } }";
    app.data_with(query, json!({ "id": musk })).await;
}

#[tokio::test]
async fn a_query_asked_again_is_checked_again_with_its_new_variables() {
    // The executor reuses the parse of a query text it has seen: the bounds, which depend
    // on the variables, and validation must still apply to every request.
    let app = TestApp::seeded(Backend::Embedded).await;
    let query = "query($n: Int!) { claims(first: $n) { edges { node { assertions(first: $n) {
        edges { node { report { assertions(first: $n) { edges { node { stance } } } } } } } } } } }";
    let small = app.data_with(query, json!({ "n": 2 })).await;
    assert!(small["claims"]["edges"].as_array().is_some(), "{small}");
    app.calls.reset();
    let errors = app.errors(query, json!({ "n": 100 })).await;
    assert_eq!(
        errors[0]["extensions"]["code"], "LIMIT_EXCEEDED",
        "{errors:#?}"
    );
    assert_eq!(errors[0]["extensions"]["bound"], "maxCost");
    assert_eq!(app.calls.calls(), 0, "refused before any store call");
    let errors = app.errors(query, json!({})).await;
    assert!(
        errors[0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("n")),
        "a missing variable is still refused: {errors:#?}"
    );
    let again = app.data_with(query, json!({ "n": 2 })).await;
    assert_eq!(again, small);
}
