//! One function per endpoint. Each returns a response or an [`ApiError`];
//! `handle_routes` renders errors for the caller.
use std::collections::BTreeSet;

use bytes::Bytes;
use http::StatusCode;
use serde_json::{json, Value};

use super::input::{access_code, query, read_fields, Fields, Wants};
use super::respond::{access_cookie, json, no_content, see_other, with_cookie, ApiError, Resp};
use super::{App, Route};
use crate::domain::*;
#[cfg(feature = "outbox")]
use crate::mail::OutboxMailer;
use crate::mail::{personal_link_mail, OutgoingMail};
use crate::store::{ConflictKind, StoreError};

type Req = http::Request<Bytes>;
type Res = Result<Resp, ApiError>;

pub async fn dispatch(app: &App, req: &Req, route: Route, id: Option<&str>, wants: Wants) -> Res {
    let m = req.method().as_str();
    match route {
        Route::Groups => sign_up(app, req, wants).await,
        Route::Group | Route::MeStatus => status(app, req, id, wants).await,
        Route::MeActivities if m == "GET" => activities_page(app, req, wants).await,
        Route::Activities | Route::MeActivities => check_off(app, req, id, wants).await,
        Route::MePip if m == "GET" => pip_page(app, req, wants).await,
        Route::Pip | Route::MePip => save_pip(app, req, id, wants, m == "PUT").await,
        Route::PipSubmit | Route::MePipSubmit => {
            let fields = read_fields(req)?;
            submit_pip(app, req, id, wants, fields).await
        }
        Route::Me => me(app, req).await,
        Route::Access if m == "GET" => access_get(app, req, wants).await,
        Route::Access => access_post(app, req, wants).await,
        Route::Logout => logout(app, wants),
        Route::Coaching => coaching(app, req, wants).await,
        Route::Outbox => outbox(app),
    }
}

// ------------------------------------------------------------------ helpers --

fn unauthorized() -> ApiError {
    ApiError::Unauthorized("Open your personal link from your sign-up email to continue (it is not valid or is missing)".into())
}

/// The caller's group and member index, from their access code.
async fn authenticate(app: &App, req: &Req, fields: Option<&Fields>) -> Result<(Group, usize), ApiError> {
    let code = access_code(req, fields).map_err(|_| unauthorized())?.ok_or_else(unauthorized)?;
    let group = match app.store.get_group(code.group()).await {
        Ok(g) => g,
        Err(StoreError::NotFound) => return Err(unauthorized()),
        Err(e) => return Err(e.into()),
    };
    let idx = group.authenticate(&code).ok_or_else(unauthorized)?;
    Ok((group, idx))
}

/// A path `{id}` must be the caller's own group.
fn require_own_group(path_id: Option<&str>, group: &Group) -> Result<(), ApiError> {
    match path_id {
        Some(id) if id != group.id.as_str() => {
            Err(ApiError::Forbidden("Your personal link is for another group: you can only see and change your own group".into()))
        }
        _ => Ok(()),
    }
}

fn field<T>(errors: &mut Vec<FieldError>, name: &str, r: Result<T, Invalid>) -> Option<T> {
    match r {
        Ok(v) => Some(v),
        Err(e) => {
            errors.push(FieldError::new(name, e.0));
            None
        }
    }
}

fn activities_json(a: &Activities) -> Value {
    let mut m = serde_json::Map::new();
    for act in Activity::ALL {
        let d = a.completed_on(act);
        m.insert(act.key().into(), json!({ "done": d.is_some(), "completed_on": d.map(|d| d.to_string()) }));
    }
    Value::Object(m)
}

