//! The two writes that span many items, each ONE `TransactWriteItems`:
//! the sign-up (group, members, every member's lock, and the lead's
//! invitation as a `ConditionCheck`) and the PIP submission (group, members,
//! locks released). DynamoDB's per-item cancellation reasons become the
//! trait's conflicts.
use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, Delete, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update};
use chrono::NaiveDate;

use super::client::TransactFailure;
use super::codec::{group_item, lock_item, member_item, pip_json};
use super::errors::{build_error, is_conditional_failure};
use super::keys::*;
use super::DynamoStore;
use crate::domain::{Activity, Cpso, Group, PipDraft, Role};
use crate::store::schema::PK;
use crate::store::{ConflictKind, Store, StoreError, StoreResult};

impl DynamoStore {
    /// Sign-up as one transaction: the group item, every member item and
    /// every member's lock (each `attribute_not_exists(pk)`), and with
    /// `invited_lead` a `ConditionCheck` that the lead's invitation exists.
    pub(super) async fn sign_up(&self, group: &Group, invited_lead: bool) -> StoreResult<()> {
        let exists_not = "attribute_not_exists(pk)";
        let mut ops = vec![self.put_op(group_item(group)?, Some(exists_not))?];
        for (pos, m) in group.members.iter().enumerate() {
            ops.push(self.put_op(member_item(group, pos, m), Some(exists_not))?);
        }
        for m in &group.members {
            ops.push(self.put_op(lock_item(&m.member.cpso, &group.id), Some(exists_not))?);
        }
        let n = group.members.len();
        if invited_lead {
            let lead = group
                .members
                .iter()
                .find(|m| m.member.role == Role::Lead)
                .ok_or_else(|| StoreError::invariant("a group without a lead"))?;
            let check = ConditionCheck::builder()
                .table_name(&self.table)
                .set_key(Some(key(invite_pk(&group.cycle), invite_sk(&lead.member.cpso))))
                .condition_expression("attribute_exists(#pk)")
                .expression_attribute_names("#pk", PK)
                .build()
                .map_err(build_error)?;
            ops.push(TransactWriteItem::builder().condition_check(check).build());
        }
        match self.transact(ops).await {
            Ok(()) => Ok(()),
            Err(TransactFailure::Error(e)) => Err(e),
            Err(TransactFailure::Cancelled(reasons)) => {
                let failed = |i: usize| reasons.get(i).is_some_and(is_conditional_failure);
                if invited_lead && failed(1 + 2 * n) {
                    return Err(StoreError::Conflict(ConflictKind::LeadNotInvited));
                }
                let taken: Vec<Cpso> = (0..n).filter(|i| failed(1 + n + i)).map(|i| group.members[i].member.cpso.clone()).collect();
                if !taken.is_empty() {
                    return Err(StoreError::Conflict(ConflictKind::MembersInOpenGroup(taken)));
                }
                if (0..=n).any(failed) {
                    return Err(StoreError::Conflict(ConflictKind::GroupIdTaken));
                }
                // Reasons not attributable to an item: name the members a
                // consistent re-read finds in another open group.
                let locks = self.batch_get(group.members.iter().map(|m| key(lock_pk(&m.member.cpso), OPEN_GROUP)).collect()).await?;
                let held: Vec<Cpso> = group
                    .members
                    .iter()
                    .filter(|m| {
                        locks.iter().any(|l| {
                            opt_s(l, PK) == Some(lock_pk(&m.member.cpso).as_str()) && opt_s(l, "group_id") != Some(group.id.as_str())
                        })
                    })
                    .map(|m| m.member.cpso.clone())
                    .collect();
                if held.is_empty() {
                    // The lock that stopped us was released since (its group
                    // was submitted): trying again may succeed.
                    Err(StoreError::Throttled)
                } else {
                    Err(StoreError::Conflict(ConflictKind::MembersInOpenGroup(held)))
                }
            }
        }
    }

    /// The submission transaction, built from `group` as read by the caller:
    /// the group item (`pip_state <> submitted`), every member item (all four
    /// activities done; sets `pip_submitted`, which closes check-offs) and
    /// every member's lock released.
    pub(super) async fn submit(&self, group: &Group, pip: &PipDraft, submitted_on: NaiveDate) -> StoreResult<()> {
        let id = &group.id;
        // The domain's rule on the group as read; the transaction's conditions
        // below check the same facts atomically with the write.
        group.ready_to_submit()?;

        let mut ops = Vec::with_capacity(1 + 2 * group.members.len());
        ops.push(
            TransactWriteItem::builder()
                .update(
                    Update::builder()
                        .table_name(&self.table)
                        .set_key(Some(key(group_pk(id), META)))
                        .update_expression("SET #state = :submitted, #pip = :pip, #on = :on")
                        .condition_expression("attribute_exists(#pk) AND #state <> :submitted")
                        .expression_attribute_names("#pk", PK)
                        .expression_attribute_names("#state", "pip_state")
                        .expression_attribute_names("#pip", "pip")
                        .expression_attribute_names("#on", "submitted_on")
                        .expression_attribute_values(":submitted", s("submitted"))
                        .expression_attribute_values(":pip", s(pip_json(pip)?))
                        .expression_attribute_values(":on", s(submitted_on.to_string()))
                        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
                        .build()
                        .map_err(build_error)?,
                )
                .build(),
        );
        let all_done = Activity::ALL.iter().enumerate().map(|(i, _)| format!("attribute_exists(#a{i})")).collect::<Vec<_>>().join(" AND ");
        for m in &group.members {
            let mut update = Update::builder()
                .table_name(&self.table)
                .set_key(Some(key(group_pk(id), member_sk(&m.member.cpso))))
                .update_expression("SET #submitted = :yes")
                .condition_expression(&all_done)
                .expression_attribute_names("#submitted", "pip_submitted")
                .expression_attribute_values(":yes", AttributeValue::Bool(true))
                .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
            for (i, a) in Activity::ALL.iter().enumerate() {
                update = update.expression_attribute_names(format!("#a{i}"), activity_attr(*a));
            }
            ops.push(TransactWriteItem::builder().update(update.build().map_err(build_error)?).build());
        }
        for m in &group.members {
            ops.push(
                TransactWriteItem::builder()
                    .delete(
                        Delete::builder()
                            .table_name(&self.table)
                            .set_key(Some(key(lock_pk(&m.member.cpso), OPEN_GROUP)))
                            .condition_expression("attribute_not_exists(#pk) OR #gid = :gid")
                            .expression_attribute_names("#pk", PK)
                            .expression_attribute_names("#gid", "group_id")
                            .expression_attribute_values(":gid", s(id.as_str()))
                            .build()
                            .map_err(build_error)?,
                    )
                    .build(),
            );
        }

        match self.transact(ops).await {
            Ok(()) => Ok(()),
            Err(TransactFailure::Error(e)) => Err(e),
            Err(TransactFailure::Cancelled(reasons)) => {
                if reasons.first().is_some_and(is_conditional_failure) {
                    return Err(StoreError::Conflict(ConflictKind::PipSubmitted));
                }
                let n = group.members.len();
                if (1..=n).any(|i| reasons.get(i).is_some_and(is_conditional_failure)) {
                    // Someone un-checked an activity since the read: say what
                    // is missing now.
                    let now = self.get_group(id).await?;
                    now.ready_to_submit()?;
                    // Complete again by now (re-checked in between): still report the race.
                    return Err(StoreError::Conflict(ConflictKind::ActivitiesIncomplete(Vec::new())));
                }
                Err(StoreError::corrupt("lock", "a member's open-group lock names another group"))
            }
        }
    }
}
