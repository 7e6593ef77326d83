//! The invitation import: all-or-nothing on a store without multi-request
//! transactions.
//!
//! Up to [`MAX_TRANSACTION_ITEMS`] entries are ONE `TransactWriteItems`. A
//! longer list is written in transactions of that size after reading the
//! entries it replaces; if a later transaction fails, the earlier ones are
//! undone (replaced entries written back, new ones deleted) before the
//! error is returned. (Transactions, not `BatchWriteItem`: a batch of 25
//! may be partly applied, a transaction never is.) Readers may see part of a
//! large import while it runs; only if DynamoDB also refuses the undo can a
//! partial import remain, and the error then says so
//! ([`StoreError::Partial`]; re-running the same import completes it).
use std::collections::HashMap;

use aws_sdk_dynamodb::types::{Put, TransactWriteItem};

use super::client::{TransactFailure, MAX_TRANSACTION_ITEMS};
use super::codec::invitation_item;
use super::errors::build_error;
use super::keys::{invite_pk, invite_sk, key, key_of, Item};
use super::DynamoStore;
use crate::domain::InvitationList;
use crate::store::{StoreError, StoreResult};

impl DynamoStore {
    pub(super) async fn import(&self, list: &InvitationList) -> StoreResult<usize> {
        let items: Vec<Item> = list.entries().iter().map(invitation_item).collect();
        if items.is_empty() {
            return Ok(0);
        }
        if items.len() <= MAX_TRANSACTION_ITEMS {
            self.put_all(&items).await.map_err(|(_, e)| e)?;
            return Ok(items.len());
        }
        let keys: Vec<Item> = list.entries().iter().map(|i| key(invite_pk(&i.cycle), invite_sk(&i.cpso))).collect();
        let previous: HashMap<(String, String), Item> =
            self.batch_get(keys.clone()).await?.into_iter().filter_map(|it| Some((key_of(&it)?, it))).collect();
        let Err((failed_chunk, err)) = self.put_all(&items).await else {
            return Ok(items.len());
        };
        // Undo the chunks that were written, newest first.
        for chunk in (0..failed_chunk).rev() {
            let range = chunk * MAX_TRANSACTION_ITEMS..((chunk + 1) * MAX_TRANSACTION_ITEMS).min(keys.len());
            let mut ops = Vec::with_capacity(range.len());
            for k in &keys[range] {
                ops.push(match key_of(k).and_then(|id| previous.get(&id)) {
                    Some(old) => self.put_op(old.clone(), None)?,
                    None => self.delete_op(k.clone())?,
                });
            }
            if self.transact(ops, None).await.is_err() {
                return Err(StoreError::Partial { up_to: (chunk + 1) * MAX_TRANSACTION_ITEMS, cause: Box::new(err) });
            }
        }
        Err(err)
    }

    /// Write `items` (complete items) in transactions of at most
    /// [`MAX_TRANSACTION_ITEMS`]; on failure, the index of the chunk that failed.
    async fn put_all(&self, items: &[Item]) -> Result<(), (usize, StoreError)> {
        for (i, chunk) in items.chunks(MAX_TRANSACTION_ITEMS).enumerate() {
            let ops = chunk
                .iter()
                .map(|item| {
                    Ok(TransactWriteItem::builder()
                        .put(Put::builder().table_name(&self.table).set_item(Some(item.clone())).build()?)
                        .build())
                })
                .collect::<Result<Vec<_>, aws_sdk_dynamodb::error::BuildError>>()
                .map_err(|e| (i, build_error(e)))?;
            self.transact(ops, None).await.map_err(|e| {
                let err = match e {
                    // Unconditional puts have no condition to fail.
                    TransactFailure::Cancelled(_) | TransactFailure::TokenMismatch => {
                        StoreError::invariant("an unconditional write without a client token was cancelled by a condition")
                    }
                    TransactFailure::Error(e) => e,
                };
                (i, err)
            })?;
        }
        Ok(())
    }
}
