//! The table's keys and attribute names: how each item's `pk` / `sk` /
//! `gsi1pk` are spelled (the table in `dynamo/mod.rs` documents them), how
//! instants are written, and the attribute-value helpers.
use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Duration, NaiveDate, Utc};

use crate::domain::{Activity, Cpso, Cycle, GroupId};
use crate::store::schema::{PK, SK};

/// One DynamoDB item (or key).
pub(super) type Item = HashMap<String, AttributeValue>;

/// `gsi1pk` of every group and member item.
pub(super) const GROUPS: &str = "GROUPS";
/// `gsi1pk` of every invitation.
pub(super) const INVITATIONS: &str = "INVITATIONS";
/// `gsi1pk` of every coaching request.
pub(super) const COACHING: &str = "COACHING";
/// `sk` of a group item and of a coaching request.
pub(super) const META: &str = "META";
/// `sk` of a physician's one-open-group lock.
pub(super) const OPEN_GROUP: &str = "OPEN_GROUP";
/// `sk` of a write token.
pub(super) const TOKEN: &str = "TOKEN";
/// Prefix of a member item's `sk`.
pub(super) const MEMBER_PREFIX: &str = "MEMBER#";
/// Prefix of a group partition's `pk`.
pub(super) const GROUP_PREFIX: &str = "GROUP#";

/// Attribute names shared by the codec, the conditions and the updates.
pub(super) mod attr {
    pub const TYPE: &str = "type";
    pub const GROUP_ID: &str = "group_id";
    // The group item.
    pub const NAME: &str = "name";
    pub const PRACTICE_SETTING: &str = "practice_setting";
    pub const CYCLE: &str = "cycle";
    pub const CREATED_AT: &str = "created_at";
    pub const VERSION: &str = "version";
    pub const NEXT_SLOT: &str = "next_slot";
    pub const DRAFT_VERSION: &str = "draft_version";
    pub const PIP_STATE: &str = "pip_state";
    pub const PIP: &str = "pip";
    pub const SUBMITTED_ON: &str = "submitted_on";
    pub const PROPOSAL_EXPIRES_AT: &str = "proposal_expires_at";
    pub const DISSOLVED_AT: &str = "dissolved_at";
    pub const AUDIT: &str = "audit";
    // A member item.
    pub const SLOT: &str = "slot";
    pub const CPSO: &str = "cpso";
    pub const EMAIL: &str = "email";
    pub const LANGUAGE: &str = "language";
    pub const ROLE: &str = "role";
    pub const STATUS: &str = "status";
    /// While proposed or invited: when the item lapses.
    pub const EXPIRES_AT: &str = "expires_at";
    pub const ACCEPTED_AT: &str = "accepted_at";
    pub const CODE_HASH: &str = "code_hash";
    pub const SESSIONS: &str = "sessions";
    /// A session's creation, epoch milliseconds (in the `sessions` map).
    pub const SESSION_CREATED: &str = "c";
    /// A session's last use, epoch milliseconds (in the `sessions` map).
    pub const SESSION_SEEN: &str = "s";
    pub const HISTORY: &str = "history";
    pub const CLOSED: &str = "closed";
    /// Set on every member item when the group is dissolved.
    pub const DISSOLVED: &str = "dissolved";
    /// A member's data points: map `<goal id>#<period>` → JSON.
    pub const POINTS: &str = "points";
    /// A member's PDSA cycles: map `<cycle id>` → JSON.
    pub const CYCLES: &str = "cycles";
    /// BOOL `true` once the member turned data-entry reminders off.
    pub const REMINDERS_OFF: &str = "reminders_off";
    /// `YYYY-MM-DD`: the last day of the period the latest reminder was for.
    pub const REMINDED_THROUGH: &str = "reminded_through";
    /// The latest reminders' opt-out token hashes: map hex hash → N (0 the oldest).
    pub const REMINDER_TOKENS: &str = "reminder_tokens";
    // A lock.
    pub const OPEN: &str = "open";
    // A day counter.
    pub const COUNT: &str = "n";
    // A write token.
    pub const AT: &str = "at";
}

