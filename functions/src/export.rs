//! Staff exports as CSV (`qi admin export`).
//!
//! Cells are RFC 4180-quoted when needed (the `csv` crate), and a cell that a
//! spreadsheet would read as a formula (starting with `=`, `+`, `-`, `@`, tab
//! or CR) gets a leading `'`.
use crate::domain::measure::{direction_key, format_number, MeasureDefinition, PeriodId};
use crate::domain::runchart::{self, Analysis};
use crate::domain::{requirement_met_until, Activity, CoachingRequest, Credits, Group, Invitation, Language, MailRecord, Undeliverable};

/// A cell as a spreadsheet must see it: text it would run as a formula
/// gets a leading `'` (the csv crate does the RFC 4180 quoting).
fn defuse(s: &str) -> std::borrow::Cow<'_, str> {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}").into()
    } else {
        s.into()
    }
}

/// One exported cell, defused and quoted (for tests and one-off use).
pub fn cell(s: &str) -> String {
    let mut out = csv_text([[s]]);
    out.truncate(out.trim_end_matches("\r\n").len());
    out
}

/// Rows of cells as CSV text with CRLF line ends.
fn csv_text<R, C>(rows: impl IntoIterator<Item = R>) -> String
where
    R: IntoIterator<Item = C>,
    C: AsRef<str>,
{
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).flexible(true).from_writer(Vec::new());
    for r in rows {
        // Writing into memory cannot fail.
        let _ = w.write_record(r.into_iter().map(|c| defuse(c.as_ref()).into_owned()));
    }
    let bytes = w.into_inner().unwrap_or_else(|e| e.into_inner().get_ref().clone());
    String::from_utf8(bytes).unwrap_or_default()
}

fn row(cells: &[String]) -> String {
    csv_text([cells])
}

/// One row per group: progress at a glance.
pub fn groups_csv(groups: &[Group]) -> String {
    let mut out = row(&[
        "group_id",
        "group_name",
        "practice_setting",
        "cycle",
        "created_at",
        "phase",
        "members",
        "lead_cpso",
        "activities_done",
        "activities_total",
        "pip_state",
        "submitted_on",
        "requirement_met_until",
        "submitted_by",
    ]
    .map(String::from));
    for g in groups {
        let accepted = g.accepted().count();
        let done: usize = g.accepted().map(|m| m.activities.0.len()).sum();
        let state = match &g.pip {
            crate::domain::PipState::None => "none",
            crate::domain::PipState::Draft { .. } => "draft",
            crate::domain::PipState::Submitted { .. } => "submitted",
        };
        let sub = g.pip.submitted_on();
        out.push_str(&row(&[
            g.id.to_string(),
            g.name.to_string(),
            g.practice_setting.to_string(),
            g.cycle.to_string(),
            g.created_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            g.phase().key().to_string(),
            accepted.to_string(),
            g.lead().map(|l| l.member.cpso.to_string()).unwrap_or_default(),
            done.to_string(),
            (accepted * Activity::ALL.len()).to_string(),
            state.to_string(),
            sub.map(|d| d.to_string()).unwrap_or_default(),
            sub.map(|d| requirement_met_until(d).to_string()).unwrap_or_default(),
            g.submitted_by().map(|e| e.by.name()).unwrap_or_default(),
        ]));
    }
    out
}

