//! The status rule, clause by clause.

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
        principals: principals
            .iter()
            .map(|p| Principal::party(org(p)))
            .collect(),
        conflicts: vec![],
        presupposes: vec![],
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

// Rule kg-status/2.

#[test]
fn a_publisher_retracting_its_own_denial_withdraws_it() {
    let mut claim = meeting();
    claim
        .assertions
        .retain(|a| ["ap", "mfa"].contains(&a.id.key()));
    claim.assertions.push(assertion(
        "mfa-retracts",
        Stance::Retracts,
        Some("iran-mfa"),
        "2024-11-20",
    ));
    let verdict = derive_status(&claim, None);
    assert_eq!(verdict.status, ClaimStatus::Reported, "{}", verdict.summary);
    assert_eq!(
        verdict.retractions,
        vec![id(Label::Assertion, "mfa-retracts")]
    );
    assert!(verdict.denials.is_empty());
    assert!(verdict
        .excluded
        .iter()
        .any(|e| e.assertion.key() == "mfa" && e.reason.contains("retracted")));
    assert!(
        verdict
            .summary
            .contains("retracted: iran-mfa on 2024-11-20"),
        "{}",
        verdict.summary
    );
}

fn served_between(org_key: &str, from: Option<&str>, until: Option<&str>) -> Principal {
    Principal {
        id: org(org_key),
        from: from.map(|d| d.parse().unwrap()),
        until: until.map(|d| d.parse().unwrap()),
    }
}

#[test]
fn an_organisation_a_party_served_years_before_is_no_principal_now() {
    let statement = assertion(
        "old-employer",
        Stance::Confirms,
        Some("old-employer"),
        "2024-11-18",
    );
    let mut claim = inputs(vec![statement], &[]);
    claim.principals = vec![served_between(
        "old-employer",
        Some("2010-01-01"),
        Some("2015-12-31"),
    )];
    assert_eq!(derive_status(&claim, None).status, ClaimStatus::Reported);
    claim.principals = vec![served_between("old-employer", Some("2010-01-01"), None)];
    assert_eq!(derive_status(&claim, None).status, ClaimStatus::Confirmed);
    // A position with unknown dates counts.
    claim.principals = vec![served_between("old-employer", None, None)];
    assert_eq!(derive_status(&claim, None).status, ClaimStatus::Confirmed);
}

#[test]
fn a_dispute_does_not_block_a_principals_confirmation_but_a_denial_does() {
    let confirmation = assertion(
        "mission",
        Stance::Confirms,
        Some("iran-mission"),
        "2024-11-18",
    );
    let dispute = assertion("doubter", Stance::Disputes, Some("nyt"), "2024-11-19");
    let verdict = derive_status(
        &inputs(vec![confirmation.clone(), dispute], &["iran-mission"]),
        None,
    );
    assert_eq!(verdict.status, ClaimStatus::Confirmed);
    assert!(
        verdict.summary.contains("a dispute does not undo"),
        "{}",
        verdict.summary
    );
    let denial = assertion("denier", Stance::Denies, Some("nyt"), "2024-11-19");
    let verdict = derive_status(&inputs(vec![confirmation, denial], &["iran-mission"]), None);
    assert_eq!(verdict.status, ClaimStatus::Disputed);
}

#[test]
fn unaffiliated_anonymous_sources_in_two_outlets_are_two_chains() {
    let familiar = |key: &str, outlet: &str| {
        cites(
            assertion(key, Stance::Asserts, Some(outlet), "2024-11-12"),
            source(
                &format!("{key}-src"),
                "a person familiar with the matter",
                None,
                true,
            ),
        )
    };
    let two_outlets = derive_status(
        &inputs(vec![familiar("a", "ap"), familiar("b", "nyt")], &[]),
        None,
    );
    assert_eq!(two_outlets.status, ClaimStatus::Corroborated);
    let one_outlet = derive_status(
        &inputs(vec![familiar("a", "ap"), familiar("b", "ap")], &[]),
        None,
    );
    assert_eq!(one_outlet.status, ClaimStatus::Reported);
}

#[test]
fn a_relaying_report_is_excluded_with_its_reason() {
    let original = assertion("original", Stance::Asserts, Some("ap"), "2024-11-12");
    let mut relay = assertion("relay", Stance::Asserts, None, "2024-11-13");
    relay.relays = vec![original.report.clone()];
    let verdict = derive_status(&inputs(vec![original, relay], &[]), None);
    let excluded: Vec<&str> = verdict.excluded.iter().map(|e| e.assertion.key()).collect();
    assert_eq!(excluded, ["relay"]);
    assert!(
        verdict.excluded[0].reason.contains("relays"),
        "{}",
        verdict.excluded[0].reason
    );
}

