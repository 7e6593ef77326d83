//! The transactional outbox end to end on moto_server: a sign-up's write
//! queues its email; the table's stream (read from moto's DynamoDB Streams,
//! as Lambda's event source mapping reads it) feeds the mailer function's
//! handler (`mail_lambda::StreamMailer`, the code the `mailer` binary runs);
//! given-up mail goes to a real SQS queue on moto.
//!
//! The event source mapping itself (which invokes again from a reported
//! failure) is AWS's: `deliver_like_lambda` below does what its documented
//! contract says (batches in stream order; a `batchItemFailures` entry means
//! "invoke again from this record"), so the handler meets the input it gets
//! in production. Part of the `dynamo` test binary; like the rest of it, they FAIL without
//! `QI_TEST_DYNAMODB_ENDPOINT` (scripts/test starts moto).
#![allow(clippy::unwrap_used, clippy::expect_used)]
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::config::{Credentials, Region};
use qi_functions::aws_lambda_events::event::dynamodb::{Event, EventRecord};
use qi_functions::domain::*;
use qi_functions::mail::deliver::Retries;
use qi_functions::mail::{MailError, MailErrorKind, Mailer, NoMailer, OutgoingMail};
use qi_functions::mail_lambda::{DeadLetters, StreamMailer};
use qi_functions::store::dynamo::DynamoStore;
use qi_functions::store::schema::{self, CreateOptions};
use qi_functions::store::Store;
use qi_functions::{App, Config};

fn endpoint() -> String {
    std::env::var("QI_TEST_DYNAMODB_ENDPOINT")
        .unwrap_or_else(|_| panic!("QI_TEST_DYNAMODB_ENDPOINT is not set: these tests need a moto_server (scripts/test starts one)"))
}

async fn sdk_config() -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(Region::new("ca-central-1"))
        .endpoint_url(endpoint())
        .credentials_provider(Credentials::new("test", "test", None, None, "static"))
        .load()
        .await
}

fn unique(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    format!("{prefix}-{}-{}-{}", std::process::id(), nanos % 1_000_000_000, N.fetch_add(1, Ordering::Relaxed))
}

/// A mailer that records what it sends and fails the first `fail_first`
/// sends (as SES does when it throttles), or every send with `always`.
struct Flaky {
    fail_first: usize,
    always: Option<MailErrorKind>,
    calls: AtomicUsize,
    sent: Mutex<Vec<OutgoingMail>>,
}

impl Flaky {
    fn new(fail_first: usize, always: Option<MailErrorKind>) -> Arc<Flaky> {
        Arc::new(Flaky { fail_first, always, calls: AtomicUsize::new(0), sent: Mutex::new(Vec::new()) })
    }
}

#[async_trait::async_trait]
impl Mailer for Flaky {
    async fn send(&self, mail: &OutgoingMail) -> Result<(), MailError> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        if let Some(kind) = self.always {
            return Err(MailError::new(kind, "refused"));
        }
        if n < self.fail_first {
            return Err(MailError::new(MailErrorKind::SesThrottled, "slow down"));
        }
        self.sent.lock().unwrap().push(mail.clone());
        Ok(())
    }
}

struct World {
    store: Arc<DynamoStore>,
    streams: aws_sdk_dynamodbstreams::Client,
    stream_arn: String,
    sqs: qi_functions::aws_sdk_sqs::Client,
    queue_url: String,
}

async fn world() -> World {
    let config = sdk_config().await;
    let client = aws_sdk_dynamodb::Client::new(&config);
    let table = unique("qi-outbox");
    schema::create_table(&client, &table, CreateOptions { deletion_protection: false, point_in_time_recovery: false }).await.unwrap();
    let described = client.describe_table().table_name(&table).send().await.unwrap();
    let t = described.table().unwrap();
    assert_eq!(t.stream_specification().and_then(|s| s.stream_view_type()).map(|v| v.as_str()), Some("KEYS_ONLY"));
    let stream_arn = t.latest_stream_arn().expect("the table has a stream").to_string();
    let sqs = qi_functions::aws_sdk_sqs::Client::new(&config);
    let queue_url = sqs.create_queue().queue_name(unique("qi-mail-dlq")).send().await.unwrap().queue_url().unwrap().to_string();
    World {
        store: Arc::new(DynamoStore::new(client, table)),
        streams: aws_sdk_dynamodbstreams::Client::new(&config),
        stream_arn,
        sqs,
        queue_url,
    }
}

