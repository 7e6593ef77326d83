//! The group's Practice Improvement Plan (PIP) and its goals.
use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};

use super::values::{parse_text, Invalid};
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
            _ => Err(Invalid::new("Choose practice improvement (practice) or physician health and self-care (self_care)")),
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
    pub kind: Option<GoalKind>,
    pub aim: String,
    pub measure: String,
    pub baseline: String,
    pub target: String,
    pub target_date: Option<NaiveDate>,
    pub change_ideas: String,
}

impl GoalDraft {
    pub fn is_empty(&self) -> bool {
        self.kind.is_none()
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
}

impl GoalInput {
    fn is_blank(&self) -> bool {
        [&self.kind, &self.aim, &self.measure, &self.baseline, &self.target, &self.target_date, &self.change_ideas]
            .iter()
            .all(|s| s.trim().is_empty())
    }
}

impl PipDraft {
    /// Shape-check raw input. `goals` are `(N, row)` with N the 1-based form
    /// row (errors name `goal_N_*`); all-blank rows are dropped.
    pub fn parse(strengths: &str, improvements: &str, goals: Vec<(usize, GoalInput)>) -> Result<PipDraft, Vec<FieldError>> {
        let mut errors = Vec::new();
        fn text_into(errors: &mut Vec<FieldError>, field: &str, value: &str, max: usize, what: &str) -> String {
            match parse_text(value, max, what) {
                Ok(s) => s,
                Err(e) => {
                    errors.push(FieldError::new(field, e.0));
                    String::new()
                }
            }
        }
        macro_rules! text {
            ($($a:expr),*) => { text_into(&mut errors, $($a),*) };
        }
        let strengths = text!("strengths", strengths, SECTION_MAX, "Areas of strength");
        let improvements = text!("improvements", improvements, SECTION_MAX, "Areas for improvement");
        let goals: Vec<_> = goals.into_iter().filter(|(_, g)| !g.is_blank()).collect();
        if goals.len() > MAX_GOALS {
            errors.push(FieldError::new("goals", format!("A PIP has at most {MAX_GOALS} goals")));
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
                        errors.push(FieldError::new(f("kind"), e.0));
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
                        errors.push(FieldError::new(f("target_date"), e.0));
                        None
                    }
                }
            };
            let aim = text!(&f("aim"), &g.aim, GOAL_FIELD_MAX, "The aim statement");
            let measure = text!(&f("measure"), &g.measure, GOAL_FIELD_MAX, "The measure");
            let baseline = text!(&f("baseline"), &g.baseline, GOAL_FIELD_MAX, "The baseline");
            let target = text!(&f("target"), &g.target, GOAL_FIELD_MAX, "The target");
            let change_ideas = text!(&f("change_ideas"), &g.change_ideas, GOAL_FIELD_MAX, "The change ideas");
            out.push(GoalDraft { kind, aim, measure, baseline, target, target_date, change_ideas });
        }
        if errors.is_empty() {
            Ok(PipDraft { strengths, improvements, goals: out })
        } else {
            Err(errors)
        }
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
    pub kind: GoalKind,
    pub aim: String,
    pub measure: String,
    pub baseline: String,
    pub target: String,
    pub target_date: NaiveDate,
    pub change_ideas: String,
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
            errors.push(FieldError::new("strengths", "Describe your group's areas of strength"));
        }
        if d.improvements.is_empty() {
            errors.push(FieldError::new("improvements", "Describe your group's areas for improvement"));
        }
        let mut goals = Vec::new();
        for (i, g) in d.goals.iter().enumerate() {
            let n = i + 1;
            let mut need = |ok: bool, name: &str, msg: &str| {
                if !ok {
                    errors.push(FieldError::new(format!("goal_{n}_{name}"), format!("Goal {n}: {msg}")));
                }
            };
            need(g.kind.is_some(), "kind", "choose practice improvement or physician health and self-care");
            need(!g.aim.is_empty(), "aim", "write an aim statement");
            need(!g.measure.is_empty(), "measure", "say how you will measure it");
            need(!g.baseline.is_empty(), "baseline", "give the baseline (where you start)");
            need(!g.target.is_empty(), "target", "give the target you aim for");
            need(g.target_date.is_some(), "target_date", "give a target date");
            need(!g.change_ideas.is_empty(), "change_ideas", "list the change ideas you will test");
            if let (Some(kind), Some(target_date)) = (g.kind, g.target_date) {
                goals.push(Goal {
                    kind,
                    aim: g.aim.clone(),
                    measure: g.measure.clone(),
                    baseline: g.baseline.clone(),
                    target: g.target.clone(),
                    target_date,
                    change_ideas: g.change_ideas.clone(),
                });
            }
        }
        let counting_goals = d.counting_goals();
        if counting_goals < MIN_COUNTING_GOALS {
            let self_care = d.goals.iter().filter(|g| g.kind == Some(GoalKind::SelfCare)).count();
            let msg = if self_care >= 2 && counting_goals < MIN_COUNTING_GOALS {
                "A PIP needs at least two goals, and at most one physician health and self-care goal counts toward the two: add a practice-improvement goal".to_string()
            } else {
                format!(
                    "A PIP needs at least two goals (at most one physician health and self-care goal counts toward the two); it has {counting_goals}"
                )
            };
            errors.push(FieldError::new("goals", msg));
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
                    kind: Some(g.kind),
                    aim: g.aim.clone(),
                    measure: g.measure.clone(),
                    baseline: g.baseline.clone(),
                    target: g.target.clone(),
                    target_date: Some(g.target_date),
                    change_ideas: g.change_ideas.clone(),
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
    fn round_trip_draft() {
        let dr = draft(&["practice", "self_care"]);
        assert_eq!(Pip::from_draft(&dr).unwrap().to_draft(), dr);
    }
}
