//! [`Store::write`](crate::store::Store::write) on DynamoDB: a [`Write`]'s
//! effects and conditions become ONE `TransactWriteItems`.
//!
//! Each item the write touches is one transaction item (DynamoDB refuses two
//! operations on one item), so every effect on a member — and the acting
//! session's check and "last used" — merge into that member's one update:
//!
//! - the group item: an update conditioned on `version` (bumped), with the
//!   group-level effects (`Confirm`, `SaveDraft`, `Submit`, `Dissolve`,
//!   `Audit`, `next_slot`); a write that changes nothing in the group's
//!   partition checks instead that the group is there;
//! - a member item: a put (`AddMember`), a delete (`RemoveMember`) or an
//!   update (status, email, code, sessions, `closed`), conditioned on the
//!   member being there and not lapsed, on the acting session being live,
//!   on all four activities for a submission, on room for a new session;
//! - a lock (`PHYSICIAN#<cpso>`): a put for `Acquire` (none, closed, or this
//!   group's), a delete for `Release` and an update for `Close` (this group's);
//! - the lead's invitation: a condition check;
//! - each day counter (`LIMIT#<key>` / `DAY#<day>`): an update adding one,
//!   conditioned on the count being below the limit;
//! - the write's token (`TOKEN#<token>`): a put conditioned on there being
//!   none, so that a repeated write is cancelled by it and answered as done.
//!
//! A cancelled transaction's reasons, with each failed item as it was
//! (`ReturnValuesOnConditionCheckFailure = ALL_OLD`), are checked against
//! each item's [`Guard`]s to name the conflict, in this order: the token
//! (answered `Ok`), the group missing or lapsed (`NotFound`), `GroupIdTaken`,
//! `Stale`, `SessionEnded`, `LeadNotInvited`, `MembersInOpenGroup` (every
//! refused `Acquire`), a member missing or lapsed (`NotFound`),
//! `ActivitiesIncomplete` (from the failed members' old images),
//! `LimitReached`.
//!
//! Three effects need the partition read first (one consistent `Query`),
//! because the write does not name the member items they change: `Submit`
//! (closes every accepted member, checking their activities), `Dissolve`
//! (closes every member) and `Delete` (removes every member). A new session
//! for a member who has `MAX_SESSIONS` already is refused by its room
//! condition; the write is then made again (once more in the common case),
//! ending the oldest sessions, conditioned on the sessions it saw.
use std::collections::{BTreeMap, HashMap};

use aws_sdk_dynamodb::types::{
    AttributeValue, CancellationReason, ConditionCheck, Delete, Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update,
};
use chrono::Duration;
use sha2::{Digest, Sha256};

use super::client::TransactFailure;
use super::codec::{
    activities_of, event_value, group_items, lock_item, pip_json, session_value, sessions_of, sessions_value, status_fields,
};
use super::errors::{build_error, is_conditional_failure};
use super::guards::{condition, failures, Expr, Guard};
use super::keys::*;
use super::DynamoStore;
use crate::domain::access::MAX_SESSIONS;
use crate::domain::{Cpso, Effect, GroupMember, Session, Write};
use crate::store::schema::{SK, TTL};
use crate::store::{ConflictKind, StoreError, StoreResult};

/// Attempts of one write: a retry without the client token after
/// `IdempotentParameterMismatch`, or after ending the oldest sessions.
const WRITE_ATTEMPTS: usize = 4;

/// What a condition that did not hold means for the write.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Failure {
    /// The write's token exists: this write committed before.
    TokenUsed,
    /// The group is not there, or is a lapsed proposal.
    GroupGone,
    GroupIdTaken,
    Stale,
    SessionEnded,
    LeadNotInvited,
    /// An `Acquire` of this physician's lock.
    Locked(Cpso),
    /// A member an effect names is not there, or lapsed.
    MemberGone,
    /// A submission: this member (slot) has not done all four activities.
    Incomplete(u8),
    /// A day counter is at its limit (`Limit::key`).
    Limit(String),
    /// A new session finds the member at `MAX_SESSIONS`: end the oldest first.
    SessionsFull(u8),
    /// A lock to release or close is another group's.
    LockNotOurs,
    /// A new member's slot has an item already.
    SlotTaken,
    /// A queued mail's id is taken (ids are random: a bug).
    MailIdTaken,
}

enum Action {
    Put(Item),
    Update { set: Vec<String>, remove: Vec<String>, add: Vec<String> },
    Delete,
    Check,
}

/// One transaction item being built: its key, what it does, its guards.
struct Op {
    key: Item,
    action: Action,
    guards: Vec<(Guard, Failure)>,
    expr: Expr,
}

