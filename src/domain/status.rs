//! The derived status of a claim: one pure function over the evidence, with a documented,
//! versioned rule that returns the inputs it used.
//!
//! The rule's text is [`RULE_TEXT`], served by `statusRule`: the one place it is written.
//! Each clause below names the part of it that it implements.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;

use crate::model::{NodeId, ReportKind, ReportedDate, Stance};

/// The version of the rule, returned with every verdict.
pub const RULE_VERSION: &str = "kg-status/2";

/// The rule in words, as the API serves it.
pub const RULE_TEXT: &str = "First match wins. \
1 RETRACTED: every asserting chain has been retracted. \
2 CONFIRMED: confirmed on the record by a principal or by a primary document, and neither denied nor contradicted by a supported conflicting claim (a dispute does not block it). \
3 DENIED: denied on the record by a principal, and at most one independent chain asserts it. \
4 DISPUTED: any denial or dispute, or a conflicting claim that has support. \
5 CORROBORATED: two or more independent chains assert or confirm it. \
6 REPORTED: one chain. \
7 UNREPORTED: no assertion counted. \
Principals are the claim's parties (its subject and value when people or organisations, an event's participants) and the organisations they serve or belong to, through position and partOf links, at the time of the assertion; a link with unknown dates counts. \
A retraction withdraws its publisher's earlier assertions of the claim, whatever their stance. \
A denial or dispute of an event's occurrence counts against every claim about the event (its participants, place, time, duration, topics). \
A chain's origin is the sources an assertion cites, or the outlet when it cites none; a report that relays another shares its origin; anonymous sources with the same affiliation and description count once, and unaffiliated anonymous sources count once only within one outlet. \
Every assertion is counted in exactly one chain, as a denial, as a retraction, or excluded with its reason. \
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

    /// How well supported a claim with this status is, for "at least" filters:
    /// CONFIRMED > CORROBORATED > REPORTED > DISPUTED > DENIED > RETRACTED = UNREPORTED.
    pub fn support(self) -> u8 {
        match self {
            ClaimStatus::Confirmed => 5,
            ClaimStatus::Corroborated => 4,
            ClaimStatus::Reported => 3,
            ClaimStatus::Disputed => 2,
            ClaimStatus::Denied => 1,
            ClaimStatus::Retracted | ClaimStatus::Unreported => 0,
        }
    }

    /// The statuses at least as well supported as this one.
    pub fn at_least(self) -> Vec<ClaimStatus> {
        ClaimStatus::ALL
            .into_iter()
            .filter(|s| s.support() >= self.support())
            .collect()
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

/// Someone whose word on the record is a party's: a party itself (always), or an
/// organisation a party serves or belongs to, over the days that link holds.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Principal {
    pub id: NodeId,
    /// The first day the link may hold; `None` when unknown or for a party.
    pub from: Option<NaiveDate>,
    /// The last day the link may hold; `None` when open, unknown, or for a party.
    pub until: Option<NaiveDate>,
}

impl Principal {
    /// A party to the claim: a principal on any day.
    pub fn party(id: NodeId) -> Self {
        Self {
            id,
            from: None,
            until: None,
        }
    }

    /// Whether the link may hold on some day the assertion may have been made. An undated
    /// assertion, or a link with unknown dates, counts.
    fn holds_for(&self, date: Option<&ReportedDate>) -> bool {
        let Some(date) = date else {
            return true;
        };
        let starts_in_time = date
            .latest()
            .is_none_or(|last| self.from.is_none_or(|from| from <= last));
        let ends_in_time = self.until.is_none_or(|until| date.earliest() <= until);
        starts_in_time && ends_in_time
    }
}

/// The occurrence of the event a claim is about, with its own assertions: a denial of it
/// counts against the claim.
#[derive(Clone, Debug, PartialEq)]
pub struct PresupposedFacts {
    pub claim: NodeId,
    pub statement: String,
    pub assertions: Vec<AssertionFacts>,
}

