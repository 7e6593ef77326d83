//! The [`Store`] trait on DynamoDB: one request per operation where the
//! trait allows (see the round trips in `dynamo/mod.rs`).
use async_trait::async_trait;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, ReturnValuesOnConditionCheckFailure};
use chrono::{DateTime, Utc};

use super::client::TransactFailure;
use super::codec::{
    activities_of, coaching_item, event_value, json_value, parse_coaching, parse_group, parse_invitation, parse_lock, reminder_tokens_value,
};
use super::errors::sdk_error;
use super::guards::{condition, first_failure, Expr, Guard};
use super::keys::*;
use super::DynamoStore;
use crate::domain::{
    Activities, Claim, CoachingRequest, CodeHash, Cpso, Cycle, DataChange, Email, Group, GroupId, Invitation, InvitationList, MailRecord,
    QueuedMail, Session, Settle, Undeliverable, Write,
};
use crate::store::schema::PK;
use crate::store::{
    CheckOffWrite, ConflictKind, CurrentGroup, DataWrite, ReminderAuth, ReminderMark, ReminderSetting, Store, StoreError, StoreResult,
};

/// The guards of a request by a signed-in member on their own item: the
/// member is there and not lapsed (else `NotFound`), and the session is live
/// at `now` (else `SessionEnded`).
fn signed_in(session: &CodeHash, now: DateTime<Utc>) -> Vec<(Guard, StoreError)> {
    let (seen_after, created_after) = Session::cutoffs(now);
    vec![
        (Guard::Exists, StoreError::NotFound),
        (Guard::NotLapsed { attr: attr::EXPIRES_AT, now: instant(&now) }, StoreError::NotFound),
        (
            Guard::SessionLive {
                hash: session.to_hex(),
                seen_after: seen_after.timestamp_millis(),
                created_after: created_after.timestamp_millis(),
            },
            StoreError::Conflict(ConflictKind::SessionEnded),
        ),
    ]
}

impl DynamoStore {
    /// One conditional `UpdateItem`; its new image with `all_new`. A failed
    /// condition is the error of the first of `guards` that does not hold on
    /// the item as it was.
    async fn update_guarded(
        &self,
        key: Item,
        update: String,
        mut e: Expr,
        guards: &[(Guard, StoreError)],
        all_new: bool,
    ) -> StoreResult<Option<Item>> {
        let cond = condition(guards, &mut e);
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .update_expression(update)
            .set_condition_expression(cond)
            .set_expression_attribute_names(e.names())
            .set_expression_attribute_values(e.values())
            .return_values(if all_new { ReturnValue::AllNew } else { ReturnValue::None })
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(out) => Ok(out.attributes),
            Err(SdkError::ServiceError(ctx)) if ctx.err().is_conditional_check_failed_exception() => {
                let old = match ctx.into_err() {
                    UpdateItemError::ConditionalCheckFailedException(e) => e.item,
                    _ => None,
                };
                // Every guard holding on the old image: the item changed in
                // between; the caller may try again.
                Err(first_failure(guards, old.as_ref()).unwrap_or(StoreError::Throttled))
            }
            Err(e) => Err(sdk_error(e)),
        }
    }

    async fn get_consistent(&self, key: Item) -> StoreResult<Option<Item>> {
        let out =
            self.client.get_item().table_name(&self.table).set_key(Some(key)).consistent_read(true).send().await.map_err(sdk_error)?;
        Ok(out.item.filter(|i| !i.is_empty()))
    }
}

#[async_trait]
impl Store for DynamoStore {
    /// All-or-nothing (see `dynamo/import.rs`): up to 100 entries are one
    /// transaction; a longer list is undone if a later part fails.
    async fn import_invitations(&self, list: &InvitationList) -> StoreResult<usize> {
        self.import(list).await
    }

    async fn invitation(&self, cycle: &Cycle, cpso: &Cpso) -> StoreResult<Option<Invitation>> {
        self.get_consistent(key(invite_pk(cycle), invite_sk(cpso))).await?.as_ref().map(parse_invitation).transpose()
    }

    async fn list_invitations(&self, cycle: Option<&Cycle>) -> StoreResult<Vec<Invitation>> {
        let items = match cycle {
            Some(c) => self.query_partition(invite_pk(c)).await?,
            None => self.query_index(INVITATIONS).await?,
        };
        let mut list = items.iter().map(parse_invitation).collect::<StoreResult<Vec<_>>>()?;
        list.sort_by(|a, b| (a.cycle.as_str(), a.cpso.as_str()).cmp(&(b.cycle.as_str(), b.cpso.as_str())));
        Ok(list)
    }

