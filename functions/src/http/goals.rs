//! The measurement pages of the member area: every goal's measure at a
//! glance (`GET /api/me/measures`), and one goal's page (`GET
//! /api/me/goals/{id}`): its measure, the run chart with its signal in
//! words and the data as a table, the member's own data points with the
//! form to record one, and the PDSA cycles with the form to log one. The
//! same summaries appear on the group's progress page.
use chrono::{Days, NaiveDate};
use serde_json::{json, Value};

use super::chart::{data_table_html, run_chart_svg, Marker};
use super::forms::Refused;
use super::html::render_or_fallback;
use crate::app::measures::{open_for_data, DataError};
use crate::domain::measure::{DataSource, MeasureDefinition, MeasureKind, Period, PeriodId, PointValue};
use crate::domain::pdsa::Decision;
use crate::domain::runchart::{analyse, Analysis, Direction, Point};
use crate::domain::{long_day, requirement_met_until, GoalDraft, Group, Language};

use super::lang::{current as lang, tr};

/// A data source's name (the French beside [`DataSource::label`]; for
/// `Other`, the group's own description).
pub(crate) fn source_label(source: &DataSource, lang: Language) -> &str {
    match (source, lang) {
        (_, Language::En) | (DataSource::Other(_), _) => source.label(),
        (DataSource::EmrReport, Language::Fr) => "Rapport du DME",
        (DataSource::ChartAudit, Language::Fr) => "Vérification de dossiers",
        (DataSource::Tally, Language::Fr) => "Décompte",
    }
}

/// A PDSA decision as the timeline shows it (beside [`Decision::word`]).
fn decision_word(d: Decision, lang: Language) -> &'static str {
    match (d, lang) {
        (_, Language::En) => d.word(),
        (Decision::Adopt, Language::Fr) => "Adoptée",
        (Decision::Adapt, Language::Fr) => "Adaptée",
        (Decision::Abandon, Language::Fr) => "Abandonnée",
    }
}

/// A PDSA decision as the cycle form offers it (beside [`Decision::label`]).
fn decision_label(d: Decision, lang: Language) -> &'static str {
    match (d, lang) {
        (_, Language::En) => d.label(),
        (Decision::Adopt, Language::Fr) => "Adopter\u{a0}: conserver le changement",
        (Decision::Adapt, Language::Fr) => "Adapter\u{a0}: le modifier et le mettre à l’essai de nouveau",
        (Decision::Abandon, Language::Fr) => "Abandonner\u{a0}: cesser de le mettre à l’essai",
    }
}

/// "75% by 30 June 2027" / "75 % d’ici le 30 juin 2027".
fn target_text(def: &MeasureDefinition, t: f64, d: NaiveDate) -> String {
    match lang() {
        Language::En => format!("{} by {}", fmt(def, t), long_day(d, Language::En)),
        Language::Fr => format!("{} d’ici le {}", fmt(def, t), long_day(d, Language::Fr)),
    }
}

/// How far back the record form offers periods (older ones the member
/// recorded are offered too, to correct them).
const MONTHS_BACK: u32 = 36;
const WEEKS_BACK: u64 = 78;

/// A goal's run chart and its analysis, as the pages show them.
pub struct GoalChart {
    pub points: Vec<Point>,
    pub analysis: Analysis,
    pub markers: Vec<Marker>,
    pub unit: &'static str,
}

/// Goal `id`'s chart: the group's series, its analysis by Anhøj's rules,
/// and a marker at the first point on or after each PDSA cycle's start.
pub fn goal_chart(g: &Group, id: u16, def: &MeasureDefinition) -> GoalChart {
    let series = g.series(id).unwrap_or_else(|| crate::domain::measure::Series::new(def));
    let values = series.group_values();
    let points = series.to_runchart_points(g.baseline_end(id, def), lang());
    let analysis = analyse(&points, def.direction, def.target_value());
    let markers = g
        .cycles_of(id)
        .into_iter()
        .filter_map(|c| {
            let at = PeriodId::of(def.period, c.started_on);
            values.iter().position(|v| v.period >= at).map(|i| Marker::new(i, c.change_idea.clone()))
        })
        .collect();
    let unit = if def.kind == MeasureKind::Proportion { "%" } else { "" };
    GoalChart { points, analysis, markers, unit }
}

