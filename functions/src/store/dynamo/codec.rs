//! Items <-> domain values. Reading back checks every attribute with the
//! domain's own parsers; a failure names the record and the attribute,
//! never the value.
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::NaiveDate;

use super::keys::*;
use crate::domain::{
    Activities, Activity, CoachingMessage, CoachingRequest, CoachingTopic, CodeHash, Cpso, Cycle, Email, Group, GroupId, GroupMember,
    GroupName, Invitation, Language, Member, PersonName, PipDraft, PipState, PracticeSetting, Role,
};
use crate::store::schema::{GSI1_PK, GSI1_SK, SK};
use crate::store::{Internal, StoreError, StoreResult};

/// One stored item being read back as a `record` (`group`, `member`, ...).
struct Record<'a> {
    item: &'a Item,
    record: &'static str,
}

impl<'a> Record<'a> {
    fn new(item: &'a Item, record: &'static str) -> Self {
        Record { item, record }
    }
    fn bad(&self, problem: String) -> StoreError {
        StoreError::corrupt(self.record, problem)
    }
    fn s(&self, name: &str) -> StoreResult<&'a str> {
        opt_s(self.item, name).ok_or_else(|| self.bad(format!("attribute {name} missing or not a string")))
    }
    fn n(&self, name: &str) -> StoreResult<u64> {
        match self.item.get(name) {
            Some(AttributeValue::N(v)) => v.parse().map_err(|_| self.bad(format!("attribute {name} is not a whole number"))),
            _ => Err(self.bad(format!("attribute {name} missing or not a number"))),
        }
    }
    /// Attribute `name`, read with the domain's parser `f`.
    fn parse<T, E>(&self, name: &str, f: impl FnOnce(&str) -> Result<T, E>) -> StoreResult<T> {
        f(self.s(name)?).map_err(|_| self.bad(format!("attribute {name} is not valid")))
    }
    /// Optional attribute `name`, read with `f` when present.
    fn parse_opt<T, E>(&self, name: &str, f: impl FnOnce(&str) -> Result<T, E>) -> StoreResult<Option<T>> {
        opt_s(self.item, name).map(f).transpose().map_err(|_| self.bad(format!("attribute {name} is not valid")))
    }
}

fn date(v: &str) -> Result<NaiveDate, chrono::ParseError> {
    NaiveDate::parse_from_str(v, "%Y-%m-%d")
}

