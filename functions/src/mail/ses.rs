//! Sending through Amazon SES v2 (`SendEmail` with simple content: SES
//! builds the MIME message itself).
use async_trait::async_trait;

use super::{mailbox, MailError, MailErrorKind, Mailer, OutgoingMail};

/// Sends through Amazon SES v2 from a verified identity (`QI_MAIL_FROM`).
#[derive(Debug, Clone)]
pub struct SesMailer {
    client: aws_sdk_sesv2::Client,
    from: String,
    /// The SES configuration set that reports bounces and complaints
    /// (`QI_SES_CONFIGURATION_SET`), if any.
    configuration_set: Option<String>,
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
        SesMailer { client, from: from.into(), configuration_set: None }
    }

    /// Send through `name`, the configuration set whose event destination
    /// reports bounces and complaints.
    pub fn with_configuration_set(mut self, name: Option<String>) -> Self {
        self.configuration_set = name;
        self
    }

    /// Build the request for `mail` (simple content: UTF-8 subject and text body).
    pub fn build_request(from: &str, mail: &OutgoingMail) -> Result<SesRequest, MailError> {
        use aws_sdk_sesv2::types::{Body, Content, EmailContent, Message};
        let bad = |e: aws_sdk_sesv2::error::BuildError| MailError::new(MailErrorKind::Build, e);
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
            .set_configuration_set_name(self.configuration_set.clone())
            .send()
            .await
            .map(|_| ())
            .map_err(|e| {
                let kind = match e.as_service_error() {
                    Some(s) if s.is_too_many_requests_exception() || s.is_limit_exceeded_exception() => MailErrorKind::SesThrottled,
                    Some(s) if s.is_message_rejected() => MailErrorKind::SesRejected,
                    Some(s) if s.is_account_suspended_exception() || s.is_sending_paused_exception() => MailErrorKind::SesPaused,
                    Some(_) => MailErrorKind::SesError,
                    None => MailErrorKind::SesUnreachable,
                };
                MailError::new(kind, format!("{e:?}"))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Language;
    use crate::mail::messages::sample_invitation as mail;

    #[test]
    fn ses_request_is_utf8_simple_content() {
        let r = SesMailer::build_request("QI Groups <no-reply@qi.example>", &mail(Language::Fr)).unwrap();
        assert_eq!(r.from, "QI Groups <no-reply@qi.example>");
        assert_eq!(r.to.len(), 1);
        assert!(r.to[0].ends_with("<zoe@example.org>"));
        let msg = r.content.simple().unwrap();
        assert_eq!(msg.subject().unwrap().charset(), Some("UTF-8"));
        assert!(msg.subject().unwrap().data().starts_with("Invitation à un groupe"));
        let text = msg.body().unwrap().text().unwrap();
        assert!(text.data().contains("votre lien personnel"));
        assert!(text.data().contains("code=abc.1.xyz"));
        assert!(msg.body().unwrap().html().is_none());
    }
}
