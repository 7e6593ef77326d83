//! The transactional outbox: an email is not sent by the request that
//! causes it but written, as a [`QueuedMail`], in the same atomic store write
//! as the state change (a proposal, an invitation, a new link, …). A mailer
//! then delivers it (`crate::mail::deliver`): in AWS a function fed by the
//! table's stream, in the dev server a background task. So a change is never
//! made without its email, and an email that cannot go out now (SES
//! throttling, a timeout, an account in the SES sandbox) waits and is tried
//! again instead of being lost.
//!
//! A queued mail holds what the message says until it is delivered; then
//! only its delivery record (kind, attempts, outcome) is kept, for a while.
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::{random_hex, Email, PersonName, Random, RandomUnavailable, Role};

/// One message to one person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutgoingMail {
    pub to_name: PersonName,
    pub to: Email,
    pub subject: String,
    /// Plain text, UTF-8, `\n` line ends.
    pub body: String,
    /// The personal link the message carries, if any (the dev outbox lists it).
    pub link: Option<String>,
    /// The recipient's role, if the mail is about group membership (the dev
    /// server prints it next to the link; never a name or address).
    pub role: Option<Role>,
}

/// An email waiting to be delivered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueuedMail {
    /// 32 hex digits, random.
    pub id: String,
    /// `proposal`, `invitation`, `change`, `new_link`, `reminder`, `coaching`.
    pub kind: String,
    pub queued_at: DateTime<Utc>,
    pub mail: OutgoingMail,
}

impl QueuedMail {
    pub fn new(mail: OutgoingMail, kind: &'static str, now: DateTime<Utc>, random: &dyn Random) -> Result<QueuedMail, RandomUnavailable> {
        Ok(QueuedMail { id: random_hex(random, 16)?, kind: kind.to_string(), queued_at: now, mail })
    }

    /// Whether `id` has the shape of a queued mail's id.
    pub fn valid_id(id: &str) -> bool {
        id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    }
}

/// Where a queued mail stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MailState {
    /// Waiting for its (next) attempt.
    Pending,
    /// SES (or the dev outbox) took it.
    Sent,
    /// Not sent: the address is known to be undeliverable.
    Suppressed,
    /// Given up: refused for good, or still failing after the last attempt.
    /// The message is kept (for a while) so staff can send it again.
    Dead,
    /// A dead mail staff queued again (under a new id).
    Requeued,
}

impl MailState {
    pub fn as_str(self) -> &'static str {
        match self {
            MailState::Pending => "pending",
            MailState::Sent => "sent",
            MailState::Suppressed => "suppressed",
            MailState::Dead => "dead",
            MailState::Requeued => "requeued",
        }
    }
    pub fn parse(s: &str) -> Option<MailState> {
        [MailState::Pending, MailState::Sent, MailState::Suppressed, MailState::Dead, MailState::Requeued]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// A queued mail's delivery record, as the store keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailRecord {
    pub id: String,
    pub kind: String,
    pub queued_at: DateTime<Utc>,
    pub state: MailState,
    /// Failed attempts so far.
    pub attempts: u32,
    /// Not tried again before this instant (pending only).
    pub next_attempt_at: DateTime<Utc>,
    /// The last failure's kind (`ses_throttled`, …), never its detail.
    pub last_error: Option<String>,
    /// The message, while it may still be sent (pending or dead).
    pub mail: Option<OutgoingMail>,
}

/// How an attempt ended, as the deliverer records it. Each is ONE
/// conditional write that succeeds only while the mail is pending and held
/// by this attempt's claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settle {
    /// Delivered: the message is dropped, the record kept [`keep_records`].
    Sent,
    /// Not sent, the address being undeliverable: as `Sent`.
    Suppressed,
    /// Failed, to be tried again at `next_attempt_at`.
    Retry { attempts: u32, next_attempt_at: DateTime<Utc>, error: String },
    /// Given up; the message is kept [`keep_records`] for staff.
    Dead { attempts: u32, error: String },
}

/// How long a delivered (or given-up) mail's record is kept.
pub fn keep_records() -> Duration {
    Duration::days(14)
}

/// An address to which email could not be delivered (a permanent bounce, or
/// the recipient's complaint), as SES reported it. Kept under a hash of the
/// address ([`address_key`]), never the address itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Undeliverable {
    /// [`address_key`] of the address.
    pub address: String,
    pub reason: UndeliverableReason,
    pub at: DateTime<Utc>,
}

/// Why an address is undeliverable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UndeliverableReason {
    /// The receiving server refused it for good (a permanent bounce).
    Bounce,
    /// The recipient marked our mail as spam.
    Complaint,
}

impl UndeliverableReason {
    pub fn as_str(self) -> &'static str {
        match self {
            UndeliverableReason::Bounce => "bounce",
            UndeliverableReason::Complaint => "complaint",
        }
    }
    pub fn parse(s: &str) -> Option<UndeliverableReason> {
        [UndeliverableReason::Bounce, UndeliverableReason::Complaint].into_iter().find(|r| r.as_str() == s)
    }
}

/// One mailbox as a key: 32 hex digits of SHA-256 of the address in lower
/// case (the daily email limit counts by the same key).
pub fn address_key(email: &Email) -> String {
    use sha2::{Digest, Sha256};
    let h = Sha256::digest(email.as_str().to_ascii_lowercase().as_bytes());
    hex::encode(&h[..16])
}

/// Why a mail could not be claimed for an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// Held for this attempt: send it, then settle it.
    Claimed { mail: QueuedMail, attempts: u32 },
    /// Pending, but its next attempt is not before this instant.
    NotDue(DateTime<Utc>),
    /// Another attempt holds it until this instant.
    Held(DateTime<Utc>),
    /// Settled already (a repeated delivery of the stream record).
    Settled(MailState),
    /// No such mail (or its record has expired).
    Missing,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::SeededRandom;

    #[test]
    fn ids_are_random_hex() {
        let mail = OutgoingMail {
            to_name: PersonName::parse("Dr. Ada Example").unwrap(),
            to: Email::parse("ada@example.org").unwrap(),
            subject: "s".into(),
            body: "b".into(),
            link: None,
            role: None,
        };
        let q = QueuedMail::new(mail, "proposal", Utc::now(), &SeededRandom::new(1)).unwrap();
        assert!(QueuedMail::valid_id(&q.id), "{}", q.id);
        assert!(!QueuedMail::valid_id("OUTBOX#1") && !QueuedMail::valid_id(&q.id.to_uppercase()));
        for s in ["pending", "sent", "suppressed", "dead", "requeued"] {
            assert_eq!(MailState::parse(s).unwrap().as_str(), s);
        }
    }
}