impl Op {
    fn new(key: Item, action: Action) -> Op {
        Op { key, action, guards: Vec::new(), expr: Expr::default() }
    }
    fn update(key: Item) -> Op {
        Op::new(key, Action::Update { set: Vec::new(), remove: Vec::new(), add: Vec::new() })
    }
    fn guard(&mut self, guard: Guard, failure: Failure) {
        let g = (guard, failure);
        if !self.guards.contains(&g) {
            self.guards.push(g);
        }
    }
    /// `SET path = value`.
    fn set(&mut self, path: &[&str], value: AttributeValue) {
        let (p, v) = (self.expr.path(path), self.expr.value(value));
        self.set_clause(format!("{p} = {v}"));
    }
    fn set_clause(&mut self, clause: String) {
        if let Action::Update { set, .. } = &mut self.action {
            set.push(clause);
        }
    }
    fn remove(&mut self, path: &[&str]) {
        let p = self.expr.path(path);
        if let Action::Update { remove, .. } = &mut self.action {
            remove.push(p);
        }
    }
    fn add(&mut self, attr: &str, value: AttributeValue) {
        let (a, v) = (self.expr.name(attr), self.expr.value(value));
        if let Action::Update { add, .. } = &mut self.action {
            add.push(format!("{a} {v}"));
        }
    }
    /// `SET attr = v` for `Some(v)`, `REMOVE attr` for `None`.
    fn put_field(&mut self, attr: &str, value: Option<AttributeValue>) {
        match value {
            Some(v) => self.set(&[attr], v),
            None => self.remove(&[attr]),
        }
    }
    fn is_empty_update(&self) -> bool {
        matches!(&self.action, Action::Update { set, remove, add } if set.is_empty() && remove.is_empty() && add.is_empty())
    }

    /// The transaction item (`None`: a check without conditions, nothing to send).
    fn build(mut self, table: &str) -> StoreResult<Option<TransactWriteItem>> {
        if self.is_empty_update() {
            self.action = Action::Check;
        }
        let cond = condition(&self.guards, &mut self.expr);
        let (names, values) = (self.expr.names(), self.expr.values());
        let old = cond.as_ref().map(|_| ReturnValuesOnConditionCheckFailure::AllOld);
        let item = match self.action {
            Action::Put(item) => TransactWriteItem::builder().put(
                Put::builder()
                    .table_name(table)
                    .set_item(Some(item))
                    .set_condition_expression(cond)
                    .set_expression_attribute_names(names)
                    .set_expression_attribute_values(values)
                    .set_return_values_on_condition_check_failure(old)
                    .build()
                    .map_err(build_error)?,
            ),
            Action::Delete => TransactWriteItem::builder().delete(
                Delete::builder()
                    .table_name(table)
                    .set_key(Some(self.key))
                    .set_condition_expression(cond)
                    .set_expression_attribute_names(names)
                    .set_expression_attribute_values(values)
                    .set_return_values_on_condition_check_failure(old)
                    .build()
                    .map_err(build_error)?,
            ),
            Action::Update { set, remove, add } => {
                let mut clauses = Vec::new();
                for (word, parts) in [("SET", set), ("REMOVE", remove), ("ADD", add)] {
                    if !parts.is_empty() {
                        clauses.push(format!("{word} {}", parts.join(", ")));
                    }
                }
                TransactWriteItem::builder().update(
                    Update::builder()
                        .table_name(table)
                        .set_key(Some(self.key))
                        .update_expression(clauses.join(" "))
                        .set_condition_expression(cond)
                        .set_expression_attribute_names(names)
                        .set_expression_attribute_values(values)
                        .set_return_values_on_condition_check_failure(old)
                        .build()
                        .map_err(build_error)?,
                )
            }
            Action::Check => {
                let Some(cond) = cond else { return Ok(None) };
                TransactWriteItem::builder().condition_check(
                    ConditionCheck::builder()
                        .table_name(table)
                        .set_key(Some(self.key))
                        .condition_expression(cond)
                        .set_expression_attribute_names(names)
                        .set_expression_attribute_values(values)
                        .set_return_values_on_condition_check_failure(old)
                        .build()
                        .map_err(build_error)?,
                )
            }
        };
        Ok(Some(item.build()))
    }
}

/// The sessions a retry ends to make room for new ones (from the member as
/// the refused attempt found it).
#[derive(Debug, Clone, Default)]
struct Trim {
    /// How many sessions the member had.
    count: usize,
    /// Sessions to end (hex of their hashes).
    end: Vec<String>,
    /// New sessions that are themselves the oldest: not added.
    skip: Vec<String>,
}

