//! The group's audit trail: who did what, and when.
//!
//! Group-level events (proposed, confirmed, accepted, …) are kept with the
//! group; each member's check-offs are kept with that member (so a check-off
//! stays one write). [`super::Group::audit_trail`] merges both in time order.
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::activity::Activity;
use super::measure::PeriodId;
use super::values::PersonName;

/// Who caused an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Actor {
    /// A member of the group, by slot, with their name at the time.
    Member { slot: u8, name: PersonName },
    /// Program staff, through `qi admin`.
    Staff,
    /// The service itself (an invitation lapsing at submission).
    Service,
}

impl Actor {
    /// Who, as the trail and the exports name them.
    pub fn name(&self) -> String {
        match self {
            Actor::Member { name, .. } => name.to_string(),
            Actor::Staff => "Program staff".to_string(),
            Actor::Service => "The service".to_string(),
        }
    }
}

/// What happened. Names are the subject's name at the time (members come and go).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    Proposed,
    Confirmed,
    Invited {
        name: PersonName,
    },
    Accepted,
    Declined,
    Withdrew {
        name: PersonName,
    },
    Removed {
        name: PersonName,
    },
    Left,
    CheckedOff {
        activity: Activity,
        on: NaiveDate,
    },
    Unchecked {
        activity: Activity,
    },
    DraftSaved,
    Submitted,
    Lapsed {
        name: PersonName,
    },
    NewLink {
        name: PersonName,
    },
    EmailCorrected {
        name: PersonName,
    },
    Dissolved,
    /// A data point for goal `goal` (its stable id), `value` as people read
    /// it ("12 of 20 (60%)"); `corrected` when it replaced the member's own.
    PointRecorded {
        goal: u16,
        period: PeriodId,
        value: String,
        corrected: bool,
    },
    PointDeleted {
        goal: u16,
        period: PeriodId,
    },
    CycleLogged {
        goal: u16,
        change_idea: String,
        updated: bool,
    },
    CycleDeleted {
        goal: u16,
        change_idea: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    pub at: DateTime<Utc>,
    pub by: Actor,
    #[serde(flatten)]
    pub action: Action,
}

/// One entry of a member's own history (their check-offs): who is implied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub at: DateTime<Utc>,
    #[serde(flatten)]
    pub action: Action,
}

impl AuditEvent {
    pub fn new(at: DateTime<Utc>, by: Actor, action: Action) -> Self {
        AuditEvent { at, by, action }
    }

    /// The event as a sentence for the group's trail ("Dr Ada Lovelace
    /// checked off QI Survey (completed 1 March 2026)").
    pub fn describe(&self) -> String {
        let who = self.by.name();
        let what = match &self.action {
            Action::Proposed => "proposed the group".to_string(),
            Action::Confirmed => "confirmed the group and invited the peers".to_string(),
            Action::Invited { name } => format!("invited {name}"),
            Action::Accepted => "accepted the invitation".to_string(),
            Action::Declined => "declined the invitation".to_string(),
            Action::Withdrew { name } => format!("withdrew the invitation of {name}"),
            Action::Removed { name } => format!("removed {name} from the group"),
            Action::Left => "left the group".to_string(),
            Action::CheckedOff { activity, on } => {
                format!("checked off {} (completed {})", activity.label(), super::long_day(*on, super::Language::En))
            }
            Action::Unchecked { activity } => format!("marked {} as not done", activity.label()),
            Action::DraftSaved => "saved the plan's draft".to_string(),
            Action::Submitted => "submitted the plan".to_string(),
            Action::Lapsed { name } => format!("closed the pending invitation of {name} (the plan was submitted)"),
            Action::NewLink { name } => format!("sent a new personal link to {name}"),
            Action::EmailCorrected { name } => format!("corrected the email address of {name}"),
            Action::Dissolved => "dissolved the group".to_string(),
            Action::PointRecorded { period, value, corrected, .. } => {
                let verb = if *corrected { "corrected" } else { "recorded" };
                format!("{verb} {value} for {}", period.label(super::Language::En))
            }
            Action::PointDeleted { period, .. } => format!("deleted their data point for {}", period.label(super::Language::En)),
            Action::CycleLogged { change_idea, updated: false, .. } => format!("logged a PDSA cycle: {change_idea}"),
            Action::CycleLogged { change_idea, updated: true, .. } => format!("updated the PDSA cycle {change_idea}"),
            Action::CycleDeleted { change_idea, .. } => format!("deleted the PDSA cycle {change_idea}"),
        };
        format!("{who} {what}")
    }
}
