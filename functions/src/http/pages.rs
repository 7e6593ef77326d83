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

use super::lang::{current as lang, tr};

/// "1 December 2026" / "1er décembre 2026": the one way the pages write a date.
fn day(d: NaiveDate) -> String {
    long_day(d, lang())
}

/// An activity's name for the reader.
fn label(a: Activity) -> &'static str {
    a.label_in(lang())
}

/// The member area's pages, as its navigation lists them (url, label,
/// French label). A member who has not joined yet (a proposal to review,
/// an invitation to answer) or whose group is dissolved has only the task
/// list and the group page: the others show the work of a group they are
/// not working in.
const AREA: [(&str, &str, &str); 6] = [
    ("/api/me", "Tasks", "Tâches"),
    ("/api/me/activities", "My activities", "Mes activités"),
    ("/api/me/pip", "Group plan", "Plan du groupe"),
    ("/api/me/measures", "Measures", "Mesures"),
    ("/api/me/status", "Group progress", "Progression du groupe"),
    ("/api/me/group", "Members", "Membres"),
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
        .filter(|(url, _, _)| working || matches!(*url, "/api/me" | "/api/me/group"))
        .map(|(url, en, fr)| json!({ "url": url, "label": tr(en, fr), "current": *url == current }))
        .collect();
    let name = g.member(slot).map(|m| m.member.name.as_str()).unwrap_or_default();
    json!({ "member_nav": nav, "signed_in_as": name })
}

/// The breadcrumb trail (as the site's `breadcrumbs` macro reads it) of a
/// page outside the member area: Home, then the page.
fn crumbs(title: &str, url: &str) -> Value {
    json!({ "crumbs": [{ "url": "/", "title": tr("Home", "Accueil") }], "crumb_title": title, "crumb_url": url })
}

/// The task of measuring the plan's goals: how many have a measure and data.
fn measure_task(g: &Group) -> Value {
    let goals = g.pip.draft().map(|d| d.goals.as_slice()).unwrap_or_default();
    let measured: Vec<_> = g.pip.draft().map(|d| d.measured().map(|(_, goal, _)| goal).collect()).unwrap_or_default();
    let with_data = measured.iter().filter(|goal| g.points_of(goal.id).next().is_some()).count();
    let n = goals.len();
    // French agrees the verb with one goal ("1 des 3 objectifs a une mesure").
    let have = |k: usize| if k == 1 { "a" } else { "ont" };
    let (hint, t) = match ((measured.len(), with_data), lang()) {
        ((0, _), _) => (
            tr(
                "Define each goal’s measure in the plan, then record a data point every period.",
                "Définissez la mesure de chaque objectif dans le plan, puis saisissez une donnée à chaque période.",
            )
            .to_string(),
            not_started(),
        ),
        ((m, 0), Language::En) => (format!("{m} of {n} goals have a measure; no data is recorded yet."), in_progress()),
        ((m, 0), Language::Fr) => {
            (format!("{m} des {n} objectifs {} une mesure; aucune donnée n’est encore saisie.", have(m)), in_progress())
        }
        ((m, d), Language::En) => (format!("{m} of {n} goals have a measure; {d} have data."), in_progress()),
        ((m, d), Language::Fr) => (format!("{m} des {n} objectifs {} une mesure; {d} {} des données.", have(m), have(d)), in_progress()),
    };
    json!({ "label": tr("Measure the goals", "Mesurer les objectifs"), "url": "/api/me/measures", "hint": hint, "tag": t })
}

