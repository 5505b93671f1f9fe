//! Import errors: each names the input path it is about and carries a stable code.

use std::fmt;

use crate::domain::DomainError;

/// One step of an input path: a field name or a list index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathSegment {
    Field(&'static str),
    Index(usize),
}

impl fmt::Display for PathSegment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PathSegment::Field(name) => f.write_str(name),
            PathSegment::Index(index) => write!(f, "{index}"),
        }
    }
}

/// Stable codes importers can switch on; they appear as `extensions.code`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputErrorCode {
    /// A required value is missing or blank.
    Required,
    /// A value is malformed or out of range.
    InvalidValue,
    /// A key is used twice where it must be unique.
    DuplicateKey,
    /// A key refers to nothing in this input or in the store.
    UnknownReference,
    /// A key refers to a node of the wrong kind.
    WrongType,
    /// The attribute is not in the catalogue.
    UnknownAttribute,
    /// A claim the report introduces is not asserted by any of its assertions.
    UnassertedClaim,
    /// The report was already imported with different content.
    ReportConflict,
}

impl InputErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            InputErrorCode::Required => "REQUIRED",
            InputErrorCode::InvalidValue => "INVALID_VALUE",
            InputErrorCode::DuplicateKey => "DUPLICATE_KEY",
            InputErrorCode::UnknownReference => "UNKNOWN_REFERENCE",
            InputErrorCode::WrongType => "WRONG_TYPE",
            InputErrorCode::UnknownAttribute => "UNKNOWN_ATTRIBUTE",
            InputErrorCode::UnassertedClaim => "UNASSERTED_CLAIM",
            InputErrorCode::ReportConflict => "REPORT_CONFLICT",
        }
    }
}

/// One thing wrong with an input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputError {
    pub path: Vec<PathSegment>,
    pub code: InputErrorCode,
    pub message: String,
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path: Vec<String> = self.path.iter().map(ToString::to_string).collect();
        write!(
            f,
            "{}: {} ({})",
            path.join("."),
            self.message,
            self.code.as_str()
        )
    }
}

/// Why an import wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum ImportFailure {
    #[error("the input is invalid: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<InputError>),
    #[error(transparent)]
    Domain(#[from] DomainError),
}

impl ImportFailure {
    /// Whether another import committed between this one's reads and its write, so that
    /// deriving it again may succeed.
    pub fn is_stale(&self) -> bool {
        matches!(self, ImportFailure::Domain(error) if error.is_stale())
    }
}
