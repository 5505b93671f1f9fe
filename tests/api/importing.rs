//! The import mutation: statuses follow the rule, re-imports change nothing, invalid input
//! writes nothing and says where it is wrong.

use serde_json::{json, Value};

use crate::harness::{conformance, TestApp};

const IMPORT: &str = r#"mutation($input: ReportInput!) { importReport(input: $input) {
    createdCount existingCount alreadyImported reports { title publisher { name } } } }"#;

const IMPORT_MANY: &str =
    r#"mutation($inputs: [ReportInput!]!) { importReports(inputs: $inputs) { createdCount } }"#;

const CLAIM_STATUS: &str = r#"query($t: String!) { search(text: $t) { ... on Claim { key status statusExplanation { rule summary } } } }"#;

/// A Reuters report that the meeting lasted more than an hour, citing a diplomat.
fn reuters_duration() -> Value {
    json!({
        "key": "reuters-2024-11-meeting-length",
        "title": "Reuters: Musk's meeting with Iran's envoy lasted over an hour",
        "kind": "WIRE_STORY",
        "publisher": "reuters",
        "publishedAt": "2024-11-15",
        "entities": [{ "key": "reuters", "type": "ORGANIZATION", "organizationKind": "NEWS_OUTLET", "name": "Reuters" }],
        "sources": [{ "key": "diplomat", "description": "a Western diplomat", "anonymous": true }],
        "assertions": [{ "claim": "meeting-duration", "stance": "ASSERTS", "quote": "over an hour", "cites": ["diplomat"] }]
    })
}

async fn duration_status(app: &TestApp) -> String {
    let data = app
        .data_with(
            CLAIM_STATUS,
            json!({ "t": "meeting lasted more than an hour" }),
        )
        .await;
    data["search"][0]["status"].as_str().unwrap().to_string()
}

fn codes(errors: &[Value]) -> Vec<(String, String)> {
    errors
        .iter()
        .map(|e| {
            let path: Vec<String> = e["extensions"]["inputPath"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| {
                    p.as_str()
                        .map(String::from)
                        .unwrap_or_else(|| p.to_string())
                })
                .collect();
            (
                e["extensions"]["code"].as_str().unwrap_or("").to_string(),
                path.join("."),
            )
        })
        .collect()
}

