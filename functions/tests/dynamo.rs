//! DynamoStore against a real DynamoDB-compatible server (moto_server).
//!
//! `scripts/test` starts moto_server and exports `QI_TEST_DYNAMODB_ENDPOINT`
//! (plus test credentials and region). Without it these tests FAIL: a missing
//! prerequisite is an error, never a skip. Each test creates its own table,
//! from `store::schema` (the definition infra/template.yaml is checked against).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test, with its message
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use aws_sdk_dynamodb::config::{Credentials, Region};
use aws_sdk_dynamodb::Client;
use chrono::NaiveDate;
use qi_functions::domain::*;
use qi_functions::store::conformance::{complete_draft, sample_group};
use qi_functions::store::dynamo::{client_with_counter, DynamoStore, RoundTripCounter};
use qi_functions::store::schema::{self, CreateOptions};
use qi_functions::store::{ConflictKind, Store, StoreError};

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

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}
fn cpso(s: &str) -> Cpso {
    Cpso::parse(s).unwrap()
}
fn counts(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
    pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
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
}

/// Each operation's number of DynamoDB requests. Deterministic: it counts
/// requests, it does not time them.
#[tokio::test]
async fn round_trips_per_operation() {
    let (store, counter) = fresh_store().await;
    let (g, _) = sample_group("100", &["101", "102", "103", "104", "105", "106"], "2026-01-05T10:00:00Z");

    store.create_group(&g).await.unwrap();
    assert_eq!(counter.take(), counts(&[("TransactWriteItems", 1)]), "sign-up: one transaction (group, 7 members, 7 locks)");

    store.set_activity(&g.id, &cpso("101"), Activity::QiSurvey, Some(day("2026-02-01"))).await.unwrap();
    assert_eq!(counter.take(), counts(&[("UpdateItem", 1)]), "check-off: one conditional update");

    store.get_group(&g.id).await.unwrap();
    assert_eq!(counter.take(), counts(&[("Query", 1)]), "status: one query of the group partition");

    store.save_pip_draft(&g.id, &complete_draft()).await.unwrap();
    assert_eq!(counter.take(), counts(&[("UpdateItem", 1)]), "draft: one conditional update");

    // Incomplete group: refused after the read alone.
    let r = store.submit_pip(&g.id, &complete_draft(), day("2026-05-01")).await;
    assert!(matches!(r, Err(StoreError::Conflict(ConflictKind::ActivitiesIncomplete(_)))), "{r:?}");
    assert_eq!(counter.take(), counts(&[("Query", 1)]));

    for m in &g.members {
        for a in Activity::ALL {
            store.set_activity(&g.id, &m.member.cpso, a, Some(day("2026-03-01"))).await.unwrap();
        }
    }
    assert_eq!(counter.take(), counts(&[("UpdateItem", 28)]));

    store.submit_pip(&g.id, &complete_draft(), day("2026-05-01")).await.unwrap();
    assert_eq!(counter.take(), counts(&[("Query", 1), ("TransactWriteItems", 1)]), "submission: read + one transaction");

    assert_eq!(store.open_group_of(&cpso("100")).await.unwrap(), None);
    assert!(!store.is_invited(&Cycle::parse("2026").unwrap(), &cpso("100")).await.unwrap());
    assert_eq!(counter.take(), counts(&[("GetItem", 2)]));

    // A refused check-off (PIP submitted) is still one request.
    let r = store.set_activity(&g.id, &cpso("101"), Activity::QiSurvey, None).await;
    assert_eq!(r, Err(StoreError::Conflict(ConflictKind::PipSubmitted)));
    assert_eq!(counter.take(), counts(&[("UpdateItem", 1)]));
}

/// What the submitted group looks like in the table: member items closed,
/// locks gone, so the physicians can join a new group.
#[tokio::test]
async fn submission_releases_locks_and_members_can_sign_up_again() {
    let (store, _) = fresh_store().await;
    let (g, _) = sample_group("300", &["301"], "2026-01-05T10:00:00Z");
    store.create_group(&g).await.unwrap();
    for m in &g.members {
        for a in Activity::ALL {
            store.set_activity(&g.id, &m.member.cpso, a, Some(day("2026-03-01"))).await.unwrap();
        }
    }
    store.submit_pip(&g.id, &complete_draft(), day("2026-05-01")).await.unwrap();
    let back = store.get_group(&g.id).await.unwrap();
    assert_eq!(back.pip.submitted_on(), Some(day("2026-05-01")));
    let (next, _) = sample_group("301", &["300"], "2026-06-01T10:00:00Z");
    store.create_group(&next).await.expect("members of a submitted group may form a new one");
    assert_eq!(store.open_group_of(&cpso("300")).await.unwrap(), Some(next.id.clone()));
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
    let inv =
        |c: &str, name: &str| Invitation { cycle: cycle.clone(), cpso: cpso(c), name: Some(PersonName::parse(name).unwrap()), email: None };
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
