//! The dev outbox: each message an RFC 5322 `.eml` file, listed back for
//! `GET /api/outbox`. Built by `mail-builder`, read by `mail-parser`.
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use mail_builder::headers::address::Address;
use mail_builder::headers::raw::Raw;
use mail_builder::mime::MimePart;
use mail_builder::MessageBuilder;
use mail_parser::MessageParser;
use serde::Serialize;

use super::{mailbox, MailError, MailErrorKind, Mailer, OutgoingMail};

/// Writes each message as `DIR/<time>-<random>.eml`.
#[derive(Debug, Clone)]
pub struct OutboxMailer {
    dir: PathBuf,
    from: String,
}

/// One entry of the outbox listing (`GET /api/outbox`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutboxEntry {
    /// `Name <address>` of the recipient.
    pub to: String,
    pub subject: String,
    pub link: Option<String>,
    /// RFC 3339, UTC, whole seconds.
    pub sent_at: String,
    /// The file's name in the outbox directory.
    pub file: String,
}

/// `Name <addr>` (or a bare address) as (name, address), read as a mail
/// reader would read a `From:` header.
fn parse_mailbox(value: &str) -> Option<(Option<String>, String)> {
    let header = format!("From: {value}\r\n\r\n");
    let msg = MessageParser::default().parse_headers(header.as_bytes())?;
    let addr = msg.from()?.first()?;
    Some((addr.name().map(str::to_owned), addr.address()?.to_owned()))
}

/// The RFC 5322 text of a message (CRLF line ends). The body is sent as
/// UTF-8 `8bit`, not quoted-printable, so that a developer can read the file
/// (and copy its link) in any editor; our lines are far below the 998-octet
/// limit of 8bit.
pub fn render_eml(mail: &OutgoingMail, from: &str, sent_at: DateTime<Utc>, message_id: &str) -> Result<String, MailError> {
    let (from_name, from_addr) = parse_mailbox(from).ok_or_else(|| MailError::new(MailErrorKind::Build, "the sender is not a mailbox"))?;
    let body = mail.body.replace("\r\n", "\n").replace('\n', "\r\n");
    let mut message = MessageBuilder::new()
        .from(Address::new_address(from_name, from_addr))
        .to(Address::new_address(Some(mail.to_name.as_str()), mail.to.as_str()))
        .subject(mail.subject.as_str())
        .date(sent_at.timestamp())
        .message_id(message_id);
    if let Some(link) = &mail.link {
        message = message.header("X-QI-Link", Raw::new(link.as_str()));
    }
    if let Some(role) = mail.role {
        message = message.header("X-QI-Role", Raw::new(role.as_str()));
    }
    message
        .body(MimePart::new("text/plain", body).transfer_encoding("8bit"))
        .write_to_string()
        .map_err(|e| MailError::new(MailErrorKind::Build, e))
}

/// The listing entry of one `.eml` file, if it is a message as we write them.
fn entry(file: String, raw: &[u8]) -> Option<OutboxEntry> {
    let msg = MessageParser::default().parse_headers(raw)?;
    let to = msg.to()?.first()?;
    let to = mailbox(to.name().unwrap_or_default(), to.address()?);
    let sent = DateTime::<Utc>::from_timestamp(msg.date()?.to_timestamp(), 0)?;
    Some(OutboxEntry {
        to,
        subject: msg.subject()?.to_string(),
        link: msg.header_raw("X-QI-Link").map(|l| l.trim().to_string()),
        sent_at: sent.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        file,
    })
}

impl OutboxMailer {
    pub fn new(dir: impl Into<PathBuf>, from: impl Into<String>) -> std::io::Result<Self> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir)?;
        Ok(OutboxMailer { dir, from: from.into() })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Every message in `dir`, newest first. A file that is not a message
    /// as the outbox writes them is left out (and logged by name).
    pub fn list(dir: &Path) -> std::io::Result<Vec<OutboxEntry>> {
        let mut out = Vec::new();
        let rd = match std::fs::read_dir(dir) {
            Ok(rd) => rd,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
            Err(e) => return Err(e),
        };
        for item in rd {
            let item = item?;
            let name = item.file_name().to_string_lossy().to_string();
            if !name.ends_with(".eml") {
                continue;
            }
            let raw = std::fs::read(item.path())?;
            match entry(name.clone(), &raw) {
                Some(e) => out.push(e),
                None => tracing::warn!(file = %name, "outbox: not a message the outbox wrote; left out of the listing"),
            }
        }
        // File names start with a sortable timestamp.
        out.sort_by(|a, b| b.file.cmp(&a.file));
        Ok(out)
    }
}

