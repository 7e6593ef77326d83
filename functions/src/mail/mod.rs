//! Mail port: a [`Mailer`] sends one plain-text email. `SesMailer` (feature
//! `ses`) uses Amazon SES v2 (production); `OutboxMailer` (feature `outbox`)
//! writes RFC 5322 `.eml` files into a directory (dev server, tests).
//!
//! Messages and addresses are encoded by `mail-builder` and read back by
//! `mail-parser` (one family of crates, made to round-trip; small, no
//! transports, no I/O of their own).
use async_trait::async_trait;

pub use crate::domain::OutgoingMail;

pub mod deliver;
pub mod messages;

#[cfg(feature = "outbox")]
mod outbox;
#[cfg(feature = "ses")]
mod ses;

#[cfg(feature = "outbox")]
pub use outbox::{render_eml, OutboxEntry, OutboxMailer};
#[cfg(feature = "ses")]
pub use ses::{SesMailer, SesRequest};

/// Why a send failed. `kind` is safe to log; `detail` may contain personal
/// data (e.g. an address echoed by SES) and must not be logged.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{kind}")]
pub struct MailError {
    pub kind: MailErrorKind,
    pub detail: String,
}

impl MailError {
    pub fn new(kind: MailErrorKind, detail: impl ToString) -> Self {
        MailError { kind, detail: detail.to_string() }
    }
}

/// What went wrong, in words safe for logs and metrics ([`as_str`](Self::as_str)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailErrorKind {
    /// SES is throttling us or a sending quota is used up: retry later.
    SesThrottled,
    /// SES refused this message (e.g. a bad address).
    SesRejected,
    /// The account's sending is paused or suspended.
    SesPaused,
    /// Any other error SES answered with.
    SesError,
    /// SES could not be reached, or did not answer in time.
    SesUnreachable,
    /// The message could not be built (a bug).
    Build,
    /// The outbox file could not be written.
    OutboxWrite,
    /// The outbox task ended without an answer.
    OutboxTask,
    /// The operating system's random number generator failed.
    Random,
}

impl MailErrorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MailErrorKind::SesThrottled => "ses_throttled",
            MailErrorKind::SesRejected => "ses_rejected",
            MailErrorKind::SesPaused => "ses_paused",
            MailErrorKind::SesError => "ses_error",
            MailErrorKind::SesUnreachable => "ses_unreachable",
            MailErrorKind::Build => "mail_build",
            MailErrorKind::OutboxWrite => "outbox_write",
            MailErrorKind::OutboxTask => "outbox_task",
            MailErrorKind::Random => "rng",
        }
    }

    /// Whether sending again later may succeed.
    pub fn is_transient(self) -> bool {
        matches!(self, MailErrorKind::SesThrottled | MailErrorKind::SesUnreachable | MailErrorKind::OutboxWrite)
    }
}

impl std::fmt::Display for MailErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, mail: &OutgoingMail) -> Result<(), MailError>;
}

/// A mailer that sends nothing: every message is refused (`Build`). For
/// runs that must not send (`qi admin reminders run --dry-run`).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoMailer;

#[async_trait]
impl Mailer for NoMailer {
    async fn send(&self, _: &OutgoingMail) -> Result<(), MailError> {
        Err(MailError::new(MailErrorKind::Build, "this run sends no email"))
    }
}

/// `Name <addr>` as a header value (display name quoted or RFC 2047-encoded
/// as needed, one line), for SES destinations and the outbox `To:`.
#[cfg(any(feature = "outbox", feature = "ses"))]
pub(crate) fn mailbox(name: &str, addr: &str) -> String {
    use mail_builder::headers::{address::Address, Header};
    let mut out = Vec::new();
    Address::new_address(Some(name), addr).write_header(&mut out, 0);
    // One logical line: unfold what the writer folded, drop the final CRLF.
    String::from_utf8_lossy(&out).trim_end().replace("\r\n", "")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_stable_name() {
        assert_eq!(MailErrorKind::SesThrottled.to_string(), "ses_throttled");
        assert!(MailErrorKind::SesThrottled.is_transient());
        assert!(!MailErrorKind::SesRejected.is_transient());
        let e = MailError::new(MailErrorKind::SesRejected, "zoe@example.org refused");
        assert_eq!(e.to_string(), "ses_rejected", "the message names the kind, never the detail");
    }

    #[cfg(any(feature = "outbox", feature = "ses"))]
    #[test]
    fn mailboxes_are_quoted_or_encoded() {
        assert_eq!(mailbox("Dr. Ada Example", "ada@example.org"), "\"Dr. Ada Example\" <ada@example.org>");
        let enc = mailbox("Dr. Zoë O'Neil", "zoe@example.org");
        assert!(enc.is_ascii() && enc.ends_with(" <zoe@example.org>") && enc.starts_with("=?utf-8?"), "{enc}");
    }
}
