//! Materialised statuses: after any sequence of imports, the status timeline stored on every
//! claim equals the one derived from scratch on the final graph.

use std::collections::BTreeSet;

use kg::domain::materialise::timelines;
use kg::domain::provenance::status_inputs;
use kg::domain::status::derive_status;
use kg::domain::timeline::StatusTimeline;
use kg::model::record::NodeRecord;
use kg::model::record::StoredNode;
use kg::model::{Entity, Label, NodeId};
use kg::store::WriteBatch;
use serde_json::{json, Value};

use crate::harness::{all_claims, conformance, TestApp};

const IMPORT_MANY: &str =
    r#"mutation($inputs: [ReportInput!]!) { importReports(inputs: $inputs) { createdCount } }"#;

/// SplitMix64: a seeded, reproducible sequence, so a failure can be replayed.
pub(crate) struct Sequence(pub u64);

impl Sequence {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const ORGANISATIONS: [&str; 5] = [
    "associated-press",
    "new-york-times",
    "iran-foreign-ministry",
    "government-of-iran",
    "outlet-x",
];

/// What the first report of a sequence introduces: an outlet, two people and an event, with
/// claims about them.
pub(crate) fn opening(tag: u64) -> Value {
    json!({
        "key": format!("seq-{tag}-opening"),
        "title": "Opening report",
        "kind": "ARTICLE",
        "publisher": "outlet-x",
        "publishedAt": "2024-11-10",
        "entities": [
            { "key": "outlet-x", "type": "ORGANIZATION", "organizationKind": "NEWS_OUTLET", "name": "Outlet X" },
            { "key": "person-a", "type": "PERSON", "name": "Person A" },
            { "key": "person-b", "type": "PERSON", "name": "Person B" },
            { "key": "summit", "type": "EVENT", "name": "A summit" }
        ],
        "claims": [
            { "key": "summit-occurred", "statement": "The summit took place", "subject": "summit", "attribute": "occurred" },
            { "key": "summit-person-a", "statement": "Person A attended the summit", "subject": "summit", "attribute": "participant", "value": { "entity": "person-a" } }
        ],
        "assertions": [
            { "claim": "summit-occurred", "stance": "ASSERTS" },
            { "claim": "summit-person-a", "stance": "ASSERTS" }
        ]
    })
}

/// A random report: a publisher, maybe a date, a source, and a few assertions of random
/// stances about claims of the seed and of the opening, sometimes a new link that changes
/// whose word counts as a principal's.
pub(crate) fn random_report(seq: &mut Sequence, tag: u64, n: usize) -> Value {
    const CLAIMS: [&str; 9] = [
        "meeting-occurred",
        "meeting-participant-musk",
        "meeting-initiator-iran",
        "meeting-initiator-musk",
        "meeting-duration",
        "meeting-location-secret-new-york",
        "meeting-location-ambassador-residence",
        "summit-occurred",
        "summit-person-a",
    ];
    const STANCES: [&str; 7] = [
        "ASSERTS", "ASSERTS", "CONFIRMS", "DENIES", "DISPUTES", "RETRACTS", "ASSERTS",
    ];
    let publisher = seq.pick(&ORGANISATIONS);
    let day = 10 + seq.below(10);
    let published_at = (seq.below(4) > 0).then(|| format!("2024-11-{day:02}"));
    let mut sources = Vec::new();
    let mut cites = Vec::new();
    match seq.below(3) {
        0 => {}
        1 => {
            sources.push(
                json!({ "key": "insider", "description": "a person familiar with the matter",
                "anonymous": true, "affiliation": seq.pick(&ORGANISATIONS) }),
            );
            cites.push("insider");
        }
        _ => {
            let person = seq.pick(&["person-a", "person-b"]);
            sources.push(json!({ "key": "named", "description": person, "anonymous": false, "person": person }));
            cites.push("named");
        }
    }
    let mut claims = Vec::new();
    let mut assertions = Vec::new();
    if seq.below(3) == 0 {
        let key = format!("seq-{tag}-link-{n}");
        let person = seq.pick(&["person-a", "person-b"]);
        let claim = if seq.below(2) == 0 {
            json!({ "key": key, "statement": format!("{person} serves an organisation"), "subject": person,
                "attribute": "position", "value": { "entity": seq.pick(&ORGANISATIONS[2..]) }, "qualifier": "official" })
        } else {
            json!({ "key": key, "statement": format!("{person} took part"), "subject": seq.pick(&["summit", "musk-iravani-meeting-2024-11"]),
                "attribute": "participant", "value": { "entity": person } })
        };
        claims.push(claim);
        assertions.push(json!({ "claim": key, "stance": "ASSERTS" }));
    }
    let mut about = BTreeSet::new();
    for _ in 0..1 + seq.below(3) {
        about.insert(seq.pick(&CLAIMS));
    }
    for claim in about {
        assertions.push(json!({ "claim": claim, "stance": seq.pick(&STANCES), "cites": cites }));
    }
    json!({
        "key": format!("seq-{tag}-report-{n}"),
        "title": format!("Report {n}"),
        "kind": seq.pick(&["ARTICLE", "WIRE_STORY", "OFFICIAL_STATEMENT"]),
        "publisher": publisher,
        "publishedAt": published_at,
        "sources": sources,
        "claims": claims,
        "assertions": assertions
    })
}

async fn claims_of(app: &TestApp) -> Vec<NodeId> {
    all_claims(app.app.graph.store().as_ref()).await
}

conformance! {
    async fn stored_status_timelines_equal_a_derivation_from_scratch_after_random_imports(backend: Backend) {
        let mut statuses_seen = BTreeSet::new();
        for tag in [7_u64, 1_234_567] {
            let app = TestApp::seeded(backend).await;
            let mut seq = Sequence(tag);
            app.data_with(IMPORT_MANY, json!({ "inputs": [opening(tag)] })).await;
            let mut n = 0;
            while n < 24 {
                let batch: Vec<Value> = (0..1 + seq.below(3)).map(|i| random_report(&mut seq, tag, n + i)).collect();
                n += batch.len();
                app.data_with(IMPORT_MANY, json!({ "inputs": batch })).await;
            }
            let claims = claims_of(&app).await;
            let derived = timelines(&app.app.graph, &claims).await.unwrap();
            let ids: Vec<NodeId> = derived.iter().map(|r| r.id.clone()).collect();
            let stored = app.app.graph.records(&ids).await.unwrap();
            let inputs = status_inputs(&app.app.graph, &claims).await.unwrap();
            let derived_claims = derived.iter().filter(|r| r.id.label() == Label::Claim).count();
            assert_eq!(derived_claims, claims.len());
            assert!(derived.len() > claims.len(), "the events are derived too");
            for expected in derived {
                let stored = stored.get(&expected.id).unwrap();
                // Every derived property (statuses of claims and events, events' dates) is
                // stored as a derivation from scratch gives it.
                for (name, value) in &expected.props {
                    assert_eq!(stored.props.get(name), Some(value), "{name} of {} after sequence {tag}", expected.id);
                }
                let stored_timeline = StatusTimeline::from_props(&stored.props)
                    .unwrap_or_else(|| panic!("{} has no stored timeline (sequence {tag})", expected.id));
                statuses_seen.extend(stored_timeline.entries.iter().map(|(_, s)| *s));
                if let Some(inputs) = inputs.get(&expected.id) {
                    // The timeline's last entry is the verdict with everything counted.
                    let now = derive_status(inputs, None);
                    assert_eq!(stored_timeline.at(None), now.status, "{}: {}", expected.id, now.summary);
                }
            }
        }
        // The sequences are varied enough to move statuses around, or the test proves little.
        assert!(statuses_seen.len() >= 5, "statuses seen: {statuses_seen:?}");
    }
}

conformance! {
    async fn statuses_derived_by_another_rule_version_are_rebuilt(backend: Backend) {
        let app = TestApp::seeded(backend).await;
        let importer = &app.app.importer;
        assert_eq!(importer.rebuild_stale_statuses().await.unwrap(), 0, "the seed's statuses are current");
        let claims = claims_of(&app).await;
        // As an older kg would have left them: another rule's word, and a wrong status.
        let stale: Vec<NodeRecord> = claims
            .iter()
            .map(|id| {
                let mut props = serde_json::Map::new();
                props.insert("status_rule".into(), json!("kg-status/0"));
                props.insert("status_timeline".into(), json!(["=RETRACTED"]));
                props.insert("status".into(), json!("RETRACTED"));
                NodeRecord { id: id.clone(), props }
            })
            .collect();
        app.app.graph.store().apply(&WriteBatch { updates: stale, ..WriteBatch::default() }).await.unwrap();
        let retracted = app.data("{ claims(status: RETRACTED) { totalCount } }").await;
        assert_eq!(retracted["claims"]["totalCount"], claims.len());
        assert_eq!(importer.rebuild_stale_statuses().await.unwrap(), claims.len());
        let retracted = app.data("{ claims(status: RETRACTED) { totalCount } }").await;
        assert_eq!(retracted["claims"]["totalCount"], 0);
        let derived = timelines(&app.app.graph, &claims).await.unwrap();
        let stored = app.app.graph.records(&claims).await.unwrap();
        for expected in derived.iter().filter(|r| r.id.label() == Label::Claim) {
            assert_eq!(stored[&expected.id].props.get("status_timeline"), expected.props.get("status_timeline"));
        }

        // A store written before claims carried their support rank gets it, at the current rule.
        let unranked: Vec<NodeRecord> = claims
            .iter()
            .map(|id| NodeRecord { id: id.clone(), props: [("support_rank".to_string(), Value::Null)].into_iter().collect() })
            .collect();
        app.app.graph.store().apply(&WriteBatch { updates: unranked, ..WriteBatch::default() }).await.unwrap();
        assert_eq!(importer.rebuild_stale_statuses().await.unwrap(), claims.len());
        let stored = app.app.graph.records(&claims).await.unwrap();
        for expected in derived.iter().filter(|r| r.id.label() == Label::Claim) {
            assert_eq!(stored[&expected.id].props.get("support_rank"), expected.props.get("support_rank"));
        }
        assert_eq!(importer.rebuild_stale_statuses().await.unwrap(), 0);
    }
}

conformance! {
    async fn a_batchs_updates_reach_the_nodes_it_creates_and_those_already_stored(backend: Backend) {
        let app = TestApp::empty(backend).await;
        let store = app.app.graph.store();
        let record = |key: &str, props: Value| NodeRecord {
            id: NodeId::new(Label::Person, key),
            props: props.as_object().cloned().unwrap_or_default(),
        };
        // A person as the importer writes one, with properties of the test's own.
        let person = |key: &str, name: &str| {
            let id = NodeId::new(Label::Person, key);
            let entity = Entity { id, name: name.into(), aliases: Vec::new(), description: None, organization_kind: None };
            let mut given = entity.to_record();
            given.patch(&record(key, json!({ "note": "given", "gone": "yes" })).props);
            given
        };
        let stored = person("stored", "Stored");
        store.apply(&WriteBatch { nodes: vec![stored.clone().into()], ..WriteBatch::default() }).await.unwrap();

        // A store may write a created node's updates with it; the outcome must not show it.
        let created = person("created", "Created");
        let batch = WriteBatch {
            nodes: vec![created.clone().into(), stored.clone().into()],
            updates: vec![
                record("created", json!({ "note": "derived", "gone": null })),
                record("created", json!({ "extra": 1 })),
                record("stored", json!({ "note": "derived", "gone": null })),
            ],
            ..WriteBatch::default()
        };
        let outcome = store.apply(&batch).await.unwrap();
        assert_eq!(outcome.created, vec![created.id.clone()]);
        assert_eq!(outcome.existing, vec![stored.id.clone()]);

        let read = app.app.graph.records(&[created.id.clone(), stored.id.clone()]).await.unwrap();
        let props = |id: &NodeId| {
            let props = &read[id].props;
            ["name", "note", "gone", "extra"].map(|name| props.get(name).cloned().unwrap_or(Value::Null))
        };
        assert_eq!(props(&created.id), [json!("Created"), json!("derived"), Value::Null, json!(1)]);
        assert_eq!(props(&stored.id), [json!("Stored"), json!("derived"), Value::Null, Value::Null]);
        // Search still finds the node by the name it was given.
        let found = app.data(r#"{ search(text: "Created") { ... on Person { name } } }"#).await;
        assert_eq!(found["search"][0]["name"], "Created");
    }
}
