//! The member area, rendered on the server for every browser: the task
//! list (`GET /api/me`), the member's activities (`GET /api/me/activities`),
//! the group's plan (`GET /api/me/pip`), its progress (`GET /api/me/status`,
//! `GET /api/groups/{id}` for a browser), the group page (`GET
//! /api/me/group`), the sign-in page an emailed link opens, and the page a
//! member page shows without a session. This module gathers each page's
//! values from the domain; the markup lives in the templates
//! ([`super::html`]), which share the site's layout. Forms refused by the
//! server come back as the same page with the answers kept
//! ([`super::forms`] for the site's own forms).
use serde_json::{json, Map, Value};

use super::forms::{error_list, Refused};
use super::html::{lines, render_or_fallback};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};

use crate::domain::group::MAX_PEERS;
use crate::domain::membership as step;
use crate::domain::pip::MAX_GOALS;
use crate::domain::{
    long_day, requirement_met_until, Activity, Credits, GoalDraft, GoalKind, Group, GroupMember, Language, MemberStatus, Phase, PipDraft,
    PipState, Role,
};
use crate::mail::messages::long_date;

pub use super::html::CSP;

/// "1 December 2026": the one way the pages write a date.
fn day(d: NaiveDate) -> String {
    long_day(d, Language::En)
}

/// The member area's pages, as its navigation lists them (url, label). A
/// member who has not joined yet (a proposal to review, an invitation to
/// answer) or whose group is dissolved has only the task list and the
/// group page: the others show the work of a group they are not working in.
const AREA: [(&str, &str); 6] = [
    ("/api/me", "Tasks"),
    ("/api/me/activities", "My activities"),
    ("/api/me/pip", "Group plan"),
    ("/api/me/measures", "Measures"),
    ("/api/me/status", "Group progress"),
    ("/api/me/group", "Members"),
];

/// Whether the member works in the group (sees its activities and plan).
fn works_in(g: &Group, gm: &GroupMember) -> bool {
    gm.status.is_accepted() && matches!(g.phase(), Phase::Confirmed | Phase::Formed | Phase::Submitted)
}

/// What every member page's layout shows: the member area's navigation
/// (`current` marked) and who is signed in.
fn area(g: &Group, slot: u8, current: &str) -> Value {
    let working = g.member(slot).is_some_and(|gm| works_in(g, gm));
    let nav: Vec<Value> = AREA
        .iter()
        .filter(|(url, _)| working || matches!(*url, "/api/me" | "/api/me/group"))
        .map(|(url, label)| json!({ "url": url, "label": label, "current": *url == current }))
        .collect();
    let name = g.member(slot).map(|m| m.member.name.as_str()).unwrap_or_default();
    json!({ "member_nav": nav, "signed_in_as": name })
}

/// The breadcrumb trail (as the site's `breadcrumbs` macro reads it) of a
/// page outside the member area: Home, then the page.
fn crumbs(title: &str, url: &str) -> Value {
    json!({ "crumbs": [{ "url": "/", "title": "Home" }], "crumb_title": title, "crumb_url": url })
}

/// The task of measuring the plan's goals: how many have a measure and data.
fn measure_task(g: &Group) -> Value {
    let goals = g.pip.draft().map(|d| d.goals.as_slice()).unwrap_or_default();
    let measured: Vec<_> = g.pip.draft().map(|d| d.measured().map(|(_, goal, _)| goal).collect()).unwrap_or_default();
    let with_data = measured.iter().filter(|goal| g.points_of(goal.id).next().is_some()).count();
    let (hint, t) = match (measured.len(), with_data) {
        (0, _) => {
            ("Define each goal’s measure in the plan, then record a data point every period.".to_string(), tag("todo", "Not started"))
        }
        (m, 0) => (format!("{m} of {} goals have a measure; no data is recorded yet.", goals.len()), tag("progress", "In progress")),
        (m, d) => (format!("{m} of {} goals have a measure; {d} have data.", goals.len()), tag("progress", "In progress")),
    };
    json!({ "label": "Measure the goals", "url": "/api/me/measures", "hint": hint, "tag": t })
}

/// After submission: record last period's data, if a measured goal lacks
/// the member's point for it.
fn record_next(g: &Group, me: &GroupMember, today: NaiveDate) -> Option<Value> {
    let (goal, period) = g.pip.draft()?.measured().find_map(|(_, goal, d)| {
        let last =
            crate::domain::measure::PeriodId::of(d.period, crate::domain::measure::PeriodId::of(d.period, today).start().pred_opt()?);
        me.point(goal.id, last).is_none().then_some((goal, last))
    })?;
    Some(json!({
        "text": format!("Record your data for {} for your goals.", period.label(Language::En)),
        "url": format!("/api/me/goals/{}", goal.id),
        "link": "Record your data",
    }))
}

