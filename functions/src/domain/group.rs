//! Groups, members, their life from proposal to submission, and the sign-up rules.
use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::access::{AccessCode, CodeHash, Session, SessionToken};
use super::activity::{Activities, Activity};
use super::audit::{Action, Actor, AuditEvent, HistoryEntry};
use super::measure::{DataPoint, PeriodId, Series};
use super::pdsa::PdsaCycle;
use super::pip::{GoalDraft, PipDraft};
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

/// A physician's details as the group holds them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub cpso: Cpso,
    pub name: PersonName,
    pub email: Email,
    pub language: Language,
    pub role: Role,
}

/// Where a member stands. Only an `Accepted` member holds the
/// one-open-group lock, checks off activities and counts for the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum MemberStatus {
    /// Named in a proposal the lead has not confirmed yet (the lead included).
    Proposed,
    /// Invited by a confirmed group; lapses at `expires_at`.
    Invited { expires_at: DateTime<Utc> },
    /// Agreed to be in the group (the lead by confirming).
    Accepted { at: DateTime<Utc> },
}

impl MemberStatus {
    pub fn is_accepted(&self) -> bool {
        matches!(self, MemberStatus::Accepted { .. })
    }
    pub fn key(&self) -> &'static str {
        match self {
            MemberStatus::Proposed => "proposed",
            MemberStatus::Invited { .. } => "invited",
            MemberStatus::Accepted { .. } => "accepted",
        }
    }
}

/// A member as stored: slot, details, status, the hash of their access code,
/// their live sessions, activities, and their own check-off history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupMember {
    /// Stable within the group and never reused (0 is the lead).
    pub slot: u8,
    pub member: Member,
    pub status: MemberStatus,
    pub code_hash: CodeHash,
    #[serde(default)]
    pub sessions: Vec<Session>,
    pub activities: Activities,
    /// This member's check-offs and measurement changes, oldest first.
    #[serde(default)]
    pub history: Vec<HistoryEntry>,
    /// The data points this member recorded, any goal, in no set order.
    #[serde(default)]
    pub points: Vec<GoalPoint>,
    /// The PDSA cycles this member logged.
    #[serde(default)]
    pub cycles: Vec<PdsaCycle>,
    /// Data-entry reminders: whether they are off, the last one sent, and
    /// the opt-out links of the latest ones (see `crate::app::reminders`).
    #[serde(default)]
    pub reminders: Reminders,
}

/// How many opt-out links of a member's latest reminders still work.
pub const REMINDER_TOKENS_KEPT: usize = 3;

/// A member's data-entry reminders, as stored with the member.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reminders {
    /// The member turned reminders off (an opt-out link, or their Measures page).
    #[serde(default)]
    pub off: bool,
    /// The last day of the period the latest reminder was sent for: no
    /// other reminder is sent for a period that starts on or before it.
    #[serde(default)]
    pub through: Option<NaiveDate>,
    /// The hashes of the opt-out tokens of the latest reminders, oldest
    /// first (at most [`REMINDER_TOKENS_KEPT`]); the tokens are only in the emails.
    #[serde(default)]
    pub tokens: Vec<CodeHash>,
}

/// A member's data point for one goal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GoalPoint {
    /// The goal's stable id.
    pub goal: u16,
    pub point: DataPoint,
    /// When it was recorded or last corrected.
    pub at: DateTime<Utc>,
}

/// A change to a member's own measurement data: each is one write of that
/// member's record (see `Store::record_data`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataChange {
    /// Record a point; the member's point for the same goal and period, if
    /// any, is replaced.
    Point(GoalPoint),
    DeletePoint {
        goal: u16,
        period: PeriodId,
    },
    /// Log a cycle; the member's cycle with the same id is replaced.
    Cycle(PdsaCycle),
    DeleteCycle {
        id: u16,
    },
}

