//! Personal access codes and sessions.
//!
//! A code is `GROUPID.N.SECRET`: the group id, the member's slot in the group
//! (0 = lead; slots are never reused) and 256 random bits from the operating
//! system, base64url. Only SHA-256 of the whole code is stored; comparison is
//! constant time. The group id and slot let a request find the member with
//! the one read (or the one conditional write) it needs anyway.
//!
//! The emailed link carries a member's *access code*; signing in exchanges it
//! for a *session token* of the same shape, kept in a cookie. The store keeps
//! each session's hash with the member, so the server can end one session
//! (sign out) or all of them (sign out everywhere, a new link).
use std::fmt;

use chrono::{DateTime, Duration, Utc};

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::random::{Random, RandomUnavailable};
use super::values::{GroupId, Invalid};

const SECRET_BYTES: usize = 32;

/// A member's personal access code. Deliberately has no `Debug` output of its
/// secret and no `Serialize`: it must never end up in logs or the store.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessCode {
    group: GroupId,
    member: usize,
    secret: [u8; SECRET_BYTES],
}

impl fmt::Debug for AccessCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessCode(<redacted>)")
    }
}

impl AccessCode {
    /// A fresh code for member `member` of `group`, from the OS random number generator.
    pub fn generate(group: &GroupId, member: usize, random: &dyn Random) -> Result<Self, RandomUnavailable> {
        let mut secret = [0u8; SECRET_BYTES];
        random.fill(&mut secret)?;
        Ok(AccessCode { group: group.clone(), member, secret })
    }

    /// Parse a code as received; `None` for anything malformed.
    pub fn parse(input: &str) -> Option<Self> {
        let s = input.trim();
        if s.len() > 200 {
            return None;
        }
        let mut parts = s.split('.');
        let group = GroupId::parse(parts.next()?).ok()?;
        let idx = parts.next()?;
        if idx.is_empty() || idx.len() > 2 || !idx.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let member: usize = idx.parse().ok()?;
        if member > u8::MAX as usize {
            return None;
        }
        let secret_b64 = parts.next()?;
        if parts.next().is_some() {
            return None;
        }
        let bytes = URL_SAFE_NO_PAD.decode(secret_b64).ok()?;
        let secret: [u8; SECRET_BYTES] = bytes.try_into().ok()?;
        Some(AccessCode { group, member, secret })
    }

    /// The member's slot in the group.
    pub fn slot(&self) -> u8 {
        self.member as u8
    }

    pub fn group(&self) -> &GroupId {
        &self.group
    }
    pub fn member_index(&self) -> usize {
        self.member
    }

    /// The text of the code, for a link. Handle with care.
    pub fn expose(&self) -> String {
        format!("{}.{}.{}", self.group, self.member, URL_SAFE_NO_PAD.encode(self.secret))
    }

    pub fn hash(&self) -> CodeHash {
        CodeHash(Sha256::digest(self.expose().as_bytes()).into())
    }
}

/// A session ends after this long without use…
pub const SESSION_IDLE_DAYS: i64 = 30;
/// …and this long after sign-in in any case.
pub const SESSION_MAX_DAYS: i64 = 365;
/// Sessions kept per member (signing in on one more device ends the oldest).
pub const MAX_SESSIONS: usize = 10;
/// A session's last use is recorded at most this often by reads.
pub const SESSION_TOUCH_HOURS: i64 = 24;

/// A session token: the same shape as an access code (group, slot, secret).
pub type SessionToken = AccessCode;

/// A signed-in browser: the hash of its token and when it was used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub hash: CodeHash,
    pub created_at: DateTime<Utc>,
    pub seen_at: DateTime<Utc>,
}

impl Session {
    pub fn new(hash: CodeHash, now: DateTime<Utc>) -> Session {
        Session { hash, created_at: now, seen_at: now }
    }
    /// Neither idle for 30 days nor older than a year.
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        now - self.seen_at < Duration::days(SESSION_IDLE_DAYS) && now - self.created_at < Duration::days(SESSION_MAX_DAYS)
    }
    /// Whether a read should record the use (keeps the idle clock honest
    /// without a write on every page view).
    pub fn needs_touch(&self, now: DateTime<Utc>) -> bool {
        now - self.seen_at >= Duration::hours(SESSION_TOUCH_HOURS)
    }
    /// The cut-offs a store's condition compares with: a live session was
    /// seen after the first and created after the second.
    pub fn cutoffs(now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
        (now - Duration::days(SESSION_IDLE_DAYS), now - Duration::days(SESSION_MAX_DAYS))
    }
}

/// SHA-256 of an access code: what the store keeps.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CodeHash(pub [u8; 32]);

impl fmt::Debug for CodeHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CodeHash(..)")
    }
}

impl CodeHash {
    /// Constant-time check that `code` hashes to this value.
    pub fn matches(&self, code: &AccessCode) -> bool {
        let other = code.hash();
        self.0.ct_eq(&other.0).into()
    }
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
    pub fn from_hex(s: &str) -> Option<Self> {
        let mut out = [0u8; 32];
        hex::decode_to_slice(s, &mut out).ok()?;
        Some(CodeHash(out))
    }
}

impl TryFrom<String> for CodeHash {
    type Error = Invalid;
    fn try_from(s: String) -> Result<Self, Invalid> {
        CodeHash::from_hex(&s).ok_or_else(|| {
            Invalid::tr(
                "invalid_format",
                "not a code hash (64 hex digits)",
                "ce n’est pas une empreinte de code (64 chiffres hexadécimaux)",
            )
        })
    }
}
impl From<CodeHash> for String {
    fn from(h: CodeHash) -> String {
        h.to_hex()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_hash() {
        let r = crate::domain::OsRandom;
        let g = GroupId::generate(&r).unwrap();
        let code = AccessCode::generate(&g, 3, &r).unwrap();
        let text = code.expose();
        assert!(text.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)), "URL-safe: {text}");
        let back = AccessCode::parse(&text).unwrap();
        assert_eq!(back, code);
        assert_eq!(back.group(), &g);
        assert_eq!(back.member_index(), 3);
        assert!(code.hash().matches(&back));
        let other = AccessCode::generate(&g, 3, &r).unwrap();
        assert!(!code.hash().matches(&other));
        assert_ne!(code.expose(), other.expose(), "codes are random");
        assert_eq!(CodeHash::from_hex(&code.hash().to_hex()).unwrap(), code.hash());
        let e = CodeHash::try_from("abc".to_string()).unwrap_err();
        assert_eq!((e.code, e.en.as_str()), ("invalid_format", "not a code hash (64 hex digits)"));
        assert_eq!(e.fr, "ce n’est pas une empreinte de code (64 chiffres hexadécimaux)");
        assert!(!format!("{code:?}").contains(&text[30..]));
    }

    const _: () = assert!(SECRET_BYTES * 8 >= 128, "access codes carry at least 128 random bits");

    #[test]
    fn malformed_codes_rejected() {
        let r = crate::domain::OsRandom;
        let g = GroupId::generate(&r).unwrap();
        let good = AccessCode::generate(&g, 0, &r).unwrap().expose();
        for bad in [
            "".to_string(),
            "abc".to_string(),
            format!("{good}.x"),
            good.replacen(".0.", ".x.", 1),
            good[..good.len() - 2].to_string(),
            format!("{}.0.", g),
            "a/b.0.AAAA".to_string(),
        ] {
            assert!(AccessCode::parse(&bad).is_none(), "{bad}");
        }
    }
}
