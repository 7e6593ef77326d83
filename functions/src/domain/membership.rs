//! How a group changes, as data: each step of a group's life (confirm,
//! accept, invite, remove, submit, sign in, …) is a pure function from the
//! group as read to a [`Write`] — a list of [`Effect`]s plus the conditions
//! the store must check atomically with them. Both stores interpret the same
//! effects ([`Group::apply`] is the reference interpreter, which the
//! embedded store runs inside its transaction), so a rule lives here once.
use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::access::{CodeHash, Session, MAX_SESSIONS};
use super::audit::{Action, Actor, AuditEvent};
use super::group::{Group, GroupMember, MemberStatus, PersonDetails, Phase, PipState, Role, SubmitBlocked, MAX_PEERS};
use super::measure::Period;
use super::pip::PipDraft;
use super::values::{Cpso, Cycle, Email, GroupId, Language};
use super::{Activities, FieldError, Member};

/// Slots a group can ever hand out (links carry the slot in two digits).
pub const MAX_SLOT: u8 = 99;

/// One change to a group (or to the locks and counters beside it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Store a new group (its id must be free).
    Create(Box<Group>),
    /// Delete the group and everything in it (a discarded proposal).
    Delete,
    /// The lead confirmed the proposal: it no longer lapses.
    Confirm,
    AddMember(Box<GroupMember>),
    SetStatus {
        slot: u8,
        status: MemberStatus,
    },
    SetEmail {
        slot: u8,
        email: Email,
    },
    /// The member's preferred language (what the pages and emails use).
    SetLanguage {
        slot: u8,
        language: Language,
    },
    RemoveMember {
        slot: u8,
    },
    /// A new access code; every session of the member ends.
    SetCode {
        slot: u8,
        hash: CodeHash,
    },
    /// A new session (the member's oldest are ended beyond [`MAX_SESSIONS`]).
    AddSession {
        slot: u8,
        session: Session,
    },
    EndSession {
        slot: u8,
        hash: CodeHash,
    },
    EndSessions {
        slot: u8,
    },
    SaveDraft(Box<PipDraft>),
    /// Store the plan as submitted and close every member's check-offs; the
    /// store checks atomically that each accepted member has all four done.
    Submit {
        pip: Box<PipDraft>,
        on: NaiveDate,
    },
    Dissolve {
        at: DateTime<Utc>,
    },
    /// Take the member's one-open-group lock for this group (fails if they
    /// hold another open group's).
    Acquire(Cpso),
    /// Give the lock back (it must be this group's).
    Release(Cpso),
    /// The group is no longer open (submitted): the lock stays as the
    /// physician's latest group, which no longer stops them joining another.
    Close(Cpso),
    Audit(AuditEvent),
}

/// A per-day counter the write increments, refused beyond `max`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limit {
    /// What is counted, e.g. `proposals:cpso:12345` or `mail:<hash of address>`.
    pub key: String,
    pub day: NaiveDate,
    pub max: u32,
}

/// Everything one atomic store write does and checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Write {
    pub group: GroupId,
    /// The group version the effects were computed from; the store refuses
    /// with `Conflict(Stale)` if it changed (and bumps it). `None` for a new
    /// group and for writes that touch only sessions.
    pub expect_version: Option<u64>,
    /// The acting member's session (slot, hash), which must still be live at
    /// `now` when the write commits; its last use becomes `now`.
    pub actor_session: Option<(u8, CodeHash)>,
    /// The lead's invitation that must exist (for a new group).
    pub invitation: Option<(Cycle, Cpso)>,
    pub limits: Vec<Limit>,
    pub effects: Vec<Effect>,
    pub now: DateTime<Utc>,
    /// Idempotency: a write repeated with the same token after its first try
    /// committed is reported as done, not as a conflict.
    pub token: String,
    /// The emails this change causes, queued in the same atomic write
    /// ([`super::outbox`]): all of them or, if the write fails, none.
    pub outbox: Vec<super::QueuedMail>,
}

