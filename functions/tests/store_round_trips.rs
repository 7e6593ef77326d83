//! The writes behind the one-request sign-up, confirmation and sign-in, and
//! the read-then-transaction submission, on DynamoDB (moto_server:
//! `QI_TEST_DYNAMODB_ENDPOINT`, set by scripts/test; without it these tests
//! fail) and on SQLite: the same answers, nothing written when refused, and
//! on DynamoDB the number of requests each takes.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test, with its message
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use aws_sdk_dynamodb::config::{Credentials, Region};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use qi_functions::domain::access::MAX_SESSIONS;
use qi_functions::domain::membership as step;
use qi_functions::domain::*;
use qi_functions::store::conformance::{complete_draft, create_write, invitation_of, sample_group, T0};
use qi_functions::store::dynamo::{client_with_counter, DynamoStore, RoundTripCounter};
use qi_functions::store::schema::{self, CreateOptions};
use qi_functions::store::sqlite::SqliteStore;
use qi_functions::store::{CheckOffWrite, ConflictKind, CurrentGroup, Store, StoreError};

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

const T1: &str = "2026-01-06T09:00:00Z";

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn cpso(s: &str) -> Cpso {
    Cpso::parse(s).unwrap()
}

/// Asserts the requests since the last check, on DynamoDB only.
struct Requests(Option<RoundTripCounter>);

impl Requests {
    fn reset(&self) {
        if let Some(c) = &self.0 {
            c.take();
        }
    }
    fn expect(&self, pairs: &[(&str, u64)], what: &str) {
        if let Some(c) = &self.0 {
            let want: BTreeMap<String, u64> = pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect();
            assert_eq!(c.take(), want, "{what}");
        }
    }
}

async fn invite(store: &dyn Store, lead: &str) {
    store.import_invitations(&InvitationList::new(vec![invitation_of(lead)]).unwrap()).await.unwrap();
}

async fn read(store: &dyn Store, id: &GroupId, now: DateTime<Utc>) -> Group {
    store.get_group(id).await.unwrap().as_of(now).unwrap()
}

async fn sign_in(store: &dyn Store, g: &Group, slot: u8, now: DateTime<Utc>) -> SessionToken {
    let token = AccessCode::generate(&g.id, slot as usize, &OsRandom).unwrap();
    let w =
        Write { expect_version: None, ..Write::new(g, now, vec![Effect::AddSession { slot, session: Session::new(token.hash(), now) }]) };
    store.write(&w).await.unwrap();
    token
}

/// Not invited: refused, nothing written; invited: one request with the
/// invitation check, the day counter and the token; a retry of it is done.
async fn sign_up_checks_the_invitation(store: Arc<dyn Store>, n: Requests) {
    let (g, _) = sample_group("4100", &["4101", "4102"], T0);
    let limit = || vec![Limit { key: "proposals:cpso:4100".into(), day: g.created_at.date_naive(), max: 1 }];
    let w = create_write(&g).limited(limit()).with_token("sign-up-4100".into());
    assert_eq!(store.write(&w).await, Err(StoreError::Conflict(ConflictKind::LeadNotInvited)));
    assert_eq!(store.get_group(&g.id).await, Err(StoreError::NotFound));
    // A peer's invitation does not count: only the lead's.
    invite(&*store, "4101").await;
    assert_eq!(store.write(&w).await, Err(StoreError::Conflict(ConflictKind::LeadNotInvited)));
    invite(&*store, "4100").await;
    n.reset();
    store.write(&w).await.unwrap();
    n.expect(&[("TransactWriteItems", 1)], "sign-up: one transaction");
    store.write(&w).await.expect("the same write again (its answer was lost) is done");
    n.expect(&[("TransactWriteItems", 1)], "a repeated sign-up: one request");
    assert_eq!(read(&*store, &g.id, at(T1)).await, g);
    // The day's limit (1) was used once, not twice.
    let (again, _) = sample_group("4100", &["4109"], T0);
    let r = store.write(&create_write(&again).limited(limit())).await;
    assert_eq!(r, Err(StoreError::Conflict(ConflictKind::LimitReached("proposals:cpso:4100".into()))));
    assert_eq!(store.get_group(&again.id).await, Err(StoreError::NotFound));
}

