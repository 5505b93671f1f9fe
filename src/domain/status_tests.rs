//! The status rule, clause by clause.

use std::collections::BTreeSet;

use super::status::*;
use crate::model::{Label, NodeId, ReportKind, Stance};

fn id(label: Label, key: &str) -> NodeId {
    NodeId::new(label, key)
}

fn org(key: &str) -> NodeId {
    id(Label::Organization, key)
}

fn source(key: &str, description: &str, affiliation: Option<&str>, anonymous: bool) -> SourceFacts {
    SourceFacts {
        id: id(Label::Source, key),
        description: description.into(),
        anonymous,
        affiliation: affiliation.map(org),
        affiliation_name: affiliation.map(String::from),
        person: None,
    }
}

fn assertion(key: &str, stance: Stance, publisher: Option<&str>, date: &str) -> AssertionFacts {
    AssertionFacts {
        id: id(Label::Assertion, key),
        stance,
        date: Some(date.parse().unwrap()),
        report: id(Label::Report, key),
        report_title: format!("report {key}"),
        report_kind: ReportKind::Article,
        publisher: publisher.map(org),
        publisher_name: publisher.map(String::from),
        relays: vec![],
        sources: vec![],
    }
}

fn cites(mut a: AssertionFacts, s: SourceFacts) -> AssertionFacts {
    a.sources.push(s);
    a
}

fn inputs(assertions: Vec<AssertionFacts>, principals: &[&str]) -> StatusInputs {
    StatusInputs {
        assertions,
        principals: principals.iter().map(|p| org(p)).collect::<BTreeSet<_>>(),
        conflicts: vec![],
    }
}

/// The seed story in miniature: four chains, then the foreign ministry's denial.
fn meeting() -> StatusInputs {
    let window = "2024-11-11/2024-11-17";
    inputs(
        vec![
            cites(
                assertion("ap", Stance::Asserts, Some("ap"), window),
                source("us", "a U.S. official", Some("us-gov"), true),
            ),
            cites(
                assertion("nyt", Stance::Asserts, Some("nyt"), window),
                source("ir", "two Iranian officials", Some("iran-gov"), true),
            ),
            cites(
                assertion("other", Stance::Asserts, None, "2024-11-11/.."),
                source("fam", "two sources familiar with the meeting", None, true),
            ),
            assertion("cbs", Stance::Confirms, Some("cbs"), window),
            assertion("mfa", Stance::Denies, Some("iran-mfa"), "2024-11-17"),
        ],
        &["iran-mission", "iran-mfa", "iran-gov"],
    )
}

#[test]
fn a_principal_denial_against_four_chains_is_disputed() {
    let verdict = derive_status(&meeting(), None);
    assert_eq!(verdict.status, ClaimStatus::Disputed);
    assert_eq!(verdict.rule, 4);
    assert_eq!(verdict.chains.len(), 4);
    assert_eq!(verdict.principal_denials, vec![id(Label::Assertion, "mfa")]);
    assert!(
        verdict.summary.contains("iran-mfa on 2024-11-17"),
        "{}",
        verdict.summary
    );
    assert_eq!(verdict.rule_version, RULE_VERSION);
}

#[test]
fn as_of_the_day_before_the_denial_it_is_corroborated() {
    let day = "2024-11-16".parse().unwrap();
    let verdict = derive_status(&meeting(), Some(day));
    assert_eq!(verdict.status, ClaimStatus::Corroborated);
    assert_eq!(verdict.excluded.len(), 1);
    assert_eq!(verdict.excluded[0].assertion, id(Label::Assertion, "mfa"));
    let before_everything = derive_status(&meeting(), Some("2024-11-10".parse().unwrap()));
    assert_eq!(before_everything.status, ClaimStatus::Unreported);
}

#[test]
fn a_principal_denial_against_one_chain_is_denied() {
    let mut only_one = meeting();
    only_one
        .assertions
        .retain(|a| ["ap", "mfa"].contains(&a.id.key()));
    let verdict = derive_status(&only_one, None);
    assert_eq!(verdict.status, ClaimStatus::Denied);
    assert_eq!(verdict.rule, 3);
}

#[test]
fn a_denial_by_someone_who_is_no_principal_only_disputes() {
    let mut only_one = meeting();
    only_one
        .assertions
        .retain(|a| ["ap", "mfa"].contains(&a.id.key()));
    only_one.principals.clear();
    assert_eq!(derive_status(&only_one, None).status, ClaimStatus::Disputed);
}

