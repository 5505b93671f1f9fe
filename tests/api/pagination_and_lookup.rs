//! Relay conventions: global ids, `node`/`nodes`, connections, search.

use serde_json::{json, Value};

use crate::harness::{conformance, strings, TestApp};

const ORGS: &str = r#"query($first: Int, $after: String) { organizations(first: $first, after: $after) {
    totalCount pageInfo { hasNextPage hasPreviousPage endCursor } edges { cursor node { name } } } }"#;

const ORGS_BACKWARD: &str = r#"query($last: Int, $before: String) { organizations(last: $last, before: $before) {
    totalCount pageInfo { hasNextPage hasPreviousPage startCursor } edges { cursor node { name } } } }"#;

const CLAIMS: &str = r#"query($first: Int, $after: String) { claims(first: $first, after: $after) {
    pageInfo { hasNextPage endCursor } edges { node { key } } } }"#;

/// A report introducing claims whose statements sort first ("Aaa ...") and last ("Zzz ...").
fn claims_at_both_ends() -> Value {
    json!({
        "key": "both-ends", "title": "Both ends", "kind": "ARTICLE",
        "claims": [
            { "key": "early", "statement": "Aaa: Musk was early", "subject": "elon-musk", "attribute": "nationality", "value": { "text": "early" } },
            { "key": "late", "statement": "Zzz: Musk was late", "subject": "elon-musk", "attribute": "nationality", "value": { "text": "late" } }
        ],
        "assertions": [{ "claim": "early", "stance": "ASSERTS" }, { "claim": "late", "stance": "ASSERTS" }]
    })
}