/// After submission: record last period's data, if a measured goal lacks
/// the member's point for it.
fn record_next(g: &Group, me: &GroupMember, today: NaiveDate) -> Option<Value> {
    let (goal, period) = g.pip.draft()?.measured().find_map(|(_, goal, d)| {
        let last =
            crate::domain::measure::PeriodId::of(d.period, crate::domain::measure::PeriodId::of(d.period, today).start().pred_opt()?);
        me.point(goal.id, last).is_none().then_some((goal, last))
    })?;
    let text = match lang() {
        Language::En => format!("Record your data for {} for your goals.", period.label(Language::En)),
        // "de novembre 2026", "de la semaine 47, 2026".
        Language::Fr => match period.period() {
            crate::domain::measure::Period::Month => format!("Saisissez vos données de {} pour vos objectifs.", period.label(Language::Fr)),
            crate::domain::measure::Period::Week => {
                format!("Saisissez vos données de la {} pour vos objectifs.", period.label(Language::Fr).to_lowercase())
            }
        },
    };
    Some(json!({
        "text": text,
        "url": format!("/api/me/goals/{}", goal.id),
        "link": tr("Record your data", "Saisir vos données"),
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
            json!({ "name": name, "activity": label(a) })
        })
        .collect()
}

/// The kind of a goal as the read-only plan names it ("Practice improvement").
fn kind_phrase(kind: Option<GoalKind>) -> Option<&'static str> {
    let k = kind?;
    qi_facts::GOAL_KINDS.iter().find(|n| n.key == k.as_str()).map(|n| n.label_in(lang().as_str()))
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
                    use crate::domain::measure::{DataSource, Period};
                    use crate::domain::runchart::Direction;
                    let sampling = if def.sampling.is_empty() { String::new() } else { format!(" ({})", def.sampling) };
                    let how = match lang() {
                        Language::En => format!(
                            "{}, {} from {}{sampling}; {} is better",
                            def.kind.label(),
                            match def.period { Period::Month => "monthly", Period::Week => "weekly" },
                            def.source.label().to_lowercase(),
                            match def.direction { Direction::HigherIsBetter => "higher", Direction::LowerIsBetter => "lower" },
                        ),
                        Language::Fr => {
                            // The program's sources start lower-case inside the sentence; a group's own description stays as written.
                            let source = match &def.source {
                                DataSource::Other(d) => d.clone(),
                                s => lower_first(super::goals::source_label(s, Language::Fr)),
                            };
                            format!(
                                "{}, {}, source\u{a0}: {source}{sampling}; {}",
                                def.kind.label_in(Language::Fr),
                                match def.period { Period::Month => "chaque mois", Period::Week => "chaque semaine" },
                                match def.direction {
                                    Direction::HigherIsBetter => "une valeur plus élevée est meilleure",
                                    Direction::LowerIsBetter => "une valeur plus basse est meilleure",
                                },
                            )
                        }
                    };
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

/// `s` with its first letter in lower case ("Rapport du DME" → "rapport du DME").
fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_lowercase().chain(c).collect()).unwrap_or_default()
}

/// "Dr Ada Lee on 1 December 2026": who submitted the plan, and when.
fn submitted_by(g: &Group) -> Option<String> {
    g.submitted_by().map(|e| match lang() {
        Language::En => format!("{} on {}", e.by.name(), long_date(e.at, Language::En)),
        Language::Fr => format!("{} le {}", e.by.name(), long_date(e.at, Language::Fr)),
    })
}

/// What the member area says of each activity, and where its guidance is
/// (the French page where there is one).
fn activity_guide(a: Activity) -> (&'static str, String) {
    let (what, what_fr, guide) = match a {
        Activity::QiSurvey => (
            "Questions about your practice setting: where and how you work. About 30 minutes.",
            "Des questions sur votre milieu de pratique\u{a0}: où et comment vous travaillez. Environ 30 minutes.",
            "/activities/qi-survey/",
        ),
        Activity::PracticeProfile => (
            "A self-assessment of the evidence-based risk and support factors in your practice. 45 to 60 minutes.",
            "Une autoévaluation des facteurs de risque et de soutien fondés sur des données probantes dans votre pratique. De 45 à 60 minutes.",
            "/activities/practice-profile/",
        ),
        Activity::ChartReview => (
            "A review of some of your charts against the documentation expectations for medical records, followed by a conversation with a trusted peer. About 2 hours.",
            "Une revue de certains de vos dossiers au regard des attentes en matière de tenue des dossiers médicaux, suivie d’une conversation avec une ou un collègue de confiance. Environ 2 heures.",
            "/activities/chart-review/",
        ),
        Activity::DataDrivenQi => (
            "A review of your practice-level data to find opportunities for improvement. Time depends on your data.",
            "Un examen des données de votre pratique pour repérer des possibilités d’amélioration. La durée dépend de vos données.",
            "/activities/data-driven-qi/",
        ),
    };
    (tr(what, what_fr), super::lang::localized_path(guide, lang()))
}

