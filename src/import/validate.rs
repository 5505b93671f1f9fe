//! Shape checks that need no store: required values, formats, keys, internal references.

use std::collections::BTreeSet;

use super::error::{InputError, InputErrorCode, PathSegment};
use super::input::{ClaimInput, ClaimValueInput, EntityType, ReportInput};
use crate::domain::attributes::attribute;
use crate::model::ReportedDate;

/// Collects errors under a path prefix.
#[derive(Clone)]
pub(super) struct Checker {
    pub errors: Vec<InputError>,
}

pub(super) type Path = Vec<PathSegment>;

pub(super) fn at(base: &Path, rest: &[PathSegment]) -> Path {
    base.iter().chain(rest).cloned().collect()
}

pub(super) use PathSegment::{Field as F, Index as I};

impl Checker {
    pub fn new() -> Self {
        Self { errors: Vec::new() }
    }

    pub fn fail(&mut self, path: Path, code: InputErrorCode, message: impl Into<String>) {
        self.errors.push(InputError {
            path,
            code,
            message: message.into(),
        });
    }

    fn required(&mut self, path: Path, value: &str, what: &str) {
        if value.trim().is_empty() {
            self.fail(
                path,
                InputErrorCode::Required,
                format!("{what} must not be blank"),
            );
        }
    }

    pub fn key(&mut self, path: Path, key: &str) {
        if key.is_empty() || key.len() > 512 {
            self.fail(
                path,
                InputErrorCode::InvalidValue,
                "a key has 1 to 512 characters",
            );
        } else if key
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '#')
        {
            self.fail(
                path,
                InputErrorCode::InvalidValue,
                format!("key `{key}` must not contain spaces, control characters or '#'"),
            );
        }
    }

    pub fn date(&mut self, path: Path, text: Option<&str>) -> Option<ReportedDate> {
        let text = text?;
        match text.parse() {
            Ok(date) => Some(date),
            Err(error) => {
                self.fail(path, InputErrorCode::InvalidValue, error.to_string());
                None
            }
        }
    }

    /// An inference's reasoning: given only with the value it explains, and not blank.
    fn inference(&mut self, path: Path, reasoning: Option<&str>, has_value: bool, what: &str) {
        let Some(reasoning) = reasoning else {
            return;
        };
        if !has_value {
            self.fail(
                path,
                InputErrorCode::InvalidValue,
                format!("an inference's reasoning needs the {what} it explains"),
            );
        } else {
            self.required(path, reasoning, "the reasoning");
        }
    }

    fn unique<'a>(&mut self, base: &Path, list: &'static str, keys: impl Iterator<Item = &'a str>) {
        let mut seen = BTreeSet::new();
        for (index, key) in keys.enumerate() {
            if !seen.insert(key) {
                self.fail(
                    at(base, &[F(list), I(index), F("key")]),
                    InputErrorCode::DuplicateKey,
                    format!("`{key}` is used twice in {list}"),
                );
            }
        }
    }
}

/// The error for a report key already imported with other content.
pub(super) fn report_conflict(checker: &mut Checker, base: &Path, key: &str) {
    checker.fail(
        at(base, &[F("key")]),
        InputErrorCode::ReportConflict,
        format!("report `{key}` was already imported with different content"),
    );
}

/// The report's natural key: its key, else its URL.
pub(super) fn report_key(input: &ReportInput) -> Option<&str> {
    input.key.as_deref().or(input.url.as_deref())
}