fn fmt(def: &MeasureDefinition, v: f64) -> String {
    def.kind.format(v, lang())
}

/// A point's value as the tables write it: "12 of 20 (60%)", "8", "8.5 minutes"
/// (French: "12 sur 20 (60 %)", "8,5 minutes").
fn point_text(def: &MeasureDefinition, v: &PointValue) -> String {
    match v {
        PointValue::Proportion { numerator, denominator } => match lang() {
            Language::En => format!("{numerator} of {denominator} ({})", fmt(def, v.value())),
            Language::Fr => format!("{numerator} sur {denominator} ({})", fmt(def, v.value())),
        },
        PointValue::Number(n) => fmt(def, *n),
    }
}

/// The definition as summary-list rows (label, text).
fn definition_rows(goal: &GoalDraft, def: &MeasureDefinition) -> Vec<Value> {
    let not_set = tr("Not set", "Non définie");
    let mut rows = vec![
        json!({ "label": tr("What is counted", "Ce qui est compté"), "text": def.counted }),
        json!({ "label": tr("Type", "Type"), "text": match (&def.kind, lang()) {
            (MeasureKind::Proportion, Language::En) => "Proportion: a numerator out of a denominator, shown as a percentage".to_string(),
            (MeasureKind::Proportion, Language::Fr) => "Proportion\u{a0}: un numérateur sur un dénominateur, exprimée en pourcentage".to_string(),
            (MeasureKind::Count, Language::En) => "Count per period".to_string(),
            (MeasureKind::Count, Language::Fr) => "Nombre par période".to_string(),
            (MeasureKind::Value { unit }, Language::En) => format!("Value, in {unit}"),
            (MeasureKind::Value { unit }, Language::Fr) => format!("Valeur, en {unit}"),
        } }),
        json!({ "label": tr("Data source", "Source des données"), "text": source_label(&def.source, lang()) }),
    ];
    if !def.sampling.is_empty() {
        rows.push(json!({ "label": tr("Sampling", "Échantillonnage"), "text": def.sampling }));
    }
    rows.push(json!({ "label": tr("Recorded", "Fréquence"), "text": match def.period {
        Period::Month => tr("Every month", "Chaque mois"),
        Period::Week => tr("Every week", "Chaque semaine"),
    } }));
    rows.push(json!({ "label": tr("Better when", "Sens de l’amélioration"), "text": match def.direction {
        Direction::HigherIsBetter => tr("Higher", "À la hausse"),
        Direction::LowerIsBetter => tr("Lower", "À la baisse"),
    } }));
    rows.push(json!({ "label": tr("Baseline", "Niveau de départ"), "text": def.baseline.map(|b| fmt(def, b)).unwrap_or_else(|| {
        tr("Not set", "Non défini").to_string()
    }) }));
    let target = match (def.target, goal.target_date) {
        (Some((t, d)), _) => target_text(def, t, d),
        (None, _) => not_set.to_string(),
    };
    rows.push(json!({ "label": tr("Target", "Cible"), "text": target }));
    rows
}