/// What a write does to one member item, gathered from all its effects.
#[derive(Default)]
struct MemberPlan {
    put: Option<GroupMember>,
    delete: bool,
    /// Top-level attributes to set (`Some`) or remove (`None`).
    fields: BTreeMap<&'static str, Option<AttributeValue>>,
    /// Every session ends (a new code, or "sign out everywhere").
    reset_sessions: bool,
    sessions: SessionChanges,
    close: bool,
    guards: Vec<(Guard, Failure)>,
}

impl MemberPlan {
    fn guard(&mut self, guard: Guard, failure: Failure) {
        let g = (guard, failure);
        if !self.guards.contains(&g) {
            self.guards.push(g);
        }
    }
    /// The member must be there, and not lapsed, at `now`.
    fn present(&mut self, now: &str, failure: Failure) {
        self.guard(Guard::Exists, failure.clone());
        self.guard(Guard::NotLapsed { attr: attr::EXPIRES_AT, now: now.to_string() }, failure);
    }
    fn adds(&self) -> usize {
        self.sessions.values().filter(|s| s.is_some()).count()
    }
}

/// A member as the read before a submission, dissolution or deletion found it.
struct Present {
    slot: u8,
    accepted: bool,
    lapsed: bool,
}

fn present_members(items: &[Item], now: &str) -> StoreResult<Vec<Present>> {
    items
        .iter()
        .filter(|i| opt_s(i, SK).is_some_and(|sk| sk.starts_with(MEMBER_PREFIX)))
        .map(|i| {
            let slot = opt_i64(i, attr::SLOT)
                .and_then(|s| u8::try_from(s).ok())
                .ok_or_else(|| StoreError::corrupt("member", "attribute slot missing or not valid"))?;
            Ok(Present {
                slot,
                accepted: opt_s(i, attr::STATUS) == Some("accepted"),
                lapsed: opt_s(i, attr::EXPIRES_AT).is_some_and(|t| t <= now),
            })
        })
        .collect()
}

/// Sessions added (`Some`) or ended (`None`), by the hex of their hash.
type SessionChanges = BTreeMap<String, Option<Session>>;

/// The write's transaction items, and each member's session changes (to
/// work out a [`Trim`]).
struct Built {
    ops: Vec<Op>,
    sessions: HashMap<u8, SessionChanges>,
}

/// The group-level changes of a write.
#[derive(Default)]
struct MetaPlan {
    delete: bool,
    fields: BTreeMap<&'static str, Option<AttributeValue>>,
    draft_saves: u64,
    audit: Vec<AttributeValue>,
    next_slot: Option<u8>,
}

impl MetaPlan {
    fn changes(&self) -> bool {
        self.delete || !self.fields.is_empty() || self.draft_saves > 0 || !self.audit.is_empty() || self.next_slot.is_some()
    }
}

/// Whether the write needs the group's partition read first.
pub(super) fn needs_read(w: &Write) -> bool {
    !w.effects.iter().any(|e| matches!(e, Effect::Create(_)))
        && w.effects.iter().any(|e| matches!(e, Effect::Submit { .. } | Effect::Dissolve { .. } | Effect::Delete))
}

/// The DynamoDB client request token of a write's token (DynamoDB takes at
/// most 36 characters; the token may be longer).
fn client_token(token: &str) -> Option<String> {
    (!token.is_empty()).then(|| hex::encode(&Sha256::digest(token.as_bytes())[..16]))
}

