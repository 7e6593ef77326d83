//! DynamoStore against a real DynamoDB-compatible server (moto_server).
//!
//! `scripts/test` starts moto_server and exports `QI_TEST_DYNAMODB_ENDPOINT`
//! (plus test credentials and region). Without it these tests FAIL: a missing
//! prerequisite is an error, never a skip. Each test creates its own table,
//! from `store::schema` (the definition infra/template.yaml is checked against).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test, with its message
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use aws_sdk_dynamodb::config::{Credentials, Region};
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use qi_functions::domain::access::MAX_SESSIONS;
use qi_functions::domain::membership as step;
use qi_functions::domain::*;
use qi_functions::store::conformance::{complete_draft, create_write, invitation_of, sample_group, T0};
use qi_functions::store::dynamo::{client_with_counter, DynamoStore, RoundTripCounter};
use qi_functions::store::schema::{self, CreateOptions};
use qi_functions::store::{CheckOffWrite, ConflictKind, CurrentGroup, Store, StoreError};

// The transactional outbox end to end on moto (the stream, the mailer, the
// dead-letter queue): one test binary with these, so the AWS SDK is linked once.
#[path = "dynamo/outbox.rs"]
mod outbox;

fn endpoint() -> String {
    std::env::var("QI_TEST_DYNAMODB_ENDPOINT").unwrap_or_else(|_| {
        panic!(
            "QI_TEST_DYNAMODB_ENDPOINT is not set: these tests need a moto_server \
             (scripts/test starts one; or run `.venv/bin/python scripts/moto-server.py --port 5055` and \
             export QI_TEST_DYNAMODB_ENDPOINT=http://127.0.0.1:5055)"
        )
    })
}

async fn sdk_config() -> aws_config::SdkConfig {
    let region = std::env::var("AWS_REGION").unwrap_or_else(|_| "ca-central-1".into());
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(Region::new(region))
        .endpoint_url(endpoint())
        .credentials_provider(Credentials::new("test", "test", None, None, "static"))
        .load()
        .await
}

fn unique_table() -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    format!("qi-test-{}-{}-{}", std::process::id(), nanos % 1_000_000_000, N.fetch_add(1, Ordering::Relaxed))
}

/// A fresh table on moto with the production schema (deletion protection
/// off so it could be dropped), and a store on it that counts round trips.
async fn fresh_store() -> (DynamoStore, RoundTripCounter) {
    let config = sdk_config().await;
    let counter = RoundTripCounter::new();
    let client = client_with_counter(&config, &counter);
    let table = unique_table();
    schema::create_table(&client, &table, CreateOptions { deletion_protection: false, point_in_time_recovery: true })
        .await
        .expect("create the test table on moto_server");
    counter.take();
    (DynamoStore::new(client, table), counter)
}

async fn make_store() -> Arc<dyn Store> {
    Arc::new(fresh_store().await.0)
}

// The shared conformance suite: one test per case, each on a fresh table.
qi_functions::store_conformance_tests!(make_store());

const T1: &str = "2026-01-06T09:00:00Z";

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}
fn cpso(s: &str) -> Cpso {
    Cpso::parse(s).unwrap()
}
fn counts(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
    pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}
fn pending() -> Duration {
    Duration::days(14)
}

async fn invite(store: &dyn Store, lead: &str) {
    store.import_invitations(&InvitationList::new(vec![invitation_of(lead)]).unwrap()).await.unwrap();
}

async fn read(store: &dyn Store, id: &GroupId) -> Group {
    store.get_group(id).await.unwrap().as_of(at(T1)).unwrap()
}

/// Sign member `slot` in (a session-only write); the token.
async fn sign_in(store: &dyn Store, g: &Group, slot: u8, now: DateTime<Utc>) -> SessionToken {
    let token = AccessCode::generate(&g.id, slot as usize, &OsRandom).unwrap();
    let w =
        Write { expect_version: None, ..Write::new(g, now, vec![Effect::AddSession { slot, session: Session::new(token.hash(), now) }]) };
    store.write(&w).await.unwrap();
    token
}

fn check_off(g: &Group, slot: u8, token: &SessionToken, a: Activity, on: Option<&str>) -> CheckOffWrite {
    let on = on.map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap());
    let action = match on {
        Some(on) => Action::CheckedOff { activity: a, on },
        None => Action::Unchecked { activity: a },
    };
    CheckOffWrite {
        group: g.id.clone(),
        slot,
        session: token.hash(),
        activity: a,
        on,
        event: HistoryEntry { at: at(T1), action },
        now: at(T1),
    }
}

