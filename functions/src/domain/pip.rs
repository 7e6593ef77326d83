//! The group's Practice Improvement Plan (PIP) and its goals.
use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};

use super::measure::{MeasureDefinition, MeasureInput};
use super::values::{parse_text_tr, Invalid};
use super::FieldError;

pub use qi_facts::limits::{MAX_GOALS, MIN_COUNTING_GOALS, REQUIREMENT_YEARS};
pub const SECTION_MAX: usize = qi_facts::limits::PIP_SECTION;
pub const GOAL_FIELD_MAX: usize = qi_facts::limits::GOAL_FIELD;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GoalKind {
    /// A practice-improvement goal.
    Practice,
    /// A physician health / self-care goal.
    SelfCare,
}

impl GoalKind {
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        match input.trim() {
            s if s == GoalKind::Practice.as_str() => Ok(GoalKind::Practice),
            s if s == GoalKind::SelfCare.as_str() => Ok(GoalKind::SelfCare),
            _ => Err(Invalid::tr(
                "invalid_format",
                "Choose practice improvement (practice) or physician health and self-care (self_care)",
                "Choisissez un objectif d’amélioration de la pratique (practice) ou de santé personnelle (self_care)",
            )),
        }
    }
    pub fn as_str(self) -> &'static str {
        self.fact().key
    }
    /// The name people read.
    pub fn label(self) -> &'static str {
        self.fact().label
    }
    fn fact(self) -> &'static qi_facts::Named {
        match self {
            GoalKind::Practice => &qi_facts::GOAL_KINDS[0],
            GoalKind::SelfCare => &qi_facts::GOAL_KINDS[1],
        }
    }
}

/// A goal as saved in a draft: any field may still be empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GoalDraft {
    /// Stable for the goal's life, so that its data points and PDSA cycles
    /// stay with it when other goals are added or removed (positions
    /// shift). 0 until the service assigns one when the draft is saved
    /// ([`PipDraft::assign_ids`]); never reused within a group.
    #[serde(default)]
    pub id: u16,
    pub kind: Option<GoalKind>,
    pub aim: String,
    pub measure: String,
    pub baseline: String,
    pub target: String,
    pub target_date: Option<NaiveDate>,
    pub change_ideas: String,
    /// The structured measure (kind, period, direction, baseline and target
    /// as numbers), once defined: data points are recorded against it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub definition: Option<MeasureDefinition>,
}

impl GoalDraft {
    pub fn is_empty(&self) -> bool {
        self.definition.is_none()
            && self.kind.is_none()
            && self.aim.is_empty()
            && self.measure.is_empty()
            && self.baseline.is_empty()
            && self.target.is_empty()
            && self.target_date.is_none()
            && self.change_ideas.is_empty()
    }
}

/// A PIP as saved: shape-checked (lengths, dates) but possibly incomplete.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PipDraft {
    pub strengths: String,
    pub improvements: String,
    pub goals: Vec<GoalDraft>,
}

/// Raw text of one goal row, as received (form or JSON).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct GoalInput {
    pub kind: String,
    pub aim: String,
    pub measure: String,
    pub baseline: String,
    pub target: String,
    pub target_date: String,
    pub change_ideas: String,
    /// The goal's id as the form last showed it (empty for a new row).
    pub id: String,
    /// The structured measure: `proportion`, `count` or `value`.
    pub measure_kind: String,
    pub measure_unit: String,
    pub measure_counted: String,
    pub measure_source: String,
    pub measure_source_other: String,
    pub measure_sampling: String,
    pub measure_period: String,
    pub measure_direction: String,
    pub baseline_value: String,
    pub target_value: String,
}

impl GoalInput {
    fn is_blank(&self) -> bool {
        self.measure_input().is_blank()
            && [&self.kind, &self.aim, &self.measure, &self.baseline, &self.target, &self.target_date, &self.change_ideas]
                .iter()
                .all(|s| s.trim().is_empty())
    }