fn plan(w: &Write, read: Option<&[Item]>, trims: &HashMap<u8, Trim>) -> StoreResult<Built> {
    let now = instant(&w.now);
    let mut ops = Vec::new();
    let mut sessions = HashMap::new();
    if !w.token.is_empty() {
        let mut item = key(token_pk(&w.token), TOKEN);
        item.insert(attr::TYPE.into(), s("token"));
        item.insert(attr::GROUP_ID.into(), s(w.group.as_str()));
        item.insert(attr::AT.into(), s(now.clone()));
        item.insert(TTL.into(), n(epoch_seconds(&(w.now + Duration::days(1)))));
        let mut op = Op::new(key(token_pk(&w.token), TOKEN), Action::Put(item));
        op.guard(Guard::TokenFree(epoch_seconds(&w.now)), Failure::TokenUsed);
        ops.push(op);
    }

    let created = w.effects.iter().enumerate().rev().find_map(|(i, e)| match e {
        Effect::Create(g) => Some((i, g)),
        _ => None,
    });
    if let Some((i, g)) = created {
        // A new group: the effects after `Create` are applied to it here
        // (the domain's interpreter), and it is stored whole.
        let mut g = (**g).clone();
        g.apply(&w.effects[i + 1..], false);
        if g.id != w.group {
            return Err(StoreError::invariant("a write creates a group under another id"));
        }
        for item in group_items(&g)? {
            let k = key_of(&item).ok_or_else(|| StoreError::invariant("an item without its key"))?;
            let mut op = Op::new(key(k.0, k.1), Action::Put(item));
            op.guard(Guard::Absent, Failure::GroupIdTaken);
            ops.push(op);
        }
    } else {
        let (group_ops, changes) = plan_group(w, read, trims, &now)?;
        ops.extend(group_ops);
        sessions = changes;
    }

    // Locks, in the order of the effects (a later effect on one lock wins).
    let me = &w.group;
    let mut locks: Vec<(Cpso, Op)> = Vec::new();
    for e in &w.effects {
        let (cpso, op) = match e {
            Effect::Acquire(c) => {
                let mut op = Op::new(key(lock_pk(c), OPEN_GROUP), Action::Put(lock_item(c, me)));
                op.guard(Guard::LockFree(me.clone()), Failure::Locked(c.clone()));
                (c, op)
            }
            Effect::Release(c) => {
                let mut op = Op::new(key(lock_pk(c), OPEN_GROUP), Action::Delete);
                op.guard(Guard::LockAbsentOrOurs(me.clone()), Failure::LockNotOurs);
                (c, op)
            }
            Effect::Close(c) => {
                let mut op = Op::update(key(lock_pk(c), OPEN_GROUP));
                op.set(&[attr::OPEN], AttributeValue::Bool(false));
                op.guard(Guard::LockOurs(me.clone()), Failure::LockNotOurs);
                (c, op)
            }
            _ => continue,
        };
        locks.retain(|(c, _)| c != cpso);
        locks.push((cpso.clone(), op));
    }
    ops.extend(locks.into_iter().map(|(_, op)| op));

    if let Some((cycle, cpso)) = &w.invitation {
        let mut op = Op::new(key(invite_pk(cycle), invite_sk(cpso)), Action::Check);
        op.guard(Guard::Exists, Failure::LeadNotInvited);
        ops.push(op);
    }

    // Day counters: one item per (key, day), however often the write names it.
    let mut counters: Vec<(&str, chrono::NaiveDate, u32, i64)> = Vec::new();
    for l in &w.limits {
        match counters.iter_mut().find(|(k, d, _, _)| *k == l.key && *d == l.day) {
            Some(c) => c.3 += 1,
            None => counters.push((&l.key, l.day, l.max, 1)),
        }
    }
    for (limit_key, day, max, times) in counters {
        let mut op = Op::update(key(limit_pk(limit_key), limit_sk(day)));
        op.add(attr::COUNT, n(times));
        op.set(&[TTL], n(limit_ttl(day)));
        let cap = i64::from(max) - times;
        let guard = if cap < 0 { Guard::Never } else { Guard::CountAtMost(cap) };
        op.guard(guard, Failure::Limit(limit_key.to_string()));
        ops.push(op);
    }

    // The emails the change causes, queued with it (`dynamo/outbox.rs`).
    for m in &w.outbox {
        let mut op = Op::new(key(super::outbox::outbox_pk(&m.id), "OUTBOX"), Action::Put(super::outbox::mail_item(m)?));
        op.guard(Guard::Absent, Failure::MailIdTaken);
        ops.push(op);
    }
    Ok(Built { ops, sessions })
}

