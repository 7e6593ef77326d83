//! `PUT|POST /api/groups/{id}/pip`, `…/pip/submit`, `GET|PUT|POST /api/me/pip`,
//! `/api/me/pip/submit`: the group's plan.
use http::StatusCode;
use serde_json::{json, Value};

use super::{caller_in, html_page, Req, Res};
use crate::app::pip::{self, SaveError, SubmitError};
use crate::app::App;
use crate::domain::FieldError;
use crate::http::decode::{from_page, has_pip_fields, pip_draft};
use crate::http::encode;
use crate::http::error::ApiError;
use crate::http::forms::Refused;
use crate::http::input::{query, read_fields, Fields, Wants};
use crate::http::pages::PipFlash;
use crate::http::respond::{json, see_other};

fn pip_locked() -> ApiError {
    ApiError::conflict(
        "Your group's Practice Improvement Plan has already been submitted; a group submits one plan",
        vec![FieldError::new("strengths", "The plan was already submitted")],
    )
}

pub async fn save(app: &App, req: &Req, id: Option<&str>, wants: Wants, is_put: bool) -> Res {
    let f = read_fields(req)?;
    let r = save_fields(app, req, id, wants, is_put, f.clone()).await;
    on_page(app, req, wants, f, r).await
}

/// The plan page's form, refused: the page again, with what was typed kept
/// and each message beside its field. When the plan changed under the
/// member, the page shows the latest saved plan instead, so that nobody
/// overwrites another member's work unseen.
async fn on_page(app: &App, req: &Req, wants: Wants, f: Fields, r: Res) -> Res {
    let e = match r {
        Err(e) if wants == Wants::Html && from_page(&f) && keeps_answers(&e) => e,
        r => return r,
    };
    let caller = super::member(app, req, None).await?;
    let fields = if is_plan_changed(&e) { Fields::default() } else { f };
    let refused = Refused::new(fields, &e);
    let mut r = html_page(crate::http::pages::pip_page(&caller.group, caller.slot, None, &app.credits, Some(&refused)));
    *r.status_mut() = e.status();
    Ok(r)
}

fn keeps_answers(e: &ApiError) -> bool {
    matches!(e, ApiError::Validation { .. } | ApiError::Conflict { .. } | ApiError::Unavailable { .. })
}

const PLAN_CHANGED: &str =
    "The plan changed since you opened it: another member saved it. Review the plan, then submit again; nothing was submitted";

fn is_plan_changed(e: &ApiError) -> bool {
    matches!(e, ApiError::Conflict { message, .. } if message == PLAN_CHANGED)
}

async fn save_fields(app: &App, req: &Req, id: Option<&str>, wants: Wants, is_put: bool, f: Fields) -> Res {
    match (is_put, f.get("action").trim()) {
        (false, "submit") => return submit_fields(app, req, id, wants, f).await,
        (_, "" | "save") => {}
        _ => return Err(ApiError::validation("Unknown action", vec![FieldError::new("action", "Choose save or submit")])),
    }
    let caller = caller_in(app, req, Some(&f), id).await?;
    let draft = pip_draft(&f)?;
    let version = pip::save_draft(app, &caller, &draft).await.map_err(|e| match e {
        SaveError::PlanSubmitted => pip_locked(),
        SaveError::Failed(f) => f.into(),
    })?;
    match wants {
        Wants::Json => {
            let mut body = encode::draft("draft", &draft);
            body["draft_version"] = json!(version);
            Ok(json(StatusCode::OK, &body))
        }
        Wants::Html => Ok(see_other("/api/me/pip?saved=1")),
    }
}

pub async fn submit(app: &App, req: &Req, id: Option<&str>, wants: Wants) -> Res {
    let f = read_fields(req)?;
    let r = submit_fields(app, req, id, wants, f.clone()).await;
    on_page(app, req, wants, f, r).await
}

async fn submit_fields(app: &App, req: &Req, id: Option<&str>, wants: Wants, f: Fields) -> Res {
    let caller = caller_in(app, req, Some(&f), id).await?;
    if caller.group.pip.is_submitted() {
        return Err(pip_locked());
    }
    let draft = if has_pip_fields(&f) { Some(pip_draft(&f)?) } else { None };
    // The draft version the member's page showed, if the form says.
    let seen = match f.get("draft_version").trim() {
        "" => None,
        v => Some(v.parse::<u64>().map_err(|_| {
            ApiError::validation("The form is damaged", vec![FieldError::new("draft_version", "Reload the page and submit again")])
        })?),
    };
    let done = pip::submit(app, &caller, draft, seen).await.map_err(|e| match e {
        SubmitError::AlreadySubmitted => pip_locked(),
        SubmitError::NothingToSubmit => ApiError::validation(
            "There is no saved plan to submit yet",
            vec![FieldError::new("strengths", "Write and save your group's plan first")],
        ),
        SubmitError::Incomplete(fields) => ApiError::validation("The plan is not ready to submit; nothing was saved", fields),
        SubmitError::ActivitiesIncomplete(missing) => {
            let g = &caller.group;
            let fields = missing
                .iter()
                .map(|(c, a)| FieldError::new("activities", format!("{} (CPSO {}) has not completed the {}", g.name_of(c), c, a.label())))
                .collect();
            let list: Vec<Value> =
                missing.iter().map(|(c, a)| json!({ "cpso": c.as_str(), "name": g.name_of(c), "activity": a.key() })).collect();
            ApiError::Conflict {
                message: "Every member must complete all four activities before the plan is submitted; nothing was saved".into(),
                fields,
                extra: Some(json!({ "missing": list })),
            }
        }
        SubmitError::NotFormed => ApiError::conflict(
            "The group is not formed yet: at least one peer must accept their invitation before the plan can be submitted",
            vec![],
        ),
        SubmitError::PlanChanged => ApiError::conflict(PLAN_CHANGED, vec![]),
        SubmitError::TargetDatePassed(fields) => {
            ApiError::validation("A goal's target date must be after the submission date; nothing was submitted", fields)
        }
        SubmitError::Failed(f) => f.into(),
    })?;
    match wants {
        Wants::Json => Ok(json(
            StatusCode::OK,
            &json!({
                "submitted_on": done.submitted_on.to_string(),
                "requirement_met_until": done.requirement_met_until.to_string(),
            }),
        )),
        Wants::Html => Ok(see_other("/api/me/pip?submitted=1")),
    }
}

/// `GET /api/me/pip`: the group's plan as JSON, or for a browser the PIP form
/// prefilled with the saved draft (read-only once submitted).
pub async fn page(app: &App, req: &Req, wants: Wants) -> Res {
    let caller = super::member(app, req, None).await?;
    match wants {
        Wants::Json => {
            let mut body = encode::pip(&caller.group.pip);
            body["draft_version"] = json!(caller.group.draft_version);
            Ok(json(StatusCode::OK, &body))
        }
        Wants::Html => {
            let q = query(req);
            let flag = |k: &str| q.get(k).is_some_and(|v| v == "1");
            let flash = if flag("submitted") {
                Some(PipFlash::Submitted)
            } else if flag("saved") {
                Some(PipFlash::Saved)
            } else {
                None
            };
            Ok(html_page(crate::http::pages::pip_page(&caller.group, caller.slot, flash, &app.credits, None)))
        }
    }
}
