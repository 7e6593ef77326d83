//! Domain values into the JSON documents of the API (see openapi.yaml).
use serde_json::{json, Value};

use crate::app::status::GroupStatus;
use crate::domain::{requirement_met_until, Activities, Activity, GoalDraft, Group, PipDraft, PipState};

pub fn activities(a: &Activities) -> Value {
    let mut m = serde_json::Map::new();
    for act in Activity::ALL {
        let d = a.completed_on(act);
        m.insert(act.key().into(), json!({ "done": d.is_some(), "completed_on": d.map(|d| d.to_string()) }));
    }
    Value::Object(m)
}

fn goal(g: &GoalDraft) -> Value {
    json!({
        "kind": g.kind.map(|k| k.as_str()),
        "aim": g.aim,
        "measure": g.measure,
        "baseline": g.baseline,
        "target": g.target,
        "target_date": g.target_date.map(|d| d.to_string()),
        "change_ideas": g.change_ideas,
    })
}

pub fn draft(state: &str, d: &PipDraft) -> Value {
    json!({
        "state": state,
        "strengths": d.strengths,
        "improvements": d.improvements,
        "goals": d.goals.iter().map(goal).collect::<Vec<_>>(),
        "counting_goals": d.counting_goals(),
    })
}

/// The plan as `GET /api/me/pip` answers: its state, text and, once
/// submitted, the dates.
pub fn pip(p: &PipState) -> Value {
    let empty = PipDraft::default();
    match p {
        PipState::None => draft("none", &empty),
        PipState::Draft { draft: d } => draft("draft", d),
        PipState::Submitted { pip, submitted_on } => {
            let mut v = draft("submitted", pip);
            v["submitted_on"] = json!(submitted_on.to_string());
            v["requirement_met_until"] = json!(requirement_met_until(*submitted_on).to_string());
            v
        }
    }
}

/// The status document of a group (members only).
pub fn group_status(s: &GroupStatus<'_>) -> Value {
    let g = s.group;
    let members: Vec<Value> = s
        .members
        .iter()
        .map(|m| {
            let d = &m.member.member;
            json!({
                "cpso": d.cpso.as_str(),
                "name": d.name.as_str(),
                "role": d.role.as_str(),
                "language": d.language.as_str(),
                "activities": activities(&m.member.activities),
                "credits": m.credits,
            })
        })
        .collect();
    let mut pip = match &g.pip {
        PipState::None => draft("none", &PipDraft::default()),
        PipState::Draft { draft: d } => draft("draft", d),
        PipState::Submitted { pip, .. } => draft("submitted", pip),
    };
    pip["submitted_on"] = json!(s.submitted_on.map(|d| d.to_string()));
    pip["requirement_met_until"] = json!(s.requirement_met_until.map(|d| d.to_string()));
    // Who submitted, by name (from the group's trail).
    pip["submitted_by"] = json!(g.submitted_by().and_then(|e| matches!(e.by, crate::domain::Actor::Member { .. }).then(|| e.by.name())));
    pip["missing"] = json!(s
        .missing
        .iter()
        .map(|(m, a)| json!({ "cpso": m.member.cpso.as_str(), "name": m.member.name.as_str(), "activity": a.key() }))
        .collect::<Vec<_>>());
    json!({
        "group_id": g.id.as_str(),
        "name": g.name.as_str(),
        "practice_setting": g.practice_setting.as_str(),
        "cycle": g.cycle.as_str(),
        "members": members,
        "pip": pip,
    })
}

/// One member as the group's page shows them to a viewer; `show_email`: the
/// viewer is the lead, who typed the addresses.
pub fn member(m: &crate::domain::GroupMember, show_email: bool) -> Value {
    json!({
        "slot": m.slot,
        "name": m.member.name.as_str(),
        "role": m.member.role.as_str(),
        "status": m.status.key(),
        "email": show_email.then(|| m.member.email.as_str()),
        "invitation_expires_at": crate::app::membership::lapses_at(m).map(|t| t.to_rfc3339()),
    })
}

/// The group as JSON for the member `slot`: phase, members (addresses only
/// for the lead), the history. Someone not in the group yet (an invited
/// peer) sees what the invitation page shows: the members who have
/// accepted and themselves, and no history.
pub fn group(g: &Group, slot: u8) -> Value {
    let is_lead = g.lead().is_some_and(|l| l.slot == slot);
    let insider = is_lead || g.member(slot).is_some_and(|m| m.status.is_accepted());
    let members: Vec<Value> =
        g.members.iter().filter(|m| insider || m.status.is_accepted() || m.slot == slot).map(|m| member(m, is_lead)).collect();
    let audit: Vec<Value> = if insider {
        g.audit_trail().iter().map(|e| json!({ "at": e.at.to_rfc3339(), "text": e.describe_in(crate::http::lang::current()) })).collect()
    } else {
        Vec::new()
    };
    json!({
        "group_id": g.id.as_str(),
        "name": g.name.as_str(),
        "practice_setting": g.practice_setting.as_str(),
        "phase": g.phase().key(),
        "proposal_expires_at": g.proposal_expires_at.map(|t| t.to_rfc3339()),
        "me": slot,
        "members": members,
        "audit": audit,
    })
}