/// `values` with the member area's navigation (`current` marked) and who is signed in.
pub fn with_area(values: Value, g: &Group, slot: u8, current: &str) -> Value {
    merge(values, area(g, slot, current))
}

fn merge(mut a: Value, b: Value) -> Value {
    if let (Value::Object(a), Value::Object(b)) = (&mut a, b) {
        a.extend(b);
    }
    a
}

/// Who has not finished which activity, by name.
fn missing(g: &Group) -> Vec<Value> {
    g.missing_activities()
        .into_iter()
        .map(|(c, a)| {
            let name = g.member_by_cpso(&c).map(|x| x.member.name.to_string()).unwrap_or_default();
            json!({ "name": name, "activity": a.label() })
        })
        .collect()
}

/// The kind of a goal as the read-only plan names it ("Practice improvement").
fn kind_phrase(kind: Option<GoalKind>) -> Option<&'static str> {
    kind.and_then(|k| qi_facts::Facts::label_of(&qi_facts::GOAL_KINDS, k.as_str()))
}

/// A saved or submitted plan for the read-only view.
fn plan_value(d: &PipDraft) -> Value {
    let goals: Vec<Value> = d
        .goals
        .iter()
        .map(|g| {
            json!({
                "kind": kind_phrase(g.kind),
                "aim": lines(&g.aim),
                "measure": lines(&g.measure),
                "baseline": lines(&g.baseline),
                "target": lines(&g.target),
                "target_date": g.target_date.map(|d| vec![day(d)]).unwrap_or_default(),
                "change_ideas": lines(&g.change_ideas),
                "tracked": g.definition.as_ref().map(|def| {
                    let how = format!(
                        "{}, {} from {}{}; {} is better",
                        def.kind.label(),
                        match def.period { crate::domain::measure::Period::Month => "monthly", crate::domain::measure::Period::Week => "weekly" },
                        def.source.label().to_lowercase(),
                        if def.sampling.is_empty() { String::new() } else { format!(" ({})", def.sampling) },
                        match def.direction { crate::domain::runchart::Direction::HigherIsBetter => "higher", crate::domain::runchart::Direction::LowerIsBetter => "lower" },
                    );
                    json!({ "how": how, "url": format!("/api/me/goals/{}", g.id) })
                }),
            })
        })
        .collect();
    json!({ "strengths": lines(&d.strengths), "improvements": lines(&d.improvements), "goals": goals })
}

/// What the plan's state is, in the words and dates the pages show.
fn pip_value(g: &Group) -> Value {
    let (state, submitted_on) = match &g.pip {
        PipState::None => ("none", None),
        PipState::Draft { .. } => ("draft", None),
        PipState::Submitted { submitted_on, .. } => ("submitted", Some(*submitted_on)),
    };
    json!({
        "state": state,
        "submitted_on": submitted_on.map(day),
        "met_until": submitted_on.map(|d| day(requirement_met_until(d))),
        "counting_goals": g.pip.draft().map(|d| d.counting_goals()).unwrap_or(0),
    })
}

/// "Dr Ada Lee on 1 December 2026": who submitted the plan, and when.
fn submitted_by(g: &Group) -> Option<String> {
    g.submitted_by().map(|e| format!("{} on {}", e.by.name(), long_date(e.at, Language::En)))
}

/// What the member area says of each activity, and where its guidance is.
fn activity_guide(a: Activity) -> (&'static str, &'static str) {
    match a {
        Activity::QiSurvey => ("Questions about your practice setting: where and how you work. About 30 minutes.", "/activities/qi-survey/"),
        Activity::PracticeProfile => (
            "A self-assessment of the evidence-based risk and support factors in your practice. 45 to 60 minutes.",
            "/activities/practice-profile/",
        ),
        Activity::ChartReview => (
            "A review of some of your charts against the documentation expectations for medical records, followed by a conversation with a trusted peer. About 2 hours.",
            "/activities/chart-review/",
        ),
        Activity::DataDrivenQi => {
            ("A review of your practice-level data to find opportunities for improvement. Time depends on your data.", "/activities/data-driven-qi/")
        }
    }
}

/// How many goals of the saved draft count, against the minimum.
fn goals_hint(counting: usize) -> String {
    let needed = qi_facts::limits::MIN_COUNTING_GOALS;
    match counting {
        0 => format!("No goals yet: at least {needed} that count are needed."),
        n if n < needed => format!("{n} of the {needed} goals needed so far."),
        n => format!("{n} goals that count (at least {needed} are needed)."),
    }
}

/// A tag's kind and words.
fn tag(kind: &str, text: &str) -> Value {
    json!({ "kind": kind, "text": text })
}