impl Write {
    pub fn new(group: &Group, now: DateTime<Utc>, effects: Vec<Effect>) -> Write {
        Write {
            group: group.id.clone(),
            expect_version: Some(group.version),
            actor_session: None,
            invitation: None,
            limits: Vec::new(),
            effects,
            now,
            token: String::new(),
            outbox: Vec::new(),
        }
    }
    pub fn by_session(mut self, slot: u8, hash: CodeHash) -> Write {
        self.actor_session = Some((slot, hash));
        self
    }
    pub fn with_token(mut self, token: String) -> Write {
        self.token = token;
        self
    }
    pub fn limited(mut self, limits: Vec<Limit>) -> Write {
        self.limits = limits;
        self
    }
    /// Whether the write changes the group itself (and so checks and bumps its version).
    pub fn is_versioned(&self) -> bool {
        self.expect_version.is_some()
    }
    /// The CPSO numbers whose lock this write takes.
    pub fn acquires(&self) -> impl Iterator<Item = &Cpso> {
        self.effects.iter().filter_map(|e| match e {
            Effect::Acquire(c) => Some(c),
            _ => None,
        })
    }
}

/// Why a step is refused by the rules (before anything is written).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("only the group's lead can do this")]
    NotLead,
    #[error("the proposal is already confirmed")]
    AlreadyConfirmed,
    #[error("the group is not confirmed yet")]
    NotConfirmed,
    #[error("there is no pending invitation for this member")]
    NoInvitation,
    #[error("the member has not accepted")]
    NotAccepted,
    #[error("the plan is submitted or the group dissolved: it can no longer change")]
    Closed,
    #[error("a group has at most six peers, accepted or invited")]
    GroupFull,
    #[error("this physician is already in the group")]
    CpsoInGroup,
    #[error("another member has this email address")]
    EmailInGroup,
    #[error("the lead cannot be removed or leave; dissolve the group instead")]
    LeadStays,
    #[error("no such member")]
    NoSuchMember,
    #[error("the plan changed since it was read")]
    PlanChanged,
    #[error("the plan cannot be submitted yet")]
    Blocked(SubmitBlocked),
    /// The draft would remove a goal that has data, or change the kind or
    /// period of a measure that has points (named as the form names them).
    #[error("the draft would orphan recorded data")]
    DataRecorded(Vec<FieldError>),
}

impl From<SubmitBlocked> for Refusal {
    fn from(b: SubmitBlocked) -> Self {
        Refusal::Blocked(b)
    }
}

fn audit(now: DateTime<Utc>, by: Actor, action: Action) -> Effect {
    Effect::Audit(AuditEvent::new(now, by, action))
}

/// Removing a member deletes their own record, so their check-offs move
/// into the group's trail first (the history says who did what, even of
/// someone who left).
fn removal(m: &GroupMember) -> Vec<Effect> {
    let mut fx: Vec<Effect> = m.history.iter().map(|h| Effect::Audit(AuditEvent::new(h.at, m.actor(), h.action.clone()))).collect();
    fx.push(Effect::RemoveMember { slot: m.slot });
    fx
}

fn member(g: &Group, slot: u8) -> Result<&GroupMember, Refusal> {
    g.member(slot).ok_or(Refusal::NoSuchMember)
}

fn lead(g: &Group, slot: u8) -> Result<&GroupMember, Refusal> {
    let m = member(g, slot)?;
    if m.member.role == Role::Lead {
        Ok(m)
    } else {
        Err(Refusal::NotLead)
    }
}

/// The group may still change (not submitted or dissolved).
fn changeable(g: &Group) -> Result<(), Refusal> {
    match g.phase() {
        Phase::Submitted | Phase::Dissolved => Err(Refusal::Closed),
        _ => Ok(()),
    }
}

/// The lead confirms the proposal: they accept (and take their lock), and
/// every proposed peer is invited until `now + pending`.
pub fn confirm(g: &Group, slot: u8, now: DateTime<Utc>, pending: Duration) -> Result<Vec<Effect>, Refusal> {
    let l = lead(g, slot)?;
    if g.phase() != Phase::Proposed {
        changeable(g)?;
        return Err(Refusal::AlreadyConfirmed);
    }
    let mut fx = vec![Effect::Confirm, Effect::SetStatus { slot, status: MemberStatus::Accepted { at: now } }];
    for p in g.members.iter().filter(|m| m.member.role == Role::Peer) {
        fx.push(Effect::SetStatus { slot: p.slot, status: MemberStatus::Invited { expires_at: now + pending } });
    }
    fx.push(Effect::Acquire(l.member.cpso.clone()));
    fx.push(audit(now, l.actor(), Action::Confirmed));
    Ok(fx)
}

