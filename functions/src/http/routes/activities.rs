//! `POST /api/groups/{id}/activities`, `GET|POST /api/me/activities`: check-offs.
use http::StatusCode;
use serde_json::json;

use super::{caller, html_page, Req, Res};
use crate::app::activities::{self, CheckOff, CheckOffError, SessionRef};
use crate::app::status::my_credits;
use crate::app::App;
use crate::domain::{long_day, Activity, Cpso, FieldError, Language, Text};
use crate::http::decode::{completion_date, done, field, from_page};
use crate::http::encode;
use crate::http::error::ApiError;
use crate::http::forms::Refused;
use crate::http::input::{query, read_fields, session_token, Wants};
use crate::http::respond::{json, see_other};

/// One conditional write: the session token names the group and member,
/// and the store checks the session with the write. Only when the request
/// names a member (`cpso`, API clients) is the group read first, to check
/// that it is the caller.
pub async fn check_off(app: &App, req: &Req, id: Option<&str>, wants: Wants) -> Res {
    let f = read_fields(req)?;
    match (save(app, req, id, wants, &f).await, wants) {
        // The member page's form, refused: the page again, with the answer
        // kept and the message beside the field.
        (Err(e), Wants::Html) if from_page(&f) && keeps_answer(&e) => {
            let caller = super::member(app, req, None).await?;
            let activity = Activity::parse(f.get("activity")).map_err(|_| e.clone())?;
            let refused = Refused::new(f, &e);
            let mut r = html_page(crate::http::pages::activities_page(&caller.group, caller.slot, None, Some((activity, &refused))));
            *r.status_mut() = e.status();
            Ok(r)
        }
        (r, _) => r,
    }
}

/// Refusals about what was typed or the group's state, which the page can
/// show beside the form (a session that ended shows the sign-in page).
fn keeps_answer(e: &ApiError) -> bool {
    matches!(e, ApiError::Validation { .. } | ApiError::Conflict { .. } | ApiError::Unavailable { .. })
}

async fn save(app: &App, req: &Req, id: Option<&str>, wants: Wants, f: &crate::http::input::Fields) -> Res {
    let token = session_token(req, app.config.secure_cookies()).map_err(|_| super::unauthorized())?.ok_or_else(super::unauthorized)?;
    if id.is_some_and(|id| id != token.group().as_str()) {
        return Err(ApiError::Forbidden(Text::new(
            "You can only see and change your own group",
            "Vous ne pouvez consulter et modifier que votre propre groupe",
        )));
    }
    // A `cpso` that is not even a CPSO number cannot be the caller's.
    let for_member = match f.has("cpso").then(|| Cpso::parse(f.get("cpso"))) {
        None => None,
        Some(Ok(c)) => Some(c),
        Some(Err(_)) => return Err(not_your_own()),
    };
    if for_member.is_some() {
        let caller = caller(app, req, Some(f)).await?;
        activities::is_own(&caller, for_member.as_ref()).map_err(|_| not_your_own())?;
    }
    let mut errors = Vec::new();
    let activity = field(&mut errors, "activity", Activity::parse(f.get("activity")));
    let completed_on = match field(&mut errors, "done", done(f.get("done"))) {
        Some(true) => completion_date(f, &mut errors),
        _ => None,
    };
    let (Some(activity), true) = (activity, errors.is_empty()) else {
        return Err(ApiError::validation(not_saved(), errors));
    };
    let who = SessionRef::of(&token);
    let acts = activities::check_off(app, &who, CheckOff { for_member, activity, completed_on }).await.map_err(refusal)?;
    match wants {
        Wants::Json => Ok(json(
            StatusCode::OK,
            &json!({
                "activities": encode::activities(&acts),
                // The plan is not submitted (or the write would have been refused).
                "credits": app.credits.for_member(&acts, &crate::domain::PipState::None),
            }),
        )),
        Wants::Html => {
            let how = if completed_on.is_some() { "done" } else { "undone" };
            Ok(see_other(&format!("/api/me/activities?saved={}&as={how}#activity-{}", activity.key(), activity.key())))
        }
    }
}