/// Everything the rule reads about one claim.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct StatusInputs {
    pub assertions: Vec<AssertionFacts>,
    /// Parties to the claim and the organisations they serve, each with when.
    pub principals: Vec<Principal>,
    pub conflicts: Vec<ConflictFacts>,
    /// The occurrence claims of the events the claim is about (none for an occurrence claim
    /// itself, or a claim about no event).
    pub presupposes: Vec<PresupposedFacts>,
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
    /// Denying or disputing assertions counted, the claim's own and those of the event
    /// occurrence it presupposes.
    pub denials: Vec<NodeId>,
    /// Those of the denials made of the presupposed event's occurrence.
    pub presupposition_denials: Vec<NodeId>,
    /// Retractions counted (what each withdrew is in `excluded`).
    pub retractions: Vec<NodeId>,
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

/// Whether the assertion speaks for a principal on the record, as the principals stood
/// when it was made.
fn on_record_by_principal(assertion: &AssertionFacts, principals: &[Principal]) -> bool {
    let principal = |id: &NodeId| {
        principals
            .iter()
            .any(|p| &p.id == id && p.holds_for(assertion.date.as_ref()))
    };
    let named_principal_source = assertion.sources.iter().any(|source| {
        !source.anonymous
            && (source.person.as_ref().is_some_and(principal)
                || source.affiliation.as_ref().is_some_and(principal))
    });
    let own_statement = assertion.sources.iter().all(|source| !source.anonymous)
        && assertion.publisher.as_ref().is_some_and(principal);
    named_principal_source || own_statement
}

/// Who issued an assertion: its publisher, or its report when the publisher is unknown.
fn issuer(assertion: &AssertionFacts) -> NodeId {
    assertion
        .publisher
        .clone()
        .unwrap_or_else(|| assertion.report.clone())
}

impl AssertionFacts {
    /// Who made the assertion, in words: its publisher, else its report's title; a
    /// reference work says so, so that background knowledge never reads as reporting.
    pub fn issuer_words(&self) -> String {
        let who = self
            .publisher_name
            .clone()
            .unwrap_or_else(|| self.report_title.clone());
        if self.report_kind == ReportKind::Reference {
            format!("the reference \"{}\"", self.report_title)
        } else {
            who
        }
    }
}

/// What each retraction withdraws: the same issuer's earlier assertions of the claim,
/// whatever their stance, by id, with the retraction that withdrew them.
fn retracted(assertions: &[&AssertionFacts]) -> BTreeMap<NodeId, NodeId> {
    let mut withdrawn = BTreeMap::new();
    for retraction in assertions.iter().filter(|a| a.stance == Stance::Retracts) {
        for earlier in assertions.iter().filter(|a| a.stance != Stance::Retracts) {
            let before = match (&earlier.date, &retraction.date) {
                (Some(e), Some(r)) => e.earliest() <= r.latest().unwrap_or(e.earliest()),
                _ => true,
            };
            if issuer(earlier) == issuer(retraction) && before {
                withdrawn
                    .entry(earlier.id.clone())
                    .or_insert_with(|| retraction.id.clone());
            }
        }
    }
    withdrawn
}