/// How many goals of the saved draft count, against the minimum.
fn goals_hint(counting: usize) -> String {
    let needed = qi_facts::limits::MIN_COUNTING_GOALS;
    match (counting, lang()) {
        (0, Language::En) => format!("No goals yet: at least {needed} that count are needed."),
        (0, Language::Fr) => format!("Aucun objectif pour l’instant\u{a0}: il en faut au moins {needed} qui comptent."),
        (n, Language::En) if n < needed => format!("{n} of the {needed} goals needed so far."),
        (n, Language::Fr) if n < needed => format!("{n} des {needed} objectifs requis jusqu’à présent."),
        (n, Language::En) => format!("{n} goals that count (at least {needed} are needed)."),
        (n, Language::Fr) => format!("{n} objectifs qui comptent (il en faut au moins {needed})."),
    }
}

/// A tag's kind and words.
fn tag(kind: &str, text: &str) -> Value {
    json!({ "kind": kind, "text": text })
}

fn done_tag() -> Value {
    tag("done", tr("Done", "Terminé"))
}

fn not_started() -> Value {
    tag("todo", tr("Not started", "Non commencé"))
}

fn in_progress() -> Value {
    tag("progress", tr("In progress", "En cours"))
}

fn action_needed() -> Value {
    tag("action", tr("Action needed", "Action requise"))
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
            let expires = g.proposal_expires_at.map(|t| match lang() {
                Language::En => format!("If you do not confirm it by {}, it is deleted.", long_date(t, Language::En)),
                Language::Fr => format!("Si vous ne la confirmez pas d’ici le {}, elle sera supprimée.", long_date(t, Language::Fr)),
            });
            let check = tr(
                "Check the peers’ names and addresses, then confirm to invite them.",
                "Vérifiez les noms et les adresses des collègues, puis confirmez pour les inviter.",
            );
            sections.push(json!({ "title": tr("Your group", "Votre groupe"), "summary": null, "tasks": [{
                "label": tr("Review and confirm the proposal", "Examiner et confirmer la proposition"), "url": "/api/me/group",
                "hint": format!("{check} {}", expires.unwrap_or_default()),
                "tag": action_needed(),
            }]}));
            Some(json!({
                "text": tr(
                    "Review your group’s proposal, then confirm it to invite your peers.",
                    "Examinez la proposition de votre groupe, puis confirmez-la pour inviter vos collègues.",
                ),
                "url": "/api/me/group",
                "link": tr("Review the proposal", "Examiner la proposition"),
            }))
        }
        Some("respond") => {
            let by = crate::app::membership::lapses_at(me).map(|t| match lang() {
                Language::En => format!("Answer by {}.", long_date(t, Language::En)),
                Language::Fr => format!("Répondez d’ici le {}.", long_date(t, Language::Fr)),
            });
            sections.push(json!({ "title": tr("Your invitation", "Votre invitation"), "summary": null, "tasks": [{
                "label": tr("Accept or decline the invitation", "Accepter ou refuser l’invitation"), "url": "/api/me/group",
                "hint": by, "tag": action_needed(),
            }]}));
            Some(json!({
                "text": tr(
                    "Read what joining means, then accept or decline the invitation.",
                    "Lisez ce qu’implique votre participation, puis acceptez ou refusez l’invitation.",
                ),
                "url": "/api/me/group",
                "link": tr("Respond to your invitation", "Répondre à votre invitation"),
            }))
        }
        Some(_) => Some(json!({
            "text": tr("The group’s history shows what happened.", "L’historique du groupe montre ce qui s’est passé."),
            "url": "/api/me/group",
            "link": tr("See the group’s history", "Voir l’historique du groupe"),
        })),
        None => {
            let locked = !g.is_open();
            let done = Activity::ALL.iter().filter(|a| me.activities.completed_on(**a).is_some()).count();
            let mine: Vec<Value> = Activity::ALL
                .iter()
                .map(|a| {
                    let on = me.activities.completed_on(*a);
                    json!({
                        "label": label(*a),
                        "url": format!("/api/me/activities#activity-{}", a.key()),
                        "hint": on.map(|d| match lang() {
                            Language::En => format!("Finished on {}", day(d)),
                            Language::Fr => format!("Terminée le {}", day(d)),
                        }),
                        "tag": if on.is_some() { done_tag() } else { not_started() },
                    })
                })
                .collect();
            let all = Activity::ALL.len();
            sections.push(json!({
                "title": tr("Your activities", "Vos activités"),
                "summary": match lang() {
                    Language::En => format!("You have completed {done} of {all} activities."),
                    Language::Fr => format!("Vous avez terminé {done} des {all} activités."),
                },
                "tasks": mine,
            }));
            let accepted = g.accepted().count();
            let invited = g.members.iter().filter(|m| matches!(m.status, MemberStatus::Invited { .. })).count();
            let total = accepted * Activity::ALL.len();
            let group_done: usize =
                g.accepted().map(|m| Activity::ALL.iter().filter(|a| m.activities.completed_on(**a).is_some()).count()).sum();
            let formed = matches!(phase, Phase::Formed | Phase::Submitted);
            let members_hint = match ((accepted, invited), lang()) {
                ((n, 0), Language::En) => format!("{n} {} joined.", if n == 1 { "member has" } else { "members have" }),
                ((n, i), Language::En) => format!(
                    "{n} {} joined; {i} invitation{} not answered yet.",
                    if n == 1 { "member has" } else { "members have" },
                    if i == 1 { " is" } else { "s are" }
                ),
                ((n, i), Language::Fr) => {
                    let joined =
                        if n == 1 { "1 membre fait partie du groupe".to_string() } else { format!("{n} membres font partie du groupe") };
                    match i {
                        0 => format!("{joined}."),
                        1 => format!("{joined}; 1 invitation est toujours sans réponse."),
                        i => format!("{joined}; {i} invitations sont toujours sans réponse."),
                    }
                }
            };
            let counting = g.pip.draft().map(|d| d.counting_goals()).unwrap_or(0);
            let ready = g.ready_to_submit().is_ok();
            let plan_tag = match &g.pip {
                PipState::Submitted { .. } => done_tag(),
                PipState::Draft { draft } if crate::domain::Pip::from_draft(draft).is_ok() => done_tag(),
                PipState::Draft { .. } => in_progress(),
                PipState::None => not_started(),
            };
            let submit_tag = match (&g.pip, ready) {
                (PipState::Submitted { .. }, _) => done_tag(),
                (_, true) => tag("action", tr("Ready to submit", "Prêt à soumettre")),
                _ => tag("locked", tr("Cannot submit yet", "Pas encore prêt à soumettre")),
            };
            let activities_hint = match lang() {
                Language::En => format!("{group_done} of {total} activities done across the group."),
                Language::Fr => format!("{group_done} des {total} activités terminées dans l’ensemble du groupe."),
            };
            let tasks = vec![
                json!({ "label": tr("Members join the group", "Les membres se joignent au groupe"), "url": "/api/me/group", "hint": members_hint,
                        "tag": if formed { done_tag() } else { tag("progress", tr("Waiting for a peer", "En attente d’une ou d’un collègue")) } }),
                json!({ "label": tr("Everyone finishes their activities", "Chaque membre termine ses activités"), "url": "/api/me/status",
                        "hint": activities_hint,
                        "tag": if total > 0 && group_done == total { done_tag() } else if group_done > 0 { in_progress() } else { not_started() } }),
                json!({ "label": tr("Write the group’s plan", "Rédiger le plan du groupe"), "url": "/api/me/pip",
                        "hint": goals_hint(counting), "tag": plan_tag }),
                json!({ "label": tr("Submit the plan", "Soumettre le plan"), "url": if locked { "/api/me/pip" } else { "/api/me/pip#submit" },
                        "hint": tr(
                            "Once every member has finished and the plan has enough goals. It then meets every member’s requirement for five years.",
                            "Lorsque chaque membre a terminé et que le plan compte assez d’objectifs. Il satisfait alors à l’exigence de qualité de chaque membre pendant cinq ans.",
                        ),
                        "tag": submit_tag }),
                measure_task(g),
            ];
            sections.push(json!({ "title": tr("Your group", "Votre groupe"), "summary": null, "tasks": tasks }));
            match (&g.pip, done < Activity::ALL.len()) {
                (PipState::Submitted { .. }, _) => record_next(g, me, today),
                (_, true) => {
                    let a = Activity::ALL.iter().find(|a| me.activities.completed_on(**a).is_none()).copied().unwrap_or(Activity::QiSurvey);
                    let (text, link) = match lang() {
                        Language::En => (format!("Do the {} and check it off.", a.label()), format!("Go to the {}", a.label())),
                        Language::Fr => (
                            format!("Faites l’activité {} et indiquez-la comme terminée.", label(a)),
                            format!("Aller à l’activité {}", label(a)),
                        ),
                    };
                    Some(json!({ "text": text, "url": format!("/api/me/activities#activity-{}", a.key()), "link": link }))
                }
                (_, false) if ready => Some(json!({
                    "text": tr("Everything is ready: any member can submit the plan.", "Tout est prêt\u{a0}: n’importe quel membre peut soumettre le plan."),
                    "url": "/api/me/pip#submit",
                    "link": tr("Submit the plan", "Soumettre le plan"),
                })),
                (_, false) if !formed => Some(json!({
                    "text": tr(
                        "Your activities are done. The group is formed once a peer accepts an invitation.",
                        "Vos activités sont terminées. Le groupe sera formé dès qu’une ou un collègue acceptera une invitation.",
                    ),
                    "url": "/api/me/group",
                    "link": tr("See who has answered", "Voir qui a répondu"),
                })),
                (_, false) if g.missing_activities().is_empty() => Some(json!({
                    "text": tr(
                        "Every member has finished: write the plan’s goals together.",
                        "Chaque membre a terminé\u{a0}: rédigez ensemble les objectifs du plan.",
                    ),
                    "url": "/api/me/pip",
                    "link": tr("Work on the plan", "Travailler au plan"),
                })),
                (_, false) => Some(json!({
                    "text": tr(
                        "Your activities are done. While the others finish theirs, start the group’s plan.",
                        "Vos activités sont terminées. Pendant que les autres terminent les leurs, commencez le plan du groupe.",
                    ),
                    "url": "/api/me/pip",
                    "link": tr("Work on the plan", "Travailler au plan"),
                })),
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
                Activity::ALL.iter().map(|a| json!({ "label": label(*a), "done_on": gm.activities.completed_on(*a).map(day) })).collect();
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
        "activity_labels": Activity::ALL.map(label),
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
            "items": mine.as_ref().map(|c| c.items.iter().map(|i| json!({ "label": i.label_in(lang()), "credits": i.credits })).collect::<Vec<_>>()).unwrap_or_default(),
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
                    error = r
                        .errors
                        .iter()
                        .find(|e| e.field != "activity")
                        .map(|e| e.text(lang()).to_string())
                        .or_else(|| Some(r.message.clone()));
                }
            }
            json!({
                "key": a.key(), "label": label(*a), "what": what, "guide": guide,
                "done_on": on.map(day),
                "day": v["d-day"], "month": v["d-month"], "year": v["d-year"],
                "error": error,
            })
        })
        .collect();
    let error_list: Vec<Value> = refused
        .map(|(a, r)| {
            let message = r.errors.iter().find(|e| e.field != "activity").map(|e| e.text(lang())).unwrap_or(&r.message);
            let line = match lang() {
                Language::En => format!("{}: {message}", a.label()),
                Language::Fr => format!("{}\u{a0}: {message}", label(a)),
            };
            vec![json!({ "href": format!("#completed_on-{}-day", a.key()), "message": line })]
        })
        .unwrap_or_default();
    let done = Activity::ALL.iter().filter(|a| gm.activities.completed_on(**a).is_some()).count();
    let values = json!({
        "group": { "name": g.name.as_str() },
        "saved": saved.map(|(a, done)| json!({ "label": label(a), "done": done })),
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
        let (en, fr) = match self {
            GroupNotice::Confirmed => (
                "You confirmed the group. Each peer has been emailed an invitation to accept or decline.",
                "Vous avez confirmé le groupe. Chaque collègue a reçu par courriel une invitation à accepter ou à refuser.",
            ),
            GroupNotice::Accepted => (
                "You have joined the group. You can now check off your four activities.",
                "Vous faites maintenant partie du groupe. Vous pouvez désormais indiquer vos quatre activités comme terminées.",
            ),
            GroupNotice::Invited => ("The invitation has been sent.", "L’invitation a été envoyée."),
            GroupNotice::Removed => (
                "The peer is no longer in the group, and has been told by email.",
                "Cette personne ne fait plus partie du groupe; elle en a été informée par courriel.",
            ),
            GroupNotice::Dissolved => (
                "The group is dissolved. Its members are free to join another group.",
                "Le groupe est dissous. Ses membres peuvent se joindre à un autre groupe.",
            ),
        };
        tr(en, fr)
    }
}

