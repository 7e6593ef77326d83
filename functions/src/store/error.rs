//! What a [`Store`](super::Store) call can fail with, typed so that the
//! boundary can answer and log it without guessing: rule conflicts (409),
//! `NotFound` (404), transient trouble that a retry may cure (`Throttled`,
//! `Unavailable`: 503 + Retry-After) and faults that a retry will not cure
//! (`Corrupt`, `Internal`: 500).
//!
//! Every payload is safe to log: kinds, attribute names and the backend's
//! own error codes, never an item's contents or a person's details.
use std::fmt;

use crate::domain::{Activity, Cpso};

/// Which rule a write ran into (nothing was written).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConflictKind {
    /// An `Acquire` effect: these CPSO numbers (in the order of the write's
    /// effects) already hold the lock of another open group.
    MembersInOpenGroup(Vec<Cpso>),
    /// A new group's id exists already (ids are random; practically never).
    GroupIdTaken,
    /// The group is closed (its plan submitted or the group dissolved), or a
    /// check-off came after that.
    PipSubmitted,
    /// The write's `invitation` is not on the list (nothing was written).
    LeadNotInvited,
    /// A submission: not every accepted member has completed all four
    /// activities; lists each (member, activity) still missing.
    ActivitiesIncomplete(Vec<(Cpso, Activity)>),
    /// The group changed since the caller read it (its version moved): read
    /// it again and recompute the change.
    Stale,
    /// The acting session has ended (signed out, expired, or a new link was issued).
    SessionEnded,
    /// A check-off by a member who has not accepted (yet).
    NotAccepted,
    /// A per-day limit is reached (`Limit::key`).
    LimitReached(String),
    /// Measurement data for a dissolved group.
    Dissolved,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("conflict: {0:?}")]
    Conflict(ConflictKind),
    #[error("not found")]
    NotFound,
    /// The backend asks us to slow down (or concurrent transactions kept
    /// colliding): retry shortly.
    #[error("the store is throttling requests")]
    Throttled,
    /// The backend could not be reached or failed on its side: retry later.
    #[error("the store is unavailable: {0}")]
    Unavailable(Unavailable),
    /// Stored data could not be read back as valid domain values.
    #[error("stored data is not valid: {0}")]
    Corrupt(Corruption),
    /// A fault a retry will not cure: the backend refused a request we built,
    /// or the configuration is wrong, or an invariant was broken.
    #[error("internal store error: {0}")]
    Internal(Internal),
    /// A multi-transaction write failed and undoing it failed too: part of
    /// it may remain (only `import_invitations` on DynamoDB; re-running the
    /// same import completes it). `cause` is why the write failed.
    #[error("the write failed ({cause}) and undoing it failed too: entries up to number {up_to} may have been written")]
    Partial { up_to: usize, cause: Box<StoreError> },
}

/// A store refuses a submission for the reason the domain's rule
/// (`Group::ready_to_submit`) gives.
impl From<crate::domain::SubmitBlocked> for StoreError {
    fn from(b: crate::domain::SubmitBlocked) -> Self {
        match b {
            crate::domain::SubmitBlocked::AlreadySubmitted | crate::domain::SubmitBlocked::NotFormed => {
                StoreError::Conflict(ConflictKind::PipSubmitted)
            }
            crate::domain::SubmitBlocked::ActivitiesIncomplete(missing) => {
                StoreError::Conflict(ConflictKind::ActivitiesIncomplete(missing))
            }
        }
    }
}

impl StoreError {
    pub fn conflict(kind: ConflictKind) -> Self {
        StoreError::Conflict(kind)
    }

    /// Whether retrying later may succeed (the HTTP layer answers 503).
    pub fn is_transient(&self) -> bool {
        match self {
            StoreError::Throttled | StoreError::Unavailable(_) => true,
            StoreError::Partial { cause, .. } => cause.is_transient(),
            StoreError::Conflict(_) | StoreError::NotFound | StoreError::Corrupt(_) | StoreError::Internal(_) => false,
        }
    }

