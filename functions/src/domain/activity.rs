//! The four QI activities each member completes individually, and a member's
//! record of them.
use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::long_day;
use super::values::{Invalid, Language};

/// One of the four individual QI activities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Activity {
    QiSurvey,
    PracticeProfile,
    ChartReview,
    DataDrivenQi,
}

impl Activity {
    pub const ALL: [Activity; 4] = [Activity::QiSurvey, Activity::PracticeProfile, Activity::ChartReview, Activity::DataDrivenQi];

    fn fact(self) -> &'static qi_facts::Named {
        // `ALL` and `qi_facts::ACTIVITIES` list the activities in the same order (a test checks it).
        &qi_facts::ACTIVITIES[self as usize]
    }

    /// The stable key used in forms, JSON, the store and credits.toml.
    pub fn key(self) -> &'static str {
        self.fact().key
    }

    /// The name people read.
    pub fn label(self) -> &'static str {
        self.fact().label
    }

    /// The name French readers read (the glossary's French name).
    pub fn label_fr(self) -> &'static str {
        self.fact().label_fr
    }

    /// The name in `lang`.
    pub fn label_in(self, lang: Language) -> &'static str {
        match lang {
            Language::En => self.label(),
            Language::Fr => self.label_fr(),
        }
    }

    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let s = input.trim();
        Activity::ALL.into_iter().find(|a| a.key() == s).ok_or_else(|| {
            Invalid::tr(
                if s.is_empty() { "required" } else { "invalid_format" },
                "Choose one of the four activities: qi_survey, practice_profile, chart_review or data_driven_qi",
                "Choisissez l’une des quatre activités\u{a0}: qi_survey, practice_profile, chart_review ou data_driven_qi",
            )
        })
    }
}

/// Which activities a member has completed, and on which date.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Activities(pub BTreeMap<Activity, NaiveDate>);

impl Activities {
    pub fn completed_on(&self, a: Activity) -> Option<NaiveDate> {
        self.0.get(&a).copied()
    }
    pub fn is_done(&self, a: Activity) -> bool {
        self.0.contains_key(&a)
    }
    pub fn all_done(&self) -> bool {
        Activity::ALL.iter().all(|a| self.is_done(*a))
    }
    /// The activities not yet completed, in program order.
    pub fn missing(&self) -> Vec<Activity> {
        Activity::ALL.into_iter().filter(|a| !self.is_done(*a)).collect()
    }
    /// Record (`Some(date)`) or clear (`None`) an activity.
    pub fn set(&mut self, a: Activity, completed_on: Option<NaiveDate>) {
        match completed_on {
            Some(d) => {
                self.0.insert(a, d);
            }
            None => {
                self.0.remove(&a);
            }
        }
    }
}

/// A completion date is valid when it is not after `today`.
pub fn check_completion_date(completed_on: NaiveDate, today: NaiveDate) -> Result<NaiveDate, Invalid> {
    if completed_on > today {
        Err(Invalid::tr(
            "in_future",
            format!("The completion date cannot be in the future (today is {today})"),
            format!(
                "La date à laquelle vous avez terminé l’activité ne peut pas être postérieure à la date du jour (nous sommes le {})",
                long_day(today, Language::Fr)
            ),
        ))
    } else {
        Ok(completed_on)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_order_as_the_shared_facts() {
        let keys: Vec<_> = Activity::ALL.iter().map(|a| a.key()).collect();
        let facts: Vec<_> = qi_facts::ACTIVITIES.iter().map(|n| n.key).collect();
        assert_eq!(keys, facts);
        for (i, a) in Activity::ALL.iter().enumerate() {
            assert_eq!(*a as usize, i);
        }
    }

    #[test]
    fn keys_round_trip() {
        for a in Activity::ALL {
            assert_eq!(Activity::parse(a.key()).unwrap(), a);
            assert_eq!(serde_json::to_string(&a).unwrap(), format!("\"{}\"", a.key()));
        }
        assert!(Activity::parse("pip").is_err());
        assert_eq!(Activity::parse("pip").unwrap_err().code, "invalid_format");
        assert_eq!(Activity::parse(" ").unwrap_err().code, "required");
        assert_eq!(Activity::ChartReview.label_in(Language::Fr), "Revue de dossiers autodirigée");
        assert_eq!(Activity::QiSurvey.label_in(Language::En), "QI Survey");
        let fr: Vec<_> = Activity::ALL.iter().map(|a| a.label_fr()).collect();
        assert_eq!(fr, ["Sondage sur l’AQ", "Profil de pratique", "Revue de dossiers autodirigée", "AQ fondée sur les données"]);
    }

    #[test]
    fn completion_date_not_in_future() {
        let today = NaiveDate::from_ymd_opt(2026, 5, 10).unwrap();
        assert!(check_completion_date(today, today).is_ok());
        assert!(check_completion_date(today.pred_opt().unwrap(), today).is_ok());
        let e = check_completion_date(today.succ_opt().unwrap(), today).unwrap_err();
        assert_eq!(e.code, "in_future");
        assert_eq!(e.en, "The completion date cannot be in the future (today is 2026-05-10)");
        assert_eq!(
            e.fr,
            "La date à laquelle vous avez terminé l’activité ne peut pas être postérieure à la date du jour (nous sommes le 10 mai 2026)"
        );
        let first = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        assert!(check_completion_date(first.succ_opt().unwrap(), first).unwrap_err().fr.ends_with("(nous sommes le 1er décembre 2026)"));
    }

    #[test]
    fn progress() {
        let mut acts = Activities::default();
        let d = NaiveDate::from_ymd_opt(2026, 1, 2).unwrap();
        assert_eq!(acts.missing().len(), 4);
        for a in Activity::ALL {
            acts.set(a, Some(d));
        }
        assert!(acts.all_done());
        acts.set(Activity::ChartReview, None);
        assert_eq!(acts.missing(), vec![Activity::ChartReview]);
    }
}