pub(super) fn pip_json(p: &PipDraft) -> StoreResult<String> {
    serde_json::to_string(p).map_err(|_| StoreError::Internal(Internal::Build("encoding the plan as JSON")))
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

pub(super) fn group_item(g: &Group) -> StoreResult<Item> {
    let created = instant(&g.created_at);
    let mut item = key(group_pk(&g.id), META);
    item.insert(GSI1_PK.into(), s(GROUPS));
    item.insert(GSI1_SK.into(), s(format!("{created}#{}#0", g.id.as_str())));
    item.insert("type".into(), s("group"));
    item.insert("group_id".into(), s(g.id.as_str()));
    item.insert("name".into(), s(g.name.as_str()));
    item.insert("practice_setting".into(), s(g.practice_setting.as_str()));
    item.insert("cycle".into(), s(g.cycle.as_str()));
    item.insert("created_at".into(), s(created));
    item.insert("member_count".into(), n(g.members.len()));
    match &g.pip {
        PipState::None => {
            item.insert("pip_state".into(), s("none"));
        }
        PipState::Draft { draft } => {
            item.insert("pip_state".into(), s("draft"));
            item.insert("pip".into(), s(pip_json(draft)?));
        }
        PipState::Submitted { pip, submitted_on } => {
            item.insert("pip_state".into(), s("submitted"));
            item.insert("pip".into(), s(pip_json(pip)?));
            item.insert("submitted_on".into(), s(submitted_on.to_string()));
        }
    }
    Ok(item)
}

pub(super) fn member_item(g: &Group, pos: usize, m: &GroupMember) -> Item {
    let mut item = key(group_pk(&g.id), member_sk(&m.member.cpso));
    item.insert(GSI1_PK.into(), s(GROUPS));
    item.insert(GSI1_SK.into(), s(format!("{}#{}#1#{pos:02}", instant(&g.created_at), g.id.as_str())));
    item.insert("type".into(), s("member"));
    item.insert("pos".into(), n(pos));
    item.insert("cpso".into(), s(m.member.cpso.as_str()));
    item.insert("name".into(), s(m.member.name.as_str()));
    item.insert("email".into(), s(m.member.email.as_str()));
    item.insert("language".into(), s(m.member.language.as_str()));
    item.insert("role".into(), s(m.member.role.as_str()));
    item.insert("code_hash".into(), s(m.code_hash.to_hex()));
    for (a, d) in &m.activities.0 {
        item.insert(activity_attr(*a), s(d.to_string()));
    }
    if g.pip.is_submitted() {
        item.insert("pip_submitted".into(), AttributeValue::Bool(true));
    }
    item
}

pub(super) fn lock_item(cpso: &Cpso, id: &GroupId) -> Item {
    let mut item = key(lock_pk(cpso), OPEN_GROUP);
    item.insert("type".into(), s("lock"));
    item.insert("group_id".into(), s(id.as_str()));
    item
}

/// The group a lock item names.
pub(super) fn parse_lock(item: &Item) -> StoreResult<GroupId> {
    Record::new(item, "lock").parse("group_id", GroupId::parse)
}

fn parse_member(item: &Item) -> StoreResult<(u64, GroupMember)> {
    let r = Record::new(item, "member");
    let pos = r.n("pos")?;
    let role = match r.s("role")? {
        "lead" => Role::Lead,
        "peer" => Role::Peer,
        _ => return Err(r.bad("attribute role is not valid".into())),
    };
    let member = Member {
        cpso: r.parse("cpso", Cpso::parse)?,
        name: r.parse("name", PersonName::parse)?,
        email: r.parse("email", Email::parse)?,
        language: r.parse("language", Language::parse)?,
        role,
    };
    let code_hash = r.parse("code_hash", |h| CodeHash::from_hex(h).ok_or(()))?;
    Ok((pos, GroupMember { member, code_hash, activities: activities_of(item)? }))
}

/// A group from its items (the group item and its member items, any order).
/// `NotFound` when the group item is not among them.
pub(super) fn parse_group(items: &[Item]) -> StoreResult<Group> {
    let meta = items.iter().find(|i| opt_s(i, SK) == Some(META)).ok_or(StoreError::NotFound)?;
    let r = Record::new(meta, "group");
    let mut members = items
        .iter()
        .filter(|i| opt_s(i, SK).is_some_and(|sk| sk.starts_with(MEMBER_PREFIX)))
        .map(parse_member)
        .collect::<StoreResult<Vec<_>>>()?;
    members.sort_by_key(|(pos, _)| *pos);
    if members.len() as u64 != r.n("member_count")? {
        return Err(r.bad("the member items do not match the member count".into()));
    }
    let plan = |v: &str| serde_json::from_str::<PipDraft>(v);
    let pip = match r.s("pip_state")? {
        "none" => PipState::None,
        "draft" => PipState::Draft { draft: r.parse("pip", plan)? },
        "submitted" => PipState::Submitted { pip: r.parse("pip", plan)?, submitted_on: r.parse("submitted_on", date)? },
        _ => return Err(r.bad("attribute pip_state is not valid".into())),
    };
    Ok(Group {
        id: r.parse("group_id", GroupId::parse)?,
        name: r.parse("name", GroupName::parse)?,
        practice_setting: r.parse("practice_setting", PracticeSetting::parse)?,
        cycle: r.parse("cycle", Cycle::parse)?,
        created_at: r.parse("created_at", parse_instant)?,
        members: members.into_iter().map(|(_, m)| m).collect(),
        pip,
    })
}

pub(super) fn invitation_item(inv: &Invitation) -> Item {
    let mut item = key(invite_pk(&inv.cycle), invite_sk(&inv.cpso));
    item.insert(GSI1_PK.into(), s(INVITATIONS));
    item.insert(GSI1_SK.into(), s(format!("{}#{}", inv.cycle.as_str(), inv.cpso.as_str())));
    item.insert("type".into(), s("invitation"));
    item.insert("cycle".into(), s(inv.cycle.as_str()));
    item.insert("cpso".into(), s(inv.cpso.as_str()));
    if let Some(name) = &inv.name {
        item.insert("name".into(), s(name.as_str()));
    }
    if let Some(email) = &inv.email {
        item.insert("email".into(), s(email.as_str()));
    }
    item
}

pub(super) fn parse_invitation(item: &Item) -> StoreResult<Invitation> {
    let r = Record::new(item, "invitation");
    Ok(Invitation {
        cycle: r.parse("cycle", Cycle::parse)?,
        cpso: r.parse("cpso", Cpso::parse)?,
        name: r.parse_opt("name", PersonName::parse)?,
        email: r.parse_opt("email", Email::parse)?,
    })
}

pub(super) fn coaching_item(req: &CoachingRequest) -> Item {
    let created = instant(&req.created_at);
    let mut item = key(coaching_pk(&req.id), META);
    item.insert(GSI1_PK.into(), s(COACHING));
    item.insert(GSI1_SK.into(), s(format!("{created}#{}", req.id)));
    item.insert("type".into(), s("coaching"));
    item.insert("id".into(), s(&req.id));
    item.insert("group_id".into(), s(req.group_id.as_str()));
    item.insert("cpso".into(), s(req.cpso.as_str()));
    item.insert("topic".into(), s(req.topic.key()));
    item.insert("message".into(), s(req.message.as_str()));
    item.insert("created_at".into(), s(created));
    item
}

pub(super) fn parse_coaching(item: &Item) -> StoreResult<CoachingRequest> {
    let r = Record::new(item, "coaching request");
    Ok(CoachingRequest {
        id: r.s("id")?.to_string(),
        group_id: r.parse("group_id", GroupId::parse)?,
        cpso: r.parse("cpso", Cpso::parse)?,
        topic: r.parse("topic", CoachingTopic::parse)?,
        message: r.parse("message", CoachingMessage::parse)?,
        created_at: r.parse("created_at", parse_instant)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::conformance::{complete_draft, sample_group};

    #[test]
    fn a_group_reads_back_as_written() {
        let (mut g, _) = sample_group("100", &["101", "102"], "2026-01-05T10:00:00Z");
        g.members[1].activities.set(Activity::ChartReview, Some(date("2026-02-01").unwrap()));
        g.pip = PipState::Draft { draft: complete_draft() };
        let mut items = vec![group_item(&g).unwrap()];
        items.extend(g.members.iter().enumerate().rev().map(|(pos, m)| member_item(&g, pos, m)));
        assert_eq!(parse_group(&items).unwrap(), g);
    }

    #[test]
    fn a_bad_attribute_names_record_and_attribute_not_value() {
        let (g, _) = sample_group("100", &["101"], "2026-01-05T10:00:00Z");
        let mut items = vec![group_item(&g).unwrap()];
        let mut m = member_item(&g, 0, &g.members[0]);
        m.insert("email".into(), s("not-an-address"));
        items.push(m);
        items.push(member_item(&g, 1, &g.members[1]));
        let e = parse_group(&items).unwrap_err();
        assert_eq!(e, StoreError::corrupt("member", "attribute email is not valid"));
        assert!(!e.to_string().contains("not-an-address"), "{e}");
        assert_eq!(parse_group(&items[1..]), Err(StoreError::NotFound), "no group item");
    }
}
