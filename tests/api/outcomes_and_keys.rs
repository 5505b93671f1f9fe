//! Importers' lookups by the keys they gave, and non-atomic imports with an outcome per
//! report.

use serde_json::{json, Value};

use crate::harness::{conformance, TestApp};

fn new_report(key: &str) -> Value {
    json!({
        "key": key, "title": format!("Report {key}"), "kind": "ARTICLE", "publisher": "bbc",
        "assertions": [{ "claim": "meeting-duration", "stance": "ASSERTS" }]
    })
}

const IMPORT: &str = "mutation($r: [ReportInput!]!, $atomic: Boolean) {
    importReports(inputs: $r, atomic: $atomic) {
        createdCount
        outcomes { index key status report { title } errors { code message inputPath } } } }";

conformance! {
    async fn entities_reports_and_claims_are_found_by_their_keys(backend: Backend) {
        let app = TestApp::seeded(backend).await;
        let found = app
            .data(r#"{
                musk: entity(key: "elon-musk") { __typename ... on Person { name } }
                ministry: entity(key: "iran-un-mission") { __typename }
                nobody: entity(key: "no-such-key") { __typename }
                report(key: "cbs-2024-11-musk-met-iran-un-ambassador") { title publisher { name } }
                missing: report(key: "no-such-report") { title }
                claim(key: "meeting-occurred") { statement status }
            }"#)
            .await;
        assert_eq!(found["musk"], json!({ "__typename": "Person", "name": "Elon Musk" }));
        assert!(found["ministry"]["__typename"] == "Organization", "{found}");
        assert!(found["nobody"].is_null() && found["missing"].is_null());
        assert_eq!(found["report"]["publisher"]["name"], "CBS News");
        assert_eq!(found["claim"]["status"], "DISPUTED");
    }

    async fn a_non_atomic_import_applies_the_valid_reports_and_says_why_the_others_were_refused(backend: Backend) {
        let app = TestApp::seeded(backend).await;
        let before = app.totals().await["reports"]["totalCount"].as_u64().unwrap();
        let mut bad = new_report("bad");
        bad["entities"] = json!([{ "key": "only-in-bad", "type": "PERSON", "name": "Only In Bad" }]);
        bad["claims"] = json!([{ "key": "bad-claim", "statement": "x", "subject": "only-in-bad", "attribute": "no-such-attribute" }]);
        bad["assertions"] = json!([{ "claim": "bad-claim", "stance": "ASSERTS" }]);
        let mut dependent = new_report("dependent");
        dependent["claims"] = json!([{ "key": "dependent-claim", "statement": "y", "subject": "only-in-bad", "attribute": "occupation", "value": { "text": "z" } }]);
        dependent["assertions"] = json!([{ "claim": "dependent-claim", "stance": "ASSERTS" }]);
        let seed_again = kg::app::Seed::Bundled.reports().unwrap()[0].clone();
        let inputs = json!([new_report("good"), bad, dependent, seed_again]);

        let atomic = app.errors(IMPORT, json!({ "r": inputs })).await;
        assert_eq!(atomic[0]["extensions"]["code"], "UNKNOWN_ATTRIBUTE", "{atomic:#?}");
        assert_eq!(app.totals().await["reports"]["totalCount"], before, "atomic: nothing written");

        let partial = app
            .data_with(IMPORT, json!({ "r": inputs, "atomic": false }))
            .await;
        let outcomes = partial["importReports"]["outcomes"].as_array().unwrap().clone();
        let statuses: Vec<&str> = outcomes.iter().map(|o| o["status"].as_str().unwrap()).collect();
        assert_eq!(statuses, ["CREATED", "REJECTED", "REJECTED", "ALREADY_PRESENT"]);
        assert_eq!(outcomes[0]["report"]["title"], "Report good");
        assert_eq!(outcomes[1]["errors"][0]["code"], "UNKNOWN_ATTRIBUTE");
        let path = &outcomes[1]["errors"][0]["inputPath"];
        assert_eq!((&path[0], &path[1]), (&json!("inputs"), &json!("1")), "{path}");
        assert_eq!(outcomes[2]["errors"][0]["code"], "UNKNOWN_REFERENCE", "{outcomes:#?}");
        assert_eq!(outcomes[2]["key"], "dependent");
        assert!(outcomes[1]["report"].is_null());
        assert_eq!(app.totals().await["reports"]["totalCount"], before + 1);
    }
}
