//! Groups, members and the sign-up rules.
use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::access::{AccessCode, CodeHash};
use super::activity::{Activities, Activity};
use super::pip::PipDraft;
use super::random::{Random, RandomUnavailable};
use super::values::{Cpso, Cycle, Email, GroupId, GroupName, Language, PersonName, PracticeSetting};
use super::FieldError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Lead,
    Peer,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Lead => "lead",
            Role::Peer => "peer",
        }
    }
}

/// A physician's details as entered at sign-up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub cpso: Cpso,
    pub name: PersonName,
    pub email: Email,
    pub language: Language,
    pub role: Role,
}

/// A member as stored: details, the hash of their access code, their activities.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupMember {
    pub member: Member,
    pub code_hash: CodeHash,
    pub activities: Activities,
}

/// Where the group's Practice Improvement Plan stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum PipState {
    #[default]
    None,
    Draft {
        draft: PipDraft,
    },
    /// `pip` passed [`super::pip::Pip::from_draft`] when it was submitted.
    Submitted {
        pip: PipDraft,
        submitted_on: NaiveDate,
    },
}

impl PipState {
    pub fn is_submitted(&self) -> bool {
        matches!(self, PipState::Submitted { .. })
    }
    pub fn submitted_on(&self) -> Option<NaiveDate> {
        match self {
            PipState::Submitted { submitted_on, .. } => Some(*submitted_on),
            _ => None,
        }
    }
    pub fn draft(&self) -> Option<&PipDraft> {
        match self {
            PipState::None => None,
            PipState::Draft { draft } => Some(draft),
            PipState::Submitted { pip, .. } => Some(pip),
        }
    }
}

/// A QI group. `members[0]` is the lead; the others are peers in sign-up order.
/// A group is *open* until its PIP is submitted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    pub id: GroupId,
    pub name: GroupName,
    pub practice_setting: PracticeSetting,
    pub cycle: Cycle,
    pub created_at: DateTime<Utc>,
    pub members: Vec<GroupMember>,
    pub pip: PipState,
}

/// Why a group's plan cannot be submitted now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubmitBlocked {
    /// The group has submitted its one plan already.
    AlreadySubmitted,
    /// Each (member, activity) still to be done: members in group order,
    /// activities in [`Activity::ALL`] order.
    ActivitiesIncomplete(Vec<(Cpso, Activity)>),
}

impl Group {
    pub fn is_open(&self) -> bool {
        !self.pip.is_submitted()
    }

    /// The group's lead (`members[0]`, as every group is built).
    pub fn lead(&self) -> Option<&GroupMember> {
        self.members.iter().find(|m| m.member.role == Role::Lead)
    }

    /// The program's rule for submitting: the plan is not submitted yet, and
    /// every member has completed all four activities. The stores check the
    /// same conditions atomically with the write (so a concurrent change can
    /// only make a submission fail), and report a failure through this rule.
    pub fn ready_to_submit(&self) -> Result<(), SubmitBlocked> {
        if self.pip.is_submitted() {
            return Err(SubmitBlocked::AlreadySubmitted);
        }
        let missing = self.missing_activities();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(SubmitBlocked::ActivitiesIncomplete(missing))
        }
    }

    /// The member's name, or "" for a CPSO number not in the group.
    pub fn name_of(&self, cpso: &Cpso) -> &str {
        self.member_by_cpso(cpso).map(|m| m.member.name.as_str()).unwrap_or_default()
    }

    /// The index of the member `code` belongs to, if it is a valid code of this group.
    pub fn authenticate(&self, code: &AccessCode) -> Option<usize> {
        if code.group() != &self.id {
            return None;
        }
        let m = self.members.get(code.member_index())?;
        m.code_hash.matches(code).then_some(code.member_index())
    }

    pub fn member_by_cpso(&self, cpso: &Cpso) -> Option<&GroupMember> {
        self.members.iter().find(|m| &m.member.cpso == cpso)
    }

    /// Every (member, activity) still to be done, members in group order.
    pub fn missing_activities(&self) -> Vec<(Cpso, Activity)> {
        self.members.iter().flat_map(|m| m.activities.missing().into_iter().map(|a| (m.member.cpso.clone(), a))).collect()
    }

    pub fn cpsos(&self) -> Vec<Cpso> {
        self.members.iter().map(|m| m.member.cpso.clone()).collect()
    }
}

/// One person as entered on the sign-up form, before roles are assigned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonDetails {
    pub cpso: Cpso,
    pub name: PersonName,
    pub email: Email,
    pub language: Language,
}

/// A valid sign-up: a lead and 1–6 peers with distinct CPSO numbers.
/// (Whether the lead is invited and whether anyone is already in an open
/// group are checked against the store.)
#[derive(Debug, Clone)]
pub struct SignUp {
    pub name: GroupName,
    pub practice_setting: PracticeSetting,
    pub lead: PersonDetails,
    pub peers: Vec<PersonDetails>,
}

pub use qi_facts::limits::{MAX_PEERS, MIN_PEERS};