    /// One consistent `Query` of the group's partition.
    async fn get_group(&self, id: &GroupId) -> StoreResult<Group> {
        parse_group(&self.query_partition(group_pk(id)).await?)
    }

    /// One consistent `GetItem` of the physician's lock.
    async fn group_of(&self, cpso: &Cpso) -> StoreResult<Option<CurrentGroup>> {
        self.get_consistent(key(lock_pk(cpso), OPEN_GROUP)).await?.as_ref().map(parse_lock).transpose()
    }

    /// One `TransactWriteItems` (see `dynamo/transactions.rs`).
    async fn write(&self, w: &Write) -> StoreResult<()> {
        self.write_group(w).await
    }

    /// One `UpdateItem` of the member item: the activity attribute set or
    /// removed, the event appended to `history`, the session's last use
    /// recorded, conditioned on the member being there, the session live,
    /// `closed` absent and `status = accepted`.
    async fn check_off(&self, c: &CheckOffWrite) -> StoreResult<Activities> {
        let mut guards = signed_in(&c.session, c.now);
        guards.push((Guard::NotClosed, StoreError::Conflict(ConflictKind::PipSubmitted)));
        guards.push((Guard::Accepted, StoreError::Conflict(ConflictKind::NotAccepted)));
        let mut e = Expr::default();
        let history = e.name(attr::HISTORY);
        let empty = e.value(AttributeValue::L(Vec::new()));
        let event = e.value(AttributeValue::L(vec![event_value(&c.event)?]));
        let hash = c.session.to_hex();
        let seen = e.path(&[attr::SESSIONS, &hash, attr::SESSION_SEEN]);
        let now = e.value(n(c.now.timestamp_millis()));
        let activity = e.name(&activity_attr(c.activity));
        let mut set = vec![format!("{history} = list_append(if_not_exists({history}, {empty}), {event})"), format!("{seen} = {now}")];
        let update = match c.on {
            Some(d) => {
                set.push(format!("{activity} = {}", e.value(s(d.to_string()))));
                format!("SET {}", set.join(", "))
            }
            None => format!("SET {} REMOVE {activity}", set.join(", ")),
        };
        let new = self.update_guarded(key(group_pk(&c.group), member_sk(c.slot)), update, e, &guards, true).await?;
        activities_of(&new.ok_or_else(|| StoreError::corrupt("member", "the update returned no item"))?)
    }

    /// One `UpdateItem`: the session's last use, conditioned on it being live.
    async fn touch_session(&self, id: &GroupId, slot: u8, session: &CodeHash, now: DateTime<Utc>) -> StoreResult<()> {
        let mut e = Expr::default();
        let seen = e.path(&[attr::SESSIONS, &session.to_hex(), attr::SESSION_SEEN]);
        let at = e.value(n(now.timestamp_millis()));
        self.update_guarded(key(group_pk(id), member_sk(slot)), format!("SET {seen} = {at}"), e, &signed_in(session, now), false).await?;
        Ok(())
    }

    /// One `UpdateItem` of the member item: one entry of its `points` or
    /// `cycles` map set or removed, the event appended, the session used;
    /// conditioned on the session, the status and the group not dissolved.
    async fn record_data(&self, w: &DataWrite) -> StoreResult<()> {
        let mut guards = signed_in(&w.session, w.now);
        guards.push((Guard::Accepted, StoreError::Conflict(ConflictKind::NotAccepted)));
        guards.push((Guard::NotDissolved, StoreError::Conflict(ConflictKind::Dissolved)));
        let mut e = Expr::default();
        let history = e.name(attr::HISTORY);
        let empty = e.value(AttributeValue::L(Vec::new()));
        let event = e.value(AttributeValue::L(vec![event_value(&w.event)?]));
        let seen = e.path(&[attr::SESSIONS, &w.session.to_hex(), attr::SESSION_SEEN]);
        let now = e.value(n(w.now.timestamp_millis()));
        let mut set = vec![format!("{history} = list_append(if_not_exists({history}, {empty}), {event})"), format!("{seen} = {now}")];
        let mut remove = None;
        match &w.change {
            DataChange::Point(p) => {
                let path = e.path(&[attr::POINTS, &point_key(p.goal, p.point.period)]);
                set.push(format!("{path} = {}", e.value(json_value(p)?)));
                guards.push((Guard::HasMap(attr::POINTS), StoreError::corrupt("member", "the item has no points map")));
            }
            DataChange::DeletePoint { goal, period } => remove = Some(e.path(&[attr::POINTS, &point_key(*goal, *period)])),
            DataChange::Cycle(c) => {
                let path = e.path(&[attr::CYCLES, &c.id.to_string()]);
                set.push(format!("{path} = {}", e.value(json_value(c)?)));
                guards.push((Guard::HasMap(attr::CYCLES), StoreError::corrupt("member", "the item has no cycles map")));
            }
            DataChange::DeleteCycle { id } => remove = Some(e.path(&[attr::CYCLES, &id.to_string()])),
        }
        let update = match remove {
            Some(path) => format!("SET {} REMOVE {path}", set.join(", ")),
            None => format!("SET {}", set.join(", ")),
        };
        self.update_guarded(key(group_pk(&w.group), member_sk(w.slot)), update, e, &guards, false).await?;
        Ok(())
    }