    /// The structured measure's fields.
    pub fn measure_input(&self) -> MeasureInput<'_> {
        MeasureInput {
            kind: &self.measure_kind,
            unit: &self.measure_unit,
            counted: &self.measure_counted,
            source: &self.measure_source,
            source_other: &self.measure_source_other,
            sampling: &self.measure_sampling,
            period: &self.measure_period,
            direction: &self.measure_direction,
            baseline: &self.baseline_value,
            target: &self.target_value,
            target_date: &self.target_date,
        }
    }
}

impl PipDraft {
    /// Shape-check raw input. `goals` are `(N, row)` with N the 1-based form
    /// row (errors name `goal_N_*`); all-blank rows are dropped.
    pub fn parse(strengths: &str, improvements: &str, goals: Vec<(usize, GoalInput)>) -> Result<PipDraft, Vec<FieldError>> {
        let mut errors = Vec::new();
        fn text_into(errors: &mut Vec<FieldError>, field: &str, value: &str, max: usize, what: (&str, &str)) -> String {
            match parse_text_tr(value, max, what.0, what.1) {
                Ok(s) => s,
                Err(e) => {
                    errors.push(FieldError::invalid(field, e));
                    String::new()
                }
            }
        }
        macro_rules! text {
            ($($a:expr),*) => { text_into(&mut errors, $($a),*) };
        }
        let strengths = text!("strengths", strengths, SECTION_MAX, ("Areas of strength", "Points forts"));
        let improvements = text!("improvements", improvements, SECTION_MAX, ("Areas for improvement", "Points à améliorer"));
        let goals: Vec<_> = goals.into_iter().filter(|(_, g)| !g.is_blank()).collect();
        if goals.len() > MAX_GOALS {
            errors.push(FieldError::tr(
                "goals",
                "too_many",
                format!("A PIP has at most {MAX_GOALS} goals"),
                format!("Un PAP comprend au plus {MAX_GOALS} objectifs"),
            ));
        }
        let mut out = Vec::new();
        for (n, g) in goals {
            let f = |name: &str| format!("goal_{n}_{name}");
            let kind = if g.kind.trim().is_empty() {
                None
            } else {
                match GoalKind::parse(&g.kind) {
                    Ok(k) => Some(k),
                    Err(e) => {
                        errors.push(FieldError::invalid(f("kind"), e));
                        None
                    }
                }
            };
            let target_date = if g.target_date.trim().is_empty() {
                None
            } else {
                match super::values::parse_date(&g.target_date) {
                    Ok(d) => Some(d),
                    Err(e) => {
                        errors.push(FieldError::invalid(f("target_date"), e));
                        None
                    }
                }
            };
            let aim = text!(&f("aim"), &g.aim, GOAL_FIELD_MAX, ("The aim statement", "Énoncé d’objectif"));
            let measure = text!(&f("measure"), &g.measure, GOAL_FIELD_MAX, ("The measure", "Mesure"));
            let baseline = text!(&f("baseline"), &g.baseline, GOAL_FIELD_MAX, ("The baseline", "Niveau de départ"));
            let target = text!(&f("target"), &g.target, GOAL_FIELD_MAX, ("The target", "Cible"));
            let change_ideas = text!(&f("change_ideas"), &g.change_ideas, GOAL_FIELD_MAX, ("The change ideas", "Idées de changement"));
            let m = g.measure_input();
            let definition = if m.is_blank() {
                None
            } else {
                match MeasureDefinition::parse(n, &m) {
                    Ok(d) => Some(d),
                    Err(es) => {
                        // The target date is the goal's own field too: one message for it.
                        let seen: Vec<String> = errors.iter().map(|e| e.field.clone()).collect();
                        errors.extend(es.into_iter().filter(|e| !seen.contains(&e.field)));
                        None
                    }
                }
            };
            // An id the form cannot have shown is treated as a new goal's.
            let id = g.id.trim().parse().unwrap_or(0);
            out.push(GoalDraft { id, kind, aim, measure, baseline, target, target_date, change_ideas, definition });
        }
        if errors.is_empty() {
            Ok(PipDraft { strengths, improvements, goals: out })
        } else {
            Err(errors)
        }
    }

