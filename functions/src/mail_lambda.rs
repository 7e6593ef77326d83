//! The two mail functions behind no route:
//!
//! - **mailer** ([`StreamMailer`], [`run_mailer`]): the table's stream (keys
//!   only, filtered to new `OUTBOX#` items) invokes it with a batch of
//!   records, in the order they were written. Each names one queued mail,
//!   which gets one attempt ([`crate::mail::deliver`]); a failure that may
//!   pass (SES throttling, a timeout) is waited out inside the invocation
//!   while its next attempt falls within the time left; a mail due later
//!   (or held by an attempt cut short) is left to the **sweep**: a schedule
//!   invokes the same function every few minutes, and it attempts every
//!   pending mail that is due ([`StreamMailer::sweep`]). So the stream is
//!   never held up by one slow mail, and nothing waits on a stream record
//!   that will not come again. A record is reported as the batch's first
//!   failure (`batchItemFailures`, so Lambda invokes again from it) only when
//!   the store failed or the dead-letter queue refused a message. A mail
//!   given up is put on the dead-letter queue (its id and why: no personal
//!   data) and kept in the table for `qi admin outbox retry`; after the
//!   event source mapping's last retry, Lambda puts its own failure record
//!   on the same queue.
//! - **mail-events** ([`SesEvents`], [`run_mail_events`]): SES publishes
//!   bounces and complaints of mail sent through the configuration set to an
//!   SNS topic, which invokes it; a permanent bounce or a complaint marks the
//!   address undeliverable (by hash), which staff see in the members export
//!   and members see on their group page.
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_lambda_events::event::dynamodb::Event as StreamEvent;
use aws_lambda_events::event::sns::SnsEvent;
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use lambda_http::lambda_runtime::{self, LambdaEvent};
use serde::Deserialize;

use crate::domain::{address_key, Clock, Email, OsRandom, Random, SystemClock, Undeliverable, UndeliverableReason};
use crate::env::{optional, required, ConfigError};
use crate::mail::deliver::{Attempt, Deliverer, Retries};
use crate::mail::{Mailer, SesMailer};
use crate::store::dynamo::{mail_id_of_keys, sdk_config_from_env, DynamoStore};
use crate::store::{Store, StoreError};

/// Time kept back from an invocation's deadline (answering, logging).
const MARGIN: Duration = Duration::from_secs(5);

/// Where given-up mail is reported: the mail dead-letter queue.
#[derive(Debug, Clone)]
pub struct DeadLetters {
    pub client: aws_sdk_sqs::Client,
    pub queue_url: String,
}

impl DeadLetters {
    /// Put `id` (and why it was given up) on the queue. The body names the
    /// outbox item only: the message stays in the table.
    pub async fn put(&self, id: &str, error: &str) -> Result<(), String> {
        let body = serde_json::json!({ "outbox_id": id, "error": error, "source": "mailer" }).to_string();
        self.client.send_message().queue_url(&self.queue_url).message_body(body).send().await.map(|_| ()).map_err(|e| {
            // The SDK's error may echo the request: only its kind is kept.
            match e.as_service_error() {
                Some(_) => "sqs_error".to_string(),
                None => "sqs_unreachable".to_string(),
            }
        })
    }
}

/// The mailer's ports.
pub struct StreamMailer {
    pub store: Arc<dyn Store>,
    pub mailer: Arc<dyn Mailer>,
    pub clock: Arc<dyn Clock>,
    pub random: Arc<dyn Random>,
    pub retries: Retries,
    pub dead_letters: DeadLetters,
}

