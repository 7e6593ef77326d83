//! How DynamoStore reports DynamoDB's throttling and transaction conflicts,
//! which moto_server never produces. A small local HTTP endpoint answers
//! every request with the error DynamoDB sends in those cases (same status,
//! same JSON body); the SDK client and the store are the real ones.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test, with its message
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::config::{Credentials, Region};
use qi_functions::domain::{AccessCode, Action, Activity, GroupId, HistoryEntry, OsRandom};
use qi_functions::store::conformance::{create_write, sample_group, T0};
use qi_functions::store::dynamo::{client_with_counter, DynamoStore, RoundTripCounter};
use qi_functions::store::{Backend, CheckOffWrite, Internal, Store, StoreError, Unavailable, UnavailableKind};

/// Start an endpoint that answers every request with `status` and `body`.
async fn endpoint(status: u16, body: &'static str) -> (String, Arc<AtomicU32>) {
    let hits = Arc::new(AtomicU32::new(0));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let h = hits.clone();
    let app = axum::Router::new().fallback(move || {
        let h = h.clone();
        async move {
            h.fetch_add(1, Ordering::SeqCst);
            (axum::http::StatusCode::from_u16(status).unwrap(), [("content-type", "application/x-amz-json-1.0")], body)
        }
    });
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), hits)
}

async fn store_at(url: &str, counter: &RoundTripCounter) -> DynamoStore {
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(Region::new("ca-central-1"))
        .endpoint_url(url)
        .credentials_provider(Credentials::new("test", "test", None, None, "static"))
        .retry_config(RetryConfig::standard().with_max_attempts(2))
        .load()
        .await;
    DynamoStore::new(client_with_counter(&config, counter), "qi-test".into())
}

const THROTTLED: &str = r#"{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"The level of configured provisioned throughput for the table was exceeded."}"#;
const THROTTLING: &str =
    r#"{"__type":"com.amazon.coral.availability#ThrottlingException","message":"Rate of requests exceeds the allowed throughput."}"#;
const CONFLICT: &str = r#"{"__type":"com.amazonaws.dynamodb.v20120810#TransactionCanceledException","Message":"Transaction cancelled, please refer cancellation reasons for specific reasons [None, TransactionConflict]","CancellationReasons":[{"Code":"None"},{"Code":"TransactionConflict","Message":"Transaction is ongoing for the item"}]}"#;
const CANCEL_THROTTLED: &str = r#"{"__type":"com.amazonaws.dynamodb.v20120810#TransactionCanceledException","Message":"Transaction cancelled","CancellationReasons":[{"Code":"ThrottlingError","Message":"Throughput exceeds the current capacity"},{"Code":"None"}]}"#;
const INTERNAL: &str = r#"{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"Internal server error"}"#;
const VALIDATION: &str =
    r#"{"__type":"com.amazon.coral.validate#ValidationException","message":"One or more parameter values were invalid"}"#;

#[tokio::test]
async fn provisioned_throughput_exceeded_is_throttled_after_the_sdk_retries() {
    let (url, hits) = endpoint(400, THROTTLED).await;
    let counter = RoundTripCounter::new();
    let store = store_at(&url, &counter).await;
    let r = store.get_group(&GroupId::generate(&OsRandom).unwrap()).await;
    assert_eq!(r, Err(StoreError::Throttled));
    assert_eq!(hits.load(Ordering::SeqCst), 2, "the SDK retried once (max_attempts 2)");
    assert_eq!(counter.total(), 2, "the counter sees every attempt");
}

#[tokio::test]
async fn throttling_exception_is_throttled() {
    let (url, _) = endpoint(400, THROTTLING).await;
    let store = store_at(&url, &RoundTripCounter::new()).await;
    let group = GroupId::generate(&OsRandom).unwrap();
    let now = chrono::Utc::now();
    let c = CheckOffWrite {
        session: AccessCode::generate(&group, 0, &OsRandom).unwrap().hash(),
        group,
        slot: 0,
        activity: Activity::QiSurvey,
        on: None,
        event: HistoryEntry { at: now, action: Action::Unchecked { activity: Activity::QiSurvey } },
        now,
    };
    assert_eq!(store.check_off(&c).await, Err(StoreError::Throttled));
}

#[tokio::test]
async fn transaction_conflicts_are_retried_then_throttled() {
    let (url, hits) = endpoint(400, CONFLICT).await;
    let store = store_at(&url, &RoundTripCounter::new()).await;
    let (g, _) = sample_group("100", &["101"], T0);
    let r = store.write(&create_write(&g)).await;
    assert_eq!(r, Err(StoreError::Throttled));
    assert_eq!(hits.load(Ordering::SeqCst), 4, "the store retries a conflicting transaction 3 more times");
}

#[tokio::test]
async fn a_throttled_transaction_item_is_throttled() {
    let (url, _) = endpoint(400, CANCEL_THROTTLED).await;
    let store = store_at(&url, &RoundTripCounter::new()).await;
    let (g, _) = sample_group("100", &["101"], T0);
    assert_eq!(store.write(&create_write(&g)).await, Err(StoreError::Throttled));
}

#[tokio::test]
async fn a_refused_request_is_internal_not_transient() {
    let (url, hits) = endpoint(400, VALIDATION).await;
    let store = store_at(&url, &RoundTripCounter::new()).await;
    let r = store.get_group(&GroupId::generate(&OsRandom).unwrap()).await;
    let refused = StoreError::Internal(Internal::Rejected { backend: Backend::DynamoDb, code: Some("ValidationException".into()) });
    assert_eq!(r, Err(refused));
    assert!(!r.unwrap_err().is_transient(), "the handler answers 500, not 503");
    assert_eq!(hits.load(Ordering::SeqCst), 1, "not retried");
}

#[tokio::test]
async fn a_server_side_error_is_unavailable_with_its_code() {
    let (url, hits) = endpoint(500, INTERNAL).await;
    let store = store_at(&url, &RoundTripCounter::new()).await;
    let r = store.get_group(&GroupId::generate(&OsRandom).unwrap()).await;
    let down = Unavailable { backend: Backend::DynamoDb, kind: UnavailableKind::ServiceFault, code: Some("InternalServerError".into()) };
    assert_eq!(r, Err(StoreError::Unavailable(down)));
    assert!(r.unwrap_err().is_transient(), "the handler answers 503");
    assert_eq!(hits.load(Ordering::SeqCst), 2, "the SDK retried a server-side error");
}

#[tokio::test]
async fn an_unreachable_endpoint_is_unavailable() {
    // Bind then drop a listener: nothing listens on that port.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let store = store_at(&format!("http://127.0.0.1:{port}"), &RoundTripCounter::new()).await;
    let r = store.get_group(&GroupId::generate(&OsRandom).unwrap()).await;
    assert!(matches!(&r, Err(StoreError::Unavailable(Unavailable { kind: UnavailableKind::Unreachable, code: None, .. }))), "{r:?}");
}
