//! Analysts' walks: shortest paths, k shortest paths and neighbourhoods, every edge resting
//! on a claim, filtered by attribute, status and day, bounded, and the same on every store.

use serde_json::{json, Value};

use crate::harness::{conformance, strings, KgProcess, TestApp};

const PATH: &str = "length nodes { __typename ... on Entity { key name } }
    edges { kind evidence direction from { ... on Entity { key } } to { ... on Entity { key } }
            claim { key status statusExplanation { summary } } }";

const SHORTEST: &str = r#"query($from: ID!, $to: ID!, $through: [PathThrough!], $min: ClaimStatus, $asOf: Date, $attributes: [String!], $maxHops: Int) {
    shortestPath(from: $from, to: $to, through: $through, minStatus: $min, asOf: $asOf, attributes: $attributes, maxHops: $maxHops) { PATH } }"#;

const PATHS: &str = r#"query($from: ID!, $to: ID!, $first: Int, $through: [PathThrough!]) {
    paths(from: $from, to: $to, first: $first, through: $through) { PATH } }"#;

const NEIGHBORHOOD: &str = r#"query($id: ID!, $depth: Int, $first: Int, $through: [PathThrough!], $min: ClaimStatus) {
    neighborhood(id: $id, depth: $depth, first: $first, through: $through, minStatus: $min) {
        truncated nodes { ... on Entity { key } }
        edges { kind from { ... on Entity { key } } to { ... on Entity { key } } claim { key } } } }"#;

fn query(text: &str) -> String {
    text.replace("PATH", PATH)
}

async fn ids(app: &TestApp) -> (String, String) {
    (
        app.id_of("Elon Musk", "Person").await,
        app.id_of("Ministry of Foreign Affairs of Iran", "Organization")
            .await,
    )
}

/// The path as `key -[kind:claim]-> key ...`, to compare whole paths at once.
fn spelled(path: &Value) -> String {
    let keys = strings(&path["nodes"], "/key");
    let mut text = keys[0].clone();
    for (edge, key) in path["edges"].as_array().unwrap().iter().zip(&keys[1..]) {
        text.push_str(&format!(
            " -[{}:{}]- {key}",
            edge["kind"].as_str().unwrap(),
            edge["claim"]["key"].as_str().unwrap()
        ));
    }
    text
}

