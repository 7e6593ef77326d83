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
//! - A group is *open* from the lead's confirmation until its PIP is
//!   submitted (or it is dissolved). While open, each *accepted* member's
//!   CPSO number holds the "one open group per physician" lock; a proposal
//!   or a pending invitation locks nobody.
//! - Every change is a [`Write`] (effects computed by
//!   `crate::domain::membership` from the group as read, plus the
//!   conditions the store checks atomically); check-offs have their own
//!   one-request path ([`Store::check_off`]).
//! - Errors ([`StoreError`]): `Conflict` for rule conflicts, `NotFound`;
//!   transient `Throttled` and `Unavailable` (the handler answers 503 +
//!   Retry-After); `Corrupt` and `Internal` for what a retry does not cure (500).
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};

use crate::domain::{
    Activities, Activity, Claim, CoachingRequest, CodeHash, Cpso, Cycle, DataChange, Email, Group, GroupId, HistoryEntry, Invitation,
    InvitationList, MailRecord, QueuedMail, Settle, Undeliverable, Write,
};

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

/// One check-off (or un-check, `on: None`) by a signed-in member: one
/// conditional write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckOffWrite {
    pub group: GroupId,
    pub slot: u8,
    /// The hash of the caller's session token; the session must be live at `now`.
    pub session: CodeHash,
    pub activity: Activity,
    pub on: Option<NaiveDate>,
    /// Appended to the member's own history.
    pub event: HistoryEntry,
    pub now: DateTime<Utc>,
}

/// One change to a signed-in member's own measurement data (a data point
/// or a PDSA cycle): one conditional write of their record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataWrite {
    pub group: GroupId,
    pub slot: u8,
    /// The hash of the caller's session token; the session must be live at `now`.
    pub session: CodeHash,
    pub change: DataChange,
    /// Appended to the member's own history (the group's audit trail).
    pub event: HistoryEntry,
    pub now: DateTime<Utc>,
}

/// A data-entry reminder about to be sent to the member in `slot`: ONE
/// conditional write of their record ([`Store::mark_reminded`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReminderMark {
    pub group: GroupId,
    pub slot: u8,
    /// The reminder's period: its first day must be after the member's
    /// `reminders.through` (else it was reminded for this period already).
    pub period_start: NaiveDate,
    /// Its last day: becomes `reminders.through`.
    pub period_end: NaiveDate,
    /// The member's opt-out token hashes after the write: the new
    /// reminder's last, at most [`crate::domain::group::REMINDER_TOKENS_KEPT`].
    pub tokens: Vec<CodeHash>,
    /// The reminder itself, queued in the same write.
    pub outbox: Option<QueuedMail>,
}

/// Who turns a member's reminders on or off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReminderAuth {
    /// The hash of an opt-out link's token: one of the member's `reminders.tokens`.
    OptOut(CodeHash),
    /// The hash of the member's session token: live at `now`; its last use becomes `now`.
    Session(CodeHash),
}

/// Turn the member's data-entry reminders on or off: ONE conditional write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReminderSetting {
    pub group: GroupId,
    pub slot: u8,
    pub by: ReminderAuth,
    /// `true`: reminders off.
    pub off: bool,
    pub now: DateTime<Utc>,
}

/// A physician's current group, as their lock records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrentGroup {
    pub group: GroupId,
    /// Still open (the lock stops them joining another); `false` once submitted.
    pub open: bool,
}

/// The program's storage. Object-safe (`Arc<dyn Store>`), `Send + Sync`.
/// Every method is one atomic operation: on any error nothing was written.
#[async_trait]
pub trait Store: Send + Sync {
    /// Add every entry of `list` to the invitation list (an entry that already
    /// exists for the same (cycle, CPSO) is replaced). All-or-nothing: on error
    /// no entry of this call was written. Returns how many entries were written.
    async fn import_invitations(&self, list: &InvitationList) -> StoreResult<usize>;

