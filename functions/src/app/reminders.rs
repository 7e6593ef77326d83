//! Data-entry reminders: a scheduled job emails a member when a goal they
//! record data for has had no point from them for a number of periods
//! (`QI_REMINDER_AFTER_PERIODS`, default 2), at most once a period, with an
//! opt-out link; the member turns reminders off through that link, or off
//! and on from their member area.
//!
//! **Who is reminded, about what.** An accepted member of a group that is
//! confirmed, formed, or submitted with its requirement still running
//! ([`super::measures::open_for_data`]), about each goal of the plan with a
//! measure definition for which they have recorded at least one point
//! ("a goal they record for"), when the whole periods since their latest
//! point number at least the setting. The period in progress is not
//! counted: a member whose latest point is January is reminded in April
//! (February and March missed), not in March.
//!
//! **At most once a period.** One email per member lists every such goal.
//! Its period is the period in progress of those goals (the shortest, when
//! weekly and monthly goals are both due). Before sending, the job records
//! the reminder with ONE conditional write ([`crate::store::Store::mark_reminded`]),
//! which succeeds only if the member was not reminded for a period ending on
//! or after this one's first day and their reminders are on; only then is
//! the email sent. So two runs at once, or a run retried, send nobody twice
//! (a failed send is not retried: the member misses that reminder).
//!
//! **Opt-out links.** Each email carries a fresh token of the access-code
//! shape (`GROUPID.SLOT.SECRET`, 256 random bits); only its SHA-256 is
//! stored, with the member, and the links of the latest
//! [`REMINDER_TOKENS_KEPT`] reminders work. Opening the link changes
//! nothing (a page with a button); the button's POST turns reminders off.
//! A bad or stale token gets the same answer as a good one.
//!
//! Logs carry counts only: never a name, an address, a group's or a
//! member's identity, or a token.
use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::access::Caller;
use super::measures::open_for_data;
use super::{App, Failure};
use crate::domain::group::REMINDER_TOKENS_KEPT;
use crate::domain::measure::PeriodId;
use crate::domain::{AccessCode, CodeHash, Group, GroupMember, Phase};
use crate::mail::messages::{self, Recipient, ReminderGoal};
use crate::store::{ConflictKind, ReminderAuth, ReminderMark, ReminderSetting, StoreError};

/// Whole periods without a point before a member is reminded, by default.
pub const DEFAULT_AFTER_PERIODS: u32 = 2;
/// The largest setting (a year of weeks).
pub const MAX_AFTER_PERIODS: u32 = 52;

/// The job's settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReminderSettings {
    /// Remind after this many whole periods without a point (1 to [`MAX_AFTER_PERIODS`]).
    pub after_periods: u32,
}

impl Default for ReminderSettings {
    fn default() -> Self {
        ReminderSettings { after_periods: DEFAULT_AFTER_PERIODS }
    }
}

/// One goal a member is due a reminder about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueGoal {
    /// The goal's stable id.
    pub id: u16,
    /// Its number in the plan (1-based).
    pub n: usize,
    /// The latest period the member recorded a point for.
    pub last: PeriodId,
    /// Whole periods since then (the one in progress not counted).
    pub missed: u32,
    /// The period in progress (of the goal's kind).
    pub current: PeriodId,
}

/// A member who is due a reminder, and about which goals (in plan order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    pub slot: u8,
    pub goals: Vec<DueGoal>,
    /// The reminder's period: of the goals' periods in progress, the one ending first.
    pub period: PeriodId,
}

/// Whole periods strictly between `last` and `current` (0 if `last` is not before it).
fn periods_between(last: PeriodId, current: PeriodId) -> u32 {
    let mut n = 0;
    let mut p = last.next();
    while p < current && n <= MAX_AFTER_PERIODS {
        n += 1;
        p = p.next();
    }
    n
}

/// Whether the group's members may be reminded on `today`: it is confirmed,
/// formed, or submitted with the requirement still running.
pub fn reminds(g: &Group, today: NaiveDate) -> bool {
    matches!(g.phase(), Phase::Confirmed | Phase::Formed | Phase::Submitted) && open_for_data(g, today).is_ok()
}