/// The member area's first page (`GET /api/me`): what is done and what is
/// next, for the member and for the group.
pub fn tasks_page(g: &Group, slot: u8, today: NaiveDate) -> String {
    let Some(me) = g.member(slot) else {
        tracing::error!(slot, "task list for a member the group does not have");
        return super::html::fallback_page();
    };
    let phase = g.phase();
    let is_lead = me.member.role == Role::Lead;
    let pending = match (phase, &me.status) {
        (Phase::Dissolved, _) => Some("dissolved"),
        (Phase::Proposed, _) if is_lead => Some("review"),
        (_, MemberStatus::Invited { .. }) => Some("respond"),
        (_, MemberStatus::Accepted { .. }) => None,
        _ => Some("respond"),
    };
    let mut sections = Vec::new();
    let next = match pending {
        Some("review") => {
            let expires =
                g.proposal_expires_at.map(|t| format!("If you do not confirm it by {}, it is deleted.", long_date(t, Language::En)));
            sections.push(json!({ "title": "Your group", "summary": null, "tasks": [{
                "label": "Review and confirm the proposal", "url": "/api/me/group",
                "hint": format!("Check the peers’ names and addresses, then confirm to invite them. {}", expires.unwrap_or_default()),
                "tag": tag("action", "Action needed"),
            }]}));
            Some(
                json!({ "text": "Review your group’s proposal, then confirm it to invite your peers.", "url": "/api/me/group", "link": "Review the proposal" }),
            )
        }
        Some("respond") => {
            let by = crate::app::membership::lapses_at(me).map(|t| format!("Answer by {}.", long_date(t, Language::En)));
            sections.push(json!({ "title": "Your invitation", "summary": null, "tasks": [{
                "label": "Accept or decline the invitation", "url": "/api/me/group",
                "hint": by, "tag": tag("action", "Action needed"),
            }]}));
            Some(
                json!({ "text": "Read what joining means, then accept or decline the invitation.", "url": "/api/me/group", "link": "Respond to your invitation" }),
            )
        }
        Some(_) => {
            Some(json!({ "text": "The group’s history shows what happened.", "url": "/api/me/group", "link": "See the group’s history" }))
        }
        None => {
            let locked = !g.is_open();
            let done = Activity::ALL.iter().filter(|a| me.activities.completed_on(**a).is_some()).count();
            let mine: Vec<Value> = Activity::ALL
                .iter()
                .map(|a| {
                    let on = me.activities.completed_on(*a);
                    json!({
                        "label": a.label(),
                        "url": format!("/api/me/activities#activity-{}", a.key()),
                        "hint": on.map(|d| format!("Finished on {}", day(d))),
                        "tag": if on.is_some() { tag("done", "Done") } else { tag("todo", "Not started") },
                    })
                })
                .collect();
            sections.push(json!({
                "title": "Your activities",
                "summary": format!("You have completed {done} of {} activities.", Activity::ALL.len()),
                "tasks": mine,
            }));
            let accepted = g.accepted().count();
            let invited = g.members.iter().filter(|m| matches!(m.status, MemberStatus::Invited { .. })).count();
            let total = accepted * Activity::ALL.len();
            let group_done: usize =
                g.accepted().map(|m| Activity::ALL.iter().filter(|a| m.activities.completed_on(**a).is_some()).count()).sum();
            let formed = matches!(phase, Phase::Formed | Phase::Submitted);
            let members_hint = match (accepted, invited) {
                (n, 0) => format!("{n} members have joined."),
                (n, i) => format!("{n} members have joined; {i} invitation{} not answered yet.", if i == 1 { " is" } else { "s are" }),
            };
            let counting = g.pip.draft().map(|d| d.counting_goals()).unwrap_or(0);
            let ready = g.ready_to_submit().is_ok();
            let plan_tag = match &g.pip {
                PipState::Submitted { .. } => tag("done", "Done"),
                PipState::Draft { draft } if crate::domain::Pip::from_draft(draft).is_ok() => tag("done", "Done"),
                PipState::Draft { .. } => tag("progress", "In progress"),
                PipState::None => tag("todo", "Not started"),
            };
            let submit_tag = match (&g.pip, ready) {
                (PipState::Submitted { .. }, _) => tag("done", "Done"),
                (_, true) => tag("action", "Ready to submit"),
                _ => tag("locked", "Cannot submit yet"),
            };
            let tasks = vec![
                json!({ "label": "Members join the group", "url": "/api/me/group", "hint": members_hint,
                        "tag": if formed { tag("done", "Done") } else { tag("progress", "Waiting for a peer") } }),
                json!({ "label": "Everyone finishes their activities", "url": "/api/me/status",
                        "hint": format!("{group_done} of {total} activities done across the group."),
                        "tag": if total > 0 && group_done == total { tag("done", "Done") } else if group_done > 0 { tag("progress", "In progress") } else { tag("todo", "Not started") } }),
                json!({ "label": "Write the group’s plan", "url": "/api/me/pip",
                        "hint": goals_hint(counting), "tag": plan_tag }),
                json!({ "label": "Submit the plan", "url": if locked { "/api/me/pip" } else { "/api/me/pip#submit" },
                        "hint": "Once every member has finished and the plan has enough goals. It then meets every member’s requirement for five years.",
                        "tag": submit_tag }),
                measure_task(g),
            ];
            sections.push(json!({ "title": "Your group", "summary": null, "tasks": tasks }));
            match (&g.pip, done < Activity::ALL.len()) {
                (PipState::Submitted { .. }, _) => record_next(g, me, today),
                (_, true) => {
                    let a = Activity::ALL.iter().find(|a| me.activities.completed_on(**a).is_none()).copied().unwrap_or(Activity::QiSurvey);
                    Some(
                        json!({ "text": format!("Do the {} and check it off.", a.label()), "url": format!("/api/me/activities#activity-{}", a.key()), "link": format!("Go to the {}", a.label()) }),
                    )
                }
                (_, false) if ready => Some(
                    json!({ "text": "Everything is ready: any member can submit the plan.", "url": "/api/me/pip#submit", "link": "Submit the plan" }),
                ),
                (_, false) if !formed => Some(
                    json!({ "text": "Your activities are done. The group is formed once a peer accepts an invitation.", "url": "/api/me/group", "link": "See who has answered" }),
                ),
                (_, false) if g.missing_activities().is_empty() => Some(
                    json!({ "text": "Every member has finished: write the plan’s goals together.", "url": "/api/me/pip", "link": "Work on the plan" }),
                ),
                (_, false) => Some(
                    json!({ "text": "Your activities are done. While the others finish theirs, start the group’s plan.", "url": "/api/me/pip", "link": "Work on the plan" }),
                ),
            }
        }
    };
    let values = json!({
        "group": { "name": g.name.as_str() },
        "me": { "name": me.member.name.as_str(), "role": me.member.role.as_str() },
        "pending": pending,
        "next": next,
        "met_until": match &g.pip { PipState::Submitted { submitted_on, .. } if me.status.is_accepted() => Some(day(requirement_met_until(*submitted_on))), _ => None },
        "sections": sections,
    });
    render_or_fallback("member/tasks.html", "/me/", merge(values, area(g, slot, "/api/me")))
}

