//! Search ranking, shared by every store: a store only finds the candidates (nodes with a
//! word starting with each search term), and this one function orders them, so both stores
//! rank alike.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

use crate::model::record::NAME_SEPARATOR;
use crate::model::NodeId;

/// The most candidates a store hands over for ranking.
pub const MAX_CANDIDATES: usize = 500;

/// A node that matched, with the texts it matched on.
#[derive(Clone, Debug)]
pub struct Candidate {
    pub id: NodeId,
    /// Names, aliases, titles, statements.
    pub primary: String,
    /// Descriptions.
    pub secondary: String,
}

/// The words of a text, lower-cased and without diacritics ("Pésti" is "pesti"), as every
/// store indexes and matches them: SQLite's tokenizer folds diacritics too, so candidates
/// it finds are never dropped by the ranking.
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(|word| {
            word.nfd()
                .filter(|c| !is_combining_mark(*c))
                .collect::<String>()
                .to_lowercase()
        })
        .collect()
}

/// The search terms of a request: its first sixteen words.
pub fn terms(text: &str) -> Vec<String> {
    let mut terms = words(text);
    terms.truncate(16);
    terms
}

fn term_score(term: &str, primary: &[String], secondary: &[String]) -> f64 {
    let best = |words: &[String], exact: f64, prefix: f64| {
        if words.iter().any(|w| w == term) {
            exact
        } else if words.iter().any(|w| w.starts_with(term)) {
            prefix
        } else {
            0.0
        }
    };
    best(primary, 4.0, 2.0).max(best(secondary, 1.0, 0.5))
}

/// Ranks a node whose whole name, alias or title is the search text above every node
/// that merely contains it.
const EXACT_NAME_BONUS: f64 = 1000.0;

/// Whether one of the names in a primary text is, word for word, the search text.
fn names_exactly(primary: &str, terms: &[String]) -> bool {
    primary
        .split(NAME_SEPARATOR)
        .any(|name| words(name) == terms)
}

/// Orders candidates, best first: an exact name, alias or title first, then whole-word
/// matches over prefixes, names and titles over descriptions, shorter names over longer
/// ones, then by id.
pub fn rank(text: &str, candidates: Vec<Candidate>, limit: usize) -> Vec<NodeId> {
    let terms = terms(text);
    let mut scored: Vec<(f64, usize, NodeId)> = candidates
        .into_iter()
        .filter_map(|candidate| {
            let primary = words(&candidate.primary);
            let secondary = words(&candidate.secondary);
            let scores: Vec<f64> = terms
                .iter()
                .map(|t| term_score(t, &primary, &secondary))
                .collect();
            if scores.contains(&0.0) {
                return None;
            }
            let mut score = scores.iter().sum::<f64>() / (1.0 + (primary.len() as f64).ln_1p());
            if names_exactly(&candidate.primary, &terms) {
                score += EXACT_NAME_BONUS;
            }
            Some((score, primary.len(), candidate.id))
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    scored
        .into_iter()
        .take(limit)
        .map(|(_, _, id)| id)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Label;

    fn candidate(key: &str, primary: &str, secondary: &str) -> Candidate {
        Candidate {
            id: NodeId::new(Label::Claim, key),
            primary: primary.into(),
            secondary: secondary.into(),
        }
    }

    #[test]
    fn diacritics_are_folded_on_both_sides() {
        assert_eq!(
            words("Pésti Ferenc, São Paulo"),
            ["pesti", "ferenc", "sao", "paulo"]
        );
        let ranked = rank("pesti", vec![candidate("p", "Pésti Ferenc", "")], 10);
        assert_eq!(
            ranked.len(),
            1,
            "a candidate the store found is not dropped"
        );
        let ranked = rank("Pésti", vec![candidate("p", "Pesti Ferenc", "")], 10);
        assert_eq!(ranked.len(), 1);
    }

    #[test]
    fn a_name_beats_a_longer_statement_and_a_description() {
        let ranked = rank(
            "Iravani",
            vec![
                candidate(
                    "statement",
                    "Amir Saeid Iravani took part in the meeting",
                    "",
                ),
                candidate("name", "Amir Saeid Iravani Iravani", "Iran's ambassador"),
                candidate("description", "The ambassador", "Iravani's residence"),
            ],
            10,
        );
        let keys: Vec<&str> = ranked.iter().map(NodeId::key).collect();
        assert_eq!(keys, ["name", "statement", "description"]);
    }

    #[test]
    fn an_exact_name_or_alias_ranks_above_texts_that_contain_it() {
        let separated = |names: &[&str]| names.join(&format!(" {NAME_SEPARATOR} "));
        let ranked = rank(
            "elon musk",
            vec![
                candidate("claim", "Elon Musk met Iravani", ""),
                candidate("short-claim", "Elon Musk", "a statement, not a name"),
                candidate(
                    "person",
                    &separated(&["Elon Reeve Musk", "Musk", "Elon Musk"]),
                    "",
                ),
                candidate("report", "Did Elon Musk Meet Iran?", ""),
            ],
            10,
        );
        let keys: Vec<&str> = ranked.iter().map(NodeId::key).collect();
        assert_eq!(
            keys[..2],
            ["short-claim", "person"],
            "both are exact: {keys:?}"
        );
        let ranked = rank(
            "Musk",
            vec![
                candidate("statement", "Musk met", ""),
                candidate("alias", &separated(&["Elon Reeve Musk", "Musk"]), ""),
            ],
            10,
        );
        assert_eq!(ranked[0].key(), "alias");
    }

    #[test]
    fn every_term_must_match_the_start_of_a_word() {
        let ranked = rank(
            "sec loc",
            vec![
                candidate("both", "a secret location", ""),
                candidate("one", "a secret", ""),
                candidate("inside", "consecutive allocation", ""),
            ],
            10,
        );
        assert_eq!(ranked, vec![NodeId::new(Label::Claim, "both")]);
    }
}