/// Confirmation and acceptance by a session: one request each; a lead in
/// another open group cannot confirm, and nothing of the refused write remains.
async fn confirm_and_accept(store: Arc<dyn Store>, n: Requests) {
    invite(&*store, "4300").await;
    let (g, _) = sample_group("4300", &["4301", "4302"], T0);
    store.write(&create_write(&g)).await.unwrap();
    let lead = sign_in(&*store, &g, 0, at(T1)).await;
    n.reset();
    let fx = step::confirm(&g, 0, at(T1), Duration::days(14)).unwrap();
    store.write(&Write::new(&g, at(T1), fx).by_session(0, lead.hash())).await.unwrap();
    n.expect(&[("TransactWriteItems", 1)], "confirmation: one transaction");
    let g = read(&*store, &g.id, at(T1)).await;
    assert_eq!(g.member(0).unwrap().session(&lead, at(T1)).unwrap().seen_at, at(T1), "the session's use is recorded");
    let peer = sign_in(&*store, &g, 1, at(T1)).await;
    n.reset();
    store.write(&Write::new(&g, at(T1), step::accept(&g, 1, at(T1)).unwrap()).by_session(1, peer.hash())).await.unwrap();
    n.expect(&[("TransactWriteItems", 1)], "acceptance: one transaction");
    assert_eq!(store.group_of(&cpso("4301")).await.unwrap(), Some(CurrentGroup { group: g.id.clone(), open: true }));

    // 4301 proposes a group of their own: confirming it is refused (they are in an open group).
    invite(&*store, "4301").await;
    let (h, _) = sample_group("4301", &["4302"], T0);
    store.write(&create_write(&h)).await.unwrap();
    let r = store.write(&Write::new(&h, at(T1), step::confirm(&h, 0, at(T1), Duration::days(14)).unwrap())).await;
    assert_eq!(r, Err(StoreError::Conflict(ConflictKind::MembersInOpenGroup(vec![cpso("4301")]))));
    assert_eq!(read(&*store, &h.id, at(T1)).await, h, "nothing of the refused confirmation");
}

/// Submitting from a read group: one read and one transaction on DynamoDB;
/// an un-check after the read is refused with what is missing now.
async fn submit_of_a_read_group(store: Arc<dyn Store>, n: Requests) {
    invite(&*store, "4200").await;
    let (g, _) = sample_group("4200", &["4201"], T0);
    store.write(&create_write(&g)).await.unwrap();
    store.write(&Write::new(&g, at(T1), step::confirm(&g, 0, at(T1), Duration::days(14)).unwrap())).await.unwrap();
    let g = read(&*store, &g.id, at(T1)).await;
    store.write(&Write::new(&g, at(T1), step::accept(&g, 1, at(T1)).unwrap())).await.unwrap();
    let g = read(&*store, &g.id, at(T1)).await;
    let day = NaiveDate::from_ymd_opt(2026, 1, 6).unwrap();
    let mut tokens = Vec::new();
    for m in &g.members {
        let t = sign_in(&*store, &g, m.slot, at(T1)).await;
        for a in Activity::ALL {
            let c = CheckOffWrite {
                group: g.id.clone(),
                slot: m.slot,
                session: t.hash(),
                activity: a,
                on: Some(day),
                event: HistoryEntry { at: at(T1), action: Action::CheckedOff { activity: a, on: day } },
                now: at(T1),
            };
            store.check_off(&c).await.unwrap();
        }
        tokens.push(t);
    }
    let read_before = read(&*store, &g.id, at(T1)).await;
    let uncheck = CheckOffWrite {
        group: g.id.clone(),
        slot: 1,
        session: tokens[1].hash(),
        activity: Activity::ChartReview,
        on: None,
        event: HistoryEntry { at: at(T1), action: Action::Unchecked { activity: Activity::ChartReview } },
        now: at(T1),
    };
    store.check_off(&uncheck).await.unwrap();
    let submit = |g: &Group| Write::new(g, at(T1), step::submit(g, 0, complete_draft(), Some(g.draft_version), day, at(T1)).unwrap());
    let r = store.write(&submit(&read_before)).await;
    assert_eq!(r, Err(StoreError::Conflict(ConflictKind::ActivitiesIncomplete(vec![(cpso("4201"), Activity::ChartReview)]))));
    assert!(!read(&*store, &g.id, at(T1)).await.pip.is_submitted(), "nothing submitted");

    let redo = CheckOffWrite { on: Some(day), ..uncheck };
    store.check_off(&redo).await.unwrap();
    let now = read(&*store, &g.id, at(T1)).await;
    n.reset();
    store.write(&submit(&now)).await.unwrap();
    n.expect(&[("Query", 1), ("TransactWriteItems", 1)], "submission: a read, then one transaction");
    assert!(read(&*store, &g.id, at(T1)).await.pip.is_submitted());
    assert_eq!(store.group_of(&cpso("4201")).await.unwrap(), Some(CurrentGroup { group: g.id.clone(), open: false }), "locks closed");
    assert_eq!(store.write(&submit(&now)).await, Err(StoreError::Conflict(ConflictKind::Stale)));
}

/// A member keeps at most `MAX_SESSIONS`: one more sign-in ends the oldest.
async fn sessions_beyond_the_limit(store: Arc<dyn Store>, n: Requests) {
    invite(&*store, "4400").await;
    let (g, _) = sample_group("4400", &["4401"], T0);
    store.write(&create_write(&g)).await.unwrap();
    let tokens: Vec<SessionToken> = {
        let mut v = Vec::new();
        for i in 0..MAX_SESSIONS as i64 {
            v.push(sign_in(&*store, &g, 0, at(T1) + Duration::minutes(i)).await);
        }
        v
    };
    n.reset();
    let newest = sign_in(&*store, &g, 0, at(T1) + Duration::hours(1)).await;
    n.expect(&[("TransactWriteItems", 2)], "refused for want of room, then made ending the oldest");
    let back = read(&*store, &g.id, at(T1)).await;
    let now = at(T1) + Duration::hours(2);
    assert_eq!(back.members[0].sessions.len(), MAX_SESSIONS);
    assert_eq!(back.session_member(&tokens[0], now), None, "the oldest ended");
    assert!(tokens[1..].iter().chain([&newest]).all(|t| back.session_member(t, now) == Some(0)));
}

