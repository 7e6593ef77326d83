//! `GET /api/me/measures`, `GET /api/me/goals/{id}`, `POST
//! /api/me/goals/{id}/points`, `POST /api/me/goals/{id}/cycles`: measuring
//! the plan's goals. Every change is the caller's own (see
//! [`crate::app::measures`]).
use http::StatusCode;
use serde_json::{json, Value};

use super::{html_page, member, Req, Res};
use crate::app::access::Caller;
use crate::app::measures::{self, DataError};
use crate::app::App;
use crate::domain::measure::PointInput;
use crate::domain::pdsa::PdsaInput;
use crate::domain::{long_day, FieldError, Language, Text};
use crate::http::decode::from_page;
use crate::http::error::ApiError;
use crate::http::forms::Refused;
use crate::http::goals::{goal_chart, goal_page, measures_page, summaries, GoalEdit, GoalFlash, GoalForm};
use crate::http::input::{query, read_fields, Fields, Wants};
use crate::http::lang;
use crate::http::respond::{json, see_other};

fn no_such_goal() -> ApiError {
    ApiError::NotFound(Text::new(
        "Your group's plan has no such goal: it may have been removed from the draft",
        "Le plan de votre groupe ne contient pas cet objectif\u{a0}: il a peut-être été retiré du brouillon",
    ))
}

/// The `{id}` of a goal path.
fn goal_id(id: Option<&str>) -> Result<u16, ApiError> {
    id.and_then(|s| s.parse::<u16>().ok()).filter(|&n| n > 0).ok_or_else(no_such_goal)
}

/// What a refused change was about (French agrees its sentences with it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum What {
    Point,
    Cycle,
}

impl What {
    fn not_saved(self) -> Text {
        match self {
            What::Point => Text::new(
                "The data point could not be saved; nothing was changed",
                "La donnée n’a pas pu être enregistrée; rien n’a été modifié",
            ),
            What::Cycle => Text::new(
                "The PDSA cycle could not be saved; nothing was changed",
                "Le cycle PFEA n’a pas pu être enregistré; rien n’a été modifié",
            ),
        }
    }

    fn not_there(self) -> Text {
        match self {
            What::Point => Text::new(
                "The data point is not yours, or is no longer there: nothing was changed",
                "Cette donnée n’est pas la vôtre, ou elle n’existe plus\u{a0}: rien n’a été modifié",
            ),
            What::Cycle => Text::new(
                "The PDSA cycle is not yours, or is no longer there: nothing was changed",
                "Ce cycle PFEA n’est pas le vôtre, ou il n’existe plus\u{a0}: rien n’a été modifié",
            ),
        }
    }
}

fn data_error(e: DataError, what: What) -> ApiError {
    match e {
        DataError::NoSuchGoal => no_such_goal(),
        DataError::NoMeasure { n } => ApiError::conflict(
            Text::new(
                format!("Goal {n} has no measure defined yet: define its measure in the group plan first, then record data"),
                format!("L’objectif {n} n’a pas encore de mesure\u{a0}: définissez d’abord sa mesure dans le plan du groupe, puis saisissez les données"),
            ),
            vec![],
        ),
        DataError::Invalid(errors) => ApiError::validation(what.not_saved(), errors),
        DataError::RequirementEnded { until } => ApiError::conflict(
            Text::new(
                format!("Your group's requirement ended on {}: its data is kept, and no more can be added", long_day(until, Language::En)),
                format!(
                    "La période pendant laquelle votre groupe satisfait à l’exigence de qualité a pris fin le {}\u{a0}: ses données sont conservées, mais aucune autre ne peut être ajoutée",
                    long_day(until, Language::Fr)
                ),
            ),
            vec![],
        ),
        DataError::Dissolved => ApiError::conflict(
            Text::new("The group was dissolved, so no more data can be added", "Le groupe a été dissous, alors aucune donnée ne peut plus être ajoutée"),
            vec![],
        ),
        DataError::NotAccepted => ApiError::conflict(
            Text::new(
                "Accept your invitation to the group before recording data",
                "Acceptez votre invitation au groupe avant de saisir des données",
            ),
            vec![],
        ),
        DataError::SessionEnded | DataError::NotMember => super::unauthorized(),
        DataError::NothingThere => ApiError::conflict(what.not_there(), vec![]),
        DataError::Failed(f) => f.into(),
    }
}

fn unknown_action() -> ApiError {
    ApiError::validation(
        Text::new("Unknown action", "Action inconnue"),
        vec![FieldError::tr("action", "invalid_format", "Choose save or delete", "Choisissez save (enregistrer) ou delete (supprimer)")],
    )
}

fn keeps_answers(e: &ApiError) -> bool {
    matches!(e, ApiError::Validation { .. } | ApiError::Conflict { .. } | ApiError::Unavailable { .. })
}

