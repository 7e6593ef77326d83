//! The group's one Practice Improvement Plan: saving drafts and submitting.
use chrono::NaiveDate;

use super::access::Caller;
use super::{change, ActionError, App};
use crate::domain::membership as step;
use crate::domain::{long_day, requirement_met_until, Activity, Cpso, FieldError, Language, Pip, PipDraft, Refusal, SubmitBlocked};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SaveError {
    #[error("the plan is submitted")]
    PlanSubmitted,
    #[error(transparent)]
    Failed(#[from] ActionError),
}

/// Replace the group's draft (any accepted member may). Returns the new
/// draft version (what a submission names to say it saw this draft).
pub async fn save_draft(app: &App, caller: &Caller, draft: &PipDraft) -> Result<u64, SaveError> {
    match change(app, caller.group.clone(), caller.acting(), |g| {
        Ok((step::save_draft(g, caller.slot, draft.clone(), app.clock.now())?, vec![]))
    })
    .await
    {
        Ok((_, after)) => Ok(after.draft_version),
        Err(ActionError::Refused(Refusal::Closed)) => Err(SaveError::PlanSubmitted),
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubmitError {
    #[error("the plan is already submitted")]
    AlreadySubmitted,
    /// Nothing was sent and no draft is saved.
    #[error("there is no plan to submit")]
    NothingToSubmit,
    /// The plan itself is not complete (fields named as in the form).
    #[error("the plan is not complete")]
    Incomplete(Vec<FieldError>),
    /// Members still have activities to do (members in group order).
    #[error("activities are not all done")]
    ActivitiesIncomplete(Vec<(Cpso, Activity)>),
    /// Fewer than two members have accepted.
    #[error("the group is not formed")]
    NotFormed,
    /// Another member saved the draft since the caller saw it.
    #[error("the plan changed since you saw it")]
    PlanChanged,
    /// A goal's target date is not after the submission date (field named as in the form).
    #[error("a target date is not in the future")]
    TargetDatePassed(Vec<FieldError>),
    #[error(transparent)]
    Failed(#[from] ActionError),
}

/// A submitted plan's dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Submitted {
    pub submitted_on: NaiveDate,
    pub requirement_met_until: NaiveDate,
}

impl From<SubmitBlocked> for SubmitError {
    fn from(b: SubmitBlocked) -> Self {
        match b {
            SubmitBlocked::AlreadySubmitted => SubmitError::AlreadySubmitted,
            SubmitBlocked::NotFormed => SubmitError::NotFormed,
            SubmitBlocked::ActivitiesIncomplete(missing) => SubmitError::ActivitiesIncomplete(missing),
        }
    }
}

/// Every goal whose target date is not after `today`, named as the form names it.
fn past_targets(d: &PipDraft, today: NaiveDate) -> Vec<FieldError> {
    d.goals
        .iter()
        .enumerate()
        .filter(|(_, g)| g.target_date.is_some_and(|t| t <= today))
        .map(|(i, _)| {
            FieldError::tr(
                format!("goal_{}_target_date", i + 1),
                "out_of_range",
                format!("Choose a target date after today ({today})"),
                format!("Choisissez une date cible postérieure à la date du jour (nous sommes le {})", long_day(today, Language::Fr)),
            )
        })
        .collect()
}

/// Submit `draft` (or, when `None`, the saved draft) as the group's plan.
/// `seen`: the draft version the caller's page showed (the form sends it);
/// if another member saved since, nothing is submitted. The plan's rules
/// (`Pip::from_draft`) and the group's (`Group::ready_to_submit`) are
/// checked on the group as read; the store checks the activities again
/// atomically with the write.
pub async fn submit(app: &App, caller: &Caller, draft: Option<PipDraft>, seen: Option<u64>) -> Result<Submitted, SubmitError> {
    let group = &caller.group;
    if group.pip.is_submitted() {
        return Err(SubmitError::AlreadySubmitted);
    }
    let draft = match draft {
        Some(d) => d,
        None => group.pip.draft().cloned().ok_or(SubmitError::NothingToSubmit)?,
    };
    Pip::from_draft(&draft).map_err(SubmitError::Incomplete)?;
    let today = app.clock.today();
    let past = past_targets(&draft, today);
    if !past.is_empty() {
        return Err(SubmitError::TargetDatePassed(past));
    }
    group.ready_to_submit()?;
    let r = change(app, group.clone(), caller.acting(), |g| {
        Ok((step::submit(g, caller.slot, draft.clone(), seen, today, app.clock.now())?, vec![]))
    })
    .await;
    match r {
        Ok(_) => Ok(Submitted { submitted_on: today, requirement_met_until: requirement_met_until(today) }),
        Err(ActionError::Refused(Refusal::PlanChanged)) => Err(SubmitError::PlanChanged),
        Err(ActionError::Refused(Refusal::Blocked(b))) => Err(b.into()),
        Err(ActionError::Refused(Refusal::Closed)) => Err(SubmitError::AlreadySubmitted),
        Err(ActionError::ActivitiesIncomplete(m)) => Err(SubmitError::ActivitiesIncomplete(m)),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::conformance::complete_draft;

    #[test]
    fn a_past_target_date_is_named_in_both_languages() {
        let d = complete_draft();
        let target = d.goals[1].target_date.unwrap();
        assert!(past_targets(&d, target.pred_opt().unwrap()).is_empty());
        let e = past_targets(&d, target);
        assert_eq!(e.len(), 2, "{e:?}");
        assert_eq!((e[1].field.as_str(), e[1].code.as_str()), ("goal_2_target_date", "out_of_range"));
        assert_eq!(e[1].message, format!("Choose a target date after today ({target})"));
        assert_eq!(
            e[1].fr,
            format!("Choisissez une date cible postérieure à la date du jour (nous sommes le {})", long_day(target, Language::Fr))
        );
        let first = NaiveDate::from_ymd_opt(2027, 12, 1).unwrap();
        assert!(past_targets(&d, first)[0].fr.ends_with("(nous sommes le 1er décembre 2027)"));
    }
}
