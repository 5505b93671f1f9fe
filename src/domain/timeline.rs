//! A claim's status over time, derived by the pure rule and stored on the claim at import
//! (materialised), so that reading a status costs no evidence gathering.
//!
//! The rule counts an assertion (the claim's own, a conflicting claim's, or one about the
//! occurrence of the event the claim presupposes) from the earliest day its date allows, so
//! the status can change only on those days: the timeline is the rule's verdict just before the first of
//! them, then on each of them where it changes. Its last entry is the status with every
//! assertion counted, which is the status with no `asOf`.

use chrono::NaiveDate;
use serde_json::{json, Value};

use super::status::{derive_status, ClaimStatus, StatusInputs, RULE_VERSION};
use crate::model::record::derived::SUPPORT_RANK;
use crate::model::record::{support_of_rank, support_rank, Props};

pub use crate::model::record::derived::{STATUS, STATUS_RULE, STATUS_TIMELINE};

/// The status from each day on which it changes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusTimeline {
    pub rule: String,
    /// In day order; the first entry has no day (it holds from the beginning).
    pub entries: Vec<(Option<NaiveDate>, ClaimStatus)>,
    /// Independent asserting chains with everything counted (`contested` ranks by it).
    pub support: usize,
}

impl StatusTimeline {
    /// Derives the timeline from the evidence with the current rule.
    pub fn derive(inputs: &StatusInputs) -> Self {
        let mut days: Vec<NaiveDate> = inputs
            .assertions
            .iter()
            .chain(inputs.conflicts.iter().flat_map(|c| c.assertions.iter()))
            .chain(inputs.presupposes.iter().flat_map(|p| p.assertions.iter()))
            .filter_map(|a| a.date.as_ref().map(|d| d.earliest()))
            .collect();
        days.sort();
        days.dedup();
        let before_all = days.first().and_then(|d| d.pred_opt());
        let mut entries = vec![(None, derive_status(inputs, before_all).status)];
        for day in days {
            let status = derive_status(inputs, Some(day)).status;
            if entries.last().is_some_and(|(_, last)| *last != status) {
                entries.push((Some(day), status));
            }
        }
        Self {
            rule: RULE_VERSION.to_string(),
            entries,
            support: derive_status(inputs, None).chains.len(),
        }
    }

    /// The status as of a day, or with everything counted when `None`.
    pub fn at(&self, as_of: Option<NaiveDate>) -> ClaimStatus {
        let applies = |since: &Option<NaiveDate>| match (since, as_of) {
            (None, _) | (Some(_), None) => true,
            (Some(since), Some(day)) => *since <= day,
        };
        self.entries
            .iter()
            .rev()
            .find(|(since, _)| applies(since))
            .map_or(ClaimStatus::Unreported, |(_, status)| *status)
    }

    /// The properties that store it on the claim.
    pub fn to_props(&self) -> Props {
        let entries: Vec<Value> = self
            .entries
            .iter()
            .map(|(since, status)| {
                let since = since.map(|d| d.to_string()).unwrap_or_default();
                json!(format!("{since}={}", status.as_str()))
            })
            .collect();
        let mut props = Props::new();
        props.insert(STATUS.into(), json!(self.at(None).as_str()));
        props.insert(STATUS_RULE.into(), json!(self.rule));
        props.insert(STATUS_TIMELINE.into(), Value::Array(entries));
        props.insert(SUPPORT_RANK.into(), json!(support_rank(self.support)));
        props
    }

    /// The timeline stored on a claim, when there is one and it parses.
    pub fn from_props(props: &Props) -> Option<Self> {
        let rule = props.get(STATUS_RULE)?.as_str()?.to_string();
        let entries = props
            .get(STATUS_TIMELINE)?
            .as_array()?
            .iter()
            .map(|entry| {
                let (since, status) = entry.as_str()?.split_once('=')?;
                let since = match since {
                    "" => None,
                    day => Some(day.parse().ok()?),
                };
                Some((since, ClaimStatus::parse(status)?))
            })
            .collect::<Option<Vec<_>>>()?;
        let support = props
            .get(SUPPORT_RANK)
            .and_then(Value::as_str)
            .and_then(support_of_rank)
            .unwrap_or(0);
        (!entries.is_empty()).then_some(Self {
            rule,
            entries,
            support,
        })
    }

    /// Whether the current rule derived it.
    pub fn is_current(&self) -> bool {
        self.rule == RULE_VERSION
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> Option<NaiveDate> {
        Some(text.parse().unwrap())
    }

    #[test]
    fn a_timeline_answers_for_any_day_and_round_trips_through_properties() {
        let timeline = StatusTimeline {
            rule: RULE_VERSION.into(),
            entries: vec![
                (None, ClaimStatus::Unreported),
                (day("2024-11-11"), ClaimStatus::Corroborated),
                (day("2024-11-17"), ClaimStatus::Disputed),
            ],
            support: 3,
        };
        assert_eq!(timeline.at(day("2024-11-10")), ClaimStatus::Unreported);
        assert_eq!(timeline.at(day("2024-11-11")), ClaimStatus::Corroborated);
        assert_eq!(timeline.at(day("2024-11-16")), ClaimStatus::Corroborated);
        assert_eq!(timeline.at(day("2025-01-01")), ClaimStatus::Disputed);
        assert_eq!(timeline.at(None), ClaimStatus::Disputed);
        let props = timeline.to_props();
        assert_eq!(props[STATUS], "DISPUTED");
        // Ranked so that more support sorts first.
        assert!(props[SUPPORT_RANK].as_str() < Some(support_rank(2).as_str()));
        assert_eq!(StatusTimeline::from_props(&props), Some(timeline));
    }

    #[test]
    fn a_damaged_timeline_is_not_read() {
        let mut props = Props::new();
        props.insert(STATUS_RULE.into(), json!(RULE_VERSION));
        props.insert(STATUS_TIMELINE.into(), json!(["=MAYBE"]));
        assert_eq!(StatusTimeline::from_props(&props), None);
    }
}