/// One goal's measure in brief (for the measures overview and the
/// progress page): its latest value against baseline and target, and the
/// chart's verdict.
pub fn goal_summary(g: &Group, n: usize, goal: &GoalDraft) -> Value {
    let title = goal_title(n, goal);
    let Some(def) = goal.definition.as_ref() else {
        return json!({ "id": goal.id, "n": n, "title": title, "defined": false });
    };
    let chart = goal_chart(g, goal.id, def);
    let latest = g.series(goal.id).and_then(|s| s.latest());
    let signal = if !chart.analysis.enough_data {
        json!({ "kind": "todo", "text": tr("Not enough data yet", "Pas encore assez de données") })
    } else {
        match chart.analysis.improvement {
            Some(true) => json!({ "kind": "done", "text": tr("Signal of improvement", "Signal d’amélioration") }),
            Some(false) => {
                json!({ "kind": "action", "text": tr("Signal: a change for the worse", "Signal\u{a0}: un changement défavorable") })
            }
            None => json!({ "kind": "progress", "text": tr("No signal", "Aucun signal") }),
        }
    };
    json!({
        "id": goal.id,
        "n": n,
        "title": title,
        "defined": true,
        "url": format!("/api/me/goals/{}", goal.id),
        "latest": latest.map(|l| json!({ "value": fmt(def, l.value), "period": l.period.label(lang()) })),
        "baseline": def.baseline.map(|b| fmt(def, b)),
        "target": def.target.map(|(t, d)| target_text(def, t, d)),
        "points": chart.points.len(),
        "signal": signal,
        "summary": chart.analysis.summary_in(lang()),
    })
}

fn goal_title(n: usize, goal: &GoalDraft) -> String {
    match (goal.aim.is_empty(), lang()) {
        (true, Language::En) => format!("Goal {n}"),
        (true, Language::Fr) => format!("Objectif {n}"),
        (false, Language::En) => format!("Goal {n}: {}", goal.aim),
        (false, Language::Fr) => format!("Objectif {n}\u{a0}: {}", goal.aim),
    }
}

/// Every goal of the plan, in brief.
pub fn summaries(g: &Group) -> Vec<Value> {
    g.pip.draft().map(|d| d.goals.iter().enumerate().map(|(i, goal)| goal_summary(g, i + 1, goal)).collect()).unwrap_or_default()
}

/// `GET /api/me/measures`: every goal's measure at a glance, and the
/// member's reminder setting. `changed`: the setting just saved (`on`/`off`).
pub fn measures_page(g: &Group, slot: u8, changed: Option<&str>) -> String {
    let off = g.member(slot).is_some_and(|m| m.reminders.off);
    let values = json!({
        "group": { "name": g.name.as_str() },
        "goals": summaries(g),
        "submitted": g.pip.is_submitted(),
        "reminders": { "on": !off, "changed": changed.filter(|c| matches!(*c, "on" | "off")) },
    });
    render_or_fallback("member/measures.html", "/me/", super::pages::with_area(values, g, slot, "/api/me/measures"))
}

/// What the goal page says at its top after a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GoalFlash {
    Recorded { period: String, corrected: bool },
    Deleted { period: String },
    CycleSaved,
    CycleDeleted,
}

/// Which of the goal page's forms a refusal is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GoalForm {
    Point,
    Cycle,
}

/// What the goal page's forms start from: a period's point to correct
/// (`?period=`), a cycle to update (`?cycle=`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GoalEdit {
    pub period: Option<String>,
    pub cycle: Option<u16>,
}

/// The periods the record form offers, newest first, with the default chosen.
fn period_options(def: &MeasureDefinition, today: NaiveDate, mine: &[PeriodId], chosen: Option<&str>) -> Vec<Value> {
    let current = PeriodId::of(def.period, today);
    let mut periods = vec![current];
    let mut p = current;
    let back = match def.period {
        Period::Month => MONTHS_BACK as u64,
        Period::Week => WEEKS_BACK,
    };
    for _ in 0..back {
        let Some(before) = p.start().checked_sub_days(Days::new(1)) else { break };
        p = PeriodId::of(def.period, before);
        periods.push(p);
    }
    for m in mine {
        if !periods.contains(m) {
            periods.push(*m);
        }
    }
    periods.sort_by(|a, b| b.cmp(a));
    // By default the last full period without a point of the member's: what
    // a monthly tally records at the start of the next month.
    let default =
        chosen.map(str::to_string).unwrap_or_else(|| periods.iter().skip(1).find(|p| !mine.contains(p)).unwrap_or(&current).key());
    periods
        .iter()
        .map(|p| {
            let key = p.key();
            let recorded = mine.contains(p);
            let mark = if recorded { tr(" (recorded)", " (donnée saisie)") } else { "" };
            json!({ "key": key, "label": format!("{}{mark}", p.label(lang())), "selected": key == default })
        })
        .collect()
}