impl World {
    /// Every record on the table's stream so far, as the event source
    /// mapping hands them to the function (keys, event name, sequence number).
    async fn stream_records(&self) -> Vec<EventRecord> {
        let d = self.streams.describe_stream().stream_arn(&self.stream_arn).send().await.unwrap();
        let mut out = Vec::new();
        for shard in d.stream_description().unwrap().shards() {
            let it = self
                .streams
                .get_shard_iterator()
                .stream_arn(&self.stream_arn)
                .shard_id(shard.shard_id().unwrap())
                .shard_iterator_type(aws_sdk_dynamodbstreams::types::ShardIteratorType::TrimHorizon)
                .send()
                .await
                .unwrap();
            let recs = self.streams.get_records().shard_iterator(it.shard_iterator().unwrap()).send().await.unwrap();
            for r in recs.records() {
                let change = r.dynamodb().unwrap();
                let keys: serde_json::Map<String, serde_json::Value> =
                    change.keys().unwrap().iter().map(|(k, v)| (k.clone(), serde_json::json!({ "S": v.as_s().unwrap() }))).collect();
                out.push(
                    serde_json::from_value(serde_json::json!({
                        "eventID": r.event_id().unwrap_or_default(),
                        "eventName": r.event_name().map(|e| e.as_str()).unwrap_or_default(),
                        "eventSource": "aws:dynamodb",
                        "awsRegion": "ca-central-1",
                        "dynamodb": {
                            "Keys": keys,
                            "SequenceNumber": change.sequence_number().unwrap(),
                            "SizeBytes": 1,
                            "StreamViewType": "KEYS_ONLY"
                        }
                    }))
                    .unwrap(),
                );
            }
        }
        out
    }

    /// The records the event source mapping's filter passes: new `OUTBOX#` items.
    async fn outbox_inserts(&self) -> Vec<EventRecord> {
        self.stream_records().await.into_iter().filter(|r| r.event_name == "INSERT" && key(r).starts_with("OUTBOX#")).collect()
    }

    fn mailer(&self, mailer: Arc<dyn Mailer>, retries: Retries) -> StreamMailer {
        StreamMailer {
            store: self.store.clone(),
            mailer,
            clock: Arc::new(SystemClock),
            random: Arc::new(OsRandom),
            retries,
            dead_letters: DeadLetters { client: self.sqs.clone(), queue_url: self.queue_url.clone() },
        }
    }

    async fn dead_letters(&self) -> Vec<serde_json::Value> {
        let out = self.sqs.receive_message().queue_url(&self.queue_url).max_number_of_messages(10).send().await.unwrap();
        out.messages().iter().map(|m| serde_json::from_str(m.body().unwrap()).unwrap()).collect()
    }
}

fn key(r: &EventRecord) -> String {
    serde_json::to_value(&r.change.keys).unwrap()["pk"]["S"].as_str().unwrap_or_default().to_string()
}

/// The event source mapping's loop: hand the records over in batches; on a
/// reported failure, invoke again from that record, up to `max_retries`
/// times. Returns how many invocations it took.
async fn deliver_like_lambda(m: &StreamMailer, records: Vec<EventRecord>, budget: Duration, max_retries: usize) -> usize {
    let mut rest = records;
    let mut invocations = 0;
    let mut retries = 0;
    while !rest.is_empty() {
        invocations += 1;
        let batch: Vec<EventRecord> = rest.iter().take(10).cloned().collect();
        let n = batch.len();
        let mut event = Event::default();
        event.records = batch;
        let response = m.handle(event, Instant::now() + budget).await;
        match response.batch_item_failures.first().and_then(|f| f.item_identifier.clone()) {
            None => {
                rest.drain(..n);
                retries = 0;
            }
            Some(seq) => {
                let from =
                    rest.iter().position(|r| r.change.sequence_number.as_deref() == Some(seq.as_str())).expect("a record of the batch");
                rest.drain(..from);
                retries += 1;
                assert!(retries <= max_retries, "the same record failed {retries} times");
            }
        }
    }
    invocations
}

async fn invited(store: &dyn Store, lead: &str) -> Cycle {
    let cycle = Cycle::parse("2026").unwrap();
    let csv = format!("cpso,email\n{lead},onfile{lead}@example.org\n");
    store.import_invitations(&InvitationList::parse_csv(&csv, &cycle).unwrap()).await.unwrap();
    cycle
}

fn sign_up_form(lead: &str) -> SignUp {
    SignUp {
        name: GroupName::parse("Lakeshore QI").unwrap(),
        practice_setting: PracticeSetting::parse("Family health team").unwrap(),
        lead: LeadDetails { cpso: Cpso::parse(lead).unwrap(), name: PersonName::parse("Dr. Ada Lead").unwrap(), language: Language::En },
        peers: vec![PersonDetails {
            cpso: Cpso::parse("901").unwrap(),
            name: PersonName::parse("Dr. Bea Peer").unwrap(),
            email: Email::parse("bea@example.org").unwrap(),
            language: Language::Fr,
        }],
    }
}

