//! The requests every operation is made of: paginated queries, batch reads
//! with their unprocessed keys, and transactions retried while they only
//! meet other transactions. Every write is conditional, so a retry is safe.
use std::time::Duration;

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{CancellationReason, Delete, KeysAndAttributes, Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem};

use super::errors::{build_error, is_throttling_reason, sdk_error, service_error};
use super::keys::{s, Item};
use super::DynamoStore;
use crate::store::schema::{GSI1, GSI1_PK, PK};
use crate::store::{Internal, StoreError, StoreResult};

/// Most items one `TransactWriteItems` may hold (DynamoDB's limit).
pub const MAX_TRANSACTION_ITEMS: usize = 100;
/// Most keys one `BatchGetItem` may ask for (DynamoDB's limit).
pub const MAX_BATCH_GET: usize = 100;
/// Attempts of a transaction that keeps meeting `TransactionConflict`.
const TRANSACTION_ATTEMPTS: u32 = 4;
/// Rounds of a batch read that keeps leaving keys unprocessed.
const BATCH_ATTEMPTS: u32 = 9;

/// How a transaction ended when it did not succeed.
pub(super) enum TransactFailure {
    /// Cancelled because a condition failed: DynamoDB's reason per item, in
    /// the order of the items.
    Cancelled(Vec<CancellationReason>),
    /// The client request token was used, in the last 10 minutes, by a
    /// request with other parameters (`IdempotentParameterMismatchException`).
    TokenMismatch,
    /// Anything else (throttled, unreachable, refused).
    Error(StoreError),
}

impl From<StoreError> for TransactFailure {
    fn from(e: StoreError) -> Self {
        TransactFailure::Error(e)
    }
}

impl DynamoStore {
    /// Every item of a partition (consistent read), all pages.
    pub(super) async fn query_partition(&self, pk: String) -> StoreResult<Vec<Item>> {
        self.query_all(None, PK, &pk).await
    }

    /// Every item of one `gsi1` partition, in `gsi1sk` order, all pages.
    /// (Index reads are eventually consistent, as DynamoDB requires.)
    pub(super) async fn query_index(&self, gsi1pk: &str) -> StoreResult<Vec<Item>> {
        self.query_all(Some(GSI1), GSI1_PK, gsi1pk).await
    }