    /// The invitation of `cpso` for `cycle`, if any (strongly consistent).
    async fn invitation(&self, cycle: &Cycle, cpso: &Cpso) -> StoreResult<Option<Invitation>>;

    /// Every invitation, optionally only those of `cycle`, ordered by (cycle, CPSO as text).
    async fn list_invitations(&self, cycle: Option<&Cycle>) -> StoreResult<Vec<Invitation>>;

    /// The group as stored, with every member, session, activity and event
    /// (strongly consistent; one read). Items past their expiry may still be
    /// there (DynamoDB deletes them lazily): callers apply
    /// [`Group::as_of`]. `NotFound` if there is no such group.
    async fn get_group(&self, id: &GroupId) -> StoreResult<Group>;

    /// The group whose lock `cpso` holds (open, or the latest submitted one).
    async fn group_of(&self, cpso: &Cpso) -> StoreResult<Option<CurrentGroup>>;

    /// Apply `w` in ONE atomic write, checking atomically with it:
    /// - `expect_version`: the group's version is still that (else
    ///   `Conflict(Stale)`), and becomes one more; `None` with a `Create`
    ///   effect: the id is free (else `Conflict(GroupIdTaken)`); `None`
    ///   otherwise (session-only writes): the group exists (`NotFound`).
    /// - `actor_session`: that member's session is live at `w.now` (else
    ///   `Conflict(SessionEnded)`); its last use becomes `w.now`.
    /// - `invitation`: it exists (else `Conflict(LeadNotInvited)`).
    /// - each `Acquire`: the physician holds no other open group's lock
    ///   (else `Conflict(MembersInOpenGroup(..))` naming every such one);
    ///   of two concurrent writes acquiring one physician's lock, one wins.
    /// - `Submit`: every accepted member has all four activities (else
    ///   `Conflict(ActivitiesIncomplete)`) and no check-off happens after.
    /// - each `Limit`: today's count is below `max` (else `Conflict(LimitReached(key))`).
    /// - `token`: if a write with this token already committed, answer `Ok`
    ///   and change nothing (a retry after a lost answer).
    ///
    /// An effect on a member who is not there at `w.now` (removed, or their
    /// invitation lapsed) is `NotFound`, like a group that is not there or
    /// whose proposal lapsed. The effects are those of [`Group::apply`];
    /// `Dissolve` and `Submit` also close every member's check-offs.
    async fn write(&self, w: &Write) -> StoreResult<()>;

    /// Record or clear one activity of the member in `c.slot`, and append
    /// `c.event` to their history, as ONE conditional write: it succeeds only
    /// if the member exists (else `NotFound`), their session `c.session` is
    /// live (else `Conflict(SessionEnded)`), the group is not closed (else
    /// `Conflict(PipSubmitted)`) and they have accepted (else
    /// `Conflict(NotAccepted)`); the session's last use becomes `c.now`.
    /// Concurrent check-offs of different members or activities never lose
    /// each other's updates. Returns the member's activities after the write.
    async fn check_off(&self, c: &CheckOffWrite) -> StoreResult<Activities>;

    /// Record that a session was used at `now` (reads do it once a day, so
    /// the idle expiry counts from real use). `Conflict(SessionEnded)` if it
    /// is not live any more; `NotFound` without the group or member.
    async fn touch_session(&self, id: &GroupId, slot: u8, session: &CodeHash, now: DateTime<Utc>) -> StoreResult<()>;

    /// Apply `w.change` to the member in `w.slot` (as
    /// [`crate::domain::GroupMember::apply_data`] does) and append `w.event`
    /// to their history, as ONE conditional write: it succeeds only if the
    /// member exists (else `NotFound`), their session is live (else
    /// `Conflict(SessionEnded)`), they have accepted (else
    /// `Conflict(NotAccepted)`) and the group is not dissolved (else
    /// `Conflict(Dissolved)`); the session's last use becomes `w.now`. A
    /// submitted plan does not stop it (data is recorded for as long as the
    /// requirement lasts: the use case checks that from the group it read).
    /// Concurrent writes of different members never lose each other's
    /// data; of one member's two writes for one (goal, period), the later
    /// one stays.
    async fn record_data(&self, w: &DataWrite) -> StoreResult<()>;