#[test]
fn a_denial_of_the_event_counts_against_every_claim_about_it() {
    let mut participation = inputs(
        vec![
            assertion("ap", Stance::Asserts, Some("ap"), "2024-11-12"),
            assertion("nyt", Stance::Asserts, Some("nyt"), "2024-11-12"),
        ],
        &["iran-mfa"],
    );
    assert_eq!(
        derive_status(&participation, None).status,
        ClaimStatus::Corroborated
    );
    participation.presupposes = vec![PresupposedFacts {
        claim: id(Label::Claim, "meeting-occurred"),
        statement: "The meeting took place".into(),
        assertions: vec![assertion(
            "mfa",
            Stance::Denies,
            Some("iran-mfa"),
            "2024-11-17",
        )],
    }];
    let verdict = derive_status(&participation, None);
    assert_eq!(verdict.status, ClaimStatus::Disputed);
    assert_eq!(
        verdict.presupposition_denials,
        vec![id(Label::Assertion, "mfa")]
    );
    assert!(
        verdict
            .summary
            .contains("presupposes \"The meeting took place\""),
        "{}",
        verdict.summary
    );
    let before = derive_status(&participation, Some("2024-11-16".parse().unwrap()));
    assert_eq!(before.status, ClaimStatus::Corroborated);
}

mod partition {
    //! Every assertion the rule sees ends in exactly one place.

    use proptest::prelude::*;

    use super::*;

    const STANCES: [Stance; 5] = [
        Stance::Asserts,
        Stance::Confirms,
        Stance::Denies,
        Stance::Disputes,
        Stance::Retracts,
    ];
    const OUTLETS: [&str; 3] = ["ap", "nyt", "iran-mfa"];

    fn arbitrary_assertion(n: usize) -> impl Strategy<Value = AssertionFacts> {
        (
            0..STANCES.len(),
            proptest::option::of(0..OUTLETS.len()),
            proptest::option::of(10u32..20),
            0..4usize,
            proptest::collection::vec(0..6usize, 0..2),
        )
            .prop_map(move |(stance, outlet, day, cited, relays)| {
                let date = day.map_or("2024-11".to_string(), |d| format!("2024-11-{d}"));
                let mut a = assertion(
                    &format!("a{n}"),
                    STANCES[stance],
                    outlet.map(|o| OUTLETS[o]),
                    &date,
                );
                if day.is_none() && n.is_multiple_of(2) {
                    a.date = None;
                }
                a.relays = relays
                    .into_iter()
                    .map(|r| id(Label::Report, &format!("a{r}")))
                    .collect();
                match cited {
                    0 => {}
                    1 => a
                        .sources
                        .push(source("fam", "a person familiar", None, true)),
                    2 => a
                        .sources
                        .push(source("gov", "an official", Some("iran-gov"), true)),
                    _ => a
                        .sources
                        .push(source("named", "the spokesman", Some("iran-mfa"), false)),
                }
                a
            })
    }

    fn arbitrary_inputs() -> impl Strategy<Value = StatusInputs> {
        (1..8usize).prop_flat_map(|n| {
            let assertions: Vec<_> = (0..n).map(arbitrary_assertion).collect();
            (assertions, proptest::bool::ANY).prop_map(|(assertions, principal)| {
                inputs(assertions, if principal { &["iran-mfa"] } else { &[] })
            })
        })
    }

    proptest! {
        #[test]
        fn every_assertion_is_in_one_chain_or_denial_or_retraction_or_excluded(
            claim in arbitrary_inputs(),
            as_of in proptest::option::of(8u32..22),
        ) {
            let as_of = as_of.map(|d| chrono::NaiveDate::from_ymd_opt(2024, 11, d).unwrap());
            let verdict = derive_status(&claim, as_of);
            let mut places: Vec<NodeId> = verdict.chains.iter().flat_map(|c| c.assertions.clone()).collect();
            places.extend(verdict.denials.iter().filter(|d| !verdict.presupposition_denials.contains(d)).cloned());
            places.extend(verdict.retractions.clone());
            places.extend(verdict.excluded.iter().map(|e| e.assertion.clone()));
            places.sort();
            let mut seen: Vec<NodeId> = claim.assertions.iter().map(|a| a.id.clone()).collect();
            seen.sort();
            prop_assert_eq!(places, seen, "{}", verdict.summary);
        }
    }
}
