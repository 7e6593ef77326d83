//! Plan-Do-Study-Act cycles: how a group tests a change idea, one small
//! trial at a time, and what it decided. Each cycle belongs to one goal and
//! to the member who logged it (only they change or delete it); cycles mark
//! the goal's run chart where they started.
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::patient_data::patient_data_refusal;
use super::values::{parse_date, parse_text_tr, Invalid};
use super::FieldError;

/// The change idea's name: short, as it labels a marker on the chart.
pub const CHANGE_IDEA_MAX: usize = 120;
/// Plan, prediction, what happened.
pub const CYCLE_TEXT_MAX: usize = 1000;
/// A cycle may be planned ahead, but not further than this.
pub const PLAN_AHEAD_DAYS: u64 = 366;

/// What the group decided once it studied the cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Keep the change as it is.
    Adopt,
    /// Change it and test again.
    Adapt,
    /// Drop it.
    Abandon,
}

impl Decision {
    pub const ALL: [Decision; 3] = [Decision::Adopt, Decision::Adapt, Decision::Abandon];

    pub fn key(self) -> &'static str {
        match self {
            Decision::Adopt => "adopt",
            Decision::Adapt => "adapt",
            Decision::Abandon => "abandon",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Decision::Adopt => "Adopt: keep the change",
            Decision::Adapt => "Adapt: change it and test again",
            Decision::Abandon => "Abandon: stop testing it",
        }
    }
    /// The one word the timeline shows.
    pub fn word(self) -> &'static str {
        match self {
            Decision::Adopt => "Adopted",
            Decision::Adapt => "Adapted",
            Decision::Abandon => "Abandoned",
        }
    }
    pub fn parse(input: &str) -> Result<Option<Decision>, Invalid> {
        match input.trim() {
            "" => Ok(None),
            s => Decision::ALL.into_iter().find(|d| d.key() == s).map(Some).ok_or_else(|| {
                Invalid::tr(
                    "invalid_format",
                    "Choose adopt, adapt or abandon, or leave the decision for later",
                    "Choisissez adopter, adapter ou abandonner, ou remettez la décision à plus tard",
                )
            }),
        }
    }
}

/// One PDSA cycle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PdsaCycle {
    /// Unique within the member who logged it (with their slot, within the group).
    pub id: u16,
    /// The goal's stable id ([`super::GoalDraft::id`]).
    pub goal: u16,
    /// The slot of the member who logged it.
    pub by: u8,
    pub change_idea: String,
    /// Plan: what will be tried, by whom, where.
    pub plan: String,
    /// What the group expects to happen.
    pub prediction: String,
    pub started_on: NaiveDate,
    #[serde(default)]
    pub ended_on: Option<NaiveDate>,
    /// Study: what happened, against the prediction.
    #[serde(default)]
    pub study: String,
    #[serde(default)]
    pub decision: Option<Decision>,
    /// When it was logged or last changed.
    pub at: DateTime<Utc>,
}

impl PdsaCycle {
    /// Still being tested: no decision yet.
    pub fn is_open(&self) -> bool {
        self.decision.is_none()
    }
}

/// Raw text of a cycle, as received. Fields `change_idea`, `plan`,
/// `prediction`, `started_on`, `ended_on` (`YYYY-MM-DD`; a form sends the
/// three parts, which `http::input` joins), `study`, `decision`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PdsaInput<'a> {
    pub change_idea: &'a str,
    pub plan: &'a str,
    pub prediction: &'a str,
    pub started_on: &'a str,
    pub ended_on: &'a str,
    pub study: &'a str,
    pub decision: &'a str,
}

/// Free text of a cycle: bounded, and refused when it looks like patient
/// data. `what` and `required` (what to ask for when it is empty) are in
/// English and French.
fn cycle_text(input: &str, max: usize, what: (&str, &str), required: Option<(&str, &str)>) -> Result<String, Invalid> {
    let s = parse_text_tr(input, max, what.0, what.1)?;
    if s.is_empty() {
        if let Some((en, fr)) = required {
            return Err(Invalid::tr("required", en, fr));
        }
    }
    match patient_data_refusal(&s) {
        Some(refusal) => Err(refusal),
        None => Ok(s),
    }
}