impl SignUp {
    /// `peers` are `(N, details)` with `N` the 1-based peer row of the form,
    /// so errors name the right field (`peer_N_cpso`).
    pub fn new(
        name: GroupName,
        practice_setting: PracticeSetting,
        lead: PersonDetails,
        peers: Vec<(usize, PersonDetails)>,
    ) -> Result<SignUp, Vec<FieldError>> {
        let mut errors = Vec::new();
        if peers.len() < MIN_PEERS {
            errors.push(FieldError::new("peer_1_cpso", "Add at least one peer: a group is a lead and 1 to 6 peers"));
        }
        if peers.len() > MAX_PEERS {
            errors.push(FieldError::new("peers", format!("A group has at most {MAX_PEERS} peers; you entered {}", peers.len())));
        }
        let mut seen = BTreeSet::new();
        seen.insert(lead.cpso.clone());
        for (n, p) in &peers {
            if !seen.insert(p.cpso.clone()) {
                errors.push(FieldError::new(
                    format!("peer_{n}_cpso"),
                    "This CPSO number is already in this group: each member is a different physician",
                ));
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(SignUp { name, practice_setting, lead, peers: peers.into_iter().map(|(_, p)| p).collect() })
    }

    /// Every member's CPSO number, lead first.
    pub fn all_cpsos(&self) -> Vec<Cpso> {
        std::iter::once(self.lead.cpso.clone()).chain(self.peers.iter().map(|p| p.cpso.clone())).collect()
    }

    /// Build the group to store, with a fresh id and one fresh access code per
    /// member (returned in member order; only their hashes are in the group).
    /// `created_at` is `now` truncated to whole milliseconds (what every store keeps).
    pub fn into_group(self, cycle: Cycle, now: DateTime<Utc>, random: &dyn Random) -> Result<(Group, Vec<AccessCode>), RandomUnavailable> {
        let now = DateTime::<Utc>::from_timestamp_millis(now.timestamp_millis()).unwrap_or(now);
        let id = GroupId::generate(random)?;
        let mut members = Vec::new();
        let mut codes = Vec::new();
        let people = std::iter::once((Role::Lead, self.lead)).chain(self.peers.into_iter().map(|p| (Role::Peer, p)));
        for (i, (role, p)) in people.enumerate() {
            let code = AccessCode::generate(&id, i, random)?;
            members.push(GroupMember {
                member: Member { cpso: p.cpso, name: p.name, email: p.email, language: p.language, role },
                code_hash: code.hash(),
                activities: Activities::default(),
            });
            codes.push(code);
        }
        let group =
            Group { id, name: self.name, practice_setting: self.practice_setting, cycle, created_at: now, members, pip: PipState::None };
        Ok((group, codes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(cpso: &str) -> PersonDetails {
        PersonDetails {
            cpso: Cpso::parse(cpso).unwrap(),
            name: PersonName::parse("Dr Test").unwrap(),
            email: Email::parse("t@example.org").unwrap(),
            language: Language::En,
        }
    }
    fn signup(peers: &[&str]) -> Result<SignUp, Vec<FieldError>> {
        SignUp::new(
            GroupName::parse("G").unwrap(),
            PracticeSetting::parse("Clinic").unwrap(),
            person("100"),
            peers.iter().enumerate().map(|(i, c)| (i + 1, person(c))).collect(),
        )
    }

    #[test]
    fn one_to_six_peers() {
        assert_eq!(signup(&[]).unwrap_err()[0].field, "peer_1_cpso");
        assert!(signup(&["1"]).is_ok());
        assert!(signup(&["1", "2", "3", "4", "5", "6"]).is_ok());
        assert_eq!(signup(&["1", "2", "3", "4", "5", "6", "7"]).unwrap_err()[0].field, "peers");
    }

    #[test]
    fn no_duplicate_cpso() {
        let e = signup(&["1", "100"]).unwrap_err();
        assert_eq!(e[0].field, "peer_2_cpso");
        let e = signup(&["1", "2", "1"]).unwrap_err();
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].field, "peer_3_cpso");
    }

    #[test]
    fn group_roles_and_codes() {
        let s = signup(&["1", "2"]).unwrap();
        let r = crate::domain::OsRandom;
        let (g, codes) = s.into_group(Cycle::parse("2026").unwrap(), Utc::now(), &r).unwrap();
        assert_eq!(g.members.len(), 3);
        assert_eq!(g.members[0].member.role, Role::Lead);
        assert_eq!(g.members[2].member.role, Role::Peer);
        assert!(g.is_open());
        for (i, c) in codes.iter().enumerate() {
            assert_eq!(g.authenticate(c), Some(i));
        }
        // A code of another group or a forged index is refused.
        let other = AccessCode::generate(&GroupId::generate(&r).unwrap(), 0, &r).unwrap();
        assert_eq!(g.authenticate(&other), None);
        let forged = AccessCode::parse(&codes[1].expose().replacen(".1.", ".2.", 1)).unwrap();
        assert_eq!(g.authenticate(&forged), None);
        assert_eq!(g.missing_activities().len(), 12);
        assert_eq!(g.lead().map(|m| m.member.cpso.as_str()), Some("100"));
    }

    #[test]
    fn ready_to_submit_rule() {
        let r = crate::domain::OsRandom;
        let (mut g, _) = signup(&["1"]).unwrap().into_group(Cycle::parse("2026").unwrap(), Utc::now(), &r).unwrap();
        let day = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        match g.ready_to_submit() {
            Err(SubmitBlocked::ActivitiesIncomplete(m)) => {
                assert_eq!(m.len(), 8);
                assert_eq!(m[0], (Cpso::parse("100").unwrap(), Activity::QiSurvey));
            }
            other => panic!("{other:?}"),
        }
        for m in &mut g.members {
            for a in Activity::ALL {
                m.activities.set(a, Some(day));
            }
        }
        assert_eq!(g.ready_to_submit(), Ok(()));
        g.pip = PipState::Submitted { pip: PipDraft::default(), submitted_on: day };
        assert_eq!(g.ready_to_submit(), Err(SubmitBlocked::AlreadySubmitted));
    }
}