#[tokio::test]
async fn table_is_created_as_the_schema_says() {
    let (store, _) = fresh_store().await;
    let out = store.client().describe_table().table_name(store.table()).send().await.unwrap();
    let t = out.table().unwrap();
    let keys: Vec<(String, String)> =
        t.key_schema().iter().map(|k| (k.attribute_name().to_string(), k.key_type().as_str().to_string())).collect();
    assert_eq!(keys, vec![("pk".to_string(), "HASH".to_string()), ("sk".to_string(), "RANGE".to_string())]);
    let gsis = t.global_secondary_indexes();
    assert_eq!(gsis.len(), 1);
    assert_eq!(gsis[0].index_name(), Some("gsi1"));
    assert_eq!(gsis[0].projection().and_then(|p| p.projection_type()).map(|p| p.as_str()), Some("ALL"));
    assert_eq!(t.billing_mode_summary().and_then(|b| b.billing_mode()).map(|b| b.as_str()), Some("PAY_PER_REQUEST"));
    let backups = store.client().describe_continuous_backups().table_name(store.table()).send().await.unwrap();
    let pitr = backups
        .continuous_backups_description()
        .and_then(|d| d.point_in_time_recovery_description())
        .and_then(|p| p.point_in_time_recovery_status())
        .map(|s| s.as_str().to_string());
    assert_eq!(pitr.as_deref(), Some("ENABLED"));
    let ttl = store.client().describe_time_to_live().table_name(store.table()).send().await.unwrap();
    let ttl = ttl.time_to_live_description().unwrap();
    assert_eq!(ttl.attribute_name(), schema::TABLE.ttl_attribute);
    assert_eq!(ttl.time_to_live_status().map(|s| s.as_str()), Some("ENABLED"));
}

/// Each operation's number of DynamoDB requests. Deterministic: it counts
/// requests, it does not time them.
#[tokio::test]
async fn round_trips_per_operation() {
    let (store, counter) = fresh_store().await;
    invite(&store, "100").await;
    counter.take();
    let (g, _) = sample_group("100", &["101", "102", "103", "104", "105", "106"], T0);
    let limit = Limit { key: "proposals:cpso:100".into(), day: g.created_at.date_naive(), max: 3 };
    store.write(&create_write(&g).limited(vec![limit]).with_token("sign-up-1".into())).await.unwrap();
    assert_eq!(counter.take(), counts(&[("TransactWriteItems", 1)]), "sign-up: one transaction (invitation, counter, token, 8 items)");

    let lead = sign_in(&store, &g, 0, at(T1)).await;
    assert_eq!(counter.take(), counts(&[("TransactWriteItems", 1)]), "sign-in: one transaction");
    let fx = step::confirm(&g, 0, at(T1), pending()).unwrap();
    store.write(&Write::new(&g, at(T1), fx).by_session(0, lead.hash())).await.unwrap();
    assert_eq!(counter.take(), counts(&[("TransactWriteItems", 1)]), "confirmation: one transaction");

    let mut g = read(&store, &g.id).await;
    let mut tokens = vec![lead];
    for slot in 1..=6 {
        tokens.push(sign_in(&store, &g, slot, at(T1)).await);
        counter.take();
        store
            .write(&Write::new(&g, at(T1), step::accept(&g, slot, at(T1)).unwrap()).by_session(slot, tokens[slot as usize].hash()))
            .await
            .unwrap();
        assert_eq!(counter.take(), counts(&[("TransactWriteItems", 1)]), "acceptance: one transaction");
        g = read(&store, &g.id).await;
    }
    counter.take();

    store.check_off(&check_off(&g, 1, &tokens[1], Activity::QiSurvey, Some("2026-01-06"))).await.unwrap();
    assert_eq!(counter.take(), counts(&[("UpdateItem", 1)]), "check-off: one conditional update");

    store.get_group(&g.id).await.unwrap();
    assert_eq!(counter.take(), counts(&[("Query", 1)]), "status: one query of the group partition");

    store.touch_session(&g.id, 1, &tokens[1].hash(), at(T1)).await.unwrap();
    assert_eq!(counter.take(), counts(&[("UpdateItem", 1)]), "touch: one conditional update");

    let g = read(&store, &g.id).await;
    counter.take();
    store.write(&Write::new(&g, at(T1), step::save_draft(&g, 1, complete_draft(), at(T1)).unwrap())).await.unwrap();
    assert_eq!(counter.take(), counts(&[("TransactWriteItems", 1)]), "draft: one transaction");

    // Incomplete group: refused by the transaction's conditions, named
    // from the old images (no further read).
    let g = read(&store, &g.id).await;
    counter.take();
    let day = NaiveDate::from_ymd_opt(2026, 1, 7).unwrap();
    let fx = vec![Effect::Submit { pip: Box::new(complete_draft()), on: day }];
    let r = store.write(&Write::new(&g, at(T1), fx)).await;
    assert!(matches!(r, Err(StoreError::Conflict(ConflictKind::ActivitiesIncomplete(_)))), "{r:?}");
    assert_eq!(counter.take(), counts(&[("Query", 1), ("TransactWriteItems", 1)]));

    for m in g.accepted() {
        for a in Activity::ALL {
            store.check_off(&check_off(&g, m.slot, &tokens[m.slot as usize], a, Some("2026-01-06"))).await.unwrap();
        }
    }
    assert_eq!(counter.take(), counts(&[("UpdateItem", 28)]));

    let g = read(&store, &g.id).await;
    counter.take();
    store.write(&Write::new(&g, at(T1), step::submit(&g, 2, complete_draft(), Some(g.draft_version), day, at(T1)).unwrap())).await.unwrap();
    assert_eq!(counter.take(), counts(&[("Query", 1), ("TransactWriteItems", 1)]), "submission: a read, then one transaction");

    assert_eq!(store.group_of(&cpso("100")).await.unwrap(), Some(CurrentGroup { group: g.id.clone(), open: false }));
    assert!(store.invitation(&Cycle::parse("2026").unwrap(), &cpso("100")).await.unwrap().is_some());
    assert_eq!(counter.take(), counts(&[("GetItem", 2)]));

    // A refused check-off (plan submitted) is still one request.
    let r = store.check_off(&check_off(&g, 1, &tokens[1], Activity::QiSurvey, None)).await;
    assert_eq!(r, Err(StoreError::Conflict(ConflictKind::PipSubmitted)));
    assert_eq!(counter.take(), counts(&[("UpdateItem", 1)]));

    // Discarding a proposal: a read (its member items), then one transaction.
    invite(&store, "200").await;
    let (p, _) = sample_group("200", &["201"], T0);
    store.write(&create_write(&p)).await.unwrap();
    counter.take();
    store.write(&Write::new(&p, at(T1), step::discard(&p, 0).unwrap())).await.unwrap();
    assert_eq!(counter.take(), counts(&[("Query", 1), ("TransactWriteItems", 1)]));
    assert_eq!(store.get_group(&p.id).await, Err(StoreError::NotFound));
}

