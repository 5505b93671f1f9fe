//! Scalars and small value types.

use async_graphql::{
    Enum, InputValueError, InputValueResult, Scalar, ScalarType, SimpleObject, Value,
};
use chrono::NaiveDate;

use crate::model::{DatePrecision, ReportedDate};

/// A calendar day, `YYYY-MM-DD`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Date(pub NaiveDate);

/// A calendar day, `YYYY-MM-DD`.
#[Scalar(name = "Date")]
impl ScalarType for Date {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(text) => NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map(Date)
                .map_err(|_| InputValueError::custom(format!("`{text}` is not a YYYY-MM-DD date"))),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.format("%Y-%m-%d").to_string())
    }
}

/// How precisely a date is known.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::model::DatePrecision")]
pub enum Precision {
    /// Known to the day.
    Day,
    /// Known to the month.
    Month,
    /// Known to the year.
    Year,
    /// Known to fall within a range of days.
    Range,
}

/// A date as precise as its source allows: a day, a month, a year or a range of days.
#[derive(SimpleObject)]
pub struct FuzzyDate {
    /// The date as written: `2024-11-17`, `2024-11`, `2024`, `2024-11-11/2024-11-17`, or
    /// `2024-11-17/..` (on or after).
    text: String,
    /// The first day it may fall on.
    earliest: Date,
    /// The last day it may fall on; null when open-ended.
    latest: Option<Date>,
    /// How precisely it is known.
    precision: Precision,
    /// Whether the importer inferred this date rather than a source stating it.
    inferred: bool,
    /// Why the importer inferred it; null when a source states it.
    reasoning: Option<String>,
}

impl FuzzyDate {
    /// A date the importer inferred, with its reasoning.
    pub fn inferred_from(date: &ReportedDate, reasoning: &str) -> Self {
        FuzzyDate {
            inferred: true,
            reasoning: Some(reasoning.to_string()),
            ..date.into()
        }
    }
}

impl From<&ReportedDate> for FuzzyDate {
    /// A date as a source states it.
    fn from(date: &ReportedDate) -> Self {
        let precision: DatePrecision = date.precision();
        FuzzyDate {
            text: date.to_string(),
            earliest: Date(date.earliest()),
            latest: date.latest().map(Date),
            precision: precision.into(),
            inferred: false,
            reasoning: None,
        }
    }
}