/// A member page opened without a session (or with one that ended).
pub fn signed_out_page(ended: bool) -> String {
    render_or_fallback("member/signed-out.html", "/me/", json!({ "ended": ended }))
}

/// The group's progress, for members of the group.
pub fn status_page(g: &Group, slot: u8, credits: &Credits) -> String {
    let members: Vec<Value> = g
        .accepted()
        .map(|gm| {
            let activities: Vec<Value> =
                Activity::ALL.iter().map(|a| json!({ "label": a.label(), "done_on": gm.activities.completed_on(*a).map(day) })).collect();
            json!({
                "name": gm.member.name.as_str(),
                "role": gm.member.role.as_str(),
                "activities": activities,
                "credits": credits.for_member(&gm.activities, &g.pip).total,
            })
        })
        .collect();
    let values = json!({
        "group": { "name": g.name.as_str() },
        "activity_labels": Activity::ALL.map(|a| a.label()),
        "members": members,
        "pip": pip_value(g),
        "missing": missing(g),
        "submitted_by": submitted_by(g),
        "goals": super::goals::summaries(g),
        "submitted": g.pip.is_submitted(),
    });
    render_or_fallback("member/status.html", "/me/", merge(values, area(g, slot, "/api/me/status")))
}

/// `2026-03-31` → the three date fields' values (`NAME-day`, …).
fn date_fields(v: &mut Map<String, Value>, name: &str, d: Option<NaiveDate>) {
    let (dd, mm, yy) = d.map(|d| (d.day().to_string(), d.month().to_string(), d.year().to_string())).unwrap_or_default();
    v.insert(format!("{name}-day"), json!(dd));
    v.insert(format!("{name}-month"), json!(mm));
    v.insert(format!("{name}-year"), json!(yy));
}

