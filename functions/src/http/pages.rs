//! Server-rendered member pages for browsers without JavaScript: the group
//! status (`GET /api/me/status`, `GET /api/groups/{id}` for HTML callers),
//! the group's plan (`GET /api/me/pip`) and the member's activities
//! (`GET /api/me/activities`). This module gathers each page's values from
//! the domain; the markup lives in the templates ([`super::html`]), which
//! share the site's layout and, for the plan, the site's PIP form fields.
use serde_json::{json, Map, Value};

use super::html::{lines, render_or_fallback};
use chrono::{DateTime, Duration, Utc};

use crate::domain::group::MAX_PEERS;
use crate::domain::membership as step;
use crate::domain::pip::MAX_GOALS;
use crate::domain::{
    requirement_met_until, Activity, Credits, GoalDraft, GoalKind, Group, GroupMember, Language, MemberStatus, Phase, PipDraft, PipState,
    Role,
};
use crate::mail::messages::long_date;

pub use super::html::CSP;

/// The breadcrumb trail (as the site's `breadcrumbs` macro reads it): Home,
/// then *My activities* unless this is that page.
fn crumbs(title: &str, url: &str, under_my_activities: bool) -> Value {
    let mut trail = vec![json!({ "url": "/", "title": "Home" })];
    if under_my_activities {
        trail.push(json!({ "url": "/me/", "title": "My activities" }));
    }
    json!({ "crumbs": trail, "crumb_title": title, "crumb_url": url })
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

/// The kind of a goal as the read-only plan names it ("practice improvement").
fn kind_phrase(kind: Option<GoalKind>) -> Option<String> {
    kind.and_then(|k| qi_facts::Facts::label_of(&qi_facts::GOAL_KINDS, k.as_str())).map(str::to_lowercase)
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
                "target_date": g.target_date.map(|d| vec![d.to_string()]).unwrap_or_default(),
                "change_ideas": lines(&g.change_ideas),
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
        "submitted_on": submitted_on.map(|d| d.to_string()),
        "met_until": submitted_on.map(|d| requirement_met_until(d).to_string()),
        "counting_goals": g.pip.draft().map(|d| d.counting_goals()).unwrap_or(0),
    })
}

/// "Dr Ada Lee on 1 December 2026": who submitted the plan, and when.
fn submitted_by(g: &Group) -> Option<String> {
    g.submitted_by().map(|e| format!("{} on {}", e.by.name(), long_date(e.at, Language::En)))
}

/// The group's progress, for members of the group.
pub fn status_page(g: &Group, credits: &Credits) -> String {
    let members: Vec<Value> = g
        .accepted()
        .map(|gm| {
            let days: Vec<String> =
                Activity::ALL.iter().map(|a| gm.activities.completed_on(*a).map(|d| d.to_string()).unwrap_or_default()).collect();
            json!({
                "name": gm.member.name.as_str(),
                "role": gm.member.role.as_str(),
                "completed_on": days,
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
        "plan": g.pip.draft().map(plan_value),
        "submitted_by": submitted_by(g),
    });
    render_or_fallback("member/status.html", "/me/status/", merge(values, crumbs("Group progress", "/api/me/status", true)))
}

/// The draft as the form posts it: field name → text (what the shared PIP
/// fields read as `values`).
fn form_values(d: &PipDraft) -> Value {
    let mut v = Map::new();
    v.insert("strengths".into(), json!(d.strengths));
    v.insert("improvements".into(), json!(d.improvements));
    for (i, goal) in d.goals.iter().enumerate() {
        let GoalDraft { kind, aim, measure, baseline, target, target_date, change_ideas } = goal;
        let n = i + 1;
        let date = target_date.map(|d| d.to_string()).unwrap_or_default();
        for (field, text) in [
            ("kind", kind.map(|k| k.as_str()).unwrap_or_default()),
            ("aim", aim.as_str()),
            ("measure", measure.as_str()),
            ("baseline", baseline.as_str()),
            ("target", target.as_str()),
            ("target_date", date.as_str()),
            ("change_ideas", change_ideas.as_str()),
        ] {
            v.insert(format!("goal_{n}_{field}"), json!(text));
        }
    }
    Value::Object(v)
}

/// The group's PIP for a member without JavaScript (`GET /api/me/pip`): the
/// saved draft in an editable form (every goal row up to [`MAX_GOALS`]), or
/// the submitted plan read-only.
pub fn pip_page(g: &Group, saved: bool, submitted: bool) -> String {
    let flash = match (&g.pip, saved, submitted) {
        (PipState::Submitted { .. }, _, true) => Some("submitted"),
        (PipState::Submitted { .. }, _, false) => None,
        (_, true, _) => Some("saved"),
        _ => None,
    };
    let empty = PipDraft::default();
    let draft = g.pip.draft().unwrap_or(&empty);
    let values = json!({
        "group": { "name": g.name.as_str() },
        "pip": pip_value(g),
        "flash": flash,
        "missing": missing(g),
        "plan": plan_value(draft),
        "values": form_values(draft),
        "goal_rows": MAX_GOALS.max(draft.goals.len()),
        "draft_version": g.draft_version,
    });
    render_or_fallback("member/pip.html", "/me/pip/", merge(values, crumbs("Group PIP", "/api/me/pip", true)))
}

/// The member's own four activities for a browser without JavaScript
/// (`GET /api/me/activities`), each with its check-off form.
pub fn activities_page(g: &Group, slot: u8, saved: Option<Activity>) -> String {
    let Some(gm) = g.member(slot) else {
        tracing::error!(slot, "activities page for a member the group does not have");
        return super::html::fallback_page();
    };
    let activities: Vec<Value> = Activity::ALL
        .iter()
        .map(|a| {
            let day = gm.activities.completed_on(*a).map(|d| d.to_string()).unwrap_or_default();
            json!({ "key": a.key(), "label": a.label(), "completed_on": day })
        })
        .collect();
    let done = Activity::ALL.iter().filter(|a| gm.activities.completed_on(**a).is_some()).count();
    let values = json!({
        "group": { "name": g.name.as_str() },
        "member": { "name": gm.member.name.as_str() },
        "saved": saved.map(|a| a.label()),
        "done": done,
        "activities": activities,
        "locked": !g.is_open() || !gm.status.is_accepted(),
    });
    render_or_fallback("member/activities.html", "/me/", merge(values, crumbs("My activities", "/api/me/activities", false)))
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
            GroupNotice::Removed => "Done: the peer is no longer in the group, and has been told by email.",
            GroupNotice::Dissolved => "The group is dissolved. Its members are free to join another group.",
        }
    }
}