pub(super) fn group_pk(id: &GroupId) -> String {
    format!("{GROUP_PREFIX}{}", id.as_str())
}
/// `MEMBER#NN`: the member's slot, two digits (so the items sort by slot).
pub(super) fn member_sk(slot: u8) -> String {
    format!("{MEMBER_PREFIX}{slot:02}")
}
pub(super) fn lock_pk(cpso: &Cpso) -> String {
    format!("PHYSICIAN#{}", cpso.as_str())
}
pub(super) fn invite_pk(cycle: &Cycle) -> String {
    format!("INVITE#{}", cycle.as_str())
}
pub(super) fn invite_sk(cpso: &Cpso) -> String {
    format!("CPSO#{}", cpso.as_str())
}
pub(super) fn coaching_pk(id: &str) -> String {
    format!("COACHING#{id}")
}
pub(super) fn limit_pk(key: &str) -> String {
    format!("LIMIT#{key}")
}
pub(super) fn limit_sk(day: NaiveDate) -> String {
    format!("DAY#{day}")
}
pub(super) fn token_pk(token: &str) -> String {
    format!("TOKEN#{token}")
}
/// The member-item attribute that holds one activity's completion date.
pub(super) fn activity_attr(a: Activity) -> String {
    format!("act_{}", a.key())
}

/// Instants as text that sorts in time order and reads back exactly.
pub(super) fn instant(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.9fZ").to_string()
}
pub(super) fn parse_instant(v: &str) -> Result<DateTime<Utc>, chrono::ParseError> {
    DateTime::parse_from_rfc3339(v).map(|t| t.with_timezone(&Utc))
}
/// What `ttl` holds: epoch seconds.
pub(super) fn epoch_seconds(t: &DateTime<Utc>) -> i64 {
    t.timestamp()
}
/// When a day counter may go: two days after its day began (UTC).
pub(super) fn limit_ttl(day: NaiveDate) -> i64 {
    (day + Duration::days(2)).and_hms_opt(0, 0, 0).map(|t| t.and_utc().timestamp()).unwrap_or(i64::MAX)
}

pub(super) fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}
pub(super) fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}
pub(super) fn key(pk: String, sk: impl Into<String>) -> Item {
    HashMap::from([(PK.to_string(), s(pk)), (SK.to_string(), s(sk))])
}

/// A string attribute, if present and a string.
pub(super) fn opt_s<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    match item.get(name) {
        Some(AttributeValue::S(v)) => Some(v),
        _ => None,
    }
}

/// A number attribute that is a whole number, if present.
pub(super) fn opt_i64(item: &Item, name: &str) -> Option<i64> {
    match item.get(name) {
        Some(AttributeValue::N(v)) => v.parse().ok(),
        _ => None,
    }
}

/// The (`pk`, `sk`) of an item or key, if both are strings.
pub(super) fn key_of(item: &Item) -> Option<(String, String)> {
    Some((opt_s(item, PK)?.to_string(), opt_s(item, SK)?.to_string()))
}

/// A data point's key in a member's `points` map.
pub(super) fn point_key(goal: u16, period: crate::domain::measure::PeriodId) -> String {
    format!("{goal}#{period}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_sort_as_text_and_read_back_exactly() {
        let a = parse_instant("2026-01-05T10:11:12.345Z").unwrap();
        let b = parse_instant("2026-01-05T10:11:12.3451Z").unwrap();
        assert!(instant(&a) < instant(&b));
        assert_eq!(parse_instant(&instant(&a)).unwrap(), a);
        assert_eq!(parse_instant(&instant(&b)).unwrap(), b);
    }

    #[test]
    fn keys_read_back() {
        let k = key(group_pk(&GroupId::parse("abc").unwrap()), META);
        assert_eq!(key_of(&k), Some(("GROUP#abc".to_string(), "META".to_string())));
        assert_eq!(key_of(&Item::new()), None);
        assert_eq!(member_sk(3), "MEMBER#03");
        assert!(member_sk(9) < member_sk(10), "member items sort by slot");
    }

    #[test]
    fn a_day_counter_outlives_its_day() {
        let day = NaiveDate::from_ymd_opt(2026, 1, 5).unwrap();
        assert_eq!(limit_ttl(day), parse_instant("2026-01-07T00:00:00Z").unwrap().timestamp());
    }
}
