//! Delivering the outbox (`crate::domain::outbox`): one attempt at one
//! queued mail is claim → send → settle, each step one conditional store
//! write, so a mail is sent by one attempt at a time and a repeated
//! delivery of the same stream record (or a second drainer) sends nothing
//! twice. Failures wait longer each time ([`Retries`]); a mail still failing
//! after the last attempt, or refused for good, is *dead*: kept, with its
//! message, for staff to queue again (`qi admin outbox retry`), and in AWS
//! its id is put on the mail dead-letter queue, whose alarm calls someone.
//!
//! The mailer function (`crate::lambda::mailer`) attempts the mails the
//! table's stream names; the dev server and `qi admin` on the embedded
//! store [`drain`] whatever is due.
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};

use super::{MailErrorKind, Mailer};
use crate::domain::{random_hex, Claim, Clock, MailState, Random, Settle};
use crate::store::{Store, StoreError};

/// How often and how patiently a mail is tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retries {
    /// Attempts in all before a mail is given up.
    pub max_attempts: u32,
    /// The wait after the first failure; it doubles after each one.
    pub first_wait: StdDuration,
    /// The longest wait between two attempts.
    pub max_wait: StdDuration,
    /// How long one attempt holds a mail: longer than a send can take, and
    /// no longer than the mailer function's timeout, so that an attempt cut
    /// short (a crash, a timeout) frees its mail for the next sweep.
    pub hold: StdDuration,
}

impl Default for Retries {
    /// 8 attempts over about four minutes (1 s, 2 s, … 64 s between them):
    /// SES throttling passes in seconds; what lasts longer is an outage an
    /// operator must see (the dead-letter alarm), not a reason to wait days.
    fn default() -> Self {
        Retries {
            max_attempts: 8,
            first_wait: StdDuration::from_secs(1),
            max_wait: StdDuration::from_secs(64),
            hold: StdDuration::from_secs(60),
        }
    }
}

impl Retries {
    /// The wait after `failures` failed attempts (1, 2, 4, … capped).
    pub fn wait_after(&self, failures: u32) -> StdDuration {
        let factor = 1u32.checked_shl(failures.saturating_sub(1)).unwrap_or(u32::MAX);
        self.first_wait.saturating_mul(factor).min(self.max_wait)
    }
}

/// How one attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    /// Sent now.
    Sent,
    /// Not sent: the address is recorded as undeliverable.
    Suppressed,
    /// Failed; due again at this instant.
    Retry { at: DateTime<Utc>, error: MailErrorKind },
    /// Given up now (refused for good, or the last attempt failed).
    Dead { error: MailErrorKind },
    /// Settled before (by an earlier delivery of the same record).
    AlreadySettled(MailState),
    /// Pending, not due before this instant.
    NotDue(DateTime<Utc>),
    /// Another attempt holds it until this instant.
    Held(DateTime<Utc>),
    /// No such mail.
    Missing,
}

impl Attempt {
    /// In words safe for logs.
    pub fn as_str(&self) -> &'static str {
        match self {
            Attempt::Sent => "sent",
            Attempt::Suppressed => "suppressed",
            Attempt::Retry { .. } => "retry",
            Attempt::Dead { .. } => "dead",
            Attempt::AlreadySettled(_) => "already_settled",
            Attempt::NotDue(_) => "not_due",
            Attempt::Held(_) => "held",
            Attempt::Missing => "missing",
        }
    }
    /// Whether nothing more is to be done for this mail.
    pub fn is_final(&self) -> bool {
        matches!(self, Attempt::Sent | Attempt::Suppressed | Attempt::Dead { .. } | Attempt::AlreadySettled(_) | Attempt::Missing)
    }
}

/// The ports one attempt uses.
pub struct Deliverer<'a> {
    pub store: &'a dyn Store,
    pub mailer: &'a dyn Mailer,
    pub clock: &'a dyn Clock,
    pub random: &'a dyn Random,
    pub retries: Retries,
}

/// Whether a send that failed this way may succeed later. Only a message
/// we cannot build is hopeless; SES refusing a recipient (as it does for
/// unverified addresses while the account is in the SES sandbox) or a paused
/// account are worth the remaining attempts, and then the dead mail is kept.
fn worth_retrying(kind: MailErrorKind) -> bool {
    !matches!(kind, MailErrorKind::Build)
}

