//! Storage port: the [`Store`] trait, its implementations, and the
//! conformance suite every implementation must pass.
//!
//! Implementations (each behind a cargo feature, so a binary compiles only
//! the store it uses):
//! - `sqlite::SqliteStore` (feature `sqlite`) — embedded, used by the local
//!   dev server and `qi admin` by default.
//! - `dynamo::DynamoStore` (feature `dynamodb`) — single-table DynamoDB, used
//!   by the Lambda binaries and `qi admin --store dynamodb`:
//!   `DynamoStore::from_env()` (table from `QI_TABLE_NAME`; region,
//!   credentials and endpoint from the standard AWS environment; no network
//!   probing) and `DynamoStore::new(client, table)`.
//!   `store/schema.rs` holds the table definition shared with `infra/`
//!   (used by `qi admin table create`).
//! - `conformance` (feature `test-support`) — the suite both pass.
//!
//! Conventions for every implementation:
//! - Values handed in are already valid (domain types); the store does not
//!   re-check business rules that need no stored state. It DOES enforce every
//!   rule that depends on stored state, atomically (see each method).
//! - A group is *open* until its PIP is submitted. While open, each member's
//!   CPSO number holds the "one open group per physician" lock.
//! - Errors ([`StoreError`]): `Conflict` for rule conflicts, `NotFound`;
//!   transient `Throttled` and `Unavailable` (the handler answers 503 +
//!   Retry-After); `Corrupt` and `Internal` for what a retry does not cure (500).
use std::sync::Arc;

use async_trait::async_trait;
use chrono::NaiveDate;

use crate::domain::{Activities, Activity, CoachingRequest, Cpso, Cycle, Group, GroupId, Invitation, InvitationList, PipDraft, Role};

#[cfg(feature = "test-support")]
pub mod conformance;
#[cfg(feature = "dynamodb")]
pub mod dynamo;
mod error;
pub mod schema;
#[cfg(feature = "sqlite")]
pub mod sqlite;

pub use error::{Backend, ConflictKind, Corruption, Internal, StoreError, Unavailable, UnavailableKind};

pub type StoreResult<T> = Result<T, StoreError>;

/// The program's storage. Object-safe (`Arc<dyn Store>`), `Send + Sync`.
/// Every method is one atomic operation: on any error nothing was written.
#[async_trait]
pub trait Store: Send + Sync {
    /// Add every entry of `list` to the invitation list (an entry that already
    /// exists for the same (cycle, CPSO) is replaced). All-or-nothing: on error
    /// no entry of this call was written. Returns how many entries were written.
    async fn import_invitations(&self, list: &InvitationList) -> StoreResult<usize>;

    /// Whether `cpso` is on the invitation list for `cycle`. Read-only.
    async fn is_invited(&self, cycle: &Cycle, cpso: &Cpso) -> StoreResult<bool>;

    /// Every invitation, optionally only those of `cycle`, ordered by (cycle, CPSO as text).
    async fn list_invitations(&self, cycle: Option<&Cycle>) -> StoreResult<Vec<Invitation>>;

    /// Store a new group (as built by `SignUp::into_group`: no activities, PIP
    /// state `None`). All-or-nothing, in one atomic write that also takes the
    /// one-open-group-per-physician lock for EVERY member. If any member already
    /// holds a lock (is in another open group), nothing is written and the
    /// error is `Conflict(MembersInOpenGroup(cpsos))` naming every such member
    /// (a backend that cannot tell which may name at least one, after a
    /// consistent re-read). Of two concurrent calls naming the same physician,
    /// exactly one succeeds. A group id already present → `Conflict(GroupIdTaken)`.
    /// (Whether the lead is invited is checked by the caller before.)
    async fn create_group(&self, group: &Group) -> StoreResult<()>;

    /// [`create_group`](Store::create_group), and atomically with it check
    /// that the lead is on the invitation list of `group.cycle` (else
    /// `Conflict(LeadNotInvited)`, nothing written). What a sign-up calls:
    /// a backend that can check both in one request overrides this (DynamoDB:
    /// one transaction, one round trip); the default asks [`is_invited`]
    /// first.
    ///
    /// [`is_invited`]: Store::is_invited
    async fn create_group_if_invited(&self, group: &Group) -> StoreResult<()> {
        let lead =
            group.members.iter().find(|m| m.member.role == Role::Lead).ok_or_else(|| StoreError::invariant("a group without a lead"))?;
        if !self.is_invited(&group.cycle, &lead.member.cpso).await? {
            return Err(StoreError::Conflict(ConflictKind::LeadNotInvited));
        }
        self.create_group(group).await
    }

    /// The group with all members, their activities and the PIP state
    /// (strongly consistent read). `NotFound` if there is no such group.
    async fn get_group(&self, id: &GroupId) -> StoreResult<Group>;

    /// The id of the open group `cpso` belongs to, if any (reads the lock).
    async fn open_group_of(&self, cpso: &Cpso) -> StoreResult<Option<GroupId>>;

