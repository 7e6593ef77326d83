//! The [`Store`] trait on DynamoDB: one request per operation where the
//! trait allows (see the round trips in `dynamo/mod.rs`).
use async_trait::async_trait;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{ReturnValue, ReturnValuesOnConditionCheckFailure};
use chrono::NaiveDate;

use super::codec::{activities_of, coaching_item, parse_coaching, parse_group, parse_invitation, parse_lock, pip_json};
use super::errors::sdk_error;
use super::keys::*;
use super::DynamoStore;
use crate::domain::{Activities, Activity, CoachingRequest, Cpso, Cycle, Group, GroupId, Invitation, InvitationList, PipDraft};
use crate::store::schema::{PK, SK};
use crate::store::{ConflictKind, Store, StoreError, StoreResult};

#[async_trait]
impl Store for DynamoStore {
    /// All-or-nothing (see `dynamo/import.rs`): up to 100 entries are one
    /// transaction; a longer list is undone if a later part fails.
    async fn import_invitations(&self, list: &InvitationList) -> StoreResult<usize> {
        self.import(list).await
    }

    async fn is_invited(&self, cycle: &Cycle, cpso: &Cpso) -> StoreResult<bool> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(invite_pk(cycle), invite_sk(cpso))))
            .consistent_read(true)
            .projection_expression("#pk")
            .expression_attribute_names("#pk", PK)
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(out.item().is_some_and(|i| !i.is_empty()))
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

    async fn create_group(&self, group: &Group) -> StoreResult<()> {
        self.sign_up(group, false).await
    }

    /// One round trip: the invitation is a `ConditionCheck` in the sign-up
    /// transaction.
    async fn create_group_if_invited(&self, group: &Group) -> StoreResult<()> {
        self.sign_up(group, true).await
    }

    async fn get_group(&self, id: &GroupId) -> StoreResult<Group> {
        let items = self.query_partition(group_pk(id)).await?;
        parse_group(&items)
    }

    async fn open_group_of(&self, cpso: &Cpso) -> StoreResult<Option<GroupId>> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(lock_pk(cpso), OPEN_GROUP)))
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk_error)?;
        match out.item() {
            Some(item) if !item.is_empty() => Ok(Some(parse_lock(item)?)),
            _ => Ok(None),
        }
    }

    async fn set_activity(
        &self,
        id: &GroupId,
        member: &Cpso,
        activity: Activity,
        completed_on: Option<NaiveDate>,
    ) -> StoreResult<Activities> {
        let mut req = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(group_pk(id), member_sk(member))))
            .condition_expression("attribute_exists(#pk) AND attribute_not_exists(#submitted)")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#submitted", "pip_submitted")
            .expression_attribute_names("#act", activity_attr(activity))
            .return_values(ReturnValue::AllNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        req = match completed_on {
            Some(d) => req.update_expression("SET #act = :d").expression_attribute_values(":d", s(d.to_string())),
            None => req.update_expression("REMOVE #act"),
        };
        match req.send().await {
            Ok(out) => activities_of(out.attributes().ok_or_else(|| StoreError::corrupt("member", "the update returned no item"))?),
            Err(SdkError::ServiceError(ctx)) if ctx.err().is_conditional_check_failed_exception() => {
                let old = match ctx.into_err() {
                    UpdateItemError::ConditionalCheckFailedException(e) => e.item,
                    _ => None,
                };
                match old {
                    Some(item) if !item.is_empty() => Err(StoreError::Conflict(ConflictKind::PipSubmitted)),
                    // No item back: either the member does not exist, or a
                    // backend that does not return old items; look.
                    _ => {
                        let items = self.query_partition(group_pk(id)).await?;
                        let member_exists = items.iter().any(|i| opt_s(i, SK) == Some(member_sk(member).as_str()));
                        if member_exists {
                            Err(StoreError::Conflict(ConflictKind::PipSubmitted))
                        } else {
                            Err(StoreError::NotFound)
                        }
                    }
                }
            }
            Err(e) => Err(sdk_error(e)),
        }
    }

    async fn save_pip_draft(&self, id: &GroupId, draft: &PipDraft) -> StoreResult<()> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(group_pk(id), META)))
            .update_expression("SET #state = :draft, #pip = :pip")
            .condition_expression("attribute_exists(#pk) AND #state <> :submitted")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#state", "pip_state")
            .expression_attribute_names("#pip", "pip")
            .expression_attribute_values(":draft", s("draft"))
            .expression_attribute_values(":submitted", s("submitted"))
            .expression_attribute_values(":pip", s(pip_json(draft)?))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(ctx)) if ctx.err().is_conditional_check_failed_exception() => {
                let exists = match ctx.into_err() {
                    UpdateItemError::ConditionalCheckFailedException(e) => e.item.is_some_and(|i| !i.is_empty()),
                    _ => false,
                };
                if exists || self.query_partition(group_pk(id)).await?.iter().any(|i| opt_s(i, SK) == Some(META)) {
                    Err(StoreError::Conflict(ConflictKind::PipSubmitted))
                } else {
                    Err(StoreError::NotFound)
                }
            }
            Err(e) => Err(sdk_error(e)),
        }
    }

    async fn submit_pip(&self, id: &GroupId, pip: &PipDraft, submitted_on: NaiveDate) -> StoreResult<()> {
        let group = self.get_group(id).await?;
        self.submit_pip_of(&group, pip, submitted_on).await
    }

    /// One round trip (the transaction) when the caller has read the group.
    async fn submit_pip_of(&self, group: &Group, pip: &PipDraft, submitted_on: NaiveDate) -> StoreResult<()> {
        self.submit(group, pip, submitted_on).await
    }

    async fn add_coaching_request(&self, req: &CoachingRequest) -> StoreResult<()> {
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

    async fn list_groups(&self) -> StoreResult<Vec<Group>> {
        let items = self.query_index(GROUPS).await?;
        // Items of one group are adjacent (gsi1sk starts with created#id).
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
                Ok(g) => groups.push(g),
                // The index lags the table: a group whose items have not all
                // reached it yet is read from the table.
                Err(StoreError::NotFound | StoreError::Corrupt(_)) => {
                    let id = pk.strip_prefix(GROUP_PREFIX).and_then(|id| GroupId::parse(id).ok());
                    let id = id.ok_or_else(|| StoreError::corrupt("group", "a group key is not valid"))?;
                    groups.push(self.get_group(&id).await?);
                }
                Err(e) => return Err(e),
            }
        }
        groups.sort_by(|a, b| (a.created_at, a.id.as_str()).cmp(&(b.created_at, b.id.as_str())));
        Ok(groups)
    }
}