conformance! {
    async fn the_shortest_path_from_musk_to_irans_foreign_ministry_names_each_claim(backend: Backend) {
        let app = TestApp::seeded(backend).await;
        let (musk, ministry) = ids(&app).await;
        let data = app.data_with(&query(SHORTEST), json!({ "from": musk, "to": ministry })).await;
        let path = &data["shortestPath"];
        assert_eq!(
            spelled(path),
            "elon-musk -[initiator:meeting-initiator-musk]- musk-iravani-meeting-2024-11 \
             -[initiator:meeting-initiator-iran]- government-of-iran \
             -[partOf:iran-foreign-ministry-part-of-government]- iran-foreign-ministry"
        );
        assert_eq!(path["length"], 3);
        for edge in path["edges"].as_array().unwrap() {
            assert_eq!(edge["evidence"], false);
            assert!(edge["claim"]["status"].is_string(), "{edge}");
            assert!(edge["claim"]["statusExplanation"]["summary"].as_str().unwrap().contains("kg-status/2"));
        }
        // A claim edge reads from subject to value, whichever way the path walks it.
        let first = &path["edges"][0];
        assert_eq!((first["from"]["key"].as_str(), first["to"]["key"].as_str()), (Some("musk-iravani-meeting-2024-11"), Some("elon-musk")));
        assert_eq!(first["direction"], "BACKWARD");
        assert_eq!(path["edges"][1]["direction"], "FORWARD");
    }

    async fn with_evidence_edges_the_path_shows_the_ministrys_denial(backend: Backend) {
        let app = TestApp::seeded(backend).await;
        let (musk, ministry) = ids(&app).await;
        let data = app
            .data_with(&query(SHORTEST), json!({ "from": musk, "to": ministry, "through": ["CLAIMS", "EVIDENCE"] }))
            .await;
        let path = &data["shortestPath"];
        assert_eq!(path["length"], 2);
        let denial = &path["edges"][1];
        assert_eq!(denial["kind"], "DENIES");
        assert_eq!(denial["evidence"], true);
        assert_eq!(denial["from"]["key"], "iran-foreign-ministry");
        assert_eq!(denial["to"]["key"], "musk-iravani-meeting-2024-11");
        assert_eq!(denial["direction"], "BACKWARD");
        assert_eq!(denial["claim"]["key"], "meeting-occurred");
        assert_eq!(denial["claim"]["status"], "DISPUTED");

        // Evidence alone links Musk to the Iranian government: its officials, cited by the
        // Times, said he took part.
        let government = app.id_of("Government of Iran", "Organization").await;
        let data = app
            .data_with(&query(SHORTEST), json!({ "from": musk, "to": government, "through": ["EVIDENCE"] }))
            .await;
        assert_eq!(spelled(&data["shortestPath"]), "elon-musk -[ASSERTS:meeting-participant-musk]- government-of-iran");
    }

    async fn paths_resting_only_on_well_supported_claims_or_none(backend: Backend) {
        let app = TestApp::seeded(backend).await;
        let (musk, ministry) = ids(&app).await;
        let rank = |status: &str| match status {
            "CONFIRMED" => 5,
            "CORROBORATED" => 4,
            "REPORTED" => 3,
            "DISPUTED" => 2,
            "DENIED" => 1,
            _ => 0,
        };
        for (min, as_of) in [("CORROBORATED", None), ("REPORTED", None), ("DISPUTED", None), ("CORROBORATED", Some("2024-11-16")), ("DENIED", Some("2024-11-16"))] {
            let statuses = app
                .data_with("query($d: Date) { claims(first: 100) { edges { node { key status(asOf: $d) } } } }", json!({ "d": as_of }))
                .await;
            let status_of = |key: &str| -> String {
                statuses["claims"]["edges"].as_array().unwrap().iter().map(|e| &e["node"])
                    .find(|c| c["key"] == key).unwrap()["status"].as_str().unwrap().to_string()
            };
            let data = app
                .data_with(
                    &query(SHORTEST),
                    json!({ "from": musk, "to": ministry, "through": ["CLAIMS", "EVIDENCE"], "min": min, "asOf": as_of }),
                )
                .await;
            let path = &data["shortestPath"];
            for edge in path["edges"].as_array().into_iter().flatten() {
                let status = status_of(edge["claim"]["key"].as_str().unwrap());
                assert!(rank(&status) >= rank(min), "{status} under {min} as of {as_of:?}: {path:#}");
            }
        }
        // The seed's meeting claims are all disputed or denied now, so nothing corroborated
        // links Musk to the ministry; the day before the denial, nothing does either, as the
        // ministry's part-of link is only reported.
        let strict = app
            .data_with(&query(SHORTEST), json!({ "from": musk, "to": ministry, "min": "CORROBORATED" }))
            .await;
        assert!(strict["shortestPath"].is_null(), "{strict:#}");
        let reported = app
            .data_with(&query(SHORTEST), json!({ "from": musk, "to": ministry, "min": "DENIED" }))
            .await;
        assert_eq!(reported["shortestPath"]["length"], 3);
        let disputed_only = app
            .data_with(&query(SHORTEST), json!({ "from": musk, "to": ministry, "min": "DISPUTED" }))
            .await;
        // Without the denied initiator claims, the way runs through Iravani's mission.
        assert_eq!(
            spelled(&disputed_only["shortestPath"]),
            "elon-musk -[participant:meeting-participant-musk]- musk-iravani-meeting-2024-11 \
             -[participant:meeting-participant-iravani]- amir-saeid-iravani \
             -[position:iravani-position-un-ambassador]- iran-un-mission \
             -[partOf:iran-un-mission-part-of-foreign-ministry]- iran-foreign-ministry"
        );
    }

    async fn the_k_shortest_paths_come_shortest_first_in_one_order(backend: Backend) {
        let app = TestApp::seeded(backend).await;
        let (musk, ministry) = ids(&app).await;
        let data = app
            .data_with(&query(PATHS), json!({ "from": musk, "to": ministry, "first": 6, "through": ["CLAIMS", "EVIDENCE"] }))
            .await;
        let spelled: Vec<String> = data["paths"].as_array().unwrap().iter().map(spelled).collect();
        assert_eq!(
            spelled,
            [
                "elon-musk -[initiator:meeting-initiator-musk]- musk-iravani-meeting-2024-11 -[DENIES:meeting-occurred]- iran-foreign-ministry",
                "elon-musk -[initiator:meeting-initiator-musk]- musk-iravani-meeting-2024-11 -[ASSERTS:meeting-topic-sanctions-and-business]- iran-foreign-ministry",
                "elon-musk -[participant:meeting-participant-musk]- musk-iravani-meeting-2024-11 -[DENIES:meeting-occurred]- iran-foreign-ministry",
                "elon-musk -[participant:meeting-participant-musk]- musk-iravani-meeting-2024-11 -[ASSERTS:meeting-topic-sanctions-and-business]- iran-foreign-ministry",
                "elon-musk -[ASSERTS:meeting-participant-musk]- government-of-iran -[partOf:iran-foreign-ministry-part-of-government]- iran-foreign-ministry",
                "elon-musk -[initiator:meeting-initiator-musk]- musk-iravani-meeting-2024-11 -[initiator:meeting-initiator-iran]- government-of-iran -[partOf:iran-foreign-ministry-part-of-government]- iran-foreign-ministry",
            ]
        );
    }

    async fn the_neighborhood_of_iravani_two_hops_out(backend: Backend) {
        let app = TestApp::seeded(backend).await;
        let iravani = app.id_of("Iravani", "Person").await;
        let one = app.data_with(NEIGHBORHOOD, json!({ "id": iravani })).await["neighborhood"].clone();
        assert_eq!(strings(&one["nodes"], "/key"), ["amir-saeid-iravani", "iran-un-mission", "musk-iravani-meeting-2024-11"]);
        assert_eq!(one["truncated"], false);
        let kinds: Vec<(String, String, String)> = one["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["from"]["key"].as_str().unwrap().into(), e["kind"].as_str().unwrap().into(), e["to"]["key"].as_str().unwrap().into()))
            .collect();
        assert!(kinds.contains(&("amir-saeid-iravani".into(), "position".into(), "iran-un-mission".into())), "{kinds:?}");
        assert!(kinds.contains(&("musk-iravani-meeting-2024-11".into(), "participant".into(), "amir-saeid-iravani".into())), "{kinds:?}");

        let two = app.data_with(NEIGHBORHOOD, json!({ "id": iravani, "depth": 2 })).await["neighborhood"].clone();
        let keys = strings(&two["nodes"], "/key");
        assert_eq!(keys[..3], ["amir-saeid-iravani", "iran-un-mission", "musk-iravani-meeting-2024-11"]);
        for reached in ["elon-musk", "government-of-iran", "iran-foreign-ministry", "new-york-city", "iran-un-ambassador-residence", "musk-made-joint-head-of-cost-cutting-department"] {
            assert!(keys.contains(&reached.to_string()), "{reached} in {keys:?}");
        }
        // Every edge joins two of the nodes, and each edge appears once.
        let edges = two["edges"].as_array().unwrap();
        for edge in edges {
            assert!(keys.contains(&edge["from"]["key"].as_str().unwrap().to_string()) && keys.contains(&edge["to"]["key"].as_str().unwrap().to_string()), "{edge}");
        }
        let mut unique: Vec<String> = edges.iter().map(|e| e.to_string()).collect();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), edges.len());
        // Edges between two outermost nodes are drawn too (Musk took part in his appointment).
        assert!(edges.iter().any(|e| e["from"]["key"] == "musk-made-joint-head-of-cost-cutting-department" && e["to"]["key"] == "elon-musk"), "{edges:#?}");

        let cut = app.data_with(NEIGHBORHOOD, json!({ "id": iravani, "depth": 2, "first": 4 })).await["neighborhood"].clone();
        assert_eq!(cut["truncated"], true);
        assert_eq!(strings(&cut["nodes"], "/key"), keys[..4]);

        let supported = app.data_with(NEIGHBORHOOD, json!({ "id": iravani, "depth": 2, "min": "CORROBORATED" })).await;
        assert_eq!(strings(&supported["neighborhood"]["nodes"], "/key"), ["amir-saeid-iravani"]);
    }

    async fn walks_over_a_bound_are_refused_before_they_run(backend: Backend) {
        let app = TestApp::seeded(backend).await;
        let (musk, ministry) = ids(&app).await;
        app.calls.reset();
        for (text, variables, bound, limit) in [
            (query(SHORTEST), json!({ "from": musk, "to": ministry, "maxHops": 7 }), "maxHops", 6),
            (query(PATHS), json!({ "from": musk, "to": ministry, "first": 11 }), "paths", 10),
            (NEIGHBORHOOD.to_string(), json!({ "id": musk, "depth": 4 }), "depth", 3),
            (NEIGHBORHOOD.to_string(), json!({ "id": musk, "first": 501 }), "nodes", 500),
        ] {
            let errors = app.errors(&text, variables).await;
            assert_eq!(errors.len(), 1, "{errors:#?}");
            assert_eq!(errors[0]["extensions"]["code"], "LIMIT_EXCEEDED");
            assert_eq!(errors[0]["extensions"]["bound"], bound);
            assert_eq!(errors[0]["extensions"]["limit"], limit);
        }
        assert_eq!(app.calls.calls(), 0, "refused before any store call");

        let report = app.id_of("Unpacking Secret Diplomacy", "Report").await;
        for (variables, needle) in [
            (json!({ "from": musk, "to": report }), "must be an entity"),
            (json!({ "from": musk, "to": musk }), "the same entity"),
            (json!({ "from": musk, "to": ministry, "through": [] }), "through"),
            (json!({ "from": musk, "to": ministry, "attributes": ["favouriteColour"] }), "attribute catalogue"),
            (json!({ "from": musk, "to": ministry, "maxHops": 0 }), "at least 1"),
        ] {
            let errors = app.errors(&query(SHORTEST), variables).await;
            assert_eq!(errors[0]["extensions"]["code"], "BAD_USER_INPUT", "{errors:#?}");
            assert!(errors[0]["message"].as_str().unwrap().contains(needle), "{errors:#?}");
        }
    }

    async fn paths_and_the_records_they_show_cost_one_store_call(backend: Backend) {
        let app = TestApp::seeded(backend).await;
        let (musk, ministry) = ids(&app).await;
        app.calls.reset();
        let bolt_before = app.bolt_queries();
        let answer = app.data_with("query($from: ID!, $to: ID!) { paths(from: $from, to: $to, first: 10, through: [CLAIMS, EVIDENCE]) { nodes { ... on Entity { name } } edges { kind claim { statement status } } } }", json!({ "from": musk, "to": ministry })).await;
        assert_eq!(app.calls.calls(), 1, "the paths bring the records they show");
        if let Some(after) = app.bolt_queries() {
            assert_eq!(after - bolt_before.unwrap(), 1, "Bolt queries");
        }
        let paths = answer["paths"].as_array().unwrap();
        assert!(paths.len() > 1, "{answer:#}");
        for path in paths {
            for node in path["nodes"].as_array().unwrap() {
                assert!(node["name"].as_str().is_some_and(|n| !n.is_empty()), "{node}");
            }
            for edge in path["edges"].as_array().unwrap() {
                assert!(edge["claim"]["statement"].is_string() && edge["claim"]["status"].is_string(), "{edge}");
            }
        }
    }

    async fn a_neighbourhood_and_the_records_it_shows_cost_one_store_call(backend: Backend) {
        let app = TestApp::seeded(backend).await;
        let iravani = app.id_of("Iravani", "Person").await;
        for first in [500, 4] {
            app.calls.reset();
            let bolt_before = app.bolt_queries();
            let answer = app
                .data_with(
                    "query($id: ID!, $first: Int) { neighborhood(id: $id, depth: 2, first: $first, through: [CLAIMS, EVIDENCE]) {
                        nodes { ... on Entity { key name } }
                        edges { kind from { ... on Entity { name } } to { ... on Entity { name } } claim { key statement status } } } }",
                    json!({ "id": iravani, "first": first }),
                )
                .await;
            assert_eq!(app.calls.calls(), 1, "the walk brings the records it shows");
            if let Some(after) = app.bolt_queries() {
                assert_eq!(after - bolt_before.unwrap(), 1, "Bolt queries");
            }
            let neighbourhood = &answer["neighborhood"];
            let nodes = neighbourhood["nodes"].as_array().unwrap();
            // The seed has more than four entities within two hops of Iravani.
            assert_eq!(nodes.len() == 4, first == 4, "{neighbourhood:#}");
            for node in nodes {
                assert!(node["name"].as_str().is_some_and(|n| !n.is_empty()), "{node}");
            }
            let edges = neighbourhood["edges"].as_array().unwrap();
            assert!(!edges.is_empty());
            for edge in edges {
                assert!(!edge["kind"].as_str().unwrap().is_empty(), "{edge}");
                assert!(edge["from"]["name"].is_string() && edge["to"]["name"].is_string(), "{edge}");
                assert!(edge["claim"]["statement"].is_string() && edge["claim"]["status"].is_string(), "{edge}");
            }
        }
    }
}