/// The draft as the form posts it: field name → text (what the shared PIP
/// fields read as `values`).
fn form_values(d: &PipDraft) -> Value {
    let mut v = Map::new();
    v.insert("strengths".into(), json!(d.strengths));
    v.insert("improvements".into(), json!(d.improvements));
    for (i, goal) in d.goals.iter().enumerate() {
        let GoalDraft { id, kind, aim, measure, baseline, target, target_date, change_ideas, definition } = goal;
        let n = i + 1;
        v.insert(format!("goal_{n}_id"), json!(if *id > 0 { id.to_string() } else { String::new() }));
        for (field, text) in definition.iter().flat_map(|d| d.form_fields()) {
            v.insert(format!("goal_{n}_{field}"), json!(text));
        }
        for (field, text) in [
            ("kind", kind.map(|k| k.as_str()).unwrap_or_default()),
            ("aim", aim.as_str()),
            ("measure", measure.as_str()),
            ("baseline", baseline.as_str()),
            ("target", target.as_str()),
            ("change_ideas", change_ideas.as_str()),
        ] {
            v.insert(format!("goal_{n}_{field}"), json!(text));
        }
        date_fields(&mut v, &format!("goal_{n}_target_date"), *target_date);
    }
    Value::Object(v)
}

/// After a post to the plan page: what the page says at its top.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PipFlash {
    Saved,
    Submitted,
}

/// The group's PIP (`GET /api/me/pip`): the saved draft in an editable form
/// (every goal row up to [`MAX_GOALS`]), or the submitted plan read-only
/// with the member's credits; `refused`: the form as it was sent, with the
/// server's errors.
pub fn pip_page(g: &Group, slot: u8, flash: Option<PipFlash>, credits: &Credits, refused: Option<&Refused>) -> String {
    let flash = match (&g.pip, flash) {
        (PipState::Submitted { .. }, Some(PipFlash::Submitted)) => Some("submitted"),
        (PipState::Submitted { .. }, _) => None,
        (_, Some(PipFlash::Saved)) => Some("saved"),
        _ => None,
    };
    let empty = PipDraft::default();
    let draft = g.pip.draft().unwrap_or(&empty);
    let mine = g.member(slot).map(|gm| credits.for_member(&gm.activities, &g.pip));
    let mut values = json!({
        "group": { "name": g.name.as_str() },
        "pip": pip_value(g),
        "flash": flash,
        "missing": missing(g),
        "plan": plan_value(draft),
        "values": form_values(draft),
        "goal_rows": MAX_GOALS.max(draft.goals.len()),
        "draft_version": g.draft_version,
        "submitted_by": submitted_by(g),
        "credits": {
            "program": credits.program,
            "maximum": credits.maximum,
            "max_goals": credits.max_goals,
            "total": mine.as_ref().map(|c| c.total).unwrap_or(0),
            "items": mine.as_ref().map(|c| c.items.iter().map(|i| json!({ "label": i.label, "credits": i.credits })).collect::<Vec<_>>()).unwrap_or_default(),
        },
    });
    if let Some(r) = refused {
        let mut shown = r.values(|f| Some(super::forms::default_href(f)));
        if !r.fields.present {
            // Nothing typed to keep (the plan changed under the member): the saved draft stays.
            shown.as_object_mut().map(|o| o.remove("values"));
        }
        values = merge(values, shown);
    }
    render_or_fallback("member/pip.html", "/me/", merge(values, area(g, slot, "/api/me/pip")))
}

/// The member's own four activities (`GET /api/me/activities`), each with
/// its check-off form. `saved`: the activity just saved and whether it was
/// marked done; `refused`: the one form the server refused, as it was sent.
pub fn activities_page(g: &Group, slot: u8, saved: Option<(Activity, bool)>, refused: Option<(Activity, &Refused)>) -> String {
    let Some(gm) = g.member(slot) else {
        tracing::error!(slot, "activities page for a member the group does not have");
        return super::html::fallback_page();
    };
    let activities: Vec<Value> = Activity::ALL
        .iter()
        .map(|a| {
            let on = gm.activities.completed_on(*a);
            let mut v = Map::new();
            date_fields(&mut v, "d", on);
            let (what, guide) = activity_guide(*a);
            let mut error = None;
            if let Some((r_activity, r)) = refused {
                if r_activity == *a {
                    for part in ["day", "month", "year"] {
                        v.insert(format!("d-{part}"), json!(r.fields.get(&format!("completed_on-{part}"))));
                    }
                    error = r.errors.iter().find(|e| e.field != "activity").map(|e| e.message.clone()).or_else(|| Some(r.message.clone()));
                }
            }
            json!({
                "key": a.key(), "label": a.label(), "what": what, "guide": guide,
                "done_on": on.map(day),
                "day": v["d-day"], "month": v["d-month"], "year": v["d-year"],
                "error": error,
            })
        })
        .collect();
    let error_list: Vec<Value> = refused
        .map(|(a, r)| {
            let message = r.errors.iter().find(|e| e.field != "activity").map(|e| e.message.as_str()).unwrap_or(&r.message);
            vec![json!({ "href": format!("#completed_on-{}-day", a.key()), "message": format!("{}: {message}", a.label()) })]
        })
        .unwrap_or_default();
    let done = Activity::ALL.iter().filter(|a| gm.activities.completed_on(**a).is_some()).count();
    let values = json!({
        "group": { "name": g.name.as_str() },
        "saved": saved.map(|(a, done)| json!({ "label": a.label(), "done": done })),
        "done": done,
        "activities": activities,
        "error_list": error_list,
        "example_date": "27 3 2026",
        "locked": !g.is_open() || !gm.status.is_accepted(),
    });
    render_or_fallback("member/activities.html", "/me/", merge(values, area(g, slot, "/api/me/activities")))
}