    /// One transaction: the member item's update (`reminded_through` and
    /// `reminder_tokens` set) with the reminder's queued mail, conditioned on the member being there (else
    /// `NotFound`), accepted, not dissolved, reminders on and not reminded
    /// for a period ending on or after this one's start (else `false`).
    async fn mark_reminded(&self, m: &ReminderMark) -> StoreResult<bool> {
        // `None`: the member was not reminded (a condition other than its
        // presence failed).
        let guards: Vec<(Guard, Option<StoreError>)> = vec![
            (Guard::Exists, Some(StoreError::NotFound)),
            (Guard::Accepted, None),
            (Guard::NotDissolved, None),
            (Guard::RemindersOn, None),
            (Guard::NotRemindedSince(m.period_start.to_string()), None),
        ];
        let mut e = Expr::default();
        let through = e.name(attr::REMINDED_THROUGH);
        let end = e.value(s(m.period_end.to_string()));
        let tokens = e.name(attr::REMINDER_TOKENS);
        let list = e.value(reminder_tokens_value(&m.tokens));
        let cond = condition(&guards, &mut e);
        let k = key(group_pk(&m.group), member_sk(m.slot));
        let update = format!("SET {through} = {end}, {tokens} = {list}");
        // One transaction: the member's record and, with it, the reminder's
        // queued mail.
        let up = aws_sdk_dynamodb::types::Update::builder()
            .table_name(&self.table)
            .set_key(Some(k))
            .update_expression(update)
            .set_condition_expression(cond)
            .set_expression_attribute_names(e.names())
            .set_expression_attribute_values(e.values())
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(|_| StoreError::invariant("an update names its table and key"))?;
        let mut items = vec![aws_sdk_dynamodb::types::TransactWriteItem::builder().update(up).build()];
        if let Some(mail) = &m.outbox {
            items.push(self.put_op(super::outbox::mail_item(mail)?, Some(super::outbox::MAIL_ABSENT))?);
        }
        match self.transact(items, None).await {
            Ok(()) => Ok(true),
            Err(TransactFailure::Cancelled(reasons)) => {
                let old = reasons.first().and_then(|r| r.item().cloned());
                // Only the mail's put failed (the member's update would
                // have passed): its id is taken.
                let update_passed = reasons.first().and_then(|r| r.code()).is_none_or(|c| c == "None");
                if update_passed && reasons.get(1).is_some_and(|r| r.code() == Some("ConditionalCheckFailed")) {
                    return Err(StoreError::invariant("queued mail ids are unique"));
                }
                match first_failure(&guards, old.as_ref()) {
                    Some(Some(e)) => Err(e),
                    Some(None) => Ok(false),
                    // Every condition holds on the old image: the item changed in between.
                    None => Err(StoreError::Throttled),
                }
            }
            Err(TransactFailure::TokenMismatch) => Err(StoreError::Throttled),
            Err(TransactFailure::Error(e)) => Err(e),
        }
    }

    /// One `UpdateItem` of the member item: `reminders_off` set, conditioned
    /// on the opt-out token being the member's (else `NotFound`) or on the
    /// session (whose use is recorded).
    async fn set_reminders(&self, r: &ReminderSetting) -> StoreResult<()> {
        let mut e = Expr::default();
        let off = e.name(attr::REMINDERS_OFF);
        let mut set = vec![format!("{off} = {}", e.value(AttributeValue::Bool(r.off)))];
        let guards = match &r.by {
            ReminderAuth::OptOut(hash) => vec![
                (Guard::Exists, StoreError::NotFound),
                (Guard::NotLapsed { attr: attr::EXPIRES_AT, now: instant(&r.now) }, StoreError::NotFound),
                (Guard::ReminderToken(hash.to_hex()), StoreError::NotFound),
            ],
            ReminderAuth::Session(hash) => {
                let seen = e.path(&[attr::SESSIONS, &hash.to_hex(), attr::SESSION_SEEN]);
                set.push(format!("{seen} = {}", e.value(n(r.now.timestamp_millis()))));
                signed_in(hash, r.now)
            }
        };
        self.update_guarded(key(group_pk(&r.group), member_sk(r.slot)), format!("SET {}", set.join(", ")), e, &guards, false).await?;
        Ok(())
    }

