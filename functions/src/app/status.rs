//! A group's progress as its members see it.
use chrono::NaiveDate;

use super::access::Caller;
use super::App;
use crate::domain::{requirement_met_until, Activity, CreditSummary, Group, GroupMember};

/// One member's line of the group's status.
#[derive(Debug, Clone)]
pub struct MemberLine<'a> {
    pub member: &'a GroupMember,
    /// The CPD credits their completed work makes them eligible to claim.
    pub credits: CreditSummary,
}

/// Everything the status page and `GET /api/groups/{id}` show.
#[derive(Debug, Clone)]
pub struct GroupStatus<'a> {
    pub group: &'a Group,
    pub members: Vec<MemberLine<'a>>,
    /// (member, activity) still to do, with the member's name.
    pub missing: Vec<(&'a GroupMember, Activity)>,
    pub submitted_on: Option<NaiveDate>,
    pub requirement_met_until: Option<NaiveDate>,
}

/// The status of the caller's group (no further reads: the caller's
/// authentication read the group).
pub fn of_group<'a>(app: &App, group: &'a Group) -> GroupStatus<'a> {
    let members = group.accepted().map(|m| MemberLine { member: m, credits: app.credits.for_member(&m.activities, &group.pip) }).collect();
    let missing = group.accepted().flat_map(|m| m.activities.missing().into_iter().map(move |a| (m, a))).collect();
    let submitted_on = group.pip.submitted_on();
    GroupStatus { group, members, missing, submitted_on, requirement_met_until: submitted_on.map(requirement_met_until) }
}

/// The caller's own credits.
pub fn my_credits(app: &App, caller: &Caller) -> CreditSummary {
    app.credits.for_member(&caller.member().activities, &caller.group.pip)
}