#[tokio::test]
async fn the_bounds_are_set_when_the_server_starts() {
    let data = tempfile::tempdir().unwrap();
    let server = KgProcess::start(
        &[
            "--data-dir",
            data.path().to_str().unwrap(),
            "--max-path-hops",
            "2",
            "--max-walk-nodes",
            "5",
        ],
        &[],
    );
    let found = server
        .post(
            "{ search(text: \"Elon Musk\", first: 1) { ... on Node { id } } }",
            Value::Null,
        )
        .await;
    let musk = found["data"]["search"][0]["id"].clone();
    let answer = server
        .post(
            "query($id: ID!) { shortestPath(from: $id, to: $id, maxHops: 3) { length } }",
            json!({ "id": musk }),
        )
        .await;
    assert_eq!(
        answer["errors"][0]["extensions"]["code"], "LIMIT_EXCEEDED",
        "{answer:#}"
    );
    assert_eq!(answer["errors"][0]["extensions"]["limit"], 2);
    let answer = server
        .post(
            "query($id: ID!) { neighborhood(id: $id, first: 6) { truncated } }",
            json!({ "id": musk }),
        )
        .await;
    assert_eq!(
        answer["errors"][0]["extensions"]["bound"], "nodes",
        "{answer:#}"
    );
    let answer = server
        .post("query($id: ID!) { neighborhood(id: $id, depth: 2) { truncated nodes { __typename } } }", json!({ "id": musk }))
        .await;
    assert_eq!(
        answer["data"]["neighborhood"]["truncated"], true,
        "{answer:#}"
    );
    assert_eq!(
        answer["data"]["neighborhood"]["nodes"]
            .as_array()
            .unwrap()
            .len(),
        5
    );
}