/// What a refused check-off answers.
fn refusal(e: CheckOffError) -> ApiError {
    match e {
        CheckOffError::NotYourOwn => not_your_own(),
        CheckOffError::DateInFuture { today } => ApiError::validation(
            not_saved(),
            vec![FieldError::tr(
                "completed_on",
                "in_future",
                format!("The date cannot be in the future (today is {})", long_day(today, Language::En)),
                format!("La date ne peut pas être dans l’avenir (nous sommes aujourd’hui le {})", long_day(today, Language::Fr)),
            )],
        ),
        CheckOffError::BeforeCycle { start } => ApiError::validation(
            not_saved(),
            vec![FieldError::tr(
                "completed_on",
                "before_cycle",
                format!("The date cannot be before this cycle began, on {}", long_day(start, Language::En)),
                format!("La date ne peut pas précéder le début de ce cycle-ci, le {}", long_day(start, Language::Fr)),
            )],
        ),
        CheckOffError::NotAccepted => ApiError::conflict(
            Text::new(
                "Accept your invitation to the group before checking off activities",
                "Acceptez votre invitation au groupe avant d’indiquer des activités comme terminées",
            ),
            vec![FieldError::tr(
                "activity",
                "conflict",
                "Only members who have accepted check off activities",
                "Seuls les membres qui ont accepté l’invitation peuvent indiquer des activités comme terminées",
            )],
        ),
        CheckOffError::SessionEnded => super::unauthorized(),
        CheckOffError::PlanSubmitted => ApiError::conflict(
            Text::new(
                "Your group's Practice Improvement Plan has been submitted (or the group was dissolved), so activities can no longer be changed",
                "Le plan d’amélioration de la pratique de votre groupe a été soumis (ou le groupe a été dissous), alors les activités ne peuvent plus être modifiées",
            ),
            vec![FieldError::tr(
                "activity",
                "locked",
                "Activities are locked once the plan is submitted or the group is dissolved",
                "Les activités sont verrouillées une fois le plan soumis ou le groupe dissous",
            )],
        ),
        CheckOffError::NotMember => super::unauthorized(),
        CheckOffError::Failed(f) => f.into(),
    }
}

fn not_your_own() -> ApiError {
    ApiError::Forbidden(Text::new(
        "You can check off only your own activities",
        "Vous ne pouvez indiquer comme terminées que vos propres activités",
    ))
}

fn not_saved() -> Text {
    Text::new("The activity could not be saved", "L’activité n’a pas pu être enregistrée")
}

/// `GET /api/me/activities`: the caller's own activities as JSON, or for a
/// browser the check-off page showing what is done.
pub async fn page(app: &App, req: &Req, wants: Wants) -> Res {
    let caller = super::member(app, req, None).await?;
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
            let q = query(req);
            let saved =
                q.get("saved").and_then(|k| Activity::parse(k).ok()).map(|a| (a, q.get("as").map(String::as_str) != Some("undone")));
            Ok(html_page(crate::http::pages::activities_page(&caller.group, caller.slot, saved, None)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_are_said_in_both_languages() {
        assert_eq!(not_saved().en, "The activity could not be saved");
        assert_eq!(not_saved().fr, "L’activité n’a pas pu être enregistrée");
        assert_eq!(not_your_own().message(Language::Fr), "Vous ne pouvez indiquer comme terminées que vos propres activités");
        let day = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let e = refusal(CheckOffError::DateInFuture { today: day });
        assert_eq!(e.fields()[0].code, "in_future");
        assert_eq!(e.fields()[0].message, "The date cannot be in the future (today is 1 December 2026)");
        assert_eq!(e.fields()[0].fr, "La date ne peut pas être dans l’avenir (nous sommes aujourd’hui le 1er décembre 2026)");
        let e = refusal(CheckOffError::BeforeCycle { start: day });
        assert_eq!(e.fields()[0].code, "before_cycle");
        assert_eq!(e.fields()[0].fr, "La date ne peut pas précéder le début de ce cycle-ci, le 1er décembre 2026");
        assert_eq!(refusal(CheckOffError::PlanSubmitted).fields()[0].code, "locked");
    }
}