/// The goals member `m` of `g` records for whose latest point from them is
/// `after` or more whole periods before `today`'s (regardless of their
/// reminder settings), in plan order.
fn due_goals(g: &Group, m: &GroupMember, today: NaiveDate, after: u32) -> Vec<DueGoal> {
    let Some(plan) = g.pip.draft() else { return Vec::new() };
    plan.measured()
        .filter_map(|(n, goal, def)| {
            // Points recorded under an earlier definition (another period) do not count.
            let last =
                m.points.iter().filter(|p| p.goal == goal.id && p.point.period.period() == def.period).map(|p| p.point.period).max()?;
            let current = PeriodId::of(def.period, today);
            let missed = periods_between(last, current);
            (missed >= after).then_some(DueGoal { id: goal.id, n, last, missed, current })
        })
        .collect()
}

/// Every member of `g` due a reminder on `today`, in slot order: accepted,
/// reminders on, not reminded for a period ending on or after the
/// reminder's first day, with at least one due goal.
pub fn due(g: &Group, today: NaiveDate, settings: &ReminderSettings) -> Vec<Due> {
    if !reminds(g, today) {
        return Vec::new();
    }
    g.accepted()
        .filter(|m| !m.reminders.off)
        .filter_map(|m| {
            let goals = due_goals(g, m, today, settings.after_periods.max(1));
            let period = goals.iter().map(|d| d.current).min_by_key(|p| (p.end(), p.start()))?;
            if m.reminders.through.is_some_and(|t| t >= period.start()) {
                return None;
            }
            Some(Due { slot: m.slot, goals, period })
        })
        .collect()
}

/// What a run did (or, in a dry run, would do). Counts only.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct RunReport {
    /// Groups read.
    pub groups: usize,
    /// Members due a reminder when their group was read.
    pub due: usize,
    /// Reminders recorded, each with its email queued in the same write
    /// (a dry run: 0).
    pub sent: usize,
    /// Due members another run reminded first, or who turned reminders
    /// off, or left, since their group was read: nothing sent.
    pub skipped: usize,
    /// Members whose reminder could not be recorded (the store failed): a
    /// later run tries again.
    pub store_failed: usize,
    /// Due members by (group id, goal id): the reminders a dry run would send.
    #[serde(serialize_with = "by_goal_rows")]
    pub by_goal: BTreeMap<(String, u16), usize>,
}

fn by_goal_rows<S: serde::Serializer>(m: &BTreeMap<(String, u16), usize>, s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeSeq;
    let mut seq = s.serialize_seq(Some(m.len()))?;
    for ((group, goal), members) in m {
        seq.serialize_element(&serde_json::json!({ "group_id": group, "goal_id": goal, "members": members }))?;
    }
    seq.end()
}

/// Why a run stopped before reading the groups.
#[derive(Debug, thiserror::Error)]
#[error("the groups could not be read: {0}")]
pub struct RunError(#[from] pub StoreError);

/// The opt-out link of `token`.
pub fn opt_out_link(app: &App, token: &AccessCode) -> String {
    format!("{}/api/reminders/opt-out?token={}", app.config.public_base_url, token.expose())
}

/// Run the job once, as of the app's clock: find every member due a
/// reminder and, unless `dry_run`, record and send each (a dry run writes
/// and sends nothing).
pub async fn run(app: &App, settings: &ReminderSettings, dry_run: bool) -> Result<RunReport, RunError> {
    let groups = app.store.list_groups().await?;
    let now = app.clock.now();
    let today = app.clock.today();
    let mut report = RunReport { groups: groups.len(), ..RunReport::default() };
    for g in groups.into_iter().filter_map(|g| g.as_of(now)) {
        for d in due(&g, today, settings) {
            report.due += 1;
            for goal in &d.goals {
                *report.by_goal.entry((g.id.to_string(), goal.id)).or_default() += 1;
            }
            if dry_run {
                continue;
            }
            match remind(app, &g, &d).await {
                Ok(Reminded::Sent) => report.sent += 1,
                Ok(Reminded::Skipped) => report.skipped += 1,
                Err(e) => {
                    report.store_failed += 1;
                    tracing::warn!(cause = failure_kind(&e), "reminder not recorded");
                }
            }
        }
    }
    tracing::info!(
        groups = report.groups,
        due = report.due,
        sent = report.sent,
        skipped = report.skipped,
        store_failed = report.store_failed,
        dry_run,
        "reminders run"
    );
    Ok(report)
}

enum Reminded {
    Sent,
    Skipped,
}

/// Record member `d.slot`'s reminder, queuing its email in the same write.
async fn remind(app: &App, g: &Group, d: &Due) -> Result<Reminded, Failure> {
    let Some(m) = g.member(d.slot) else { return Ok(Reminded::Skipped) };
    let token = AccessCode::generate(&g.id, usize::from(d.slot), app.random.as_ref())?;
    let mut tokens: Vec<CodeHash> = m.reminders.tokens.clone();
    tokens.push(token.hash());
    let excess = tokens.len().saturating_sub(REMINDER_TOKENS_KEPT);
    tokens.drain(..excess);
    let Some(plan) = g.pip.draft() else { return Ok(Reminded::Skipped) };
    let site = &app.config.public_base_url;
    let goals: Vec<ReminderGoal> = d
        .goals
        .iter()
        .map(|goal| ReminderGoal {
            n: goal.n,
            aim: plan.goal(goal.id).map(|(_, gd)| gd.aim.clone()).unwrap_or_default(),
            last: goal.last,
            missed: goal.missed,
            url: format!("{site}/api/me/goals/{}", goal.id),
        })
        .collect();
    let to = Recipient { name: m.member.name.clone(), email: m.member.email.clone(), language: m.member.language, role: m.member.role };
    let mail = messages::reminder(&to, &goals, site, &opt_out_link(app, &token));
    // The reminder is queued in the write that records it: both or neither.
    let outbox = app.queue(vec![(mail, "reminder")])?.pop();
    let mark =
        ReminderMark { group: g.id.clone(), slot: d.slot, period_start: d.period.start(), period_end: d.period.end(), tokens, outbox };
    match app.store.mark_reminded(&mark).await {
        Ok(true) => Ok(Reminded::Sent),
        Ok(false) | Err(StoreError::NotFound) => Ok(Reminded::Skipped),
        Err(e) => Err(e.into()),
    }
}

/// What failed, in words safe for logs.
fn failure_kind(f: &Failure) -> &'static str {
    match f {
        Failure::Store(StoreError::Throttled) => "store_throttled",
        Failure::Store(StoreError::Unavailable(_)) => "store_unavailable",
        Failure::Store(_) => "store",
        Failure::Random(_) => "rng",
    }
}

