//! `PUT|POST /api/groups/{id}/pip`, `…/pip/submit`, `GET|PUT|POST /api/me/pip`,
//! `/api/me/pip/submit`: the group's plan.
use http::StatusCode;
use serde_json::{json, Value};

use super::{caller_in, html_page, Req, Res};
use crate::app::pip::{self, SaveError, SubmitError};
use crate::app::App;
use crate::domain::{FieldError, Language, Text};
use crate::http::decode::{from_page, has_pip_fields, pip_draft};
use crate::http::encode;
use crate::http::error::ApiError;
use crate::http::forms::Refused;
use crate::http::input::{query, read_fields, Fields, Wants};
use crate::http::pages::PipFlash;
use crate::http::respond::{json, see_other};

fn pip_locked() -> ApiError {
    ApiError::conflict(
        Text::new(
            "Your group's Practice Improvement Plan has already been submitted; a group submits one plan",
            "Le plan d’amélioration de la pratique de votre groupe a déjà été soumis; un groupe soumet un seul plan",
        ),
        vec![FieldError::tr("strengths", "locked", "The plan was already submitted", "Le plan a déjà été soumis")],
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

const PLAN_CHANGED: (&str, &str) = (
    "The plan changed since you opened it: another member saved it. Review the plan, then submit again; nothing was submitted",
    "Le plan a changé depuis que vous l’avez ouvert\u{a0}: un autre membre l’a enregistré. Relisez le plan, puis soumettez-le de nouveau; rien n’a été soumis",
);

fn is_plan_changed(e: &ApiError) -> bool {
    matches!(e, ApiError::Conflict { message, .. } if message.en == PLAN_CHANGED.0)
}

fn unknown_action() -> ApiError {
    ApiError::validation(
        Text::new("Unknown action", "Action inconnue"),
        vec![FieldError::tr("action", "invalid_format", "Choose save or submit", "Choisissez save (enregistrer) ou submit (soumettre)")],
    )
}

async fn save_fields(app: &App, req: &Req, id: Option<&str>, wants: Wants, is_put: bool, f: Fields) -> Res {
    match (is_put, f.get("action").trim()) {
        (false, "submit") => return submit_fields(app, req, id, wants, f).await,
        (_, "" | "save") => {}
        _ => return Err(unknown_action()),
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
            ApiError::validation(
                Text::new("The form is damaged", "Le formulaire est endommagé"),
                vec![FieldError::tr(
                    "draft_version",
                    "invalid_format",
                    "Reload the page and submit again",
                    "Rechargez la page, puis soumettez de nouveau le plan",
                )],
            )
        })?),
    };
    let done = pip::submit(app, &caller, draft, seen).await.map_err(|e| refusal(&caller.group, e))?;
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

/// What a refused submission answers.
fn refusal(g: &crate::domain::Group, e: SubmitError) -> ApiError {
    match e {
        SubmitError::AlreadySubmitted => pip_locked(),
        SubmitError::NothingToSubmit => ApiError::validation(
            Text::new("There is no saved plan to submit yet", "Il n’y a pas encore de plan enregistré à soumettre"),
            vec![FieldError::tr(
                "strengths",
                "required",
                "Write and save your group's plan first",
                "Rédigez et enregistrez d’abord le plan de votre groupe",
            )],
        ),
        SubmitError::Incomplete(fields) => ApiError::validation(
            Text::new("The plan is not ready to submit; nothing was saved", "Le plan n’est pas prêt à être soumis; rien n’a été enregistré"),
            fields,
        ),
        SubmitError::ActivitiesIncomplete(missing) => {
            let fields = missing
                .iter()
                .map(|(c, a)| {
                    FieldError::tr(
                        "activities",
                        "required",
                        format!("{} (CPSO {}) has not completed the {}", g.name_of(c), c, a.label()),
                        format!("{} (OMCO {}) n’a pas terminé l’activité {}", g.name_of(c), c, a.label_in(Language::Fr)),
                    )
                })
                .collect();
            let list: Vec<Value> =
                missing.iter().map(|(c, a)| json!({ "cpso": c.as_str(), "name": g.name_of(c), "activity": a.key() })).collect();
            ApiError::Conflict {
                message: Text::new(
                    "Every member must complete all four activities before the plan is submitted; nothing was saved",
                    "Chaque membre doit terminer les quatre activités avant que le plan soit soumis; rien n’a été enregistré",
                ),
                fields,
                extra: Some(json!({ "missing": list })),
            }
        }
        SubmitError::NotFormed => ApiError::conflict(
            Text::new(
                "The group is not formed yet: at least one peer must accept their invitation before the plan can be submitted",
                "Le groupe n’est pas encore formé\u{a0}: au moins une ou un collègue doit accepter son invitation avant que le plan puisse être soumis",
            ),
            vec![],
        ),
        SubmitError::PlanChanged => ApiError::conflict(Text::new(PLAN_CHANGED.0, PLAN_CHANGED.1), vec![]),
        SubmitError::TargetDatePassed(fields) => ApiError::validation(
            Text::new(
                "A goal's target date must be after the submission date; nothing was submitted",
                "La date cible d’un objectif doit être postérieure à la date de soumission; rien n’a été soumis",
            ),
            fields,
        ),
        SubmitError::Failed(f) => f.into(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_are_said_in_both_languages() {
        let e = pip_locked();
        assert_eq!(e.fields()[0].code, "locked");
        assert_eq!(e.fields()[0].message, "The plan was already submitted");
        assert_eq!(e.fields()[0].fr, "Le plan a déjà été soumis");
        let (g, _) = crate::store::conformance::formed_group("100", &["101"], "2026-01-05T10:00:00Z");
        let e = refusal(&g, SubmitError::PlanChanged);
        assert!(is_plan_changed(&e));
        assert_eq!(e.message(Language::En), PLAN_CHANGED.0);
        assert!(e.message(Language::Fr).starts_with("Le plan a changé depuis que vous l’avez ouvert\u{a0}: "));
        let cpso = crate::domain::Cpso::parse("101").unwrap();
        let e = refusal(&g, SubmitError::ActivitiesIncomplete(vec![(cpso, crate::domain::Activity::ChartReview)]));
        let name = g.name_of(&crate::domain::Cpso::parse("101").unwrap()).to_string();
        assert_eq!(e.fields()[0].message, format!("{name} (CPSO 101) has not completed the Self-Guided Chart Review"));
        assert_eq!(e.fields()[0].fr, format!("{name} (OMCO 101) n’a pas terminé l’activité Revue de dossiers autodirigée"));
        assert_eq!(e.fields()[0].code, "required");
    }
}