/// A refused form of the goal page: the page again, with what was typed
/// kept and each message beside its field.
async fn on_page(app: &App, req: &Req, goal: u16, wants: Wants, f: Fields, form: GoalForm, r: Res) -> Res {
    let e = match r {
        Err(e) if wants == Wants::Html && from_page(&f) && keeps_answers(&e) => e,
        r => return r,
    };
    let caller = member(app, req, None).await?;
    let refused = Refused::new(f, &e);
    let page = goal_page(&caller.group, caller.slot, goal, app.clock.today(), None, &GoalEdit::default(), Some((form, &refused)))
        .ok_or_else(no_such_goal)?;
    let mut r = html_page(page);
    *r.status_mut() = e.status();
    Ok(r)
}

/// `GET /api/me/measures`.
pub async fn overview(app: &App, req: &Req, wants: Wants) -> Res {
    let caller = member(app, req, None).await?;
    match wants {
        Wants::Json => Ok(json(StatusCode::OK, &json!({ "goals": summaries(&caller.group) }))),
        Wants::Html => {
            let q = query(req);
            Ok(html_page(measures_page(&caller.group, caller.slot, q.get("reminders").map(String::as_str))))
        }
    }
}

/// `GET /api/me/goals/{id}`.
pub async fn goal(app: &App, req: &Req, id: Option<&str>, wants: Wants) -> Res {
    let goal = goal_id(id)?;
    let caller = member(app, req, None).await?;
    match wants {
        Wants::Json => Ok(json(StatusCode::OK, &goal_json(&caller, goal)?)),
        Wants::Html => {
            let q = query(req);
            let label =
                |k: &str| crate::domain::measure::PeriodId::parse(k).map(|p| p.label(lang::current())).unwrap_or_else(|_| k.to_string());
            let flash = if let Some(p) = q.get("recorded") {
                Some(GoalFlash::Recorded { period: label(p), corrected: q.get("as").map(String::as_str) == Some("corrected") })
            } else if let Some(p) = q.get("deleted") {
                Some(GoalFlash::Deleted { period: label(p) })
            } else {
                match q.get("cycle").map(String::as_str) {
                    Some("saved") => Some(GoalFlash::CycleSaved),
                    Some("deleted") => Some(GoalFlash::CycleDeleted),
                    _ => None,
                }
            };
            let edit = GoalEdit { period: q.get("edit_period").cloned(), cycle: q.get("edit_cycle").and_then(|c| c.parse().ok()) };
            let page = goal_page(&caller.group, caller.slot, goal, app.clock.today(), flash, &edit, None).ok_or_else(no_such_goal)?;
            Ok(html_page(page))
        }
    }
}

/// A goal as JSON: its measure, the group's series, the analysis, the
/// caller's own points and every cycle.
fn goal_json(caller: &Caller, goal: u16) -> Result<Value, ApiError> {
    let g = &caller.group;
    let (n, draft) = g.goal(goal).ok_or_else(no_such_goal)?;
    let mut v = json!({ "id": goal, "n": n, "aim": draft.aim, "definition": draft.definition });
    if let Some(def) = draft.definition.as_ref() {
        let chart = goal_chart(g, goal, def);
        let series = g.series(goal).map(|s| s.group_values()).unwrap_or_default();
        v["series"] = json!(series);
        v["analysis"] = json!({
            "median": chart.analysis.median,
            "centre": chart.analysis.centre,
            "useful_points": chart.analysis.useful,
            "longest_run": chart.analysis.longest_run,
            "longest_run_limit": chart.analysis.longest_run_limit,
            "crossings": chart.analysis.crossings,
            "crossings_limit": chart.analysis.crossings_limit,
            "enough_data": chart.analysis.enough_data,
            "shift": chart.analysis.shift,
            "few_crossings": chart.analysis.few_crossings,
            "improvement": chart.analysis.improvement,
            "target_met": chart.analysis.target_met,
            "summary": chart.analysis.summary(),
        });
    }
    let mine: Vec<_> = caller.member().points.iter().filter(|p| p.goal == goal).map(|p| &p.point).collect();
    v["my_points"] = json!(mine);
    v["cycles"] = json!(g.cycles_of(goal));
    Ok(v)
}

/// `POST /api/me/goals/{id}/points`: record (or correct) the caller's point
/// for a period, or with `action=delete` delete it.
pub async fn points(app: &App, req: &Req, id: Option<&str>, wants: Wants) -> Res {
    let goal = goal_id(id)?;
    let f = read_fields(req)?;
    let r = save_point(app, req, goal, wants, &f).await;
    on_page(app, req, goal, wants, f, GoalForm::Point, r).await
}

