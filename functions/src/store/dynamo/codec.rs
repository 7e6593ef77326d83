//! Items <-> domain values. Reading back checks every attribute with the
//! domain's own parsers; a failure names the record and the attribute,
//! never the value.
use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, NaiveDate, Utc};

use super::keys::*;
use crate::domain::group::Reminders;
use crate::domain::{
    Activities, Activity, CoachingMessage, CoachingRequest, CoachingTopic, CodeHash, Cpso, Cycle, Email, Group, GroupId, GroupMember,
    GroupName, Invitation, Language, Member, MemberStatus, PersonName, PipDraft, PipState, PracticeSetting, Role, Session,
};
use crate::store::schema::{GSI1_PK, GSI1_SK, SK, TTL};
use crate::store::{CurrentGroup, Internal, StoreError, StoreResult};

/// One stored item being read back as a `record` (`group`, `member`, ...).
pub(super) struct Record<'a> {
    item: &'a Item,
    record: &'static str,
}

impl<'a> Record<'a> {
    pub(super) fn new(item: &'a Item, record: &'static str) -> Self {
        Record { item, record }
    }
    fn bad(&self, problem: String) -> StoreError {
        StoreError::corrupt(self.record, problem)
    }
    pub(super) fn s(&self, name: &str) -> StoreResult<&'a str> {
        opt_s(self.item, name).ok_or_else(|| self.bad(format!("attribute {name} missing or not a string")))
    }
    fn n(&self, name: &str) -> StoreResult<u64> {
        match self.item.get(name) {
            Some(AttributeValue::N(v)) => v.parse().map_err(|_| self.bad(format!("attribute {name} is not a whole number"))),
            _ => Err(self.bad(format!("attribute {name} missing or not a number"))),
        }
    }
    /// Attribute `name`, read with the domain's parser `f`.
    pub(super) fn parse<T, E>(&self, name: &str, f: impl FnOnce(&str) -> Result<T, E>) -> StoreResult<T> {
        f(self.s(name)?).map_err(|_| self.bad(format!("attribute {name} is not valid")))
    }
    /// Optional attribute `name`, read with `f` when present.
    fn parse_opt<T, E>(&self, name: &str, f: impl FnOnce(&str) -> Result<T, E>) -> StoreResult<Option<T>> {
        opt_s(self.item, name).map(f).transpose().map_err(|_| self.bad(format!("attribute {name} is not valid")))
    }
    /// A list attribute of JSON strings (missing: empty), each read as `T`.
    /// The values of a map of JSON strings (missing: none), in key order.
    fn json_map<T: serde::de::DeserializeOwned>(&self, name: &str) -> StoreResult<Vec<T>> {
        let map = match self.item.get(name) {
            None => return Ok(Vec::new()),
            Some(AttributeValue::M(map)) => map,
            Some(_) => return Err(self.bad(format!("attribute {name} is not a map"))),
        };
        let mut entries: Vec<_> = map.iter().collect();
        entries.sort_by(|a, b| a.0.cmp(b.0));
        entries
            .into_iter()
            .enumerate()
            .map(|(i, (_, v))| match v {
                AttributeValue::S(json) => {
                    serde_json::from_str(json).map_err(|_| self.bad(format!("entry {i} of attribute {name} is not valid")))
                }
                _ => Err(self.bad(format!("entry {i} of attribute {name} is not a string"))),
            })
            .collect()
    }

    fn json_list<T: serde::de::DeserializeOwned>(&self, name: &str) -> StoreResult<Vec<T>> {
        let list = match self.item.get(name) {
            None => return Ok(Vec::new()),
            Some(AttributeValue::L(list)) => list,
            Some(_) => return Err(self.bad(format!("attribute {name} is not a list"))),
        };
        list.iter()
            .enumerate()
            .map(|(i, v)| match v {
                // serde_json's messages may quote the value: only the position is kept.
                AttributeValue::S(json) => {
                    serde_json::from_str(json).map_err(|_| self.bad(format!("entry {i} of attribute {name} is not valid")))
                }
                _ => Err(self.bad(format!("entry {i} of attribute {name} is not a string"))),
            })
            .collect()
    }
}