    /// Record that member `m.slot` is being reminded for the period
    /// `m.period_start..=m.period_end` (and the reminder's opt-out token
    /// hashes), as ONE conditional write: `Ok(true)` if it was recorded (the
    /// caller then sends the reminder); `Ok(false)`, changing nothing, if
    /// the member's `reminders.through` is on or after `m.period_start` (a
    /// reminder for this period was recorded already), their reminders are
    /// off, they have not accepted, or the group is dissolved; `NotFound`
    /// without the group or the member. Of two concurrent calls for one
    /// member and period, exactly one answers `Ok(true)`.
    async fn mark_reminded(&self, m: &ReminderMark) -> StoreResult<bool>;

    /// Set member `s.slot`'s `reminders.off` to `s.off`, as ONE conditional
    /// write: with [`ReminderAuth::OptOut`] only if the hash is one of their
    /// `reminders.tokens`, else `NotFound` (the same answer as no such group
    /// or member: an opt-out link never tells whom it names); with
    /// [`ReminderAuth::Session`] only if that session is live (else
    /// `Conflict(SessionEnded)`), recording its use. Nothing else changes.
    async fn set_reminders(&self, s: &ReminderSetting) -> StoreResult<()>;

    /// Record a coaching request and queue `mail` (the coaches' copy), in
    /// ONE atomic write (ids are unique and random; a repeated id is
    /// `Internal(Invariant)`).
    async fn add_coaching_request(&self, req: &CoachingRequest, mail: Option<&QueuedMail>) -> StoreResult<()>;

    /// Every coaching request, oldest first (by `created_at`, then id).
    async fn list_coaching_requests(&self) -> StoreResult<Vec<CoachingRequest>>;

    /// Every group as stored (for staff exports), ordered by `created_at` then id.
    async fn list_groups(&self) -> StoreResult<Vec<Group>>;

    /// Hold queued mail `id` for one delivery attempt by `holder` until
    /// `until`: ONE conditional write that succeeds only if the mail is
    /// pending, due at `now`, and not held by another attempt past `now`.
    /// Otherwise nothing changes and the answer says why (not due, held,
    /// settled already, missing). Of two concurrent claims, one wins.
    async fn claim_mail(&self, id: &str, holder: &str, now: DateTime<Utc>, until: DateTime<Utc>) -> StoreResult<Claim>;

    /// Record how `holder`'s attempt at mail `id` ended (ONE conditional
    /// write: only while the mail is pending and held by `holder`; `Ok(false)`,
    /// changing nothing, otherwise). `Sent` and `Suppressed` drop the message
    /// and keep the record for [`crate::domain::outbox::keep_records`];
    /// `Dead` keeps the message that long.
    async fn settle_mail(&self, id: &str, holder: &str, settle: &Settle, now: DateTime<Utc>) -> StoreResult<bool>;

    /// Queue dead mail `id`'s message again as new mail `new_id` (due at
    /// once), in ONE atomic write that also marks `id` as requeued (so it is
    /// never requeued twice). `Ok(false)` if `id` is not dead (or gone).
    async fn requeue_mail(&self, id: &str, new_id: &str, now: DateTime<Utc>) -> StoreResult<bool>;

    /// Every queued mail's record as it stands at `now` (staff's view, the
    /// dev server's drain), oldest first. Records expire
    /// [`crate::domain::outbox::keep_records`] after they are settled.
    async fn list_mail(&self, now: DateTime<Utc>) -> StoreResult<Vec<MailRecord>>;