/// One more session than a member may keep: the write is refused by its
/// room condition and made again ending the oldest (two transactions).
#[tokio::test]
async fn a_sign_in_beyond_the_session_limit_ends_the_oldest() {
    let (store, counter) = fresh_store().await;
    invite(&store, "100").await;
    let (g, _) = sample_group("100", &["101"], T0);
    store.write(&create_write(&g)).await.unwrap();
    let mut tokens = Vec::new();
    for i in 0..MAX_SESSIONS as i64 {
        tokens.push(sign_in(&store, &g, 0, at(T1) + Duration::minutes(i)).await);
    }
    counter.take();
    let last = sign_in(&store, &g, 0, at(T1) + Duration::hours(1)).await;
    assert_eq!(counter.take(), counts(&[("TransactWriteItems", 2)]));
    let back = read(&store, &g.id).await;
    assert_eq!(back.members[0].sessions.len(), MAX_SESSIONS);
    let now = at(T1) + Duration::hours(2);
    assert_eq!(back.session_member(&tokens[0], now), None, "the oldest ended");
    assert_eq!(back.session_member(&tokens[1], now), Some(0));
    assert_eq!(back.session_member(&last, now), Some(0));
}

fn raw_ttl(item: &HashMap<String, AttributeValue>) -> Option<i64> {
    match item.get("ttl") {
        Some(AttributeValue::N(v)) => Some(v.parse().unwrap()),
        _ => None,
    }
}