impl GroupMember {
    /// Apply `c` to this member's data (the reference every store follows).
    pub fn apply_data(&mut self, c: &DataChange) {
        match c {
            DataChange::Point(p) => {
                self.points.retain(|q| !(q.goal == p.goal && q.point.period == p.point.period));
                self.points.push(p.clone());
            }
            DataChange::DeletePoint { goal, period } => self.points.retain(|q| !(q.goal == *goal && q.point.period == *period)),
            DataChange::Cycle(cy) => {
                self.cycles.retain(|q| q.id != cy.id);
                self.cycles.push(cy.clone());
                self.cycles.sort_by_key(|c| c.id);
            }
            DataChange::DeleteCycle { id } => self.cycles.retain(|q| q.id != *id),
        }
    }

    /// This member's point for a goal and period.
    pub fn point(&self, goal: u16, period: PeriodId) -> Option<&GoalPoint> {
        self.points.iter().find(|q| q.goal == goal && q.point.period == period)
    }
}

impl GroupMember {
    pub fn actor(&self) -> Actor {
        Actor::Member { slot: self.slot, name: self.member.name.clone() }
    }
    /// The live session whose token hashes to `hash`.
    pub fn session(&self, token: &SessionToken, now: DateTime<Utc>) -> Option<&Session> {
        self.sessions.iter().find(|s| s.hash.matches(token) && s.is_live(now))
    }
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

/// Where a group is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Proposed at sign-up; the lead has not confirmed it (nobody is locked).
    Proposed,
    /// Confirmed by the lead; no peer has accepted yet.
    Confirmed,
    /// The lead and at least one peer have accepted.
    Formed,
    Submitted,
    Dissolved,
}

impl Phase {
    pub fn key(self) -> &'static str {
        match self {
            Phase::Proposed => "proposed",
            Phase::Confirmed => "confirmed",
            Phase::Formed => "formed",
            Phase::Submitted => "submitted",
            Phase::Dissolved => "dissolved",
        }
    }
}

/// A QI group. `members` are in slot order; slot 0 is the lead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    pub id: GroupId,
    pub name: GroupName,
    pub practice_setting: PracticeSetting,
    pub cycle: Cycle,
    pub created_at: DateTime<Utc>,
    /// While proposed: when the proposal lapses (and leaves nothing behind).
    #[serde(default)]
    pub proposal_expires_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub dissolved_at: Option<DateTime<Utc>>,
    /// Bumped by every change to the group other than a check-off or a
    /// session: writes are conditioned on the version their caller read.
    #[serde(default)]
    pub version: u64,
    /// The slot the next member gets.
    #[serde(default)]
    pub next_slot: u8,
    pub members: Vec<GroupMember>,
    pub pip: PipState,
    /// Bumped by every draft save; a submission names the version it saw.
    #[serde(default)]
    pub draft_version: u64,
    /// Group-level events, oldest first (check-offs are with each member).
    #[serde(default)]
    pub audit: Vec<AuditEvent>,
}

/// Why a group's plan cannot be submitted now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubmitBlocked {
    /// The group has submitted its one plan already.
    AlreadySubmitted,
    /// Fewer than two members have accepted (or the group is not confirmed, or dissolved).
    NotFormed,
    /// Each (member, activity) still to be done: accepted members in slot
    /// order, activities in [`Activity::ALL`] order.
    ActivitiesIncomplete(Vec<(Cpso, Activity)>),
}

impl Group {
    /// Every goal id some member's data points or cycles refer to.
    pub fn data_goal_ids(&self) -> BTreeSet<u16> {
        self.members.iter().flat_map(|m| m.points.iter().map(|p| p.goal).chain(m.cycles.iter().map(|c| c.goal))).collect()
    }

    /// Goal `id` of the plan (draft or submitted), with its number (1-based).
    pub fn goal(&self, id: u16) -> Option<(usize, &GoalDraft)> {
        self.pip.draft().and_then(|d| d.goal(id))
    }

    /// Every member's points for goal `id`, as the series of its measure
    /// (`None` without a defined measure). Points recorded under an earlier
    /// definition that no longer fit are left out (see [`Series::from_points`]).
    pub fn series(&self, id: u16) -> Option<Series> {
        let def = self.goal(id)?.1.definition.as_ref()?;
        Some(Series::from_points(def, self.points_of(id).map(|p| p.point.clone())))
    }

    /// Every member's points for goal `id`.
    pub fn points_of(&self, id: u16) -> impl Iterator<Item = &GoalPoint> {
        self.members.iter().flat_map(move |m| m.points.iter().filter(move |p| p.goal == id))
    }

