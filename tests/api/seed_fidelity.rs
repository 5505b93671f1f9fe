//! The seed against the article, statement by statement (`seed_fidelity.md`), and what the
//! importer inferred, marked as such.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use crate::harness::{conformance, TestApp};

/// The table of the article's statements, one row per assertion.
const TABLE: &str = include_str!("seed_fidelity.md");

/// The first column's words for a row that is background knowledge, not the article's.
const BACKGROUND: &str = "(background: not in the article)";

/// One assertion: the report credited with it, its claim, its stance, whom it cites.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Credit {
    report: String,
    claim: String,
    stance: String,
    citing: Vec<String>,
}

/// The table's rows, each with whether it is background knowledge.
fn table() -> Vec<(Credit, bool)> {
    TABLE
        .lines()
        .filter(|line| line.starts_with("| ") && !line.starts_with("| The article's words"))
        .map(|line| {
            let cells: Vec<&str> = line.trim_matches('|').split(" | ").map(str::trim).collect();
            assert_eq!(cells.len(), 5, "a row has five cells: {line}");
            assert!(
                !cells[0].is_empty(),
                "every row quotes the article or says background: {line}"
            );
            let mut citing: Vec<String> = match cells[4] {
                "-" => Vec::new(),
                names => names.split(", ").map(String::from).collect(),
            };
            citing.sort();
            let credit = Credit {
                claim: cells[1].into(),
                stance: cells[2].into(),
                report: cells[3].into(),
                citing,
            };
            (credit, cells[0] == BACKGROUND)
        })
        .collect()
}

/// Every assertion the graph holds, with whether its report is a reference.
async fn graph(app: &TestApp) -> Vec<(Credit, bool)> {
    let data = app
        .data(
            r#"{ reports(first: 100) { totalCount edges { node { key kind
                assertions(first: 100) { totalCount edges { node { stance claim { key } sources { description } } } }
            } } } }"#,
        )
        .await;
    let reports = data["reports"]["edges"].as_array().expect("reports");
    assert_eq!(
        data["reports"]["totalCount"],
        reports.len(),
        "one page holds the seed"
    );
    let mut credits = Vec::new();
    for report in reports.iter().map(|e| &e["node"]) {
        let assertions = report["assertions"]["edges"]
            .as_array()
            .expect("assertions");
        assert_eq!(report["assertions"]["totalCount"], assertions.len());
        for assertion in assertions.iter().map(|e| &e["node"]) {
            let mut citing: Vec<String> = assertion["sources"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|s| s["description"].as_str().map(String::from))
                .collect();
            citing.sort();
            let credit = Credit {
                report: report["key"].as_str().unwrap_or_default().into(),
                claim: assertion["claim"]["key"]
                    .as_str()
                    .unwrap_or_default()
                    .into(),
                stance: assertion["stance"].as_str().unwrap_or_default().into(),
                citing,
            };
            credits.push((credit, report["kind"] == "REFERENCE"));
        }
    }
    credits
}