impl PdsaCycle {
    /// Parse a cycle for goal `goal` by member `by`, as of `today` and `now`.
    /// Every problem is reported, each naming its field.
    pub fn parse(
        id: u16,
        goal: u16,
        by: u8,
        input: &PdsaInput<'_>,
        today: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<PdsaCycle, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut text =
            |field: &str, value: &str, max: usize, what: (&str, &str), ask: Option<(&str, &str)>| match cycle_text(value, max, what, ask) {
                Ok(s) => s,
                Err(e) => {
                    errors.push(FieldError::invalid(field, e));
                    String::new()
                }
            };
        let change_idea = text(
            "change_idea",
            input.change_idea,
            CHANGE_IDEA_MAX,
            ("The change idea", "Idée de changement"),
            Some(("Name the change idea you are testing", "Nommez l’idée de changement que vous mettez à l’essai")),
        );
        let plan = text(
            "plan",
            input.plan,
            CYCLE_TEXT_MAX,
            ("The plan", "Plan"),
            Some(("Say what you will try, who will do it and where", "Indiquez ce que vous allez essayer, qui s’en chargera et où")),
        );
        let prediction = text(
            "prediction",
            input.prediction,
            CYCLE_TEXT_MAX,
            ("The prediction", "Prédiction"),
            Some(("Say what you expect to happen", "Indiquez ce qui, selon vous, va se produire")),
        );
        let study = text("study", input.study, CYCLE_TEXT_MAX, ("What happened", "Ce qui s’est passé"), None);

        let latest_start = today + chrono::Days::new(PLAN_AHEAD_DAYS);
        let started_on = match input.started_on.trim() {
            "" => {
                errors.push(FieldError::tr(
                    "started_on",
                    "required",
                    "Enter the date the cycle starts",
                    "Saisissez la date de début du cycle",
                ));
                None
            }
            s => match parse_date(s) {
                Ok(d) if d > latest_start => {
                    errors.push(FieldError::tr(
                        "started_on",
                        "out_of_range",
                        "A cycle starts within a year from today: plan one cycle at a time",
                        "Un cycle commence au plus tard un an après la date du jour\u{a0}: planifiez un cycle à la fois",
                    ));
                    None
                }
                Ok(d) => Some(d),
                Err(e) => {
                    errors.push(FieldError::invalid("started_on", e));
                    None
                }
            },
        };
        let ended_on = match input.ended_on.trim() {
            "" => None,
            s => match parse_date(s) {
                Ok(d) if d > today => {
                    errors.push(FieldError::tr(
                        "ended_on",
                        "in_future",
                        "The end date is today or earlier: record it once the cycle has ended",
                        "La date de fin ne peut pas être postérieure à la date du jour\u{a0}: saisissez-la une fois le cycle terminé",
                    ));
                    None
                }
                Ok(d) if started_on.is_some_and(|st| d < st) => {
                    errors.push(FieldError::tr(
                        "ended_on",
                        "inconsistent",
                        "The end date is on or after the start date",
                        "La date de fin ne peut pas être antérieure à la date de début",
                    ));
                    None
                }
                Ok(d) => Some(d),
                Err(e) => {
                    errors.push(FieldError::invalid("ended_on", e));
                    None
                }
            },
        };
        let decision = match Decision::parse(input.decision) {
            Ok(d) => d,
            Err(e) => {
                errors.push(FieldError::invalid("decision", e));
                None
            }
        };
        if decision.is_some() {
            if input.ended_on.trim().is_empty() {
                errors.push(FieldError::tr(
                    "ended_on",
                    "required",
                    "Enter the date the cycle ended: a decision comes after the cycle",
                    "Saisissez la date de fin du cycle\u{a0}: la décision se prend une fois le cycle terminé",
                ));
            }
            if input.study.trim().is_empty() {
                errors.push(FieldError::tr(
                    "study",
                    "required",
                    "Say what happened: the decision rests on it",
                    "Indiquez ce qui s’est passé\u{a0}: la décision en dépend",
                ));
            }
        }
        match (errors.is_empty(), started_on) {
            (true, Some(started_on)) => {
                Ok(PdsaCycle { id, goal, by, change_idea, plan, prediction, started_on, ended_on, study, decision, at: now })
            }
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        parse_date(s).unwrap()
    }
    fn now() -> DateTime<Utc> {
        "2026-12-02T15:00:00Z".parse().unwrap()
    }
    fn input() -> PdsaInput<'static> {
        PdsaInput {
            change_idea: "Allergy prompt at the front desk",
            plan: "Reception asks every patient about allergies for one week, Dr. Lee's clinic only",
            prediction: "Allergy status recorded on at least 6 of 10 charts",
            started_on: "2026-11-02",
            ended_on: "",
            study: "",
            decision: "",
        }
    }
    fn fields(e: &[FieldError]) -> Vec<&str> {
        e.iter().map(|e| e.field.as_str()).collect()
    }

