//! The conditions a write puts on an item, each both as a DynamoDB condition
//! expression and as a check of the item's old image, so that a cancelled
//! write can say WHICH of an item's conditions failed (DynamoDB says only
//! that one did, and returns the item as it was: `ALL_OLD`).
//!
//! [`Expr`] collects one request's placeholders: every attribute name is a
//! `#aN` (several are reserved words: `name`, `status`, `ttl`...), every
//! value a `:vN`.
use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

use super::keys::{attr, opt_i64, opt_s, Item};
use crate::domain::{Activity, GroupId};
use crate::store::schema::{PK, TTL};

/// The expression attribute names and values of one request.
#[derive(Debug, Default, Clone)]
pub(super) struct Expr {
    names: HashMap<String, String>,
    by_attr: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
}

impl Expr {
    /// The placeholder of attribute (or map key) `attr`.
    pub(super) fn name(&mut self, attr: &str) -> String {
        if let Some(p) = self.by_attr.get(attr) {
            return p.clone();
        }
        let p = format!("#a{}", self.names.len());
        self.names.insert(p.clone(), attr.to_string());
        self.by_attr.insert(attr.to_string(), p.clone());
        p
    }
    /// The document path `a.b.c`, each part a placeholder.
    pub(super) fn path(&mut self, parts: &[&str]) -> String {
        parts.iter().map(|p| self.name(p)).collect::<Vec<_>>().join(".")
    }
    /// A fresh placeholder holding `v`.
    pub(super) fn value(&mut self, v: AttributeValue) -> String {
        let p = format!(":v{}", self.values.len());
        self.values.insert(p.clone(), v);
        p
    }
    /// The names, if any (DynamoDB refuses an empty map).
    pub(super) fn names(&self) -> Option<HashMap<String, String>> {
        (!self.names.is_empty()).then(|| self.names.clone())
    }
    pub(super) fn values(&self) -> Option<HashMap<String, AttributeValue>> {
        (!self.values.is_empty()).then(|| self.values.clone())
    }
}