    /// A short stable name of the failure, for logs and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            StoreError::Conflict(_) => "conflict",
            StoreError::NotFound => "not_found",
            StoreError::Throttled => "throttled",
            StoreError::Unavailable(_) => "unavailable",
            StoreError::Corrupt(_) => "corrupt",
            StoreError::Internal(_) => "internal",
            StoreError::Partial { .. } => "partial_write",
        }
    }

    /// The backend's own error code behind this failure, when it gave one
    /// (DynamoDB: e.g. `ValidationException`; SQLite: the extended result code).
    pub fn code(&self) -> Option<&str> {
        match self {
            StoreError::Unavailable(u) => u.code.as_deref(),
            StoreError::Internal(Internal::Rejected { code, .. }) => code.as_deref(),
            StoreError::Partial { cause, .. } => cause.code(),
            _ => None,
        }
    }

    pub fn corrupt(record: &'static str, problem: impl Into<String>) -> Self {
        StoreError::Corrupt(Corruption { record, problem: problem.into() })
    }

    pub fn invariant(what: &'static str) -> Self {
        StoreError::Internal(Internal::Invariant(what))
    }
}

/// The store this error came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    DynamoDb,
    Sqlite,
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Backend::DynamoDb => "DynamoDB",
            Backend::Sqlite => "SQLite",
        })
    }
}

/// A transient failure of the backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unavailable {
    pub backend: Backend,
    pub kind: UnavailableKind,
    /// The backend's error code, if it answered with one.
    pub code: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnavailableKind {
    /// No answer in time.
    Timeout,
    /// The request could not be sent (connection refused, DNS, TLS, credentials not loadable).
    Unreachable,
    /// The service answered with a server-side error (HTTP 5xx).
    ServiceFault,
    /// The answer could not be read (cut off, not the service's format).
    BadResponse,
    /// The local database file or its directory could not be used (I/O, disk full, read-only).
    Storage,
}

impl fmt::Display for Unavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            UnavailableKind::Timeout => "timed out",
            UnavailableKind::Unreachable => "not reachable",
            UnavailableKind::ServiceFault => "failed on its side",
            UnavailableKind::BadResponse => "sent an unreadable answer",
            UnavailableKind::Storage => "storage failed",
        };
        write!(f, "{} {kind}", self.backend)?;
        if let Some(code) = &self.code {
            write!(f, " ({code})")?;
        }
        Ok(())
    }
}

/// Which stored record did not read back, and what was wrong with it
/// (attribute names and kinds of problem only, never values).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Corruption {
    /// `group`, `member`, `invitation`, `lock`, `coaching request`, ...
    pub record: &'static str,
    pub problem: String,
}

impl fmt::Display for Corruption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a {} record: {}", self.record, self.problem)
    }
}

/// Faults that no retry cures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Internal {
    /// The backend refused the request as built (a bug), or refused us
    /// (missing table, no permission: the deployment is wrong).
    Rejected { backend: Backend, code: Option<String> },
    /// A request could not be built or encoded (a bug).
    Build(&'static str),
    /// A rule every caller must keep was broken (e.g. a group without a lead).
    Invariant(&'static str),
    /// A store task ended without an answer (it panicked or was cancelled).
    TaskFailed,
    /// The store is not configured (e.g. `QI_TABLE_NAME` unset).
    Config(&'static str),
}

impl fmt::Display for Internal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Internal::Rejected { backend, code: Some(code) } => write!(f, "{backend} refused the request ({code})"),
            Internal::Rejected { backend, code: None } => write!(f, "{backend} refused the request"),
            Internal::Build(what) => write!(f, "could not build the request: {what}"),
            Internal::Invariant(what) => write!(f, "broken invariant: {what}"),
            Internal::TaskFailed => f.write_str("the store task ended without an answer"),
            Internal::Config(what) => write!(f, "not configured: {what}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transient_or_not() {
        let down = StoreError::Unavailable(Unavailable { backend: Backend::DynamoDb, kind: UnavailableKind::Timeout, code: None });
        assert!(down.is_transient());
        assert!(StoreError::Throttled.is_transient());
        assert!(!StoreError::corrupt("group", "attribute name missing").is_transient());
        assert!(!StoreError::invariant("a group without a lead").is_transient());
        let refused = StoreError::Internal(Internal::Rejected { backend: Backend::DynamoDb, code: Some("ValidationException".into()) });
        assert!(!refused.is_transient());
        assert_eq!(refused.code(), Some("ValidationException"));
        assert_eq!(refused.kind(), "internal");
        let partial = StoreError::Partial { up_to: 200, cause: Box::new(down) };
        assert!(partial.is_transient());
        assert!(partial.to_string().contains("up to number 200"), "{partial}");
    }
}