conformance! {
    async fn a_second_independent_chain_turns_a_principals_denial_into_a_dispute(backend: Backend) {
        let app = TestApp::seeded(backend).await;
        // One chain asserts the duration, and the foreign ministry, a principal, denies the
        // meeting it presupposes.
        assert_eq!(duration_status(&app).await, "DENIED");
        let result = app.data_with(IMPORT, json!({ "input": reuters_duration() })).await;
        assert_eq!(result["importReport"]["alreadyImported"], false);
        assert_eq!(result["importReport"]["reports"][0]["publisher"]["name"], "Reuters");
        assert_eq!(duration_status(&app).await, "DISPUTED");
    }

    async fn a_principal_confirmation_without_denial_confirms(backend: Backend) {
        let app = TestApp::seeded(backend).await;
        let confirmation = json!({
            "key": "iran-mission-2024-11-ambassador",
            "title": "Iran's UN mission names its ambassador",
            "kind": "OFFICIAL_STATEMENT",
            "publisher": "iran-un-mission",
            "publishedAt": "2024-11-20",
            "assertions": [{ "claim": "iravani-position-un-ambassador", "stance": "CONFIRMS" }]
        });
        app.data_with(IMPORT, json!({ "input": confirmation })).await;
        let data = app.data_with(CLAIM_STATUS, json!({ "t": "Iravani is Iran's ambassador" })).await;
        assert_eq!(data["search"][0]["status"], "CONFIRMED", "{data:#}");
        assert_eq!(data["search"][0]["statusExplanation"]["rule"], 2);
    }

    async fn importing_the_same_report_again_changes_nothing(backend: Backend) {
        let app = TestApp::seeded(backend).await;
        let first = app.data_with(IMPORT, json!({ "input": reuters_duration() })).await;
        let created = first["importReport"]["createdCount"].as_u64().unwrap();
        assert!(created >= 4, "report, publisher, source and assertion: {first}");
        let totals = app.totals().await;
        let again = app.data_with(IMPORT, json!({ "input": reuters_duration() })).await;
        assert_eq!(again["importReport"]["createdCount"], 0);
        assert_eq!(again["importReport"]["existingCount"], created);
        assert_eq!(again["importReport"]["alreadyImported"], true);
        assert_eq!(app.totals().await, totals);
        assert_eq!(duration_status(&app).await, "DISPUTED");
    }

    async fn the_same_key_with_other_content_is_refused(backend: Backend) {
        let app = TestApp::seeded(backend).await;
        app.data_with(IMPORT, json!({ "input": reuters_duration() })).await;
        let mut changed = reuters_duration();
        changed["title"] = json!("Reuters: a different headline");
        let errors = app.errors(IMPORT, json!({ "input": changed })).await;
        assert_eq!(codes(&errors), [("REPORT_CONFLICT".into(), "input.key".into())]);
    }

    async fn an_invalid_report_writes_nothing_and_names_each_problem(backend: Backend) {
        let app = TestApp::seeded(backend).await;
        let before = app.totals().await;
        let invalid = json!({
            "key": "bad report",
            "title": " ",
            "kind": "ARTICLE",
            "publisher": "elon-musk",
            "publishedAt": "sometime",
            "entities": [{ "key": "new-person", "type": "PERSON", "name": "New Person" }],
            "sources": [{ "key": "s", "description": "someone", "count": -1, "anonymous": true }],
            "claims": [
                { "key": "c1", "statement": "x", "subject": "new-person", "attribute": "favouriteColour", "value": { "text": "red" } },
                { "key": "c2", "statement": "y", "subject": "new-person", "attribute": "birthDate", "value": { "text": "yesterday" } },
                { "key": "c3", "statement": "z", "subject": "nobody-known", "attribute": "birthDate", "value": { "date": "1990-01-01" } }
            ],
            "assertions": [
                { "claim": "c1", "stance": "ASSERTS", "cites": ["t"] },
                { "claim": "c2", "stance": "ASSERTS" },
                { "claim": "missing-claim", "stance": "DENIES" }
            ]
        });
        let errors = app.errors(IMPORT, json!({ "input": invalid })).await;
        let found = codes(&errors);
        for expected in [
            ("INVALID_VALUE", "input.key"),
            ("REQUIRED", "input.title"),
            ("INVALID_VALUE", "input.publishedAt"),
            ("INVALID_VALUE", "input.sources.0.count"),
            ("UNKNOWN_ATTRIBUTE", "input.claims.0.attribute"),
            ("INVALID_VALUE", "input.claims.1.value"),
            ("UNASSERTED_CLAIM", "input.claims.2"),
            ("UNKNOWN_REFERENCE", "input.assertions.0.cites.0"),
            ("WRONG_TYPE", "input.publisher"),
            ("UNKNOWN_REFERENCE", "input.claims.2.subject"),
            ("UNKNOWN_REFERENCE", "input.assertions.2.claim"),
        ] {
            assert!(
                found.contains(&(expected.0.to_string(), expected.1.to_string())),
                "{expected:?} missing from {found:#?}"
            );
        }
        for error in &errors {
            assert_eq!(error["path"], json!(["importReport"]), "{error}");
        }
        assert_eq!(app.totals().await, before);
    }

    async fn a_batch_with_one_bad_report_writes_none_of_them(backend: Backend) {
        let app = TestApp::seeded(backend).await;
        let before = app.totals().await;
        let mut bad = reuters_duration();
        bad["key"] = json!("reuters-second");
        bad["assertions"][0]["claim"] = json!("no-such-claim");
        let errors = app.errors(IMPORT_MANY, json!({ "inputs": [reuters_duration(), bad] })).await;
        assert_eq!(codes(&errors), [("UNKNOWN_REFERENCE".into(), "inputs.1.assertions.0.claim".into())]);
        assert_eq!(app.totals().await, before);
        assert_eq!(duration_status(&app).await, "DENIED");
    }

    async fn a_later_report_in_a_batch_may_use_what_an_earlier_one_introduces(backend: Backend) {
        let app = TestApp::empty(backend).await;
        let first = json!({
            "key": "r1", "title": "First", "kind": "ARTICLE",
            "entities": [{ "key": "p", "type": "PERSON", "name": "Pat Example" }],
            "claims": [{ "key": "p-born", "statement": "Pat was born in 1990", "subject": "p", "attribute": "birthDate", "value": { "date": "1990" } }],
            "assertions": [{ "claim": "p-born", "stance": "ASSERTS" }]
        });
        let second = json!({
            "key": "r2", "title": "Second", "kind": "ARTICLE", "relays": ["r1"],
            "claims": [{ "key": "p-born-later", "statement": "Pat was born in 1991", "subject": "p", "attribute": "birthDate", "value": { "date": "1991" } }],
            "assertions": [{ "claim": "p-born-later", "stance": "ASSERTS" }, { "claim": "p-born", "stance": "DISPUTES" }]
        });
        app.data_with(IMPORT_MANY, json!({ "inputs": [first, second] })).await;
        let data = app.data_with(CLAIM_STATUS, json!({ "t": "Pat born" })).await;
        let statuses: Vec<&str> = data["search"].as_array().unwrap().iter().map(|c| c["status"].as_str().unwrap()).collect();
        assert_eq!(statuses, ["DISPUTED", "DISPUTED"], "{data:#}");
    }

    async fn malformed_graphql_input_gets_a_code_too(backend: Backend) {
        let app = TestApp::seeded(backend).await;
        let errors = app
            .errors(r#"mutation { importReport(input: { title: "t", kind: NOT_A_KIND, assertions: [] }) { createdCount } }"#, json!({}))
            .await;
        assert_eq!(codes(&errors), [("INVALID_VALUE".into(), "input.kind".into())], "{errors:#?}");
        let errors = app.errors("{ claims(first: 1) { edges { node { nosuchfield } } } }", json!({})).await;
        assert_eq!(errors[0]["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED", "{errors:#?}");
    }

    async fn an_unknown_enum_value_in_a_variable_names_its_input_path(backend: Backend) {
        let app = TestApp::seeded(backend).await;
        let before = app.totals().await;
        let mut report = reuters_duration();
        report["assertions"][0]["stance"] = json!("ALLEGES");
        let errors = app.errors(IMPORT, json!({ "input": report })).await;
        assert_eq!(codes(&errors), [("INVALID_VALUE".into(), "input.assertions.0.stance".into())], "{errors:#?}");
        let mut report = reuters_duration();
        report["kind"] = json!("PODCAST");
        let errors = app.errors(IMPORT, json!({ "input": report })).await;
        assert_eq!(codes(&errors), [("INVALID_VALUE".into(), "input.kind".into())], "{errors:#?}");
        assert_eq!(app.totals().await, before);
    }

    async fn an_inference_needs_the_value_it_explains(backend: Backend) {
        let app = TestApp::seeded(backend).await;
        let before = app.totals().await;
        let mut report = reuters_duration();
        report.as_object_mut().unwrap().remove("publishedAt");
        report["publishedAtInferred"] = json!("the week of the meeting");
        report["claims"] = json!([{ "key": "meeting-room", "statement": "x", "subject": "musk-iravani-meeting-2024-11",
            "attribute": "occurred", "valueInferred": "a guess" }]);
        report["assertions"][0]["claim"] = json!("meeting-room");
        let errors = app.errors(IMPORT, json!({ "input": report })).await;
        assert_eq!(
            codes(&errors),
            [
                ("INVALID_VALUE".into(), "input.publishedAtInferred".into()),
                ("INVALID_VALUE".into(), "input.claims.0.valueInferred".into()),
            ],
            "{errors:#?}"
        );
        assert_eq!(app.totals().await, before);

        let mut report = reuters_duration();
        report["publishedAtInferred"] = json!("Reuters ran it the day after the meeting's reports");
        app.data_with(IMPORT, json!({ "input": report })).await;
        let data = app
            .data(r#"{ reports(first: 100) { edges { node { key publishedAt { text inferred reasoning } } } } }"#)
            .await;
        let reuters = data["reports"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| &e["node"])
            .find(|r| r["key"] == "reuters-2024-11-meeting-length")
            .expect("imported");
        assert_eq!(reuters["publishedAt"]["inferred"], true);
        assert_eq!(reuters["publishedAt"]["reasoning"], "Reuters ran it the day after the meeting's reports");
    }
}
