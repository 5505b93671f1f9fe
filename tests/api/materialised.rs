//! Materialised statuses: after any sequence of imports, the status timeline stored on every
//! claim equals the one derived from scratch on the final graph.

use std::collections::BTreeSet;

use kg::domain::materialise::timelines;
use kg::domain::provenance::status_inputs;
use kg::domain::status::derive_status;
use kg::domain::timeline::StatusTimeline;
use kg::model::{Label, NodeId};
use kg::store::ListQuery;
use serde_json::{json, Value};

use crate::harness::{conformance, TestApp};

const IMPORT_MANY: &str =
    r#"mutation($inputs: [ReportInput!]!) { importReports(inputs: $inputs) { createdCount } }"#;

/// SplitMix64: a seeded, reproducible sequence, so a failure can be replayed.
struct Sequence(u64);

impl Sequence {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
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
fn opening(tag: u64) -> Value {
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
fn random_report(seq: &mut Sequence, tag: u64, n: usize) -> Value {
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

async fn all_claims(app: &TestApp) -> Vec<NodeId> {
    let page = app
        .app
        .graph
        .store()
        .list(&ListQuery::of(Label::Claim, 10_000))
        .await
        .unwrap();
    page.records.into_iter().map(|r| r.id).collect()
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
            let claims = all_claims(&app).await;
            let stored = app.app.graph.records(&claims).await.unwrap();
            let derived = timelines(&app.app.graph, &claims).await.unwrap();
            let inputs = status_inputs(&app.app.graph, &claims).await.unwrap();
            assert_eq!(derived.len(), claims.len());
            for expected in derived {
                let stored = stored.get(&expected.id).unwrap();
                let stored_timeline = StatusTimeline::from_props(&stored.props)
                    .unwrap_or_else(|| panic!("{} has no stored timeline (sequence {tag})", expected.id));
                let expected_timeline = StatusTimeline::from_props(&expected.props).unwrap();
                assert_eq!(stored_timeline, expected_timeline, "{} after sequence {tag}", expected.id);
                // The timeline's last entry is the verdict with everything counted.
                let now = derive_status(&inputs[&expected.id], None);
                assert_eq!(stored_timeline.at(None), now.status, "{}: {}", expected.id, now.summary);
                statuses_seen.extend(expected_timeline.entries.iter().map(|(_, s)| *s));
            }
        }
        // The sequences are varied enough to move statuses around, or the test proves little.
        assert!(statuses_seen.len() >= 5, "statuses seen: {statuses_seen:?}");
    }
}