    #[test]
    fn an_open_cycle_then_a_decided_one() {
        let c = PdsaCycle::parse(1, 3, 2, &input(), d("2026-12-02"), now()).unwrap();
        assert!(c.is_open());
        assert_eq!((c.goal, c.by, c.started_on), (3, 2, d("2026-11-02")));
        let done = PdsaInput { ended_on: "2026-11-09", study: "7 of 10 charts", decision: "adapt", ..input() };
        let c = PdsaCycle::parse(1, 3, 2, &done, d("2026-12-02"), now()).unwrap();
        assert_eq!(c.decision, Some(Decision::Adapt));
        assert_eq!(c.ended_on, Some(d("2026-11-09")));
    }

    #[test]
    fn every_problem_is_named() {
        let bad = PdsaInput {
            change_idea: "",
            plan: " ",
            prediction: "",
            started_on: "2026-02-30",
            ended_on: "2027-01-01",
            study: "",
            decision: "keep",
        };
        let e = PdsaCycle::parse(1, 1, 0, &bad, d("2026-12-02"), now()).unwrap_err();
        assert_eq!(fields(&e), vec!["change_idea", "plan", "prediction", "started_on", "ended_on", "decision"]);
        let codes: Vec<_> = e.iter().map(|e| e.code.as_str()).collect();
        assert_eq!(codes, vec!["required", "required", "required", "invalid_format", "in_future", "invalid_format"]);
        assert_eq!(e[0].message, "Name the change idea you are testing");
        assert_eq!(e[0].fr, "Nommez l’idée de changement que vous mettez à l’essai");
        assert_eq!(e[5].fr, "Choisissez adopter, adapter ou abandonner, ou remettez la décision à plus tard");
        // A decision needs the end and what happened; an end before the start is refused.
        let early = PdsaInput { ended_on: "2026-11-01", decision: "adopt", ..input() };
        let e = PdsaCycle::parse(1, 1, 0, &early, d("2026-12-02"), now()).unwrap_err();
        assert_eq!(fields(&e), vec!["ended_on", "study"]);
        assert!(e[0].message.contains("on or after the start"), "{e:?}");
        assert_eq!(
            (e[0].code.as_str(), e[0].fr.as_str()),
            ("inconsistent", "La date de fin ne peut pas être antérieure à la date de début")
        );
        let far = PdsaInput { started_on: "2028-01-01", ..input() };
        assert_eq!(fields(&PdsaCycle::parse(1, 1, 0, &far, d("2026-12-02"), now()).unwrap_err()), vec!["started_on"]);
    }

    #[test]
    fn patient_data_is_refused() {
        let bad = PdsaInput { study: "Mrs Jane Smith, born 1950-03-04, still had no allergy recorded", ..input() };
        let e = PdsaCycle::parse(1, 1, 0, &bad, d("2026-12-02"), now()).unwrap_err();
        assert_eq!(fields(&e), vec!["study"]);
        assert_eq!(e[0].code, "patient_data");
        let refusal = patient_data_refusal(bad.study).unwrap();
        assert_eq!((&e[0].message, &e[0].fr), (&refusal.en, &refusal.fr));
        assert!(!e[0].fr.is_empty() && e[0].fr != e[0].message, "{e:?}");
        let long = "x".repeat(CHANGE_IDEA_MAX + 1);
        let e = PdsaCycle::parse(1, 1, 0, &PdsaInput { change_idea: &long, ..input() }, d("2026-12-02"), now()).unwrap_err();
        assert_eq!(e[0].message, "The change idea has at most 120 characters");
        assert_eq!(e[0].fr, "Idée de changement\u{a0}: 120 caractères au maximum");
    }
}
