//! Analysts' timelines, contested claims and attribution chains, and the `Entity`
//! interface they are written against.

use serde_json::{json, Value};

use crate::harness::{conformance, strings, TestApp};

const TIMELINE: &str = r#"query($id: ID!, $from: Date, $to: Date, $first: Int, $after: String) {
    timeline(entity: $id, from: $from, to: $to, first: $first, after: $after) {
        totalCount pageInfo { hasNextPage endCursor }
        edges { node { kind date { text earliest latest precision inferred }
            event { title } assertion { stance report { key } } claim { key } } } } }"#;

fn entries(data: &Value) -> Vec<(String, String, String)> {
    data["timeline"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["node"])
        .map(|n| {
            let what = n["event"]["title"]
                .as_str()
                .or(n["assertion"]["report"]["key"].as_str())
                .unwrap_or_default();
            (
                n["kind"].as_str().unwrap().to_string(),
                n["date"]["text"].as_str().unwrap_or("undated").to_string(),
                what.to_string(),
            )
        })
        .collect()
}

conformance! {
    async fn iravanis_timeline_lists_november_2024_in_order(backend: Backend) {
        let app = TestApp::seeded(backend).await;
        let iravani = app.id_of("Amir Saeid Iravani", "Person").await;
        let data = app.data_with(TIMELINE, json!({ "id": iravani })).await;
        assert_eq!(
            entries(&data),
            [
                ("EVENT".into(), "2024-11-11".into(), "Meeting between Elon Musk and Iran's UN ambassador Amir Saeid Iravani".into()),
                ("ASSERTION".into(), "2024-11-11/2024-11-17".into(), "cbs-2024-11-musk-met-iran-un-ambassador".into()),
                ("ASSERTION".into(), "2024-11-11/2024-11-17".into(), "nyt-2024-11-musk-met-iran-envoy".into()),
                ("ASSERTION".into(), "2024-11-17/..".into(), "seed-article-did-elon-musk-meet-iran".into()),
            ]
        );
        let first = &data["timeline"]["edges"][0]["node"];
        // The meeting's day is the rebutted reports' "on Monday", which the importer read.
        assert_eq!(first["date"]["inferred"], true);
        assert_eq!(first["claim"]["key"], "meeting-participant-iravani");
        let range = &data["timeline"]["edges"][1]["node"]["date"];
        assert_eq!((range["earliest"].as_str(), range["latest"].as_str(), range["precision"].as_str()), (Some("2024-11-11"), Some("2024-11-17"), Some("RANGE")));

        // Windows keep what may fall within them; pages continue where they stopped.
        let later = app.data_with(TIMELINE, json!({ "id": iravani, "from": "2024-11-18" })).await;
        assert_eq!(entries(&later).len(), 1, "only the open-ended article may be that late");
        let page = app.data_with(TIMELINE, json!({ "id": iravani, "first": 2 })).await;
        assert_eq!(page["timeline"]["pageInfo"]["hasNextPage"], true);
        let rest = app
            .data_with(TIMELINE, json!({ "id": iravani, "after": page["timeline"]["pageInfo"]["endCursor"] }))
            .await;
        let mut both = entries(&page);
        both.extend(entries(&rest));
        assert_eq!(both, entries(&data));
    }

    async fn contested_claims_come_most_supported_first_with_who_asserts_and_denies(backend: Backend) {
        let app = TestApp::seeded(backend).await;
        let query = r#"query($asOf: Date) { contested(asOf: $asOf, first: 100) { totalCount edges { node {
            status support assertedBy claim { key } deniedBy { stance report { key } } } } } }"#;
        let data = app.data_with(query, json!({})).await;
        let nodes: Vec<&Value> = data["contested"]["edges"].as_array().unwrap().iter().map(|e| &e["node"]).collect();
        let meeting = nodes[0];
        assert_eq!(meeting["claim"]["key"], "meeting-occurred");
        assert_eq!(meeting["status"], "DISPUTED");
        assert_eq!(meeting["support"], 4);
        assert_eq!(strings(&meeting["deniedBy"], "/report/key"), ["iran-mfa-2024-11-17-denial"]);
        assert_eq!(meeting["deniedBy"][0]["stance"], "DENIES");
        assert!(meeting["assertedBy"].as_array().unwrap().iter().any(|a| a == "CBS News"));
        let supports: Vec<u64> = nodes.iter().map(|n| n["support"].as_u64().unwrap()).collect();
        assert!(supports.windows(2).all(|w| w[0] >= w[1]), "most supported first: {supports:?}");
        for node in &nodes {
            assert!(["DISPUTED", "DENIED"].contains(&node["status"].as_str().unwrap()), "{node}");
        }
        // Every contested claim is listed: as many as the listing by status finds.
        let listed = app.data("{ d: claims(status: DISPUTED) { totalCount } n: claims(status: DENIED) { totalCount } }").await;
        assert_eq!(data["contested"]["totalCount"], listed["d"]["totalCount"].as_u64().unwrap() + listed["n"]["totalCount"].as_u64().unwrap());

        // The day before the denial, only the conflicting initiators were contested.
        let before = app.data_with(query, json!({ "asOf": "2024-11-16" })).await;
        let mut keys = strings(&before["contested"]["edges"], "/node/claim/key");
        keys.sort();
        assert_eq!(keys, ["meeting-initiator-iran", "meeting-initiator-musk"]);
    }

    async fn contested_pages_forward_and_backward_in_the_order_of_the_whole_list(backend: Backend) {
        let app = TestApp::seeded(backend).await;
        let whole = app.data("{ contested(first: 100) { totalCount edges { node { claim { key } } } } }").await;
        let order = strings(&whole["contested"]["edges"], "/node/claim/key");
        assert!(order.len() >= 3, "{order:?}");
        // Two at a time, forward, from the cursors: the same order, nothing twice.
        let forward = "query($after: String) { contested(first: 2, after: $after) {
            totalCount pageInfo { hasNextPage endCursor } edges { node { claim { key } } } } }";
        let mut paged = Vec::new();
        let mut after = Value::Null;
        loop {
            let page = app.data_with(forward, json!({ "after": after })).await["contested"].clone();
            assert_eq!(page["totalCount"], whole["contested"]["totalCount"]);
            paged.extend(strings(&page["edges"], "/node/claim/key"));
            if page["pageInfo"]["hasNextPage"] != true {
                break;
            }
            after = page["pageInfo"]["endCursor"].clone();
        }
        assert_eq!(paged, order);
        // And backward from the end.
        let backward = "query($before: String) { contested(last: 2, before: $before) {
            pageInfo { hasPreviousPage startCursor } edges { node { claim { key } } } } }";
        let mut paged = Vec::new();
        let mut before = Value::Null;
        loop {
            let page = app.data_with(backward, json!({ "before": before })).await["contested"].clone();
            let mut keys = strings(&page["edges"], "/node/claim/key");
            keys.extend(paged);
            paged = keys;
            if page["pageInfo"]["hasPreviousPage"] != true {
                break;
            }
            before = page["pageInfo"]["startCursor"].clone();
        }
        assert_eq!(paged, order);
    }

    async fn the_attribution_chain_of_the_residence_claim_reaches_its_sources(backend: Backend) {
        let app = TestApp::seeded(backend).await;
        let claim = app.id_of("The meeting took place at the ambassador's residence in New York", "Claim").await;
        let data = app
            .data_with(
                r#"query($id: ID!) { attributionChain(claim: $id) {
                    nodes { __typename ... on Claim { key } ... on Report { key } ... on Source { description count } ... on Assertion { stance } }
                    edges { kind direction from { __typename } to { __typename } claim { key } } } }"#,
                json!({ "id": claim }),
            )
            .await;
        let chain = &data["attributionChain"];
        assert_eq!(chain["nodes"][0]["key"], "meeting-location-ambassador-residence");
        let sources: Vec<&Value> = chain["nodes"].as_array().unwrap().iter().filter(|n| n["__typename"] == "Source").collect();
        assert_eq!(sources.len(), 1);
        assert_eq!(sources[0]["description"], "two sources familiar with the meeting");
        assert_eq!(sources[0]["count"], 2);
        let reports = strings(&chain["nodes"], "/key");
        assert!(reports.contains(&"report-2024-11-meeting-at-ambassador-residence".into()), "{reports:?}");
        assert!(reports.contains(&"seed-article-did-elon-musk-meet-iran".into()), "the article relays it: {reports:?}");
        let kinds: Vec<(String, String, String)> = chain["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["from"]["__typename"].as_str().unwrap().into(), e["kind"].as_str().unwrap().into(), e["to"]["__typename"].as_str().unwrap().into()))
            .collect();
        for expected in [("Assertion", "ABOUT", "Claim"), ("Assertion", "MADE_IN", "Report"), ("Assertion", "CITES", "Source"), ("Report", "RELAYS", "Report")] {
            let expected = (expected.0.to_string(), expected.1.to_string(), expected.2.to_string());
            assert!(kinds.contains(&expected), "{expected:?} in {kinds:?}");
        }
        for edge in chain["edges"].as_array().unwrap() {
            assert_eq!(edge["claim"]["key"], "meeting-location-ambassador-residence");
        }

        // The meeting's chain reaches the affiliations of the officials cited.
        let meeting = app.id_of("Musk met Iravani ambassador", "Claim").await;
        let data = app
            .data_with("query($id: ID!) { attributionChain(claim: $id) { nodes { ... on Organization { name } } } }", json!({ "id": meeting }))
            .await;
        let names = strings(&data["attributionChain"]["nodes"], "/name");
        for name in ["United States government", "Government of Iran", "Associated Press", "Ministry of Foreign Affairs of Iran"] {
            assert!(names.contains(&name.to_string()), "{name} in {names:?}");
        }
    }

    async fn entities_share_one_interface(backend: Backend) {
        let app = TestApp::seeded(backend).await;
        let data = app
            .data(r#"{ search(text: "Iran", first: 20) { ... on Entity { __typename name aliases claims(first: 1) { totalCount } mentions { totalCount } } } }"#)
            .await;
        let entities: Vec<&Value> = data["search"].as_array().unwrap().iter().filter(|n| n.get("name").is_some()).collect();
        let kinds: std::collections::BTreeSet<&str> = entities.iter().map(|e| e["__typename"].as_str().unwrap()).collect();
        assert!(kinds.contains("Organization") && kinds.contains("Event"), "{kinds:?}");
        let government = entities.iter().find(|e| e["name"] == "Government of Iran").expect("the government");
        assert_eq!(government["aliases"], json!(["Iran"]));
        assert!(government["mentions"]["totalCount"].as_u64().unwrap() >= 2, "{government}");
        let schema = app
            .data(r#"{ __type(name: "Entity") { kind possibleTypes { name interfaces { name } } } }"#)
            .await;
        assert_eq!(schema["__type"]["kind"], "INTERFACE");
        let possible = schema["__type"]["possibleTypes"].as_array().unwrap();
        assert_eq!(strings(&schema["__type"]["possibleTypes"], "/name"), ["Person", "Organization", "Place", "Event"]);
        for object in possible {
            assert_eq!(strings(&object["interfaces"], "/name"), ["Node", "Entity"], "{object}");
        }
        // The SDL declares `interface Entity implements Node` (introspection in async-graphql
        // lists an interface's own interfaces as null).
        assert!(kg::graphql::sdl().contains("interface Entity implements Node {"));
    }

    async fn analysts_refuse_what_is_not_theirs_to_read(backend: Backend) {
        let app = TestApp::seeded(backend).await;
        let report = app.id_of("Unpacking Secret Diplomacy", "Report").await;
        let errors = app.errors(TIMELINE, json!({ "id": report })).await;
        assert_eq!(errors[0]["extensions"]["code"], "BAD_USER_INPUT");
        let errors = app
            .errors("query($id: ID!) { attributionChain(claim: $id) { nodes { __typename } } }", json!({ "id": report }))
            .await;
        assert_eq!(errors[0]["extensions"]["code"], "BAD_USER_INPUT");
        let errors = app.errors("{ contested(first: 101) { totalCount } }", json!({})).await;
        assert_eq!(errors[0]["extensions"]["code"], "BAD_PAGINATION");
    }
}
