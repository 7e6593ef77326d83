//! The QI Program's domain: value types that can only be built valid, and the
//! program rules as pure functions. Storage and HTTP live elsewhere.
pub mod access;
pub mod activity;
pub mod audit;
pub mod coaching;
pub mod credits;
pub mod group;
pub mod invitation;
pub mod measure;
pub mod membership;
pub mod patient_data;
pub mod pdsa;
pub mod pip;
pub mod random;
pub mod runchart;
pub mod values;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Serialize;

pub use access::{AccessCode, CodeHash, Session, SessionToken};
pub use activity::{check_completion_date, Activities, Activity};
pub use audit::{Action, Actor, AuditEvent, HistoryEntry};
pub use coaching::{CoachingMessage, CoachingRequest, CoachingTopic};
pub use credits::{CreditItem, CreditSummary, Credits, CreditsError};
pub use group::{
    DataChange, GoalPoint, Group, GroupMember, LeadDetails, Member, MemberStatus, PersonDetails, Phase, PipState, ProposalError, Role,
    SignUp, SubmitBlocked,
};
pub use invitation::{DuplicateInvitation, Invitation, InvitationList, RowError};
pub use membership::{Effect, Limit, Refusal, Write};
pub use pip::{requirement_met_until, Goal, GoalDraft, GoalInput, GoalKind, Pip, PipDraft};
pub use random::{random_hex, OsRandom, Random, RandomUnavailable, SeededRandom};
pub use values::{Cpso, Cycle, Email, GroupId, GroupName, Invalid, Language, PersonName, PracticeSetting};

/// A problem with one input field. `field` is the form field's name from the
/// API contract (e.g. `peer_2_email`), so a browser can attach the message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError { field: field.into(), message: message.into() }
    }
}

/// The time source. Program dates (completion dates, submission dates) are
/// calendar dates in Ontario; we use Eastern Standard Time (UTC−5) all year,
/// so "today" changes at midnight EST.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
    fn today(&self) -> NaiveDate {
        program_date(self.now())
    }
}

pub fn program_date(t: DateTime<Utc>) -> NaiveDate {
    (t - Duration::hours(5)).date_naive()
}

/// The name of a month (`month0`: 0 for January), as the pages write it.
pub fn month_name(month0: u32, lang: Language) -> &'static str {
    qi_facts::dates::month_name(month0, lang.as_str())
}

/// A calendar date as people read it: "1 December 2026" / "1er décembre 2026".
pub fn long_day(d: NaiveDate, lang: Language) -> String {
    use chrono::Datelike;
    qi_facts::dates::long_date(d.year(), d.month(), d.day(), lang.as_str())
}

/// The real clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock stopped at a given instant (tests, demonstrations).
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub DateTime<Utc>);

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn program_date_is_eastern_standard() {
        let t = DateTime::parse_from_rfc3339("2026-03-02T03:30:00Z").unwrap().with_timezone(&Utc);
        assert_eq!(program_date(t).to_string(), "2026-03-01");
        let t = DateTime::parse_from_rfc3339("2026-03-02T05:00:00Z").unwrap().with_timezone(&Utc);
        assert_eq!(program_date(t).to_string(), "2026-03-02");
    }
}