/// One row per member: who, their activities' dates, their credits.
///
/// `email_undeliverable` is `bounce` or `complaint` when SES reported that
/// email to the member's address cannot be delivered (`undeliverable`: those
/// records), else empty.
pub fn members_csv(groups: &[Group], credits: &Credits, undeliverable: &[Undeliverable]) -> String {
    let mut header: Vec<String> =
        ["group_id", "group_name", "cycle", "role", "status", "cpso", "name", "email", "email_undeliverable", "language"]
            .map(String::from)
            .to_vec();
    header.extend(Activity::ALL.iter().map(|a| a.key().to_string()));
    header.extend(["pip_state", "submitted_on", "requirement_met_until", "credits"].map(String::from));
    let mut out = row(&header);
    for g in groups {
        let sub = g.pip.submitted_on();
        for m in &g.members {
            let mut r = vec![
                g.id.to_string(),
                g.name.to_string(),
                g.cycle.to_string(),
                m.member.role.as_str().to_string(),
                m.status.key().to_string(),
                m.member.cpso.to_string(),
                m.member.name.to_string(),
                m.member.email.to_string(),
                undeliverable_reason(undeliverable, &m.member.email),
                m.member.language.as_str().to_string(),
            ];
            r.extend(Activity::ALL.iter().map(|a| m.activities.completed_on(*a).map(|d| d.to_string()).unwrap_or_default()));
            r.push(
                if g.pip.is_submitted() {
                    "submitted"
                } else if g.pip.draft().is_some() {
                    "draft"
                } else {
                    "none"
                }
                .to_string(),
            );
            r.push(sub.map(|d| d.to_string()).unwrap_or_default());
            r.push(sub.map(|d| requirement_met_until(d).to_string()).unwrap_or_default());
            r.push(credits.for_member(&m.activities, &g.pip).total.to_string());
            out.push_str(&row(&r));
        }
    }
    out
}

fn undeliverable_reason(list: &[Undeliverable], email: &crate::domain::Email) -> String {
    let k = crate::domain::address_key(email);
    list.iter().find(|u| u.address == k).map(|u| u.reason.as_str().to_string()).unwrap_or_default()
}

/// Every queued email's delivery record (no names, addresses or text).
pub fn outbox_csv(records: &[MailRecord]) -> String {
    let header = ["id", "kind", "queued_at", "state", "attempts", "next_attempt_at", "last_error"].map(String::from);
    let mut out = row(&header);
    for r in records {
        out.push_str(&row(&[
            r.id.clone(),
            r.kind.clone(),
            r.queued_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            r.state.as_str().to_string(),
            r.attempts.to_string(),
            r.next_attempt_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            r.last_error.clone().unwrap_or_default(),
        ]));
    }
    out
}

/// One row per event of every group's audit trail, oldest first within a group.
pub fn audit_csv(groups: &[Group]) -> String {
    let mut out = row(&["group_id", "group_name", "at", "by", "event"].map(String::from));
    for g in groups {
        for e in g.audit_trail() {
            out.push_str(&row(&[
                g.id.to_string(),
                g.name.to_string(),
                e.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                e.by.name(),
                e.describe(),
            ]));
        }
    }
    out
}

pub fn coaching_csv(requests: &[CoachingRequest], groups: &[Group]) -> String {
    let mut out = row(&["id", "created_at", "group_id", "group_name", "cpso", "name", "email", "topic", "message"].map(String::from));
    for r in requests {
        let g = groups.iter().find(|g| g.id == r.group_id);
        let m = g.and_then(|g| g.member_by_cpso(&r.cpso));
        out.push_str(&row(&[
            r.id.clone(),
            r.created_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            r.group_id.to_string(),
            g.map(|g| g.name.to_string()).unwrap_or_default(),
            r.cpso.to_string(),
            m.map(|m| m.member.name.to_string()).unwrap_or_default(),
            m.map(|m| m.member.email.to_string()).unwrap_or_default(),
            r.topic.key().to_string(),
            r.message.as_str().to_string(),
        ]));
    }
    out
}

/// One goal's measure as the staff exports see it.
struct MeasuredGoal<'a> {
    id: u16,
    n: usize,
    def: &'a MeasureDefinition,
    /// Members' points that fit the measure.
    points: usize,
    /// Periods with at least one point.
    periods: usize,
    latest: Option<(PeriodId, f64)>,
    analysis: Analysis,
}