impl Deliverer<'_> {
    /// One attempt at mail `id`.
    pub async fn attempt(&self, id: &str) -> Result<Attempt, StoreError> {
        let holder = random_hex(self.random, 8).map_err(|_| StoreError::invariant("the random number generator failed"))?;
        let now = self.clock.now();
        let until = now + Duration::from_std(self.retries.hold).unwrap_or(Duration::minutes(2));
        let (queued, failures) = match self.store.claim_mail(id, &holder, now, until).await? {
            Claim::Claimed { mail, attempts } => (mail, attempts),
            Claim::NotDue(at) => return Ok(Attempt::NotDue(at)),
            Claim::Held(at) => return Ok(Attempt::Held(at)),
            Claim::Settled(state) => return Ok(Attempt::AlreadySettled(state)),
            Claim::Missing => return Ok(Attempt::Missing),
        };
        let kind = queued.kind.clone();
        if !self.store.undeliverable(std::slice::from_ref(&queued.mail.to)).await?.is_empty() {
            self.store.settle_mail(id, &holder, &Settle::Suppressed, self.clock.now()).await?;
            tracing::info!(mail = kind.as_str(), outcome = "suppressed", "queued mail not sent: the address is undeliverable");
            return Ok(Attempt::Suppressed);
        }
        let sent = self.mailer.send(&queued.mail).await;
        let now = self.clock.now();
        let (settle, outcome) = match sent {
            Ok(()) => (Settle::Sent, Attempt::Sent),
            Err(e) => {
                let attempts = failures + 1;
                if worth_retrying(e.kind) && attempts < self.retries.max_attempts {
                    let at = now + Duration::from_std(self.retries.wait_after(attempts)).unwrap_or(Duration::minutes(1));
                    (Settle::Retry { attempts, next_attempt_at: at, error: e.kind.as_str().into() }, Attempt::Retry { at, error: e.kind })
                } else {
                    (Settle::Dead { attempts, error: e.kind.as_str().into() }, Attempt::Dead { error: e.kind })
                }
            }
        };
        if !self.store.settle_mail(id, &holder, &settle, now).await? {
            // Our hold ran out and another attempt took the mail: it decides.
            tracing::warn!(mail = kind.as_str(), "queued mail settled by another attempt");
            return Ok(Attempt::Held(now));
        }
        match &outcome {
            Attempt::Sent => tracing::info!(mail = kind.as_str(), attempts = failures + 1, outcome = "sent", "queued mail sent"),
            Attempt::Retry { error, .. } => {
                tracing::warn!(
                    mail = kind.as_str(),
                    attempts = failures + 1,
                    kind = error.as_str(),
                    outcome = "retry",
                    "queued mail not sent yet"
                )
            }
            Attempt::Dead { error } => {
                tracing::error!(
                    mail = kind.as_str(),
                    attempts = failures + 1,
                    kind = error.as_str(),
                    outcome = "dead",
                    "queued mail given up"
                )
            }
            _ => {}
        }
        Ok(outcome)
    }

    /// Attempt every mail that is due now, oldest first. Returns how each
    /// ended; a mail whose attempt fails in the store is logged and left for
    /// the next drain (it does not stop the others).
    pub async fn drain(&self) -> Result<Vec<(String, Attempt)>, StoreError> {
        let due = self.due().await?;
        let mut out = Vec::with_capacity(due.len());
        for id in due {
            match self.attempt(&id).await {
                Ok(a) => out.push((id, a)),
                Err(e) => tracing::warn!(cause = e.kind(), "queued mail: the store failed; left for the next drain"),
            }
        }
        Ok(out)
    }

    /// The ids of the pending mails due now, oldest first.
    pub async fn due(&self) -> Result<Vec<String>, StoreError> {
        let now = self.clock.now();
        let records = self.store.list_mail(now).await?;
        Ok(records.into_iter().filter(|r| r.state == MailState::Pending && r.next_attempt_at <= now).map(|r| r.id).collect())
    }

    /// When the next pending mail is due, if any is.
    pub async fn next_due(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let now = self.clock.now();
        Ok(self.store.list_mail(now).await?.into_iter().filter(|r| r.state == MailState::Pending).map(|r| r.next_attempt_at).min())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_up_to_the_cap() {
        let r = Retries::default();
        let secs: Vec<u64> = (1..=9).map(|n| r.wait_after(n).as_secs()).collect();
        assert_eq!(secs, vec![1, 2, 4, 8, 16, 32, 64, 64, 64]);
        assert_eq!(r.wait_after(0).as_secs(), 1);
        assert_eq!(r.wait_after(200), r.max_wait);
    }
}
