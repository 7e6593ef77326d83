//! The store calls behind the one-round-trip sign-up and the two-round-trip
//! PIP submission (`Store::create_group_if_invited`, `Store::submit_pip_of`),
//! on DynamoDB (moto_server: `QI_TEST_DYNAMODB_ENDPOINT`, set by scripts/test;
//! without it these tests fail) and on SQLite (the trait's default methods):
//! the same answers, nothing written when refused, and on DynamoDB each is
//! one request.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test, with its message
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use aws_sdk_dynamodb::config::{Credentials, Region};
use chrono::NaiveDate;
use qi_functions::domain::*;
use qi_functions::store::conformance::{complete_draft, sample_group};
use qi_functions::store::dynamo::{client_with_counter, DynamoStore, RoundTripCounter};
use qi_functions::store::schema::{self, CreateOptions};
use qi_functions::store::sqlite::SqliteStore;
use qi_functions::store::{ConflictKind, Store, StoreError};

async fn dynamo() -> (Arc<dyn Store>, RoundTripCounter) {
    let endpoint = std::env::var("QI_TEST_DYNAMODB_ENDPOINT")
        .unwrap_or_else(|_| panic!("QI_TEST_DYNAMODB_ENDPOINT is not set: start moto_server (scripts/test does) and export it"));
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(Region::new("ca-central-1"))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new("test", "test", None, None, "static"))
        .load()
        .await;
    static N: AtomicU32 = AtomicU32::new(0);
    let table = format!("qi-rt-{}-{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed));
    let counter = RoundTripCounter::new();
    let client = client_with_counter(&sdk, &counter);
    schema::create_table(&client, &table, CreateOptions { deletion_protection: false, point_in_time_recovery: false }).await.unwrap();
    counter.take();
    (Arc::new(DynamoStore::new(client, table)), counter)
}

fn sqlite() -> Arc<dyn Store> {
    Arc::new(SqliteStore::open_in_memory().unwrap())
}

fn one(op: &str) -> BTreeMap<String, u64> {
    BTreeMap::from([(op.to_string(), 1)])
}

async fn invite(store: &dyn Store, group: &Group, cpso: &str) {
    let csv = format!("cpso,name,email\n{cpso},Invited Lead,lead@example.org\n");
    store.import_invitations(&InvitationList::parse_csv(&csv, &group.cycle).unwrap()).await.unwrap();
}

/// Not invited: refused, nothing written (no group, no locks); invited: created.
async fn sign_up_checks_the_invitation(store: Arc<dyn Store>, counter: Option<&RoundTripCounter>) {
    let (g, _) = sample_group("4100", &["4101", "4102"], "2026-01-05T10:00:00Z");
    let r = store.create_group_if_invited(&g).await;
    assert_eq!(r, Err(StoreError::Conflict(ConflictKind::LeadNotInvited)));
    assert_eq!(store.get_group(&g.id).await, Err(StoreError::NotFound));
    for m in &g.members {
        assert_eq!(store.open_group_of(&m.member.cpso).await.unwrap(), None, "no lock left behind");
    }
    // A peer's invitation does not count: only the lead's.
    invite(&*store, &g, "4101").await;
    assert_eq!(store.create_group_if_invited(&g).await, Err(StoreError::Conflict(ConflictKind::LeadNotInvited)));
    invite(&*store, &g, "4100").await;
    if let Some(c) = counter {
        c.take();
    }
    store.create_group_if_invited(&g).await.unwrap();
    if let Some(c) = counter {
        assert_eq!(c.take(), one("TransactWriteItems"), "sign-up: one transaction with the invitation check");
    }
    assert_eq!(store.get_group(&g.id).await.unwrap().members.len(), 3);
    // Still refuses members of an open group, as create_group does.
    let (again, _) = sample_group("4100", &["4109"], "2026-01-06T10:00:00Z");
    assert!(matches!(store.create_group_if_invited(&again).await, Err(StoreError::Conflict(ConflictKind::MembersInOpenGroup(_)))));
}

/// Submitting from a read group: one transaction; a stale read (an activity
/// cleared after it) is refused with what is missing now.
async fn submit_of_a_read_group(store: Arc<dyn Store>, counter: Option<&RoundTripCounter>) {
    let (g, _) = sample_group("4200", &["4201"], "2026-01-05T10:00:00Z");
    store.create_group(&g).await.unwrap();
    let day = NaiveDate::from_ymd_opt(2026, 2, 1).unwrap();
    for m in &g.members {
        for a in Activity::ALL {
            store.set_activity(&g.id, &m.member.cpso, a, Some(day)).await.unwrap();
        }
    }
    let read = store.get_group(&g.id).await.unwrap();
    let peer = &g.members[1].member.cpso;
    store.set_activity(&g.id, peer, Activity::ChartReview, None).await.unwrap();
    let r = store.submit_pip_of(&read, &complete_draft(), day).await;
    assert_eq!(r, Err(StoreError::Conflict(ConflictKind::ActivitiesIncomplete(vec![(peer.clone(), Activity::ChartReview)]))));
    assert!(!store.get_group(&g.id).await.unwrap().pip.is_submitted(), "nothing submitted");

    store.set_activity(&g.id, peer, Activity::ChartReview, Some(day)).await.unwrap();
    let read = store.get_group(&g.id).await.unwrap();
    if let Some(c) = counter {
        c.take();
    }
    store.submit_pip_of(&read, &complete_draft(), day).await.unwrap();
    if let Some(c) = counter {
        assert_eq!(c.take(), one("TransactWriteItems"), "submission from a read group: one transaction");
    }
    let after = store.get_group(&g.id).await.unwrap();
    assert!(after.pip.is_submitted());
    assert_eq!(store.open_group_of(peer).await.unwrap(), None, "locks released");
    assert_eq!(store.submit_pip_of(&read, &complete_draft(), day).await, Err(StoreError::Conflict(ConflictKind::PipSubmitted)));
}

#[tokio::test]
async fn dynamo_sign_up_checks_the_invitation_in_one_request() {
    let (store, counter) = dynamo().await;
    sign_up_checks_the_invitation(store, Some(&counter)).await;
}

#[tokio::test]
async fn sqlite_sign_up_checks_the_invitation() {
    sign_up_checks_the_invitation(sqlite(), None).await;
}

#[tokio::test]
async fn dynamo_submit_of_a_read_group_is_one_request() {
    let (store, counter) = dynamo().await;
    submit_of_a_read_group(store, Some(&counter)).await;
}

#[tokio::test]
async fn sqlite_submit_of_a_read_group() {
    submit_of_a_read_group(sqlite(), None).await;
}