conformance! {
    async fn every_statement_of_the_article_is_credited_to_the_report_that_makes_it(backend: Backend) {
        let app = TestApp::seeded(backend).await;
        let expected = table();
        assert!(expected.len() > 40, "the table lists the article's statements");
        let found = graph(&app).await;

        let expected_credits: BTreeSet<&Credit> = expected.iter().map(|(c, _)| c).collect();
        let found_credits: BTreeSet<&Credit> = found.iter().map(|(c, _)| c).collect();
        let missing: Vec<_> = expected_credits.difference(&found_credits).collect();
        let unaccounted: Vec<_> = found_credits.difference(&expected_credits).collect();
        assert!(missing.is_empty(), "statements missing from the graph: {missing:#?}");
        assert!(
            unaccounted.is_empty(),
            "credited to a report that does not state them: {unaccounted:#?}"
        );
        assert_eq!(found.len(), expected.len(), "no statement is credited twice");

        // Background knowledge comes from references, and references give nothing else.
        for (credit, background) in &expected {
            let (_, reference) = found.iter().find(|(c, _)| c == credit).expect("found above");
            assert_eq!(background, reference, "background iff from a REFERENCE report: {credit:?}");
        }
    }

    async fn inferred_dates_and_values_are_marked_with_their_reasoning(backend: Backend) {
        let app = TestApp::seeded(backend).await;
        let data = app
            .data("{ reports(first: 100) { edges { node { key kind publishedAt { text inferred reasoning } } } } }")
            .await;
        for report in data["reports"]["edges"].as_array().unwrap().iter().map(|e| &e["node"]) {
            let key = report["key"].as_str().unwrap();
            let published = &report["publishedAt"];
            match key {
                // The article states the day of the denial; references are undated.
                "iran-mfa-2024-11-17-denial" => {
                    assert_eq!(published["text"], "2024-11-17");
                    assert_eq!(published["inferred"], false);
                    assert!(published["reasoning"].is_null());
                }
                _ if report["kind"] == "REFERENCE" => assert!(published.is_null(), "{report}"),
                _ => {
                    assert_eq!(published["inferred"], true, "{report}");
                    let reasoning = published["reasoning"].as_str().unwrap_or_default();
                    // Each window is reasoned from the meeting's day or the denial's.
                    assert!(reasoning.contains("11 November 2024") || reasoning.contains("17 November 2024"), "{report}");
                }
            }
        }

        let meeting = app.id_of("Musk-Iravani meeting", "Event").await;
        let data = app
            .data_with(
                r#"query($id: ID!) { node(id: $id) { ... on Event { date
                    claims(first: 50) { edges { node { key attribute
                        value { inferred reasoning text date { text inferred reasoning } }
                    } } }
                } } }"#,
                json!({ "id": meeting }),
            )
            .await;
        assert_eq!(data["node"]["date"], "2024-11-11");
        let claims: Vec<&Value> = data["node"]["claims"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| &e["node"])
            .collect();
        let date = claims.iter().find(|c| c["attribute"] == "occurredOn").expect("the date claim");
        assert_eq!(date["key"], "meeting-date");
        assert_eq!(date["value"]["inferred"], true);
        assert_eq!(date["value"]["date"]["text"], "2024-11-11");
        assert_eq!(date["value"]["date"]["inferred"], true);
        let reasoning = date["value"]["reasoning"].as_str().unwrap_or_default();
        assert!(reasoning.contains("on Monday") && reasoning.contains("17 November 2024"), "{reasoning}");
        // Everything a source states as given is not marked.
        for claim in claims.iter().filter(|c| c["attribute"] != "occurredOn" && !c["value"].is_null()) {
            assert_eq!(claim["value"]["inferred"], false, "{claim}");
            assert!(claim["value"]["reasoning"].is_null(), "{claim}");
        }
    }

    async fn background_links_read_as_references_in_explanations(backend: Backend) {
        let app = TestApp::seeded(backend).await;
        let data = app
            .data(
                r#"{ claims(attribute: "partOf", first: 20) { edges { node { key
                    statusExplanation { summary chains { assertions { report { kind url } } } }
                } } } }"#,
            )
            .await;
        let edges = data["claims"]["edges"].as_array().unwrap();
        let mission = edges
            .iter()
            .map(|e| &e["node"])
            .find(|c| c["key"] == "iran-un-mission-part-of-foreign-ministry")
            .expect("the mission's part-of link");
        let summary = mission["statusExplanation"]["summary"].as_str().unwrap();
        assert!(
            summary.contains("the reference \"Permanent Mission of the Islamic Republic of Iran to the United Nations, official website\""),
            "{summary}"
        );
        let report = &mission["statusExplanation"]["chains"][0]["assertions"][0]["report"];
        assert_eq!(report["kind"], "REFERENCE");
        assert_eq!(report["url"], "https://iran-un.ir/");
    }
}
