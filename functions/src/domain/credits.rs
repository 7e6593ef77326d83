//! CPD credits a member's completed work makes them eligible to claim, with the
//! rates from `functions/data/credits.toml` (staff-editable).
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::activity::{Activities, Activity};
use super::group::PipState;
use super::{Language, Text};

/// The credits file shipped with the functions (embedded at build time; the
/// one copy lives in `functions/data/credits.toml`, shared through `qi-facts`).
pub const EMBEDDED_CREDITS_TOML: &str = qi_facts::CREDITS_TOML;

/// Why a credits file was refused: the file, and where and what.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CreditsError {
    #[error("{file}: {message}")]
    Read { file: String, message: String },
    /// TOML syntax or shape, with the position when the parser gives one.
    #[error("{file}{}: {message}", position.map(|(l, c)| format!(":{l}:{c}")).unwrap_or_default())]
    Syntax { file: String, position: Option<(usize, usize)>, message: String },
    #[error("{file}: no [[activity]] entry with key = \"{key}\"")]
    MissingActivity { file: String, key: &'static str },
    #[error("{file}: more than one [[activity]] entry with key = \"{key}\"")]
    DuplicateActivity { file: String, key: &'static str },
    #[error("{file}: unknown activity key \"{key}\"")]
    UnknownActivity { file: String, key: String },
}

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
    label_fr: String,
    credits: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Item {
    label: String,
    label_fr: String,
    credits: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
struct GoalEntry {
    label: String,
    label_fr: String,
    credits: u32,
    max_goals: u32,
}

/// Credit rates, validated: one entry for each of the four activities.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credits {
    pub program: String,
    pub maximum: u32,
    /// Label (English, French) and credits of each activity, in [`Activity::ALL`] order.
    activities: [(Text, u32); 4],
    pub pip_label: Text,
    pub pip_credits: u32,
    pub goal_label: Text,
    pub goal_credits: u32,
    pub max_goals: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CreditItem {
    pub label: String,
    /// The label in French.
    #[serde(skip)]
    pub label_fr: String,
    pub credits: u32,
}

impl CreditItem {
    pub fn label_in(&self, lang: Language) -> &str {
        match lang {
            Language::En => &self.label,
            Language::Fr => &self.label_fr,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CreditSummary {
    pub total: u32,
    pub items: Vec<CreditItem>,
}

impl Credits {
    /// The embedded file (always valid: a unit test checks it).
    #[allow(clippy::expect_used)] // a compile-time constant, checked by the unit test `embedded_file_is_valid`
    pub fn embedded() -> Credits {
        Credits::parse(EMBEDDED_CREDITS_TOML, "functions/data/credits.toml").expect("embedded credits.toml is valid")
    }

    pub fn from_path(path: &Path) -> Result<Credits, CreditsError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| CreditsError::Read { file: file.clone(), message: e.to_string() })?;
        Credits::parse(&text, &file)
    }

    /// Parse and check a credits file; errors name the file (and line/column
    /// for TOML syntax errors).
    pub fn parse(text: &str, name: &str) -> Result<Credits, CreditsError> {
        let file = || name.to_string();
        let f: File = toml::from_str(text).map_err(|e| CreditsError::Syntax {
            file: file(),
            position: e.span().map(|s| line_col(text, s.start)),
            message: e.message().to_string(),
        })?;
        let mut activities = Vec::new();
        for a in Activity::ALL {
            let entries: Vec<_> = f.activity.iter().filter(|e| e.key == a.key()).collect();
            match entries.as_slice() {
                [e] => activities.push((Text::new(e.label.clone(), e.label_fr.clone()), e.credits)),
                [] => return Err(CreditsError::MissingActivity { file: file(), key: a.key() }),
                _ => return Err(CreditsError::DuplicateActivity { file: file(), key: a.key() }),
            }
        }
        if let Some(e) = f.activity.iter().find(|e| Activity::parse(&e.key).is_err()) {
            return Err(CreditsError::UnknownActivity { file: file(), key: e.key.clone() });
        }
        // One entry per activity was pushed above, so the conversion cannot fail.
        let activities: [(Text, u32); 4] =
            activities.try_into().map_err(|_| CreditsError::MissingActivity { file: file(), key: Activity::ALL[0].key() })?;
        Ok(Credits {
            program: f.program,
            maximum: f.maximum,
            activities,
            pip_label: Text::new(f.pip.label, f.pip.label_fr),
            pip_credits: f.pip.credits,
            goal_label: Text::new(f.goal.label, f.goal.label_fr),
            goal_credits: f.goal.credits,
            max_goals: f.goal.max_goals,
        })
    }

    pub fn activity(&self, a: Activity) -> (&Text, u32) {
        let (label, credits) = &self.activities[a as usize];
        (label, *credits)
    }

    /// What a member may claim: each completed activity's credits, the PIP's
    /// once submitted, and each counting goal's (at most `max_goals`) once
    /// submitted, each line saying what earned it ("Goal 1: …"); work that
    /// earns no credits is not listed. The total is capped at `maximum`.
    pub fn for_member(&self, activities: &Activities, pip: &PipState) -> CreditSummary {
        let mut items = Vec::new();
        for a in Activity::ALL {
            if activities.is_done(a) {
                let (label, credits) = self.activity(a);
                items.push(CreditItem { label: label.en.clone(), label_fr: label.fr.clone(), credits });
            }
        }
        if let PipState::Submitted { pip, .. } = pip {
            items.push(CreditItem { label: self.pip_label.en.clone(), label_fr: self.pip_label.fr.clone(), credits: self.pip_credits });
            for (n, goal) in pip.counted_goals().take(self.max_goals as usize) {
                let aim = first_line(&goal.aim);
                items.push(CreditItem {
                    label: format!("Goal {n}: {aim} ({})", self.goal_label.en),
                    label_fr: format!("Objectif {n}\u{a0}: {aim} ({})", self.goal_label.fr),
                    credits: self.goal_credits,
                });
            }
        }
        items.retain(|i| i.credits > 0);
        let total = items.iter().map(|i| i.credits).sum::<u32>().min(self.maximum);
        CreditSummary { total, items }
    }
}

/// A goal's aim as a credit line names it: its first line.
fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("").trim()
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
label_fr = "S (fr)"
credits = 1
[[activity]]
key = "practice_profile"
label = "PP"
label_fr = "PP (fr)"
credits = 2
[[activity]]
key = "chart_review"
label = "CR"
label_fr = "CR (fr)"
credits = 4
[[activity]]
key = "data_driven_qi"
label = "D"
label_fr = "D (fr)"
credits = 8
[pip]
label = "PIP"
label_fr = "PIP (fr)"
credits = 16
[goal]
label = "G"
label_fr = "G (fr)"
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
        // Each line in both languages.
        assert_eq!((s.items[2].label_in(Language::En), s.items[2].label_in(Language::Fr)), ("PIP", "PIP (fr)"));
        assert_eq!(s.items[3].label_in(Language::Fr), "Objectif 1\u{a0}:  (G (fr))");
    }

    #[test]
    fn bad_files_are_reported() {
        let e = Credits::parse("program = \"x\"\nmaximum = \"lots\"\n", "c.toml").unwrap_err();
        assert!(e.to_string().starts_with("c.toml:2:"), "{e}");
        let missing = EMBEDDED_CREDITS_TOML.replace("key = \"chart_review\"", "key = \"chart\"");
        let e = Credits::parse(&missing, "c.toml").unwrap_err();
        assert!(e.to_string().contains("chart_review"), "{e}");
    }
}
