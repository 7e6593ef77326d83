//! The outbox on DynamoDB: queued mail items (`OUTBOX#<id>` / `OUTBOX`),
//! put in the transaction of the write that causes them, and undeliverable
//! addresses (`UNDELIVERABLE#<address key>` / `ADDRESS`).
//!
//! The table's stream (keys only: no personal data leaves the table) feeds
//! the mailer function with each new `OUTBOX#` item; the mailer reads the
//! item, claims it, sends it and settles it, each one conditional
//! `UpdateItem` (`Store::claim_mail`, `Store::settle_mail`). A settled item
//! loses its message and keeps its delivery record until its `ttl`.
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{ReturnValue, ReturnValuesOnConditionCheckFailure};
use chrono::{DateTime, Utc};

use super::codec::Record;
use super::errors::sdk_error;
use super::keys::*;
use super::DynamoStore;
use crate::domain::outbox::keep_records;
use crate::domain::{address_key, Claim, Email, MailRecord, MailState, QueuedMail, Settle, Undeliverable, UndeliverableReason};
use crate::store::schema::{GSI1_PK, GSI1_SK, PK, TTL};
use crate::store::{StoreError, StoreResult};

/// `gsi1pk` of every queued mail (staff's listing).
pub(super) const OUTBOX: &str = "OUTBOX";
/// `sk` of a queued mail.
const OUTBOX_SK: &str = "OUTBOX";
/// `sk` of an undeliverable address.
const ADDRESS_SK: &str = "ADDRESS";

mod a {
    pub const ID: &str = "id";
    pub const KIND: &str = "kind";
    pub const QUEUED_AT: &str = "queued_at";
    pub const STATE: &str = "state";
    pub const ATTEMPTS: &str = "attempts";
    pub const NEXT: &str = "next_attempt_at";
    pub const LAST_ERROR: &str = "last_error";
    pub const HOLDER: &str = "holder";
    pub const HELD_UNTIL: &str = "held_until";
    /// The message, JSON, while it may still be sent.
    pub const MAIL: &str = "mail";
    pub const REASON: &str = "reason";
    pub const AT: &str = "at";
}

pub(super) fn outbox_pk(id: &str) -> String {
    format!("OUTBOX#{id}")
}
fn undeliverable_pk(address: &str) -> String {
    format!("UNDELIVERABLE#{address}")
}

/// The item of a newly queued mail.
pub(super) fn mail_item(m: &QueuedMail) -> StoreResult<Item> {
    let queued = instant(&m.queued_at);
    let mut item = key(outbox_pk(&m.id), OUTBOX_SK);
    item.insert(GSI1_PK.into(), s(OUTBOX));
    item.insert(GSI1_SK.into(), s(format!("{queued}#{}", m.id)));
    item.insert(attr::TYPE.into(), s("mail"));
    item.insert(a::ID.into(), s(&m.id));
    item.insert(a::KIND.into(), s(&m.kind));
    item.insert(a::QUEUED_AT.into(), s(queued.clone()));
    item.insert(a::STATE.into(), s(MailState::Pending.as_str()));
    item.insert(a::ATTEMPTS.into(), n(0));
    item.insert(a::NEXT.into(), s(queued));
    let json = serde_json::to_string(&m.mail).map_err(|_| StoreError::invariant("a mail encodes as JSON"))?;
    item.insert(a::MAIL.into(), s(json));
    Ok(item)
}

/// The condition of a queued mail's put: the id is new.
pub(super) const MAIL_ABSENT: &str = "attribute_not_exists(pk)";

fn parse_record(item: &Item) -> StoreResult<MailRecord> {
    let r = Record::new(item, "queued mail");
    let mail = match opt_s(item, a::MAIL) {
        Some(json) => Some(serde_json::from_str(json).map_err(|_| StoreError::corrupt("queued mail", "mail is not a message"))?),
        None => None,
    };
    Ok(MailRecord {
        id: r.s(a::ID)?.to_string(),
        kind: r.s(a::KIND)?.to_string(),
        queued_at: r.parse(a::QUEUED_AT, parse_instant)?,
        state: r.parse(a::STATE, |v| MailState::parse(v).ok_or(()))?,
        attempts: opt_i64(item, a::ATTEMPTS).and_then(|v| u32::try_from(v).ok()).unwrap_or(0),
        next_attempt_at: r.parse(a::NEXT, parse_instant)?,
        last_error: opt_s(item, a::LAST_ERROR).map(str::to_string),
        mail,
    })
}

/// Whether the item is past its `ttl` at `now` (DynamoDB deletes it later).
fn expired(item: &Item, now: &DateTime<Utc>) -> bool {
    opt_i64(item, TTL).is_some_and(|t| t <= epoch_seconds(now))
}

