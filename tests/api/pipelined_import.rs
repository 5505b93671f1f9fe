//! `kg import` writes one batch while it derives the next on the graph as the first will
//! leave it: the store must end as the batches would leave it one after the other, and a
//! batch another writer overtakes must be imported again, not written on a stale view.

use std::collections::{BTreeMap, BTreeSet};

use kg::import::{PartialOutcome, PathSegment, Pipeline, ReportInput};
use kg::model::record::Props;
use kg::model::{Label, RelType};
use kg::store::{Direction, ListQuery};
use serde_json::{json, Value};

use crate::harness::{conformance, TestApp};
use crate::materialised::{opening, random_report, Sequence};

const BASE: [PathSegment; 1] = [PathSegment::Field("line")];

/// Every node's properties and every edge, through the store contract.
async fn contents(app: &TestApp) -> (BTreeMap<String, Props>, BTreeSet<(String, RelType, String)>) {
    let store = app.app.graph.store();
    let mut nodes = BTreeMap::new();
    for label in Label::ALL {
        let page = store
            .list(&ListQuery::of(label, 10_000))
            .await
            .expect("a listing");
        for record in page.records {
            nodes.insert(record.id.to_string(), record.props.clone());
        }
    }
    let ids: Vec<_> = nodes
        .keys()
        .filter_map(|id| kg::model::NodeId::parse(id))
        .collect();
    let mut edges = BTreeSet::new();
    for rel in RelType::ALL {
        for edge in store.edges(&ids, rel, Direction::Out).await.expect("edges") {
            edges.insert((edge.from.to_string(), edge.rel, edge.to.to_string()));
        }
    }
    (nodes, edges)
}

fn inputs(values: Vec<Value>) -> Vec<ReportInput> {
    values
        .into_iter()
        .map(|value| serde_json::from_value(value).expect("a report input"))
        .collect()
}

/// Batches of random reports about the same claims, so that each batch's statuses depend
/// on the evidence of the batches before it; one batch holds a report that names a claim
/// nobody introduced, and one that needs it.
fn batches(tag: u64) -> Vec<Vec<ReportInput>> {
    let mut seq = Sequence(tag);
    let mut batches = vec![inputs(vec![opening(tag)])];
    let mut n = 0;
    while n < 30 {
        let batch: Vec<Value> = (0..1 + seq.below(4))
            .map(|i| random_report(&mut seq, tag, n + i))
            .collect();
        n += batch.len();
        batches.push(inputs(batch));
    }
    let orphan = json!({
        "key": format!("seq-{tag}-orphan"), "title": "Orphan", "kind": "ARTICLE",
        "publisher": "outlet-x",
        "assertions": [{ "claim": "no-such-claim", "stance": "ASSERTS" }]
    });
    batches.push(inputs(vec![random_report(&mut seq, tag, 99), orphan]));
    batches
}

/// What an outcome says, without the order nodes were reported in.
fn summary(outcome: &PartialOutcome) -> (usize, usize, Vec<usize>, Vec<usize>) {
    (
        outcome.applied.created.len(),
        outcome.applied.existing.len(),
        outcome.accepted.clone(),
        outcome.rejected.keys().copied().collect(),
    )
}

conformance! {
    async fn a_pipelined_import_leaves_the_store_as_one_batch_after_another(backend: Backend) {
        let batches = batches(11);
        let plain = TestApp::seeded(backend).await;
        let mut plain_outcomes = Vec::new();
        for batch in &batches {
            let outcome = plain.app.importer.import_valid(batch, &BASE).await.expect("imported");
            plain_outcomes.push(summary(&outcome));
        }

        let piped = TestApp::seeded(backend).await;
        let pipeline = Pipeline::new(piped.app.importer.clone());
        let mut piped_outcomes = Vec::new();
        for batch in &batches {
            let finished = pipeline.send(batch.clone(), &BASE).await.expect("sent");
            piped_outcomes.extend(finished.as_ref().map(summary));
        }
        piped_outcomes.extend(pipeline.finish().await.expect("finished").as_ref().map(summary));

        assert_eq!(piped_outcomes, plain_outcomes, "each batch's outcome, in order");
        let rejected = plain_outcomes.last().map(|o| o.3.clone());
        assert_eq!(rejected, Some(vec![1]), "the orphan report is refused");
        let (piped_nodes, piped_edges) = contents(&piped).await;
        let (plain_nodes, plain_edges) = contents(&plain).await;
        assert!(piped_nodes.len() > 50, "{} nodes", piped_nodes.len());
        for (id, props) in &plain_nodes {
            assert_eq!(piped_nodes.get(id), Some(props), "{id}: the same properties, statuses included");
        }
        assert_eq!(piped_nodes.len(), plain_nodes.len());
        assert_eq!(piped_edges, plain_edges);
    }
}

/// A report by `publisher` taking `stance` on the seed's meeting.
fn on_the_meeting(key: &str, publisher: &str, stance: &str, day: u32) -> Value {
    json!({
        "key": key, "title": key, "kind": "ARTICLE", "publisher": publisher,
        "publishedAt": format!("2024-11-{day:02}"),
        "assertions": [{ "claim": "meeting-occurred", "stance": stance }]
    })
}

conformance! {
    async fn a_batch_another_writer_overtakes_is_imported_again(backend: Backend) {
        let tag = 23;
        let app = TestApp::seeded(backend).await;
        let store = app.app.graph.store().clone();
        let pipeline = Pipeline::new(app.app.importer.clone());
        let before = store.import_version().await.expect("a version");
        let first = inputs(vec![opening(tag), on_the_meeting("first", "outlet-x", "ASSERTS", 18)]);
        assert!(pipeline.send(first, &BASE).await.expect("sent").is_none());
        // The first batch commits; then another writer commits before the second batch is
        // written. The second expects the version the first left, which the other writer
        // took: its write is refused as stale, and it is imported again the plain way.
        for _ in 0..500 {
            if store.import_version().await.expect("a version") > before {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert_eq!(store.import_version().await.expect("a version"), before + 1, "the first batch committed");
        let other = inputs(vec![on_the_meeting("overtaking", "associated-press", "RETRACTS", 20)]);
        app.app.importer.import(&other, &BASE, true).await.expect("the other writer imports");
        let second = inputs(vec![on_the_meeting("second", "outlet-x", "DISPUTES", 21)]);
        let first_outcome = pipeline.send(second, &BASE).await.expect("sent").expect("the first batch's outcome");
        assert_eq!(first_outcome.accepted, vec![0, 1]);
        let second_outcome = pipeline.finish().await.expect("finished").expect("the second batch's outcome");
        assert_eq!(second_outcome.accepted, vec![0]);
        assert_eq!(second_outcome.applied.created.iter().filter(|id| id.label() == Label::Report).count(), 1);

        // Stored statuses are what a derivation from scratch gives on the final graph.
        let claims = crate::harness::all_claims(store.as_ref()).await;
        let derived = kg::domain::materialise::timelines(&app.app.graph, &claims).await.expect("derived");
        let ids: Vec<_> = derived.iter().map(|r| r.id.clone()).collect();
        let stored = app.app.graph.records(&ids).await.expect("read");
        for expected in derived {
            let stored = &stored[&expected.id].props;
            for (name, value) in &expected.props {
                assert_eq!(stored.get(name), Some(value), "{name} of {}", expected.id);
            }
        }
    }
}