/// The success notice a group page shows after a change (`?done=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupNotice {
    Confirmed,
    Accepted,
    Invited,
    Removed,
    Dissolved,
}

impl GroupNotice {
    pub fn key(self) -> &'static str {
        match self {
            GroupNotice::Confirmed => "confirmed",
            GroupNotice::Accepted => "accepted",
            GroupNotice::Invited => "invited",
            GroupNotice::Removed => "removed",
            GroupNotice::Dissolved => "dissolved",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [GroupNotice::Confirmed, GroupNotice::Accepted, GroupNotice::Invited, GroupNotice::Removed, GroupNotice::Dissolved]
            .into_iter()
            .find(|n| n.key() == s)
    }
    fn sentence(self) -> &'static str {
        match self {
            GroupNotice::Confirmed => "You confirmed the group. Each peer has been emailed an invitation to accept or decline.",
            GroupNotice::Accepted => "You have joined the group. You can now check off your four activities.",
            GroupNotice::Invited => "The invitation has been sent.",
            GroupNotice::Removed => "The peer is no longer in the group, and has been told by email.",
            GroupNotice::Dissolved => "The group is dissolved. Its members are free to join another group.",
        }
    }
}

/// The page an emailed link opens (`code`: the valid code, else the
/// "not valid" variant).
pub fn sign_in_page(code: Option<&str>) -> String {
    let values = json!({ "code": code, "invalid": code.is_none(), "title": "Sign in to QI Groups" });
    render_or_fallback("member/sign-in.html", "/me/", merge(values, crumbs("Sign in", "/api/access")))
}

fn status_label(m: &GroupMember) -> String {
    match m.status {
        MemberStatus::Proposed => "Proposed: not invited yet".to_string(),
        MemberStatus::Invited { expires_at } => format!("Invitation sent, open until {}", long_date(expires_at, Language::En)),
        MemberStatus::Accepted { .. } => "Accepted".to_string(),
    }
}

fn phase_label(p: Phase) -> &'static str {
    match p {
        Phase::Proposed => "Proposed: waiting for the lead to confirm",
        Phase::Confirmed => "Confirmed: waiting for a peer to accept",
        Phase::Formed => "Formed",
        Phase::Submitted => "Plan submitted",
        Phase::Dissolved => "Dissolved",
    }
}