/// The lead discards their own proposal: it is deleted.
pub fn discard(g: &Group, slot: u8) -> Result<Vec<Effect>, Refusal> {
    lead(g, slot)?;
    if g.phase() != Phase::Proposed {
        return Err(Refusal::AlreadyConfirmed);
    }
    Ok(vec![Effect::Delete])
}

fn invited(g: &Group, slot: u8) -> Result<&GroupMember, Refusal> {
    changeable(g)?;
    let m = member(g, slot)?;
    match m.status {
        MemberStatus::Invited { .. } => Ok(m),
        _ => Err(Refusal::NoInvitation),
    }
}

/// A peer accepts their invitation (and takes their lock).
pub fn accept(g: &Group, slot: u8, now: DateTime<Utc>) -> Result<Vec<Effect>, Refusal> {
    let m = invited(g, slot)?;
    Ok(vec![
        Effect::SetStatus { slot, status: MemberStatus::Accepted { at: now } },
        Effect::Acquire(m.member.cpso.clone()),
        audit(now, m.actor(), Action::Accepted),
    ])
}

/// A peer declines: they are no longer named in the group.
pub fn decline(g: &Group, slot: u8, now: DateTime<Utc>) -> Result<Vec<Effect>, Refusal> {
    let m = invited(g, slot)?;
    let mut fx = removal(m);
    fx.push(audit(now, m.actor(), Action::Declined));
    Ok(fx)
}

/// Whether `slot` may invite one more peer now (the lead of a confirmed,
/// open group with room): what [`invite`] checks before the person.
pub fn may_invite(g: &Group, slot: u8) -> Result<&GroupMember, Refusal> {
    let l = lead(g, slot)?;
    changeable(g)?;
    if g.phase() == Phase::Proposed {
        return Err(Refusal::NotConfirmed);
    }
    // Slots are never reused and a link names its slot in two digits.
    if g.peer_count() >= MAX_PEERS || g.next_slot >= MAX_SLOT {
        return Err(Refusal::GroupFull);
    }
    Ok(l)
}

/// The lead invites one more peer (`code_hash`: of the new member's access code).
pub fn invite(
    g: &Group,
    slot: u8,
    p: &PersonDetails,
    code_hash: CodeHash,
    now: DateTime<Utc>,
    pending: Duration,
) -> Result<(Vec<Effect>, u8), Refusal> {
    let l = may_invite(g, slot)?;
    if g.member_by_cpso(&p.cpso).is_some() {
        return Err(Refusal::CpsoInGroup);
    }
    if g.members.iter().any(|m| m.member.email.same_mailbox(&p.email)) {
        return Err(Refusal::EmailInGroup);
    }
    let new = GroupMember {
        slot: g.next_slot,
        member: Member { cpso: p.cpso.clone(), name: p.name.clone(), email: p.email.clone(), language: p.language, role: Role::Peer },
        status: MemberStatus::Invited { expires_at: now + pending },
        code_hash,
        sessions: Vec::new(),
        activities: Activities::default(),
        history: Vec::new(),
        points: Vec::new(),
        cycles: Vec::new(),
        reminders: Default::default(),
    };
    let fx = vec![Effect::AddMember(Box::new(new)), audit(now, l.actor(), Action::Invited { name: p.name.clone() })];
    Ok((fx, g.next_slot))
}

/// The lead (or staff, `by_slot: None`) removes a peer, or withdraws a
/// pending invitation; an accepted peer's lock is released.
pub fn remove(g: &Group, by_slot: Option<u8>, target: u8, now: DateTime<Utc>) -> Result<Vec<Effect>, Refusal> {
    let by = match by_slot {
        Some(s) => lead(g, s)?.actor(),
        None => Actor::Staff,
    };
    changeable(g)?;
    let t = member(g, target)?;
    if t.member.role == Role::Lead {
        return Err(Refusal::LeadStays);
    }
    let name = t.member.name.clone();
    let mut fx = removal(t);
    if t.status.is_accepted() {
        fx.push(Effect::Release(t.member.cpso.clone()));
        fx.push(audit(now, by, Action::Removed { name }));
    } else {
        fx.push(audit(now, by, Action::Withdrew { name }));
    }
    Ok(fx)
}