/// The request function's App: it sends nothing itself.
fn request_app(store: Arc<DynamoStore>, cycle: Cycle) -> App {
    App::new(store, Arc::new(NoMailer), Config::new("https://qi.example", cycle))
}

#[tokio::test]
async fn a_sign_up_whose_first_send_fails_still_delivers_exactly_one_email() {
    let w = world().await;
    let cycle = invited(w.store.as_ref(), "900").await;
    let app = request_app(w.store.clone(), cycle);
    assert_eq!(qi_functions::app::sign_up::sign_up(&app, sign_up_form("900")).await.unwrap(), None, "proposed");
    let records = w.outbox_inserts().await;
    assert_eq!(records.len(), 1, "the proposal's write queued one email, seen on the stream");

    let flaky = Flaky::new(1, None);
    let quick = Retries { first_wait: Duration::from_millis(50), ..Retries::default() };
    let m = w.mailer(flaky.clone(), quick);
    // Delivered twice by the stream (at-least-once), and once more after a
    // lost answer: still one email.
    let twice: Vec<EventRecord> = records.iter().chain(records.iter()).cloned().collect();
    deliver_like_lambda(&m, twice, Duration::from_secs(30), 3).await;
    deliver_like_lambda(&m, records.clone(), Duration::from_secs(30), 3).await;
    assert_eq!(flaky.calls.load(Ordering::SeqCst), 2, "one failed send, one that worked");
    let sent = flaky.sent.lock().unwrap().clone();
    assert_eq!(sent.len(), 1, "exactly one email");
    assert_eq!(sent[0].to.as_str(), "onfile900@example.org");
    assert!(sent[0].link.as_deref().is_some_and(|l| l.starts_with("https://qi.example/api/access?code=")));
    let recs = w.store.list_mail(chrono::Utc::now()).await.unwrap();
    assert_eq!(recs.len(), 1);
    assert_eq!(
        (recs[0].state, recs[0].attempts, recs[0].mail.as_ref()),
        (MailState::Sent, 1, None),
        "sent after one failure, message dropped"
    );
    assert!(w.dead_letters().await.is_empty());
}