/// The member's group page (`GET /api/me/group`): the proposal to review,
/// the invitation to answer, or the members, changes and history. `errors`
/// and `refused` (the posted fields and the summary message): the invite
/// form coming back with its answers. `in_other_group`: the viewer already
/// holds another open group's lock (a lead cannot confirm then).
pub fn group_page(
    g: &Group,
    slot: u8,
    notice: Option<GroupNotice>,
    refused: Option<&Refused>,
    in_other_group: bool,
    now: DateTime<Utc>,
) -> String {
    let Some(me) = g.member(slot) else {
        tracing::error!(slot, "group page for a member the group does not have");
        return super::html::fallback_page();
    };
    let phase = g.phase();
    let is_lead = me.member.role == Role::Lead;
    let members: Vec<Value> = g
        .members
        .iter()
        .map(|m| {
            let mut v = super::encode::member(m, is_lead);
            v["status_label"] = json!(status_label(m));
            v["is_me"] = json!(m.slot == slot);
            v
        })
        .collect();
    let audit: Vec<Value> =
        g.audit_trail().iter().map(|e| json!({ "date": long_date(e.at, Language::En), "text": e.describe() })).collect();
    // What the viewer may do is what the domain's own steps would allow now.
    let can = json!({
        "confirm": step::confirm(g, slot, now, Duration::days(1)).is_ok() && !in_other_group,
        "discard": step::discard(g, slot).is_ok(),
        "accept": step::accept(g, slot, now).is_ok(),
        "decline": step::decline(g, slot, now).is_ok(),
        "invite": step::may_invite(g, slot).is_ok(),
        // Withdrawing and removing are offered once the group is confirmed.
        "remove": is_lead && matches!(phase, Phase::Confirmed | Phase::Formed),
        "leave": step::leave(g, slot, now).is_ok(),
        "dissolve": step::dissolve(g, Some(slot), now).is_ok(),
    });
    let invite_fields = ["peer_cpso", "peer_name", "peer_email", "peer_language"];
    let (values, summary, errors) = match refused {
        Some(r) => {
            let v: Map<String, Value> = invite_fields.iter().map(|k| (k.to_string(), json!(r.fields.get(k)))).collect();
            let errors = error_list(&r.errors, |f| invite_fields.contains(&f).then(|| format!("#{f}")));
            (Value::Object(v), Some(r.message.clone()), errors)
        }
        None => (json!({}), None, vec![]),
    };
    let values = json!({
        "group": {
            "name": g.name.as_str(),
            "practice_setting": g.practice_setting.as_str(),
            "cycle": g.cycle.as_str(),
            "phase": phase.key(),
            "phase_label": phase_label(phase),
        },
        "proposal_expires": g.proposal_expires_at.map(|t| long_date(t, Language::En)),
        "me": {
            "slot": slot,
            "name": me.member.name.as_str(),
            "role": me.member.role.as_str(),
            "status": me.status.key(),
            "invitation_expires": crate::app::membership::lapses_at(me).map(|t| long_date(t, Language::En)),
        },
        "lead_name": g.lead().map(|l| l.member.name.as_str()),
        "members": members,
        "can": can,
        "peer_count": g.peer_count(),
        "max_peers": MAX_PEERS,
        "audit": audit,
        "submitted_by": submitted_by(g),
        "notice": notice.map(GroupNotice::sentence),
        "errors": errors,
        "error_summary": summary,
        "values": values,
    });
    render_or_fallback("member/group.html", "/me/", merge(values, area(g, slot, "/api/me/group")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::conformance::{complete_draft, formed_group as sample_group};

    fn feb(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 2, d).unwrap()
    }

    #[test]
    fn status_page_uses_tags_and_long_dates_and_escapes() {
        let (mut g, _) = sample_group("100", &["101"], "2026-01-05T10:00:00Z");
        g.members[1].activities.set(Activity::ChartReview, Some(feb(1)));
        let mut d = complete_draft();
        d.strengths = "<b>bold</b>".into();
        g.pip = PipState::Draft { draft: d };
        let html = status_page(&g, 1, &Credits::embedded());
        assert!(html.starts_with("<!doctype html>\n<html lang=\"en\">"));
        assert_eq!(html.matches("<h1>").count(), 1);
        assert!(html.contains("<caption>"));
        assert!(html.contains("<th scope=\"col\">QI Survey</th>"));
        assert!(html.contains("<td data-label=\"Self-Guided Chart Review\"><strong class=\"qi-tag qi-tag--done\">Done</strong> <span class=\"qi-date\">1 February 2026</span></td>"), "{html}");
        assert!(html.contains("<strong class=\"qi-tag qi-tag--todo\">Not started</strong>"));
        assert!(!html.contains("2026-02-01"), "one date style");
        assert!(html.contains("Still to do"));
        assert!(html.contains("<a href=\"/api/me/status\" aria-current=\"page\">Group progress</a>"), "the member area's navigation");
        assert!(!html.contains("In this section"));
    }

    #[test]
    fn pip_page_fills_the_shared_form_fields_with_the_draft() {
        let (mut g, _) = sample_group("100", &["101"], "2026-01-05T10:00:00Z");
        let mut d = complete_draft();
        d.goals[0].measure = "a \"b\" <c>".into();
        d.goals[0].target_date = Some(NaiveDate::from_ymd_opt(2027, 6, 30).unwrap());
        g.pip = PipState::Draft { draft: d };
        let html = pip_page(&g, 1, Some(PipFlash::Saved), &Credits::embedded(), None);
        assert!(html.contains("<form class=\"qi-form\" id=\"pip-form\" method=\"post\" action=\"/api/me/pip\""), "{html}");
        assert!(html.contains(&format!(
            "name=\"goal_1_measure\" maxlength=\"{}\" value=\"a &quot;b&quot; &lt;c&gt;\"",
            qi_facts::limits::GOAL_FIELD
        )));
        assert!(html.contains("name=\"goal_1_kind\" value=\"practice\" checked>"));
        assert!(
            html.contains("name=\"goal_1_target_date-day\" inputmode=\"numeric\" autocomplete=\"off\" maxlength=\"2\" value=\"30\""),
            "{html}"
        );
        assert!(html.contains("name=\"goal_1_target_date-year\" inputmode=\"numeric\" autocomplete=\"off\" maxlength=\"4\" value=\"2027\""));
        assert!(html.contains("<legend>Goal <span data-qi-n>10</span></legend>") && !html.contains("goal_11_"));
        assert!(html.contains("qi-notification--success"));
        assert!(html.contains("of the 2 needed"));
    }

    #[test]
    fn a_submitted_plan_is_read_only_with_its_date_and_credits_by_goal() {
        let (mut g, _) = sample_group("100", &["101"], "2026-01-05T10:00:00Z");
        for a in Activity::ALL {
            g.members[0].activities.set(a, Some(feb(1)));
        }
        let d = complete_draft();
        let aim = d.goals[0].aim.clone();
        g.pip = PipState::Submitted { pip: d, submitted_on: NaiveDate::from_ymd_opt(2026, 3, 2).unwrap() };
        let html = pip_page(&g, 0, Some(PipFlash::Submitted), &Credits::embedded(), None);
        assert!(html.contains("<h1 class=\"qi-panel__title\">Plan submitted</h1>"), "{html}");
        assert!(html.contains("2 March 2031"), "requirement met until, five years on");
        assert!(!html.contains("<form class=\"qi-form\" id=\"pip-form\""), "read-only");
        assert!(!html.contains("Before your group can submit"));
        assert!(html.contains(&format!("<td>Goal 1: {aim}")), "{html}");
        assert!(!html.contains("<td>QI Survey</td>"), "work that earns no credits is not listed");
    }

    #[test]
    fn activities_page_lists_the_four_activities_with_tags() {
        let (mut g, _) = sample_group("100", &["101"], "2026-01-05T10:00:00Z");
        g.members[1].activities.set(Activity::QiSurvey, Some(feb(1)));
        let html = activities_page(&g, 1, Some((Activity::QiSurvey, true)), None);
        assert!(html.contains("You have completed 1 of 4 activities."));
        assert!(html.contains("QI Survey is marked as done."));
        assert!(html.contains("You finished it on 1 February 2026."));
        assert!(html.contains("id=\"completed_on-qi_survey-day\" name=\"completed_on-day\" inputmode=\"numeric\" autocomplete=\"off\" maxlength=\"2\" value=\"1\""), "{html}");
        assert_eq!(html.matches("action=\"/api/me/activities\"").count(), 4);
        assert!(html.contains("<a href=\"/api/me/activities\" aria-current=\"page\">My activities</a>"));
    }

    #[test]
    fn a_refused_check_off_keeps_the_answer_beside_its_field() {
        let (g, _) = sample_group("100", &["101"], "2026-01-05T10:00:00Z");
        let mut f = crate::http::input::Fields::default();
        for (k, v) in [("activity", "chart_review"), ("completed_on-day", "31"), ("completed_on-month", "2"), ("completed_on-year", "2026")]
        {
            f.insert(k, v);
        }
        let e = crate::http::error::ApiError::validation(
            "x",
            vec![crate::domain::FieldError::new("completed_on", "Enter a real date, with the day, month and year")],
        );
        let r = Refused::new(f, &e);
        let html = activities_page(&g, 1, None, Some((Activity::ChartReview, &r)));
        assert!(html.contains("<title>Error: My activities"));
        assert!(html.contains("href=\"#completed_on-chart_review-day\">Self-Guided Chart Review: Enter a real date"), "{html}");
        assert!(html.contains("id=\"completed_on-chart_review-error\""));
        assert!(html.contains(
            "name=\"completed_on-day\" inputmode=\"numeric\" autocomplete=\"off\" maxlength=\"2\" value=\"31\" aria-invalid=\"true\""
        ));
    }

    #[test]
    fn the_task_list_says_what_is_done_and_what_is_next() {
        let (mut g, _) = sample_group("100", &["101"], "2026-01-05T10:00:00Z");
        g.members[1].activities.set(Activity::QiSurvey, Some(feb(1)));
        let html = tasks_page(&g, 1, feb(2));
        assert!(html.contains("You have completed 1 of 4 activities."));
        assert!(html.contains("Do the Practice Profile and check it off."), "{html}");
        assert!(html.contains("qi-task-list"));
        assert!(html.contains("<a href=\"/api/me\" aria-current=\"page\">Tasks</a>"));
        assert!(html.contains("Sign out"));
        assert!(!html.contains("Sign-in code"), "no code entry once signed in");
    }

    #[test]
    fn the_signed_out_page_offers_only_what_works() {
        let html = signed_out_page(false);
        assert!(html.contains("Sign in to see your group"));
        assert!(html.contains("href=\"/me/new-link/\""));
        assert!(!html.contains("<form class=\"qi-form\""), "no form that cannot work");
    }
}
