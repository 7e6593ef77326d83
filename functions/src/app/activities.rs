//! Checking off the four individual QI activities.
use chrono::NaiveDate;

use super::access::Caller;
use super::{App, Failure};
use crate::domain::{check_completion_date, Action, Activities, Activity, Cpso, HistoryEntry};
use crate::store::{CheckOffWrite, ConflictKind, StoreError};

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
    #[error("the completion date is before the cycle started ({start})")]
    BeforeCycle { start: NaiveDate },
    /// The caller has not accepted (yet): only members check off.
    #[error("not an accepted member")]
    NotAccepted,
    #[error("the session has ended")]
    SessionEnded,
    /// The group's plan is submitted: activities are frozen.
    #[error("the plan is submitted")]
    PlanSubmitted,
    /// The caller is no longer a member (the group changed since the read).
    #[error("not a member of the group")]
    NotMember,
    #[error(transparent)]
    Failed(#[from] Failure),
}

/// Who a check-off is by, as their session token says: the store checks
/// the session with the write, so nothing is read first.
#[derive(Debug, Clone)]
pub struct SessionRef {
    pub group: crate::domain::GroupId,
    pub slot: u8,
    pub session: crate::domain::CodeHash,
}

impl SessionRef {
    pub fn of(token: &crate::domain::SessionToken) -> SessionRef {
        SessionRef { group: token.group().clone(), slot: token.slot(), session: token.hash() }
    }
}

/// Record or clear one of the caller's own activities: ONE conditional
/// write, which checks the caller's session, that they have accepted and
/// that the group is open, and appends the change to their history.
/// `c.for_member`, when given, must be the caller (the route checks it
/// against the member it read). Returns the caller's activities after.
pub async fn check_off(app: &App, who: &SessionRef, c: CheckOff) -> Result<Activities, CheckOffError> {
    let now = app.clock.now();
    let action = match c.completed_on {
        Some(d) => {
            let today = app.clock.today();
            check_completion_date(d, today).map_err(|_| CheckOffError::DateInFuture { today })?;
            if let Some(start) = app.config.cycle_start.filter(|s| d < *s) {
                return Err(CheckOffError::BeforeCycle { start });
            }
            Action::CheckedOff { activity: c.activity, on: d }
        }
        None => Action::Unchecked { activity: c.activity },
    };
    let w = CheckOffWrite {
        group: who.group.clone(),
        slot: who.slot,
        session: who.session.clone(),
        activity: c.activity,
        on: c.completed_on,
        event: HistoryEntry { at: now, action },
        now,
    };
    match app.store.check_off(&w).await {
        Ok(a) => Ok(a),
        Err(StoreError::Conflict(ConflictKind::PipSubmitted)) => Err(CheckOffError::PlanSubmitted),
        Err(StoreError::Conflict(ConflictKind::NotAccepted)) => Err(CheckOffError::NotAccepted),
        Err(StoreError::Conflict(ConflictKind::SessionEnded)) => Err(CheckOffError::SessionEnded),
        Err(StoreError::NotFound) => Err(CheckOffError::NotMember),
        Err(e) => Err(Failure::from(e).into()),
    }
}

/// Whether `for_member` (a CPSO number an API client named) is the caller.
pub fn is_own(caller: &Caller, for_member: Option<&Cpso>) -> Result<(), CheckOffError> {
    match for_member {
        Some(c) if c != &caller.member().member.cpso => Err(CheckOffError::NotYourOwn),
        _ => Ok(()),
    }
}