fn date(v: &str) -> Result<NaiveDate, chrono::ParseError> {
    NaiveDate::parse_from_str(v, "%Y-%m-%d")
}

fn millis(t: &DateTime<Utc>) -> AttributeValue {
    n(t.timestamp_millis())
}

fn from_millis(v: i64) -> Option<DateTime<Utc>> {
    DateTime::<Utc>::from_timestamp_millis(v)
}

pub(super) fn pip_json(p: &PipDraft) -> StoreResult<String> {
    serde_json::to_string(p).map_err(|_| StoreError::Internal(Internal::Build("encoding the plan as JSON")))
}

/// An event (of the group's trail, or of a member's history) as stored: one
/// JSON string of a list.
pub(super) fn event_value<E: serde::Serialize>(e: &E) -> StoreResult<AttributeValue> {
    serde_json::to_string(e).map(AttributeValue::S).map_err(|_| StoreError::Internal(Internal::Build("encoding an event as JSON")))
}

fn event_list<E: serde::Serialize>(events: &[E]) -> StoreResult<AttributeValue> {
    Ok(AttributeValue::L(events.iter().map(event_value).collect::<StoreResult<Vec<_>>>()?))
}

/// One session as stored in a member's `sessions` map: `{c, s}`, epoch milliseconds.
pub(super) fn session_value(session: &Session) -> AttributeValue {
    AttributeValue::M(HashMap::from([
        (attr::SESSION_CREATED.to_string(), millis(&session.created_at)),
        (attr::SESSION_SEEN.to_string(), millis(&session.seen_at)),
    ]))
}

/// A whole `sessions` map, keyed by the hex of each token's hash.
pub(super) fn sessions_value<'a>(sessions: impl IntoIterator<Item = &'a Session>) -> AttributeValue {
    AttributeValue::M(sessions.into_iter().map(|s| (s.hash.to_hex(), session_value(s))).collect())
}

/// The sessions on a member item, oldest first (ties by hash). Entries that
/// do not read back are an error.
pub(super) fn sessions_of(item: &Item) -> StoreResult<Vec<Session>> {
    let r = Record::new(item, "member");
    let map = match item.get(attr::SESSIONS) {
        None => return Ok(Vec::new()),
        Some(AttributeValue::M(m)) => m,
        Some(_) => return Err(r.bad("attribute sessions is not a map".into())),
    };
    let mut out = Vec::with_capacity(map.len());
    for (hex, v) in map {
        let bad = || r.bad("an entry of attribute sessions is not valid".into());
        let hash = CodeHash::from_hex(hex).ok_or_else(bad)?;
        let AttributeValue::M(fields) = v else { return Err(bad()) };
        let time = |k: &str| opt_i64(fields, k).and_then(from_millis).ok_or_else(bad);
        out.push(Session { hash, created_at: time(attr::SESSION_CREATED)?, seen_at: time(attr::SESSION_SEEN)? });
    }
    out.sort_by(|a, b| (a.created_at, &a.hash).cmp(&(b.created_at, &b.hash)));
    Ok(out)
}

/// The activities recorded on a member item.
pub(super) fn activities_of(item: &Item) -> StoreResult<Activities> {
    let r = Record::new(item, "member");
    let mut acts = Activities::default();
    for a in Activity::ALL {
        if let Some(d) = r.parse_opt(&activity_attr(a), date)? {
            acts.set(a, Some(d));
        }
    }
    Ok(acts)
}