/// The items of the group's partition a write changes (not a `Create`).
fn plan_group(
    w: &Write,
    read: Option<&[Item]>,
    trims: &HashMap<u8, Trim>,
    now: &str,
) -> StoreResult<(Vec<Op>, HashMap<u8, SessionChanges>)> {
    let pk = group_pk(&w.group);
    let mut meta = MetaPlan::default();
    let mut members: BTreeMap<u8, MemberPlan> = BTreeMap::new();
    let (mut submit, mut dissolve) = (false, false);
    for e in &w.effects {
        match e {
            Effect::Create(_) | Effect::Acquire(_) | Effect::Release(_) | Effect::Close(_) => {}
            Effect::Delete => meta.delete = true,
            Effect::Confirm => {
                meta.fields.insert(attr::PROPOSAL_EXPIRES_AT, None);
                meta.fields.insert(TTL, None);
            }
            Effect::SaveDraft(d) => {
                meta.fields.insert(attr::PIP_STATE, Some(s("draft")));
                meta.fields.insert(attr::PIP, Some(s(pip_json(d)?)));
                meta.draft_saves += 1;
            }
            Effect::Submit { pip, on } => {
                meta.fields.insert(attr::PIP_STATE, Some(s("submitted")));
                meta.fields.insert(attr::PIP, Some(s(pip_json(pip)?)));
                meta.fields.insert(attr::SUBMITTED_ON, Some(s(on.to_string())));
                submit = true;
            }
            Effect::Dissolve { at } => {
                meta.fields.insert(attr::DISSOLVED_AT, Some(s(instant(at))));
                dissolve = true;
            }
            Effect::Audit(ev) => meta.audit.push(event_value(ev)?),
            Effect::AddMember(m) => {
                meta.next_slot = Some(meta.next_slot.unwrap_or(0).max(m.slot.saturating_add(1)));
                let p = members.entry(m.slot).or_default();
                *p = MemberPlan::default();
                p.put = Some((**m).clone());
                p.guard(Guard::Absent, Failure::SlotTaken);
            }
            Effect::RemoveMember { slot } => {
                let p = members.entry(*slot).or_default();
                if p.put.is_some() {
                    return Err(StoreError::invariant("a write removes a member it adds"));
                }
                p.present(now, Failure::MemberGone);
                p.delete = true;
            }
            Effect::SetStatus { slot, .. }
            | Effect::SetEmail { slot, .. }
            | Effect::SetLanguage { slot, .. }
            | Effect::SetCode { slot, .. }
            | Effect::AddSession { slot, .. }
            | Effect::EndSession { slot, .. }
            | Effect::EndSessions { slot } => {
                let p = members.entry(*slot).or_default();
                if p.put.is_some() {
                    return Err(StoreError::invariant("a write changes a member it adds"));
                }
                if p.delete {
                    continue; // as `Group::apply`: no member, nothing to change
                }
                p.present(now, Failure::MemberGone);
                member_effect(p, e);
            }
        }
    }

    if meta.delete || submit || dissolve {
        let read = read.ok_or_else(|| StoreError::invariant("a submission, dissolution or deletion without the group read first"))?;
        for m in present_members(read, now)? {
            let p = members.entry(m.slot).or_default();
            if meta.delete {
                // Every item goes; nothing else of the member matters.
                *p = MemberPlan { delete: true, ..MemberPlan::default() };
            } else if p.delete || p.put.is_some() || (submit && !m.accepted) || (dissolve && m.lapsed) {
                continue;
            } else {
                p.present(now, Failure::MemberGone);
                p.close = true;
                if dissolve {
                    p.fields.insert(attr::DISSOLVED, Some(AttributeValue::Bool(true)));
                }
                if submit {
                    p.guard(Guard::ActivitiesDone, Failure::Incomplete(m.slot));
                }
            }
        }
    }

    // The acting session: live now, and used now.
    let actor = w.actor_session.as_ref().map(|(slot, hash)| (*slot, hash.to_hex()));
    if let Some((slot, hash)) = &actor {
        let (seen_after, created_after) = Session::cutoffs(w.now);
        let p = members.entry(*slot).or_default();
        p.guard(Guard::Exists, Failure::SessionEnded);
        p.guard(Guard::NotLapsed { attr: attr::EXPIRES_AT, now: now.to_string() }, Failure::SessionEnded);
        p.guard(
            Guard::SessionLive {
                hash: hash.clone(),
                seen_after: seen_after.timestamp_millis(),
                created_after: created_after.timestamp_millis(),
            },
            Failure::SessionEnded,
        );
    }

    let mut ops = Vec::new();
    let versioned = w.expect_version;
    if versioned.is_some() || meta.changes() || members.is_empty() {
        let mut op = if meta.delete { Op::new(key(pk.clone(), META), Action::Delete) } else { Op::update(key(pk.clone(), META)) };
        op.guard(Guard::Exists, Failure::GroupGone);
        op.guard(Guard::NotLapsed { attr: attr::PROPOSAL_EXPIRES_AT, now: now.to_string() }, Failure::GroupGone);
        if let Some(v) = versioned {
            op.guard(Guard::Version(v), Failure::Stale);
        }
        if !meta.delete {
            if let Some(v) = versioned {
                op.set(&[attr::VERSION], n(v + 1));
            }
            for (a, v) in std::mem::take(&mut meta.fields) {
                op.put_field(a, v);
            }
            if meta.draft_saves > 0 {
                let dv = op.expr.name(attr::DRAFT_VERSION);
                let k = op.expr.value(n(meta.draft_saves));
                op.set_clause(format!("{dv} = {dv} + {k}"));
            }
            if !meta.audit.is_empty() {
                let audit = op.expr.name(attr::AUDIT);
                let empty = op.expr.value(AttributeValue::L(Vec::new()));
                let events = op.expr.value(AttributeValue::L(std::mem::take(&mut meta.audit)));
                op.set_clause(format!("{audit} = list_append(if_not_exists({audit}, {empty}), {events})"));
            }
            if let Some(next) = meta.next_slot {
                op.set(&[attr::NEXT_SLOT], n(next));
            }
        }
        ops.push(op);
    }

    let mut changes = HashMap::new();
    for (slot, p) in members {
        let k = key(pk.clone(), member_sk(slot));
        let mut op = if p.delete {
            Op::new(k, Action::Delete)
        } else if let Some(m) = &p.put {
            Op::new(k, Action::Put(super::codec::member_item(&w.group, m, None, false, false)?))
        } else {
            member_update(k, &p, slot, actor.as_ref(), trims.get(&slot), w)
        };
        for (g, f) in &p.guards {
            op.guard(g.clone(), f.clone());
        }
        changes.insert(slot, p.sessions);
        ops.push(op);
    }
    Ok((ops, changes))
}