/// Why a claim's condition failed, from the item as it was.
fn why_not(old: Option<&Item>, now: &DateTime<Utc>) -> StoreResult<Claim> {
    let Some(old) = old.filter(|i| !expired(i, now)) else { return Ok(Claim::Missing) };
    let rec = parse_record(old)?;
    if rec.state != MailState::Pending {
        return Ok(Claim::Settled(rec.state));
    }
    if rec.next_attempt_at > *now {
        return Ok(Claim::NotDue(rec.next_attempt_at));
    }
    if let Some(h) = opt_s(old, a::HELD_UNTIL).and_then(|h| parse_instant(h).ok()).filter(|h| h > now) {
        return Ok(Claim::Held(h));
    }
    // Every condition holds on the old image: it changed in between.
    Err(StoreError::Throttled)
}

impl DynamoStore {
    pub(super) async fn claim(&self, id: &str, holder: &str, now: DateTime<Utc>, until: DateTime<Utc>) -> StoreResult<Claim> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(outbox_pk(id), OUTBOX_SK)))
            .update_expression("SET #holder = :holder, #held = :until")
            .condition_expression(
                "attribute_exists(#pk) AND #state = :pending AND #next <= :now \
                 AND (attribute_not_exists(#held) OR #held <= :now) AND (attribute_not_exists(#ttl) OR #ttl > :secs)",
            )
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#holder", a::HOLDER)
            .expression_attribute_names("#held", a::HELD_UNTIL)
            .expression_attribute_names("#state", a::STATE)
            .expression_attribute_names("#next", a::NEXT)
            .expression_attribute_names("#ttl", TTL)
            .expression_attribute_values(":holder", s(holder))
            .expression_attribute_values(":until", s(instant(&until)))
            .expression_attribute_values(":pending", s(MailState::Pending.as_str()))
            .expression_attribute_values(":now", s(instant(&now)))
            .expression_attribute_values(":secs", n(epoch_seconds(&now)))
            .return_values(ReturnValue::AllNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(out) => {
                let item = out.attributes().cloned().unwrap_or_default();
                let rec = parse_record(&item)?;
                let mail = rec.mail.ok_or_else(|| StoreError::corrupt("queued mail", "a pending mail without its message"))?;
                Ok(Claim::Claimed {
                    mail: QueuedMail { id: rec.id, kind: rec.kind, queued_at: rec.queued_at, mail },
                    attempts: rec.attempts,
                })
            }
            Err(SdkError::ServiceError(ctx)) if ctx.err().is_conditional_check_failed_exception() => {
                let old = match ctx.into_err() {
                    UpdateItemError::ConditionalCheckFailedException(e) => e.item,
                    _ => None,
                };
                why_not(old.as_ref(), &now)
            }
            Err(e) => Err(sdk_error(e)),
        }
    }

    pub(super) async fn settle(&self, id: &str, holder: &str, settle: &Settle, now: DateTime<Utc>) -> StoreResult<bool> {
        let ttl = n(epoch_seconds(&(now + keep_records())));
        let mut req = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(outbox_pk(id), OUTBOX_SK)))
            .condition_expression("#state = :pending AND #holder = :holder")
            .expression_attribute_names("#state", a::STATE)
            .expression_attribute_names("#holder", a::HOLDER)
            .expression_attribute_names("#held", a::HELD_UNTIL)
            .expression_attribute_values(":pending", s(MailState::Pending.as_str()))
            .expression_attribute_values(":holder", s(holder));
        req = match settle {
            Settle::Sent | Settle::Suppressed => {
                let state = if *settle == Settle::Sent { MailState::Sent } else { MailState::Suppressed };
                req.update_expression("SET #state = :state, #ttl = :ttl REMOVE #mail, #holder, #held")
                    .expression_attribute_names("#mail", a::MAIL)
                    .expression_attribute_names("#ttl", TTL)
                    .expression_attribute_values(":state", s(state.as_str()))
                    .expression_attribute_values(":ttl", ttl)
            }
            Settle::Retry { attempts, next_attempt_at, error } => req
                .update_expression("SET #attempts = :attempts, #next = :next, #error = :error REMOVE #holder, #held")
                .expression_attribute_names("#attempts", a::ATTEMPTS)
                .expression_attribute_names("#next", a::NEXT)
                .expression_attribute_names("#error", a::LAST_ERROR)
                .expression_attribute_values(":attempts", n(attempts))
                .expression_attribute_values(":next", s(instant(next_attempt_at)))
                .expression_attribute_values(":error", s(error)),
            Settle::Dead { attempts, error } => req
                .update_expression("SET #state = :dead, #attempts = :attempts, #error = :error, #ttl = :ttl REMOVE #holder, #held")
                .expression_attribute_names("#attempts", a::ATTEMPTS)
                .expression_attribute_names("#error", a::LAST_ERROR)
                .expression_attribute_names("#ttl", TTL)
                .expression_attribute_values(":dead", s(MailState::Dead.as_str()))
                .expression_attribute_values(":attempts", n(attempts))
                .expression_attribute_values(":error", s(error))
                .expression_attribute_values(":ttl", ttl),
        };
        match req.send().await {
            Ok(_) => Ok(true),
            Err(SdkError::ServiceError(ctx)) if ctx.err().is_conditional_check_failed_exception() => Ok(false),
            Err(e) => Err(sdk_error(e)),
        }
    }

    pub(super) async fn requeue(&self, id: &str, new_id: &str, now: DateTime<Utc>) -> StoreResult<bool> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(outbox_pk(id), OUTBOX_SK)))
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk_error)?;
        let Some(old) = out.item().filter(|i| !expired(i, &now)).cloned() else { return Ok(false) };
        let rec = parse_record(&old)?;
        let (MailState::Dead, Some(mail)) = (rec.state, rec.mail) else { return Ok(false) };
        let fresh = QueuedMail { id: new_id.to_string(), kind: rec.kind, queued_at: now, mail };
        // The old item stops being dead and loses its message in the same
        // transaction that queues the new one (a new item: a new stream record).
        let mut e = super::guards::Expr::default();
        let state = e.name(a::STATE);
        let mail_attr = e.name(a::MAIL);
        let ttl_attr = e.name(TTL);
        let dead = e.value(s(MailState::Dead.as_str()));
        let requeued = e.value(s(MailState::Requeued.as_str()));
        let ttl = e.value(n(epoch_seconds(&(now + keep_records()))));
        let update = aws_sdk_dynamodb::types::Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(outbox_pk(id), OUTBOX_SK)))
            .update_expression(format!("SET {state} = {requeued}, {ttl_attr} = {ttl} REMOVE {mail_attr}"))
            .condition_expression(format!("{state} = {dead}"))
            .set_expression_attribute_names(e.names())
            .set_expression_attribute_values(e.values())
            .build()
            .map_err(|_| StoreError::invariant("an update names its table and key"))?;
        let items = vec![
            aws_sdk_dynamodb::types::TransactWriteItem::builder().update(update).build(),
            self.put_op(mail_item(&fresh)?, Some(MAIL_ABSENT))?,
        ];
        match self.transact(items, None).await {
            Ok(()) => Ok(true),
            Err(super::client::TransactFailure::Cancelled(_)) => Ok(false),
            Err(super::client::TransactFailure::TokenMismatch) => Err(StoreError::Throttled),
            Err(super::client::TransactFailure::Error(e)) => Err(e),
        }
    }

    pub(super) async fn mail_records(&self, now: DateTime<Utc>) -> StoreResult<Vec<MailRecord>> {
        let items = self.query_index(OUTBOX).await?;
        let mut list = items.iter().filter(|i| !expired(i, &now)).map(parse_record).collect::<StoreResult<Vec<_>>>()?;
        list.sort_by(|x, y| (x.queued_at, &x.id).cmp(&(y.queued_at, &y.id)));
        Ok(list)
    }

    pub(super) async fn put_undeliverable(&self, u: &Undeliverable) -> StoreResult<()> {
        let mut item = key(undeliverable_pk(&u.address), ADDRESS_SK);
        item.insert(attr::TYPE.into(), s("undeliverable"));
        item.insert(a::REASON.into(), s(u.reason.as_str()));
        item.insert(a::AT.into(), s(instant(&u.at)));
        self.client.put_item().table_name(&self.table).set_item(Some(item)).send().await.map_err(sdk_error)?;
        Ok(())
    }

    pub(super) async fn forget_undeliverable(&self, email: &Email) -> StoreResult<bool> {
        let out = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(undeliverable_pk(&address_key(email)), ADDRESS_SK)))
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(out.attributes().is_some_and(|a| !a.is_empty()))
    }

    pub(super) async fn undeliverable_of(&self, emails: &[Email]) -> StoreResult<Vec<Undeliverable>> {
        let mut keys: Vec<String> = emails.iter().map(address_key).collect();
        keys.sort();
        keys.dedup();
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let items = self.batch_get(keys.iter().map(|k| key(undeliverable_pk(k), ADDRESS_SK)).collect()).await?;
        let mut out = Vec::new();
        for item in &items {
            let r = Record::new(item, "undeliverable address");
            let address = opt_s(item, PK).and_then(|p| p.strip_prefix("UNDELIVERABLE#")).unwrap_or_default().to_string();
            out.push(Undeliverable {
                address,
                reason: r.parse(a::REASON, |v| UndeliverableReason::parse(v).ok_or(()))?,
                at: r.parse(a::AT, parse_instant)?,
            });
        }
        Ok(out)
    }
}

/// A stream record's keys as a queued mail's id, if they are one.
pub fn mail_id_of_keys<'a>(pk: &'a str, sk: &str) -> Option<&'a str> {
    pk.strip_prefix("OUTBOX#").filter(|id| sk == OUTBOX_SK && QueuedMail::valid_id(id))
}
