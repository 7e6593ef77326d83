//! CPD credits a member's completed work makes them eligible to claim, with the
//! rates from `functions/data/credits.toml` (staff-editable).
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::activity::{Activities, Activity};
use super::group::PipState;

/// The credits file shipped with the functions (embedded at build time).
pub const EMBEDDED_CREDITS_TOML: &str = include_str!("../../data/credits.toml");

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    program: String,
    maximum: u32,
    activity: Vec<ActivityEntry>,
    pip: Item,
    goal: GoalEntry,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
struct ActivityEntry {
    key: String,
    label: String,
    credits: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Item {
    label: String,
    credits: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
struct GoalEntry {
    label: String,
    credits: u32,
    max_goals: u32,
}

/// Credit rates, validated: one entry for each of the four activities.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credits {
    pub program: String,
    pub maximum: u32,
    activities: Vec<(Activity, String, u32)>,
    pub pip_label: String,
    pub pip_credits: u32,
    pub goal_label: String,
    pub goal_credits: u32,
    pub max_goals: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CreditItem {
    pub label: String,
    pub credits: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CreditSummary {
    pub total: u32,
    pub items: Vec<CreditItem>,
}

impl Credits {
    /// The embedded file (always valid: a unit test checks it).
    pub fn embedded() -> Credits {
        Credits::parse(EMBEDDED_CREDITS_TOML, "functions/data/credits.toml").expect("embedded credits.toml is valid")
    }

    pub fn from_path(path: &Path) -> Result<Credits, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Credits::parse(&text, &path.display().to_string())
    }

    /// Parse and check a credits file; errors name the file (and line/column
    /// for TOML syntax errors).
    pub fn parse(text: &str, name: &str) -> Result<Credits, String> {
        let f: File = toml::from_str(text).map_err(|e| {
            let pos = e.span().map(|s| line_col(text, s.start)).map(|(l, c)| format!(":{l}:{c}")).unwrap_or_default();
            format!("{name}{pos}: {}", e.message())
        })?;
        let mut activities = Vec::new();
        for a in Activity::ALL {
            let entries: Vec<_> = f.activity.iter().filter(|e| e.key == a.key()).collect();
            match entries.as_slice() {
                [e] => activities.push((a, e.label.clone(), e.credits)),
                [] => return Err(format!("{name}: no [[activity]] entry with key = \"{}\"", a.key())),
                _ => return Err(format!("{name}: more than one [[activity]] entry with key = \"{}\"", a.key())),
            }
        }
        if let Some(e) = f.activity.iter().find(|e| Activity::parse(&e.key).is_err()) {
            return Err(format!("{name}: unknown activity key \"{}\"", e.key));
        }
        Ok(Credits {
            program: f.program,
            maximum: f.maximum,
            activities,
            pip_label: f.pip.label,
            pip_credits: f.pip.credits,
            goal_label: f.goal.label,
            goal_credits: f.goal.credits,
            max_goals: f.goal.max_goals,
        })
    }

    pub fn activity(&self, a: Activity) -> (&str, u32) {
        let (_, label, credits) = self.activities.iter().find(|(k, _, _)| *k == a).expect("all four activities present");
        (label, *credits)
    }

    /// What a member may claim: each completed activity's credits, the PIP's
    /// once submitted, and the goals' for min(counting goals, max_goals) once
    /// submitted; capped at `maximum`.
    pub fn for_member(&self, activities: &Activities, pip: &PipState) -> CreditSummary {
        let mut items = Vec::new();
        for a in Activity::ALL {
            if activities.is_done(a) {
                let (label, credits) = self.activity(a);
                items.push(CreditItem { label: label.to_string(), credits });
            }
        }
        if let PipState::Submitted { pip, .. } = pip {
            items.push(CreditItem { label: self.pip_label.clone(), credits: self.pip_credits });
            let goals = (pip.counting_goals() as u32).min(self.max_goals);
            for _ in 0..goals {
                items.push(CreditItem { label: self.goal_label.clone(), credits: self.goal_credits });
            }
        }
        let total = items.iter().map(|i| i.credits).sum::<u32>().min(self.maximum);
        CreditSummary { total, items }
    }
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map(|l| l.chars().count()).unwrap_or(0) + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::pip::{GoalInput, PipDraft};
    use chrono::NaiveDate;

    #[test]
    fn embedded_file_is_valid_and_adds_up_to_maximum() {
        let c = Credits::embedded();
        let mut acts = Activities::default();
        let day = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        for a in Activity::ALL {
            acts.set(a, Some(day));
        }
        let goal = |k: &str| GoalInput { kind: k.into(), aim: "a".into(), ..Default::default() };
        let pip = PipDraft::parse("s", "i", vec![(1, goal("practice")), (2, goal("practice")), (3, goal("practice"))]).unwrap();
        let s = c.for_member(&acts, &PipState::Submitted { pip, submitted_on: day });
        assert_eq!(s.total, c.maximum);
        assert_eq!(s.total, 34);
    }

    #[test]
    fn partial_progress() {
        let c = Credits::parse(
            r#"program = "P"
maximum = 100
[[activity]]
key = "qi_survey"
label = "S"
credits = 1
[[activity]]
key = "practice_profile"
label = "PP"
credits = 2
[[activity]]
key = "chart_review"
label = "CR"
credits = 4
[[activity]]
key = "data_driven_qi"
label = "D"
credits = 8
[pip]
label = "PIP"
credits = 16
[goal]
label = "G"
credits = 32
max_goals = 2
"#,
            "t.toml",
        )
        .unwrap();
        let day = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let mut acts = Activities::default();
        assert_eq!(c.for_member(&acts, &PipState::None).total, 0);
        acts.set(Activity::ChartReview, Some(day));
        acts.set(Activity::QiSurvey, Some(day));
        assert_eq!(c.for_member(&acts, &PipState::None).total, 5);
        // A draft earns nothing; two self-care goals count as one.
        let goal = |k: &str| GoalInput { kind: k.into(), ..Default::default() };
        let pip = PipDraft::parse("s", "i", vec![(1, goal("self_care")), (2, goal("self_care"))]).unwrap();
        assert_eq!(c.for_member(&acts, &PipState::Draft { draft: pip.clone() }).total, 5);
        let s = c.for_member(&acts, &PipState::Submitted { pip, submitted_on: day });
        assert_eq!(s.total, 5 + 16 + 32);
        assert_eq!(s.items.len(), 4);
    }

    #[test]
    fn bad_files_are_reported() {
        let e = Credits::parse("program = \"x\"\nmaximum = \"lots\"\n", "c.toml").unwrap_err();
        assert!(e.starts_with("c.toml:2:"), "{e}");
        let missing = EMBEDDED_CREDITS_TOML.replace("key = \"chart_review\"", "key = \"chart\"");
        let e = Credits::parse(&missing, "c.toml").unwrap_err();
        assert!(e.contains("chart_review"), "{e}");
    }
}