conformance! {
    async fn connections_page_backward_with_last_and_before(backend: Backend) {
        let app = TestApp::seeded(backend).await;
        let all = app.data_with(ORGS, json!({ "first": 100 })).await;
        let every = strings(&all["organizations"]["edges"], "/node/name");
        let mut seen: Vec<String> = Vec::new();
        let mut before = Value::Null;
        loop {
            let page = app.data_with(ORGS_BACKWARD, json!({ "last": 6, "before": before })).await;
            let connection = &page["organizations"];
            assert_eq!(connection["pageInfo"]["hasNextPage"], !seen.is_empty());
            let mut names = strings(&connection["edges"], "/node/name");
            assert!(names.len() <= 6);
            names.extend(seen);
            seen = names;
            if connection["pageInfo"]["hasPreviousPage"] == false {
                break;
            }
            before = connection["pageInfo"]["startCursor"].clone();
        }
        assert_eq!(seen, every, "backward pages put together give the list in order");
        let errors = app.errors("{ organizations(first: 2, last: 2) { totalCount } }", json!({})).await;
        assert_eq!(errors[0]["extensions"]["code"], "BAD_PAGINATION");
        // Nested connections page backward too.
        let data = app
            .data(r#"{ events { edges { node { occurrence { all: assertions { edges { node { id } } }
                lastTwo: assertions(last: 2) { pageInfo { hasPreviousPage } edges { node { id } } } } } } } }"#)
            .await;
        let occurrence = &data["events"]["edges"][0]["node"]["occurrence"];
        let all = strings(&occurrence["all"]["edges"], "/node/id");
        assert_eq!(strings(&occurrence["lastTwo"]["edges"], "/node/id"), all[all.len() - 2..]);
        assert_eq!(occurrence["lastTwo"]["pageInfo"]["hasPreviousPage"], true);
    }

    async fn a_cursor_stays_put_when_an_import_lands_between_two_pages(backend: Backend) {
        let app = TestApp::seeded(backend).await;
        let first = app.data_with(CLAIMS, json!({ "first": 10 })).await;
        let page_one = strings(&first["claims"]["edges"], "/node/key");
        let before_import = app.data_with(CLAIMS, json!({ "first": 100 })).await;
        let old = strings(&before_import["claims"]["edges"], "/node/key");
        app.data_with(
            "mutation($input: ReportInput!) { importReport(input: $input) { createdCount } }",
            json!({ "input": claims_at_both_ends() }),
        )
        .await;
        let after = first["claims"]["pageInfo"]["endCursor"].clone();
        let next = app.data_with(CLAIMS, json!({ "first": 100, "after": after })).await;
        let page_two = strings(&next["claims"]["edges"], "/node/key");
        // No repeats, no gaps: the rest of the old list follows, with the later new claim.
        let mut expected: Vec<String> = old[10..].to_vec();
        expected.push("late".into());
        assert_eq!(page_two, expected, "after {page_one:?}");
    }

    async fn connections_page_forward_without_gaps_or_repeats(backend: Backend) {
        let app = TestApp::seeded(backend).await;
        let all = app.data_with(ORGS, json!({ "first": 100 })).await;
        let total = all["organizations"]["totalCount"].as_u64().unwrap() as usize;
        let every = strings(&all["organizations"]["edges"], "/node/name");
        assert_eq!(every.len(), total);
        assert!(total > 14, "enough organisations for three pages of seven: {total}");

        let mut seen = Vec::new();
        let mut after = Value::Null;
        loop {
            let page = app.data_with(ORGS, json!({ "first": 7, "after": after })).await;
            let connection = &page["organizations"];
            assert_eq!(connection["totalCount"].as_u64().unwrap() as usize, total);
            assert_eq!(connection["pageInfo"]["hasPreviousPage"], !seen.is_empty());
            seen.extend(strings(&connection["edges"], "/node/name"));
            if connection["pageInfo"]["hasNextPage"] == false {
                break;
            }
            after = connection["pageInfo"]["endCursor"].clone();
        }
        assert_eq!(seen, every);
        let mut sorted = every.clone();
        sorted.sort_by_key(|n| n.to_lowercase());
        assert_eq!(every, sorted, "listed by name");
    }

    async fn oversized_pages_and_foreign_cursors_are_refused_with_a_code(backend: Backend) {
        let app = TestApp::seeded(backend).await;
        // A cursor of this server's form, but pointing past any list.
        let far = base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, usize::MAX.to_string());
        for variables in [json!({ "first": 101 }), json!({ "first": -1 }), json!({ "after": "not-a-cursor" }), json!({ "after": far })] {
            let errors = app.errors(ORGS, variables.clone()).await;
            assert_eq!(errors[0]["extensions"]["code"], "BAD_PAGINATION", "{variables}: {errors:?}");
        }
    }

    async fn organizations_can_be_filtered_by_kind(backend: Backend) {
        let app = TestApp::seeded(backend).await;
        let data = app
            .data("{ organizations(kind: NEWS_OUTLET, first: 50) { totalCount edges { node { name kind } } } }")
            .await;
        let mut names = strings(&data["organizations"]["edges"], "/node/name");
        names.sort();
        assert_eq!(names, ["Associated Press", "BBC", "CBS News", "The New York Times"]);
    }

    async fn every_node_is_fetched_back_by_its_global_id(backend: Backend) {
        let app = TestApp::seeded(backend).await;
        let data = app
            .data(r#"{ reports(first: 1) { edges { node { id title assertions(first: 1) { edges { node { id sources { id } claim { id } } } } } } } }"#)
            .await;
        let report = &data["reports"]["edges"][0]["node"];
        let assertion = &report["assertions"]["edges"][0]["node"];
        let ids = vec![report["id"].clone(), assertion["id"].clone(), assertion["claim"]["id"].clone()];
        let fetched = app
            .data_with(
                "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }",
                json!({ "ids": ids }),
            )
            .await;
        let types: Vec<&str> = fetched["nodes"].as_array().unwrap().iter().map(|n| n["__typename"].as_str().unwrap()).collect();
        assert_eq!(types, ["Report", "Assertion", "Claim"]);
        for (asked, got) in ids.iter().zip(fetched["nodes"].as_array().unwrap()) {
            assert_eq!(asked, &got["id"]);
        }
        let one = app
            .data_with("query($id: ID!) { node(id: $id) { ... on Report { title } } }", json!({ "id": report["id"] }))
            .await;
        assert_eq!(one["node"]["title"], report["title"]);
    }

    async fn unknown_ids_are_null_and_malformed_ids_are_errors(backend: Backend) {
        let app = TestApp::seeded(backend).await;
        let unknown = app.data_with("query($id: ID!) { node(id: $id) { id } }", json!({ "id": "UGVyc29uOm5vYm9keQ" })).await;
        assert_eq!(unknown["node"], Value::Null);
        let errors = app.errors("query($id: ID!) { node(id: $id) { id } }", json!({ "id": "%%%" })).await;
        assert_eq!(errors[0]["extensions"]["code"], "BAD_ID");
    }

    async fn search_ranks_names_aliases_titles_and_statements(backend: Backend) {
        let app = TestApp::seeded(backend).await;
        let find = |text: &'static str| {
            let app = &app;
            async move {
                app.data_with(
                    "query($t: String!) { search(text: $t, first: 5) { __typename ... on Person { name } ... on Organization { name } ... on Claim { statement } ... on Report { title } } }",
                    json!({ "t": text }),
                )
                .await["search"]
                    .clone()
            }
        };
        assert_eq!(find("Iravani").await[0]["name"], "Amir Saeid Iravani");
        // An exact alias ranks the entity above the claims, events and reports that contain it.
        assert_eq!(find("the cost-cutting department").await[0]["name"], "Donald Trump's new cost-cutting department");
        assert_eq!(find("Elon Musk").await[0]["name"], "Elon Musk");
        assert_eq!(find("unpacking secret").await[0]["title"], "Did Elon Musk Meet Iran? Unpacking Secret Diplomacy");
        let hour = find("more than an hour").await;
        assert_eq!(hour[0]["statement"], "The meeting lasted more than an hour");
        assert_eq!(find("  ").await, json!([]));
        assert_eq!(find("\"quoted\" OR * NEAR(").await, json!([]));
    }
}

conformance! {
    async fn search_folds_diacritics_in_names_and_in_the_text_searched(backend: Backend) {
        let app = TestApp::seeded(backend).await;
        let report = json!({
            "key": "budapest-report", "title": "A Budapest report", "kind": "ARTICLE",
            "entities": [{ "key": "pesti-ferenc", "type": "PERSON", "name": "Pésti Ferenc" }],
            "claims": [{ "key": "pesti-nationality", "statement": "Pésti Ferenc is Hungarian", "subject": "pesti-ferenc", "attribute": "nationality", "value": { "text": "Hungarian" } }],
            "assertions": [{ "claim": "pesti-nationality", "stance": "ASSERTS" }]
        });
        app.data_with("mutation($input: ReportInput!) { importReport(input: $input) { createdCount } }", json!({ "input": report })).await;
        for text in ["pesti", "Pésti", "PESTI ferenc"] {
            let data = app
                .data_with("query($t: String!) { search(text: $t) { __typename ... on Person { name } } }", json!({ "t": text }))
                .await;
            assert_eq!(data["search"][0]["name"], "Pésti Ferenc", "{text}: {data}");
        }
    }
}