    /// Points for goal `id` that do not fit its measure as now defined.
    pub fn misfit_points(&self, id: u16) -> Vec<&DataPoint> {
        match self.goal(id).and_then(|(_, g)| g.definition.as_ref()) {
            Some(def) => self.points_of(id).map(|p| &p.point).filter(|p| !def.fits(p)).collect(),
            None => self.points_of(id).map(|p| &p.point).collect(),
        }
    }

    /// Where goal `id`'s baseline ends: the period its first change was
    /// tested in (the earliest PDSA cycle's start) or the plan was submitted
    /// in, whichever comes first. Earlier periods are the baseline; with
    /// neither yet, every point is (`None`).
    pub fn baseline_end(&self, id: u16, def: &super::measure::MeasureDefinition) -> Option<PeriodId> {
        let submitted = self.pip.submitted_on();
        let first_change = self.cycles_of(id).first().map(|c| c.started_on);
        [submitted, first_change].into_iter().flatten().min().map(|d| PeriodId::of(def.period, d))
    }

    /// Goal `id`'s PDSA cycles, by start date (then member, id).
    pub fn cycles_of(&self, id: u16) -> Vec<&PdsaCycle> {
        let mut all: Vec<&PdsaCycle> = self.members.iter().flat_map(|m| m.cycles.iter().filter(|c| c.goal == id)).collect();
        all.sort_by_key(|c| (c.started_on, c.by, c.id));
        all
    }

    pub fn phase(&self) -> Phase {
        if self.dissolved_at.is_some() {
            Phase::Dissolved
        } else if self.pip.is_submitted() {
            Phase::Submitted
        } else if self.proposal_expires_at.is_some() {
            Phase::Proposed
        } else if self.accepted().any(|m| m.member.role == Role::Peer) {
            Phase::Formed
        } else {
            Phase::Confirmed
        }
    }

    /// Confirmed, not submitted, not dissolved: its accepted members hold the lock.
    pub fn is_open(&self) -> bool {
        matches!(self.phase(), Phase::Confirmed | Phase::Formed)
    }

    /// The group as it stands at `now`: `None` once an unconfirmed proposal
    /// has lapsed; lapsed invitations and ended sessions left out. Every
    /// reader applies this, so a store that deletes expired items lazily
    /// (DynamoDB TTL) answers as if they were gone.
    pub fn as_of(mut self, now: DateTime<Utc>) -> Option<Group> {
        if self.proposal_expires_at.is_some_and(|t| t <= now) {
            return None;
        }
        self.members.retain(|m| !matches!(m.status, MemberStatus::Invited { expires_at } if expires_at <= now));
        for m in &mut self.members {
            m.sessions.retain(|s| s.is_live(now));
        }
        Some(self)
    }

    /// The group's lead (slot 0).
    pub fn lead(&self) -> Option<&GroupMember> {
        self.members.iter().find(|m| m.member.role == Role::Lead)
    }

    /// The members who have accepted, in slot order.
    pub fn accepted(&self) -> impl Iterator<Item = &GroupMember> {
        self.members.iter().filter(|m| m.status.is_accepted())
    }

    /// Peers accepted or pending (what the six-peer limit counts).
    pub fn peer_count(&self) -> usize {
        self.members.iter().filter(|m| m.member.role == Role::Peer).count()
    }

    pub fn member(&self, slot: u8) -> Option<&GroupMember> {
        self.members.iter().find(|m| m.slot == slot)
    }

