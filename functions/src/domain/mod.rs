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
pub mod outbox;
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
pub use outbox::{address_key, Claim, MailRecord, MailState, OutgoingMail, QueuedMail, Settle, Undeliverable, UndeliverableReason};
pub use pip::{requirement_met_until, Goal, GoalDraft, GoalInput, GoalKind, Pip, PipDraft};
pub use random::{random_hex, OsRandom, Random, RandomUnavailable, SeededRandom};
pub use values::{Cpso, Cycle, Email, GroupId, GroupName, Invalid, Language, PersonName, PracticeSetting};

/// A sentence for people, in English and French.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    pub en: String,
    pub fr: String,
}

impl Text {
    pub fn new(en: impl Into<String>, fr: impl Into<String>) -> Text {
        Text { en: en.into(), fr: fr.into() }
    }

    pub fn get(&self, lang: Language) -> &str {
        match lang {
            Language::En => &self.en,
            Language::Fr => &self.fr,
        }
    }
}

/// A problem with one input field. `field` is the form field's name from the
/// API contract (e.g. `peer_2_email`), so a browser can attach the message;
/// `code` names the problem for programs (stable: `required`, `too_long`,
/// `in_future`, …); `message` (English) and `fr` say it for people, and
/// [`FieldError::text`] picks the reader's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub code: String,
    pub message: String,
    #[serde(skip)]
    pub fr: String,
}

impl FieldError {
    /// A problem said in both languages.
    pub fn tr(field: impl Into<String>, code: &str, en: impl Into<String>, fr: impl Into<String>) -> Self {
        FieldError { field: field.into(), code: code.to_string(), message: en.into(), fr: fr.into() }
    }

    /// A problem from a value's [`Invalid`], at `field`.
    pub fn invalid(field: impl Into<String>, e: Invalid) -> Self {
        FieldError { field: field.into(), code: e.code.to_string(), message: e.en, fr: e.fr }
    }

    /// The message in `lang`.
    pub fn text(&self, lang: Language) -> &str {
        match lang {
            Language::En => &self.message,
            Language::Fr => &self.fr,
        }
    }

    /// The same problem, its messages prefixed (`Goal 2: …` / `Objectif 2 : …`).
    pub fn prefixed(mut self, en: &str, fr: &str) -> Self {
        self.message = format!("{en}{}", self.message);
        self.fr = format!("{fr}{}", self.fr);
        self
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