#[async_trait]
impl Mailer for OutboxMailer {
    async fn send(&self, mail: &OutgoingMail) -> Result<(), MailError> {
        let now = Utc::now();
        let mut r = [0u8; 6];
        getrandom::fill(&mut r).map_err(|e| MailError::new(MailErrorKind::Random, e))?;
        let rand = hex::encode(r);
        let stamp = now.format("%Y%m%dT%H%M%S%.6fZ").to_string();
        let text = render_eml(mail, &self.from, now, &format!("{stamp}.{rand}@qi-groups.local"))?;
        let path = self.dir.join(format!("{stamp}-{rand}.eml"));
        let tmp = self.dir.join(format!(".{stamp}-{rand}.tmp"));
        // Written whole, then renamed: the listing never sees half a file.
        tokio::task::spawn_blocking(move || {
            std::fs::write(&tmp, text)?;
            std::fs::rename(&tmp, &path)
        })
        .await
        .map_err(|e| MailError::new(MailErrorKind::OutboxTask, e))?
        .map_err(|e| MailError::new(MailErrorKind::OutboxWrite, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Language;
    use crate::mail::messages::sample_invitation as mail;

    #[tokio::test]
    async fn outbox_writes_rfc5322_and_lists_it() {
        let dir = tempfile::tempdir().unwrap();
        let m = OutboxMailer::new(dir.path(), "QI Groups <no-reply@qi.example>").unwrap();
        m.send(&mail(Language::Fr)).await.unwrap();
        m.send(&mail(Language::En)).await.unwrap();
        let list = OutboxMailer::list(dir.path()).unwrap();
        assert_eq!(list.len(), 2);
        assert!(list[0].file > list[1].file, "newest first");
        assert_eq!(list[0].subject, "You are invited to join a QI Group");
        assert!(list[1].subject.starts_with("Invitation à un groupe"), "{}", list[1].subject);
        assert!(list[0].to.contains("zoe@example.org"));
        assert!(list[0].to.contains("Zoë") || list[0].to.starts_with("=?"), "{}", list[0].to);
        assert_eq!(list[0].link.as_deref(), Some("http://127.0.0.1:8080/api/access?code=abc.1.xyz"));
        assert!(DateTime::parse_from_rfc3339(&list[0].sent_at).is_ok());
        let raw = std::fs::read_to_string(dir.path().join(&list[0].file)).unwrap();
        let (head, body) = raw.split_once("\r\n\r\n").unwrap();
        for h in [
            "From: ",
            "To: ",
            "Subject: ",
            "Date: ",
            "Message-ID: <",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=\"utf-8\"",
            "Content-Transfer-Encoding: 8bit",
        ] {
            assert!(head.contains(h), "missing {h}");
        }
        assert!(head.is_ascii(), "headers are 7-bit");
        assert!(body.contains("Hello Dr. Zoë O'Neil"), "the body is readable 8bit UTF-8");
        assert!(!body.replace("\r\n", "").contains('\n'), "CRLF line ends");
        // And a mail reader sees the same text.
        let parsed = MessageParser::default().parse(raw.as_bytes()).unwrap();
        assert!(parsed.body_text(0).unwrap().contains("Hello Dr. Zoë O'Neil"));
        assert_eq!(parsed.from().and_then(|a| a.first()).and_then(|a| a.address()), Some("no-reply@qi.example"));
    }

    #[test]
    fn the_listing_decodes_what_was_encoded() {
        let long = "Équipe « Nord » — a long subject with accents éèàç to force several encoded words";
        let mut m = mail(Language::En);
        m.subject = long.to_string();
        let sent = DateTime::parse_from_rfc3339("2026-06-15T16:00:00Z").unwrap().with_timezone(&Utc);
        let raw = render_eml(&m, "QI Groups (local) <no-reply@qi-groups.invalid>", sent, "x@qi-groups.local").unwrap();
        let e = entry("a.eml".into(), raw.as_bytes()).unwrap();
        assert_eq!(e.subject, long);
        assert_eq!(e.sent_at, "2026-06-15T16:00:00Z");
        assert!(raw.contains("From: \"QI Groups (local)\" <no-reply@qi-groups.invalid>"), "{raw}");
        assert_eq!(entry("b.eml".into(), b"not a message"), None);
    }

    #[test]
    fn senders_are_read_like_a_from_header() {
        let named = |n: &str, a: &str| Some((Some(n.to_string()), a.to_string()));
        assert_eq!(parse_mailbox("QI Groups <a@b.c>"), named("QI Groups", "a@b.c"));
        assert_eq!(parse_mailbox("\"Q, I\" <a@b.c>"), named("Q, I", "a@b.c"));
        assert_eq!(parse_mailbox("a@b.c"), Some((None, "a@b.c".to_string())));
    }
}