    /// Record that email to an address cannot be delivered (replacing an
    /// earlier record of the same address).
    async fn mark_undeliverable(&self, u: &Undeliverable) -> StoreResult<()>;

    /// Which of `emails` are recorded as undeliverable (at most 25 at once).
    async fn undeliverable(&self, emails: &[Email]) -> StoreResult<Vec<Undeliverable>>;

    /// Forget that email to `email` could not be delivered (staff checked
    /// that it works again). `Ok(false)` if nothing was recorded.
    async fn clear_undeliverable(&self, email: &Email) -> StoreResult<bool>;
}

#[async_trait]
impl<S: Store + ?Sized> Store for Arc<S> {
    async fn import_invitations(&self, list: &InvitationList) -> StoreResult<usize> {
        (**self).import_invitations(list).await
    }
    async fn invitation(&self, cycle: &Cycle, cpso: &Cpso) -> StoreResult<Option<Invitation>> {
        (**self).invitation(cycle, cpso).await
    }
    async fn list_invitations(&self, cycle: Option<&Cycle>) -> StoreResult<Vec<Invitation>> {
        (**self).list_invitations(cycle).await
    }
    async fn get_group(&self, id: &GroupId) -> StoreResult<Group> {
        (**self).get_group(id).await
    }
    async fn group_of(&self, cpso: &Cpso) -> StoreResult<Option<CurrentGroup>> {
        (**self).group_of(cpso).await
    }
    async fn write(&self, w: &Write) -> StoreResult<()> {
        (**self).write(w).await
    }
    async fn check_off(&self, c: &CheckOffWrite) -> StoreResult<Activities> {
        (**self).check_off(c).await
    }
    async fn touch_session(&self, id: &GroupId, slot: u8, session: &CodeHash, now: DateTime<Utc>) -> StoreResult<()> {
        (**self).touch_session(id, slot, session, now).await
    }
    async fn record_data(&self, w: &DataWrite) -> StoreResult<()> {
        (**self).record_data(w).await
    }
    async fn mark_reminded(&self, m: &ReminderMark) -> StoreResult<bool> {
        (**self).mark_reminded(m).await
    }
    async fn set_reminders(&self, s: &ReminderSetting) -> StoreResult<()> {
        (**self).set_reminders(s).await
    }
    async fn add_coaching_request(&self, req: &CoachingRequest, mail: Option<&QueuedMail>) -> StoreResult<()> {
        (**self).add_coaching_request(req, mail).await
    }
    async fn list_coaching_requests(&self) -> StoreResult<Vec<CoachingRequest>> {
        (**self).list_coaching_requests().await
    }
    async fn list_groups(&self) -> StoreResult<Vec<Group>> {
        (**self).list_groups().await
    }
    async fn claim_mail(&self, id: &str, holder: &str, now: DateTime<Utc>, until: DateTime<Utc>) -> StoreResult<Claim> {
        (**self).claim_mail(id, holder, now, until).await
    }
    async fn settle_mail(&self, id: &str, holder: &str, settle: &Settle, now: DateTime<Utc>) -> StoreResult<bool> {
        (**self).settle_mail(id, holder, settle, now).await
    }
    async fn requeue_mail(&self, id: &str, new_id: &str, now: DateTime<Utc>) -> StoreResult<bool> {
        (**self).requeue_mail(id, new_id, now).await
    }
    async fn list_mail(&self, now: DateTime<Utc>) -> StoreResult<Vec<MailRecord>> {
        (**self).list_mail(now).await
    }
    async fn mark_undeliverable(&self, u: &Undeliverable) -> StoreResult<()> {
        (**self).mark_undeliverable(u).await
    }
    async fn undeliverable(&self, emails: &[Email]) -> StoreResult<Vec<Undeliverable>> {
        (**self).undeliverable(emails).await
    }
    async fn clear_undeliverable(&self, email: &Email) -> StoreResult<bool> {
        (**self).clear_undeliverable(email).await
    }
}