    /// Give every goal its stable id: an id `previous` (the draft as saved
    /// before) has keeps it, at most once; every other goal gets a fresh one,
    /// above every id in `used` (ids that data points or cycles refer to,
    /// so that a removed goal's id never comes back).
    pub fn assign_ids(&mut self, previous: Option<&PipDraft>, used: impl IntoIterator<Item = u16>) {
        let known: Vec<u16> = previous.map(|p| p.goals.iter().map(|g| g.id).filter(|&id| id > 0).collect()).unwrap_or_default();
        let mut next = known.iter().copied().chain(used).max().unwrap_or(0);
        let mut taken = Vec::new();
        for g in &mut self.goals {
            if g.id == 0 || !known.contains(&g.id) || taken.contains(&g.id) {
                next += 1;
                g.id = next;
            }
            taken.push(g.id);
        }
    }

    /// The goals with a structured measure (and their id, so data can refer
    /// to them), with their number in the plan (1-based), in plan order.
    pub fn measured(&self) -> impl Iterator<Item = (usize, &GoalDraft, &MeasureDefinition)> {
        self.goals.iter().enumerate().filter(|(_, g)| g.id > 0).filter_map(|(i, g)| g.definition.as_ref().map(|d| (i + 1, g, d)))
    }

    /// The goal with id `id`, with its number in the plan (1-based).
    pub fn goal(&self, id: u16) -> Option<(usize, &GoalDraft)> {
        self.goals.iter().enumerate().find(|(_, g)| g.id == id && id > 0).map(|(i, g)| (i + 1, g))
    }

    /// The goals that count, with their number in the plan (1-based): every
    /// practice goal, and the first self-care goal (goals without a kind
    /// do not count).
    pub fn counted_goals(&self) -> impl Iterator<Item = (usize, &GoalDraft)> {
        let mut self_care_seen = false;
        self.goals.iter().enumerate().filter_map(move |(i, g)| {
            let counts = match g.kind? {
                GoalKind::Practice => true,
                GoalKind::SelfCare => !std::mem::replace(&mut self_care_seen, true),
            };
            counts.then_some((i + 1, g))
        })
    }

    /// Goals that count toward the minimum: every practice goal, and at most
    /// one self-care goal. Counts only goals with a kind.
    pub fn counting_goals(&self) -> usize {
        counting(self.goals.iter().filter_map(|g| g.kind))
    }
}

fn counting(kinds: impl Iterator<Item = GoalKind>) -> usize {
    let (mut practice, mut self_care) = (0, 0);
    for k in kinds {
        match k {
            GoalKind::Practice => practice += 1,
            GoalKind::SelfCare => self_care += 1,
        }
    }
    practice + self_care.min(1)
}

/// A complete, measurable goal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Goal {
    pub id: u16,
    pub kind: GoalKind,
    pub aim: String,
    pub measure: String,
    pub baseline: String,
    pub target: String,
    pub target_date: NaiveDate,
    pub change_ideas: String,
    pub definition: Option<MeasureDefinition>,
}

/// A PIP ready to submit: strengths and improvements stated, every goal
/// complete, and at least two counting goals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pip {
    pub strengths: String,
    pub improvements: String,
    pub goals: Vec<Goal>,
}