/// Turn off the reminders of the member an opt-out link names. `Ok(true)`
/// if they were turned off, `Ok(false)` if the token is malformed, not the
/// member's (any more), or names nobody: the caller answers both alike.
pub async fn opt_out(app: &App, raw: &str) -> Result<bool, Failure> {
    let Some(token) = AccessCode::parse(raw) else { return Ok(false) };
    let s = ReminderSetting {
        group: token.group().clone(),
        slot: token.slot(),
        by: ReminderAuth::OptOut(token.hash()),
        off: true,
        now: app.clock.now(),
    };
    match app.store.set_reminders(&s).await {
        Ok(()) => Ok(true),
        Err(StoreError::NotFound) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Whether `raw` has the shape of an opt-out token (nothing is read).
pub fn well_formed(raw: &str) -> bool {
    AccessCode::parse(raw).is_some()
}

/// Why a signed-in member's reminder setting was not changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingError {
    #[error("the session has ended")]
    SessionEnded,
    /// The member is no longer in the group.
    #[error("not a member of the group")]
    NotMember,
    #[error(transparent)]
    Failed(#[from] Failure),
}

/// The signed-in member turns their own reminders on (`on`) or off.
pub async fn set(app: &App, caller: &Caller, on: bool) -> Result<(), SettingError> {
    let s = ReminderSetting {
        group: caller.group.id.clone(),
        slot: caller.slot,
        by: ReminderAuth::Session(caller.session.clone()),
        off: !on,
        now: app.clock.now(),
    };
    match app.store.set_reminders(&s).await {
        Ok(()) => Ok(()),
        Err(StoreError::Conflict(ConflictKind::SessionEnded)) => Err(SettingError::SessionEnded),
        Err(StoreError::NotFound) => Err(SettingError::NotMember),
        Err(e) => Err(Failure::from(e).into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::measure::{DataPoint, PointValue};
    use crate::domain::{GoalPoint, PipDraft, PipState};
    use crate::store::conformance::{complete_draft, formed_group};
    use chrono::{TimeZone, Utc};

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    /// A formed group whose goal 1 (id 1) has a monthly proportion measure.
    fn measured() -> Group {
        let (mut g, _) = formed_group("100", &["101", "102"], "2026-01-05T10:00:00Z");
        let mut d: PipDraft = complete_draft();
        let m = crate::domain::GoalInput {
            kind: "practice".into(),
            aim: "Record allergies".into(),
            measure_kind: "proportion".into(),
            measure_counted: "Charts with allergy status recorded".into(),
            measure_source: "chart_audit".into(),
            measure_sampling: "10 random charts a month".into(),
            measure_period: "month".into(),
            measure_direction: "higher_is_better".into(),
            ..Default::default()
        };
        d.goals[0].definition = PipDraft::parse("", "", vec![(1, m)]).unwrap().goals[0].definition.clone();
        d.goals[0].id = 1;
        d.goals[1].id = 2;
        g.pip = PipState::Draft { draft: d };
        g
    }

    fn record(g: &mut Group, slot: u8, period: &str) {
        let point = DataPoint {
            period: PeriodId::parse(period).unwrap(),
            by: slot,
            value: PointValue::proportion(1, 2).unwrap(),
            note: String::new(),
        };
        let at = Utc.with_ymd_and_hms(2026, 1, 6, 9, 0, 0).unwrap();
        g.members.iter_mut().find(|m| m.slot == slot).unwrap().points.push(GoalPoint { goal: 1, point, at });
    }

    #[test]
    fn whole_periods_since_the_latest_point_count() {
        let p = |s: &str| PeriodId::parse(s).unwrap();
        assert_eq!(periods_between(p("2026-01"), p("2026-04")), 2, "February and March");
        assert_eq!(periods_between(p("2026-03"), p("2026-04")), 0);
        assert_eq!(periods_between(p("2026-04"), p("2026-04")), 0);
        assert_eq!(periods_between(p("2026-05"), p("2026-04")), 0, "a point for a later period");
        assert_eq!(periods_between(p("2025-12"), p("2026-02")), 1, "across the new year");
        assert_eq!(periods_between(p("2026-W01"), p("2026-W05")), 3);
    }

    #[test]
    fn only_members_who_record_for_a_goal_and_have_stopped_are_due() {
        let mut g = measured();
        let s = ReminderSettings::default();
        assert!(due(&g, day("2026-06-15"), &s).is_empty(), "nobody has recorded anything: nobody records for the goal");
        record(&mut g, 1, "2026-01");
        record(&mut g, 2, "2026-03");
        assert!(due(&g, day("2026-03-31"), &s).is_empty(), "only February is missed by March");
        let d = due(&g, day("2026-04-02"), &s);
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!((d[0].slot, d[0].period), (1, PeriodId::parse("2026-04").unwrap()));
        assert_eq!(d[0].goals, vec![DueGoal { id: 1, n: 1, last: PeriodId::parse("2026-01").unwrap(), missed: 2, current: d[0].period }]);
        assert!(due(&g, day("2026-04-02"), &ReminderSettings { after_periods: 3 }).is_empty(), "a longer setting");
        assert_eq!(due(&g, day("2026-06-02"), &s).iter().map(|d| d.slot).collect::<Vec<_>>(), vec![1, 2]);
        // Reminded for April already: not again in April, again in May.
        g.members[1].reminders.through = Some(day("2026-04-30"));
        assert!(due(&g, day("2026-04-20"), &s).is_empty());
        assert_eq!(due(&g, day("2026-05-01"), &s).len(), 1);
        // Reminders off: never.
        g.members[1].reminders.off = true;
        assert!(due(&g, day("2026-05-01"), &s).is_empty());
    }

    #[test]
    fn no_reminders_once_the_group_or_its_requirement_is_over() {
        let mut g = measured();
        record(&mut g, 1, "2026-01");
        let s = ReminderSettings::default();
        assert_eq!(due(&g, day("2026-04-02"), &s).len(), 1);
        let draft = g.pip.draft().unwrap().clone();
        g.pip = PipState::Submitted { pip: draft, submitted_on: day("2026-02-01") };
        assert_eq!(due(&g, day("2026-04-02"), &s).len(), 1, "a submitted plan's members still record");
        assert!(due(&g, day("2031-06-02"), &s).is_empty(), "the requirement has ended");
        g.dissolved_at = Some(Utc::now());
        assert!(due(&g, day("2026-04-02"), &s).is_empty(), "dissolved");
        let mut invited = measured();
        record(&mut invited, 1, "2026-01");
        invited.members[1].status = crate::domain::MemberStatus::Invited { expires_at: Utc::now() };
        assert!(due(&invited, day("2026-04-02"), &s).is_empty(), "only accepted members");
    }

    #[test]
    fn a_goal_without_a_definition_is_never_due() {
        let mut g = measured();
        record(&mut g, 1, "2026-01");
        if let PipState::Draft { draft } = &mut g.pip {
            draft.goals[0].definition = None;
        }
        assert!(due(&g, day("2026-06-02"), &ReminderSettings::default()).is_empty());
    }
}