/// Every goal of `g`'s plan with a measure definition, in plan order, with
/// its run-chart analysis as the goal's page shows it (the same baseline:
/// [`crate::domain::Group::baseline_end`]).
fn measured_goals(g: &Group) -> Vec<MeasuredGoal<'_>> {
    let Some(plan) = g.pip.draft() else { return Vec::new() };
    plan.measured()
        .filter_map(|(n, goal, def)| {
            let series = g.series(goal.id)?;
            let start = g.baseline_end(goal.id, def);
            let values = series.group_values();
            let analysis = runchart::analyse(&series.to_runchart_points(start, Language::En), def.direction, def.target_value());
            Some(MeasuredGoal {
                id: goal.id,
                n,
                def,
                points: series.points().len(),
                periods: values.len(),
                latest: values.last().map(|v| (v.period, v.value)),
                analysis,
            })
        })
        .collect()
}

/// `shift`, `few crossings`, `shift and few crossings` or `none` (only
/// with enough data: the rules judge nothing before).
fn signal(a: &Analysis) -> &'static str {
    match (a.shift, a.few_crossings) {
        (true, true) => "shift and few crossings",
        (true, false) => "shift",
        (false, true) => "few crossings",
        (false, false) => "none",
    }
}

fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.to_string()
}

fn number(v: Option<f64>) -> String {
    v.map(|v| format_number(v, Language::En)).unwrap_or_default()
}

/// One row per goal with a measure definition: the measure, how much data
/// it has, and what the run-chart rules say. No names, addresses, CPSO
/// numbers, plan text or notes (values of a proportion are percentages).
pub fn measures_csv(groups: &[Group]) -> String {
    let mut out = row(&[
        "group_id",
        "phase",
        "goal_id",
        "goal_number",
        "kind",
        "unit",
        "period",
        "direction",
        "baseline",
        "target",
        "target_date",
        "points",
        "periods_with_data",
        "latest_period",
        "latest_value",
        "enough_data",
        "signal",
        "improvement",
    ]
    .map(String::from));
    for g in groups {
        for m in measured_goals(g) {
            out.push_str(&row(&[
                g.id.to_string(),
                g.phase().key().to_string(),
                m.id.to_string(),
                m.n.to_string(),
                m.def.kind.key().to_string(),
                m.def.kind.unit().map(|u| u.to_string()).unwrap_or_default(),
                m.def.period.key().to_string(),
                direction_key(m.def.direction).to_string(),
                number(m.def.baseline),
                number(m.def.target.map(|t| t.0)),
                m.def.target.map(|t| t.1.to_string()).unwrap_or_default(),
                m.points.to_string(),
                m.periods.to_string(),
                m.latest.map(|l| l.0.key()).unwrap_or_default(),
                number(m.latest.map(|l| l.1)),
                yes_no(m.analysis.enough_data),
                signal(&m.analysis).to_string(),
                match m.analysis.improvement {
                    Some(b) => yes_no(b),
                    None => "—".to_string(),
                },
            ]));
        }
    }
    out
}

/// The program's measurement at a glance (counts only).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MeasuresSummary {
    /// Every group stored.
    pub groups: usize,
    /// Groups with at least one goal with a measure definition.
    pub groups_measuring: usize,
    /// Goals with a measure definition.
    pub goals_defined: usize,
    /// Of those, goals with at least one data point.
    pub goals_with_data: usize,
    /// Goals with enough data for the run-chart rules to judge (10 useful points).
    pub goals_with_enough_data: usize,
    /// Goals whose chart signals a change on the better side.
    pub goals_improving: usize,
    /// Goals whose chart signals a change on the worse side.
    pub goals_worsening: usize,
}

pub fn measures_summary(groups: &[Group]) -> MeasuresSummary {
    let mut s = MeasuresSummary { groups: groups.len(), ..MeasuresSummary::default() };
    for g in groups {
        let goals = measured_goals(g);
        s.groups_measuring += usize::from(!goals.is_empty());
        for m in goals {
            s.goals_defined += 1;
            s.goals_with_data += usize::from(m.points > 0);
            s.goals_with_enough_data += usize::from(m.analysis.enough_data);
            s.goals_improving += usize::from(m.analysis.improvement == Some(true));
            s.goals_worsening += usize::from(m.analysis.improvement == Some(false));
        }
    }
    s
}