impl Pip {
    /// Check a draft is complete. Errors name form fields (`goal_N_aim`, with N
    /// the goal's position in the draft, 1-based).
    pub fn from_draft(d: &PipDraft) -> Result<Pip, Vec<FieldError>> {
        let mut errors = Vec::new();
        if d.strengths.is_empty() {
            errors.push(FieldError::tr(
                "strengths",
                "required",
                "Describe your group's areas of strength",
                "Décrivez les points forts de votre groupe",
            ));
        }
        if d.improvements.is_empty() {
            errors.push(FieldError::tr(
                "improvements",
                "required",
                "Describe your group's areas for improvement",
                "Décrivez les points à améliorer de votre groupe",
            ));
        }
        let mut goals = Vec::new();
        for (i, g) in d.goals.iter().enumerate() {
            let n = i + 1;
            let mut need = |ok: bool, name: &str, en: &str, fr: &str| {
                if !ok {
                    let e = FieldError::tr(format!("goal_{n}_{name}"), "required", en, fr);
                    errors.push(e.prefixed(&format!("Goal {n}: "), &format!("Objectif {n}\u{a0}: ")));
                }
            };
            need(
                g.kind.is_some(),
                "kind",
                "choose practice improvement or physician health and self-care",
                "choisissez un objectif d’amélioration de la pratique ou de santé personnelle",
            );
            need(!g.aim.is_empty(), "aim", "write an aim statement", "rédigez un énoncé d’objectif");
            need(!g.measure.is_empty(), "measure", "say how you will measure it", "indiquez comment vous le mesurerez");
            need(
                !g.baseline.is_empty(),
                "baseline",
                "give the baseline (where you start)",
                "indiquez le niveau de départ (votre point de départ)",
            );
            need(!g.target.is_empty(), "target", "give the target you aim for", "indiquez la cible que vous visez");
            need(g.target_date.is_some(), "target_date", "give a target date", "indiquez une date cible");
            need(
                !g.change_ideas.is_empty(),
                "change_ideas",
                "list the change ideas you will test",
                "énumérez les idées de changement que vous mettrez à l’essai",
            );
            if let (Some(kind), Some(target_date)) = (g.kind, g.target_date) {
                goals.push(Goal {
                    id: g.id,
                    kind,
                    aim: g.aim.clone(),
                    measure: g.measure.clone(),
                    baseline: g.baseline.clone(),
                    target: g.target.clone(),
                    target_date,
                    change_ideas: g.change_ideas.clone(),
                    definition: g.definition.clone(),
                });
            }
        }
        let counting_goals = d.counting_goals();
        if counting_goals < MIN_COUNTING_GOALS {
            let self_care = d.goals.iter().filter(|g| g.kind == Some(GoalKind::SelfCare)).count();
            let (en, fr) = if self_care >= 2 && counting_goals < MIN_COUNTING_GOALS {
                (
                    "A PIP needs at least two goals, and at most one physician health and self-care goal counts toward the two: add a practice-improvement goal".to_string(),
                    "Un PAP doit comprendre au moins deux objectifs, et un seul objectif de santé personnelle peut compter parmi ces deux\u{a0}: \
                     ajoutez un objectif d’amélioration de la pratique"
                        .to_string(),
                )
            } else {
                let has_fr = match counting_goals {
                    0 => "il n’en comprend aucun".to_string(),
                    n => format!("il en comprend {n}"),
                };
                (
                    format!(
                        "A PIP needs at least two goals (at most one physician health and self-care goal counts toward the two); it has {counting_goals}"
                    ),
                    format!(
                        "Un PAP doit comprendre au moins deux objectifs (un seul objectif de santé personnelle peut compter parmi ces deux); {has_fr}"
                    ),
                )
            };
            errors.push(FieldError::tr("goals", "too_few", en, fr));
        }
        if errors.is_empty() {
            Ok(Pip { strengths: d.strengths.clone(), improvements: d.improvements.clone(), goals })
        } else {
            Err(errors)
        }
    }

    pub fn counting_goals(&self) -> usize {
        counting(self.goals.iter().map(|g| g.kind))
    }

