//! The derived status of a claim: one pure function over the evidence, with a documented,
//! versioned rule that returns the inputs it used.
//!
//! Rule `kg-status/1`, first match wins:
//! 1. `RETRACTED`: every asserting chain has been retracted.
//! 2. `CONFIRMED`: confirmed on the record by a principal (a party to the claim, or an
//!    organisation a party serves) or by a primary document, and not denied or contradicted.
//! 3. `DENIED`: denied on the record by a principal, and at most one independent chain
//!    asserts it.
//! 4. `DISPUTED`: any denial or dispute, or a conflicting claim that has support.
//! 5. `CORROBORATED`: two or more independent chains assert or confirm it.
//! 6. `REPORTED`: one chain.
//! 7. `UNREPORTED`: nothing counted yet (only possible with `asOf`, or after retractions of
//!    assertions that leave no chain at all).
//!
//! A chain's origin is the sources an assertion cites, or the outlet itself when it cites
//! none. Anonymous sources with the same affiliation and description are one origin. An
//! assertion in a report that relays other reports, citing no source of its own, shares
//! their origin: it adds no chain when a relayed report makes the same claim. Assertions
//! whose origins overlap are one chain.
//!
//! `asOf`: an assertion counts from the earliest day its date allows (its own date, else its
//! report's publication date); an undated assertion always counts.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;

use crate::model::{NodeId, ReportKind, ReportedDate, Stance};

/// The version of the rule, returned with every verdict.
pub const RULE_VERSION: &str = "kg-status/1";

/// The rule in words, as the API serves it.
pub const RULE_TEXT: &str = "First match wins. \
1 RETRACTED: every asserting chain has been retracted. \
2 CONFIRMED: confirmed on the record by a principal (a party to the claim, or an organisation a party serves) or by a primary document, and not denied or contradicted. \
3 DENIED: denied on the record by a principal, and at most one independent chain asserts it. \
4 DISPUTED: any denial or dispute, or a conflicting claim that has support. \
5 CORROBORATED: two or more independent chains assert or confirm it. \
6 REPORTED: one chain. \
7 UNREPORTED: no assertion counted. \
A chain's origin is the sources an assertion cites, or the outlet when it cites none; a report that relays another shares its origin; anonymous sources with the same affiliation and description count once. \
asOf counts an assertion from the earliest day its date allows (its own date, else its report's); undated assertions always count.";

/// A claim's derived status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ClaimStatus {
    Retracted,
    Confirmed,
    Denied,
    Disputed,
    Corroborated,
    Reported,
    Unreported,
}

impl ClaimStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ClaimStatus::Retracted => "RETRACTED",
            ClaimStatus::Confirmed => "CONFIRMED",
            ClaimStatus::Denied => "DENIED",
            ClaimStatus::Disputed => "DISPUTED",
            ClaimStatus::Corroborated => "CORROBORATED",
            ClaimStatus::Reported => "REPORTED",
            ClaimStatus::Unreported => "UNREPORTED",
        }
    }

    pub const ALL: [ClaimStatus; 7] = [
        ClaimStatus::Retracted,
        ClaimStatus::Confirmed,
        ClaimStatus::Denied,
        ClaimStatus::Disputed,
        ClaimStatus::Corroborated,
        ClaimStatus::Reported,
        ClaimStatus::Unreported,
    ];

    pub fn parse(text: &str) -> Option<ClaimStatus> {
        ClaimStatus::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// A source as the rule sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct SourceFacts {
    pub id: NodeId,
    pub description: String,
    pub anonymous: bool,
    pub affiliation: Option<NodeId>,
    pub affiliation_name: Option<String>,
    pub person: Option<NodeId>,
}

/// An assertion with what the rule needs of its report and sources.
#[derive(Clone, Debug, PartialEq)]
pub struct AssertionFacts {
    pub id: NodeId,
    pub stance: Stance,
    /// The assertion's date, else its report's publication date.
    pub date: Option<ReportedDate>,
    pub report: NodeId,
    pub report_title: String,
    pub report_kind: ReportKind,
    pub publisher: Option<NodeId>,
    pub publisher_name: Option<String>,
    /// Reports this assertion's report relays.
    pub relays: Vec<NodeId>,
    pub sources: Vec<SourceFacts>,
}