/// The page an emailed link opens (`code`: the valid code, else the
/// "not valid" variant).
pub fn sign_in_page(code: Option<&str>) -> String {
    let values = json!({ "code": code, "invalid": code.is_none(), "title": tr("Sign in to QI Groups", "Se connecter à Groupes AQ") });
    render_or_fallback("member/sign-in.html", "/me/", merge(values, crumbs(tr("Sign in", "Se connecter"), "/api/access")))
}

fn status_label(m: &GroupMember) -> String {
    match (&m.status, lang()) {
        (MemberStatus::Proposed, _) => tr("Proposed: not invited yet", "Proposition\u{a0}: invitation pas encore envoyée").to_string(),
        (MemberStatus::Invited { expires_at }, Language::En) => {
            format!("Invitation sent, open until {}", long_date(*expires_at, Language::En))
        }
        (MemberStatus::Invited { expires_at }, Language::Fr) => {
            format!("Invitation envoyée, valide jusqu’au {}", long_date(*expires_at, Language::Fr))
        }
        (MemberStatus::Accepted { .. }, _) => tr("Accepted", "Invitation acceptée").to_string(),
    }
}

/// "We could not deliver email to …" when SES reported `m`'s address as
/// undeliverable: shown to the member themself and to the lead (who sees
/// the addresses), to nobody else.
fn undeliverable_notice(m: &GroupMember, is_me: bool, viewer_is_lead: bool, list: &[crate::domain::Undeliverable]) -> Option<String> {
    let key = crate::domain::address_key(&m.member.email);
    if !list.iter().any(|u| u.address == key) || !(is_me || viewer_is_lead) {
        return None;
    }
    let email = m.member.email.as_str();
    Some(match (is_me, lang()) {
        (true, Language::En) => {
            format!("We could not deliver email to {email}. Ask program staff to correct your address, so that your links reach you.")
        }
        (true, Language::Fr) => format!(
            "Nous n’avons pas pu livrer de courriel à {email}. Demandez à l’équipe du programme de corriger votre adresse pour recevoir vos liens."
        ),
        (false, Language::En) => {
            format!("We could not deliver email to {email}. Check the address with them, then ask program staff to correct it.")
        }
        (false, Language::Fr) => format!(
            "Nous n’avons pas pu livrer de courriel à {email}. Vérifiez l’adresse avec cette personne, puis demandez à l’équipe du programme de la corriger."
        ),
    })
}