/// A generated graph: people linked by `partner` claims, each asserted by one outlet or by
/// two (so corroborated), with the claims as (key, subject, value, corroborated).
struct Generated {
    claims: Vec<(String, String, String, bool)>,
}

impl Generated {
    fn new(people: usize, links: usize) -> Self {
        // A fixed linear congruential sequence: the same graph on every run and store.
        let mut state: u64 = 20_241_117;
        let mut next = move |n: usize| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ((state >> 33) as usize) % n
        };
        let mut claims = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        while claims.len() < links {
            let (a, b) = (next(people), next(people));
            if a == b || !seen.insert((a.min(b), a.max(b))) {
                continue;
            }
            let key = format!("link-{:02}", claims.len());
            claims.push((key, format!("p{a:02}"), format!("p{b:02}"), next(3) == 0));
        }
        Self { claims }
    }

    fn reports(&self, people: usize) -> Vec<Value> {
        let entities: Vec<Value> = (0..people)
            .map(|i| json!({ "key": format!("p{i:02}"), "type": "PERSON", "name": format!("Generated person {i:02}") }))
            .chain((0..2).map(|o| json!({ "key": format!("outlet-{o}"), "type": "ORGANIZATION", "organizationKind": "NEWS_OUTLET", "name": format!("Outlet {o}") })))
            .collect();
        let claims: Vec<Value> = self
            .claims
            .iter()
            .map(|(key, a, b, _)| json!({ "key": key, "statement": format!("{a} and {b} were partners"), "subject": a, "attribute": "partner", "value": { "entity": b } }))
            .collect();
        let first = json!({
            "key": "generated-0", "title": "Generated report 0", "kind": "ARTICLE", "publisher": "outlet-0",
            "entities": entities, "claims": claims,
            "assertions": self.claims.iter().map(|(key, ..)| json!({ "claim": key, "stance": "ASSERTS" })).collect::<Vec<_>>()
        });
        let second = json!({
            "key": "generated-1", "title": "Generated report 1", "kind": "ARTICLE", "publisher": "outlet-1",
            "assertions": self.claims.iter().filter(|c| c.3).map(|(key, ..)| json!({ "claim": key, "stance": "ASSERTS" })).collect::<Vec<_>>()
        });
        vec![first, second]
    }

    /// Every simple path from `from` to `to` of at most `max` hops, in the order the API
    /// promises, each spelled as its entity keys and claim keys alternating.
    fn paths(&self, from: &str, to: &str, max: usize, corroborated_only: bool) -> Vec<Vec<String>> {
        let mut found: Vec<(Vec<String>, Vec<String>, Vec<&str>)> = Vec::new();
        let mut stack = vec![(
            vec![from.to_string()],
            Vec::<String>::new(),
            Vec::<&str>::new(),
        )];
        while let Some((entities, claims, types)) = stack.pop() {
            let at = entities.last().unwrap().clone();
            if at == to {
                let mut ids = vec![format!("Person:{}", entities[0])];
                for (claim, entity) in claims.iter().zip(&entities[1..]) {
                    ids.push(format!("Claim:{claim}"));
                    ids.push(format!("Person:{entity}"));
                }
                found.push((ids, claims.clone(), types.clone()));
                continue;
            }
            if claims.len() == max {
                continue;
            }
            for (key, a, b, corroborated) in &self.claims {
                if corroborated_only && !corroborated || claims.contains(key) {
                    continue;
                }
                let (next, links) = if *a == at {
                    (b, ["SUBJECT", "VALUE"])
                } else if *b == at {
                    (a, ["VALUE", "SUBJECT"])
                } else {
                    continue;
                };
                if entities.contains(next) {
                    continue;
                }
                let mut entities = entities.clone();
                entities.push(next.clone());
                let mut claims = claims.clone();
                claims.push(key.clone());
                let mut types = types.clone();
                types.extend(links);
                stack.push((entities, claims, types));
            }
        }
        found.sort_by(|x, y| {
            x.0.len()
                .cmp(&y.0.len())
                .then_with(|| x.0.cmp(&y.0))
                .then_with(|| x.2.cmp(&y.2))
        });
        found
            .into_iter()
            .map(|(ids, ..)| {
                ids.into_iter()
                    .map(|id| id.split_once(':').unwrap().1.to_string())
                    .collect()
            })
            .collect()
    }

    /// The first `first` keys within `depth` hops of `centre`, nearest first then by key,
    /// and the claims between them.
    fn neighbourhood(
        &self,
        centre: &str,
        depth: usize,
        first: usize,
    ) -> (Vec<String>, Vec<String>) {
        let mut distance = std::collections::BTreeMap::from([(centre.to_string(), 0)]);
        for level in 0..depth {
            let frontier: Vec<String> = distance
                .iter()
                .filter(|(_, d)| **d == level)
                .map(|(k, _)| k.clone())
                .collect();
            for (_, a, b, _) in &self.claims {
                for (here, there) in [(a, b), (b, a)] {
                    if frontier.contains(here) && !distance.contains_key(there) {
                        distance.insert(there.clone(), level + 1);
                    }
                }
            }
        }
        let mut nodes: Vec<(usize, String)> =
            distance.iter().map(|(k, d)| (*d, k.clone())).collect();
        nodes.sort();
        let keys: Vec<String> = nodes.into_iter().take(first).map(|(_, k)| k).collect();
        let mut claims: Vec<String> = self
            .claims
            .iter()
            .filter(|(_, a, b, _)| keys.contains(a) && keys.contains(b))
            .map(|(key, ..)| key.clone())
            .collect();
        claims.sort();
        (keys, claims)
    }
}