async fn save_point(app: &App, req: &Req, goal: u16, wants: Wants, f: &Fields) -> Res {
    let caller = member(app, req, Some(f)).await?;
    match f.get("action").trim() {
        "delete" => {
            let period = measures::delete_point(app, &caller, goal, f.get("period")).await.map_err(|e| data_error(e, What::Point))?;
            match wants {
                Wants::Json => Ok(json(StatusCode::OK, &json!({ "deleted": period.key() }))),
                Wants::Html => Ok(see_other(&format!("/api/me/goals/{goal}?deleted={}#my-data", period.key()))),
            }
        }
        "" | "save" => {
            let input = PointInput {
                period: f.get("period"),
                numerator: f.get("numerator"),
                denominator: f.get("denominator"),
                value: f.get("value"),
                note: f.get("note"),
            };
            let done = measures::record_point(app, &caller, goal, &input).await.map_err(|e| data_error(e, What::Point))?;
            match wants {
                Wants::Json => Ok(json(StatusCode::OK, &json!({ "period": done.period.key(), "corrected": done.corrected, "goal": goal }))),
                Wants::Html => {
                    let how = if done.corrected { "&as=corrected" } else { "" };
                    Ok(see_other(&format!("/api/me/goals/{goal}?recorded={}{how}", done.period.key())))
                }
            }
        }
        _ => Err(unknown_action()),
    }
}

/// `POST /api/me/goals/{id}/cycles`: log a PDSA cycle, update one of the
/// caller's (`cycle` = its id), or with `action=delete` delete it.
pub async fn cycles(app: &App, req: &Req, id: Option<&str>, wants: Wants) -> Res {
    let goal = goal_id(id)?;
    let f = read_fields(req)?;
    let r = save_cycle(app, req, goal, wants, &f).await;
    on_page(app, req, goal, wants, f, GoalForm::Cycle, r).await
}

async fn save_cycle(app: &App, req: &Req, goal: u16, wants: Wants, f: &Fields) -> Res {
    let caller = member(app, req, Some(f)).await?;
    let cycle = match f.get("cycle").trim() {
        "" => None,
        s => Some(s.parse::<u16>().map_err(|_| {
            ApiError::validation(
                Text::new("The PDSA cycle could not be saved", "Le cycle PFEA n’a pas pu être enregistré"),
                vec![FieldError::tr("cycle", "not_found", "This is not one of your cycles", "Ce cycle ne fait pas partie des vôtres")],
            )
        })?),
    };
    let saved = match (f.get("action").trim(), cycle) {
        ("delete", Some(id)) => {
            measures::delete_cycle(app, &caller, goal, id).await.map_err(|e| data_error(e, What::Cycle))?;
            None
        }
        ("" | "save", _) => {
            let input = PdsaInput {
                change_idea: f.get("change_idea"),
                plan: f.get("plan"),
                prediction: f.get("prediction"),
                started_on: f.get("started_on"),
                ended_on: f.get("ended_on"),
                study: f.get("study"),
                decision: f.get("decision"),
            };
            Some(measures::log_cycle(app, &caller, goal, cycle, &input).await.map_err(|e| data_error(e, What::Cycle))?)
        }
        _ => return Err(unknown_action()),
    };
    match (wants, saved) {
        (Wants::Json, Some(id)) => Ok(json(StatusCode::OK, &json!({ "cycle": id, "goal": goal }))),
        (Wants::Json, None) => Ok(json(StatusCode::OK, &json!({ "deleted": cycle, "goal": goal }))),
        (Wants::Html, Some(_)) => Ok(see_other(&format!("/api/me/goals/{goal}?cycle=saved#cycles"))),
        (Wants::Html, None) => Ok(see_other(&format!("/api/me/goals/{goal}?cycle=deleted#cycles"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_keep_their_english_and_say_it_in_french() {
        let e = data_error(DataError::Invalid(vec![]), What::Point);
        assert_eq!(e.message(Language::En), "The data point could not be saved; nothing was changed");
        assert_eq!(e.message(Language::Fr), "La donnée n’a pas pu être enregistrée; rien n’a été modifié");
        let e = data_error(DataError::NothingThere, What::Cycle);
        assert_eq!(e.message(Language::En), "The PDSA cycle is not yours, or is no longer there: nothing was changed");
        assert_eq!(e.message(Language::Fr), "Ce cycle PFEA n’est pas le vôtre, ou il n’existe plus\u{a0}: rien n’a été modifié");
        let until = chrono::NaiveDate::from_ymd_opt(2031, 3, 1).unwrap();
        let e = data_error(DataError::RequirementEnded { until }, What::Point);
        assert!(e.message(Language::En).contains("ended on 1 March 2031:"), "{}", e.message(Language::En));
        assert!(e.message(Language::Fr).contains("le 1er mars 2031\u{a0}:"), "{}", e.message(Language::Fr));
        let e = unknown_action();
        assert_eq!((e.fields()[0].code.as_str(), e.fields()[0].message.as_str()), ("invalid_format", "Choose save or delete"));
        assert_eq!(e.fields()[0].fr, "Choisissez save (enregistrer) ou delete (supprimer)");
    }
}