#[tokio::test]
async fn dynamo_sign_up_checks_the_invitation_in_one_request() {
    let (store, counter) = dynamo().await;
    sign_up_checks_the_invitation(store, Requests(Some(counter))).await;
}

#[tokio::test]
async fn sqlite_sign_up_checks_the_invitation() {
    sign_up_checks_the_invitation(sqlite(), Requests(None)).await;
}

#[tokio::test]
async fn dynamo_confirm_and_accept_are_one_request_each() {
    let (store, counter) = dynamo().await;
    confirm_and_accept(store, Requests(Some(counter))).await;
}

/// Recording, correcting and deleting a data point: one `UpdateItem` each
/// (the member's own record, conditioned on their session).
async fn recording_a_point(store: Arc<dyn Store>, n: Requests) {
    use qi_functions::domain::measure::{DataPoint, PeriodId, PointValue};
    use qi_functions::store::DataWrite;
    invite(&*store, "4500").await;
    let (g, _) = sample_group("4500", &["4501"], T0);
    store.write(&create_write(&g)).await.unwrap();
    store.write(&Write::new(&g, at(T1), step::confirm(&g, 0, at(T1), Duration::days(14)).unwrap())).await.unwrap();
    let g = read(&*store, &g.id, at(T1)).await;
    let goal = GoalInput {
        kind: "practice".into(),
        aim: "Allergies recorded".into(),
        measure_kind: "proportion".into(),
        measure_counted: "Charts with allergy status, of charts reviewed".into(),
        measure_source: "emr_report".into(),
        measure_period: "month".into(),
        measure_direction: "higher_is_better".into(),
        ..Default::default()
    };
    let draft = PipDraft::parse("", "", vec![(1, goal)]).unwrap();
    store.write(&Write::new(&g, at(T1), step::save_draft(&g, 0, draft, at(T1)).unwrap())).await.unwrap();
    let g = read(&*store, &g.id, at(T1)).await;
    let id = g.pip.draft().unwrap().goals[0].id;
    let t = sign_in(&*store, &g, 0, at(T1)).await;
    let period = PeriodId::parse("2025-12").unwrap();
    let w = |change: DataChange| DataWrite {
        group: g.id.clone(),
        slot: 0,
        session: t.hash(),
        change,
        event: HistoryEntry { at: at(T1), action: Action::PointDeleted { goal: id, period } },
        now: at(T1),
    };
    let point = |num: u32| {
        let p = DataPoint { period, by: 0, value: PointValue::proportion(num, 20).unwrap(), note: String::new() };
        DataChange::Point(GoalPoint { goal: id, point: p, at: at(T1) })
    };
    n.reset();
    store.record_data(&w(point(7))).await.unwrap();
    n.expect(&[("UpdateItem", 1)], "recording a point: one request");
    store.record_data(&w(point(9))).await.unwrap();
    n.expect(&[("UpdateItem", 1)], "correcting it: one request");
    let g2 = read(&*store, &g.id, at(T1)).await;
    assert_eq!(g2.series(id).unwrap().latest().unwrap().pooled, Some((9, 20)));
    n.reset();
    store.record_data(&w(DataChange::DeletePoint { goal: id, period })).await.unwrap();
    n.expect(&[("UpdateItem", 1)], "deleting it: one request");
    assert_eq!(read(&*store, &g.id, at(T1)).await.points_of(id).count(), 0);
}

#[tokio::test]
async fn dynamo_recording_a_point_is_one_request() {
    let (store, counter) = dynamo().await;
    recording_a_point(store, Requests(Some(counter))).await;
}

#[tokio::test]
async fn sqlite_recording_a_point() {
    recording_a_point(sqlite(), Requests(None)).await;
}

#[tokio::test]
async fn sqlite_confirm_and_accept() {
    confirm_and_accept(sqlite(), Requests(None)).await;
}

#[tokio::test]
async fn dynamo_submit_of_a_read_group_is_a_read_and_one_transaction() {
    let (store, counter) = dynamo().await;
    submit_of_a_read_group(store, Requests(Some(counter))).await;
}

#[tokio::test]
async fn sqlite_submit_of_a_read_group() {
    submit_of_a_read_group(sqlite(), Requests(None)).await;
}

#[tokio::test]
async fn dynamo_sessions_beyond_the_limit() {
    let (store, counter) = dynamo().await;
    sessions_beyond_the_limit(store, Requests(Some(counter))).await;
}

#[tokio::test]
async fn sqlite_sessions_beyond_the_limit() {
    sessions_beyond_the_limit(sqlite(), Requests(None)).await;
}
