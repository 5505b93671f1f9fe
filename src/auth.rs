//! Who may read and who may write: bearer tokens, compared in constant time. Plain Rust,
//! so the HTTP layer (headers) and the WebSocket layer (`connection_init`) decide alike.

use std::fmt;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// What a request may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// No valid token: queries and subscriptions only.
    Anonymous,
    /// A read token: queries and subscriptions only.
    Read,
    /// Mutations too.
    Write,
}

/// Why a request was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Reads need a token and none (or an unknown one) was given.
    Unauthenticated,
}

/// The tokens a server accepts. Several of each kind may be valid at once, so a token can
/// be rotated without downtime. Only their SHA-256 digests are kept in memory.
#[derive(Clone, Default)]
pub struct TokenPolicy {
    write: Vec<[u8; 32]>,
    read: Vec<[u8; 32]>,
    anonymous_writes: bool,
}

impl fmt::Debug for TokenPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Counts only: tokens, even hashed, never reach a log.
        f.debug_struct("TokenPolicy")
            .field("write_tokens", &self.write.len())
            .field("read_tokens", &self.read.len())
            .field("anonymous_writes", &self.anonymous_writes)
            .finish()
    }
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Whether `token` is one of `known`, looking at every one of them whatever matches, so
/// that timing tells nothing about which or how much matched.
fn is_one_of(token: &str, known: &[[u8; 32]]) -> bool {
    let presented = digest(token);
    known
        .iter()
        .fold(subtle::Choice::from(0), |found, k| {
            found | k.ct_eq(&presented)
        })
        .into()
}

impl TokenPolicy {
    /// A policy over these tokens. Without write tokens, writes are anonymous only when
    /// `anonymous_writes`; without read tokens, anyone may read.
    pub fn new(write: &[String], read: &[String], anonymous_writes: bool) -> Self {
        let keep = |tokens: &[String]| {
            tokens
                .iter()
                .map(|t| t.trim())
                .filter(|t| !t.is_empty())
                .map(digest)
                .collect()
        };
        Self {
            write: keep(write),
            read: keep(read),
            anonymous_writes,
        }
    }

    /// Whether some write token is configured.
    pub fn has_write_tokens(&self) -> bool {
        !self.write.is_empty()
    }

    /// Whether anyone may write without a token.
    pub fn allows_anonymous_writes(&self) -> bool {
        self.write.is_empty() && self.anonymous_writes
    }

    /// What a request presenting `token` (the bearer token, if any) may do.
    pub fn access(&self, token: Option<&str>) -> Result<Access, Refusal> {
        if let Some(token) = token {
            if is_one_of(token, &self.write) {
                return Ok(Access::Write);
            }
            if is_one_of(token, &self.read) {
                return Ok(match self.anonymous_access() {
                    Access::Write => Access::Write,
                    _ => Access::Read,
                });
            }
        }
        if self.read.is_empty() {
            Ok(self.anonymous_access())
        } else {
            Err(Refusal::Unauthenticated)
        }
    }

    fn anonymous_access(&self) -> Access {
        if self.allows_anonymous_writes() {
            Access::Write
        } else {
            Access::Anonymous
        }
    }
}

/// The token of an `Authorization: Bearer <token>` value.
pub fn bearer(header: &str) -> Option<&str> {
    let (scheme, token) = header.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(list: &[&str]) -> Vec<String> {
        list.iter().map(|t| t.to_string()).collect()
    }

    #[test]
    fn any_of_several_write_tokens_writes_and_others_only_read() {
        let policy = TokenPolicy::new(&tokens(&["old", "new"]), &[], false);
        assert_eq!(policy.access(Some("old")), Ok(Access::Write));
        assert_eq!(policy.access(Some("new")), Ok(Access::Write));
        assert_eq!(policy.access(Some("guess")), Ok(Access::Anonymous));
        assert_eq!(policy.access(None), Ok(Access::Anonymous));
    }

    #[test]
    fn read_tokens_close_reads_to_everyone_else() {
        let policy = TokenPolicy::new(&tokens(&["w"]), &tokens(&["r"]), false);
        assert_eq!(policy.access(Some("r")), Ok(Access::Read));
        assert_eq!(policy.access(Some("w")), Ok(Access::Write));
        assert_eq!(policy.access(None), Err(Refusal::Unauthenticated));
        assert_eq!(policy.access(Some("x")), Err(Refusal::Unauthenticated));
    }

    #[test]
    fn anonymous_writes_only_without_write_tokens_and_only_when_allowed() {
        assert_eq!(
            TokenPolicy::new(&[], &[], true).access(None),
            Ok(Access::Write)
        );
        assert_eq!(
            TokenPolicy::new(&[], &[], false).access(None),
            Ok(Access::Anonymous)
        );
        assert_eq!(
            TokenPolicy::new(&tokens(&["w"]), &[], true).access(None),
            Ok(Access::Anonymous)
        );
    }

    #[test]
    fn bearer_takes_the_token_of_the_bearer_scheme_only() {
        assert_eq!(bearer("Bearer abc"), Some("abc"));
        assert_eq!(bearer("bearer  abc "), Some("abc"));
        assert_eq!(bearer("Basic abc"), None);
        assert_eq!(bearer("Bearer "), None);
    }

    #[test]
    fn debug_shows_counts_not_tokens() {
        let shown = format!(
            "{:?}",
            TokenPolicy::new(&tokens(&["secret-token"]), &[], false)
        );
        assert!(!shown.contains("secret"), "{shown}");
    }
}