    /// The program's rule for submitting: the plan is not submitted yet, the
    /// group is formed (2–7 accepted members), and every accepted member has
    /// completed all four activities. The stores check the activities
    /// atomically with the write (so a concurrent change can only make a
    /// submission fail), and report a failure through this rule.
    pub fn ready_to_submit(&self) -> Result<(), SubmitBlocked> {
        match self.phase() {
            Phase::Submitted => return Err(SubmitBlocked::AlreadySubmitted),
            Phase::Formed => {}
            _ => return Err(SubmitBlocked::NotFormed),
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

    /// The slot of the member `code` (an emailed access code) belongs to.
    pub fn authenticate(&self, code: &AccessCode) -> Option<u8> {
        if code.group() != &self.id {
            return None;
        }
        let m = self.member(code.slot())?;
        m.code_hash.matches(code).then_some(m.slot)
    }

    /// The slot of the member whose live session `token` is.
    pub fn session_member(&self, token: &SessionToken, now: DateTime<Utc>) -> Option<u8> {
        if token.group() != &self.id {
            return None;
        }
        let m = self.member(token.slot())?;
        m.session(token, now).map(|_| m.slot)
    }

    pub fn member_by_cpso(&self, cpso: &Cpso) -> Option<&GroupMember> {
        self.members.iter().find(|m| &m.member.cpso == cpso)
    }

    /// Every (accepted member, activity) still to be done, in slot order.
    pub fn missing_activities(&self) -> Vec<(Cpso, Activity)> {
        self.accepted().flat_map(|m| m.activities.missing().into_iter().map(|a| (m.member.cpso.clone(), a))).collect()
    }

    pub fn cpsos(&self) -> Vec<Cpso> {
        self.members.iter().map(|m| m.member.cpso.clone()).collect()
    }

    /// Every event, group-level and check-offs, in time order.
    pub fn audit_trail(&self) -> Vec<AuditEvent> {
        let own = self.members.iter().flat_map(|m| m.history.iter().map(|h| AuditEvent::new(h.at, m.actor(), h.action.clone())));
        let mut all: Vec<AuditEvent> = self.audit.iter().cloned().chain(own).collect();
        all.sort_by_key(|e| e.at);
        all
    }

    /// Who submitted the plan, and when (from the trail).
    pub fn submitted_by(&self) -> Option<&AuditEvent> {
        self.audit.iter().rev().find(|e| e.action == Action::Submitted)
    }
}

/// One peer as entered on the sign-up form (or the lead's "invite a peer" form).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonDetails {
    pub cpso: Cpso,
    pub name: PersonName,
    pub email: Email,
    pub language: Language,
}

/// The lead as entered on the sign-up form: the email comes from the
/// invitation list, never from the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeadDetails {
    pub cpso: Cpso,
    pub name: PersonName,
    pub language: Language,
}

/// A valid sign-up: a lead and 1–6 peers with distinct CPSO numbers and
/// distinct email addresses. (Whether the lead is invited is checked against
/// the store; nobody's other groups matter until they agree.)
#[derive(Debug, Clone)]
pub struct SignUp {
    pub name: GroupName,
    pub practice_setting: PracticeSetting,
    pub lead: LeadDetails,
    pub peers: Vec<PersonDetails>,
}

pub use qi_facts::limits::{MAX_PEERS, MIN_PEERS};

/// The proposal cannot be built: a peer was given the lead's own address on file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProposalError {
    #[error("a peer has the lead's email address")]
    SharedAddress,
    #[error(transparent)]
    Random(#[from] RandomUnavailable),
}