conformance! {
    async fn on_a_generated_graph_walks_match_an_exhaustive_search(backend: Backend) {
        let app = TestApp::empty(backend).await;
        let (people, generated) = (14, Generated::new(14, 26));
        app.data_with(
            "mutation($inputs: [ReportInput!]!) { importReports(inputs: $inputs) { createdCount } }",
            json!({ "inputs": generated.reports(people) }),
        )
        .await;
        let mut ids = std::collections::HashMap::new();
        for i in 0..people {
            let key = format!("p{i:02}");
            ids.insert(key, app.id_of(&format!("Generated person {i:02}"), "Person").await);
        }
        let id = |key: &str| ids[key].clone();
        let spell = |path: &Value| -> Vec<String> {
            let keys = strings(&path["nodes"], "/key");
            let claims = strings(&path["edges"], "/claim/key");
            let mut spelled = vec![keys[0].clone()];
            for (claim, key) in claims.iter().zip(&keys[1..]) {
                spelled.push(claim.clone());
                spelled.push(key.clone());
            }
            spelled
        };
        let mut compared = 0;
        for (from, to) in [("p00", "p07"), ("p03", "p11"), ("p05", "p13"), ("p01", "p02")] {
            for (min, corroborated_only) in [(None, false), (Some("CORROBORATED"), true)] {
                let expected: Vec<Vec<String>> = generated.paths(from, to, 4, corroborated_only).into_iter().take(10).collect();
                let data = app
                    .data_with(
                        "query($from: ID!, $to: ID!, $min: ClaimStatus) { paths(from: $from, to: $to, first: 10, maxHops: 4, minStatus: $min) { nodes { ... on Entity { key } } edges { claim { key } } } }",
                        json!({ "from": id(from), "to": id(to), "min": min }),
                    )
                    .await;
                let found: Vec<Vec<String>> = data["paths"].as_array().unwrap().iter().map(spell).collect();
                assert_eq!(found, expected, "{from} to {to}, at least {min:?}");
                compared += found.len();
            }
        }
        assert!(compared > 20, "the generated graph has paths to compare: {compared}");

        // Small `first`s cut a level in its middle, so the walk stops widening early.
        for (centre, depth, first) in [("p00", 1, 500), ("p04", 2, 500), ("p04", 3, 2), ("p07", 3, 4), ("p07", 3, 9), ("p02", 3, 12)] {
            let (keys, claims) = generated.neighbourhood(centre, depth, first);
            let data = app
                .data_with(
                    "query($id: ID!, $depth: Int, $first: Int) { neighborhood(id: $id, depth: $depth, first: $first) { truncated nodes { ... on Entity { key } } edges { claim { key } } } }",
                    json!({ "id": id(centre), "depth": depth, "first": first }),
                )
                .await;
            assert_eq!(strings(&data["neighborhood"]["nodes"], "/key"), keys, "around {centre}, first {first}");
            let reachable = generated.neighbourhood(centre, depth, usize::MAX).0.len();
            assert_eq!(data["neighborhood"]["truncated"], reachable > first, "around {centre}, first {first}");
            let mut found = strings(&data["neighborhood"]["edges"], "/claim/key");
            found.sort();
            assert_eq!(found, claims, "around {centre}, first {first}");
        }
    }
}
