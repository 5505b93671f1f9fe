//! Dates as precise as the sources allow.
//!
//! A report may say "17 November 2024", "November 2024", or only that something happened
//! between two events ("after the meeting and before the denial"). A [`ReportedDate`] keeps
//! the range of days it may fall on, written as an EDTF-style string:
//! `2024-11-17` (day), `2024-11` (month), `2024` (year), `2024-11-11/2024-11-17` (range),
//! `2024-11-17/..` (on or after).

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// How precisely a [`ReportedDate`] is known.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DatePrecision {
    Day,
    Month,
    Year,
    Range,
}

/// A day, month, year or range of days, as precise as a source allows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ReportedDate {
    earliest: NaiveDate,
    latest: Option<NaiveDate>,
    precision: DatePrecision,
}

/// Why a date string was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("`{0}` is not a date: expected YYYY-MM-DD, YYYY-MM, YYYY, FROM/TO or FROM/..")]
pub struct DateParseError(pub String);

impl ReportedDate {
    /// A date known to the day.
    pub fn day(date: NaiveDate) -> Self {
        Self {
            earliest: date,
            latest: Some(date),
            precision: DatePrecision::Day,
        }
    }

    /// The first day it may fall on.
    pub fn earliest(&self) -> NaiveDate {
        self.earliest
    }

    /// The last day it may fall on, `None` when open-ended.
    pub fn latest(&self) -> Option<NaiveDate> {
        self.latest
    }

    pub fn precision(&self) -> DatePrecision {
        self.precision
    }

    /// Whether something dated so may already have happened on `day`.
    ///
    /// This is the `asOf` rule: an imprecise date counts from its earliest possible day, so a
    /// report known only to fall between the meeting and the denial counts on any day of
    /// that range. A date known to the day counts from that day.
    pub fn may_be_on_or_before(&self, day: NaiveDate) -> bool {
        self.earliest <= day
    }
}

fn parse_single(text: &str) -> Option<(NaiveDate, NaiveDate, DatePrecision)> {
    let parts: Vec<&str> = text.split('-').collect();
    let number = |s: &str, len: usize| -> Option<u32> {
        (s.len() == len && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    match parts.as_slice() {
        [y] => {
            let y = number(y, 4)? as i32;
            let first = NaiveDate::from_ymd_opt(y, 1, 1)?;
            let last = NaiveDate::from_ymd_opt(y, 12, 31)?;
            Some((first, last, DatePrecision::Year))
        }
        [y, m] => {
            let (y, m) = (number(y, 4)? as i32, number(m, 2)?);
            let first = NaiveDate::from_ymd_opt(y, m, 1)?;
            let next = if m == 12 {
                NaiveDate::from_ymd_opt(y + 1, 1, 1)?
            } else {
                NaiveDate::from_ymd_opt(y, m + 1, 1)?
            };
            Some((first, next.pred_opt()?, DatePrecision::Month))
        }
        [y, m, d] => {
            let day = NaiveDate::from_ymd_opt(number(y, 4)? as i32, number(m, 2)?, number(d, 2)?)?;
            Some((day, day, DatePrecision::Day))
        }
        _ => None,
    }
}

impl FromStr for ReportedDate {
    type Err = DateParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let refuse = || DateParseError(text.to_string());
        let text = text.trim();
        if let Some((from, to)) = text.split_once('/') {
            let (earliest, _, _) = parse_single(from).ok_or_else(refuse)?;
            let latest = if to == ".." {
                None
            } else {
                Some(parse_single(to).ok_or_else(refuse)?.1)
            };
            if latest.is_some_and(|latest| latest < earliest) {
                return Err(refuse());
            }
            return Ok(Self {
                earliest,
                latest,
                precision: DatePrecision::Range,
            });
        }
        let (earliest, latest, precision) = parse_single(text).ok_or_else(refuse)?;
        Ok(Self {
            earliest,
            latest: Some(latest),
            precision,
        })
    }
}

impl TryFrom<String> for ReportedDate {
    type Error = DateParseError;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

impl From<ReportedDate> for String {
    fn from(date: ReportedDate) -> Self {
        date.to_string()
    }
}

impl fmt::Display for ReportedDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let e = self.earliest;
        match (self.precision, self.latest) {
            (DatePrecision::Day, _) => write!(f, "{}", e.format("%Y-%m-%d")),
            (DatePrecision::Month, _) => write!(f, "{:04}-{:02}", e.year(), e.month()),
            (DatePrecision::Year, _) => write!(f, "{:04}", e.year()),
            (DatePrecision::Range, Some(l)) => {
                write!(f, "{}/{}", e.format("%Y-%m-%d"), l.format("%Y-%m-%d"))
            }
            (DatePrecision::Range, None) => write!(f, "{}/..", e.format("%Y-%m-%d")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn a_month_spans_all_its_days() {
        let date: ReportedDate = "2024-02".parse().unwrap();
        assert_eq!(date.earliest(), d("2024-02-01"));
        assert_eq!(date.latest(), Some(d("2024-02-29")));
        assert_eq!(date.to_string(), "2024-02");
    }

    #[test]
    fn a_range_counts_from_its_first_day() {
        let date: ReportedDate = "2024-11-11/2024-11-17".parse().unwrap();
        assert!(!date.may_be_on_or_before(d("2024-11-10")));
        assert!(date.may_be_on_or_before(d("2024-11-11")));
        assert_eq!(date.precision(), DatePrecision::Range);
    }

    #[test]
    fn open_ranges_and_round_trips_are_kept() {
        for text in [
            "2024-11-17/..",
            "1971-06-28",
            "2023",
            "2024-11-11/2024-11-17",
        ] {
            assert_eq!(text.parse::<ReportedDate>().unwrap().to_string(), text);
        }
    }

    #[test]
    fn malformed_or_backwards_dates_are_refused() {
        for text in [
            "",
            "24-11-17",
            "2024-13",
            "2024-11-31",
            "2024-11-17/2024-11-01",
            "soon",
        ] {
            assert!(text.parse::<ReportedDate>().is_err(), "{text}");
        }
    }
}