/// Record one effect on an existing member.
fn member_effect(p: &mut MemberPlan, e: &Effect) {
    match e {
        Effect::SetStatus { status, .. } => {
            for (a, v) in status_fields(status, None) {
                p.fields.insert(a, v);
            }
        }
        Effect::SetEmail { email, .. } => {
            p.fields.insert(attr::EMAIL, Some(s(email.as_str())));
        }
        Effect::SetLanguage { language, .. } => {
            p.fields.insert(attr::LANGUAGE, Some(s(language.as_str())));
        }
        Effect::SetCode { hash, .. } => {
            p.fields.insert(attr::CODE_HASH, Some(s(hash.to_hex())));
            p.reset_sessions = true;
            p.sessions.clear();
        }
        Effect::AddSession { session, .. } => {
            p.sessions.insert(session.hash.to_hex(), Some(session.clone()));
        }
        Effect::EndSession { hash, .. } => {
            p.sessions.insert(hash.to_hex(), None);
        }
        Effect::EndSessions { .. } => {
            p.reset_sessions = true;
            p.sessions.clear();
        }
        _ => {}
    }
}

/// The update of an existing member item.
fn member_update(k: Item, p: &MemberPlan, slot: u8, actor: Option<&(u8, String)>, trim: Option<&Trim>, w: &Write) -> Op {
    let mut op = Op::update(k);
    for (a, v) in &p.fields {
        op.put_field(a, v.clone());
    }
    let skipped = |h: &String| trim.is_some_and(|t| t.skip.contains(h));
    if p.reset_sessions {
        op.set(&[attr::SESSIONS], sessions_value(p.sessions.iter().filter(|(h, _)| !skipped(h)).filter_map(|(_, s)| s.as_ref())));
    } else {
        for (h, change) in &p.sessions {
            match change {
                Some(session) if !skipped(h) => op.set(&[attr::SESSIONS, h], session_value(session)),
                Some(_) => {}
                None => op.remove(&[attr::SESSIONS, h]),
            }
        }
        let adds = p.adds();
        match trim {
            Some(t) => {
                for h in &t.end {
                    op.remove(&[attr::SESSIONS, h]);
                    op.guard(Guard::SessionExists(h.clone()), Failure::SessionsFull(slot));
                }
                op.guard(Guard::SessionsExactly(t.count), Failure::SessionsFull(slot));
            }
            None if adds > 0 => {
                let room = MAX_SESSIONS as i64 - adds as i64;
                op.guard(Guard::SessionsAtMost(room), Failure::SessionsFull(slot));
            }
            None => {}
        }
    }
    if let Some((actor_slot, hash)) = actor {
        let ended = p.reset_sessions || p.sessions.contains_key(hash) || trim.is_some_and(|t| t.end.contains(hash));
        if *actor_slot == slot && !ended {
            op.set(&[attr::SESSIONS, hash, attr::SESSION_SEEN], n(w.now.timestamp_millis()));
        }
    }
    if p.close {
        op.set(&[attr::CLOSED], AttributeValue::Bool(true));
    }
    op
}

/// Which sessions to end so that the member keeps at most `MAX_SESSIONS`
/// after `changes`, oldest first, as `Group::apply` does.
fn trim(old: &Item, changes: &SessionChanges) -> StoreResult<Trim> {
    let before = sessions_of(old)?;
    let count = before.len();
    let mut all: BTreeMap<String, (Session, bool)> = before.into_iter().map(|s| (s.hash.to_hex(), (s, false))).collect();
    for (h, change) in changes {
        match change {
            Some(s) => {
                all.insert(h.clone(), (s.clone(), true));
            }
            None => {
                all.remove(h);
            }
        }
    }
    let mut ordered: Vec<(String, (Session, bool))> = all.into_iter().collect();
    ordered.sort_by(|a, b| (a.1 .0.created_at, &a.0).cmp(&(b.1 .0.created_at, &b.0)));
    let excess = ordered.len().saturating_sub(MAX_SESSIONS);
    let mut t = Trim { count, ..Trim::default() };
    for (h, (_, new)) in ordered.into_iter().take(excess) {
        if new {
            t.skip.push(h);
        } else {
            t.end.push(h);
        }
    }
    Ok(t)
}