impl SignUp {
    /// `peers` are `(N, details)` with `N` the 1-based peer row of the form,
    /// so errors name the right field (`peer_N_cpso`).
    pub fn new(
        name: GroupName,
        practice_setting: PracticeSetting,
        lead: LeadDetails,
        peers: Vec<(usize, PersonDetails)>,
    ) -> Result<SignUp, Vec<FieldError>> {
        let mut errors = Vec::new();
        if peers.len() < MIN_PEERS {
            errors.push(FieldError::tr(
                "peer_1_cpso",
                "too_few",
                "Add at least one peer: a group is a lead and 1 to 6 peers",
                "Ajoutez au moins un collègue\u{a0}: un groupe se compose de la personne responsable et d’un à six collègues",
            ));
        }
        if peers.len() > MAX_PEERS {
            errors.push(FieldError::tr(
                "peers",
                "too_many",
                format!("A group has at most {MAX_PEERS} peers; you entered {}", peers.len()),
                format!("Un groupe compte au plus {MAX_PEERS} collègues; vous en avez indiqué {}", peers.len()),
            ));
        }
        let mut seen = BTreeSet::new();
        seen.insert(lead.cpso.clone());
        let mut emails = BTreeSet::new();
        for (n, p) in &peers {
            if !seen.insert(p.cpso.clone()) {
                errors.push(FieldError::tr(
                    format!("peer_{n}_cpso"),
                    "duplicate",
                    "This CPSO number is already in this group: each member is a different physician",
                    "Ce numéro d’inscription à l’OMCO figure déjà dans ce groupe\u{a0}: chaque membre est un médecin différent",
                ));
            }
            if !emails.insert(p.email.as_str().to_ascii_lowercase()) {
                errors.push(FieldError::tr(
                    format!("peer_{n}_email"),
                    "duplicate",
                    "Another peer has this email address: each member needs their own address",
                    "Un autre collègue a déjà cette adresse courriel\u{a0}: chaque membre doit avoir sa propre adresse",
                ));
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(SignUp { name, practice_setting, lead, peers: peers.into_iter().map(|(_, p)| p).collect() })
    }

    /// Build the proposed group to store, with a fresh id and one fresh access
    /// code per member (returned in slot order; only their hashes are in the
    /// group). `lead_email` is the address on the invitation list. The
    /// proposal lapses at `expires_at`. `created_at` is `now` truncated to
    /// whole milliseconds (what every store keeps).
    pub fn into_proposal(
        self,
        cycle: Cycle,
        lead_email: Email,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
        random: &dyn Random,
    ) -> Result<(Group, Vec<AccessCode>), ProposalError> {
        if self.peers.iter().any(|p| p.email.same_mailbox(&lead_email)) {
            return Err(ProposalError::SharedAddress);
        }
        let now = DateTime::<Utc>::from_timestamp_millis(now.timestamp_millis()).unwrap_or(now);
        let id = GroupId::generate(random)?;
        let mut members = Vec::new();
        let mut codes = Vec::new();
        let lead = PersonDetails { cpso: self.lead.cpso, name: self.lead.name, email: lead_email, language: self.lead.language };
        let people = std::iter::once((Role::Lead, lead)).chain(self.peers.into_iter().map(|p| (Role::Peer, p)));
        for (i, (role, p)) in people.enumerate() {
            let slot = i as u8;
            let code = AccessCode::generate(&id, i, random)?;
            members.push(GroupMember {
                slot,
                member: Member { cpso: p.cpso, name: p.name, email: p.email, language: p.language, role },
                status: MemberStatus::Proposed,
                code_hash: code.hash(),
                sessions: Vec::new(),
                activities: Activities::default(),
                history: Vec::new(),
                points: Vec::new(),
                cycles: Vec::new(),
                reminders: Reminders::default(),
            });
            codes.push(code);
        }
        let lead_actor = members[0].actor();
        let group = Group {
            id,
            name: self.name,
            practice_setting: self.practice_setting,
            cycle,
            created_at: now,
            proposal_expires_at: Some(expires_at),
            dissolved_at: None,
            version: 0,
            next_slot: members.len() as u8,
            members,
            pip: PipState::None,
            draft_version: 0,
            audit: vec![AuditEvent::new(now, lead_actor, Action::Proposed)],
        };
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
            email: Email::parse(&format!("t{cpso}@example.org")).unwrap(),
            language: Language::En,
        }
    }
    fn lead() -> LeadDetails {
        LeadDetails { cpso: Cpso::parse("100").unwrap(), name: PersonName::parse("Dr Lead").unwrap(), language: Language::En }
    }
    fn signup(peers: &[&str]) -> Result<SignUp, Vec<FieldError>> {
        SignUp::new(
            GroupName::parse("G").unwrap(),
            PracticeSetting::parse("Clinic").unwrap(),
            lead(),
            peers.iter().enumerate().map(|(i, c)| (i + 1, person(c))).collect(),
        )
    }
    fn proposal(s: SignUp) -> Result<(Group, Vec<AccessCode>), ProposalError> {
        let now = Utc::now();
        s.into_proposal(Cycle::parse("2026").unwrap(), Email::parse("lead@example.org").unwrap(), now, now, &crate::domain::OsRandom)
    }

    #[test]
    fn one_to_six_peers() {
        let e = signup(&[]).unwrap_err();
        assert_eq!((e[0].field.as_str(), e[0].code.as_str()), ("peer_1_cpso", "too_few"));
        assert_eq!(e[0].fr, "Ajoutez au moins un collègue\u{a0}: un groupe se compose de la personne responsable et d’un à six collègues");
        assert!(signup(&["1"]).is_ok());
        assert!(signup(&["1", "2", "3", "4", "5", "6"]).is_ok());
        let e = signup(&["1", "2", "3", "4", "5", "6", "7"]).unwrap_err();
        assert_eq!(e[0].field, "peers");
        assert_eq!(e[0].message, "A group has at most 6 peers; you entered 7");
        assert_eq!(e[0].fr, "Un groupe compte au plus 6 collègues; vous en avez indiqué 7");
    }

    #[test]
    fn no_duplicate_cpso_or_address() {
        let e = signup(&["1", "100"]).unwrap_err();
        assert_eq!(e[0].field, "peer_2_cpso");
        let e = signup(&["1", "2", "1"]).unwrap_err();
        assert_eq!(e.len(), 2, "the CPSO number and the address repeat: {e:?}");
        assert_eq!(e[0].field, "peer_3_cpso");
        assert_eq!((e[0].code.as_str(), e[1].code.as_str()), ("duplicate", "duplicate"));
        assert!(e[1].fr.starts_with("Un autre collègue a déjà cette adresse courriel"), "{e:?}");
        let mut same = person("2");
        same.email = Email::parse("T1@example.org").unwrap();
        let e =
            SignUp::new(GroupName::parse("G").unwrap(), PracticeSetting::parse("C").unwrap(), lead(), vec![(1, person("1")), (2, same)])
                .unwrap_err();
        assert_eq!(e[0].field, "peer_2_email", "addresses compare without case");
        // A peer given the lead's address on file: no proposal.
        let mut p = person("1");
        p.email = Email::parse("LEAD@example.org").unwrap();
        let s = SignUp::new(GroupName::parse("G").unwrap(), PracticeSetting::parse("C").unwrap(), lead(), vec![(1, p)]).unwrap();
        assert_eq!(proposal(s).unwrap_err(), ProposalError::SharedAddress);
    }

    #[test]
    fn a_proposal_has_roles_slots_and_codes() {
        let (g, codes) = proposal(signup(&["1", "2"]).unwrap()).unwrap();
        assert_eq!(g.members.len(), 3);
        assert_eq!(g.members[0].member.role, Role::Lead);
        assert_eq!(g.members[0].member.email.as_str(), "lead@example.org", "the lead's address is the one on file");
        assert_eq!(g.members[2].member.role, Role::Peer);
        assert_eq!(g.members.iter().map(|m| m.slot).collect::<Vec<_>>(), vec![0, 1, 2]);
        assert_eq!(g.next_slot, 3);
        assert_eq!(g.phase(), Phase::Proposed);
        assert!(!g.is_open(), "a proposal locks nobody");
        assert!(g.members.iter().all(|m| m.status == MemberStatus::Proposed));
        for (i, c) in codes.iter().enumerate() {
            assert_eq!(g.authenticate(c), Some(i as u8));
        }
        let r = crate::domain::OsRandom;
        let other = AccessCode::generate(&GroupId::generate(&r).unwrap(), 0, &r).unwrap();
        assert_eq!(g.authenticate(&other), None);
        let forged = AccessCode::parse(&codes[1].expose().replacen(".1.", ".2.", 1)).unwrap();
        assert_eq!(g.authenticate(&forged), None);
        assert_eq!(g.lead().map(|m| m.member.cpso.as_str()), Some("100"));
        assert_eq!(g.audit.len(), 1);
    }

    #[test]
    fn ready_to_submit_counts_accepted_members_only() {
        let (mut g, _) = proposal(signup(&["1", "2"]).unwrap()).unwrap();
        assert_eq!(g.ready_to_submit(), Err(SubmitBlocked::NotFormed));
        let now = Utc::now();
        g.proposal_expires_at = None;
        g.members[0].status = MemberStatus::Accepted { at: now };
        g.members[1].status = MemberStatus::Accepted { at: now };
        g.members[2].status = MemberStatus::Invited { expires_at: now };
        let day = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        match g.ready_to_submit() {
            Err(SubmitBlocked::ActivitiesIncomplete(m)) => {
                assert_eq!(m.len(), 8, "the invited peer's activities do not count");
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