/// An accepted peer leaves (their lock is released).
pub fn leave(g: &Group, slot: u8, now: DateTime<Utc>) -> Result<Vec<Effect>, Refusal> {
    changeable(g)?;
    let m = member(g, slot)?;
    if m.member.role == Role::Lead {
        return Err(Refusal::LeadStays);
    }
    if !m.status.is_accepted() {
        return Err(Refusal::NotAccepted);
    }
    let mut fx = removal(m);
    fx.extend([Effect::Release(m.member.cpso.clone()), audit(now, m.actor(), Action::Left)]);
    Ok(fx)
}

/// The lead (or staff) dissolves the group before submission: every lock is released.
pub fn dissolve(g: &Group, by_slot: Option<u8>, now: DateTime<Utc>) -> Result<Vec<Effect>, Refusal> {
    let by = match by_slot {
        Some(s) => lead(g, s)?.actor(),
        None => Actor::Staff,
    };
    changeable(g)?;
    // The lead discards a proposal instead (nothing is left of it).
    if g.phase() == Phase::Proposed && by_slot.is_some() {
        return Err(Refusal::NotConfirmed);
    }
    let mut fx = vec![Effect::Dissolve { at: now }];
    fx.extend(g.accepted().map(|m| Effect::Release(m.member.cpso.clone())));
    fx.push(audit(now, by, Action::Dissolved));
    Ok(fx)
}

/// An accepted member saves the plan's draft.
///
/// Each goal keeps its stable id ([`PipDraft::assign_ids`]). A goal with
/// data points or PDSA cycles stays in the plan, and its measure keeps its
/// kind and period while it has points (what they mean depends on them).
pub fn save_draft(g: &Group, slot: u8, mut draft: PipDraft, now: DateTime<Utc>) -> Result<Vec<Effect>, Refusal> {
    changeable(g)?;
    let m = member(g, slot)?;
    if !m.status.is_accepted() {
        return Err(Refusal::NotAccepted);
    }
    draft.assign_ids(g.pip.draft(), g.data_goal_ids());
    let problems = data_kept(g, &draft);
    if !problems.is_empty() {
        return Err(Refusal::DataRecorded(problems));
    }
    Ok(vec![Effect::SaveDraft(Box::new(draft)), audit(now, m.actor(), Action::DraftSaved)])
}

/// What `draft` would break of the data recorded for `g`'s goals.
fn data_kept(g: &Group, draft: &PipDraft) -> Vec<FieldError> {
    let mut problems = Vec::new();
    for id in g.data_goal_ids() {
        let Some((old_n, old)) = g.goal(id) else { continue };
        let points: Vec<_> = g.points_of(id).collect();
        match draft.goal(id) {
            None => {
                let what = if points.is_empty() { "PDSA cycles" } else { "data points" };
                let aim = if old.aim.is_empty() { format!("Goal {old_n}") } else { format!("“{}”", old.aim) };
                let aim_fr =
                    if old.aim.is_empty() { format!("L’objectif {old_n}") } else { format!("L’objectif «\u{a0}{}\u{a0}»", old.aim) };
                let fr = if points.is_empty() {
                    format!(
                        "{aim_fr} a des cycles PFEA consignés et reste donc dans le plan\u{a0}: \
                         conservez sa ligne, ou supprimez d’abord ses cycles PFEA"
                    )
                } else {
                    format!(
                        "{aim_fr} a des données enregistrées et reste donc dans le plan\u{a0}: \
                         conservez sa ligne, ou supprimez d’abord ses données"
                    )
                };
                problems.push(FieldError::tr(
                    "goals",
                    "locked",
                    format!("{aim} has {what} recorded, so it stays in the plan: keep its row, or delete its {what} first"),
                    fr,
                ));
            }
            Some((n, new)) if !points.is_empty() => {
                let fits = new.definition.as_ref().is_some_and(|d| points.iter().all(|p| d.fits(&p.point)));
                if !fits {
                    let old_def = old.definition.as_ref();
                    let was = old_def.map(|d| format!(" ({}, per {})", d.kind.label().to_lowercase(), d.period.key())).unwrap_or_default();
                    let was_fr = old_def
                        .map(|d| format!(" ({}, {})", d.kind.label_in(Language::Fr).to_lowercase(), per_period_fr(d.period)))
                        .unwrap_or_default();
                    let count = points.len();
                    let recorded_fr =
                        if count == 1 { "1 donnée est enregistrée".to_string() } else { format!("{count} données sont enregistrées") };
                    problems.push(FieldError::tr(
                        format!("goal_{n}_measure_kind"),
                        "locked",
                        format!(
                            "Goal {n}: {} data points are recorded for this measure{was}: keep its type and period, or delete the points first",
                            points.len()
                        ),
                        format!(
                            "Objectif {n}\u{a0}: {recorded_fr} pour cette mesure{was_fr}\u{a0}: \
                             conservez son type et sa période, ou supprimez d’abord ces données"
                        ),
                    ));
                }
            }
            Some(_) => {}
        }
    }
    problems
}