/// [`measures_summary`] as CSV: `what,count`, one row per count.
pub fn measures_summary_csv(groups: &[Group]) -> String {
    let s = measures_summary(groups);
    let mut out = row(&["what".to_string(), "count".to_string()]);
    for (what, n) in [
        ("groups", s.groups),
        ("groups_measuring", s.groups_measuring),
        ("goals_with_a_measure", s.goals_defined),
        ("goals_with_data", s.goals_with_data),
        ("goals_with_enough_data", s.goals_with_enough_data),
        ("goals_signal_improvement", s.goals_improving),
        ("goals_signal_worsening", s.goals_worsening),
    ] {
        out.push_str(&row(&[what.to_string(), n.to_string()]));
    }
    out
}

pub fn invitations_csv(list: &[Invitation]) -> String {
    let mut out = row(&["cpso", "name", "email", "cycle"].map(String::from));
    for i in list {
        out.push_str(&row(&[
            i.cpso.to_string(),
            i.name.as_ref().map(|n| n.to_string()).unwrap_or_default(),
            i.email.to_string(),
            i.cycle.to_string(),
        ]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::conformance::{complete_draft, formed_group};

    #[test]
    fn cells_are_quoted_and_defused() {
        assert_eq!(cell("plain"), "plain");
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(cell("-1,2"), "\"'-1,2\"");
        assert_eq!(cell("two\nlines"), "\"two\nlines\"");
    }

    #[test]
    fn exports() {
        let (mut g, _) = formed_group("100", &["101"], "2026-01-05T10:00:00Z");
        for m in &mut g.members {
            for a in Activity::ALL {
                m.activities.set(a, Some(chrono::NaiveDate::from_ymd_opt(2026, 2, 1).unwrap()));
            }
        }
        g.pip = crate::domain::PipState::Submitted {
            pip: complete_draft(),
            submitted_on: chrono::NaiveDate::from_ymd_opt(2028, 2, 29).unwrap(),
        };
        let csv = groups_csv(std::slice::from_ref(&g));
        let lines: Vec<&str> = csv.split("\r\n").collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[0].starts_with("group_id,group_name"));
        assert!(lines[1].contains(",8,8,submitted,2028-02-29,2033-02-28,"), "{}", lines[1]);
        assert!(lines[1].contains("\"Group of 100 — \"\"north\"\" & co\""), "{}", lines[1]);
        let csv = members_csv(std::slice::from_ref(&g), &Credits::embedded(), &[]);
        assert_eq!(csv.split("\r\n").count(), 4);
        assert!(csv.contains("member101@example.org"));
        assert!(csv.contains(",34\r\n"));
        assert!(csv.contains(",accepted,101,"), "{csv}");
        assert!(csv.contains("member101@example.org,,"), "no undeliverable mark without a record: {csv}");
        let bounced = Undeliverable {
            address: crate::domain::address_key(&crate::domain::Email::parse("Member101@example.org").unwrap()),
            reason: crate::domain::UndeliverableReason::Bounce,
            at: chrono::Utc::now(),
        };
        let csv = members_csv(std::slice::from_ref(&g), &Credits::embedded(), &[bounced]);
        assert!(csv.contains("member101@example.org,bounce,"), "the address's case does not matter: {csv}");
        let audit = audit_csv(std::slice::from_ref(&g));
        assert!(audit.starts_with("group_id,group_name,at,by,event\r\n"));
        assert!(audit.contains("confirmed the group"), "{audit}");
        assert_eq!(audit.split("\r\n").count(), 5, "header, proposed, confirmed, accepted, and the end: {audit}");
    }
}