/// `GET /api/me/goals/{id}`: one goal's measure, chart, data and cycles.
/// `None` when the plan has no such goal.
pub fn goal_page(
    g: &Group,
    slot: u8,
    id: u16,
    today: NaiveDate,
    flash: Option<GoalFlash>,
    edit: &GoalEdit,
    refused: Option<(GoalForm, &Refused)>,
) -> Option<String> {
    let (n, goal) = g.goal(id)?;
    let me = g.member(slot)?;
    let title = goal_title(n, goal);
    let open = match open_for_data(g, today) {
        Ok(()) => None,
        Err(DataError::RequirementEnded { until }) => Some(match lang() {
            Language::En => {
                format!("Your group's requirement ended on {}: the data stays here, and no more can be added.", long_day(until, Language::En))
            }
            Language::Fr => format!(
                "La période pendant laquelle votre groupe satisfait à l’exigence de qualité a pris fin le {}\u{a0}: les données restent ici, mais aucune autre ne peut être ajoutée.",
                long_day(until, Language::Fr)
            ),
        }),
        Err(_) => Some(
            tr(
                "This group is no longer active, so no more data can be added.",
                "Ce groupe n’est plus actif, alors aucune donnée ne peut plus être ajoutée.",
            )
            .to_string(),
        ),
    };
    let mut values = json!({
        "group": { "name": g.name.as_str() },
        "goal": { "id": id, "n": n, "title": title, "aim": goal.aim, "measure": goal.measure, "defined": goal.definition.is_some() },
        "closed": open,
        "flash": flash.as_ref().map(|f| match (f, lang()) {
            (GoalFlash::Recorded { period, corrected: false }, Language::En) => format!("Your data for {period} is recorded."),
            (GoalFlash::Recorded { period, corrected: false }, Language::Fr) => format!("Vos données de {period} sont enregistrées."),
            (GoalFlash::Recorded { period, corrected: true }, Language::En) => format!("Your data for {period} is corrected."),
            (GoalFlash::Recorded { period, corrected: true }, Language::Fr) => format!("Vos données de {period} sont corrigées."),
            (GoalFlash::Deleted { period }, Language::En) => format!("Your data point for {period} is deleted."),
            (GoalFlash::Deleted { period }, Language::Fr) => format!("Votre donnée de {period} est supprimée."),
            (GoalFlash::CycleSaved, _) => tr("The PDSA cycle is saved.", "Le cycle PFEA est enregistré.").to_string(),
            (GoalFlash::CycleDeleted, _) => tr("The PDSA cycle is deleted.", "Le cycle PFEA est supprimé.").to_string(),
        }),
        "example_date": long_day(today, lang()),
    });
    let o = values.as_object_mut()?;

    // The cycles, for the timeline (and the chart's markers).
    let cycles: Vec<Value> = g
        .cycles_of(id)
        .into_iter()
        .map(|c| {
            let by = g
                .member(c.by)
                .map(|m| m.member.name.to_string())
                .unwrap_or_else(|| tr("A former member", "Une personne qui a quitté le groupe").to_string());
            json!({
                "id": c.id,
                "change_idea": c.change_idea,
                "plan": c.plan,
                "prediction": c.prediction,
                "study": c.study,
                "started_on": long_day(c.started_on, lang()),
                "ended_on": c.ended_on.map(|d| long_day(d, lang())),
                "decision": c.decision.map(|d| decision_word(d, lang())),
                "by": by,
                "mine": c.by == slot,
            })
        })
        .collect();
    o.insert("cycles".into(), json!(cycles));

    if let Some(def) = goal.definition.as_ref() {
        o.insert("definition".into(), json!(definition_rows(goal, def)));
        let chart = goal_chart(g, id, def);
        let caption = match lang() {
            Language::En => format!("{title}: the group's value for each period"),
            Language::Fr => format!("{title}\u{a0}: la valeur du groupe pour chaque période"),
        };
        o.insert(
            "chart".into(),
            json!({
                "svg": run_chart_svg(&title, &chart.points, &chart.analysis, def.target_value(), &chart.markers, chart.unit, lang()),
                "table": data_table_html(&caption, &chart.points, &chart.analysis, &chart.markers, chart.unit, lang()),
                "summary": chart.analysis.summary_in(lang()),
                "points": chart.points.len(),
                "enough": chart.analysis.enough_data,
            }),
        );
        let mut mine: Vec<_> = me.points.iter().filter(|p| p.goal == id && def.fits(&p.point)).collect();
        mine.sort_by_key(|p| std::cmp::Reverse(p.point.period));
        let mine_periods: Vec<PeriodId> = mine.iter().map(|p| p.point.period).collect();
        o.insert(
            "my_points".into(),
            json!(mine
                .iter()
                .map(|p| json!({
                    "period": p.point.period.key(),
                    "label": p.point.period.label(lang()),
                    "value": point_text(def, &p.point.value),
                    "note": p.point.note,
                }))
                .collect::<Vec<_>>()),
        );
        let misfits = g.misfit_points(id).len();
        o.insert("misfits".into(), json!(misfits));

        // The record form: refused answers, else the point being corrected.
        let editing = edit.period.as_deref().and_then(|k| PeriodId::parse(k).ok()).and_then(|p| me.point(id, p));
        let mut form = json!({});
        if let Some(p) = editing {
            let (num, den, val) = match p.point.value {
                PointValue::Proportion { numerator, denominator } => (numerator.to_string(), denominator.to_string(), String::new()),
                PointValue::Number(v) => (String::new(), String::new(), crate::domain::measure::format_number(v, lang())),
            };
            form = json!({ "period": p.point.period.key(), "numerator": num, "denominator": den, "value": val, "note": p.point.note });
        }
        let mut point_errors = json!({});
        if let Some((GoalForm::Point, r)) = refused {
            let v = r.values(|f| Some(format!("#point-{f}")));
            form = v["values"].clone();
            point_errors = v["errors"].clone();
            o.insert("error_list".into(), v["error_list"].clone());
            o.insert("error_message".into(), v["summary"].clone());
        }
        let chosen = form.get("period").and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string);
        o.insert("periods".into(), json!(period_options(def, today, &mine_periods, chosen.as_deref())));
        o.insert(
            "kind".into(),
            json!({
                "key": def.kind.key(),
                "unit": def.kind.unit().map(|u| u.to_string()),
                "counted": def.counted,
                "period_word": match def.period { Period::Month => tr("month", "mois"), Period::Week => tr("week", "semaine") },
            }),
        );
        o.insert("point_form".into(), form);
        o.insert("point_errors".into(), point_errors);
        o.insert("editing_point".into(), json!(editing.map(|p| p.point.period.label(lang()))));
    }

    // The cycle form: refused answers, else the cycle being updated.
    let editing_cycle = edit.cycle.and_then(|cid| me.cycles.iter().find(|c| c.id == cid && c.goal == id));
    let mut cform = serde_json::Map::new();
    if let Some(c) = editing_cycle {
        for (k, v) in [("change_idea", &c.change_idea), ("plan", &c.plan), ("prediction", &c.prediction), ("study", &c.study)] {
            cform.insert(k.into(), json!(v));
        }
        cform.insert("decision".into(), json!(c.decision.map(|d| d.key()).unwrap_or_default()));
        date_parts(&mut cform, "started_on", Some(c.started_on));
        date_parts(&mut cform, "ended_on", c.ended_on);
    }
    let mut cycle_errors = json!({});
    if let Some((GoalForm::Cycle, r)) = refused {
        let v = r.values(|f| Some(cycle_href(f)));
        cform = v["values"].as_object().cloned().unwrap_or_default();
        cycle_errors = v["errors"].clone();
        o.insert("error_list".into(), v["error_list"].clone());
        o.insert("error_message".into(), v["summary"].clone());
    }
    o.insert("cycle_form".into(), Value::Object(cform));
    o.insert("cycle_errors".into(), cycle_errors);
    o.insert("editing_cycle".into(), json!(editing_cycle.map(|c| json!({ "id": c.id, "change_idea": c.change_idea }))));
    o.insert(
        "decisions".into(),
        json!(Decision::ALL.iter().map(|d| json!({ "key": d.key(), "label": decision_label(*d, lang()) })).collect::<Vec<_>>()),
    );
    if g.pip.is_submitted() {
        o.insert("until".into(), json!(g.pip.submitted_on().map(|d| long_day(requirement_met_until(d), lang()))));
    }
    Some(render_or_fallback("member/goal.html", "/me/", super::pages::with_area(values, g, slot, "/api/me/measures")))
}