/// The page an emailed link opens (`code`: the valid code, else the
/// "not valid" variant).
pub fn sign_in_page(code: Option<&str>) -> String {
    let values = json!({ "code": code, "invalid": code.is_none(), "title": "Sign in to QI Groups" });
    render_or_fallback("member/sign-in.html", "/me/", merge(values, crumbs("Sign in", "/api/access", false)))
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
    errors: &[crate::domain::FieldError],
    refused: Option<(&crate::http::input::Fields, &str)>,
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
    let (values, summary) = match refused {
        Some((f, message)) => {
            let v: Map<String, Value> =
                ["peer_cpso", "peer_name", "peer_email", "peer_language"].iter().map(|k| (k.to_string(), json!(f.get(k)))).collect();
            (Value::Object(v), Some(message.to_string()))
        }
        None => (json!({}), None),
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
    render_or_fallback("member/group.html", "/me/", merge(values, crumbs("Your group", "/api/me/group", true)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::conformance::{complete_draft, formed_group as sample_group};

    #[test]
    fn status_page_is_accessible_and_escaped() {
        let (mut g, _) = sample_group("100", &["101"], "2026-01-05T10:00:00Z");
        g.members[1].activities.set(Activity::ChartReview, Some(chrono::NaiveDate::from_ymd_opt(2026, 2, 1).unwrap()));
        let mut d = complete_draft();
        d.strengths = "<b>bold</b>\nsecond line".into();
        g.pip = PipState::Draft { draft: d };
        let html = status_page(&g, &Credits::embedded());
        assert!(html.starts_with("<!doctype html>\n<html lang=\"en\">"));
        assert_eq!(html.matches("<h1>").count(), 1);
        assert!(html.contains("<caption>"));
        assert!(html.contains("<th scope=\"col\">QI Survey</th>"));
        assert!(html.contains("<td>Done 2026-02-01</td>"));
        assert!(html.contains("<td>Not done</td>"));
        assert!(html.contains("&lt;b&gt;bold&lt;/b&gt;"));
        assert!(!html.contains("<b>bold"));
        assert!(html.contains("&quot;north&quot;"));
        assert!(html.contains("Still to do"));
        assert!(html.contains("<a href=\"/me/\">"));
        assert!(html.contains("<p>second line</p>"));
        assert!(html.contains("Goal 1 (practice improvement): aim"), "{html}");
        assert!(html.contains("<a href=\"/me/\" aria-current=\"true\">My activities</a>"));
    }

    #[test]
    fn pip_page_fills_the_shared_form_fields_with_the_draft() {
        let (mut g, _) = sample_group("100", &["101"], "2026-01-05T10:00:00Z");
        let mut d = complete_draft();
        d.goals[0].measure = "a \"b\" <c>".into();
        g.pip = PipState::Draft { draft: d };
        let html = pip_page(&g, true, false);
        assert!(html.contains("<form class=\"qi-form\" method=\"post\" action=\"/api/me/pip\">"), "{html}");
        assert!(html.contains(&format!(
            "name=\"goal_1_measure\" maxlength=\"{}\" value=\"a &quot;b&quot; &lt;c&gt;\"",
            qi_facts::limits::GOAL_FIELD
        )));
        assert!(html.contains("name=\"goal_1_kind\" value=\"practice\" checked>"));
        assert!(html.contains("<legend>Goal <span data-qi-n>10</span></legend>") && !html.contains("goal_11_"));
        assert!(html.contains("role=\"status\">Your group's draft has been saved."));
        assert!(html.contains("of the 2 needed"));
    }

    #[test]
    fn activities_page_lists_the_four_activities() {
        let (mut g, _) = sample_group("100", &["101"], "2026-01-05T10:00:00Z");
        g.members[1].activities.set(Activity::QiSurvey, Some(chrono::NaiveDate::from_ymd_opt(2026, 2, 1).unwrap()));
        let html = activities_page(&g, 1, Some(Activity::QiSurvey));
        assert!(html.contains("1 of 4 done."));
        assert!(html.contains("Saved: QI Survey."));
        assert!(html.contains("name=\"completed_on\" value=\"2026-02-01\""));
        assert_eq!(html.matches("action=\"/api/me/activities\"").count(), 4);
        assert!(html.contains("<a href=\"/me/\" aria-current=\"page\">My activities</a>"));
    }
}