/// A claim that conflicts with the one being judged, with its own assertions.
#[derive(Clone, Debug, PartialEq)]
pub struct ConflictFacts {
    pub claim: NodeId,
    pub statement: String,
    pub assertions: Vec<AssertionFacts>,
}

/// Everything the rule reads about one claim.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct StatusInputs {
    pub assertions: Vec<AssertionFacts>,
    /// Parties to the claim and the organisations they serve.
    pub principals: BTreeSet<NodeId>,
    pub conflicts: Vec<ConflictFacts>,
}

/// One independent chain of support.
#[derive(Clone, Debug, PartialEq)]
pub struct Chain {
    /// Who the chain goes back to, in words.
    pub origin: String,
    pub assertions: Vec<NodeId>,
}

/// Why an assertion was left out.
#[derive(Clone, Debug, PartialEq)]
pub struct Excluded {
    pub assertion: NodeId,
    pub reason: String,
}

/// The status with the evidence it was derived from.
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    pub status: ClaimStatus,
    pub rule_version: &'static str,
    /// The number of the rule that matched (1 to 7).
    pub rule: u8,
    pub summary: String,
    pub chains: Vec<Chain>,
    /// Denying or disputing assertions counted.
    pub denials: Vec<NodeId>,
    /// Those of the denials made on the record by a principal.
    pub principal_denials: Vec<NodeId>,
    /// Conflicting claims that have support.
    pub supported_conflicts: Vec<NodeId>,
    /// Assertions that confirm on the record by a principal or by a primary document.
    pub confirmations: Vec<NodeId>,
    /// Assertions left out, with why.
    pub excluded: Vec<Excluded>,
    pub as_of: Option<NaiveDate>,
}

fn counts_as_of(assertion: &AssertionFacts, as_of: Option<NaiveDate>) -> bool {
    match (as_of, &assertion.date) {
        (Some(day), Some(date)) => date.may_be_on_or_before(day),
        _ => true,
    }
}

/// Whether the assertion speaks for a principal on the record.
fn on_record_by_principal(assertion: &AssertionFacts, principals: &BTreeSet<NodeId>) -> bool {
    let named_principal_source = assertion.sources.iter().any(|source| {
        !source.anonymous
            && (source
                .person
                .as_ref()
                .is_some_and(|p| principals.contains(p))
                || source
                    .affiliation
                    .as_ref()
                    .is_some_and(|a| principals.contains(a)))
    });
    let own_statement = assertion.sources.iter().all(|source| !source.anonymous)
        && assertion
            .publisher
            .as_ref()
            .is_some_and(|p| principals.contains(p));
    named_principal_source || own_statement
}

/// Splits retractions off: a retraction withdraws the same publisher's (or, with no
/// publisher, the same report's) earlier supporting assertions.
fn retracted(assertions: &[&AssertionFacts]) -> BTreeSet<NodeId> {
    let issuer = |a: &AssertionFacts| a.publisher.clone().unwrap_or_else(|| a.report.clone());
    let mut withdrawn = BTreeSet::new();
    for retraction in assertions.iter().filter(|a| a.stance == Stance::Retracts) {
        for supporting in assertions.iter().filter(|a| a.stance.supports()) {
            let earlier = match (&supporting.date, &retraction.date) {
                (Some(s), Some(r)) => s.earliest() <= r.latest().unwrap_or(s.earliest()),
                _ => true,
            };
            if issuer(supporting) == issuer(retraction) && earlier {
                withdrawn.insert(supporting.id.clone());
            }
        }
    }
    withdrawn
}

fn source_origin(source: &SourceFacts) -> (String, String) {
    let affiliation = source.affiliation.as_ref().map(NodeId::to_string);
    let key = if source.anonymous {
        format!(
            "anonymous|{}|{}",
            affiliation.unwrap_or_default(),
            source.description.trim().to_lowercase()
        )
    } else if let Some(person) = &source.person {
        format!("person|{person}")
    } else {
        format!(
            "named|{}|{}",
            affiliation.unwrap_or_default(),
            source.description
        )
    };
    let words = match &source.affiliation_name {
        Some(name) => format!("{} ({name})", source.description),
        None => source.description.clone(),
    };
    (key, words)
}