/// What DynamoDB's time to live will delete: a proposal and its members
/// until confirmed, pending invitations, day counters and write tokens;
/// never a confirmed group or an accepted member.
#[tokio::test]
async fn only_lapsing_items_carry_ttl() {
    let (store, _) = fresh_store().await;
    invite(&store, "100").await;
    let (g, _) = sample_group("100", &["101"], T0);
    let limit = Limit { key: "proposals:cpso:100".into(), day: g.created_at.date_naive(), max: 3 };
    store.write(&create_write(&g).limited(vec![limit]).with_token("tok-1".into())).await.unwrap();
    let items = |pk: String| {
        let store = store.clone();
        async move {
            let out = store
                .client()
                .query()
                .table_name(store.table())
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", AttributeValue::S(pk))
                .consistent_read(true)
                .send()
                .await
                .unwrap();
            out.items().to_vec()
        }
    };
    let expiry = g.proposal_expires_at.unwrap().timestamp();
    let group = items(format!("GROUP#{}", g.id)).await;
    assert_eq!(group.len(), 3);
    assert!(group.iter().all(|i| raw_ttl(i) == Some(expiry)), "a proposal lapses whole");
    let counter = items("LIMIT#proposals:cpso:100".into()).await;
    assert_eq!(raw_ttl(&counter[0]), Some(at("2026-01-07T00:00:00Z").timestamp()));
    let token = items("TOKEN#tok-1".into()).await;
    assert_eq!(raw_ttl(&token[0]), Some((g.created_at + Duration::days(1)).timestamp()));

    store.write(&Write::new(&g, at(T1), step::confirm(&g, 0, at(T1), pending()).unwrap())).await.unwrap();
    let group = items(format!("GROUP#{}", g.id)).await;
    let ttl_of = |sk: &str| raw_ttl(group.iter().find(|i| i.get("sk") == Some(&AttributeValue::S(sk.into()))).unwrap());
    assert_eq!(ttl_of("META"), None, "a confirmed group stays");
    assert_eq!(ttl_of("MEMBER#00"), None, "an accepted member stays");
    assert_eq!(ttl_of("MEMBER#01"), Some((at(T1) + pending()).timestamp()), "an invitation lapses");
}

/// Fails the N-th `TransactWriteItems` request this client sends (a fault
/// injected at the client boundary; the store and moto_server are real).
#[derive(Debug, Clone)]
struct FailNthTransaction {
    n: u32,
    seen: Arc<AtomicU32>,
}

impl aws_sdk_dynamodb::config::Intercept for FailNthTransaction {
    fn name(&self) -> &'static str {
        "FailNthTransaction"
    }
    fn read_before_attempt(
        &self,
        context: &aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef<'_>,
        _rc: &aws_sdk_dynamodb::config::RuntimeComponents,
        _cfg: &mut aws_sdk_dynamodb::config::ConfigBag,
    ) -> Result<(), aws_sdk_dynamodb::error::BoxError> {
        let target = context.request().headers().get("x-amz-target").unwrap_or_default();
        if target.ends_with(".TransactWriteItems") && self.seen.fetch_add(1, Ordering::SeqCst) + 1 == self.n {
            return Err("injected failure".into());
        }
        Ok(())
    }
}

/// All-or-nothing import: when the third of three transactions of a
/// 260-entry import fails, the first two are undone, and entries the import
/// replaced are back as they were.
#[tokio::test]
async fn failed_large_import_leaves_the_list_as_it_was() {
    let (plain, _) = fresh_store().await;
    let cycle = Cycle::parse("2026").unwrap();
    let inv = |c: &str, name: &str| Invitation {
        cycle: cycle.clone(),
        cpso: cpso(c),
        name: Some(PersonName::parse(name).unwrap()),
        email: Email::parse(&format!("dr{c}@example.org")).unwrap(),
    };
    let before = InvitationList::new(vec![inv("10001", "Dr. Before"), inv("10150", "Dr. Also Before"), inv("9", "Dr. Nine")]).unwrap();
    plain.import_invitations(&before).await.unwrap();
    let snapshot = plain.list_invitations(None).await.unwrap();
    assert_eq!(snapshot.len(), 3);

    let config = sdk_config().await;
    let faulty = aws_sdk_dynamodb::config::Builder::from(&config)
        .interceptor(FailNthTransaction { n: 3, seen: Arc::new(AtomicU32::new(0)) })
        .build();
    let store = DynamoStore::new(Client::from_conf(faulty), plain.table().to_string());
    let entries: Vec<Invitation> = (1..=260).map(|i| inv(&format!("{}", 10000 + i), "Dr. After")).collect();
    let r = store.import_invitations(&InvitationList::new(entries.clone()).unwrap()).await;
    assert!(matches!(r, Err(StoreError::Unavailable(_))), "{r:?}");
    assert_eq!(plain.list_invitations(None).await.unwrap(), snapshot, "nothing of the failed import remains");

    // The same import without the fault is complete.
    assert_eq!(plain.import_invitations(&InvitationList::new(entries).unwrap()).await.unwrap(), 260);
    assert_eq!(plain.list_invitations(Some(&cycle)).await.unwrap().len(), 261);
}