/// How a cancelled write ends.
enum Verdict {
    /// The write's token was used: it committed before.
    Done,
    Refused(StoreError),
    /// Make room in this member's sessions (as found) and try again.
    Trim(u8, Item),
}

/// Name the conflict of a cancelled transaction from each failed item's
/// guards and old image, in the order the module documents.
fn explain(ops: &[(Vec<(Guard, Failure)>, usize)], reasons: &[CancellationReason], w: &Write) -> StoreResult<Verdict> {
    let mut found: Vec<(Failure, Option<&Item>)> = Vec::new();
    for (guards, index) in ops {
        let Some(reason) = reasons.get(*index).filter(|r| is_conditional_failure(r)) else { continue };
        let old = reason.item();
        found.extend(failures(guards, old).into_iter().map(|f| (f, old)));
    }
    let any = |f: &Failure| found.iter().any(|(x, _)| x == f);
    let conflict = |k| Ok(Verdict::Refused(StoreError::Conflict(k)));
    if any(&Failure::TokenUsed) {
        return Ok(Verdict::Done);
    }
    if any(&Failure::GroupGone) {
        return Ok(Verdict::Refused(StoreError::NotFound));
    }
    for (f, kind) in [
        (Failure::GroupIdTaken, ConflictKind::GroupIdTaken),
        (Failure::Stale, ConflictKind::Stale),
        (Failure::SessionEnded, ConflictKind::SessionEnded),
        (Failure::LeadNotInvited, ConflictKind::LeadNotInvited),
    ] {
        if any(&f) {
            return conflict(kind);
        }
    }
    let mut locked: Vec<Cpso> = Vec::new();
    for c in w.acquires() {
        if any(&Failure::Locked(c.clone())) && !locked.contains(c) {
            locked.push(c.clone());
        }
    }
    if !locked.is_empty() {
        return conflict(ConflictKind::MembersInOpenGroup(locked));
    }
    if any(&Failure::MemberGone) {
        return Ok(Verdict::Refused(StoreError::NotFound));
    }
    let mut incomplete: Vec<(u8, &Item)> = found
        .iter()
        .filter_map(|(f, old)| match (f, old) {
            (Failure::Incomplete(slot), Some(item)) => Some((*slot, *item)),
            _ => None,
        })
        .collect();
    if !incomplete.is_empty() {
        incomplete.sort_by_key(|(slot, _)| *slot);
        incomplete.dedup_by_key(|(slot, _)| *slot);
        let mut missing = Vec::new();
        for (_, item) in incomplete {
            let cpso = opt_s(item, attr::CPSO).and_then(|c| Cpso::parse(c).ok());
            let cpso = cpso.ok_or_else(|| StoreError::corrupt("member", "attribute cpso missing or not valid"))?;
            missing.extend(activities_of(item)?.missing().into_iter().map(|a| (cpso.clone(), a)));
        }
        return conflict(ConflictKind::ActivitiesIncomplete(missing));
    }
    if let Some((Failure::Limit(k), _)) = found.iter().find(|(f, _)| matches!(f, Failure::Limit(_))) {
        return conflict(ConflictKind::LimitReached(k.clone()));
    }
    if let Some((Failure::SessionsFull(slot), Some(old))) = found.iter().find(|(f, _)| matches!(f, Failure::SessionsFull(_))) {
        return Ok(Verdict::Trim(*slot, (*old).clone()));
    }
    if any(&Failure::LockNotOurs) {
        return Ok(Verdict::Refused(StoreError::corrupt("lock", "a member's open-group lock names another group")));
    }
    if any(&Failure::SlotTaken) {
        return Ok(Verdict::Refused(StoreError::invariant("a new member's slot is taken")));
    }
    if any(&Failure::MailIdTaken) {
        return Ok(Verdict::Refused(StoreError::invariant("queued mail ids are unique")));
    }
    // A condition failed that its item's old image does not explain (the
    // item changed in between): the caller may try again.
    Ok(Verdict::Refused(StoreError::Throttled))
}