/// Checks everything about one report that needs no store.
pub(super) fn check_shape(checker: &mut Checker, base: &Path, input: &ReportInput) {
    match report_key(input) {
        Some(key) => checker.key(at(base, &[F("key")]), key),
        None => checker.fail(
            at(base, &[F("key")]),
            InputErrorCode::Required,
            "a report needs a key or a url",
        ),
    }
    checker.required(at(base, &[F("title")]), &input.title, "title");
    if let Some(url) = &input.url {
        if !(url.starts_with("https://") || url.starts_with("http://")) || url.contains(' ') {
            checker.fail(
                at(base, &[F("url")]),
                InputErrorCode::InvalidValue,
                format!("`{url}` is not an http(s) URL"),
            );
        }
    }
    checker.date(at(base, &[F("publishedAt")]), input.published_at.as_deref());
    checker.inference(
        at(base, &[F("publishedAtInferred")]),
        input.published_at_inferred.as_deref(),
        input.published_at.is_some(),
        "publishedAt",
    );
    if input.assertions.is_empty() {
        checker.fail(
            at(base, &[F("assertions")]),
            InputErrorCode::Required,
            "a report makes at least one assertion",
        );
    }

    for (index, entity) in input.entities.iter().enumerate() {
        let path = at(base, &[F("entities"), I(index)]);
        checker.key(at(&path, &[F("key")]), &entity.key);
        checker.required(at(&path, &[F("name")]), &entity.name, "name");
        if entity.organization_kind.is_some() && entity.entity_type != EntityType::Organization {
            checker.fail(
                at(&path, &[F("organizationKind")]),
                InputErrorCode::InvalidValue,
                "only an organisation has an organizationKind",
            );
        }
    }
    checker.unique(
        base,
        "entities",
        input.entities.iter().map(|e| e.key.as_str()),
    );

    for (index, source) in input.sources.iter().enumerate() {
        let path = at(base, &[F("sources"), I(index)]);
        checker.key(at(&path, &[F("key")]), &source.key);
        checker.required(
            at(&path, &[F("description")]),
            &source.description,
            "description",
        );
        if source.count == 0 {
            checker.fail(
                at(&path, &[F("count")]),
                InputErrorCode::InvalidValue,
                "a source counts at least one person",
            );
        }
    }
    checker.unique(
        base,
        "sources",
        input.sources.iter().map(|s| s.key.as_str()),
    );

    for (index, claim) in input.claims.iter().enumerate() {
        check_claim(checker, &at(base, &[F("claims"), I(index)]), claim);
    }
    checker.unique(base, "claims", input.claims.iter().map(|c| c.key.as_str()));

    let source_keys: BTreeSet<&str> = input.sources.iter().map(|s| s.key.as_str()).collect();
    let mut assertion_keys = BTreeSet::new();
    for (index, assertion) in input.assertions.iter().enumerate() {
        let path = at(base, &[F("assertions"), I(index)]);
        if let Some(key) = &assertion.key {
            checker.key(at(&path, &[F("key")]), key);
        }
        let key = assertion.key.clone().unwrap_or_else(|| index.to_string());
        if !assertion_keys.insert(key.clone()) {
            checker.fail(
                at(&path, &[F("key")]),
                InputErrorCode::DuplicateKey,
                format!("assertion key `{key}` is used twice"),
            );
        }
        checker.date(at(&path, &[F("madeAt")]), assertion.made_at.as_deref());
        for (cite_index, cited) in assertion.cites.iter().enumerate() {
            if !source_keys.contains(cited.as_str()) {
                checker.fail(
                    at(&path, &[F("cites"), I(cite_index)]),
                    InputErrorCode::UnknownReference,
                    format!("`{cited}` is not one of this report's sources"),
                );
            }
        }
    }

    let asserted: BTreeSet<&str> = input.assertions.iter().map(|a| a.claim.as_str()).collect();
    for (index, claim) in input.claims.iter().enumerate() {
        if !asserted.contains(claim.key.as_str()) {
            checker.fail(
                at(base, &[F("claims"), I(index)]),
                InputErrorCode::UnassertedClaim,
                format!(
                    "claim `{}` is introduced but no assertion of this report is about it",
                    claim.key
                ),
            );
        }
    }
}

fn check_claim(checker: &mut Checker, path: &Path, claim: &ClaimInput) {
    checker.key(at(path, &[F("key")]), &claim.key);
    checker.required(at(path, &[F("statement")]), &claim.statement, "statement");
    checker.date(at(path, &[F("validFrom")]), claim.valid_from.as_deref());
    checker.date(at(path, &[F("validTo")]), claim.valid_to.as_deref());
    checker.inference(
        at(path, &[F("valueInferred")]),
        claim.value_inferred.as_deref(),
        claim.value.is_some(),
        "value",
    );
    let Some(spec) = attribute(&claim.attribute) else {
        checker.fail(
            at(path, &[F("attribute")]),
            InputErrorCode::UnknownAttribute,
            format!(
                "`{}` is not in the attribute catalogue (see the `attributes` query)",
                claim.attribute
            ),
        );
        return;
    };
    use crate::domain::attributes::ValueKind as K;
    let fits = matches!(
        (spec.value, &claim.value),
        (K::None, None)
            | (K::Entity(_), Some(ClaimValueInput::Entity(_)))
            | (K::Text, Some(ClaimValueInput::Text(_)))
            | (K::Date, Some(ClaimValueInput::Date(_)))
            | (K::Number, Some(ClaimValueInput::Number(_)))
    );
    if !fits {
        let wanted = match spec.value {
            K::None => "no value",
            K::Entity(_) => "an entity value",
            K::Text => "a text value",
            K::Date => "a date value",
            K::Number => "a number value",
        };
        checker.fail(
            at(path, &[F("value")]),
            InputErrorCode::InvalidValue,
            format!("attribute `{}` takes {wanted}", spec.name),
        );
    }
    match &claim.value {
        Some(ClaimValueInput::Date(text)) => {
            checker.date(at(path, &[F("value"), F("date")]), Some(text));
        }
        Some(ClaimValueInput::Number(n)) if !n.is_finite() => checker.fail(
            at(path, &[F("value"), F("number")]),
            InputErrorCode::InvalidValue,
            "a number must be finite",
        ),
        Some(ClaimValueInput::Text(text)) => {
            checker.required(at(path, &[F("value"), F("text")]), text, "text value")
        }
        _ => {}
    }
}
