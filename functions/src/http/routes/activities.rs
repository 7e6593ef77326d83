//! `POST /api/groups/{id}/activities`, `GET|POST /api/me/activities`: check-offs.
use http::StatusCode;
use serde_json::json;

use super::{caller, caller_in, html_page, Req, Res};
use crate::app::activities::{self, CheckOff, CheckOffError};
use crate::app::status::my_credits;
use crate::app::App;
use crate::domain::{Activity, Cpso, FieldError};
use crate::http::decode::{completion_date, done, field, from_page};
use crate::http::encode;
use crate::http::error::ApiError;
use crate::http::input::{query, read_fields, Wants};
use crate::http::respond::{json, see_other};

pub async fn check_off(app: &App, req: &Req, id: Option<&str>, wants: Wants) -> Res {
    let f = read_fields(req)?;
    let caller = caller_in(app, req, Some(&f), id).await?;
    // A `cpso` that is not even a CPSO number cannot be the caller's.
    let for_member = match f.has("cpso").then(|| Cpso::parse(f.get("cpso"))) {
        None => None,
        Some(Ok(c)) => Some(c),
        Some(Err(_)) => return Err(not_your_own()),
    };
    let mut errors = Vec::new();
    let activity = field(&mut errors, "activity", Activity::parse(f.get("activity")));
    let completed_on = match field(&mut errors, "done", done(f.get("done"))) {
        Some(true) => completion_date(&f, &mut errors),
        _ => None,
    };
    let (Some(activity), true) = (activity, errors.is_empty()) else {
        return Err(ApiError::validation("The activity could not be saved", errors));
    };
    let acts = activities::check_off(app, &caller, CheckOff { for_member, activity, completed_on }).await.map_err(|e| match e {
        CheckOffError::NotYourOwn => not_your_own(),
        CheckOffError::DateInFuture { today } => ApiError::validation(
            "The activity could not be saved",
            vec![FieldError::new("completed_on", format!("The completion date cannot be in the future (today is {today})"))],
        ),
        CheckOffError::PlanSubmitted => ApiError::conflict(
            "Your group's Practice Improvement Plan has been submitted, so activities can no longer be changed",
            vec![FieldError::new("activity", "Activities are locked once the plan is submitted")],
        ),
        CheckOffError::NotMember => super::unauthorized(),
        CheckOffError::Failed(f) => f.into(),
    })?;
    let me = &caller.member().member;
    match wants {
        Wants::Json => Ok(json(
            StatusCode::OK,
            &json!({
                "cpso": me.cpso.as_str(),
                "activities": encode::activities(&acts),
                "credits": app.credits.for_member(&acts, &caller.group.pip),
            }),
        )),
        Wants::Html if from_page(&f) => Ok(see_other(&format!("/api/me/activities?saved={}", activity.key()))),
        Wants::Html => Ok(see_other(&format!("/me/?saved={}", activity.key()))),
    }
}

fn not_your_own() -> ApiError {
    ApiError::Forbidden("You can check off only your own activities".into())
}

/// `GET /api/me/activities`: the caller's own activities as JSON, or for a
/// browser the check-off page showing what is done.
pub async fn page(app: &App, req: &Req, wants: Wants) -> Res {
    let caller = caller(app, req, None).await?;
    let me = caller.member();
    match wants {
        Wants::Json => Ok(json(
            StatusCode::OK,
            &json!({
                "cpso": me.member.cpso.as_str(),
                "activities": encode::activities(&me.activities),
                "credits": my_credits(app, &caller),
            }),
        )),
        Wants::Html => {
            let saved = query(req).get("saved").and_then(|k| Activity::parse(k).ok());
            Ok(html_page(crate::http::pages::activities_page(&caller.group, caller.index, saved)))
        }
    }
}
