//! Mail port: a [`Mailer`] sends one plain-text email. `SesMailer` uses
//! Amazon SES v2 (production); `OutboxMailer` writes RFC 5322 `.eml` files
//! into a directory (dev server, tests).
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::domain::{Email, Language, PersonName, Role};

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
    pub kind: &'static str,
    pub detail: String,
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

// ------------------------------------------------------------------ outbox --

/// Writes each message as `DIR/<time>-<random>.eml`.
#[derive(Debug, Clone)]
pub struct OutboxMailer {
    dir: PathBuf,
    from: String,
}

/// One entry of the outbox listing (`GET /api/outbox`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutboxEntry {
    pub to: String,
    pub subject: String,
    pub link: Option<String>,
    pub sent_at: String,
    pub file: String,
}

/// RFC 2047 encoded-word for a header value, only when it is not plain ASCII.
fn encode_header(value: &str) -> String {
    use base64::{engine::general_purpose::STANDARD, Engine};
    if value.is_ascii() && !value.contains(['\r', '\n']) {
        value.to_string()
    } else {
        // Split into chunks so each encoded word stays short.
        let clean: String = value.chars().filter(|c| *c != '\r' && *c != '\n').collect();
        let mut words = Vec::new();
        let mut chunk = String::new();
        for c in clean.chars() {
            if chunk.len() + c.len_utf8() > 45 {
                words.push(format!("=?UTF-8?B?{}?=", STANDARD.encode(chunk.as_bytes())));
                chunk.clear();
            }
            chunk.push(c);
        }
        if !chunk.is_empty() {
            words.push(format!("=?UTF-8?B?{}?=", STANDARD.encode(chunk.as_bytes())));
        }
        words.join("\r\n ")
    }
}