    async fn add_coaching_request(&self, req: &CoachingRequest, mail: Option<&QueuedMail>) -> StoreResult<()> {
        if let Some(mail) = mail {
            // The request and the coaches' copy of it: one transaction.
            let items = vec![
                self.put_op(coaching_item(req), Some(super::outbox::MAIL_ABSENT))?,
                self.put_op(super::outbox::mail_item(mail)?, Some(super::outbox::MAIL_ABSENT))?,
            ];
            return match self.transact(items, None).await {
                Ok(()) => Ok(()),
                Err(TransactFailure::Cancelled(_)) => Err(StoreError::invariant("coaching request and queued mail ids are unique")),
                Err(TransactFailure::TokenMismatch) => Err(StoreError::Throttled),
                Err(TransactFailure::Error(e)) => Err(e),
            };
        }
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(coaching_item(req)))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(ctx)) if ctx.err().is_conditional_check_failed_exception() => {
                Err(StoreError::invariant("coaching request ids are unique"))
            }
            Err(e) => Err(sdk_error(e)),
        }
    }

    async fn list_coaching_requests(&self) -> StoreResult<Vec<CoachingRequest>> {
        let items = self.query_index(COACHING).await?;
        let mut list = items.iter().map(parse_coaching).collect::<StoreResult<Vec<_>>>()?;
        list.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        Ok(list)
    }

    /// `Query` pages of `gsi1` (eventually consistent); a group the index
    /// shows only in part (its group item missing, a member past its
    /// `next_slot`, an item not reading back) is read from the table, and
    /// left out if it is gone there.
    async fn list_groups(&self) -> StoreResult<Vec<Group>> {
        let items = self.query_index(GROUPS).await?;
        // Items of one group are adjacent (gsi1sk starts with `<id>#`).
        let mut by_group: Vec<(String, Vec<Item>)> = Vec::new();
        for item in items {
            let pk = opt_s(&item, PK).ok_or_else(|| StoreError::corrupt("group", "an index item without pk"))?.to_string();
            match by_group.last_mut() {
                Some((last, group_items)) if *last == pk => group_items.push(item),
                _ => by_group.push((pk, vec![item])),
            }
        }
        let mut groups = Vec::with_capacity(by_group.len());
        for (pk, items) in by_group {
            match parse_group(&items) {
                Ok(g) if g.members.iter().all(|m| m.slot < g.next_slot) => groups.push(g),
                Ok(_) | Err(StoreError::NotFound | StoreError::Corrupt(_)) => {
                    let id = pk.strip_prefix(GROUP_PREFIX).and_then(|id| GroupId::parse(id).ok());
                    let id = id.ok_or_else(|| StoreError::corrupt("group", "a group key is not valid"))?;
                    match self.get_group(&id).await {
                        Ok(g) => groups.push(g),
                        // Members of a lapsed proposal outliving its group item (time to live).
                        Err(StoreError::NotFound) => {}
                        Err(e) => return Err(e),
                    }
                }
                Err(e) => return Err(e),
            }
        }
        groups.sort_by(|a, b| (a.created_at, a.id.as_str()).cmp(&(b.created_at, b.id.as_str())));
        Ok(groups)
    }

    async fn claim_mail(&self, id: &str, holder: &str, now: DateTime<Utc>, until: DateTime<Utc>) -> StoreResult<Claim> {
        self.claim(id, holder, now, until).await
    }
    async fn settle_mail(&self, id: &str, holder: &str, settle: &Settle, now: DateTime<Utc>) -> StoreResult<bool> {
        self.settle(id, holder, settle, now).await
    }
    async fn requeue_mail(&self, id: &str, new_id: &str, now: DateTime<Utc>) -> StoreResult<bool> {
        self.requeue(id, new_id, now).await
    }
    async fn list_mail(&self, now: DateTime<Utc>) -> StoreResult<Vec<MailRecord>> {
        self.mail_records(now).await
    }
    async fn mark_undeliverable(&self, u: &Undeliverable) -> StoreResult<()> {
        self.put_undeliverable(u).await
    }
    async fn undeliverable(&self, emails: &[Email]) -> StoreResult<Vec<Undeliverable>> {
        self.undeliverable_of(emails).await
    }
    async fn clear_undeliverable(&self, email: &Email) -> StoreResult<bool> {
        self.forget_undeliverable(email).await
    }
}