fn phase_label(p: Phase) -> &'static str {
    let (en, fr) = match p {
        Phase::Proposed => {
            ("Proposed: waiting for the lead to confirm", "Proposé\u{a0}: en attente de la confirmation de la personne responsable")
        }
        Phase::Confirmed => {
            ("Confirmed: waiting for a peer to accept", "Confirmé\u{a0}: en attente de l’acceptation d’une ou d’un collègue")
        }
        Phase::Formed => ("Formed", "Formé"),
        Phase::Submitted => ("Plan submitted", "Plan soumis"),
        Phase::Dissolved => ("Dissolved", "Dissous"),
    };
    tr(en, fr)
}

/// The member's group page (`GET /api/me/group`): the proposal to review,
/// the invitation to answer, or the members, changes and history. `errors`
/// and `refused` (the posted fields and the summary message): the invite
/// form coming back with its answers. `in_other_group`: the viewer already
/// holds another open group's lock (a lead cannot confirm then).
#[allow(clippy::too_many_arguments)]
pub fn group_page(
    g: &Group,
    slot: u8,
    notice: Option<GroupNotice>,
    refused: Option<&Refused>,
    in_other_group: bool,
    undeliverable: &[crate::domain::Undeliverable],
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
            v["undeliverable"] = json!(undeliverable_notice(m, m.slot == slot, is_lead, undeliverable));
            v
        })
        .collect();
    let audit: Vec<Value> =
        g.audit_trail().iter().map(|e| json!({ "date": long_date(e.at, lang()), "text": e.describe_in(lang()) })).collect();
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
        "proposal_expires": g.proposal_expires_at.map(|t| long_date(t, lang())),
        "me": {
            "slot": slot,
            "name": me.member.name.as_str(),
            "role": me.member.role.as_str(),
            "status": me.status.key(),
            "invitation_expires": crate::app::membership::lapses_at(me).map(|t| long_date(t, lang())),
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
            crate::domain::Text::new("x", "x"),
            vec![crate::domain::FieldError::tr(
                "completed_on",
                "invalid_format",
                "Enter a real date, with the day, month and year",
                "Inscrivez une date réelle, avec le jour, le mois et l’année",
            )],
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

    #[tokio::test]
    async fn a_french_reader_reads_the_pages_words_in_french() {
        let (g, _) = sample_group("100", &["101"], "2026-01-05T10:00:00Z");
        assert_eq!(phase_label(Phase::Formed), "Formed", "English outside a request");
        super::super::lang::scope_in(Language::Fr, async {
            assert_eq!(phase_label(Phase::Formed), "Formé");
            assert_eq!(goals_hint(0), "Aucun objectif pour l’instant\u{a0}: il en faut au moins 2 qui comptent.");
            assert_eq!(GroupNotice::Invited.sentence(), "L’invitation a été envoyée.");
            assert_eq!(status_label(&g.members[1]), "Invitation acceptée");
            assert_eq!(day(feb(1)), "1er février 2026");
            assert_eq!(label(Activity::ChartReview), "Revue de dossiers autodirigée");
            let nav = area(&g, 1, "/api/me");
            assert_eq!(nav["member_nav"][0]["label"], "Tâches");
            assert_eq!(measure_task(&g)["label"], "Mesurer les objectifs");
        })
        .await;
    }

    #[test]
    fn the_signed_out_page_offers_only_what_works() {
        let html = signed_out_page(false);
        assert!(html.contains("Sign in to see your group"));
        assert!(html.contains("href=\"/me/new-link/\""));
        assert!(!html.contains("<form class=\"qi-form\""), "no form that cannot work");
    }
}
