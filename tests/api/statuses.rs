//! Derived statuses and their explanations on the seed story.

use serde_json::json;

use crate::harness::{conformance, strings, TestApp};

const EVENT_STATUS: &str = r#"query($asOf: Date) { events { edges { node {
    status
    asOf: status(asOf: $asOf)
    statusExplanation { status rule ruleVersion summary
      chains { origin assertions { report { title } } }
      denials { quote } principalDenials { report { publisher { name } } } excluded { reason } }
    before: statusExplanation(asOf: $asOf) { status summary asOf excluded { reason assertion { stance } } }
} } } }"#;

conformance! {
    async fn the_meeting_is_disputed_by_the_denial_against_four_chains(backend: Backend) {
        let app = TestApp::seeded(backend).await;
        let data = app.data_with(EVENT_STATUS, json!({ "asOf": "2024-11-16" })).await;
        let event = &data["events"]["edges"][0]["node"];
        assert_eq!(event["status"], "DISPUTED");
        let why = &event["statusExplanation"];
        assert_eq!(why["rule"], 4);
        assert_eq!(why["ruleVersion"], kg::domain::status::RULE_VERSION);
        let origins = strings(&why["chains"], "/origin");
        assert_eq!(origins.len(), 4, "{origins:?}");
        for origin in ["a U.S. official", "two Iranian officials", "two sources familiar with the meeting", "CBS News"] {
            assert!(origins.iter().any(|o| o.contains(origin)), "{origin} in {origins:?}");
        }
        assert_eq!(why["denials"][0]["quote"], "categorically denies");
        assert_eq!(why["principalDenials"][0]["report"]["publisher"]["name"], "Ministry of Foreign Affairs of Iran");
        let summary = why["summary"].as_str().unwrap();
        assert!(summary.contains("Ministry of Foreign Affairs of Iran on 2024-11-17"), "{summary}");
        assert!(summary.contains("4 independent chains"), "{summary}");
    }

    async fn as_of_the_day_before_the_denial_the_meeting_is_corroborated(backend: Backend) {
        let app = TestApp::seeded(backend).await;
        let data = app.data_with(EVENT_STATUS, json!({ "asOf": "2024-11-16" })).await;
        let event = &data["events"]["edges"][0]["node"];
        assert_eq!(event["asOf"], "CORROBORATED");
        let before = &event["before"];
        assert_eq!(before["asOf"], "2024-11-16");
        assert_eq!(before["excluded"][0]["assertion"]["stance"], "DENIES");
        assert!(before["excluded"][0]["reason"].as_str().unwrap().contains("2024-11-17"));
        // Before the meeting, nothing had been said of it.
        let earlier = app.data_with(EVENT_STATUS, json!({ "asOf": "2024-11-10" })).await;
        assert_eq!(earlier["events"]["edges"][0]["node"]["asOf"], "UNREPORTED");
    }

    async fn conflicting_initiators_conflict_and_single_chains_about_the_denied_meeting_are_denied(backend: Backend) {
        let app = TestApp::seeded(backend).await;
        let data = app
            .data(r#"{ claims(first: 100) { edges { node { key status before: status(asOf: "2024-11-16")
                statusExplanation { conflicts { key } presuppositionDenials { quote } } } } } }"#)
            .await;
        let node_of = |key: &str| -> serde_json::Value {
            data["claims"]["edges"]
                .as_array()
                .unwrap()
                .iter()
                .find(|e| e["node"]["key"] == key)
                .map(|e| e["node"].clone())
                .unwrap_or_else(|| panic!("no claim {key}"))
        };
        let status_of = |key: &str| node_of(key)["status"].as_str().unwrap().to_string();
        // Each initiator conflicts with the other; before the denial that disputes both.
        for (claim, other) in [("meeting-initiator-iran", "meeting-initiator-musk"), ("meeting-initiator-musk", "meeting-initiator-iran")] {
            let node = node_of(claim);
            assert_eq!(node["before"], "DISPUTED", "{node:#}");
            assert_eq!(strings(&node["statusExplanation"]["conflicts"], "/key"), [other]);
            // Then the foreign ministry, a principal, denies the meeting, and one chain
            // asserts each initiator: denied.
            assert_eq!(node["status"], "DENIED", "{node:#}");
            assert_eq!(node["statusExplanation"]["presuppositionDenials"][0]["quote"], "categorically denies");
        }
        assert_eq!(status_of("musk-birth-date"), "REPORTED");
        // The denial counts against every claim about the meeting (rule kg-status/2): where
        // several chains assert the claim it is disputed, where one does it is denied.
        assert_eq!(status_of("meeting-participant-musk"), "DISPUTED");
        assert_eq!(status_of("meeting-participant-iravani"), "DISPUTED");
        assert_eq!(node_of("meeting-participant-musk")["before"], "CORROBORATED");
        assert_eq!(status_of("meeting-duration"), "DENIED");
        assert_eq!(status_of("meeting-location-ambassador-residence"), "DENIED");
        // The article restates CBS's date while relaying CBS: one chain, not two.
        assert_eq!(status_of("meeting-date"), "DENIED");
    }

    async fn the_status_rule_is_served_with_its_version(backend: Backend) {
        let app = TestApp::seeded(backend).await;
        let data = app.data("{ statusRule { version text } }").await;
        assert_eq!(data["statusRule"]["version"], kg::domain::status::RULE_VERSION);
        assert!(data["statusRule"]["text"].as_str().unwrap().contains("asOf counts an assertion"));
    }
}