impl StreamMailer {
    fn deliverer(&self) -> Deliverer<'_> {
        Deliverer {
            store: self.store.as_ref(),
            mailer: self.mailer.as_ref(),
            clock: self.clock.as_ref(),
            random: self.random.as_ref(),
            retries: self.retries,
        }
    }

    /// Handle one batch, with the invocation's `deadline`.
    pub async fn handle(&self, event: StreamEvent, deadline: Instant) -> DynamoDbEventResponse {
        let mut response = DynamoDbEventResponse::default();
        for record in event.records {
            let seq = record.change.sequence_number.clone();
            // The keys in DynamoDB's JSON form: {"pk": {"S": "OUTBOX#…"}, …}.
            let keys = serde_json::to_value(&record.change.keys).unwrap_or_default();
            let key = |name: &str| keys[name]["S"].as_str().unwrap_or_default().to_string();
            let (pk, sk) = (key("pk"), key("sk"));
            let Some(id) = mail_id_of_keys(&pk, &sk) else {
                // The event source mapping's filter lets only new outbox items through.
                tracing::warn!(event = record.event_name.as_str(), "a stream record that is not a queued mail: ignored");
                continue;
            };
            if !self.deliver(id, deadline).await {
                // Lambda retries from this record; the ones after it come again.
                let mut failure = DynamoDbBatchItemFailure::default();
                failure.item_identifier = seq;
                response.batch_item_failures.push(failure);
                break;
            }
        }
        response
    }

    /// Attempts at mail `id` while it can be settled in the time left.
    /// `false` only when the record should come again (the store failed, or
    /// the dead-letter queue refused a given-up mail); a mail due later than
    /// the time left is left to the sweep.
    async fn deliver(&self, id: &str, deadline: Instant) -> bool {
        loop {
            let outcome = match self.deliverer().attempt(id).await {
                Ok(o) => o,
                Err(e) => {
                    tracing::warn!(cause = e.kind(), "queued mail: the store failed");
                    return false;
                }
            };
            let due = match outcome {
                Attempt::Dead { error } => return self.report_dead(id, error.as_str()).await,
                // Given up by an earlier delivery whose report may not have
                // reached the queue: report it (again; a duplicate is harmless).
                Attempt::AlreadySettled(crate::domain::MailState::Dead) => return self.report_dead(id, "dead").await,
                ref o if o.is_final() => return true,
                Attempt::Retry { at, .. } | Attempt::NotDue(at) | Attempt::Held(at) => at,
                _ => return true,
            };
            let wait = (due - self.clock.now()).to_std().unwrap_or_default();
            if Instant::now() + wait + MARGIN > deadline {
                tracing::info!(outcome = "left_to_sweep", "queued mail due after this invocation");
                return true;
            }
            tokio::time::sleep(wait).await;
        }
    }

    /// Put a given-up mail's id on the dead-letter queue; `false` if refused.
    async fn report_dead(&self, id: &str, error: &str) -> bool {
        match self.dead_letters.put(id, error).await {
            Ok(()) => true,
            Err(kind) => {
                tracing::error!(kind = kind.as_str(), "queued mail given up, and the dead-letter queue refused it");
                false
            }
        }
    }

    /// The scheduled sweep: one attempt at every pending mail that is due,
    /// oldest first, while the time left allows (what the stream left:
    /// retries due later, attempts cut short). Returns how many were sent.
    pub async fn sweep(&self, deadline: Instant) -> Result<usize, SweepError> {
        let due = self.deliverer().due().await.map_err(SweepError::Store)?;
        let (mut sent, mut unreported) = (0, 0);
        for id in due {
            if Instant::now() + MARGIN > deadline {
                break;
            }
            match self.deliverer().attempt(&id).await {
                Ok(Attempt::Sent) => sent += 1,
                Ok(Attempt::Dead { error }) => {
                    if !self.report_dead(&id, error.as_str()).await {
                        unreported += 1;
                    }
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(cause = e.kind(), "queued mail: the store failed; left for the next sweep"),
            }
        }
        tracing::info!(sent, "outbox sweep");
        if unreported > 0 {
            // Fail the invocation, so that the mailer's errors alarm fires:
            // the dead mail is in the table (`qi admin outbox list`), not on the queue.
            return Err(SweepError::Unreported(unreported));
        }
        Ok(sent)
    }
}