/// The attributes a member status sets (`Some`) or removes (`None`).
/// `lapses`: when a *proposed* member's item lapses (the proposal's expiry);
/// `None` leaves it as it is.
pub(super) fn status_fields(status: &MemberStatus, lapses: Option<DateTime<Utc>>) -> Vec<(&'static str, Option<AttributeValue>)> {
    let expiry = |t: &DateTime<Utc>| vec![(attr::EXPIRES_AT, Some(s(instant(t)))), (TTL, Some(n(epoch_seconds(t))))];
    let mut fields = vec![(attr::STATUS, Some(s(status.key())))];
    match status {
        MemberStatus::Proposed => {
            fields.push((attr::ACCEPTED_AT, None));
            fields.extend(lapses.as_ref().map(expiry).unwrap_or_default());
        }
        MemberStatus::Invited { expires_at } => {
            fields.push((attr::ACCEPTED_AT, None));
            fields.extend(expiry(expires_at));
        }
        MemberStatus::Accepted { at } => {
            fields.push((attr::ACCEPTED_AT, Some(s(instant(at)))));
            fields.push((attr::EXPIRES_AT, None));
            fields.push((TTL, None));
        }
    }
    fields
}

/// The group item: everything of the group but its members.
pub(super) fn meta_item(g: &Group) -> StoreResult<Item> {
    let mut item = key(group_pk(&g.id), META);
    item.insert(GSI1_PK.into(), s(GROUPS));
    item.insert(GSI1_SK.into(), s(format!("{}#0", g.id.as_str())));
    item.insert(attr::TYPE.into(), s("group"));
    item.insert(attr::GROUP_ID.into(), s(g.id.as_str()));
    item.insert(attr::NAME.into(), s(g.name.as_str()));
    item.insert(attr::PRACTICE_SETTING.into(), s(g.practice_setting.as_str()));
    item.insert(attr::CYCLE.into(), s(g.cycle.as_str()));
    item.insert(attr::CREATED_AT.into(), s(instant(&g.created_at)));
    item.insert(attr::VERSION.into(), n(g.version));
    item.insert(attr::NEXT_SLOT.into(), n(g.next_slot));
    item.insert(attr::DRAFT_VERSION.into(), n(g.draft_version));
    match &g.pip {
        PipState::None => {
            item.insert(attr::PIP_STATE.into(), s("none"));
        }
        PipState::Draft { draft } => {
            item.insert(attr::PIP_STATE.into(), s("draft"));
            item.insert(attr::PIP.into(), s(pip_json(draft)?));
        }
        PipState::Submitted { pip, submitted_on } => {
            item.insert(attr::PIP_STATE.into(), s("submitted"));
            item.insert(attr::PIP.into(), s(pip_json(pip)?));
            item.insert(attr::SUBMITTED_ON.into(), s(submitted_on.to_string()));
        }
    }
    if let Some(t) = &g.proposal_expires_at {
        item.insert(attr::PROPOSAL_EXPIRES_AT.into(), s(instant(t)));
        item.insert(TTL.into(), n(epoch_seconds(t)));
    }
    if let Some(t) = &g.dissolved_at {
        item.insert(attr::DISSOLVED_AT.into(), s(instant(t)));
    }
    item.insert(attr::AUDIT.into(), event_list(&g.audit)?);
    Ok(item)
}