/// One condition on one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Guard {
    /// The item exists.
    Exists,
    /// The item does not exist.
    Absent,
    /// Never holds (a day counter whose limit one write already passes).
    Never,
    /// The instant-as-text attribute `attr` is missing or after `now` (the
    /// item has not lapsed).
    NotLapsed { attr: &'static str, now: String },
    /// The group's `version` is this.
    Version(u64),
    /// The session whose hash is `hash` (hex) is in the member's `sessions`,
    /// last used after `seen_after` and created after `created_after`
    /// (epoch milliseconds): it is live.
    SessionLive { hash: String, seen_after: i64, created_after: i64 },
    /// The member has all four activities.
    ActivitiesDone,
    /// The member's check-offs are not closed.
    NotClosed,
    /// The member has accepted.
    Accepted,
    /// The group (as the member item records it) is not dissolved.
    NotDissolved,
    /// The map attribute exists (so that one of its entries can be set).
    HasMap(&'static str),
    /// The member's data-entry reminders are not off.
    RemindersOn,
    /// The member was not reminded for a period ending on or after this
    /// day (`YYYY-MM-DD`, compared as text).
    NotRemindedSince(String),
    /// The opt-out token with this hash (hex) is one of the member's.
    ReminderToken(String),
    /// The member has at most this many sessions.
    SessionsAtMost(i64),
    /// The member has exactly this many sessions.
    SessionsExactly(usize),
    /// The member has the session with this hash (hex).
    SessionExists(String),
    /// The lock may be taken by this group: there is none, it is closed, or it is its own.
    LockFree(GroupId),
    /// The lock is absent or this group's (to release it).
    LockAbsentOrOurs(GroupId),
    /// The lock is this group's (to close it).
    LockOurs(GroupId),
    /// A day counter is absent or at most this.
    CountAtMost(i64),
    /// A write token is absent, or older than its time to live (epoch seconds now).
    TokenFree(i64),
}

fn sessions_map(item: &Item) -> Option<&HashMap<String, AttributeValue>> {
    match item.get(attr::SESSIONS) {
        Some(AttributeValue::M(m)) => Some(m),
        _ => None,
    }
}

fn session_field(item: &Item, hash: &str, field: &str) -> Option<i64> {
    match sessions_map(item)?.get(hash)? {
        AttributeValue::M(m) => opt_i64(m, field),
        _ => None,
    }
}

impl Guard {
    /// The condition, as a DynamoDB condition expression.
    pub(super) fn render(&self, e: &mut Expr) -> String {
        match self {
            Guard::Exists => format!("attribute_exists({})", e.name(PK)),
            Guard::Absent => format!("attribute_not_exists({})", e.name(PK)),
            Guard::Never => {
                let pk = e.name(PK);
                format!("(attribute_exists({pk}) AND attribute_not_exists({pk}))")
            }
            Guard::NotLapsed { attr, now } => {
                let a = e.name(attr);
                let now = e.value(AttributeValue::S(now.clone()));
                format!("(attribute_not_exists({a}) OR {a} > {now})")
            }
            Guard::Version(v) => format!("{} = {}", e.name(attr::VERSION), e.value(AttributeValue::N(v.to_string()))),
            Guard::SessionLive { hash, seen_after, created_after } => {
                let session = e.path(&[attr::SESSIONS, hash]);
                let seen = e.name(attr::SESSION_SEEN);
                let created = e.name(attr::SESSION_CREATED);
                let seen_after = e.value(AttributeValue::N(seen_after.to_string()));
                let created_after = e.value(AttributeValue::N(created_after.to_string()));
                format!("(attribute_exists({session}) AND {session}.{seen} > {seen_after} AND {session}.{created} > {created_after})")
            }
            Guard::ActivitiesDone => Activity::ALL
                .iter()
                .map(|a| format!("attribute_exists({})", e.name(&super::keys::activity_attr(*a))))
                .collect::<Vec<_>>()
                .join(" AND "),
            Guard::NotClosed => format!("attribute_not_exists({})", e.name(attr::CLOSED)),
            Guard::NotDissolved => format!("attribute_not_exists({})", e.name(attr::DISSOLVED)),
            Guard::HasMap(a) => format!("attribute_exists({})", e.name(a)),
            Guard::RemindersOn => {
                let off = e.name(attr::REMINDERS_OFF);
                format!("(attribute_not_exists({off}) OR {off} = {})", e.value(AttributeValue::Bool(false)))
            }
            Guard::NotRemindedSince(day) => {
                let through = e.name(attr::REMINDED_THROUGH);
                format!("(attribute_not_exists({through}) OR {through} < {})", e.value(AttributeValue::S(day.clone())))
            }
            Guard::ReminderToken(hash) => format!("attribute_exists({})", e.path(&[attr::REMINDER_TOKENS, hash])),
            Guard::Accepted => format!("{} = {}", e.name(attr::STATUS), e.value(AttributeValue::S("accepted".into()))),
            Guard::SessionsAtMost(k) => {
                let ss = e.name(attr::SESSIONS);
                format!("(attribute_not_exists({ss}) OR size({ss}) <= {})", e.value(AttributeValue::N(k.to_string())))
            }
            Guard::SessionsExactly(k) => {
                let ss = e.name(attr::SESSIONS);
                format!("(attribute_exists({ss}) AND size({ss}) = {})", e.value(AttributeValue::N(k.to_string())))
            }
            Guard::SessionExists(hash) => format!("attribute_exists({})", e.path(&[attr::SESSIONS, hash])),
            Guard::LockFree(me) => {
                let (pk, open, gid) = (e.name(PK), e.name(attr::OPEN), e.name(attr::GROUP_ID));
                let closed = e.value(AttributeValue::Bool(false));
                let me = e.value(AttributeValue::S(me.to_string()));
                format!("(attribute_not_exists({pk}) OR {open} = {closed} OR {gid} = {me})")
            }
            Guard::LockAbsentOrOurs(me) => {
                let (pk, gid) = (e.name(PK), e.name(attr::GROUP_ID));
                format!("(attribute_not_exists({pk}) OR {gid} = {})", e.value(AttributeValue::S(me.to_string())))
            }
            Guard::LockOurs(me) => format!("{} = {}", e.name(attr::GROUP_ID), e.value(AttributeValue::S(me.to_string()))),
            Guard::CountAtMost(cap) => {
                let count = e.name(attr::COUNT);
                format!("(attribute_not_exists({count}) OR {count} <= {})", e.value(AttributeValue::N(cap.to_string())))
            }
            Guard::TokenFree(now) => {
                let (pk, ttl) = (e.name(PK), e.name(TTL));
                format!("(attribute_not_exists({pk}) OR {ttl} < {})", e.value(AttributeValue::N(now.to_string())))
            }
        }
    }

    /// Whether the condition holds on `item` (`None`: there is no such item),
    /// as DynamoDB evaluates [`Guard::render`].
    pub(super) fn holds(&self, item: Option<&Item>) -> bool {
        let Some(item) = item.filter(|i| !i.is_empty()) else {
            return matches!(
                self,
                Guard::Absent
                    | Guard::NotLapsed { .. }
                    | Guard::NotClosed
                    | Guard::NotDissolved
                    | Guard::RemindersOn
                    | Guard::NotRemindedSince(_)
                    | Guard::SessionsAtMost(_)
                    | Guard::LockFree(_)
                    | Guard::LockAbsentOrOurs(_)
                    | Guard::CountAtMost(_)
                    | Guard::TokenFree(_)
            );
        };
        let is = |name: &str, v: &str| opt_s(item, name) == Some(v);
        match self {
            Guard::Exists => true,
            Guard::Absent | Guard::Never => false,
            Guard::NotLapsed { attr, now } => opt_s(item, attr).is_none_or(|t| t > now.as_str()),
            Guard::Version(v) => opt_i64(item, attr::VERSION) == i64::try_from(*v).ok(),
            Guard::SessionLive { hash, seen_after, created_after } => {
                session_field(item, hash, attr::SESSION_SEEN).is_some_and(|t| t > *seen_after)
                    && session_field(item, hash, attr::SESSION_CREATED).is_some_and(|t| t > *created_after)
            }
            Guard::ActivitiesDone => Activity::ALL.iter().all(|a| item.contains_key(&super::keys::activity_attr(*a))),
            Guard::NotClosed => !item.contains_key(attr::CLOSED),
            Guard::NotDissolved => !item.contains_key(attr::DISSOLVED),
            Guard::HasMap(a) => matches!(item.get(*a), Some(AttributeValue::M(_))),
            Guard::RemindersOn => item.get(attr::REMINDERS_OFF).is_none_or(|v| v == &AttributeValue::Bool(false)),
            Guard::NotRemindedSince(day) => opt_s(item, attr::REMINDED_THROUGH).is_none_or(|t| t < day.as_str()),
            Guard::ReminderToken(hash) => match item.get(attr::REMINDER_TOKENS) {
                Some(AttributeValue::M(m)) => m.contains_key(hash),
                _ => false,
            },
            Guard::Accepted => is(attr::STATUS, "accepted"),
            Guard::SessionsAtMost(k) => sessions_map(item).is_none_or(|m| (m.len() as i64) <= *k),
            Guard::SessionsExactly(k) => sessions_map(item).is_some_and(|m| m.len() == *k),
            Guard::SessionExists(hash) => sessions_map(item).is_some_and(|m| m.contains_key(hash)),
            Guard::LockFree(me) => item.get(attr::OPEN) == Some(&AttributeValue::Bool(false)) || is(attr::GROUP_ID, me.as_str()),
            Guard::LockAbsentOrOurs(me) | Guard::LockOurs(me) => is(attr::GROUP_ID, me.as_str()),
            Guard::CountAtMost(cap) => opt_i64(item, attr::COUNT).is_none_or(|c| c <= *cap),
            Guard::TokenFree(now) => opt_i64(item, TTL).is_some_and(|t| t < *now),
        }
    }
}

/// The condition expression of all `guards` (each distinct one rendered
/// once: DynamoDB refuses placeholders that the expressions do not use), or `None`.
pub(super) fn condition<T>(guards: &[(Guard, T)], e: &mut Expr) -> Option<String> {
    let mut distinct: Vec<&Guard> = Vec::new();
    for (g, _) in guards {
        if !distinct.contains(&g) {
            distinct.push(g);
        }
    }
    (!distinct.is_empty()).then(|| distinct.into_iter().map(|g| g.render(e)).collect::<Vec<_>>().join(" AND "))
}

/// What the first guard that does not hold on `old` means, if any.
pub(super) fn first_failure<T: Clone>(guards: &[(Guard, T)], old: Option<&Item>) -> Option<T> {
    guards.iter().find(|(g, _)| !g.holds(old)).map(|(_, t)| t.clone())
}

/// What every guard that does not hold on `old` means.
pub(super) fn failures<T: Clone>(guards: &[(Guard, T)], old: Option<&Item>) -> Vec<T> {
    guards.iter().filter(|(g, _)| !g.holds(old)).map(|(_, t)| t.clone()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::dynamo::keys::{n, s};

    fn member(sessions: &[(&str, i64, i64)]) -> Item {
        let map = sessions
            .iter()
            .map(|(h, c, seen)| (h.to_string(), AttributeValue::M(HashMap::from([("c".to_string(), n(c)), ("s".to_string(), n(seen))]))))
            .collect();
        HashMap::from([(PK.to_string(), s("GROUP#g")), (attr::SESSIONS.to_string(), AttributeValue::M(map))])
    }

    #[test]
    fn placeholders_are_shared_and_paths_built() {
        let mut e = Expr::default();
        let a = e.name("status");
        assert_eq!(e.name("status"), a);
        assert_eq!(e.path(&["sessions", "ab", "s"]), "#a1.#a2.#a3");
        assert_ne!(e.value(n(1)), e.value(n(1)));
        assert_eq!(e.names().unwrap().len(), 4);
        assert!(Expr::default().names().is_none() && Expr::default().values().is_none());
    }

    #[test]
    fn session_liveness_on_an_old_image() {
        let item = member(&[("aa", 1_000, 5_000)]);
        let live = |seen_after, created_after| Guard::SessionLive { hash: "aa".into(), seen_after, created_after }.holds(Some(&item));
        assert!(live(4_999, 999));
        assert!(!live(5_000, 999), "idle exactly to the cut-off is ended");
        assert!(!live(0, 1_000), "too old");
        assert!(!Guard::SessionLive { hash: "bb".into(), seen_after: 0, created_after: 0 }.holds(Some(&item)));
        assert!(Guard::SessionsAtMost(1).holds(Some(&item)) && !Guard::SessionsAtMost(0).holds(Some(&item)));
        assert!(Guard::SessionsExactly(1).holds(Some(&item)) && Guard::SessionExists("aa".into()).holds(Some(&item)));
    }

    #[test]
    fn a_missing_item_holds_only_negative_conditions() {
        let me = GroupId::parse("g").unwrap();
        for g in [Guard::Absent, Guard::LockFree(me.clone()), Guard::CountAtMost(0), Guard::TokenFree(0), Guard::NotClosed] {
            assert!(g.holds(None), "{g:?}");
        }
        for g in [Guard::Exists, Guard::Version(0), Guard::Accepted, Guard::LockOurs(me), Guard::ActivitiesDone, Guard::Never] {
            assert!(!g.holds(None), "{g:?}");
        }
    }

    #[test]
    fn locks_and_counters() {
        let me = GroupId::parse("g").unwrap();
        let lock = |gid: &str, open: bool| {
            HashMap::from([
                (PK.to_string(), s("PHYSICIAN#1")),
                (attr::GROUP_ID.to_string(), s(gid)),
                (attr::OPEN.to_string(), AttributeValue::Bool(open)),
            ])
        };
        assert!(Guard::LockFree(me.clone()).holds(Some(&lock("other", false))), "a closed lock may be taken");
        assert!(Guard::LockFree(me.clone()).holds(Some(&lock("g", true))), "our own");
        assert!(!Guard::LockFree(me.clone()).holds(Some(&lock("other", true))), "another open group's");
        assert!(!Guard::LockAbsentOrOurs(me).holds(Some(&lock("other", true))));
        let counter = HashMap::from([(attr::COUNT.to_string(), n(2))]);
        assert!(Guard::CountAtMost(2).holds(Some(&counter)) && !Guard::CountAtMost(1).holds(Some(&counter)));
    }

    #[test]
    fn reminder_conditions_on_an_old_image() {
        let mut item = member(&[]);
        assert!(Guard::RemindersOn.holds(Some(&item)) && Guard::NotRemindedSince("2026-03-01".into()).holds(Some(&item)));
        assert!(!Guard::ReminderToken("aa".into()).holds(Some(&item)));
        item.insert(attr::REMINDERS_OFF.into(), AttributeValue::Bool(true));
        item.insert(attr::REMINDED_THROUGH.into(), s("2026-02-28"));
        item.insert(attr::REMINDER_TOKENS.into(), AttributeValue::M(HashMap::from([("aa".to_string(), n(0))])));
        assert!(!Guard::RemindersOn.holds(Some(&item)));
        assert!(Guard::NotRemindedSince("2026-03-01".into()).holds(Some(&item)), "February's reminder does not stop March's");
        assert!(!Guard::NotRemindedSince("2026-02-23".into()).holds(Some(&item)), "a week that starts before it ends");
        assert!(Guard::ReminderToken("aa".into()).holds(Some(&item)) && !Guard::ReminderToken("bb".into()).holds(Some(&item)));
        let mut e = Expr::default();
        assert_eq!(Guard::ReminderToken("aa".into()).render(&mut e), "attribute_exists(#a0.#a1)");
    }

    #[test]
    fn a_condition_names_each_part_once() {
        let mut e = Expr::default();
        let guards = [(Guard::Exists, 1), (Guard::Exists, 2), (Guard::NotClosed, 3)];
        assert_eq!(condition(&guards, &mut e).unwrap(), "attribute_exists(#a0) AND attribute_not_exists(#a1)");
        assert_eq!(first_failure(&guards, None), Some(1));
        assert_eq!(failures(&guards, None), vec![1, 2]);
    }
}