/// Why a sweep failed (words safe for logs).
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    #[error("the store failed: {}", .0.kind())]
    Store(StoreError),
    #[error("{0} given-up mail(s) could not be put on the dead-letter queue")]
    Unreported(usize),
}

/// The mailer function: `QI_TABLE_NAME`, `QI_MAIL_FROM`, optional
/// `QI_SES_CONFIGURATION_SET`, `QI_MAIL_DEAD_LETTER_QUEUE_URL`.
pub async fn run_mailer() -> Result<(), lambda_http::Error> {
    crate::http::init_logging();
    let configured: Result<StreamMailer, ConfigError> = async {
        let table = required("QI_TABLE_NAME")?;
        let from = required("QI_MAIL_FROM")?;
        let queue_url = required("QI_MAIL_DEAD_LETTER_QUEUE_URL")?;
        let sdk = sdk_config_from_env().await;
        let mailer = SesMailer::new(aws_sdk_sesv2::Client::new(&sdk), from).with_configuration_set(optional("QI_SES_CONFIGURATION_SET"));
        Ok(StreamMailer {
            store: Arc::new(DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), table)),
            mailer: Arc::new(mailer),
            clock: Arc::new(SystemClock),
            random: Arc::new(OsRandom),
            retries: Retries::default(),
            dead_letters: DeadLetters { client: aws_sdk_sqs::Client::new(&sdk), queue_url },
        })
    }
    .await;
    let handler = Arc::new(configured.map_err(|e| {
        tracing::error!(problem = %e, "configuration");
        lambda_http::Error::from(e)
    })?);
    // Two callers: the stream's event source mapping (a batch of records)
    // and the sweep's schedule (any other event).
    lambda_runtime::run(lambda_runtime::service_fn(move |event: LambdaEvent<serde_json::Value>| {
        let handler = handler.clone();
        async move {
            let deadline = deadline_of(&event.context);
            if event.payload.get("Records").is_some() {
                let batch: StreamEvent = serde_json::from_value(event.payload)?;
                Ok::<_, lambda_http::Error>(serde_json::to_value(handler.handle(batch, deadline).await)?)
            } else {
                let sent = handler.sweep(deadline).await.map_err(|e| lambda_http::Error::from(e.to_string()))?;
                Ok(serde_json::json!({ "swept": true, "sent": sent }))
            }
        }
    }))
    .await
}

/// The invocation's deadline as an `Instant`.
fn deadline_of(ctx: &lambda_runtime::Context) -> Instant {
    let now_ms = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0);
    Instant::now() + Duration::from_millis(ctx.deadline.saturating_sub(now_ms))
}