    /// Record (`Some(date)`) or clear (`None`) one activity of one member, as
    /// one conditional write: it succeeds only if the group exists, `member` is
    /// one of its members (else `NotFound`) and the PIP is not submitted (else
    /// `Conflict(PipSubmitted)`, nothing changed). Concurrent calls for
    /// different (member, activity) pairs never lose each other's updates.
    /// Returns the member's activities after the write.
    async fn set_activity(
        &self,
        id: &GroupId,
        member: &Cpso,
        activity: Activity,
        completed_on: Option<NaiveDate>,
    ) -> StoreResult<Activities>;

    /// Replace the group's PIP draft (state becomes `Draft`). Conditional on
    /// the PIP not being submitted (else `Conflict(PipSubmitted)`, nothing
    /// changed); `NotFound` for an unknown group.
    async fn save_pip_draft(&self, id: &GroupId, draft: &PipDraft) -> StoreResult<()>;

    /// Submit the PIP: in ONE atomic write, store `pip` as the submitted plan
    /// with `submitted_on`, and release every member's open-group lock (the
    /// group is no longer open). Conditions, checked atomically with the
    /// write: the group exists (`NotFound`); the PIP is not already submitted
    /// (`Conflict(PipSubmitted)` — checked first); every member has all four
    /// activities done (`Conflict(ActivitiesIncomplete(..))` listing what is
    /// missing). A check-off being cleared concurrently either happens before
    /// (submission fails) or is refused (`PipSubmitted`). The caller has
    /// already checked `pip` with `Pip::from_draft`.
    async fn submit_pip(&self, id: &GroupId, pip: &PipDraft, submitted_on: NaiveDate) -> StoreResult<()>;

    /// [`submit_pip`](Store::submit_pip) for a caller that has just read the
    /// group (the handler does, to authenticate): a backend may build the
    /// write from `group` instead of reading it again. Same guarantees: the
    /// conditions are checked atomically with the write, so a stale `group`
    /// can only make the submission fail, never succeed wrongly.
    async fn submit_pip_of(&self, group: &Group, pip: &PipDraft, submitted_on: NaiveDate) -> StoreResult<()> {
        self.submit_pip(&group.id, pip, submitted_on).await
    }

    /// Record a coaching request (ids are unique and random; a repeated id is
    /// `Internal(Invariant)`).
    async fn add_coaching_request(&self, req: &CoachingRequest) -> StoreResult<()>;

    /// Every coaching request, oldest first (by `created_at`, then id).
    async fn list_coaching_requests(&self) -> StoreResult<Vec<CoachingRequest>>;

    /// Every group (for staff exports), ordered by `created_at` then id.
    async fn list_groups(&self) -> StoreResult<Vec<Group>>;
}

#[async_trait]
impl<S: Store + ?Sized> Store for Arc<S> {
    async fn import_invitations(&self, list: &InvitationList) -> StoreResult<usize> {
        (**self).import_invitations(list).await
    }
    async fn is_invited(&self, cycle: &Cycle, cpso: &Cpso) -> StoreResult<bool> {
        (**self).is_invited(cycle, cpso).await
    }
    async fn list_invitations(&self, cycle: Option<&Cycle>) -> StoreResult<Vec<Invitation>> {
        (**self).list_invitations(cycle).await
    }
    async fn create_group(&self, group: &Group) -> StoreResult<()> {
        (**self).create_group(group).await
    }
    async fn create_group_if_invited(&self, group: &Group) -> StoreResult<()> {
        (**self).create_group_if_invited(group).await
    }
    async fn get_group(&self, id: &GroupId) -> StoreResult<Group> {
        (**self).get_group(id).await
    }
    async fn open_group_of(&self, cpso: &Cpso) -> StoreResult<Option<GroupId>> {
        (**self).open_group_of(cpso).await
    }
    async fn set_activity(
        &self,
        id: &GroupId,
        member: &Cpso,
        activity: Activity,
        completed_on: Option<NaiveDate>,
    ) -> StoreResult<Activities> {
        (**self).set_activity(id, member, activity, completed_on).await
    }
    async fn save_pip_draft(&self, id: &GroupId, draft: &PipDraft) -> StoreResult<()> {
        (**self).save_pip_draft(id, draft).await
    }
    async fn submit_pip(&self, id: &GroupId, pip: &PipDraft, submitted_on: NaiveDate) -> StoreResult<()> {
        (**self).submit_pip(id, pip, submitted_on).await
    }
    async fn submit_pip_of(&self, group: &Group, pip: &PipDraft, submitted_on: NaiveDate) -> StoreResult<()> {
        (**self).submit_pip_of(group, pip, submitted_on).await
    }
    async fn add_coaching_request(&self, req: &CoachingRequest) -> StoreResult<()> {
        (**self).add_coaching_request(req).await
    }
    async fn list_coaching_requests(&self) -> StoreResult<Vec<CoachingRequest>> {
        (**self).list_coaching_requests().await
    }
    async fn list_groups(&self) -> StoreResult<Vec<Group>> {
        (**self).list_groups().await
    }
}
