//! The group's audit trail: who did what, and when.
//!
//! Group-level events (proposed, confirmed, accepted, …) are kept with the
//! group; each member's check-offs are kept with that member (so a check-off
//! stays one write). [`super::Group::audit_trail`] merges both in time order.
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::activity::Activity;
use super::measure::PeriodId;
use super::values::{Language, PersonName};

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
    /// checked off QI Survey (completed 1 March 2026)"), in English (the
    /// staff export's language).
    pub fn describe(&self) -> String {
        self.describe_in(Language::En)
    }

    /// [`AuditEvent::describe`] in `lang`.
    pub fn describe_in(&self, lang: Language) -> String {
        let fr = lang == Language::Fr;
        let who = match (&self.by, fr) {
            (Actor::Staff, true) => "Le personnel du Programme".to_string(),
            (Actor::Service, true) => "Le service".to_string(),
            (by, _) => by.name(),
        };
        let pick = |en: &str, f: &str| if fr { f.to_string() } else { en.to_string() };
        let day = |d: &NaiveDate| super::long_day(*d, lang);
        let what = match &self.action {
            Action::Proposed => pick("proposed the group", "a proposé le groupe"),
            Action::Confirmed => pick("confirmed the group and invited the peers", "a confirmé le groupe et invité les collègues"),
            Action::Invited { name } => {
                if fr {
                    format!("a invité {name}")
                } else {
                    format!("invited {name}")
                }
            }
            Action::Accepted => pick("accepted the invitation", "a accepté l’invitation"),
            Action::Declined => pick("declined the invitation", "a refusé l’invitation"),
            Action::Withdrew { name } => {
                if fr {
                    format!("a annulé l’invitation de {name}")
                } else {
                    format!("withdrew the invitation of {name}")
                }
            }
            Action::Removed { name } => {
                if fr {
                    format!("a retiré {name} du groupe")
                } else {
                    format!("removed {name} from the group")
                }
            }
            Action::Left => pick("left the group", "a quitté le groupe"),
            Action::CheckedOff { activity, on } => {
                if fr {
                    format!("a indiqué l’activité {} comme terminée (terminée le {})", activity.label_in(lang), day(on))
                } else {
                    format!("checked off {} (completed {})", activity.label(), day(on))
                }
            }
            Action::Unchecked { activity } => {
                if fr {
                    format!("a indiqué l’activité {} comme non terminée", activity.label_in(lang))
                } else {
                    format!("marked {} as not done", activity.label())
                }
            }
            Action::DraftSaved => pick("saved the plan's draft", "a enregistré le brouillon du plan"),
            Action::Submitted => pick("submitted the plan", "a soumis le plan"),
            Action::Lapsed { name } => {
                if fr {
                    format!("a clos l’invitation en attente de {name} (le plan a été soumis)")
                } else {
                    format!("closed the pending invitation of {name} (the plan was submitted)")
                }
            }
            Action::NewLink { name } => {
                if fr {
                    format!("a envoyé un nouveau lien personnel à {name}")
                } else {
                    format!("sent a new personal link to {name}")
                }
            }
            Action::EmailCorrected { name } => {
                if fr {
                    format!("a corrigé l’adresse courriel de {name}")
                } else {
                    format!("corrected the email address of {name}")
                }
            }
            Action::Dissolved => pick("dissolved the group", "a dissous le groupe"),
            Action::PointRecorded { period, value, corrected, .. } => match (fr, *corrected) {
                (false, c) => format!("{} {value} for {}", if c { "corrected" } else { "recorded" }, period.label(lang)),
                (true, false) => format!("a saisi {value} pour {}", period.label(lang)),
                (true, true) => format!("a corrigé sa donnée pour {}\u{a0}: {value}", period.label(lang)),
            },
            Action::PointDeleted { period, .. } => {
                if fr {
                    format!("a supprimé sa donnée pour {}", period.label(lang))
                } else {
                    format!("deleted their data point for {}", period.label(lang))
                }
            }
            Action::CycleLogged { change_idea, updated: false, .. } => {
                if fr {
                    format!("a consigné un cycle PFEA\u{a0}: {change_idea}")
                } else {
                    format!("logged a PDSA cycle: {change_idea}")
                }
            }
            Action::CycleLogged { change_idea, updated: true, .. } => {
                if fr {
                    format!("a mis à jour le cycle PFEA {change_idea}")
                } else {
                    format!("updated the PDSA cycle {change_idea}")
                }
            }
            Action::CycleDeleted { change_idea, .. } => {
                if fr {
                    format!("a supprimé le cycle PFEA {change_idea}")
                } else {
                    format!("deleted the PDSA cycle {change_idea}")
                }
            }
        };
        format!("{who} {what}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_trail_reads_in_each_language() {
        let at = DateTime::parse_from_rfc3339("2026-12-01T15:00:00Z").unwrap().with_timezone(&Utc);
        let by = Actor::Member { slot: 1, name: PersonName::parse("Dre Ada Roy").unwrap() };
        let on = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let e = AuditEvent::new(at, by, Action::CheckedOff { activity: Activity::QiSurvey, on });
        assert_eq!(e.describe(), "Dre Ada Roy checked off QI Survey (completed 1 December 2026)");
        assert_eq!(
            e.describe_in(Language::Fr),
            "Dre Ada Roy a indiqué l’activité Sondage sur l’AQ comme terminée (terminée le 1er décembre 2026)"
        );
        let staff = AuditEvent::new(at, Actor::Staff, Action::Dissolved);
        assert_eq!(staff.describe_in(Language::Fr), "Le personnel du Programme a dissous le groupe");
    }
}