/// A member's item. `lapses`: the proposal's expiry while the group is a
/// proposal; `closed`: the group's check-offs are closed.
pub(super) fn member_item(
    id: &GroupId,
    m: &GroupMember,
    lapses: Option<DateTime<Utc>>,
    closed: bool,
    dissolved: bool,
) -> StoreResult<Item> {
    let mut item = key(group_pk(id), member_sk(m.slot));
    item.insert(GSI1_PK.into(), s(GROUPS));
    item.insert(GSI1_SK.into(), s(format!("{}#1#{:02}", id.as_str(), m.slot)));
    item.insert(attr::TYPE.into(), s("member"));
    item.insert(attr::SLOT.into(), n(m.slot));
    item.insert(attr::CPSO.into(), s(m.member.cpso.as_str()));
    item.insert(attr::NAME.into(), s(m.member.name.as_str()));
    item.insert(attr::EMAIL.into(), s(m.member.email.as_str()));
    item.insert(attr::LANGUAGE.into(), s(m.member.language.as_str()));
    item.insert(attr::ROLE.into(), s(m.member.role.as_str()));
    for (name, value) in status_fields(&m.status, lapses) {
        if let Some(v) = value {
            item.insert(name.into(), v);
        }
    }
    item.insert(attr::CODE_HASH.into(), s(m.code_hash.to_hex()));
    item.insert(attr::SESSIONS.into(), sessions_value(&m.sessions));
    for (a, d) in &m.activities.0 {
        item.insert(activity_attr(*a), s(d.to_string()));
    }
    item.insert(attr::HISTORY.into(), event_list(&m.history)?);
    // Always present (maybe empty), so that one point is one `SET` of a map entry.
    let points = m.points.iter().map(|p| Ok((point_key(p.goal, p.point.period), json_value(p)?))).collect::<StoreResult<_>>()?;
    item.insert(attr::POINTS.into(), AttributeValue::M(points));
    let cycles = m.cycles.iter().map(|c| Ok((c.id.to_string(), json_value(c)?))).collect::<StoreResult<_>>()?;
    item.insert(attr::CYCLES.into(), AttributeValue::M(cycles));
    if m.reminders.off {
        item.insert(attr::REMINDERS_OFF.into(), AttributeValue::Bool(true));
    }
    if let Some(d) = m.reminders.through {
        item.insert(attr::REMINDED_THROUGH.into(), s(d.to_string()));
    }
    item.insert(attr::REMINDER_TOKENS.into(), reminder_tokens_value(&m.reminders.tokens));
    if closed {
        item.insert(attr::CLOSED.into(), AttributeValue::Bool(true));
    }
    if dissolved {
        item.insert(attr::DISSOLVED.into(), AttributeValue::Bool(true));
    }
    Ok(item)
}

/// A member's opt-out token hashes as stored: map hex hash → position (0 the oldest).
pub(super) fn reminder_tokens_value(tokens: &[CodeHash]) -> AttributeValue {
    AttributeValue::M(tokens.iter().enumerate().map(|(i, h)| (h.to_hex(), n(i))).collect())
}

/// A member's data-entry reminders (every attribute optional: items
/// written before reminders existed have none).
fn parse_reminders(r: &Record<'_>) -> StoreResult<Reminders> {
    let off = match r.item.get(attr::REMINDERS_OFF) {
        None => false,
        Some(AttributeValue::Bool(b)) => *b,
        Some(_) => return Err(r.bad(format!("attribute {} is not a boolean", attr::REMINDERS_OFF))),
    };
    let through = r.parse_opt(attr::REMINDED_THROUGH, date)?;
    let tokens = match r.item.get(attr::REMINDER_TOKENS) {
        None => Vec::new(),
        Some(AttributeValue::M(map)) => {
            let mut entries = map
                .iter()
                .map(|(h, v)| {
                    let pos = match v {
                        AttributeValue::N(p) => p.parse::<u64>().ok(),
                        _ => None,
                    };
                    match (CodeHash::from_hex(h), pos) {
                        (Some(h), Some(p)) => Ok((p, h)),
                        _ => Err(r.bad(format!("an entry of attribute {} is not valid", attr::REMINDER_TOKENS))),
                    }
                })
                .collect::<StoreResult<Vec<_>>>()?;
            entries.sort();
            entries.into_iter().map(|(_, h)| h).collect()
        }
        Some(_) => return Err(r.bad(format!("attribute {} is not a map", attr::REMINDER_TOKENS))),
    };
    Ok(Reminders { off, through, tokens })
}

/// A value stored as JSON text (points, cycles).
pub(super) fn json_value<T: serde::Serialize>(v: &T) -> StoreResult<AttributeValue> {
    serde_json::to_string(v).map(AttributeValue::S).map_err(|_| StoreError::invariant("a value that does not serialize"))
}

/// The group item and every member item of `g`, as a new group is stored.
pub(super) fn group_items(g: &Group) -> StoreResult<Vec<Item>> {
    let closed = g.pip.is_submitted() || g.dissolved_at.is_some();
    let mut items = vec![meta_item(g)?];
    for m in &g.members {
        items.push(member_item(&g.id, m, g.proposal_expires_at, closed, g.dissolved_at.is_some())?);
    }
    Ok(items)
}