/// The origins of one supporting assertion, or `None` when it only relays another
/// report's assertion of the same claim.
fn origins(
    assertion: &AssertionFacts,
    reports_asserting: &BTreeSet<NodeId>,
) -> Option<Vec<(String, String)>> {
    if !assertion.sources.is_empty() {
        return Some(assertion.sources.iter().map(source_origin).collect());
    }
    if !assertion.relays.is_empty() {
        if assertion
            .relays
            .iter()
            .any(|r| reports_asserting.contains(r))
        {
            return None;
        }
        return Some(
            assertion
                .relays
                .iter()
                .map(|r| {
                    (
                        format!("report|{r}"),
                        format!("the reports relayed by {}", assertion.report_title),
                    )
                })
                .collect(),
        );
    }
    let outlet = assertion
        .publisher
        .clone()
        .unwrap_or_else(|| assertion.report.clone());
    let words = assertion
        .publisher_name
        .clone()
        .unwrap_or_else(|| assertion.report_title.clone());
    Some(vec![(format!("outlet|{outlet}"), words)])
}

/// Groups supporting assertions into independent chains: assertions sharing any origin are
/// one chain.
fn chains(supporting: &[&AssertionFacts]) -> Vec<Chain> {
    let reports_asserting: BTreeSet<NodeId> = supporting.iter().map(|a| a.report.clone()).collect();
    let mut groups: Vec<(BTreeMap<String, String>, Vec<NodeId>)> = Vec::new();
    for assertion in supporting {
        let Some(origins) = origins(assertion, &reports_asserting) else {
            continue;
        };
        let mut merged: (BTreeMap<String, String>, Vec<NodeId>) =
            (origins.into_iter().collect(), vec![assertion.id.clone()]);
        // Fold every group sharing an origin into this one.
        let mut kept = Vec::new();
        for group in groups.drain(..) {
            if group.0.keys().any(|key| merged.0.contains_key(key)) {
                merged.0.extend(group.0);
                merged.1.extend(group.1);
            } else {
                kept.push(group);
            }
        }
        kept.push(merged);
        groups = kept;
    }
    let mut chains: Vec<Chain> = groups
        .into_iter()
        .map(|(origins, mut assertions)| {
            assertions.sort();
            let words: BTreeSet<String> = origins.into_values().collect();
            Chain {
                origin: words.into_iter().collect::<Vec<_>>().join("; "),
                assertions,
            }
        })
        .collect();
    chains.sort_by(|a, b| a.assertions.cmp(&b.assertions));
    chains
}

fn ids(assertions: &[&AssertionFacts]) -> Vec<NodeId> {
    assertions.iter().map(|a| a.id.clone()).collect()
}

