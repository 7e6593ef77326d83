//! The group's one Practice Improvement Plan: saving drafts and submitting.
use chrono::NaiveDate;

use super::access::Caller;
use super::{App, Failure};
use crate::domain::{requirement_met_until, Activity, Cpso, FieldError, Pip, PipDraft, SubmitBlocked};
use crate::store::{ConflictKind, StoreError};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SaveError {
    #[error("the plan is submitted")]
    PlanSubmitted,
    #[error(transparent)]
    Failed(#[from] Failure),
}

/// Replace the group's draft (any member may).
pub async fn save_draft(app: &App, caller: &Caller, draft: &PipDraft) -> Result<(), SaveError> {
    match app.store.save_pip_draft(&caller.group.id, draft).await {
        Ok(()) => Ok(()),
        Err(StoreError::Conflict(ConflictKind::PipSubmitted)) => Err(SaveError::PlanSubmitted),
        Err(e) => Err(Failure::from(e).into()),
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
    #[error(transparent)]
    Failed(#[from] Failure),
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
            SubmitBlocked::ActivitiesIncomplete(missing) => SubmitError::ActivitiesIncomplete(missing),
        }
    }
}

/// Submit `draft` (or, when `None`, the saved draft) as the group's plan.
/// The plan's own rules (`Pip::from_draft`) and the group's
/// (`Group::ready_to_submit`) are checked on what the caller's request read;
/// the store checks the group's again atomically with the write.
pub async fn submit(app: &App, caller: &Caller, draft: Option<PipDraft>) -> Result<Submitted, SubmitError> {
    let group = &caller.group;
    if group.pip.is_submitted() {
        return Err(SubmitError::AlreadySubmitted);
    }
    let draft = match draft {
        Some(d) => d,
        None => group.pip.draft().cloned().ok_or(SubmitError::NothingToSubmit)?,
    };
    Pip::from_draft(&draft).map_err(SubmitError::Incomplete)?;
    group.ready_to_submit()?;
    let today = app.clock.today();
    match app.store.submit_pip_of(group, &draft, today).await {
        Ok(()) => Ok(Submitted { submitted_on: today, requirement_met_until: requirement_met_until(today) }),
        Err(StoreError::Conflict(ConflictKind::PipSubmitted)) => Err(SubmitError::AlreadySubmitted),
        Err(StoreError::Conflict(ConflictKind::ActivitiesIncomplete(missing))) => Err(SubmitError::ActivitiesIncomplete(missing)),
        Err(e) => Err(Failure::from(e).into()),
    }
}