impl DynamoStore {
    /// [`Store::write`](crate::store::Store::write): see the module documentation.
    pub(super) async fn write_group(&self, w: &Write) -> StoreResult<()> {
        let read = if needs_read(w) { Some(self.query_partition(group_pk(&w.group)).await?) } else { None };
        let mut trims: HashMap<u8, Trim> = HashMap::new();
        let mut token = client_token(&w.token);
        for _ in 0..WRITE_ATTEMPTS {
            let built = plan(w, read.as_deref(), &trims)?;
            let mut items = Vec::with_capacity(built.ops.len());
            let mut guards = Vec::with_capacity(built.ops.len());
            for op in built.ops {
                let g = op.guards.clone();
                if let Some(item) = op.build(&self.table)? {
                    guards.push((g, items.len()));
                    items.push(item);
                }
            }
            match self.transact(items, token.as_deref()).await {
                Ok(()) => return Ok(()),
                Err(TransactFailure::Error(e)) => return Err(e),
                // The token was used by another attempt of this write with
                // other parameters: the token item decides.
                Err(TransactFailure::TokenMismatch) => token = None,
                Err(TransactFailure::Cancelled(reasons)) => match explain(&guards, &reasons, w)? {
                    Verdict::Done => return Ok(()),
                    Verdict::Refused(e) => return Err(e),
                    Verdict::Trim(slot, old) => {
                        let changes = built.sessions.get(&slot).cloned().unwrap_or_default();
                        trims.insert(slot, trim(&old, &changes)?);
                    }
                },
            }
        }
        Err(StoreError::Throttled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::membership as step;
    use crate::domain::{AccessCode, OsRandom};
    use crate::store::conformance::{sample_group, T0};

    fn at(s: &str) -> chrono::DateTime<chrono::Utc> {
        parse_instant(s).unwrap()
    }

    #[test]
    fn a_confirmation_is_one_item_per_touched_item() {
        let (g, _) = sample_group("100", &["101", "102"], T0);
        let now = at("2026-01-06T09:00:00Z");
        let token = AccessCode::generate(&g.id, 0, &OsRandom).unwrap();
        let fx = step::confirm(&g, 0, now, Duration::days(14)).unwrap();
        let w = Write::new(&g, now, fx).by_session(0, token.hash()).with_token("t".into());
        let built = plan(&w, None, &HashMap::new()).unwrap();
        // Token, group, three members, the lead's lock.
        assert_eq!(built.ops.len(), 6);
        let lead = &built.ops[2];
        assert!(lead.guards.iter().any(|(g, f)| matches!(g, Guard::SessionLive { .. }) && *f == Failure::SessionEnded));
        assert!(!needs_read(&w));
        let items: Vec<_> = built.ops.into_iter().map(|op| op.build("t").unwrap().unwrap()).collect();
        let update = items[2].update().unwrap();
        assert!(update.update_expression().starts_with("SET "), "{}", update.update_expression());
        assert!(update.update_expression().contains("REMOVE "), "expiry and ttl removed: {}", update.update_expression());
    }

    #[test]
    fn submission_and_deletion_need_the_read() {
        let (g, _) = sample_group("100", &["101"], T0);
        assert!(needs_read(&Write::new(&g, g.created_at, step::discard(&g, 0).unwrap())));
        let create = Write { expect_version: None, ..Write::new(&g, g.created_at, vec![Effect::Create(Box::new(g.clone()))]) };
        assert!(!needs_read(&create));
        let built = plan(&create, None, &HashMap::new()).unwrap();
        assert_eq!(built.ops.len(), 3, "the group item and two members");
        assert!(built.ops.iter().all(|op| op.guards == vec![(Guard::Absent, Failure::GroupIdTaken)]));
    }

    #[test]
    fn trimming_ends_the_oldest_sessions() {
        let (g, _) = sample_group("100", &["101"], T0);
        let mut m = g.members[0].clone();
        let t0 = at("2026-01-06T09:00:00Z");
        let session = |i: i64| Session::new(AccessCode::generate(&g.id, 0, &OsRandom).unwrap().hash(), t0 + Duration::minutes(i));
        m.sessions = (0..MAX_SESSIONS as i64).map(session).collect();
        let old = super::super::codec::member_item(&g.id, &m, None, false, false).unwrap();
        let new = session(100);
        let changes = BTreeMap::from([(new.hash.to_hex(), Some(new))]);
        let t = trim(&old, &changes).unwrap();
        assert_eq!(t.count, MAX_SESSIONS);
        assert_eq!(t.end, vec![m.sessions[0].hash.to_hex()]);
        assert!(t.skip.is_empty());
    }

    #[test]
    fn client_tokens_fit_dynamodb() {
        assert_eq!(client_token(""), None);
        assert_eq!(client_token(&"x".repeat(200)).unwrap().len(), 32);
    }
}