fn goal_json(g: &GoalDraft) -> Value {
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

fn draft_json(state: &str, d: &PipDraft) -> Value {
    json!({
        "state": state,
        "strengths": d.strengths,
        "improvements": d.improvements,
        "goals": d.goals.iter().map(goal_json).collect::<Vec<_>>(),
        "counting_goals": d.counting_goals(),
    })
}

fn member_name(g: &Group, cpso: &Cpso) -> String {
    g.member_by_cpso(cpso).map(|m| m.member.name.to_string()).unwrap_or_default()
}

/// The status document of a group (members only).
pub fn group_json(app: &App, g: &Group) -> Value {
    let members: Vec<Value> = g
        .members
        .iter()
        .map(|m| {
            json!({
                "cpso": m.member.cpso.as_str(),
                "name": m.member.name.as_str(),
                "role": m.member.role.as_str(),
                "language": m.member.language.as_str(),
                "activities": activities_json(&m.activities),
                "credits": app.credits.for_member(&m.activities, &g.pip),
            })
        })
        .collect();
    let empty = PipDraft::default();
    let (state, draft) = match &g.pip {
        PipState::None => ("none", &empty),
        PipState::Draft { draft } => ("draft", draft),
        PipState::Submitted { pip, .. } => ("submitted", pip),
    };
    let mut pip = draft_json(state, draft);
    let submitted_on = g.pip.submitted_on();
    pip["submitted_on"] = json!(submitted_on.map(|d| d.to_string()));
    pip["requirement_met_until"] = json!(submitted_on.map(|d| requirement_met_until(d).to_string()));
    pip["missing"] = json!(g
        .missing_activities()
        .iter()
        .map(|(c, a)| json!({ "cpso": c.as_str(), "name": member_name(g, c), "activity": a.key() }))
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

// ------------------------------------------------------------------ sign-up --

fn person(f: &Fields, prefix: &str, errors: &mut Vec<FieldError>) -> Option<PersonDetails> {
    let k = |s: &str| format!("{prefix}{s}");
    let cpso = field(errors, &k("cpso"), Cpso::parse(f.get(&k("cpso"))));
    let name = field(errors, &k("name"), PersonName::parse(f.get(&k("name"))));
    let email = field(errors, &k("email"), Email::parse(f.get(&k("email"))));
    let language = field(errors, &k("language"), Language::parse(f.get(&k("language"))));
    Some(PersonDetails { cpso: cpso?, name: name?, email: email?, language: language? })
}

/// The peer row numbers present in the fields (any `peer_N_*` key).
fn row_numbers(f: &Fields, noun: &str) -> Result<Vec<usize>, ApiError> {
    let mut rows = BTreeSet::new();
    for key in f.keys() {
        if let Some(rest) = key.strip_prefix(noun).and_then(|r| r.strip_prefix('_')) {
            if let Some((n, _)) = rest.split_once('_') {
                if let Ok(n) = n.parse::<usize>() {
                    if n == 0 || n > 50 {
                        return Err(ApiError::validation(
                            format!("Unexpected field {key}"),
                            vec![FieldError::new(key.clone(), "Rows are numbered from 1")],
                        ));
                    }
                    rows.insert(n);
                }
            }
        }
    }
    Ok(rows.into_iter().collect())
}

async fn sign_up(app: &App, req: &Req, wants: Wants) -> Res {
    let f = read_fields(req)?;
    if !f.get("website").trim().is_empty() {
        return Err(ApiError::validation("This form could not be accepted", vec![FieldError::new("website", "Leave this field empty")]));
    }
    let mut errors = Vec::new();
    let name = field(&mut errors, "group_name", GroupName::parse(f.get("group_name")));
    let setting = field(&mut errors, "practice_setting", PracticeSetting::parse(f.get("practice_setting")));
    let lead = person(&f, "lead_", &mut errors);
    let mut peers = Vec::new();
    let mut peer_fields = Vec::new();
    for n in row_numbers(&f, "peer")? {
        let p = format!("peer_{n}_");
        let blank = ["cpso", "name", "email"].iter().all(|k| f.get(&format!("{p}{k}")).trim().is_empty());
        if blank {
            continue;
        }
        if let Some(d) = person(&f, &p, &mut errors) {
            peers.push((n, d));
            peer_fields.push(format!("{p}cpso"));
        }
    }
    let mut signup = None;
    if let (Some(name), Some(setting), Some(lead)) = (name, setting, lead.clone()) {
        let peer_errors_before = errors.iter().any(|e| e.field.starts_with("peer_"));
        match SignUp::new(name, setting, lead, peers.clone()) {
            Ok(s) => signup = Some(s),
            // "Add a peer" is noise when a peer row was entered but has errors.
            Err(es) => errors.extend(es.into_iter().filter(|e| !(peer_errors_before && e.field == "peer_1_cpso" && peers.is_empty()))),
        }
    } else if peers.is_empty() && !errors.iter().any(|e| e.field.starts_with("peer_")) {
        errors.push(FieldError::new("peer_1_cpso", "Add at least one peer: a group is a lead and 1 to 6 peers"));
    }
    let not_invited = || {
        FieldError::new(
            "lead_cpso",
            format!(
                "This CPSO number is not on the QI Program's invitation list for the {} cycle: only an invited physician can form a group (peers need not be invited)",
                app.config.cycle
            ),
        )
    };
    // A valid form is checked against the invitation list inside the
    // sign-up write (one round trip to DynamoDB); a form with other errors
    // is checked here too, so the answer lists every problem at once.
    if !errors.is_empty() || signup.is_none() {
        if let Ok(lead_cpso) = Cpso::parse(f.get("lead_cpso")) {
            if !app.store.is_invited(&app.config.cycle, &lead_cpso).await? {
                errors.push(not_invited());
            }
        }
    }
    if !errors.is_empty() || signup.is_none() {
        return Err(ApiError::validation("Some answers need correcting; nothing was saved", errors));
    }
    let signup = signup.expect("checked");
    let lead_name = signup.lead.name.to_string();
    let fields_by_member: Vec<String> = std::iter::once("lead_cpso".to_string()).chain(peer_fields).collect();
    let (group, codes) = signup.into_group(app.config.cycle.clone(), app.clock.now());
    match app.store.create_group_if_invited(&group).await {
        Ok(()) => {}
        Err(StoreError::Conflict(ConflictKind::LeadNotInvited)) => {
            return Err(ApiError::validation("Some answers need correcting; nothing was saved", vec![not_invited()]));
        }
        Err(StoreError::Conflict(ConflictKind::MembersInOpenGroup(cpsos))) => {
            let fields = group
                .members
                .iter()
                .zip(&fields_by_member)
                .filter(|(m, _)| cpsos.contains(&m.member.cpso))
                .map(|(m, f)| {
                    let who = if m.member.role == Role::Lead { "You are" } else { "This physician is" };
                    FieldError::new(f.clone(), format!("{who} already in an open QI group: a physician can be in only one group at a time"))
                })
                .collect();
            return Err(ApiError::conflict("Someone named on this form is already in an open QI group; nothing was saved", fields));
        }
        Err(e) => return Err(e.into()),
    }
    let base = &app.config.public_base_url;
    let link = |c: &AccessCode| format!("{base}/api/access?code={}", c.expose());
    // The group is stored; a failed email must not undo it. Log only the kind.
    for (m, code) in group.members.iter().zip(&codes) {
        let mail = personal_link_mail(
            &m.member.name,
            &m.member.email,
            m.member.language,
            m.member.role,
            group.name.as_str(),
            &lead_name,
            &link(code),
        );
        if let Err(e) = app.mailer.send(&mail).await {
            tracing::warn!(kind = e.kind.as_str(), role = m.member.role.as_str(), "personal link email not sent");
        }
    }
    let lead_code = codes[0].expose();
    let cookie = access_cookie(Some(&lead_code), app.config.secure_cookies());
    let resp = match wants {
        Wants::Json => json(
            StatusCode::CREATED,
            &json!({
                "group_id": group.id.as_str(),
                "lead_link": link(&codes[0]),
                "status_url": format!("/api/groups/{}", group.id),
            }),
        ),
        Wants::Html => see_other("/groups/sign-up/done/"),
    };
    Ok(with_cookie(resp, &cookie))
}

// ---------------------------------------------------------------- check-off --

fn parse_done(s: &str) -> Result<bool, Invalid> {
    match s.trim().to_ascii_lowercase().as_str() {
        "" | "true" | "on" | "1" | "yes" => Ok(true),
        "false" | "off" | "0" | "no" => Ok(false),
        _ => Err(Invalid::new("Say true (done) or false (not done)")),
    }
}

async fn check_off(app: &App, req: &Req, id: Option<&str>, wants: Wants) -> Res {
    let f = read_fields(req)?;
    let (group, idx) = authenticate(app, req, Some(&f)).await?;
    require_own_group(id, &group)?;
    let me = &group.members[idx].member;
    if f.has("cpso") && Cpso::parse(f.get("cpso")).ok().as_ref() != Some(&me.cpso) {
        return Err(ApiError::Forbidden("You can check off only your own activities".into()));
    }
    let mut errors = Vec::new();
    let activity = field(&mut errors, "activity", Activity::parse(f.get("activity")));
    let done = field(&mut errors, "done", parse_done(f.get("done")));
    let mut completed_on = None;
    if done == Some(true) {
        let today = app.clock.today();
        completed_on = if f.get("completed_on").trim().is_empty() {
            errors.push(FieldError::new("completed_on", "Enter the date you completed this activity, like 2026-03-31"));
            None
        } else {
            field(&mut errors, "completed_on", values::parse_date(f.get("completed_on")).and_then(|d| check_completion_date(d, today)))
        };
    }
    if !errors.is_empty() {
        return Err(ApiError::validation("The activity could not be saved", errors));
    }
    let activity = activity.expect("checked");
    let acts = match app.store.set_activity(&group.id, &me.cpso, activity, completed_on).await {
        Ok(a) => a,
        Err(StoreError::Conflict(ConflictKind::PipSubmitted)) => {
            return Err(ApiError::conflict(
                "Your group's Practice Improvement Plan has been submitted, so activities can no longer be changed",
                vec![FieldError::new("activity", "Activities are locked once the plan is submitted")],
            ))
        }
        Err(StoreError::NotFound) => return Err(unauthorized()),
        Err(e) => return Err(e.into()),
    };
    match wants {
        Wants::Json => Ok(json(
            StatusCode::OK,
            &json!({
                "cpso": me.cpso.as_str(),
                "activities": activities_json(&acts),
                "credits": app.credits.for_member(&acts, &group.pip),
            }),
        )),
        Wants::Html if from_page(&f) => Ok(see_other(&format!("/api/me/activities?saved={}", activity.key()))),
        Wants::Html => Ok(see_other(&format!("/me/?saved={}", activity.key()))),
    }
}

// ---------------------------------------------------------------------- PIP --

fn has_pip_fields(f: &Fields) -> bool {
    f.keys().any(|k| k == "strengths" || k == "improvements" || k.starts_with("goal_"))
}

fn parse_draft(f: &Fields) -> Result<PipDraft, ApiError> {
    let mut goals = Vec::new();
    for n in row_numbers(f, "goal")? {
        let g = |k: &str| f.get(&format!("goal_{n}_{k}")).to_string();
        goals.push((
            n,
            GoalInput {
                kind: g("kind"),
                aim: g("aim"),
                measure: g("measure"),
                baseline: g("baseline"),
                target: g("target"),
                target_date: g("target_date"),
                change_ideas: g("change_ideas"),
            },
        ));
    }
    PipDraft::parse(f.get("strengths"), f.get("improvements"), goals)
        .map_err(|e| ApiError::validation("The plan could not be saved; nothing was changed", e))
}

fn pip_locked() -> ApiError {
    ApiError::conflict(
        "Your group's Practice Improvement Plan has already been submitted; a group submits one plan",
        vec![FieldError::new("strengths", "The plan was already submitted")],
    )
}

async fn save_pip(app: &App, req: &Req, id: Option<&str>, wants: Wants, is_put: bool) -> Res {
    let f = read_fields(req)?;
    match (is_put, f.get("action").trim()) {
        (false, "submit") => return submit_pip(app, req, id, wants, f).await,
        (_, "" | "save") => {}
        _ => return Err(ApiError::validation("Unknown action", vec![FieldError::new("action", "Choose save or submit")])),
    }
    let (group, _) = authenticate(app, req, Some(&f)).await?;
    require_own_group(id, &group)?;
    let draft = parse_draft(&f)?;
    match app.store.save_pip_draft(&group.id, &draft).await {
        Ok(()) => {}
        Err(StoreError::Conflict(ConflictKind::PipSubmitted)) => return Err(pip_locked()),
        Err(e) => return Err(e.into()),
    }
    match wants {
        Wants::Json => Ok(json(StatusCode::OK, &draft_json("draft", &draft))),
        Wants::Html if from_page(&f) => Ok(see_other("/api/me/pip?saved=1")),
        Wants::Html => Ok(see_other("/me/pip/saved/")),
    }
}

async fn submit_pip(app: &App, req: &Req, id: Option<&str>, wants: Wants, f: Fields) -> Res {
    let (group, _) = authenticate(app, req, Some(&f)).await?;
    require_own_group(id, &group)?;
    if group.pip.is_submitted() {
        return Err(pip_locked());
    }
    let draft = if has_pip_fields(&f) {
        parse_draft(&f)?
    } else {
        match group.pip.draft() {
            Some(d) => d.clone(),
            None => {
                return Err(ApiError::validation(
                    "There is no saved plan to submit yet",
                    vec![FieldError::new("strengths", "Write and save your group's plan first")],
                ))
            }
        }
    };
    Pip::from_draft(&draft).map_err(|e| ApiError::validation("The plan is not ready to submit; nothing was saved", e))?;
    let today = app.clock.today();
    match app.store.submit_pip_of(&group, &draft, today).await {
        Ok(()) => {}
        Err(StoreError::Conflict(ConflictKind::PipSubmitted)) => return Err(pip_locked()),
        Err(StoreError::Conflict(ConflictKind::ActivitiesIncomplete(missing))) => {
            let fields = missing
                .iter()
                .map(|(c, a)| {
                    FieldError::new("activities", format!("{} (CPSO {}) has not completed the {}", member_name(&group, c), c, a.label()))
                })
                .collect();
            let list: Vec<Value> =
                missing.iter().map(|(c, a)| json!({ "cpso": c.as_str(), "name": member_name(&group, c), "activity": a.key() })).collect();
            return Err(ApiError::Conflict {
                message: "Every member must complete all four activities before the plan is submitted; nothing was saved".into(),
                fields,
                extra: Some(json!({ "missing": list })),
            });
        }
        Err(e) => return Err(e.into()),
    }
    match wants {
        Wants::Json => Ok(json(
            StatusCode::OK,
            &json!({
                "submitted_on": today.to_string(),
                "requirement_met_until": requirement_met_until(today).to_string(),
            }),
        )),
        Wants::Html if from_page(&f) => Ok(see_other("/api/me/pip?submitted=1")),
        Wants::Html => Ok(see_other("/me/pip/submitted/")),
    }
}

// ------------------------------------------------------------- status & me --

async fn status(app: &App, req: &Req, id: Option<&str>, wants: Wants) -> Res {
    let (group, _) = authenticate(app, req, None).await?;
    require_own_group(id, &group)?;
    match wants {
        Wants::Json => Ok(json(StatusCode::OK, &group_json(app, &group))),
        Wants::Html => Ok(html_page(super::pages::status_page(&group, &app.credits))),
    }
}

/// A plain form post from one of the server-rendered pages below (hidden
/// field `from=page`): the answer goes back to that page.
fn from_page(f: &Fields) -> bool {
    f.get("from") == "page"
}

fn html_page(body: String) -> Resp {
    http::Response::builder()
        .status(StatusCode::OK)
        .header(http::header::CONTENT_TYPE, "text/html; charset=utf-8")
        .header("content-security-policy", super::pages::CSP)
        .body(Bytes::from(body))
        .expect("valid response")
}

/// `GET /api/me/pip`: the group's plan as JSON, or for a browser the PIP form
/// prefilled with the saved draft (read-only once submitted).
async fn pip_page(app: &App, req: &Req, wants: Wants) -> Res {
    let (group, _) = authenticate(app, req, None).await?;
    match wants {
        Wants::Json => {
            let empty = PipDraft::default();
            let body = match &group.pip {
                PipState::None => draft_json("none", &empty),
                PipState::Draft { draft } => draft_json("draft", draft),
                PipState::Submitted { pip, submitted_on } => {
                    let mut v = draft_json("submitted", pip);
                    v["submitted_on"] = json!(submitted_on.to_string());
                    v["requirement_met_until"] = json!(requirement_met_until(*submitted_on).to_string());
                    v
                }
            };
            Ok(json(StatusCode::OK, &body))
        }
        Wants::Html => {
            let q = query(req);
            let flag = |k: &str| q.get(k).is_some_and(|v| v == "1");
            Ok(html_page(super::pages::pip_page(&group, flag("saved"), flag("submitted"))))
        }
    }
}

/// `GET /api/me/activities`: the caller's own activities as JSON, or for a
/// browser the check-off page showing what is done.
async fn activities_page(app: &App, req: &Req, wants: Wants) -> Res {
    let (group, idx) = authenticate(app, req, None).await?;
    let me = &group.members[idx];
    match wants {
        Wants::Json => Ok(json(
            StatusCode::OK,
            &json!({
                "cpso": me.member.cpso.as_str(),
                "activities": activities_json(&me.activities),
                "credits": app.credits.for_member(&me.activities, &group.pip),
            }),
        )),
        Wants::Html => {
            let saved = query(req).get("saved").and_then(|k| Activity::parse(k).ok());
            Ok(html_page(super::pages::activities_page(&group, idx, saved)))
        }
    }
}

async fn me(app: &App, req: &Req) -> Res {
    let (group, idx) = authenticate(app, req, None).await?;
    let m = &group.members[idx].member;
    Ok(json(
        StatusCode::OK,
        &json!({
            "group_id": group.id.as_str(),
            "member": { "cpso": m.cpso.as_str(), "name": m.name.as_str(), "role": m.role.as_str(), "language": m.language.as_str() },
        }),
    ))
}

// ------------------------------------------------------------------- access --

async fn valid_code(app: &App, raw: &str) -> Result<Option<AccessCode>, ApiError> {
    let Some(code) = AccessCode::parse(raw) else { return Ok(None) };
    match app.store.get_group(code.group()).await {
        Ok(g) => Ok(g.authenticate(&code).map(|_| code)),
        Err(StoreError::NotFound) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

fn signed_in(app: &App, code: &AccessCode, wants: Wants) -> Resp {
    let cookie = access_cookie(Some(&code.expose()), app.config.secure_cookies());
    let r = match wants {
        Wants::Json => json(StatusCode::OK, &json!({ "group_id": code.group().as_str() })),
        Wants::Html => see_other("/me/"),
    };
    with_cookie(r, &cookie)
}

async fn access_get(app: &App, req: &Req, wants: Wants) -> Res {
    let q = query(req);
    let raw = q.get("code").map(String::as_str).unwrap_or("");
    match valid_code(app, raw).await? {
        Some(code) => Ok(signed_in(app, &code, wants)),
        None => {
            Err(ApiError::Unauthorized("This personal link is not valid. Check that you copied the whole link from your email.".into()))
        }
    }
}

async fn access_post(app: &App, req: &Req, wants: Wants) -> Res {
    let f = read_fields(req)?;
    let raw = f.get("code").trim().to_string();
    if raw.is_empty() {
        return Err(ApiError::validation(
            "Enter your access code",
            vec![FieldError::new("code", "Paste the access code from your personal link")],
        ));
    }
    match valid_code(app, &raw).await? {
        Some(code) => Ok(signed_in(app, &code, wants)),
        None => Err(ApiError::Unauthorized("This access code is not valid. Check that you copied all of it.".into())),
    }
}

fn logout(app: &App, wants: Wants) -> Res {
    let cookie = access_cookie(None, app.config.secure_cookies());
    let r = match wants {
        Wants::Json => no_content(),
        Wants::Html => see_other("/"),
    };
    Ok(with_cookie(r, &cookie))
}

// ----------------------------------------------------------------- coaching --

async fn coaching(app: &App, req: &Req, wants: Wants) -> Res {
    let f = read_fields(req)?;
    let (group, idx) = authenticate(app, req, Some(&f)).await?;
    let mut errors = Vec::new();
    let topic = field(&mut errors, "topic", CoachingTopic::parse(f.get("topic")));
    let message = field(&mut errors, "message", CoachingMessage::parse(f.get("message")));
    let (Some(topic), Some(message)) = (topic, message) else {
        return Err(ApiError::validation("Your question could not be sent", errors));
    };
    let r = CoachingRequest::new(group.id.clone(), group.members[idx].member.cpso.clone(), topic, message, app.clock.now());
    app.store.add_coaching_request(&r).await?;
    if let Some(inbox) = &app.config.coaching_inbox {
        let m = &group.members[idx].member;
        let mail = OutgoingMail {
            to_name: PersonName::parse("QI Coaches").expect("valid name"),
            to: inbox.clone(),
            subject: format!("QI coaching request: {} ({})", topic.key(), r.id),
            body: format!(
                "A QI coaching request.\n\nGroup: {} ({})\nFrom: {} (CPSO {}, {}, prefers {})\nTopic: {}\nRequest id: {}\n\n{}\n",
                group.name,
                group.id,
                m.name,
                m.cpso,
                m.email,
                m.language.as_str(),
                topic.key(),
                r.id,
                r.message.as_str()
            ),
            link: None,
            role: None,
        };
        // The request is stored; staff also see it in `qi admin export --what coaching`.
        if let Err(e) = app.mailer.send(&mail).await {
            tracing::warn!(kind = e.kind.as_str(), "coaching notification email not sent");
        }
    }
    match wants {
        Wants::Json => Ok(json(StatusCode::CREATED, &json!({ "id": r.id }))),
        Wants::Html => Ok(see_other("/support/ask/done/")),
    }
}

// ------------------------------------------------------------------- outbox --

fn outbox(app: &App) -> Res {
    let Some(dir) = &app.config.outbox_dir else {
        return Err(ApiError::NotFound("There is nothing at this address".into()));
    };
    // Only a build with the dev outbox can list it (the Lambdas have none).
    #[cfg(feature = "outbox")]
    return Ok(json(StatusCode::OK, &OutboxMailer::list(dir).map_err(|_| ApiError::Internal)?));
    #[cfg(not(feature = "outbox"))]
    return {
        let _ = dir;
        Err(ApiError::NotFound("There is nothing at this address".into()))
    };
}