pub(super) fn lock_item(cpso: &Cpso, id: &GroupId) -> Item {
    let mut item = key(lock_pk(cpso), OPEN_GROUP);
    item.insert(attr::TYPE.into(), s("lock"));
    item.insert(attr::GROUP_ID.into(), s(id.as_str()));
    item.insert(attr::OPEN.into(), AttributeValue::Bool(true));
    item
}

/// The group a lock item names, and whether it is still open.
pub(super) fn parse_lock(item: &Item) -> StoreResult<CurrentGroup> {
    let r = Record::new(item, "lock");
    let open = match item.get(attr::OPEN) {
        Some(AttributeValue::Bool(b)) => *b,
        _ => return Err(r.bad("attribute open missing or not a boolean".into())),
    };
    Ok(CurrentGroup { group: r.parse(attr::GROUP_ID, GroupId::parse)?, open })
}

fn parse_status(r: &Record<'_>) -> StoreResult<MemberStatus> {
    Ok(match r.s(attr::STATUS)? {
        "proposed" => MemberStatus::Proposed,
        "invited" => MemberStatus::Invited { expires_at: r.parse(attr::EXPIRES_AT, parse_instant)? },
        "accepted" => MemberStatus::Accepted { at: r.parse(attr::ACCEPTED_AT, parse_instant)? },
        _ => return Err(r.bad("attribute status is not valid".into())),
    })
}

pub(super) fn parse_member(item: &Item) -> StoreResult<GroupMember> {
    let r = Record::new(item, "member");
    let slot = u8::try_from(r.n(attr::SLOT)?).map_err(|_| r.bad("attribute slot is out of range".into()))?;
    let role = match r.s(attr::ROLE)? {
        "lead" => Role::Lead,
        "peer" => Role::Peer,
        _ => return Err(r.bad("attribute role is not valid".into())),
    };
    let member = Member {
        cpso: r.parse(attr::CPSO, Cpso::parse)?,
        name: r.parse(attr::NAME, PersonName::parse)?,
        email: r.parse(attr::EMAIL, Email::parse)?,
        language: r.parse(attr::LANGUAGE, Language::parse)?,
        role,
    };
    Ok(GroupMember {
        slot,
        member,
        status: parse_status(&r)?,
        code_hash: r.parse(attr::CODE_HASH, |h| CodeHash::from_hex(h).ok_or(()))?,
        sessions: sessions_of(item)?,
        activities: activities_of(item)?,
        history: r.json_list(attr::HISTORY)?,
        points: r.json_map(attr::POINTS)?,
        cycles: {
            let mut cycles: Vec<crate::domain::pdsa::PdsaCycle> = r.json_map(attr::CYCLES)?;
            cycles.sort_by_key(|c| c.id);
            cycles
        },
        reminders: parse_reminders(&r)?,
    })
}

pub(super) fn is_member_item(item: &Item) -> bool {
    opt_s(item, SK).is_some_and(|sk| sk.starts_with(MEMBER_PREFIX))
}

