//! The verdict in one sentence: which clause matched, on whose word, against whose.

use super::status::{ClaimStatus, StatusInputs, Verdict};
use crate::model::NodeId;

/// Who made these assertions and when, in words: "Ministry of Foreign Affairs of Iran on
/// 2024-11-17".
fn describe(ids: &[NodeId], inputs: &StatusInputs) -> String {
    let described: Vec<String> = inputs
        .assertions
        .iter()
        .chain(inputs.presupposes.iter().flat_map(|p| p.assertions.iter()))
        .filter(|a| ids.contains(&a.id))
        .map(|a| {
            let who = a.issuer_words();
            match &a.date {
                Some(date) => format!("{who} on {date}"),
                None => who,
            }
        })
        .collect();
    described.join(", ")
}

pub(super) fn summarise(verdict: &Verdict, inputs: &StatusInputs) -> String {
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
    let own_denials: Vec<NodeId> = verdict
        .denials
        .iter()
        .filter(|d| !verdict.presupposition_denials.contains(d))
        .cloned()
        .collect();
    let mut against = Vec::new();
    if !own_denials.is_empty() {
        against.push(format!(
            "denied or disputed by {}",
            describe(&own_denials, inputs)
        ));
    }
    if !verdict.presupposition_denials.is_empty() {
        let events: Vec<String> = inputs
            .presupposes
            .iter()
            .map(|p| format!("\"{}\"", p.statement))
            .collect();
        against.push(format!(
            "it presupposes {}, which is denied or disputed by {}",
            events.join(", "),
            describe(&verdict.presupposition_denials, inputs)
        ));
    }
    if !conflicts.is_empty() {
        against.push(format!("conflicts with {}", conflicts.join(", ")));
    }
    let against = against.join("; ");
    let reason = match verdict.status {
        ClaimStatus::Retracted => format!(
            "every asserting chain has been retracted ({})",
            describe(&verdict.retractions, inputs)
        ),
        ClaimStatus::Confirmed if against.is_empty() => format!(
            "confirmed on the record by a principal or a primary document ({}); {chains}",
            describe(&verdict.confirmations, inputs)
        ),
        ClaimStatus::Confirmed => format!(
            "confirmed on the record by a principal or a primary document ({}), which a dispute does not undo ({against}); {chains}",
            describe(&verdict.confirmations, inputs)
        ),
        ClaimStatus::Denied => format!(
            "denied on the record by a principal ({}); {chains}",
            describe(&verdict.principal_denials, inputs)
        ),
        ClaimStatus::Disputed => format!("{against}; {chains}"),
        ClaimStatus::Corroborated | ClaimStatus::Reported | ClaimStatus::Unreported => chains,
    };
    let retractions = if verdict.retractions.is_empty() || verdict.status == ClaimStatus::Retracted
    {
        String::new()
    } else {
        format!(" (retracted: {})", describe(&verdict.retractions, inputs))
    };
    let as_of = verdict
        .as_of
        .map(|day| format!(" as of {day}"))
        .unwrap_or_default();
    format!(
        "{}{as_of} by rule {} of {}: {reason}{retractions}.",
        verdict.status.as_str(),
        verdict.rule,
        verdict.rule_version
    )
}