#[test]
fn a_confirmation_on_the_record_by_a_principal_confirms() {
    let statement = assertion(
        "mission",
        Stance::Confirms,
        Some("iran-mission"),
        "2024-11-18",
    );
    let verdict = derive_status(&inputs(vec![statement], &["iran-mission"]), None);
    assert_eq!(verdict.status, ClaimStatus::Confirmed);
    assert_eq!(verdict.rule, 2);
}

#[test]
fn an_anonymous_source_of_the_principal_is_not_on_the_record() {
    let leak = cites(
        assertion("nyt", Stance::Confirms, Some("nyt"), "2024-11-18"),
        source("official", "an Iranian official", Some("iran-gov"), true),
    );
    let verdict = derive_status(&inputs(vec![leak], &["iran-gov"]), None);
    assert_eq!(verdict.status, ClaimStatus::Reported);
}

#[test]
fn a_primary_document_confirms() {
    let mut filing = assertion("court", Stance::Asserts, Some("court"), "2024-12-01");
    filing.report_kind = ReportKind::PrimaryDocument;
    assert_eq!(
        derive_status(&inputs(vec![filing], &[]), None).status,
        ClaimStatus::Confirmed
    );
}

#[test]
fn retracting_every_chain_retracts_the_claim() {
    let claim = inputs(
        vec![
            assertion("story", Stance::Asserts, Some("paper"), "2024-11-12"),
            assertion("correction", Stance::Retracts, Some("paper"), "2024-11-20"),
        ],
        &[],
    );
    let verdict = derive_status(&claim, None);
    assert_eq!(verdict.status, ClaimStatus::Retracted);
    // Before the correction, the story stands.
    let before = derive_status(&claim, Some("2024-11-15".parse().unwrap()));
    assert_eq!(before.status, ClaimStatus::Reported);
}

#[test]
fn a_retraction_by_one_outlet_leaves_the_others_chains() {
    let mut claim = meeting();
    claim.assertions.retain(|a| a.id.key() != "mfa");
    claim.assertions.push(assertion(
        "ap-fix",
        Stance::Retracts,
        Some("ap"),
        "2024-11-20",
    ));
    let verdict = derive_status(&claim, None);
    assert_eq!(verdict.status, ClaimStatus::Corroborated);
    assert_eq!(verdict.chains.len(), 3);
}

#[test]
fn the_same_anonymous_source_in_two_outlets_is_one_chain() {
    let claim = inputs(
        vec![
            cites(
                assertion("a", Stance::Asserts, Some("a"), "2024-11-12"),
                source("s1", "a U.S. official", Some("us-gov"), true),
            ),
            cites(
                assertion("b", Stance::Asserts, Some("b"), "2024-11-13"),
                source("s2", "A U.S. official ", Some("us-gov"), true),
            ),
        ],
        &[],
    );
    let verdict = derive_status(&claim, None);
    assert_eq!(verdict.status, ClaimStatus::Reported);
    assert_eq!(verdict.chains[0].assertions.len(), 2);
}

#[test]
fn a_report_relaying_another_adds_no_chain() {
    let original = assertion("wire", Stance::Asserts, Some("wire"), "2024-11-12");
    let mut relay = assertion("paper", Stance::Asserts, Some("paper"), "2024-11-13");
    relay.relays = vec![original.report.clone()];
    let verdict = derive_status(&inputs(vec![original, relay], &[]), None);
    assert_eq!(verdict.status, ClaimStatus::Reported);
    assert_eq!(verdict.chains.len(), 1);
}

#[test]
fn a_supported_conflicting_claim_disputes() {
    let mut claim = inputs(
        vec![assertion("ap", Stance::Asserts, Some("ap"), "2024-11-12")],
        &[],
    );
    claim.conflicts.push(ConflictFacts {
        claim: id(Label::Claim, "other"),
        statement: "Musk requested the meeting".into(),
        assertions: vec![assertion("nyt", Stance::Asserts, Some("nyt"), "2024-11-14")],
    });
    let verdict = derive_status(&claim, None);
    assert_eq!(verdict.status, ClaimStatus::Disputed);
    assert_eq!(verdict.supported_conflicts, vec![id(Label::Claim, "other")]);
    // The conflicting claim was not yet made on the 13th.
    let earlier = derive_status(&claim, Some("2024-11-13".parse().unwrap()));
    assert_eq!(earlier.status, ClaimStatus::Reported);
}
