//! The four QI activities each member completes individually, and a member's
//! record of them.
use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::values::Invalid;

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

    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let s = input.trim();
        Activity::ALL
            .into_iter()
            .find(|a| a.key() == s)
            .ok_or_else(|| Invalid::new("Choose one of the four activities: qi_survey, practice_profile, chart_review or data_driven_qi"))
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
        Err(Invalid::new(format!("The completion date cannot be in the future (today is {today})")))
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
    }

    #[test]
    fn completion_date_not_in_future() {
        let today = NaiveDate::from_ymd_opt(2026, 5, 10).unwrap();
        assert!(check_completion_date(today, today).is_ok());
        assert!(check_completion_date(today.pred_opt().unwrap(), today).is_ok());
        assert!(check_completion_date(today.succ_opt().unwrap(), today).is_err());
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