fn source_origin(source: &SourceFacts, assertion: &AssertionFacts) -> (String, String) {
    let affiliation = source.affiliation.as_ref().map(NodeId::to_string);
    let key = match (&source.affiliation, source.anonymous, &source.person) {
        // With nothing to tell them apart, "a person familiar with the matter" in two
        // outlets is two people: the same words are one origin only within one outlet.
        (None, true, _) => format!(
            "anonymous|outlet:{}|{}",
            issuer(assertion),
            source.description.trim().to_lowercase()
        ),
        (_, true, _) => format!(
            "anonymous|{}|{}",
            affiliation.unwrap_or_default(),
            source.description.trim().to_lowercase()
        ),
        (_, false, Some(person)) => format!("person|{person}"),
        (_, false, None) => format!(
            "named|{}|{}",
            affiliation.unwrap_or_default(),
            source.description
        ),
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
        return Some(
            assertion
                .sources
                .iter()
                .map(|s| source_origin(s, assertion))
                .collect(),
        );
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
    let outlet = issuer(assertion);
    Some(vec![(format!("outlet|{outlet}"), assertion.issuer_words())])
}

/// Groups supporting assertions into independent chains: assertions sharing any origin are
/// one chain.
fn chains(supporting: &[&AssertionFacts], excluded: &mut Vec<Excluded>) -> Vec<Chain> {
    let reports_asserting: BTreeSet<NodeId> = supporting.iter().map(|a| a.report.clone()).collect();
    let mut groups: Vec<(BTreeMap<String, String>, Vec<NodeId>)> = Vec::new();
    for assertion in supporting {
        let Some(origins) = origins(assertion, &reports_asserting) else {
            excluded.push(Excluded {
                assertion: assertion.id.clone(),
                reason: format!(
                    "{} relays a report that makes the same claim: it adds no chain of its own",
                    assertion.report_title
                ),
            });
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

/// The assertions that count by `as_of`; the others go to `excluded` with why.
fn counted_by<'a>(
    assertions: &'a [AssertionFacts],
    as_of: Option<NaiveDate>,
    excluded: &mut Vec<Excluded>,
) -> Vec<&'a AssertionFacts> {
    assertions
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
        .collect()
}

/// Those assertions that a retraction did not withdraw; the withdrawn go to `excluded`.
fn unwithdrawn<'a>(
    counted: &[&'a AssertionFacts],
    excluded: &mut Vec<Excluded>,
) -> Vec<&'a AssertionFacts> {
    let withdrawn = retracted(counted);
    counted
        .iter()
        .copied()
        .filter(|a| match withdrawn.get(&a.id) {
            Some(retraction) => {
                excluded.push(Excluded {
                    assertion: a.id.clone(),
                    reason: format!("retracted by its publisher ({retraction})"),
                });
                false
            }
            None => true,
        })
        .collect()
}

fn is_denial(assertion: &&AssertionFacts) -> bool {
    matches!(assertion.stance, Stance::Denies | Stance::Disputes)
}

/// Derives a claim's status from its evidence, counting only what was said by `as_of`.
/// Every assertion of the claim ends in exactly one of: a chain, `denials`, `retractions`,
/// `excluded`.
pub fn derive_status(inputs: &StatusInputs, as_of: Option<NaiveDate>) -> Verdict {
    let mut excluded = Vec::new();
    let counted = counted_by(&inputs.assertions, as_of, &mut excluded);
    let all_supporting = counted.iter().filter(|a| a.stance.supports()).count();
    let standing = unwithdrawn(&counted, &mut excluded);
    let retractions: Vec<&AssertionFacts> = counted
        .iter()
        .copied()
        .filter(|a| a.stance == Stance::Retracts)
        .collect();
    let supporting: Vec<&AssertionFacts> = standing
        .iter()
        .copied()
        .filter(|a| a.stance.supports())
        .collect();
    let own_denials: Vec<&AssertionFacts> = standing.iter().copied().filter(is_denial).collect();
    // The presupposed event's occurrence: its standing denials count against this claim.
    let mut presupposition_denials: Vec<&AssertionFacts> = Vec::new();
    for presupposed in &inputs.presupposes {
        let mut ignored = Vec::new();
        let counted = counted_by(&presupposed.assertions, as_of, &mut ignored);
        presupposition_denials.extend(
            unwithdrawn(&counted, &mut ignored)
                .into_iter()
                .filter(is_denial),
        );
    }
    let denials: Vec<&AssertionFacts> = own_denials
        .iter()
        .chain(presupposition_denials.iter())
        .copied()
        .collect();
    let principal_denials: Vec<&AssertionFacts> = denials
        .iter()
        .copied()
        .filter(|a| a.stance == Stance::Denies && on_record_by_principal(a, &inputs.principals))
        .collect();
    let outright_denials = denials.iter().any(|a| a.stance == Stance::Denies);
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
            let mut ignored = Vec::new();
            let counted = counted_by(&conflict.assertions, as_of, &mut ignored);
            unwithdrawn(&counted, &mut ignored)
                .iter()
                .any(|a| a.stance.supports())
        })
        .map(|conflict| conflict.claim.clone())
        .collect();
    let chains = chains(&supporting, &mut excluded);

    let (status, rule) = if all_supporting > 0 && supporting.is_empty() {
        (ClaimStatus::Retracted, 1)
    } else if !confirmations.is_empty() && !outright_denials && supported_conflicts.is_empty() {
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
        presupposition_denials: ids(&presupposition_denials),
        retractions: ids(&retractions),
        principal_denials: ids(&principal_denials),
        supported_conflicts,
        confirmations: ids(&confirmations),
        excluded,
        as_of,
    };
    verdict.summary = super::summary::summarise(&verdict, inputs);
    verdict
}