    pub fn to_draft(&self) -> PipDraft {
        PipDraft {
            strengths: self.strengths.clone(),
            improvements: self.improvements.clone(),
            goals: self
                .goals
                .iter()
                .map(|g| GoalDraft {
                    id: g.id,
                    kind: Some(g.kind),
                    aim: g.aim.clone(),
                    measure: g.measure.clone(),
                    baseline: g.baseline.clone(),
                    target: g.target.clone(),
                    target_date: Some(g.target_date),
                    change_ideas: g.change_ideas.clone(),
                    definition: g.definition.clone(),
                })
                .collect(),
        }
    }
}

/// The last day the quality requirement is met: exactly five years after the
/// submission date; 29 February maps to 28 February in a non-leap year.
pub fn requirement_met_until(submitted_on: NaiveDate) -> NaiveDate {
    // chrono clamps to the last day of the month (29 February -> 28 February);
    // only a date near the end of chrono's range has no such day.
    submitted_on.checked_add_months(Months::new(12 * REQUIREMENT_YEARS)).unwrap_or(NaiveDate::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        super::super::values::parse_date(s).unwrap()
    }

    pub fn goal(kind: &str) -> GoalInput {
        GoalInput {
            kind: kind.into(),
            aim: "Improve screening".into(),
            measure: "% eligible patients screened".into(),
            baseline: "40%".into(),
            target: "60%".into(),
            target_date: "2027-06-30".into(),
            change_ideas: "Reminders".into(),
            ..Default::default()
        }
    }

    fn draft(kinds: &[&str]) -> PipDraft {
        PipDraft::parse("Team", "Recall", kinds.iter().enumerate().map(|(i, k)| (i + 1, goal(k))).collect()).unwrap()
    }

    #[test]
    fn at_least_two_goals_at_most_one_self_care_counting() {
        assert!(Pip::from_draft(&draft(&["practice", "practice"])).is_ok());
        assert!(Pip::from_draft(&draft(&["practice", "self_care"])).is_ok());
        let e = Pip::from_draft(&draft(&["self_care", "self_care"])).unwrap_err();
        assert_eq!(e[0].field, "goals");
        assert!(e[0].message.contains("at most one"));
        assert_eq!(e[0].code, "too_few");
        assert!(e[0].fr.ends_with("\u{a0}: ajoutez un objectif d’amélioration de la pratique"), "{e:?}");
        let e = Pip::from_draft(&draft(&["practice"])).unwrap_err();
        assert!(e[0].fr.ends_with("; il en comprend 1"), "{e:?}");
        assert!(Pip::from_draft(&draft(&["practice"])).is_err());
        assert!(Pip::from_draft(&draft(&[])).is_err());
        assert!(Pip::from_draft(&draft(&["self_care", "self_care", "practice"])).is_ok());
        assert_eq!(draft(&["self_care", "self_care", "practice"]).counting_goals(), 2);
        assert_eq!(draft(&["practice", "practice", "practice"]).counting_goals(), 3);
    }

    #[test]
    fn goals_must_be_measurable() {
        let mut g = goal("practice");
        g.measure = String::new();
        g.target_date = String::new();
        let dr = PipDraft::parse("a", "b", vec![(1, goal("practice")), (2, g)]).unwrap();
        let e = Pip::from_draft(&dr).unwrap_err();
        let fields: Vec<_> = e.iter().map(|e| e.field.as_str()).collect();
        assert!(fields.contains(&"goal_2_measure"), "{fields:?}");
        assert!(fields.contains(&"goal_2_target_date"), "{fields:?}");
        let measure = e.iter().find(|e| e.field == "goal_2_measure").unwrap();
        assert_eq!(measure.code, "required");
        assert_eq!(measure.message, "Goal 2: say how you will measure it");
        assert_eq!(measure.fr, "Objectif 2\u{a0}: indiquez comment vous le mesurerez");
    }

    #[test]
    fn strengths_and_improvements_required_to_submit() {
        let dr = PipDraft::parse("", " ", vec![(1, goal("practice")), (2, goal("practice"))]).unwrap();
        let e = Pip::from_draft(&dr).unwrap_err();
        assert_eq!(e.len(), 2);
    }

    #[test]
    fn draft_shape_checks() {
        let mut g = goal("sideways");
        g.target_date = "2027-02-30".into();
        let e = PipDraft::parse(&"x".repeat(SECTION_MAX + 1), "", vec![(3, g)]).unwrap_err();
        let fields: Vec<_> = e.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, vec!["strengths", "goal_3_kind", "goal_3_target_date"]);
        assert_eq!(e[0].code, "too_long");
        assert_eq!(e[0].message, "Areas of strength has at most 4000 characters");
        assert_eq!(e[0].fr, "Points forts\u{a0}: 4\u{a0}000 caractères au maximum");
        assert_eq!(e[2].fr, "Saisissez une date valide, avec le jour, le mois et l’année");
        // Blank rows are ignored; an incomplete draft is fine.
        let ok =
            PipDraft::parse("", "", vec![(1, GoalInput::default()), (2, GoalInput { aim: "x".into(), ..Default::default() })]).unwrap();
        assert_eq!(ok.goals.len(), 1);
        let many: Vec<_> = (1..=11).map(|n| (n, goal("practice"))).collect();
        assert_eq!(PipDraft::parse("", "", many).unwrap_err()[0].field, "goals");
    }

    #[test]
    fn five_years() {
        assert_eq!(requirement_met_until(d("2026-03-15")), d("2031-03-15"));
        assert_eq!(requirement_met_until(d("2028-02-29")), d("2033-02-28"));
        assert_eq!(requirement_met_until(d("2027-12-31")), d("2032-12-31"));
    }

    #[test]
    fn ids_are_kept_assigned_and_never_reused() {
        let mut first = draft(&["practice", "practice"]);
        first.assign_ids(None, []);
        assert_eq!(first.goals.iter().map(|g| g.id).collect::<Vec<_>>(), vec![1, 2]);
        // Goal 1 removed, a new goal added, an id typed twice: 2 stays,
        // the others get ids above everything seen (3 was used by data).
        let mut next = draft(&["practice", "practice", "self_care"]);
        next.goals[0].id = 2;
        next.goals[1].id = 2;
        next.assign_ids(Some(&first), [3]);
        assert_eq!(next.goals.iter().map(|g| g.id).collect::<Vec<_>>(), vec![2, 4, 5]);
        assert_eq!(next.goal(4).map(|(n, _)| n), Some(2));
        assert!(next.goal(0).is_none());
    }

    #[test]
    fn a_structured_measure_is_parsed_with_the_goal() {
        let mut g = goal("practice");
        g.measure_kind = "proportion".into();
        g.measure_counted = "Charts with allergies recorded, of charts reviewed".into();
        g.measure_source = "emr_report".into();
        g.measure_period = "month".into();
        g.measure_direction = "higher_is_better".into();
        g.baseline_value = "40".into();
        g.target_value = "75".into();
        let d = PipDraft::parse("a", "b", vec![(1, g.clone())]).unwrap();
        let def = d.goals[0].definition.as_ref().expect("a definition");
        assert_eq!(def.target.map(|t| t.0), Some(75.0));
        // A bad target date is reported once, though both parts read it.
        g.target_date = "2027-02-30".into();
        let e = PipDraft::parse("a", "b", vec![(1, g)]).unwrap_err();
        assert_eq!(e.iter().filter(|e| e.field == "goal_1_target_date").count(), 1, "{e:?}");
    }

    #[test]
    fn round_trip_draft() {
        let dr = draft(&["practice", "self_care"]);
        assert_eq!(Pip::from_draft(&dr).unwrap().to_draft(), dr);
    }
}
