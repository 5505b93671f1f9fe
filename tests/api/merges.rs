//! Entity resolution without silent merges: possible duplicates are suggested, a merge
//! moves every link and is recorded, the merged key resolves to the kept entity (in lookups
//! and in imports), conflicts and statuses follow, and undoing the merge restores them.

use kg::domain::materialise::timelines;
use kg::model::NodeId;
use serde_json::{json, Value};

use crate::harness::{all_claims, conformance, strings, TestApp};

const IMPORT: &str =
    "mutation($inputs: [ReportInput!]!) { importReports(inputs: $inputs) { reports { id } } }";

fn outlet(key: &str, name: &str) -> Value {
    json!({ "key": key, "type": "ORGANIZATION", "organizationKind": "NEWS_OUTLET", "name": name })
}

/// Two outlets name one man twice over: `musk` and `e-musk` ("ELON MUSK."), with birth
/// dates that disagree, and `e-musk` as the initiator of an event.
fn reports() -> Value {
    json!([
        {
            "key": "merge-r1", "title": "First report", "kind": "ARTICLE", "publisher": "outlet-a",
            "entities": [
                outlet("outlet-a", "Outlet A"),
                { "key": "musk", "type": "PERSON", "name": "Elon Musk" },
                { "key": "talks", "type": "EVENT", "name": "Talks" }
            ],
            "claims": [
                { "key": "talks-occurred", "statement": "The talks took place", "subject": "talks", "attribute": "occurred" },
                { "key": "musk-born", "statement": "Musk was born on 28 June 1971", "subject": "musk",
                  "attribute": "birthDate", "value": { "date": "1971-06-28" } }
            ],
            "assertions": [
                { "claim": "talks-occurred", "stance": "ASSERTS" },
                { "claim": "musk-born", "stance": "ASSERTS" }
            ]
        },
        {
            "key": "merge-r2", "title": "Second report", "kind": "ARTICLE", "publisher": "outlet-b",
            "entities": [
                outlet("outlet-b", "Outlet B"),
                { "key": "e-musk", "type": "PERSON", "name": "ELON MUSK.", "aliases": ["Musk"] }
            ],
            "claims": [
                { "key": "e-musk-born", "statement": "Musk was born on 1 January 1972", "subject": "e-musk",
                  "attribute": "birthDate", "value": { "date": "1972-01-01" } },
                { "key": "talks-initiator", "statement": "Musk sought the talks", "subject": "talks",
                  "attribute": "initiator", "value": { "entity": "e-musk" } }
            ],
            "assertions": [
                { "claim": "e-musk-born", "stance": "ASSERTS" },
                { "claim": "talks-initiator", "stance": "ASSERTS" }
            ]
        }
    ])
}

const PERSON: &str = r#"query($key: String!) { entity(key: $key) { ... on Person { id key name
  claims(first: 20) { edges { node { key status conflictsWith { key } } } }
  mentions(first: 20) { edges { node { key } } } } } }"#;

const MERGE: &str = r#"mutation($keep: ID!, $merge: ID!, $reason: String) {
  mergeEntities(keep: $keep, merge: $merge, reason: $reason) {
    kept { key name } mergedId mergedKey mergedName reason mergedAt movedLinks rederivedClaims } }"#;

const UNMERGE: &str = r#"mutation($merged: ID!) { unmergeEntity(merged: $merged) {
  kept { key } mergedKey reason movedLinks rederivedClaims } }"#;

async fn person(app: &TestApp, key: &str) -> Value {
    app.data_with(PERSON, json!({ "key": key })).await["entity"].clone()
}

fn claim<'a>(person: &'a Value, key: &str) -> &'a Value {
    person["claims"]["edges"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| &e["node"])
        .find(|c| c["key"] == key)
        .unwrap_or_else(|| panic!("no claim {key}: {person:#}"))
}

/// Every stored status is what a derivation from scratch gives.
async fn assert_statuses_derived_from_scratch(app: &TestApp, when: &str) {
    let claims = all_claims(app.app.graph.store().as_ref()).await;
    let derived = timelines(&app.app.graph, &claims).await.unwrap();
    let ids: Vec<NodeId> = derived.iter().map(|r| r.id.clone()).collect();
    let stored = app.app.graph.records(&ids).await.unwrap();
    for expected in derived {
        for (name, value) in &expected.props {
            assert_eq!(
                stored[&expected.id].props.get(name),
                Some(value),
                "{name} of {} {when}",
                expected.id
            );
        }
    }
}

async fn id_of_key(app: &TestApp, key: &str) -> String {
    person(app, key).await["id"].as_str().unwrap().to_string()
}