/// What SES publishes about one message (the parts read here).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SesNotification {
    /// Event publishing (a configuration set's destination).
    event_type: Option<String>,
    /// Identity notifications (the same content).
    notification_type: Option<String>,
    bounce: Option<Bounce>,
    complaint: Option<Complaint>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Bounce {
    bounce_type: String,
    #[serde(default)]
    bounced_recipients: Vec<Recipient>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Complaint {
    #[serde(default)]
    complained_recipients: Vec<Recipient>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Recipient {
    email_address: String,
}

/// The addresses one SES notification reports as undeliverable: every
/// recipient of a permanent bounce, every complainant. A transient bounce
/// (a full mailbox, a server down) marks nobody.
pub fn undeliverable_in(message: &str) -> Result<Vec<(Email, UndeliverableReason)>, String> {
    let n: SesNotification = serde_json::from_str(message).map_err(|e| format!("not an SES notification ({:?})", e.classify()))?;
    let kind = n.event_type.or(n.notification_type).unwrap_or_default();
    let (reason, addresses): (UndeliverableReason, Vec<String>) = match (kind.as_str(), n.bounce, n.complaint) {
        ("Bounce", Some(b), _) if b.bounce_type == "Permanent" => {
            (UndeliverableReason::Bounce, b.bounced_recipients.into_iter().map(|r| r.email_address).collect())
        }
        ("Complaint", _, Some(c)) => {
            (UndeliverableReason::Complaint, c.complained_recipients.into_iter().map(|r| r.email_address).collect())
        }
        _ => return Ok(Vec::new()),
    };
    Ok(addresses.iter().filter_map(|a| Email::parse(bare_address(a)).ok()).map(|e| (e, reason)).collect())
}

/// `Name <a@b>` or `a@b` → `a@b`.
fn bare_address(a: &str) -> &str {
    match (a.rfind('<'), a.rfind('>')) {
        (Some(l), Some(r)) if l < r => &a[l + 1..r],
        _ => a.trim(),
    }
}

/// The SES-event handler's ports.
pub struct SesEvents {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
}

impl SesEvents {
    /// Record every undeliverable address the notifications in `event`
    /// report. A store failure fails the invocation (SNS tries again; a
    /// repeated mark changes nothing).
    pub async fn handle(&self, event: SnsEvent) -> Result<usize, StoreError> {
        let mut marked = 0;
        for record in event.records {
            let found = match undeliverable_in(&record.sns.message) {
                Ok(f) => f,
                Err(problem) => {
                    tracing::warn!(problem = problem.as_str(), "an SNS message that is not an SES notification: ignored");
                    continue;
                }
            };
            for (email, reason) in found {
                let u = Undeliverable { address: address_key(&email), reason, at: self.clock.now() };
                self.store.mark_undeliverable(&u).await?;
                tracing::info!(reason = reason.as_str(), "an address was marked undeliverable");
                marked += 1;
            }
        }
        Ok(marked)
    }
}

/// The mail-events function: `QI_TABLE_NAME`.
pub async fn run_mail_events() -> Result<(), lambda_http::Error> {
    crate::http::init_logging();
    let store = DynamoStore::from_env().await.map_err(|e| {
        tracing::error!(cause = e.kind(), "configuration");
        lambda_http::Error::from(e.to_string())
    })?;
    let handler = Arc::new(SesEvents { store: Arc::new(store), clock: Arc::new(SystemClock) });
    lambda_runtime::run(lambda_runtime::service_fn(move |event: LambdaEvent<SnsEvent>| {
        let handler = handler.clone();
        async move {
            let marked = handler.handle(event.payload).await.map_err(|e| lambda_http::Error::from(e.kind()))?;
            Ok::<_, lambda_http::Error>(serde_json::json!({ "marked": marked }))
        }
    }))
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permanent_bounces_and_complaints_mark_addresses() {
        let bounce = r#"{"eventType":"Bounce","bounce":{"bounceType":"Permanent","bouncedRecipients":[{"emailAddress":"Ada <ada@example.org>"},{"emailAddress":"bob@example.org"}]},"mail":{}}"#;
        let found = undeliverable_in(bounce).unwrap();
        assert_eq!(found.iter().map(|(e, _)| e.as_str()).collect::<Vec<_>>(), vec!["ada@example.org", "bob@example.org"]);
        assert!(found.iter().all(|(_, r)| *r == UndeliverableReason::Bounce));
        let transient = bounce.replace("Permanent", "Transient");
        assert!(undeliverable_in(&transient).unwrap().is_empty(), "a full mailbox is not a dead one");
        let complaint = r#"{"notificationType":"Complaint","complaint":{"complainedRecipients":[{"emailAddress":"zoe@example.org"}]}}"#;
        assert_eq!(undeliverable_in(complaint).unwrap(), vec![(Email::parse("zoe@example.org").unwrap(), UndeliverableReason::Complaint)]);
        assert!(undeliverable_in(r#"{"eventType":"Delivery"}"#).unwrap().is_empty());
        assert!(undeliverable_in("not json").is_err());
    }
}