/// A cycle form field's anchor: the date fields link to their day input.
fn cycle_href(field: &str) -> String {
    match field {
        "started_on" | "ended_on" => format!("#cycle-{field}-day"),
        "decision" => "#cycle-decision-none".to_string(),
        f => format!("#cycle-{f}"),
    }
}

fn date_parts(m: &mut serde_json::Map<String, Value>, name: &str, d: Option<NaiveDate>) {
    use chrono::Datelike;
    let (dd, mm, yy) = d.map(|d| (d.day().to_string(), d.month().to_string(), d.year().to_string())).unwrap_or_default();
    m.insert(format!("{name}-day"), json!(dd));
    m.insert(format!("{name}-month"), json!(mm));
    m.insert(format!("{name}-year"), json!(yy));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::measure::DataPoint;
    use crate::domain::pdsa::PdsaCycle;
    use crate::domain::{GoalPoint, PipDraft, PipState};
    use crate::store::conformance::formed_group as sample_group;

    fn d(s: &str) -> NaiveDate {
        crate::domain::values::parse_date(s).unwrap()
    }

    /// A group whose goal 1 (id 1) measures allergy recording monthly,
    /// higher is better, baseline 40%, target 75%.
    fn measured() -> Group {
        let (mut g, _) = sample_group("100", &["101"], "2025-01-05T10:00:00Z");
        let goal = crate::store::conformance::measured_goal_input("2027-06-30");
        let mut draft = PipDraft::parse("", "", vec![(1, goal)]).unwrap();
        draft.assign_ids(None, []);
        g.pip = PipState::Draft { draft };
        g
    }

    fn record(g: &mut Group, slot: u8, month: &str, n: u32, of: u32) {
        let point = DataPoint {
            period: PeriodId::parse(month).unwrap(),
            by: slot,
            value: PointValue::proportion(n, of).unwrap(),
            note: String::new(),
        };
        let at = "2026-12-01T10:00:00Z".parse().unwrap();
        g.members.iter_mut().find(|m| m.slot == slot).unwrap().apply_data(&crate::domain::DataChange::Point(GoalPoint {
            goal: 1,
            point,
            at,
        }));
    }

    #[test]
    fn a_new_measure_says_there_is_not_enough_data() {
        let mut g = measured();
        record(&mut g, 0, "2026-10", 4, 10);
        record(&mut g, 1, "2026-10", 5, 10);
        record(&mut g, 1, "2026-11", 6, 10);
        let html = goal_page(&g, 1, 1, d("2026-12-02"), None, &GoalEdit::default(), None).unwrap();
        assert!(html.contains("<h1><span class=\"qi-caption\">Measure</span> Goal 1: Record allergies</h1>"), "{html}");
        assert!(html.contains("Not enough data yet to judge: 2 of the 10 points needed."), "{html}");
        assert!(html.contains("role=\"img\""), "the chart");
        assert!(html.contains("<table class=\"qi-chart-table\">"), "the data beside it");
        assert!(html.contains("<option value=\"2026-11\">November 2026 (recorded)</option>"), "{html}");
        assert!(html.contains("<option value=\"2026-12\">December 2026</option>"));
        // The default period is the last full one without the member's point.
        assert!(html.contains("<option value=\"2026-09\" selected>"), "{html}");
        assert!(html.contains("9 of 10 (90%)") || html.contains("6 of 10 (60%)"), "the member's own points");
        assert!(html.contains("aria-current=\"page\">Measures</a>"), "the member area's navigation");
        let overview = measures_page(&g, 1, Some("off"));
        assert!(overview.contains("Reminders are off"), "{overview}");
        assert!(overview.contains("Not enough data yet"), "{overview}");
        assert!(overview.contains("<a href=\"/api/me/goals/1\">Goal 1: Record allergies</a>"));
        assert!(overview.contains("60%"), "the latest period's value (6 of 10): {overview}");
    }

    #[test]
    fn a_shift_is_read_in_words_and_a_cycle_marks_the_chart() {
        let mut g = measured();
        // Ten baseline months around 40%, submitted, then eight months above.
        let baseline = [4, 5, 3, 4, 4, 5, 3, 4, 3, 4];
        for (i, n) in baseline.iter().enumerate() {
            record(&mut g, 0, &format!("2025-{:02}", i + 1), *n, 10);
        }
        g.pip = PipState::Submitted { pip: g.pip.draft().unwrap().clone(), submitted_on: d("2025-11-15") };
        for (i, n) in [6, 7, 7, 8, 7, 8, 8, 9].iter().enumerate() {
            let month = PeriodId::parse("2025-11").unwrap();
            let mut p = month;
            for _ in 0..i {
                p = p.next();
            }
            record(&mut g, 1, &p.key(), *n, 10);
        }
        let cycle = PdsaCycle {
            id: 1,
            goal: 1,
            by: 1,
            change_idea: "Allergy question at check-in".into(),
            plan: "Reception asks".into(),
            prediction: "Better".into(),
            started_on: d("2025-11-03"),
            ended_on: None,
            study: String::new(),
            decision: None,
            at: "2025-11-03T10:00:00Z".parse().unwrap(),
        };
        g.members[1].apply_data(&crate::domain::DataChange::Cycle(cycle));
        let html = goal_page(&g, 1, 1, d("2026-07-02"), None, &GoalEdit::default(), None).unwrap();
        assert!(
            html.contains("Shift: the last 8 points are above the baseline median, which is unlikely to be chance. Higher is better, so this is an improvement."),
            "{html}"
        );
        assert!(html.contains("qi-chart__marker"), "the cycle is marked");
        assert!(html.contains("Changes marked: Allergy question at check-in (November 2025)"), "{html}");
        assert!(html.contains("<h3 class=\"qi-timeline__title\">Allergy question at check-in</h3>"));
        assert!(html.contains("?edit_cycle=1#cycle-form"), "the member's own cycle can be updated");
        let summary = goal_summary(&g, 1, &g.pip.draft().unwrap().goals[0]);
        assert_eq!(summary["signal"]["text"], "Signal of improvement");
        // Another member sees the cycle but cannot change it.
        let other = goal_page(&g, 0, 1, d("2026-07-02"), None, &GoalEdit::default(), None).unwrap();
        assert!(!other.contains("?edit_cycle=1"));
        // After the requirement, the data stays and the forms go.
        let late = goal_page(&g, 1, 1, d("2030-11-16"), None, &GoalEdit::default(), None).unwrap();
        assert!(late.contains("requirement ended on 15 November 2030"), "{late}");
        assert!(!late.contains("action=\"/api/me/goals/1/points\""));
    }

    #[test]
    fn a_refused_point_keeps_the_answers_beside_their_fields() {
        let g = measured();
        let mut f = crate::http::input::Fields::default();
        for (k, v) in [("period", "2026-11"), ("numerator", "12"), ("denominator", "10"), ("note", "x")] {
            f.insert(k, v);
        }
        let err = crate::http::error::ApiError::validation(
            crate::domain::Text::new(
                "The data point could not be saved; nothing was changed",
                "La donnée n’a pas pu être enregistrée; rien n’a été modifié",
            ),
            vec![crate::domain::FieldError::tr(
                "numerator",
                "inconsistent",
                "The numerator is at most the denominator",
                "Le numérateur ne peut pas dépasser le dénominateur",
            )],
        );
        assert_eq!(err.fields()[0].fr, "Le numérateur ne peut pas dépasser le dénominateur");
        let refused = Refused::new(f, &err);
        let html = goal_page(&g, 1, 1, d("2026-12-02"), None, &GoalEdit::default(), Some((GoalForm::Point, &refused))).unwrap();
        assert!(html.contains("<title>Error: "), "{html}");
        assert!(html.contains("<a href=\"#point-numerator\">The numerator is at most the denominator</a>"), "{html}");
        assert!(html.contains("id=\"point-numerator-error\""));
        assert!(html.contains("name=\"numerator\" maxlength=\"12\" autocomplete=\"off\" value=\"12\""), "{html}");
        assert!(html.contains("<option value=\"2026-11\" selected>"), "the period sent stays chosen");
    }

    #[tokio::test]
    async fn a_french_reader_reads_the_summaries_and_the_measure_in_french() {
        let mut g = measured();
        record(&mut g, 0, "2026-10", 4, 10);
        record(&mut g, 1, "2026-11", 6, 10);
        let goal = g.pip.draft().unwrap().goals[0].clone();
        let (en, fr) = (goal_summary(&g, 1, &goal), super::super::lang::scope_in(Language::Fr, async { goal_summary(&g, 1, &goal) }).await);
        assert_eq!(en["title"], "Goal 1: Record allergies");
        assert_eq!(fr["title"], "Objectif 1\u{a0}: Record allergies");
        assert_eq!(fr["signal"]["text"], "Pas encore assez de données");
        assert_eq!(fr["latest"]["period"], "novembre 2026");
        assert_eq!(fr["latest"]["value"], "60\u{a0}%");
        assert_eq!(fr["target"], "75\u{a0}% d’ici le 30 juin 2027");
        assert_eq!(en["target"], "75% by 30 June 2027");
        let def = goal.definition.as_ref().unwrap();
        let rows = super::super::lang::scope_in(Language::Fr, async { definition_rows(&goal, def) }).await;
        assert!(rows.iter().any(|r| r["label"] == "Niveau de départ" && r["text"] == "40\u{a0}%"), "{rows:?}");
        assert_eq!(decision_word(Decision::Adopt, Language::Fr), "Adoptée");
    }

    #[test]
    fn a_goal_without_a_measure_says_how_to_define_one() {
        let (mut g, _) = sample_group("100", &["101"], "2026-01-05T10:00:00Z");
        let mut draft = crate::store::conformance::complete_draft();
        draft.assign_ids(None, []);
        g.pip = PipState::Draft { draft };
        let html = goal_page(&g, 1, 1, d("2026-12-02"), None, &GoalEdit::default(), None).unwrap();
        assert!(html.contains("Define its measure in the group plan"), "{html}");
        assert!(goal_page(&g, 1, 9, d("2026-12-02"), None, &GoalEdit::default(), None).is_none(), "no such goal");
    }
}