fn decode_header(value: &str) -> String {
    use base64::{engine::general_purpose::STANDARD, Engine};
    let mut out = String::new();
    for part in value.split_whitespace() {
        if let Some(b64) = part.strip_prefix("=?UTF-8?B?").and_then(|p| p.strip_suffix("?=")) {
            if let Ok(bytes) = STANDARD.decode(b64) {
                out.push_str(&String::from_utf8_lossy(&bytes));
                continue;
            }
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(part);
    }
    out
}

/// `"Name" <addr>` with the display name encoded when needed.
fn mailbox(name: &str, addr: &str) -> String {
    if name.is_ascii() {
        let quoted = name.replace('\\', "\\\\").replace('"', "\\\"");
        format!("\"{quoted}\" <{addr}>")
    } else {
        format!("{} <{addr}>", encode_header(name))
    }
}

/// The RFC 5322 text of a message (CRLF line ends, UTF-8 8bit body).
pub fn render_eml(mail: &OutgoingMail, from: &str, sent_at: DateTime<Utc>, message_id: &str) -> String {
    let mut h = Vec::new();
    h.push(format!("From: {from}"));
    h.push(format!("To: {}", mailbox(mail.to_name.as_str(), mail.to.as_str())));
    h.push(format!("Subject: {}", encode_header(&mail.subject)));
    h.push(format!("Date: {}", sent_at.to_rfc2822()));
    h.push(format!("Message-ID: <{message_id}>"));
    h.push("MIME-Version: 1.0".to_string());
    h.push("Content-Type: text/plain; charset=utf-8".to_string());
    h.push("Content-Transfer-Encoding: 8bit".to_string());
    if let Some(link) = &mail.link {
        h.push(format!("X-QI-Link: {link}"));
    }
    if let Some(role) = mail.role {
        h.push(format!("X-QI-Role: {}", role.as_str()));
    }
    let body = mail.body.replace("\r\n", "\n").replace('\n', "\r\n");
    format!("{}\r\n\r\n{}", h.join("\r\n"), body)
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

    /// Every message in `dir`, newest first.
    pub fn list(dir: &Path) -> std::io::Result<Vec<OutboxEntry>> {
        let mut out = Vec::new();
        let rd = match std::fs::read_dir(dir) {
            Ok(rd) => rd,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
            Err(e) => return Err(e),
        };
        for entry in rd {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().to_string();
            if !name.ends_with(".eml") {
                continue;
            }
            let text = std::fs::read_to_string(entry.path())?;
            let head = text.split("\r\n\r\n").next().unwrap_or("");
            // Unfold continuation lines.
            let unfolded = head.replace("\r\n ", " ");
            let mut e = OutboxEntry { to: String::new(), subject: String::new(), link: None, sent_at: String::new(), file: name };
            for line in unfolded.split("\r\n") {
                let Some((k, v)) = line.split_once(": ") else { continue };
                match k.to_ascii_lowercase().as_str() {
                    "to" => e.to = decode_header(v),
                    "subject" => e.subject = decode_header(v),
                    "x-qi-link" => e.link = Some(v.to_string()),
                    "date" => {
                        e.sent_at = DateTime::parse_from_rfc2822(v)
                            .map(|d| d.with_timezone(&Utc).to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                            .unwrap_or_else(|_| v.to_string())
                    }
                    _ => {}
                }
            }
            out.push(e);
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
        getrandom::fill(&mut r).map_err(|e| MailError { kind: "rng", detail: e.to_string() })?;
        let rand: String = r.iter().map(|b| format!("{b:02x}")).collect();
        let stamp = now.format("%Y%m%dT%H%M%S%.6fZ").to_string();
        let id = format!("{stamp}.{rand}@qi-groups.local");
        let text = render_eml(mail, &self.from, now, &id);
        let path = self.dir.join(format!("{stamp}-{rand}.eml"));
        let tmp = self.dir.join(format!(".{stamp}-{rand}.tmp"));
        tokio::task::spawn_blocking(move || {
            std::fs::write(&tmp, text)?;
            std::fs::rename(&tmp, &path)
        })
        .await
        .map_err(|e| MailError { kind: "outbox_task", detail: e.to_string() })?
        .map_err(|e| MailError { kind: "outbox_write", detail: e.to_string() })
    }
}

// --------------------------------------------------------------------- SES --

/// Sends through Amazon SES v2 from a verified identity (`QI_MAIL_FROM`).
#[derive(Debug, Clone)]
pub struct SesMailer {
    client: aws_sdk_sesv2::Client,
    from: String,
}

/// The parts of an SES `SendEmail` call, built without the network.
#[derive(Debug, Clone)]
pub struct SesRequest {
    pub from: String,
    pub to: Vec<String>,
    pub content: aws_sdk_sesv2::types::EmailContent,
}

impl SesMailer {
    pub fn new(client: aws_sdk_sesv2::Client, from: impl Into<String>) -> Self {
        SesMailer { client, from: from.into() }
    }

    /// Build the request for `mail` (simple content: UTF-8 subject and text body).
    pub fn build_request(from: &str, mail: &OutgoingMail) -> Result<SesRequest, MailError> {
        use aws_sdk_sesv2::types::{Body, Content, EmailContent, Message};
        let bad = |e: aws_sdk_sesv2::error::BuildError| MailError { kind: "ses_build", detail: e.to_string() };
        let subject = Content::builder().data(mail.subject.clone()).charset("UTF-8").build().map_err(bad)?;
        let text = Content::builder().data(mail.body.clone()).charset("UTF-8").build().map_err(bad)?;
        let content =
            EmailContent::builder().simple(Message::builder().subject(subject).body(Body::builder().text(text).build()).build()).build();
        Ok(SesRequest { from: from.to_string(), to: vec![mailbox(mail.to_name.as_str(), mail.to.as_str())], content })
    }
}

#[async_trait]
impl Mailer for SesMailer {
    async fn send(&self, mail: &OutgoingMail) -> Result<(), MailError> {
        use aws_sdk_sesv2::types::Destination;
        let req = Self::build_request(&self.from, mail)?;
        self.client
            .send_email()
            .from_email_address(req.from)
            .destination(Destination::builder().set_to_addresses(Some(req.to)).build())
            .content(req.content)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| {
                let kind = match e.as_service_error() {
                    Some(s) if s.is_too_many_requests_exception() || s.is_limit_exceeded_exception() => "ses_throttled",
                    Some(s) if s.is_message_rejected() => "ses_rejected",
                    Some(s) if s.is_account_suspended_exception() || s.is_sending_paused_exception() => "ses_paused",
                    Some(_) => "ses_error",
                    None => "ses_unreachable",
                };
                MailError { kind, detail: format!("{e:?}") }
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail(lang: Language) -> OutgoingMail {
        personal_link_mail(
            &PersonName::parse("Dr. Zoë O'Neil").unwrap(),
            &Email::parse("zoe@example.org").unwrap(),
            lang,
            Role::Peer,
            "Équipe \"Nord\"",
            "Dr. Lead",
            "http://127.0.0.1:8080/api/access?code=abc.1.xyz",
        )
    }

    #[tokio::test]
    async fn outbox_writes_rfc5322_and_lists_it() {
        let dir = tempfile::tempdir().unwrap();
        let m = OutboxMailer::new(dir.path(), "QI Groups <no-reply@qi.example>").unwrap();
        m.send(&mail(Language::Fr)).await.unwrap();
        m.send(&mail(Language::En)).await.unwrap();
        let list = OutboxMailer::list(dir.path()).unwrap();
        assert_eq!(list.len(), 2);
        assert!(list[0].file > list[1].file, "newest first");
        assert!(list[0].subject.contains("Équipe \"Nord\""), "{}", list[0].subject);
        assert!(list[1].subject.starts_with("Vous faites partie"), "{}", list[1].subject);
        assert!(list[0].to.contains("zoe@example.org"));
        assert!(list[0].to.contains("Zoë"), "{}", list[0].to);
        assert_eq!(list[0].link.as_deref(), Some("http://127.0.0.1:8080/api/access?code=abc.1.xyz"));
        assert!(DateTime::parse_from_rfc3339(&list[0].sent_at).is_ok());
        let raw = std::fs::read_to_string(dir.path().join(&list[0].file)).unwrap();
        let (head, body) = raw.split_once("\r\n\r\n").unwrap();
        for h in ["From: ", "To: ", "Subject: ", "Date: ", "Message-ID: <", "MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8"]
        {
            assert!(head.contains(h), "missing {h}");
        }
        assert!(head.is_ascii(), "headers are 7-bit");
        assert!(body.contains("Hello Dr. Zoë O'Neil"));
        assert!(!body.replace("\r\n", "").contains('\n'), "CRLF line ends");
    }

    #[test]
    fn ses_request_is_utf8_simple_content() {
        let r = SesMailer::build_request("QI Groups <no-reply@qi.example>", &mail(Language::Fr)).unwrap();
        assert_eq!(r.from, "QI Groups <no-reply@qi.example>");
        assert_eq!(r.to.len(), 1);
        assert!(r.to[0].ends_with("<zoe@example.org>"));
        let msg = r.content.simple().unwrap();
        assert_eq!(msg.subject().unwrap().charset(), Some("UTF-8"));
        assert!(msg.subject().unwrap().data().starts_with("Vous faites partie"));
        let text = msg.body().unwrap().text().unwrap();
        assert!(text.data().contains("Votre lien personnel"));
        assert!(text.data().contains("code=abc.1.xyz"));
        assert!(msg.body().unwrap().html().is_none());
    }

    #[test]
    fn header_encoding_round_trips() {
        for s in ["plain", "Équipe « Nord » — a long subject with accents éèàç to force several words"] {
            let enc = encode_header(s);
            assert!(enc.is_ascii());
            assert_eq!(decode_header(&enc.replace("\r\n ", " ")), s);
        }
    }
}