/// "per week" / "per month", in French.
fn per_period_fr(period: Period) -> &'static str {
    match period {
        Period::Week => "par semaine",
        Period::Month => "par mois",
    }
}

/// An accepted member submits `pip` (already checked with `Pip::from_draft`)
/// for the group, having seen draft version `seen` (`None`: the caller did
/// not say, e.g. an API client sending the whole plan). Pending invitations
/// lapse; accepted members' locks close.
pub fn submit(
    g: &Group,
    slot: u8,
    mut pip: PipDraft,
    seen: Option<u64>,
    on: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Vec<Effect>, Refusal> {
    let m = member(g, slot)?;
    if !m.status.is_accepted() {
        return Err(Refusal::NotAccepted);
    }
    g.ready_to_submit()?;
    if seen.is_some_and(|v| v != g.draft_version) {
        return Err(Refusal::PlanChanged);
    }
    // As a draft save: goals keep their ids, and recorded data its goal and meaning.
    pip.assign_ids(g.pip.draft(), g.data_goal_ids());
    let problems = data_kept(g, &pip);
    if !problems.is_empty() {
        return Err(Refusal::DataRecorded(problems));
    }
    let mut fx = vec![Effect::Submit { pip: Box::new(pip), on }];
    for p in g.members.iter().filter(|m| !m.status.is_accepted()) {
        fx.extend(removal(p));
        fx.push(audit(now, Actor::Service, Action::Lapsed { name: p.member.name.clone() }));
    }
    fx.extend(g.accepted().map(|m| Effect::Close(m.member.cpso.clone())));
    fx.push(audit(now, m.actor(), Action::Submitted));
    Ok(fx)
}

/// A new access code for a member (their link was lost, or staff reissue it).
pub fn new_link(g: &Group, slot: u8, hash: CodeHash, by: Actor, now: DateTime<Utc>) -> Result<Vec<Effect>, Refusal> {
    let m = member(g, slot)?;
    // A peer of an unconfirmed proposal is reached only once the lead confirms.
    if m.status == MemberStatus::Proposed && m.member.role == Role::Peer {
        return Err(Refusal::NotConfirmed);
    }
    Ok(vec![Effect::SetCode { slot, hash }, audit(now, by, Action::NewLink { name: m.member.name.clone() })])
}

/// Staff correct a member's email address (unique within the group). The
/// old address may have reached someone else, so the member's code is
/// replaced too (`hash`: of the new code, sent to the corrected address)
/// and every session ends.
pub fn correct_email(g: &Group, slot: u8, email: Email, hash: CodeHash, now: DateTime<Utc>) -> Result<Vec<Effect>, Refusal> {
    let m = member(g, slot)?;
    if g.members.iter().any(|o| o.slot != slot && o.member.email.same_mailbox(&email)) {
        return Err(Refusal::EmailInGroup);
    }
    Ok(vec![
        Effect::SetEmail { slot, email },
        Effect::SetCode { slot, hash },
        audit(now, Actor::Staff, Action::EmailCorrected { name: m.member.name.clone() }),
    ])
}

impl Group {
    /// Apply `effects` to the group document (locks and counters are the
    /// store's; `Delete` leaves the document as is). `versioned`: bump the
    /// version, as every change other than sessions does.
    pub fn apply(&mut self, effects: &[Effect], versioned: bool) {
        for e in effects {
            match e {
                Effect::Create(g) => *self = (**g).clone(),
                Effect::Delete | Effect::Acquire(_) | Effect::Release(_) | Effect::Close(_) => {}
                Effect::Confirm => self.proposal_expires_at = None,
                Effect::AddMember(m) => {
                    self.next_slot = self.next_slot.max(m.slot + 1);
                    self.members.push((**m).clone());
                    self.members.sort_by_key(|m| m.slot);
                }
                Effect::SetStatus { slot, status } => self.with_member(*slot, |m| m.status = *status),
                Effect::SetEmail { slot, email } => self.with_member(*slot, |m| m.member.email = email.clone()),
                Effect::SetLanguage { slot, language } => self.with_member(*slot, |m| m.member.language = *language),
                Effect::RemoveMember { slot } => self.members.retain(|m| m.slot != *slot),
                Effect::SetCode { slot, hash } => self.with_member(*slot, |m| {
                    m.code_hash = hash.clone();
                    m.sessions.clear();
                }),
                Effect::AddSession { slot, session } => self.with_member(*slot, |m| {
                    m.sessions.push(session.clone());
                    m.sessions.sort_by_key(|s| s.created_at);
                    while m.sessions.len() > MAX_SESSIONS {
                        m.sessions.remove(0);
                    }
                }),
                Effect::EndSession { slot, hash } => self.with_member(*slot, |m| m.sessions.retain(|s| &s.hash != hash)),
                Effect::EndSessions { slot } => self.with_member(*slot, |m| m.sessions.clear()),
                Effect::SaveDraft(d) => {
                    self.pip = PipState::Draft { draft: (**d).clone() };
                    self.draft_version += 1;
                }
                Effect::Submit { pip, on } => self.pip = PipState::Submitted { pip: (**pip).clone(), submitted_on: *on },
                Effect::Dissolve { at } => self.dissolved_at = Some(*at),
                Effect::Audit(ev) => self.audit.push(ev.clone()),
            }
        }
        if versioned {
            self.version += 1;
        }
    }

    /// Record that the session `hash` of `slot` was used at `now`.
    pub fn touch(&mut self, slot: u8, hash: &CodeHash, now: DateTime<Utc>) {
        self.with_member(slot, |m| {
            if let Some(s) = m.sessions.iter_mut().find(|s| &s.hash == hash) {
                s.seen_at = now;
            }
        });
    }

    fn with_member(&mut self, slot: u8, f: impl FnOnce(&mut GroupMember)) {
        if let Some(m) = self.members.iter_mut().find(|m| m.slot == slot) {
            f(m);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AccessCode, Activity, GroupName, Language, LeadDetails, OsRandom, PersonName, PracticeSetting, SignUp};

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }
    fn person(cpso: &str, email: &str) -> PersonDetails {
        PersonDetails {
            cpso: Cpso::parse(cpso).unwrap(),
            name: PersonName::parse(&format!("Dr {cpso}")).unwrap(),
            email: Email::parse(email).unwrap(),
            language: Language::En,
        }
    }
    fn proposal(peers: &[&str]) -> Group {
        let lead = LeadDetails { cpso: Cpso::parse("100").unwrap(), name: PersonName::parse("Dr Lead").unwrap(), language: Language::En };
        let peers = peers.iter().enumerate().map(|(i, c)| (i + 1, person(c, &format!("p{c}@example.org")))).collect();
        let s = SignUp::new(GroupName::parse("G").unwrap(), PracticeSetting::parse("Clinic").unwrap(), lead, peers).unwrap();
        let now = t("2026-03-01T10:00:00Z");
        s.into_proposal(Cycle::parse("2026").unwrap(), Email::parse("lead@example.org").unwrap(), now, now + Duration::days(14), &OsRandom)
            .unwrap()
            .0
    }
    fn step(g: &mut Group, f: impl FnOnce(&Group) -> Result<Vec<Effect>, Refusal>) {
        let fx = f(g).unwrap();
        g.apply(&fx, true);
    }

    #[test]
    fn a_proposal_locks_nobody_and_lapses() {
        let g = proposal(&["1", "2"]);
        assert_eq!(g.phase(), Phase::Proposed);
        assert!(!g.is_open());
        assert!(g.clone().as_of(t("2026-03-14T10:00:00Z")).is_some());
        assert!(g.as_of(t("2026-03-15T10:00:00Z")).is_none());
    }

    #[test]
    fn confirm_invites_peers_and_locks_only_the_lead() {
        let mut g = proposal(&["1", "2"]);
        let now = t("2026-03-02T10:00:00Z");
        assert_eq!(confirm(&g, 1, now, Duration::days(14)), Err(Refusal::NotLead));
        let fx = confirm(&g, 0, now, Duration::days(14)).unwrap();
        let locks: Vec<_> = fx.iter().filter(|e| matches!(e, Effect::Acquire(_))).collect();
        assert_eq!(locks, vec![&Effect::Acquire(Cpso::parse("100").unwrap())]);
        g.apply(&fx, true);
        assert_eq!(g.phase(), Phase::Confirmed);
        assert_eq!(g.version, 1);
        assert!(matches!(g.members[1].status, MemberStatus::Invited { .. }));
        assert_eq!(confirm(&g, 0, now, Duration::days(14)), Err(Refusal::AlreadyConfirmed));
        // Invitations lapse after the pending period.
        assert_eq!(g.clone().as_of(t("2026-03-16T10:00:00Z")).unwrap().members.len(), 1);
    }

    #[test]
    fn formed_after_one_acceptance_and_submission_lapses_the_rest() {
        let mut g = proposal(&["1", "2"]);
        let now = t("2026-03-02T10:00:00Z");
        step(&mut g, |g| confirm(g, 0, now, Duration::days(14)));
        assert_eq!(g.ready_to_submit(), Err(SubmitBlocked::NotFormed));
        step(&mut g, |g| accept(g, 1, now));
        assert_eq!(g.phase(), Phase::Formed);
        assert_eq!(accept(&g, 1, now), Err(Refusal::NoInvitation));
        let day = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        for m in g.members.iter_mut().filter(|m| m.status.is_accepted()) {
            for a in Activity::ALL {
                m.activities.set(a, Some(day));
            }
        }
        assert_eq!(submit(&g, 1, PipDraft::default(), Some(g.draft_version + 1), day, now), Err(Refusal::PlanChanged));
        assert_eq!(submit(&g, 2, PipDraft::default(), None, day, now), Err(Refusal::NotAccepted));
        let fx = submit(&g, 1, PipDraft::default(), Some(g.draft_version), day, now).unwrap();
        assert!(fx.contains(&Effect::RemoveMember { slot: 2 }));
        assert!(fx.contains(&Effect::Close(Cpso::parse("1").unwrap())));
        g.apply(&fx, true);
        assert_eq!(g.phase(), Phase::Submitted);
        assert_eq!(g.members.len(), 2);
        assert_eq!(g.submitted_by().map(|e| &e.by), Some(&Actor::Member { slot: 1, name: PersonName::parse("Dr 1").unwrap() }));
        assert_eq!(leave(&g, 1, now), Err(Refusal::Closed));
    }

    #[test]
    fn membership_changes() {
        let mut g = proposal(&["1"]);
        let now = t("2026-03-02T10:00:00Z");
        let hash = AccessCode::generate(&g.id, 9, &OsRandom).unwrap().hash();
        assert_eq!(
            invite(&g, 0, &person("7", "p7@example.org"), hash.clone(), now, Duration::days(14)).map(|_| ()),
            Err(Refusal::NotConfirmed)
        );
        step(&mut g, |g| confirm(g, 0, now, Duration::days(14)));
        assert_eq!(
            invite(&g, 0, &person("1", "x@example.org"), hash.clone(), now, Duration::days(14)).map(|_| ()),
            Err(Refusal::CpsoInGroup)
        );
        assert_eq!(
            invite(&g, 0, &person("7", "lead@example.org"), hash.clone(), now, Duration::days(14)).map(|_| ()),
            Err(Refusal::EmailInGroup)
        );
        let (fx, slot) = invite(&g, 0, &person("7", "p7@example.org"), hash.clone(), now, Duration::days(14)).unwrap();
        assert_eq!(slot, 2);
        g.apply(&fx, true);
        assert_eq!(g.next_slot, 3);
        // Withdraw a pending invitation: no lock to release.
        let fx = remove(&g, Some(0), 2, now).unwrap();
        assert!(!fx.iter().any(|e| matches!(e, Effect::Release(_))));
        g.apply(&fx, true);
        step(&mut g, |g| accept(g, 1, now));
        assert_eq!(remove(&g, Some(1), 0, now), Err(Refusal::NotLead));
        assert_eq!(remove(&g, Some(0), 0, now), Err(Refusal::LeadStays));
        let fx = leave(&g, 1, now).unwrap();
        assert!(fx.contains(&Effect::Release(Cpso::parse("1").unwrap())));
        g.apply(&fx, true);
        assert_eq!(g.phase(), Phase::Confirmed);
        let fx = dissolve(&g, Some(0), now).unwrap();
        assert!(fx.contains(&Effect::Release(Cpso::parse("100").unwrap())));
        g.apply(&fx, true);
        assert_eq!(g.phase(), Phase::Dissolved);
        assert!(g.audit_trail().len() >= 5);
    }

    #[test]
    fn a_goal_with_cycles_stays_in_the_plan() {
        use crate::domain::pdsa::PdsaCycle;
        use crate::domain::GoalDraft;
        let mut g = proposal(&["1"]);
        let now = t("2026-03-02T10:00:00Z");
        let goal = GoalDraft { id: 1, aim: "Fewer missed follow-ups".into(), ..Default::default() };
        g.pip = PipState::Draft { draft: PipDraft { goals: vec![goal], ..Default::default() } };
        g.members[0].cycles.push(PdsaCycle {
            id: 1,
            goal: 1,
            by: 0,
            change_idea: "Recall list".into(),
            plan: "Call back".into(),
            prediction: "Fewer missed".into(),
            started_on: NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(),
            ended_on: None,
            study: String::new(),
            decision: None,
            at: now,
        });
        let e = data_kept(&g, &PipDraft::default());
        assert_eq!(e.len(), 1);
        assert_eq!((e[0].field.as_str(), e[0].code.as_str()), ("goals", "locked"));
        assert_eq!(
            e[0].message,
            "“Fewer missed follow-ups” has PDSA cycles recorded, so it stays in the plan: keep its row, or delete its PDSA cycles first"
        );
        assert_eq!(
            e[0].fr,
            "L’objectif «\u{a0}Fewer missed follow-ups\u{a0}» a des cycles PFEA consignés et reste donc dans le plan\u{a0}: \
             conservez sa ligne, ou supprimez d’abord ses cycles PFEA"
        );
    }

    #[test]
    fn slots_stop_before_links_could_not_name_them() {
        let mut g = proposal(&["1"]);
        let now = t("2026-03-02T10:00:00Z");
        step(&mut g, |g| confirm(g, 0, now, Duration::days(14)));
        g.next_slot = MAX_SLOT;
        let hash = AccessCode::generate(&g.id, 0, &OsRandom).unwrap().hash();
        assert_eq!(invite(&g, 0, &person("7", "p7@example.org"), hash, now, Duration::days(14)).map(|_| ()), Err(Refusal::GroupFull));
    }

    #[test]
    fn sessions_end_and_new_codes_end_them_all() {
        let mut g = proposal(&["1"]);
        let now = t("2026-03-02T10:00:00Z");
        let tok = AccessCode::generate(&g.id, 0, &OsRandom).unwrap();
        g.apply(&[Effect::AddSession { slot: 0, session: Session::new(tok.hash(), now) }], false);
        assert_eq!(g.session_member(&tok, now), Some(0));
        assert_eq!(g.session_member(&tok, now + Duration::days(31)), None, "idle for 30 days");
        let code = AccessCode::generate(&g.id, 0, &OsRandom).unwrap();
        g.apply(&new_link(&g, 0, code.hash(), Actor::Staff, now).unwrap(), true);
        assert_eq!(g.session_member(&tok, now), None);
        assert_eq!(g.authenticate(&code), Some(0));
        for i in 0..(MAX_SESSIONS + 2) {
            let t = AccessCode::generate(&g.id, 0, &OsRandom).unwrap();
            g.apply(&[Effect::AddSession { slot: 0, session: Session::new(t.hash(), now + Duration::seconds(i as i64)) }], false);
        }
        assert_eq!(g.members[0].sessions.len(), MAX_SESSIONS);
    }
}
