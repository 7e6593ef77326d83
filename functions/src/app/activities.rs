//! Checking off the four individual QI activities.
use chrono::NaiveDate;

use super::access::Caller;
use super::{App, Failure};
use crate::domain::{check_completion_date, Activities, Activity, Cpso};
use crate::store::{ConflictKind, StoreError};

/// One member's check-off (or un-check, with `completed_on: None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckOff {
    /// The member the request says it is for, if it says (it must be the caller).
    pub for_member: Option<Cpso>,
    pub activity: Activity,
    pub completed_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckOffError {
    /// Nobody checks off someone else's activities.
    #[error("a member checks off only their own activities")]
    NotYourOwn,
    #[error("the completion date is after today ({today})")]
    DateInFuture { today: NaiveDate },
    /// The group's plan is submitted: activities are frozen.
    #[error("the plan is submitted")]
    PlanSubmitted,
    /// The caller is no longer a member (the group changed since the read).
    #[error("not a member of the group")]
    NotMember,
    #[error(transparent)]
    Failed(#[from] Failure),
}

/// Record or clear one of the caller's own activities (one conditional write).
/// Returns the caller's activities after the write.
pub async fn check_off(app: &App, caller: &Caller, c: CheckOff) -> Result<Activities, CheckOffError> {
    let me = &caller.member().member;
    if c.for_member.as_ref().is_some_and(|cpso| cpso != &me.cpso) {
        return Err(CheckOffError::NotYourOwn);
    }
    if let Some(d) = c.completed_on {
        let today = app.clock.today();
        check_completion_date(d, today).map_err(|_| CheckOffError::DateInFuture { today })?;
    }
    match app.store.set_activity(&caller.group.id, &me.cpso, c.activity, c.completed_on).await {
        Ok(a) => Ok(a),
        Err(StoreError::Conflict(ConflictKind::PipSubmitted)) => Err(CheckOffError::PlanSubmitted),
        Err(StoreError::NotFound) => Err(CheckOffError::NotMember),
        Err(e) => Err(Failure::from(e).into()),
    }
}
