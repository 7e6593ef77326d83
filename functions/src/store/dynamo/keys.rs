//! The table's keys: how each item's `pk` / `sk` / `gsi1pk` are spelled (the
//! table in `dynamo/mod.rs` documents them), and the attribute-value helpers.
use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};

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
/// Prefix of a member item's `sk`.
pub(super) const MEMBER_PREFIX: &str = "MEMBER#";
/// Prefix of a group partition's `pk`.
pub(super) const GROUP_PREFIX: &str = "GROUP#";

pub(super) fn group_pk(id: &GroupId) -> String {
    format!("{GROUP_PREFIX}{}", id.as_str())
}
pub(super) fn member_sk(cpso: &Cpso) -> String {
    format!("{MEMBER_PREFIX}{}", cpso.as_str())
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

/// The (`pk`, `sk`) of an item or key, if both are strings.
pub(super) fn key_of(item: &Item) -> Option<(String, String)> {
    Some((opt_s(item, PK)?.to_string(), opt_s(item, SK)?.to_string()))
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
    }
}