conformance! {
    async fn a_merge_moves_every_link_resolves_the_merged_key_and_is_undone(backend: Backend) {
        let app = TestApp::empty(backend).await;
        app.data_with(IMPORT, json!({ "inputs": reports() })).await;
        let musk = id_of_key(&app, "musk").await;
        let e_musk = id_of_key(&app, "e-musk").await;

        // Suggested, with the names that matched; never merged by itself.
        let found = app.data("{ possibleDuplicates { matchedOn candidates { entity { key } matchedNames } } }").await;
        let groups = found["possibleDuplicates"].as_array().unwrap();
        assert_eq!(groups.len(), 1, "{found:#}");
        assert_eq!(groups[0]["matchedOn"], json!(["elon musk"]));
        assert_eq!(
            groups[0]["candidates"],
            json!([
                { "entity": { "key": "e-musk" }, "matchedNames": ["ELON MUSK."] },
                { "entity": { "key": "musk" }, "matchedNames": ["Elon Musk"] }
            ])
        );
        let before = person(&app, "musk").await;
        assert!(claim(&before, "musk-born")["conflictsWith"].as_array().unwrap().is_empty());
        assert_eq!(claim(&before, "musk-born")["status"], "REPORTED");

        let mut changes = app.app.importer.subscribe_status_changes();
        let merged = app
            .data_with(MERGE, json!({ "keep": musk, "merge": e_musk, "reason": "the same man" }))
            .await["mergeEntities"]
            .clone();
        // Subscribers are told of the statuses the merge changed, once it committed.
        let mut told = Vec::new();
        while let Ok(change) = changes.try_recv() {
            told.push((change.claim.key().to_string(), change.old, change.new, change.report));
        }
        told.sort();
        assert_eq!(
            told,
            [
                ("e-musk-born".to_string(), Some("REPORTED".to_string()), "DISPUTED".to_string(), None),
                ("musk-born".to_string(), Some("REPORTED".to_string()), "DISPUTED".to_string(), None),
            ]
        );
        assert_eq!(merged["kept"], json!({ "key": "musk", "name": "Elon Musk" }));
        assert_eq!(merged["mergedKey"], "e-musk");
        assert_eq!(merged["mergedName"], "ELON MUSK.");
        assert_eq!(merged["reason"], "the same man");
        assert!(merged["mergedAt"].as_str().is_some_and(|t| t.ends_with('Z')), "{merged}");
        assert_eq!(merged["movedLinks"], 2, "the subject of e-musk-born, the value of talks-initiator");
        assert!(merged["rederivedClaims"].as_u64().unwrap() >= 3, "{merged}");

        // The merged key and id resolve to the kept entity, which has everything.
        let after = person(&app, "e-musk").await;
        assert_eq!(after["key"], "musk");
        let node = app.data_with("query($id: ID!) { node(id: $id) { ... on Person { key } } }", json!({ "id": e_musk })).await;
        assert_eq!(node["node"]["key"], "musk");
        assert_eq!(strings(&after["mentions"]["edges"], "/node/key"), ["talks-initiator"]);
        let born = claim(&after, "musk-born");
        assert_eq!(strings(&born["conflictsWith"], "/key"), ["e-musk-born"]);
        assert_eq!(born["status"], "DISPUTED", "two outlets disagree now that it is one man");
        assert_eq!(strings(&claim(&after, "e-musk-born")["conflictsWith"], "/key"), ["musk-born"]);
        assert_statuses_derived_from_scratch(&app, "after the merge").await;

        // Listings, search and suggestions see one man.
        let listed = app.data("{ people { totalCount } possibleDuplicates { matchedOn } }").await;
        assert_eq!(listed["people"]["totalCount"], 1);
        assert_eq!(listed["possibleDuplicates"], json!([]));
        let search = app.data(r#"{ search(text: "Musk", first: 20) { ... on Person { key } } }"#).await;
        let people: Vec<&Value> = search["search"].as_array().unwrap().iter().filter(|n| n.get("key").is_some()).collect();
        assert_eq!(people, [&json!({ "key": "musk" })], "{search}");
        let recorded = app.data(r#"{ entityMerge(key: "e-musk") { kept { key } movedLinks rederivedClaims } }"#).await;
        assert_eq!(recorded["entityMerge"], json!({ "kept": { "key": "musk" }, "movedLinks": 2, "rederivedClaims": null }));

        // An import naming the merged key lands on the kept entity.
        let later = json!([{
            "key": "merge-r3", "title": "Third report", "kind": "ARTICLE", "publisher": "outlet-a",
            "claims": [{ "key": "e-musk-name", "statement": "His full name is Elon Reeve Musk",
                         "subject": "e-musk", "attribute": "fullName", "value": { "text": "Elon Reeve Musk" } }],
            "assertions": [{ "claim": "e-musk-name", "stance": "ASSERTS" }]
        }]);
        app.data_with(IMPORT, json!({ "inputs": later })).await;
        claim(&person(&app, "musk").await, "e-musk-name");

        // Undone: the links move back, conflicts and statuses follow; what came since stays.
        let undone = app.data_with(UNMERGE, json!({ "merged": e_musk })).await["unmergeEntity"].clone();
        assert_eq!(undone["kept"]["key"], "musk");
        assert_eq!(undone["mergedKey"], "e-musk");
        assert_eq!(undone["reason"], "the same man");
        let musk_now = person(&app, "musk").await;
        let e_musk_now = person(&app, "e-musk").await;
        assert_eq!(e_musk_now["key"], "e-musk");
        let mut keys = strings(&musk_now["claims"]["edges"], "/node/key");
        keys.sort();
        assert_eq!(keys, ["e-musk-name", "musk-born"]);
        assert_eq!(strings(&e_musk_now["claims"]["edges"], "/node/key"), ["e-musk-born"]);
        assert_eq!(strings(&e_musk_now["mentions"]["edges"], "/node/key"), ["talks-initiator"]);
        let born = claim(&musk_now, "musk-born");
        assert!(born["conflictsWith"].as_array().unwrap().is_empty(), "{born}");
        assert_eq!(born["status"], "REPORTED");
        assert_statuses_derived_from_scratch(&app, "after undoing the merge").await;
        let listed = app.data(r#"{ people { totalCount } entityMerge(key: "e-musk") { mergedKey } }"#).await;
        assert_eq!(listed["people"]["totalCount"], 2);
        assert!(listed["entityMerge"].is_null());
    }

    async fn a_merge_that_cannot_be_made_is_refused_with_its_path_and_writes_nothing(backend: Backend) {
        let app = TestApp::empty(backend).await;
        app.data_with(IMPORT, json!({ "inputs": reports() })).await;
        let musk = id_of_key(&app, "musk").await;
        let e_musk = id_of_key(&app, "e-musk").await;
        let outlet = app.data(r#"{ entity(key: "outlet-a") { id } }"#).await["entity"]["id"].clone();
        let totals = app.totals().await;

        for (keep, merge, code, path) in [
            (json!(musk), json!(musk), "INVALID_VALUE", "merge"),
            (json!(musk), outlet.clone(), "WRONG_TYPE", "merge"),
        ] {
            let errors = app.errors(MERGE, json!({ "keep": keep, "merge": merge })).await;
            assert_eq!(errors[0]["extensions"]["code"], code, "{errors:?}");
            assert_eq!(errors[0]["extensions"]["inputPath"], json!([path]), "{errors:?}");
        }
        let errors = app.errors(UNMERGE, json!({ "merged": e_musk })).await;
        assert_eq!(errors[0]["extensions"]["code"], "INVALID_VALUE", "{errors:?}");
        assert_eq!(errors[0]["extensions"]["inputPath"], json!(["merged"]));
        assert_eq!(app.totals().await, totals);
        assert_eq!(person(&app, "e-musk").await["key"], "e-musk", "nothing was merged");

        let first = app.data_with(MERGE, json!({ "keep": musk, "merge": e_musk, "reason": "  " })).await;
        assert_eq!(first["mergeEntities"]["movedLinks"], 2);
        assert!(first["mergeEntities"]["reason"].is_null(), "a blank reason is none: {first}");
        // A retry is answered with the merge as recorded, and writes nothing more.
        let again = app.data_with(MERGE, json!({ "keep": musk, "merge": e_musk })).await;
        assert_eq!(again["mergeEntities"]["movedLinks"], 2);
        assert_eq!(again["mergeEntities"]["rederivedClaims"], 0);
        assert_eq!(again["mergeEntities"]["mergedAt"], first["mergeEntities"]["mergedAt"]);
        let organizations = app.data(r#"{ entity(key: "outlet-b") { id } }"#).await["entity"]["id"].clone();
        let other = app.data(r#"{ entity(key: "talks") { id } }"#).await["entity"]["id"].clone();
        let errors = app.errors(MERGE, json!({ "keep": other, "merge": e_musk })).await;
        assert_eq!(errors[0]["extensions"]["code"], "INVALID_VALUE", "merged into another: {errors:?}");
        assert!(errors[0]["message"].as_str().unwrap().contains("merged into"), "{errors:?}");
        let errors = app.errors(MERGE, json!({ "keep": organizations, "merge": musk })).await;
        assert_eq!(errors[0]["extensions"]["code"], "WRONG_TYPE", "{errors:?}");
        let errors = app.errors(MERGE, json!({ "keep": e_musk, "merge": musk })).await;
        assert_eq!(errors[0]["extensions"]["inputPath"], json!(["keep"]), "{errors:?}");
    }
}