/// Derives a claim's status from its evidence, counting only what was said by `as_of`.
pub fn derive_status(inputs: &StatusInputs, as_of: Option<NaiveDate>) -> Verdict {
    let mut excluded = Vec::new();
    let counted: Vec<&AssertionFacts> = inputs
        .assertions
        .iter()
        .filter(|a| {
            let counts = counts_as_of(a, as_of);
            if !counts {
                excluded.push(Excluded {
                    assertion: a.id.clone(),
                    reason: format!(
                        "made {}, after {}",
                        a.date.as_ref().map(ToString::to_string).unwrap_or_default(),
                        as_of.map(|d| d.to_string()).unwrap_or_default()
                    ),
                });
            }
            counts
        })
        .collect();
    let withdrawn = retracted(&counted);
    for id in &withdrawn {
        excluded.push(Excluded {
            assertion: id.clone(),
            reason: "retracted by its publisher".into(),
        });
    }
    let all_supporting: Vec<&AssertionFacts> = counted
        .iter()
        .copied()
        .filter(|a| a.stance.supports())
        .collect();
    let supporting: Vec<&AssertionFacts> = all_supporting
        .iter()
        .copied()
        .filter(|a| !withdrawn.contains(&a.id))
        .collect();
    let denials: Vec<&AssertionFacts> = counted
        .iter()
        .copied()
        .filter(|a| matches!(a.stance, Stance::Denies | Stance::Disputes))
        .collect();
    let principal_denials: Vec<&AssertionFacts> = denials
        .iter()
        .copied()
        .filter(|a| a.stance == Stance::Denies && on_record_by_principal(a, &inputs.principals))
        .collect();
    let confirmations: Vec<&AssertionFacts> = supporting
        .iter()
        .copied()
        .filter(|a| {
            a.report_kind == ReportKind::PrimaryDocument
                || on_record_by_principal(a, &inputs.principals)
        })
        .collect();
    let supported_conflicts: Vec<NodeId> = inputs
        .conflicts
        .iter()
        .filter(|conflict| {
            let counted: Vec<&AssertionFacts> = conflict
                .assertions
                .iter()
                .filter(|a| counts_as_of(a, as_of))
                .collect();
            let withdrawn = retracted(&counted);
            counted
                .iter()
                .any(|a| a.stance.supports() && !withdrawn.contains(&a.id))
        })
        .map(|conflict| conflict.claim.clone())
        .collect();
    let chains = chains(&supporting);

    let (status, rule) = if !all_supporting.is_empty() && supporting.is_empty() {
        (ClaimStatus::Retracted, 1)
    } else if !confirmations.is_empty() && denials.is_empty() && supported_conflicts.is_empty() {
        (ClaimStatus::Confirmed, 2)
    } else if !principal_denials.is_empty() && chains.len() <= 1 {
        (ClaimStatus::Denied, 3)
    } else if !denials.is_empty() || !supported_conflicts.is_empty() {
        (ClaimStatus::Disputed, 4)
    } else if chains.len() >= 2 {
        (ClaimStatus::Corroborated, 5)
    } else if chains.len() == 1 {
        (ClaimStatus::Reported, 6)
    } else {
        (ClaimStatus::Unreported, 7)
    };

    let mut verdict = Verdict {
        status,
        rule_version: RULE_VERSION,
        rule,
        summary: String::new(),
        chains,
        denials: ids(&denials),
        principal_denials: ids(&principal_denials),
        supported_conflicts,
        confirmations: ids(&confirmations),
        excluded,
        as_of,
    };
    verdict.summary = summarise(&verdict, inputs);
    verdict
}

fn describe_denials(ids: &[NodeId], inputs: &StatusInputs) -> String {
    let described: Vec<String> = inputs
        .assertions
        .iter()
        .filter(|a| ids.contains(&a.id))
        .map(|a| {
            let who = a
                .publisher_name
                .clone()
                .unwrap_or_else(|| a.report_title.clone());
            match &a.date {
                Some(date) => format!("{who} on {date}"),
                None => who,
            }
        })
        .collect();
    described.join(", ")
}

fn summarise(verdict: &Verdict, inputs: &StatusInputs) -> String {
    let chain_words: Vec<String> = verdict
        .chains
        .iter()
        .map(|chain| chain.origin.clone())
        .collect();
    let chains = match chain_words.len() {
        0 => "no independent chain asserts it".to_string(),
        1 => format!("1 independent chain asserts it: {}", chain_words[0]),
        n => format!(
            "{n} independent chains assert it: {}",
            chain_words.join(" | ")
        ),
    };
    let conflicts: Vec<String> = inputs
        .conflicts
        .iter()
        .filter(|c| verdict.supported_conflicts.contains(&c.claim))
        .map(|c| format!("\"{}\"", c.statement))
        .collect();
    let reason = match verdict.status {
        ClaimStatus::Retracted => "every asserting chain has been retracted".to_string(),
        ClaimStatus::Confirmed => format!(
            "confirmed on the record by a principal or a primary document ({}); {chains}",
            describe_denials(&verdict.confirmations, inputs)
        ),
        ClaimStatus::Denied => format!(
            "denied on the record by a principal ({}); {chains}",
            describe_denials(&verdict.principal_denials, inputs)
        ),
        ClaimStatus::Disputed => {
            let mut parts = Vec::new();
            if !verdict.denials.is_empty() {
                parts.push(format!(
                    "denied or disputed by {}",
                    describe_denials(&verdict.denials, inputs)
                ));
            }
            if !conflicts.is_empty() {
                parts.push(format!("conflicts with {}", conflicts.join(", ")));
            }
            format!("{}; {chains}", parts.join("; "))
        }
        ClaimStatus::Corroborated | ClaimStatus::Reported | ClaimStatus::Unreported => chains,
    };
    let as_of = verdict
        .as_of
        .map(|day| format!(" as of {day}"))
        .unwrap_or_default();
    format!(
        "{}{as_of} by rule {} of {}: {reason}.",
        verdict.status.as_str(),
        verdict.rule,
        verdict.rule_version
    )
}