/// A group from its items (the group item and its member items, any order),
/// members in slot order. `NotFound` when the group item is not among them.
pub(super) fn parse_group(items: &[Item]) -> StoreResult<Group> {
    let meta = items.iter().find(|i| opt_s(i, SK) == Some(META)).ok_or(StoreError::NotFound)?;
    let r = Record::new(meta, "group");
    let mut members = items.iter().filter(|i| is_member_item(i)).map(parse_member).collect::<StoreResult<Vec<_>>>()?;
    members.sort_by_key(|m| m.slot);
    let plan = |v: &str| serde_json::from_str::<PipDraft>(v);
    let pip = match r.s(attr::PIP_STATE)? {
        "none" => PipState::None,
        "draft" => PipState::Draft { draft: r.parse(attr::PIP, plan)? },
        "submitted" => PipState::Submitted { pip: r.parse(attr::PIP, plan)?, submitted_on: r.parse(attr::SUBMITTED_ON, date)? },
        _ => return Err(r.bad("attribute pip_state is not valid".into())),
    };
    Ok(Group {
        id: r.parse(attr::GROUP_ID, GroupId::parse)?,
        name: r.parse(attr::NAME, GroupName::parse)?,
        practice_setting: r.parse(attr::PRACTICE_SETTING, PracticeSetting::parse)?,
        cycle: r.parse(attr::CYCLE, Cycle::parse)?,
        created_at: r.parse(attr::CREATED_AT, parse_instant)?,
        proposal_expires_at: r.parse_opt(attr::PROPOSAL_EXPIRES_AT, parse_instant)?,
        dissolved_at: r.parse_opt(attr::DISSOLVED_AT, parse_instant)?,
        version: r.n(attr::VERSION)?,
        next_slot: u8::try_from(r.n(attr::NEXT_SLOT)?).map_err(|_| r.bad("attribute next_slot is out of range".into()))?,
        members,
        pip,
        draft_version: r.n(attr::DRAFT_VERSION)?,
        audit: r.json_list(attr::AUDIT)?,
    })
}

pub(super) fn invitation_item(inv: &Invitation) -> Item {
    let mut item = key(invite_pk(&inv.cycle), invite_sk(&inv.cpso));
    item.insert(GSI1_PK.into(), s(INVITATIONS));
    item.insert(GSI1_SK.into(), s(format!("{}#{}", inv.cycle.as_str(), inv.cpso.as_str())));
    item.insert(attr::TYPE.into(), s("invitation"));
    item.insert(attr::CYCLE.into(), s(inv.cycle.as_str()));
    item.insert(attr::CPSO.into(), s(inv.cpso.as_str()));
    if let Some(name) = &inv.name {
        item.insert(attr::NAME.into(), s(name.as_str()));
    }
    item.insert(attr::EMAIL.into(), s(inv.email.as_str()));
    item
}

pub(super) fn parse_invitation(item: &Item) -> StoreResult<Invitation> {
    let r = Record::new(item, "invitation");
    Ok(Invitation {
        cycle: r.parse(attr::CYCLE, Cycle::parse)?,
        cpso: r.parse(attr::CPSO, Cpso::parse)?,
        name: r.parse_opt(attr::NAME, PersonName::parse)?,
        email: r.parse(attr::EMAIL, Email::parse)?,
    })
}

pub(super) fn coaching_item(req: &CoachingRequest) -> Item {
    let created = instant(&req.created_at);
    let mut item = key(coaching_pk(&req.id), META);
    item.insert(GSI1_PK.into(), s(COACHING));
    item.insert(GSI1_SK.into(), s(format!("{created}#{}", req.id)));
    item.insert(attr::TYPE.into(), s("coaching"));
    item.insert("id".into(), s(&req.id));
    item.insert(attr::GROUP_ID.into(), s(req.group_id.as_str()));
    item.insert(attr::CPSO.into(), s(req.cpso.as_str()));
    item.insert("topic".into(), s(req.topic.key()));
    item.insert("message".into(), s(req.message.as_str()));
    item.insert(attr::CREATED_AT.into(), s(created));
    item
}