    /// Every item whose `key_attr` equals `value`, on the table (consistent
    /// read) or on `index`, following pagination to the end.
    async fn query_all(&self, index: Option<&str>, key_attr: &str, value: &str) -> StoreResult<Vec<Item>> {
        let mut items = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .set_index_name(index.map(str::to_owned))
                .key_condition_expression("#pk = :pk")
                .expression_attribute_names("#pk", key_attr)
                .expression_attribute_values(":pk", s(value))
                .set_consistent_read(index.is_none().then_some(true))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(sdk_error)?;
            items.extend(out.items().iter().cloned());
            match out.last_evaluated_key() {
                Some(k) if !k.is_empty() => start = Some(k.clone()),
                _ => return Ok(items),
            }
        }
    }

    /// Items by key (consistent), in no particular order; missing ones left out.
    pub(super) async fn batch_get(&self, keys: Vec<Item>) -> StoreResult<Vec<Item>> {
        let mut found = Vec::new();
        for chunk in keys.chunks(MAX_BATCH_GET) {
            let mut pending =
                KeysAndAttributes::builder().set_keys(Some(chunk.to_vec())).consistent_read(true).build().map_err(build_error)?;
            for attempt in 0.. {
                let out = self.client.batch_get_item().request_items(&self.table, pending.clone()).send().await.map_err(sdk_error)?;
                if let Some(items) = out.responses().and_then(|r| r.get(&self.table)) {
                    found.extend(items.iter().cloned());
                }
                match out.unprocessed_keys().and_then(|u| u.get(&self.table)) {
                    Some(rest) if !rest.keys().is_empty() => {
                        if attempt + 1 >= BATCH_ATTEMPTS {
                            return Err(StoreError::Throttled);
                        }
                        pending = rest.clone();
                        backoff(attempt).await;
                    }
                    _ => break,
                }
            }
        }
        Ok(found)
    }

    /// Run a transaction of at most [`MAX_TRANSACTION_ITEMS`], retrying while
    /// it only meets concurrent transactions (`TransactionConflict`).
    /// `client_token`: DynamoDB's idempotency token (a request repeated with
    /// it within 10 minutes succeeds without writing again); without one the
    /// SDK makes one per call.
    pub(super) async fn transact(&self, items: Vec<TransactWriteItem>, client_token: Option<&str>) -> Result<(), TransactFailure> {
        if items.len() > MAX_TRANSACTION_ITEMS {
            return Err(StoreError::invariant("a transaction holds at most 100 items").into());
        }
        let mut attempt = 0;
        loop {
            attempt += 1;
            let request = self
                .client
                .transact_write_items()
                .set_transact_items(Some(items.clone()))
                .set_client_request_token(client_token.map(str::to_owned));
            let err = match request.send().await {
                Ok(_) => return Ok(()),
                Err(e) => e,
            };
            let (service, status) = match err {
                SdkError::ServiceError(ctx) => {
                    let status = ctx.raw().status().as_u16();
                    (ctx.into_err(), status)
                }
                other => return Err(sdk_error(other).into()),
            };
            let retry = match service {
                TransactWriteItemsError::TransactionCanceledException(c) => {
                    let reasons = c.cancellation_reasons().to_vec();
                    let codes: Vec<&str> = reasons.iter().filter_map(|r| r.code()).collect();
                    if codes.contains(&"ConditionalCheckFailed") {
                        return Err(TransactFailure::Cancelled(reasons));
                    }
                    if codes.iter().any(|c| is_throttling_reason(c)) {
                        return Err(StoreError::Throttled.into());
                    }
                    if !codes.contains(&"TransactionConflict") {
                        // e.g. ValidationError on an item: the request is wrong.
                        let code = codes.into_iter().find(|c| *c != "None").map(|c| format!("TransactionCanceled: {c}"));
                        return Err(StoreError::Internal(Internal::Rejected { backend: crate::store::Backend::DynamoDb, code }).into());
                    }
                    true
                }
                TransactWriteItemsError::TransactionInProgressException(_) => true,
                TransactWriteItemsError::IdempotentParameterMismatchException(_) => return Err(TransactFailure::TokenMismatch),
                other => return Err(service_error(&other, status).into()),
            };
            if retry && attempt < TRANSACTION_ATTEMPTS {
                backoff(attempt).await;
                continue;
            }
            return Err(StoreError::Throttled.into());
        }
    }

    /// A transaction item that puts `item`, with an optional condition.
    pub(super) fn put_op(&self, item: Item, condition: Option<&str>) -> StoreResult<TransactWriteItem> {
        let mut put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        if let Some(c) = condition {
            put = put.condition_expression(c);
        }
        Ok(TransactWriteItem::builder().put(put.build().map_err(build_error)?).build())
    }

    /// A transaction item that deletes the item with `key`, unconditionally.
    pub(super) fn delete_op(&self, key: Item) -> StoreResult<TransactWriteItem> {
        let delete = Delete::builder().table_name(&self.table).set_key(Some(key)).build().map_err(build_error)?;
        Ok(TransactWriteItem::builder().delete(delete).build())
    }
}

/// 10, 20, 40... ms plus up to 10 ms of jitter so racing writers spread out.
async fn backoff(attempt: u32) {
    let jitter = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos() % 10_000_000).unwrap_or(0);
    let base = 10_000_000u64 << attempt.min(6);
    tokio::time::sleep(Duration::from_nanos(base + u64::from(jitter))).await;
}