#[tokio::test]
async fn a_failure_outlasting_the_invocation_is_left_to_the_sweep_and_holds_nothing_up() {
    let w = world().await;
    let cycle = invited(w.store.as_ref(), "910").await;
    invited(w.store.as_ref(), "911").await;
    let app = request_app(w.store.clone(), cycle);
    qi_functions::app::sign_up::sign_up(&app, sign_up_form("910")).await.unwrap();
    let mut second = sign_up_form("911");
    second.peers[0].cpso = Cpso::parse("902").unwrap();
    qi_functions::app::sign_up::sign_up(&app, second).await.unwrap();
    let records = w.outbox_inserts().await;
    assert_eq!(records.len(), 2);
    // The first send fails, and its next attempt is due later than this
    // invocation can wait: it is left to the sweep, and the next record of
    // the batch is sent at once (the stream is not held up).
    let flaky = Flaky::new(1, None);
    let slow = Retries { first_wait: Duration::from_millis(300), ..Retries::default() };
    let m = w.mailer(flaky.clone(), slow);
    assert_eq!(deliver_like_lambda(&m, records, Duration::from_millis(5_100), 0).await, 1, "one invocation, no failure reported");
    assert_eq!(flaky.sent.lock().unwrap().len(), 1, "the second mail went out");
    let pending: Vec<MailRecord> =
        w.store.list_mail(chrono::Utc::now()).await.unwrap().into_iter().filter(|r| r.state == MailState::Pending).collect();
    assert_eq!(pending.len(), 1);
    assert_eq!((pending[0].attempts, pending[0].last_error.as_deref()), (1, Some("ses_throttled")));
    // The schedule's sweep sends it once it is due (waiting for that state,
    // not for a fixed time).
    let mut swept = 0;
    for _ in 0..200 {
        swept += m.sweep(Instant::now() + Duration::from_secs(30)).await.unwrap();
        if swept > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(swept, 1);
    assert_eq!(flaky.sent.lock().unwrap().len(), 2, "both sent, each once");
    assert_eq!(m.sweep(Instant::now() + Duration::from_secs(30)).await.unwrap(), 0, "nothing left");
}

#[tokio::test]
async fn a_poison_message_lands_in_the_dead_letter_queue_and_can_be_sent_again() {
    let w = world().await;
    let cycle = invited(w.store.as_ref(), "920").await;
    let app = request_app(w.store.clone(), cycle);
    qi_functions::app::sign_up::sign_up(&app, sign_up_form("920")).await.unwrap();
    let records = w.outbox_inserts().await;
    let id = key(&records[0]).trim_start_matches("OUTBOX#").to_string();
    // SES refuses it every time (e.g. an unverified recipient in the sandbox).
    let refusing = Flaky::new(0, Some(MailErrorKind::SesRejected));
    let quick = Retries { max_attempts: 3, first_wait: Duration::from_millis(20), ..Retries::default() };
    deliver_like_lambda(&w.mailer(refusing.clone(), quick), records.clone(), Duration::from_secs(30), 3).await;
    assert_eq!(refusing.calls.load(Ordering::SeqCst), 3, "every attempt was made");
    let dead = w.dead_letters().await;
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert_eq!(dead[0]["outbox_id"], id.as_str());
    assert_eq!(dead[0]["error"], "ses_rejected");
    let text = dead[0].to_string();
    assert!(!text.contains("example.org") && !text.contains("Lead"), "no personal data on the queue: {text}");
    let rec = w.store.list_mail(chrono::Utc::now()).await.unwrap().into_iter().find(|r| r.id == id).unwrap();
    assert_eq!(rec.state, MailState::Dead);
    assert!(rec.mail.is_some(), "the message is kept for staff");

    // Staff queue it again once the cause is fixed: a new item, a new stream record.
    let again = random_hex(&OsRandom, 16).unwrap();
    assert!(w.store.requeue_mail(&id, &again, chrono::Utc::now()).await.unwrap());
    let fresh: Vec<EventRecord> = w.outbox_inserts().await.into_iter().filter(|r| key(r).ends_with(&again)).collect();
    assert_eq!(fresh.len(), 1);
    let working = Flaky::new(0, None);
    deliver_like_lambda(&w.mailer(working.clone(), quick), fresh, Duration::from_secs(30), 3).await;
    assert_eq!(working.sent.lock().unwrap().len(), 1, "sent after the retry");
}

#[tokio::test]
async fn an_undeliverable_address_is_not_mailed() {
    let w = world().await;
    let cycle = invited(w.store.as_ref(), "930").await;
    w.store
        .mark_undeliverable(&Undeliverable {
            address: address_key(&Email::parse("onfile930@example.org").unwrap()),
            reason: UndeliverableReason::Bounce,
            at: chrono::Utc::now(),
        })
        .await
        .unwrap();
    let app = request_app(w.store.clone(), cycle);
    qi_functions::app::sign_up::sign_up(&app, sign_up_form("930")).await.unwrap();
    let mailer = Flaky::new(0, None);
    deliver_like_lambda(&w.mailer(mailer.clone(), Retries::default()), w.outbox_inserts().await, Duration::from_secs(30), 1).await;
    assert_eq!(mailer.calls.load(Ordering::SeqCst), 0, "SES is not asked to mail a known-bad address");
    assert_eq!(w.store.list_mail(chrono::Utc::now()).await.unwrap()[0].state, MailState::Suppressed);
}

#[tokio::test]
async fn ses_bounces_mark_the_address() {
    let w = world().await;
    let handler = qi_functions::mail_lambda::SesEvents { store: w.store.clone(), clock: Arc::new(SystemClock) };
    let message = serde_json::json!({
        "eventType": "Bounce",
        "bounce": { "bounceType": "Permanent", "bouncedRecipients": [{ "emailAddress": "Gone@Example.org" }] },
        "mail": { "destination": ["gone@example.org"] }
    })
    .to_string();
    let event: qi_functions::aws_lambda_events::event::sns::SnsEvent = serde_json::from_value(serde_json::json!({
        "Records": [{
            "EventSource": "aws:sns", "EventVersion": "1.0", "EventSubscriptionArn": "arn:aws:sns:ca-central-1:123456789012:t:s",
            "Sns": {
                "Type": "Notification", "MessageId": "m1", "TopicArn": "arn:aws:sns:ca-central-1:123456789012:t",
                "Subject": null, "Timestamp": "2026-12-03T12:00:00.000Z", "SignatureVersion": "1", "Signature": "x",
                "SigningCertUrl": "https://example.invalid/c", "UnsubscribeUrl": "https://example.invalid/u",
                "Message": message, "MessageAttributes": {}
            }
        }]
    }))
    .unwrap();
    assert_eq!(handler.handle(event).await.unwrap(), 1);
    let found = w.store.undeliverable(&[Email::parse("gone@example.org").unwrap()]).await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].reason, UndeliverableReason::Bounce);
}