pub(super) fn parse_coaching(item: &Item) -> StoreResult<CoachingRequest> {
    let r = Record::new(item, "coaching request");
    Ok(CoachingRequest {
        id: r.s("id")?.to_string(),
        group_id: r.parse(attr::GROUP_ID, GroupId::parse)?,
        cpso: r.parse(attr::CPSO, Cpso::parse)?,
        topic: r.parse("topic", CoachingTopic::parse)?,
        message: r.parse("message", CoachingMessage::parse)?,
        created_at: r.parse(attr::CREATED_AT, parse_instant)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AccessCode, Action, Actor, AuditEvent, HistoryEntry, OsRandom};
    use crate::store::conformance::{complete_draft, sample_group, T0};

    fn items_of(g: &Group) -> Vec<Item> {
        let mut items = group_items(g).unwrap();
        items.reverse();
        items
    }

    #[test]
    fn a_group_reads_back_as_written() {
        let (mut g, _) = sample_group("100", &["101", "102"], T0);
        assert_eq!(parse_group(&items_of(&g)).unwrap(), g, "a proposal");
        let at = parse_instant("2026-01-06T09:00:00.123Z").unwrap();
        g.proposal_expires_at = None;
        g.version = 4;
        g.next_slot = 5;
        g.draft_version = 2;
        g.members[0].status = MemberStatus::Accepted { at };
        g.members[1].status = MemberStatus::Invited { expires_at: at };
        g.members[1].activities.set(Activity::ChartReview, Some(date("2026-02-01").unwrap()));
        let token = AccessCode::generate(&g.id, 1, &OsRandom).unwrap();
        g.members[1].sessions.push(Session { hash: token.hash(), created_at: at, seen_at: at + chrono::Duration::days(1) });
        g.members[1]
            .history
            .push(HistoryEntry { at, action: Action::CheckedOff { activity: Activity::ChartReview, on: date("2026-02-01").unwrap() } });
        g.audit.push(AuditEvent::new(at, Actor::Staff, Action::Dissolved));
        g.pip = PipState::Draft { draft: complete_draft() };
        g.dissolved_at = Some(at);
        assert_eq!(parse_group(&items_of(&g)).unwrap(), g, "a confirmed group with sessions, history and a draft");
        let hashes: Vec<CodeHash> = (0..3).map(|_| AccessCode::generate(&g.id, 0, &OsRandom).unwrap().hash()).collect();
        g.members[0].reminders = Reminders { off: true, through: Some(date("2026-03-31").unwrap()), tokens: hashes };
        assert_eq!(parse_group(&items_of(&g)).unwrap(), g, "reminders, their tokens in order");
        let mut old = items_of(&g);
        for item in &mut old {
            for a in [attr::REMINDERS_OFF, attr::REMINDED_THROUGH, attr::REMINDER_TOKENS] {
                item.remove(a);
            }
        }
        assert!(parse_group(&old).unwrap().members.iter().all(|m| m.reminders == Reminders::default()), "items from before reminders");
    }

    #[test]
    fn ttl_only_while_an_item_may_lapse() {
        let (mut g, _) = sample_group("100", &["101"], T0);
        let items = group_items(&g).unwrap();
        assert!(items.iter().all(|i| i.contains_key(TTL)), "a proposal and its members lapse");
        g.proposal_expires_at = None;
        g.members[0].status = MemberStatus::Accepted { at: g.created_at };
        g.members[1].status = MemberStatus::Invited { expires_at: g.created_at };
        let items = group_items(&g).unwrap();
        assert!(!items[0].contains_key(TTL) && !items[1].contains_key(TTL), "a confirmed group and an accepted member stay");
        assert_eq!(opt_i64(&items[2], TTL), Some(g.created_at.timestamp()), "an invitation lapses");
    }

    #[test]
    fn a_bad_attribute_names_record_and_attribute_not_value() {
        let (g, _) = sample_group("100", &["101"], T0);
        let mut items = group_items(&g).unwrap();
        items[1].insert(attr::EMAIL.into(), s("not-an-address"));
        let e = parse_group(&items).unwrap_err();
        assert_eq!(e, StoreError::corrupt("member", "attribute email is not valid"));
        assert!(!e.to_string().contains("not-an-address"), "{e}");
        items[1].insert(attr::EMAIL.into(), s("member101@example.org"));
        items[1].insert(attr::HISTORY.into(), AttributeValue::L(vec![s("{\"secret\": \"Dr. Who\"")]));
        let e = parse_group(&items).unwrap_err();
        assert!(!e.to_string().contains("Dr. Who"), "{e}");
        assert_eq!(parse_group(&items[1..]), Err(StoreError::NotFound), "no group item");
    }
}
