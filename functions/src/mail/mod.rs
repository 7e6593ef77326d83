//! Mail port: a [`Mailer`] sends one plain-text email. `SesMailer` (feature
//! `ses`) uses Amazon SES v2 (production); `OutboxMailer` (feature `outbox`)
//! writes RFC 5322 `.eml` files into a directory (dev server, tests).
//!
//! Messages and addresses are encoded by `mail-builder` and read back by
//! `mail-parser` (one family of crates, made to round-trip; small, no
//! transports, no I/O of their own).
use async_trait::async_trait;

use crate::domain::{Email, Language, PersonName, Role};

#[cfg(feature = "outbox")]
mod outbox;
#[cfg(feature = "ses")]
mod ses;

#[cfg(feature = "outbox")]
pub use outbox::{render_eml, OutboxEntry, OutboxMailer};
#[cfg(feature = "ses")]
pub use ses::{SesMailer, SesRequest};

/// One message to one person.
#[derive(Debug, Clone, PartialEq, Eq)]
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

/// The sign-up email telling a member their personal link, in their language.
pub fn personal_link_mail(
    to_name: &PersonName,
    to: &Email,
    language: Language,
    role: Role,
    group_name: &str,
    lead_name: &str,
    link: &str,
) -> OutgoingMail {
    let (subject, body) = match (language, role) {
        (Language::En, Role::Lead) => (
            format!("Your QI group \"{group_name}\" is formed"),
            format!(
                "Hello {to_name},\n\nYour QI group \"{group_name}\" is formed. Your peers have each been sent their own personal link.\n\nYour personal link:\n{link}\n\nUse it to check off your four QI activities, work on the group's Practice Improvement Plan and see your group's progress. Keep it to yourself: anyone with this link can act as you in the QI Program.\n\nQI Groups\n"
            ),
        ),
        (Language::En, Role::Peer) => (
            format!("You have been added to the QI group \"{group_name}\""),
            format!(
                "Hello {to_name},\n\n{lead_name} has formed the QI group \"{group_name}\" and named you as a peer member.\n\nYour personal link:\n{link}\n\nUse it to check off your four QI activities, work on the group's Practice Improvement Plan and see your group's progress. Keep it to yourself: anyone with this link can act as you in the QI Program.\n\nIf you did not expect this message, contact the QI Program.\n\nQI Groups\n"
            ),
        ),
        (Language::Fr, Role::Lead) => (
            format!("Votre groupe d'amélioration de la qualité « {group_name} » est formé"),
            format!(
                "Bonjour {to_name},\n\nVotre groupe « {group_name} » est formé. Chacun de vos pairs a reçu son propre lien personnel.\n\nVotre lien personnel :\n{link}\n\nUtilisez-le pour cocher vos quatre activités, travailler au plan d'amélioration de la pratique du groupe et suivre les progrès du groupe. Gardez-le pour vous : toute personne qui a ce lien peut agir en votre nom dans le programme.\n\nQI Groups\n"
            ),
        ),
        (Language::Fr, Role::Peer) => (
            format!("Vous faites partie du groupe « {group_name} »"),
            format!(
                "Bonjour {to_name},\n\n{lead_name} a formé le groupe d'amélioration de la qualité « {group_name} » et vous a inscrit comme pair.\n\nVotre lien personnel :\n{link}\n\nUtilisez-le pour cocher vos quatre activités, travailler au plan d'amélioration de la pratique du groupe et suivre les progrès du groupe. Gardez-le pour vous : toute personne qui a ce lien peut agir en votre nom dans le programme.\n\nSi vous n'attendiez pas ce message, communiquez avec le programme.\n\nQI Groups\n"
            ),
        ),
    };
    OutgoingMail { to_name: to_name.clone(), to: to.clone(), subject, body, link: Some(link.to_string()), role: Some(role) }
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
