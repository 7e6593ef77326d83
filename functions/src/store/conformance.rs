//! The conformance suite every [`Store`] implementation must pass.
//!
//! Each case takes a fresh, EMPTY store (`Arc<dyn Store>`) and panics on a
//! failed expectation. Use the macro to get one `#[tokio::test]` per case:
//!
//! ```ignore
//! qi_functions::store_conformance_tests!(async { make_my_store().await });
//! ```
//! where the expression evaluates (after `.await`) to `Arc<dyn Store>` and
//! gives a fresh empty store each time it runs. Or call [`run_all`] with a factory.
//!
//! The cases build their writes with the domain's own steps
//! (`crate::domain::membership`), as the use cases do, so what is tested is
//! the store's half of each rule: the conditions checked atomically with the
//! write, and the effects applied exactly.
//!
//! Test support (feature `test-support`): never in a production build.
// A failed expectation here is a failed test, so it panics with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use std::future::Future;
use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::{CheckOffWrite, ConflictKind, CurrentGroup, DataWrite, ReminderAuth, ReminderMark, ReminderSetting, Store, StoreError};
use crate::domain::measure::{DataPoint, PeriodId, PointValue};
use crate::domain::membership as step;
use crate::domain::pdsa::PdsaCycle;
use crate::domain::*;

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn cpso(s: &str) -> Cpso {
    Cpso::parse(s).unwrap()
}

fn cycle() -> Cycle {
    Cycle::parse("2026").unwrap()
}

/// When the cases' groups are proposed.
pub const T0: &str = "2026-01-05T10:00:00Z";
const PENDING_DAYS: i64 = 14;

fn pending() -> Duration {
    Duration::days(PENDING_DAYS)
}

fn person(c: &str, lang: Language) -> PersonDetails {
    PersonDetails {
        cpso: cpso(c),
        name: PersonName::parse(&format!("Dr. Member {c} Ébène")).unwrap(),
        email: Email::parse(&format!("member{c}@example.org")).unwrap(),
        language: lang,
    }
}

fn lead_email(lead: &str) -> Email {
    Email::parse(&format!("lead{lead}@example.org")).unwrap()
}

/// A proposed group with the given lead and peers, proposed at `created_at`
/// (lapsing 14 days later), and every member's access code in slot order.
pub fn sample_group(lead: &str, peers: &[&str], created_at: &str) -> (Group, Vec<AccessCode>) {
    let p = person(lead, Language::Fr);
    let s = SignUp::new(
        GroupName::parse(&format!("Group of {lead} — \"north\" & co")).unwrap(),
        PracticeSetting::parse("Family health team").unwrap(),
        LeadDetails { cpso: p.cpso, name: p.name, language: p.language },
        peers.iter().enumerate().map(|(i, c)| (i + 1, person(c, Language::En))).collect(),
    )
    .expect("valid sign-up");
    let now = at(created_at);
    s.into_proposal(cycle(), lead_email(lead), now, now + pending(), &OsRandom).unwrap()
}

/// [`sample_group`] as it is once the lead has confirmed and every peer has
/// accepted (built with the domain's own steps; nothing stored).
pub fn formed_group(lead: &str, peers: &[&str], created_at: &str) -> (Group, Vec<AccessCode>) {
    let (mut g, codes) = sample_group(lead, peers, created_at);
    let now = at(created_at);
    let fx = step::confirm(&g, 0, now, pending()).unwrap();
    g.apply(&fx, true);
    for slot in 1..=peers.len() as u8 {
        let fx = step::accept(&g, slot, now).unwrap();
        g.apply(&fx, true);
    }
    (g, codes)
}

/// The invitation that lets `lead` propose a group.
pub fn invitation_of(lead: &str) -> Invitation {
    Invitation { cycle: cycle(), cpso: cpso(lead), name: None, email: lead_email(lead) }
}

/// The write that stores a new proposal (checking the lead's invitation).
pub fn create_write(g: &Group) -> Write {
    Write {
        group: g.id.clone(),
        expect_version: None,
        actor_session: None,
        invitation: Some((g.cycle.clone(), g.lead().unwrap().member.cpso.clone())),
        limits: Vec::new(),
        effects: vec![Effect::Create(Box::new(g.clone()))],
        now: g.created_at,
        token: String::new(),
        outbox: Vec::new(),
    }
}

async fn invite_leads(store: &dyn Store, leads: &[&str]) {
    let list = InvitationList::new(leads.iter().map(|l| invitation_of(l)).collect()).unwrap();
    store.import_invitations(&list).await.unwrap();
}

/// Propose (with the lead invited) and store a group.
async fn proposed(store: &dyn Store, lead: &str, peers: &[&str]) -> Group {
    invite_leads(store, &[lead]).await;
    let (g, _) = sample_group(lead, peers, T0);
    store.write(&create_write(&g)).await.unwrap();
    g
}

/// The group as it stands at `now` (what every reader sees).
async fn read(store: &dyn Store, id: &GroupId, now: DateTime<Utc>) -> Group {
    store.get_group(id).await.unwrap().as_of(now).expect("the group is there")
}

fn now1() -> DateTime<Utc> {
    at("2026-01-06T09:00:00Z")
}

/// Run one domain step on the group as read at `now1()` and write it.
async fn apply(store: &dyn Store, g: &Group, fx: Result<Vec<Effect>, Refusal>) -> Result<(), StoreError> {
    store.write(&Write::new(g, now1(), fx.unwrap())).await
}

/// A proposal the lead confirmed, with `accepting` peers (by slot) accepted.
async fn formed(store: &dyn Store, lead: &str, peers: &[&str], accepting: &[u8]) -> Group {
    let g = proposed(store, lead, peers).await;
    apply(store, &g, step::confirm(&g, 0, now1(), pending())).await.unwrap();
    for &slot in accepting {
        let g = read(store, &g.id, now1()).await;
        apply(store, &g, step::accept(&g, slot, now1())).await.unwrap();
    }
    read(store, &g.id, now1()).await
}

/// Sign member `slot` in at `now`: a session-only write. Returns the token.
async fn sign_in(store: &dyn Store, id: &GroupId, slot: u8, now: DateTime<Utc>) -> SessionToken {
    let token = AccessCode::generate(id, slot as usize, &OsRandom).unwrap();
    let g = read(store, id, now).await;
    let mut w = Write::new(&g, now, vec![Effect::AddSession { slot, session: Session::new(token.hash(), now) }]);
    w.expect_version = None;
    store.write(&w).await.unwrap();
    token
}

fn check_off_write(g: &Group, slot: u8, token: &SessionToken, a: Activity, on: Option<&str>, now: DateTime<Utc>) -> CheckOffWrite {
    assert!(g.member(slot).is_some() || slot > 6);
    let action = match on {
        Some(d) => Action::CheckedOff { activity: a, on: day(d) },
        None => Action::Unchecked { activity: a },
    };
    CheckOffWrite {
        group: g.id.clone(),
        slot,
        session: token.hash(),
        activity: a,
        on: on.map(day),
        event: HistoryEntry { at: now, action },
        now,
    }
}

/// Every accepted member checks off all four activities.
async fn complete_all(store: &dyn Store, g: &Group) {
    for m in g.accepted() {
        let token = sign_in(store, &g.id, m.slot, now1()).await;
        for a in Activity::ALL {
            store.check_off(&check_off_write(g, m.slot, &token, a, Some("2026-01-06"), now1())).await.unwrap();
        }
    }
}

/// A draft that passes `Pip::from_draft`.
pub fn complete_draft() -> PipDraft {
    let goal = |kind: &str, n: usize| GoalInput {
        kind: kind.into(),
        aim: format!("Aim {n}: raise cervical screening"),
        measure: "Share of eligible patients screened".into(),
        baseline: "48% (March 2026)".into(),
        target: "65%".into(),
        target_date: "2027-03-31".into(),
        change_ideas: "Recall letters\nPre-visit chart flags".into(),
        ..Default::default()
    };
    let d = PipDraft::parse("Strong team culture", "Recall systems", vec![(1, goal("practice", 1)), (2, goal("self_care", 2))]).unwrap();
    Pip::from_draft(&d).expect("complete");
    d
}

fn submit_fx(g: &Group, slot: u8) -> Result<Vec<Effect>, Refusal> {
    step::submit(g, slot, complete_draft(), Some(g.draft_version), day("2026-01-07"), now1())
}

fn assert_conflict<T: std::fmt::Debug>(r: Result<T, StoreError>, expected: ConflictKind) {
    match r {
        Err(StoreError::Conflict(k)) => assert_eq!(k, expected),
        other => panic!("expected Conflict({expected:?}), got {other:?}"),
    }
}

fn open_lock(g: &Group) -> Option<CurrentGroup> {
    Some(CurrentGroup { group: g.id.clone(), open: true })
}

pub async fn proposal_reads_back_and_locks_nobody(store: Arc<dyn Store>) {
    let g = proposed(store.as_ref(), "100", &["101", "102", "103", "104", "105", "106"]).await;
    let back = store.get_group(&g.id).await.unwrap();
    assert_eq!(back, g, "a group reads back exactly as written");
    assert_eq!(back.phase(), Phase::Proposed);
    assert_eq!(back.members[0].member.language, Language::Fr);
    assert_eq!(back.members[0].member.email, lead_email("100"), "the lead's address is the one on file");
    for c in ["100", "101", "106"] {
        assert_eq!(store.group_of(&cpso(c)).await.unwrap(), None, "a proposal locks nobody");
    }
    // Another proposal naming the same physicians is fine.
    invite_leads(store.as_ref(), &["101"]).await;
    let (other, _) = sample_group("101", &["100"], T0);
    store.write(&create_write(&other)).await.unwrap();
}

pub async fn proposal_needs_the_leads_invitation(store: Arc<dyn Store>) {
    let (g, _) = sample_group("100", &["101"], T0);
    assert_conflict(store.write(&create_write(&g)).await, ConflictKind::LeadNotInvited);
    assert_eq!(store.get_group(&g.id).await, Err(StoreError::NotFound), "nothing was written");
    invite_leads(store.as_ref(), &["100"]).await;
    store.write(&create_write(&g)).await.unwrap();
    assert_conflict(store.write(&create_write(&g)).await, ConflictKind::GroupIdTaken);
}

pub async fn get_unknown_group_is_not_found(store: Arc<dyn Store>) {
    let id = GroupId::generate(&OsRandom).unwrap();
    assert_eq!(store.get_group(&id).await, Err(StoreError::NotFound));
    let w = Write::new(&sample_group("1", &["2"], T0).0, now1(), vec![Effect::Confirm]);
    assert_eq!(store.write(&Write { group: id, ..w }).await, Err(StoreError::NotFound));
}

pub async fn confirm_locks_the_lead_and_accept_the_peer(store: Arc<dyn Store>) {
    let g = formed(store.as_ref(), "100", &["101", "102"], &[]).await;
    assert_eq!(g.phase(), Phase::Confirmed);
    assert_eq!(g.version, 1);
    assert!(matches!(g.members[1].status, MemberStatus::Invited { .. }));
    assert_eq!(store.group_of(&cpso("100")).await.unwrap(), open_lock(&g));
    assert_eq!(store.group_of(&cpso("101")).await.unwrap(), None, "an invitation locks nobody");
    apply(store.as_ref(), &g, step::accept(&g, 1, now1())).await.unwrap();
    let g = read(store.as_ref(), &g.id, now1()).await;
    assert_eq!(g.phase(), Phase::Formed);
    assert_eq!(store.group_of(&cpso("101")).await.unwrap(), open_lock(&g));
    let trail: Vec<_> = g.audit_trail().iter().map(|e| e.action.clone()).collect();
    assert_eq!(trail, vec![Action::Proposed, Action::Confirmed, Action::Accepted]);
}

pub async fn a_stale_write_is_refused(store: Arc<dyn Store>) {
    let g = formed(store.as_ref(), "100", &["101", "102"], &[]).await;
    apply(store.as_ref(), &g, step::accept(&g, 1, now1())).await.unwrap();
    // A second write computed from the same read.
    assert_conflict(apply(store.as_ref(), &g, step::decline(&g, 2, now1())).await, ConflictKind::Stale);
    let now = read(store.as_ref(), &g.id, now1()).await;
    assert_eq!(now.members.len(), 3, "nothing of the stale write was applied");
    assert_eq!(now.version, g.version + 1);
}

pub async fn accepting_conflicts_with_another_open_group(store: Arc<dyn Store>) {
    let a = formed(store.as_ref(), "100", &["101"], &[1]).await;
    let b = formed(store.as_ref(), "200", &["101", "202"], &[2]).await;
    // 101 is in A (open): accepting B's invitation is refused, nothing changes.
    assert_conflict(apply(store.as_ref(), &b, step::accept(&b, 1, now1())).await, ConflictKind::MembersInOpenGroup(vec![cpso("101")]));
    assert_eq!(read(store.as_ref(), &b.id, now1()).await, b);
    assert_eq!(store.group_of(&cpso("101")).await.unwrap(), open_lock(&a));
    // A lead already in an open group cannot confirm another proposal.
    invite_leads(store.as_ref(), &["101"]).await;
    let (c, _) = sample_group("101", &["300"], T0);
    store.write(&create_write(&c)).await.unwrap();
    assert_conflict(
        apply(store.as_ref(), &c, step::confirm(&c, 0, now1(), pending())).await,
        ConflictKind::MembersInOpenGroup(vec![cpso("101")]),
    );
    // Once 101 leaves A, the invitation to B can be accepted.
    apply(store.as_ref(), &a, step::leave(&a, 1, now1())).await.unwrap();
    assert_eq!(store.group_of(&cpso("101")).await.unwrap(), None);
    apply(store.as_ref(), &b, step::accept(&b, 1, now1())).await.unwrap();
    assert_eq!(store.group_of(&cpso("101")).await.unwrap(), open_lock(&b));
}

pub async fn concurrent_accepts_of_one_physician_yield_one_group(store: Arc<dyn Store>) {
    let a = formed(store.as_ref(), "100", &["500"], &[]).await;
    let b = formed(store.as_ref(), "200", &["500"], &[]).await;
    let (s1, s2) = (store.clone(), store.clone());
    let (ga, gb) = (a.clone(), b.clone());
    let ra = tokio::spawn(async move { apply(s1.as_ref(), &ga, step::accept(&ga, 1, now1())).await });
    let rb = tokio::spawn(async move { apply(s2.as_ref(), &gb, step::accept(&gb, 1, now1())).await });
    let (ra, rb) = (ra.await.unwrap(), rb.await.unwrap());
    assert!(ra.is_ok() != rb.is_ok(), "exactly one acceptance wins: {ra:?} / {rb:?}");
    let loser = if ra.is_ok() { rb } else { ra };
    assert_conflict(loser, ConflictKind::MembersInOpenGroup(vec![cpso("500")]));
    let winner = if store.group_of(&cpso("500")).await.unwrap() == open_lock(&a) { &a } else { &b };
    assert_eq!(read(store.as_ref(), &winner.id, now1()).await.phase(), Phase::Formed);
}

pub async fn sessions_start_end_and_expire(store: Arc<dyn Store>) {
    let g = formed(store.as_ref(), "100", &["101"], &[1]).await;
    let t1 = sign_in(store.as_ref(), &g.id, 1, now1()).await;
    let t2 = sign_in(store.as_ref(), &g.id, 1, now1()).await;
    let g = read(store.as_ref(), &g.id, now1()).await;
    assert_eq!(g.version, 2, "signing in does not change the group's version");
    assert_eq!(g.session_member(&t1, now1()), Some(1));
    // A write by a live session succeeds and records its use.
    let later = now1() + Duration::days(20);
    let w = Write::new(&g, later, step::save_draft(&g, 1, complete_draft(), later).unwrap()).by_session(1, t1.hash());
    store.write(&w).await.unwrap();
    let g = read(store.as_ref(), &g.id, later).await;
    assert_eq!(g.member(1).unwrap().session(&t1, later).unwrap().seen_at, later);
    // Sign out: that session ends, the other lives.
    let mut out = Write::new(&g, later, vec![Effect::EndSession { slot: 1, hash: t1.hash() }]);
    out.expect_version = None;
    store.write(&out).await.unwrap();
    let g = read(store.as_ref(), &g.id, later).await;
    let w = Write::new(&g, later, step::save_draft(&g, 1, complete_draft(), later).unwrap());
    assert_conflict(store.write(&w.clone().by_session(1, t1.hash())).await, ConflictKind::SessionEnded);
    // t2 was last used at now1(): 30 days idle ends it.
    let idle = now1() + Duration::days(31);
    let w = Write { now: idle, ..w };
    assert_conflict(store.write(&w.clone().by_session(1, t2.hash())).await, ConflictKind::SessionEnded);
    assert_eq!(g.session_member(&t2, idle), None);
    // touch_session keeps a session alive; an ended one is refused.
    store.touch_session(&g.id, 1, &t2.hash(), later).await.unwrap();
    store.write(&Write { now: idle, ..w.clone() }.by_session(1, t2.hash())).await.unwrap();
    assert_conflict(store.touch_session(&g.id, 1, &t1.hash(), later).await, ConflictKind::SessionEnded);
    assert_eq!(store.touch_session(&g.id, 9, &t2.hash(), later).await, Err(StoreError::NotFound));
}

pub async fn a_new_link_ends_every_session(store: Arc<dyn Store>) {
    let g = formed(store.as_ref(), "100", &["101"], &[1]).await;
    let t = sign_in(store.as_ref(), &g.id, 1, now1()).await;
    let g = read(store.as_ref(), &g.id, now1()).await;
    let code = AccessCode::generate(&g.id, 1, &OsRandom).unwrap();
    apply(store.as_ref(), &g, step::new_link(&g, 1, code.hash(), Actor::Staff, now1())).await.unwrap();
    let g = read(store.as_ref(), &g.id, now1()).await;
    assert_eq!(g.authenticate(&code), Some(1));
    assert_eq!(g.session_member(&t, now1()), None);
    assert_conflict(
        store.check_off(&check_off_write(&g, 1, &t, Activity::QiSurvey, Some("2026-01-06"), now1())).await,
        ConflictKind::SessionEnded,
    );
    // Sign out everywhere.
    let t1 = sign_in(store.as_ref(), &g.id, 1, now1()).await;
    let t2 = sign_in(store.as_ref(), &g.id, 1, now1()).await;
    let mut all = Write::new(&g, now1(), vec![Effect::EndSessions { slot: 1 }]);
    all.expect_version = None;
    store.write(&all).await.unwrap();
    let g = read(store.as_ref(), &g.id, now1()).await;
    assert_eq!((g.session_member(&t1, now1()), g.session_member(&t2, now1())), (None, None));
}

/// A member's preferred language changes with one write their live session
/// makes, without touching the group's version; an ended session cannot.
pub async fn a_members_language_is_recorded_by_their_session(store: Arc<dyn Store>) {
    let g = formed(store.as_ref(), "100", &["101"], &[1]).await;
    let t = sign_in(store.as_ref(), &g.id, 1, now1()).await;
    let g = read(store.as_ref(), &g.id, now1()).await;
    assert_eq!(g.members[1].member.language, Language::En);
    let mut w = Write::new(&g, now1(), vec![Effect::SetLanguage { slot: 1, language: Language::Fr }]);
    w.expect_version = None;
    w.actor_session = Some((1, t.hash()));
    store.write(&w).await.unwrap();
    let after = read(store.as_ref(), &g.id, now1()).await;
    assert_eq!(after.members[1].member.language, Language::Fr);
    assert_eq!(after.version, g.version, "a preference is not a change to the group");
    assert_eq!(after.members[0].member.language, g.members[0].member.language, "only the member's own record");
    // Once signed out, the same write is refused and changes nothing.
    let mut out = Write::new(&after, now1(), vec![Effect::EndSessions { slot: 1 }]);
    out.expect_version = None;
    store.write(&out).await.unwrap();
    let mut again = Write::new(&after, now1(), vec![Effect::SetLanguage { slot: 1, language: Language::En }]);
    again.expect_version = None;
    again.actor_session = Some((1, t.hash()));
    assert!(store.write(&again).await.is_err());
    assert_eq!(read(store.as_ref(), &g.id, now1()).await.members[1].member.language, Language::Fr);
}

pub async fn check_off_and_uncheck(store: Arc<dyn Store>) {
    let g = formed(store.as_ref(), "100", &["101"], &[1]).await;
    let t = sign_in(store.as_ref(), &g.id, 1, now1()).await;
    let acts = store.check_off(&check_off_write(&g, 1, &t, Activity::ChartReview, Some("2026-01-06"), now1())).await.unwrap();
    assert_eq!(acts.completed_on(Activity::ChartReview), Some(day("2026-01-06")));
    let acts = store.check_off(&check_off_write(&g, 1, &t, Activity::QiSurvey, Some("2026-01-05"), now1())).await.unwrap();
    assert_eq!(acts.0.len(), 2);
    let acts = store.check_off(&check_off_write(&g, 1, &t, Activity::ChartReview, None, now1())).await.unwrap();
    assert_eq!(acts.0.len(), 1);
    let back = read(store.as_ref(), &g.id, now1()).await;
    assert_eq!(back.member(1).unwrap().activities, acts);
    assert_eq!(back.version, g.version, "check-offs and sign-ins do not change the group's version");
    assert_eq!(back.member(1).unwrap().history.len(), 3, "each check-off is in the member's history");
    assert_eq!(back.audit_trail().last().unwrap().action, Action::Unchecked { activity: Activity::ChartReview });
    // The group's own writes are not stale because of check-offs.
    apply(store.as_ref(), &back, step::save_draft(&back, 0, complete_draft(), now1())).await.unwrap();
}

pub async fn check_off_refusals(store: Arc<dyn Store>) {
    let g = formed(store.as_ref(), "100", &["101", "102"], &[1]).await;
    let t1 = sign_in(store.as_ref(), &g.id, 1, now1()).await;
    let t2 = sign_in(store.as_ref(), &g.id, 2, now1()).await;
    let c = |slot: u8, t: &SessionToken| check_off_write(&g, slot, t, Activity::QiSurvey, Some("2026-01-06"), now1());
    // Unknown member, unknown group.
    let mut unknown = c(1, &t1);
    unknown.slot = 7;
    assert_eq!(store.check_off(&unknown).await, Err(StoreError::NotFound));
    let mut unknown = c(1, &t1);
    unknown.group = GroupId::generate(&OsRandom).unwrap();
    assert_eq!(store.check_off(&unknown).await, Err(StoreError::NotFound));
    // Someone else's session.
    assert_conflict(store.check_off(&c(1, &t2)).await, ConflictKind::SessionEnded);
    // An invited peer has not accepted.
    assert_conflict(store.check_off(&c(2, &t2)).await, ConflictKind::NotAccepted);
    assert!(read(store.as_ref(), &g.id, now1()).await.member(1).unwrap().activities.0.is_empty(), "nothing was written");
}

pub async fn concurrent_check_offs_leave_exact_progress(store: Arc<dyn Store>) {
    let g = formed(store.as_ref(), "100", &["101", "102"], &[1, 2]).await;
    let mut tokens = Vec::new();
    for slot in 0..3 {
        tokens.push(sign_in(store.as_ref(), &g.id, slot, now1()).await);
    }
    let mut tasks = Vec::new();
    for slot in 0..3u8 {
        for a in Activity::ALL {
            let (s, w) = (store.clone(), check_off_write(&g, slot, &tokens[slot as usize], a, Some("2026-01-06"), now1()));
            tasks.push(tokio::spawn(async move { s.check_off(&w).await }));
        }
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let back = read(store.as_ref(), &g.id, now1()).await;
    assert!(back.members.iter().all(|m| m.activities.all_done()), "no update was lost");
    assert_eq!(back.audit_trail().iter().filter(|e| matches!(e.action, Action::CheckedOff { .. })).count(), 12);
}

pub async fn submit_requires_every_activity(store: Arc<dyn Store>) {
    let g = formed(store.as_ref(), "100", &["101", "102"], &[1]).await;
    complete_all(store.as_ref(), &g).await;
    let g = read(store.as_ref(), &g.id, now1()).await;
    // Someone un-checks after the read: the store's condition catches it.
    let t = sign_in(store.as_ref(), &g.id, 1, now1()).await;
    store.check_off(&check_off_write(&g, 1, &t, Activity::DataDrivenQi, None, now1())).await.unwrap();
    assert_conflict(
        apply(store.as_ref(), &g, submit_fx(&g, 0)).await,
        ConflictKind::ActivitiesIncomplete(vec![(cpso("101"), Activity::DataDrivenQi)]),
    );
    let now = read(store.as_ref(), &g.id, now1()).await;
    assert_eq!(now.phase(), Phase::Formed, "nothing was written");
    assert_eq!(store.group_of(&cpso("100")).await.unwrap(), open_lock(&g));
}

pub async fn submit_closes_the_group(store: Arc<dyn Store>) {
    let g = formed(store.as_ref(), "100", &["101", "102"], &[1]).await;
    complete_all(store.as_ref(), &g).await;
    let t = sign_in(store.as_ref(), &g.id, 1, now1()).await;
    let g = read(store.as_ref(), &g.id, now1()).await;
    apply(store.as_ref(), &g, submit_fx(&g, 1)).await.unwrap();
    let s = read(store.as_ref(), &g.id, now1()).await;
    assert_eq!(s.phase(), Phase::Submitted);
    let mut submitted = complete_draft();
    submitted.assign_ids(None, []);
    assert_eq!(s.pip, PipState::Submitted { pip: submitted, submitted_on: day("2026-01-07") }, "the goals got their ids");
    assert_eq!(s.members.len(), 2, "the pending invitation lapsed");
    assert_eq!(s.submitted_by().unwrap().by, g.member(1).unwrap().actor());
    for c in ["100", "101"] {
        assert_eq!(store.group_of(&cpso(c)).await.unwrap(), Some(CurrentGroup { group: g.id.clone(), open: false }));
    }
    assert_eq!(store.group_of(&cpso("102")).await.unwrap(), None);
    // Check-offs are closed; the members can join a new group.
    assert_conflict(store.check_off(&check_off_write(&s, 1, &t, Activity::QiSurvey, None, now1())).await, ConflictKind::PipSubmitted);
    let b = formed(store.as_ref(), "200", &["101"], &[1]).await;
    assert_eq!(store.group_of(&cpso("101")).await.unwrap(), open_lock(&b));
}

pub async fn concurrent_submissions_succeed_once(store: Arc<dyn Store>) {
    let g = formed(store.as_ref(), "100", &["101"], &[1]).await;
    complete_all(store.as_ref(), &g).await;
    let g = read(store.as_ref(), &g.id, now1()).await;
    let mut tasks = Vec::new();
    for slot in [0u8, 1] {
        let (s, g) = (store.clone(), g.clone());
        tasks.push(tokio::spawn(async move { apply(s.as_ref(), &g, submit_fx(&g, slot)).await }));
    }
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(()) => ok += 1,
            Err(e) => assert_eq!(e, StoreError::Conflict(ConflictKind::Stale)),
        }
    }
    assert_eq!(ok, 1, "exactly one submission");
    assert_eq!(read(store.as_ref(), &g.id, now1()).await.audit.iter().filter(|e| e.action == Action::Submitted).count(), 1);
}

pub async fn submit_races_with_uncheck_consistently(store: Arc<dyn Store>) {
    for i in 0..3 {
        let (lead, peer) = (format!("{}", 100 + i), format!("{}", 1000 + i));
        let g = formed(store.as_ref(), &lead, &[&peer], &[1]).await;
        complete_all(store.as_ref(), &g).await;
        let t = sign_in(store.as_ref(), &g.id, 1, now1()).await;
        let g = read(store.as_ref(), &g.id, now1()).await;
        let (s1, s2, g1) = (store.clone(), store.clone(), g.clone());
        let uncheck = check_off_write(&g, 1, &t, Activity::QiSurvey, None, now1());
        let sub = tokio::spawn(async move { apply(s1.as_ref(), &g1, submit_fx(&g1, 0)).await });
        let un = tokio::spawn(async move { s2.check_off(&uncheck).await });
        let (sub, un) = (sub.await.unwrap(), un.await.unwrap());
        let end = read(store.as_ref(), &g.id, now1()).await;
        match (sub, un) {
            // Submitted first: the un-check was refused.
            (Ok(()), Err(StoreError::Conflict(ConflictKind::PipSubmitted))) => assert!(end.member(1).unwrap().activities.all_done()),
            // Un-checked first: the submission was refused.
            (Err(StoreError::Conflict(ConflictKind::ActivitiesIncomplete(_))), Ok(_)) => assert_eq!(end.phase(), Phase::Formed),
            other => panic!("inconsistent outcome: {other:?}"),
        }
    }
}

pub async fn membership_changes_free_exactly_their_locks(store: Arc<dyn Store>) {
    let g = formed(store.as_ref(), "100", &["101", "102"], &[1]).await;
    // Invite one more, then withdraw it: no lock involved.
    let code = AccessCode::generate(&g.id, 3, &OsRandom).unwrap();
    let (fx, slot) = step::invite(&g, 0, &person("103", Language::En), code.hash(), now1(), pending()).unwrap();
    apply(store.as_ref(), &g, Ok(fx)).await.unwrap();
    let g = read(store.as_ref(), &g.id, now1()).await;
    assert_eq!(g.member(slot).unwrap().member.cpso, cpso("103"));
    assert_eq!(g.authenticate(&code), Some(slot));
    apply(store.as_ref(), &g, step::remove(&g, Some(0), slot, now1())).await.unwrap();
    // Remove an accepted peer: their lock is released, the others' stay.
    let g = read(store.as_ref(), &g.id, now1()).await;
    apply(store.as_ref(), &g, step::remove(&g, Some(0), 1, now1())).await.unwrap();
    assert_eq!(store.group_of(&cpso("101")).await.unwrap(), None);
    assert_eq!(store.group_of(&cpso("100")).await.unwrap(), open_lock(&g));
    let g = read(store.as_ref(), &g.id, now1()).await;
    assert_eq!(g.members.iter().map(|m| m.slot).collect::<Vec<_>>(), vec![0, 2]);
    assert_eq!(g.next_slot, 4, "slots are never reused");
    // Dissolve: every lock released, check-offs closed.
    let t = sign_in(store.as_ref(), &g.id, 0, now1()).await;
    apply(store.as_ref(), &g, step::dissolve(&g, Some(0), now1())).await.unwrap();
    assert_eq!(store.group_of(&cpso("100")).await.unwrap(), None);
    let g = read(store.as_ref(), &g.id, now1()).await;
    assert_eq!(g.phase(), Phase::Dissolved);
    assert_conflict(
        store.check_off(&check_off_write(&g, 0, &t, Activity::QiSurvey, Some("2026-01-06"), now1())).await,
        ConflictKind::PipSubmitted,
    );
}

pub async fn discarded_and_lapsed_proposals_leave_nothing(store: Arc<dyn Store>) {
    let g = proposed(store.as_ref(), "100", &["101"]).await;
    apply(store.as_ref(), &g, step::discard(&g, 0)).await.unwrap();
    assert_eq!(store.get_group(&g.id).await, Err(StoreError::NotFound));
    // A lapsed proposal cannot be confirmed, and reads as gone.
    let (h, _) = sample_group("100", &["101"], T0);
    store.write(&create_write(&h)).await.unwrap();
    let late = at(T0) + pending() + Duration::seconds(1);
    let fx = step::confirm(&h, 0, late, pending()).unwrap();
    assert_eq!(store.write(&Write::new(&h, late, fx)).await, Err(StoreError::NotFound));
    assert!(store.get_group(&h.id).await.map(|g| g.as_of(late)).unwrap_or(None).is_none());
    assert_eq!(store.group_of(&cpso("100")).await.unwrap(), None);
    // A lapsed invitation cannot be accepted.
    let f = formed(store.as_ref(), "300", &["301"], &[]).await;
    let late = now1() + pending() + Duration::seconds(1);
    let fx = step::accept(&f, 1, now1()).unwrap();
    let r = store.write(&Write::new(&f, late, fx)).await;
    assert!(r.is_err(), "an acceptance after the invitation lapsed is refused: {r:?}");
    assert_eq!(store.group_of(&cpso("301")).await.unwrap(), None);
}

pub async fn limits_count_per_day(store: Arc<dyn Store>) {
    invite_leads(store.as_ref(), &["100"]).await;
    let limit = |d: &str| Limit { key: "proposals:cpso:100".into(), day: day(d), max: 2 };
    for _ in 0..2 {
        let (g, _) = sample_group("100", &["101"], T0);
        store.write(&create_write(&g).limited(vec![limit("2026-01-05")])).await.unwrap();
    }
    let (g, _) = sample_group("100", &["101"], T0);
    assert_conflict(
        store.write(&create_write(&g).limited(vec![limit("2026-01-05")])).await,
        ConflictKind::LimitReached("proposals:cpso:100".into()),
    );
    assert_eq!(store.get_group(&g.id).await, Err(StoreError::NotFound), "nothing was written");
    store.write(&create_write(&g).limited(vec![limit("2026-01-06")])).await.unwrap();
}

pub async fn a_retried_write_is_done_once(store: Arc<dyn Store>) {
    let g = formed(store.as_ref(), "100", &["101", "102"], &[]).await;
    let w = Write::new(&g, now1(), step::accept(&g, 1, now1()).unwrap()).with_token(random_hex(&OsRandom, 16).unwrap());
    store.write(&w).await.unwrap();
    // The answer was lost; the same write again is reported as done.
    store.write(&w).await.unwrap();
    let back = read(store.as_ref(), &g.id, now1()).await;
    assert_eq!(back.version, g.version + 1, "applied once");
    assert_eq!(back.audit.iter().filter(|e| e.action == Action::Accepted).count(), 1);
    // A different write from the same read is still stale.
    let other = Write::new(&g, now1(), step::accept(&g, 2, now1()).unwrap()).with_token(random_hex(&OsRandom, 16).unwrap());
    assert_conflict(store.write(&other).await, ConflictKind::Stale);
}

fn invitation(c: &str, cy: &str, name: Option<&str>) -> Invitation {
    Invitation {
        cycle: Cycle::parse(cy).unwrap(),
        cpso: cpso(c),
        name: name.map(|n| PersonName::parse(n).unwrap()),
        email: Email::parse(&format!("inv{c}@example.org")).unwrap(),
    }
}

pub async fn invitations_import_and_lookup(store: Arc<dyn Store>) {
    assert!(store.list_invitations(None).await.unwrap().is_empty());
    let list = InvitationList::new(vec![
        invitation("100", "2026", Some("Dr. Ann")),
        invitation("2", "2026", None),
        invitation("100", "2025", Some("Dr. Ann")),
    ])
    .unwrap();
    assert_eq!(store.import_invitations(&list).await.unwrap(), 3);
    assert_eq!(store.invitation(&cycle(), &cpso("100")).await.unwrap(), Some(invitation("100", "2026", Some("Dr. Ann"))));
    assert_eq!(store.invitation(&cycle(), &cpso("2")).await.unwrap(), Some(invitation("2", "2026", None)));
    assert_eq!(store.invitation(&cycle(), &cpso("3")).await.unwrap(), None);
    assert_eq!(store.invitation(&Cycle::parse("2025").unwrap(), &cpso("2")).await.unwrap(), None);
    let all = store.list_invitations(None).await.unwrap();
    assert_eq!(
        all,
        vec![invitation("100", "2025", Some("Dr. Ann")), invitation("100", "2026", Some("Dr. Ann")), invitation("2", "2026", None)]
    );
    let only = store.list_invitations(Some(&cycle())).await.unwrap();
    assert_eq!(only.len(), 2);
    // Re-import replaces an entry and adds new ones.
    let again = InvitationList::new(vec![invitation("2", "2026", Some("Dr. Two")), invitation("3", "2026", None)]).unwrap();
    assert_eq!(store.import_invitations(&again).await.unwrap(), 2);
    let only = store.list_invitations(Some(&cycle())).await.unwrap();
    assert_eq!(only.len(), 3);
    assert_eq!(only.iter().find(|i| i.cpso.as_str() == "2").unwrap().name.as_ref().unwrap().as_str(), "Dr. Two");
    // An empty import writes nothing.
    assert_eq!(store.import_invitations(&InvitationList::default()).await.unwrap(), 0);
    assert_eq!(store.list_invitations(None).await.unwrap().len(), 4);
}

pub async fn invitations_large_import(store: Arc<dyn Store>) {
    let entries: Vec<_> = (1..=260).map(|i| invitation(&format!("{}", 10000 + i), "2026", Some("Dr. Many"))).collect();
    let list = InvitationList::new(entries).unwrap();
    assert_eq!(store.import_invitations(&list).await.unwrap(), 260);
    assert_eq!(store.list_invitations(Some(&cycle())).await.unwrap().len(), 260);
    assert!(store.invitation(&cycle(), &cpso("10260")).await.unwrap().is_some());
}

pub async fn coaching_requests(store: Arc<dyn Store>) {
    let g = proposed(store.as_ref(), "100", &["101"]).await;
    let msg = |s: &str| CoachingMessage::parse(s).unwrap();
    let later = CoachingRequest::new(
        g.id.clone(),
        cpso("101"),
        CoachingTopic::Measurement,
        msg("How do we measure?\nThanks"),
        at("2026-02-02T09:00:00Z"),
        &OsRandom,
    )
    .unwrap();
    let earlier = CoachingRequest::new(
        g.id.clone(),
        cpso("100"),
        CoachingTopic::SelfCare,
        msg("Self-care goal ideas"),
        at("2026-02-01T09:00:00Z"),
        &OsRandom,
    )
    .unwrap();
    store.add_coaching_request(&later, None).await.unwrap();
    store.add_coaching_request(&earlier, None).await.unwrap();
    assert_eq!(store.list_coaching_requests().await.unwrap(), vec![earlier, later]);
}

pub async fn export_lists_every_group(store: Arc<dyn Store>) {
    assert!(store.list_groups().await.unwrap().is_empty());
    invite_leads(store.as_ref(), &["100", "200"]).await;
    let (b, _) = sample_group("200", &["201"], "2026-01-06T10:00:00Z");
    let (a, _) = sample_group("100", &["101", "102"], "2026-01-05T10:00:00Z");
    store.write(&create_write(&b)).await.unwrap();
    store.write(&create_write(&a)).await.unwrap();
    apply(store.as_ref(), &a, step::confirm(&a, 0, now1(), pending())).await.unwrap();
    let a = read(store.as_ref(), &a.id, now1()).await;
    let t = sign_in(store.as_ref(), &a.id, 0, now1()).await;
    store.check_off(&check_off_write(&a, 0, &t, Activity::PracticeProfile, Some("2026-01-06"), now1())).await.unwrap();
    let groups = store.list_groups().await.unwrap();
    assert_eq!(groups.len(), 2);
    assert_eq!(groups[0].id, a.id, "ordered by creation time");
    assert_eq!(groups[1], b);
    assert_eq!(groups[0].members[0].activities.completed_on(Activity::PracticeProfile), Some(day("2026-01-06")));
    assert_eq!(groups[0].audit_trail().len(), 3);
}

/// A practice goal measured as a monthly proportion (allergy status
/// recorded, of the charts reviewed; higher is better; baseline 40%,
/// target 75% by `target_date`), as the plan form sends it.
pub fn measured_goal_input(target_date: &str) -> GoalInput {
    GoalInput {
        kind: "practice".into(),
        aim: "Record allergies".into(),
        measure_kind: "proportion".into(),
        measure_counted: "Charts with allergy status recorded, of the charts reviewed".into(),
        measure_source: "chart_audit".into(),
        measure_sampling: "10 random charts a month".into(),
        measure_period: "month".into(),
        measure_direction: "higher_is_better".into(),
        baseline_value: "40".into(),
        target_value: "75".into(),
        target_date: target_date.into(),
        ..Default::default()
    }
}

/// A draft whose goal 1 has a monthly proportion measure, saved by the
/// lead (so the goals have their ids). Returns the group and goal 1's id.
async fn measured(store: &dyn Store, lead: &str, peers: &[&str], accepting: &[u8]) -> (Group, u16) {
    let g = formed(store, lead, peers, accepting).await;
    let mut d = complete_draft();
    let m = measured_goal_input("2027-03-31");
    d.goals[0].definition = Some(PipDraft::parse("", "", vec![(1, m)]).unwrap().goals[0].definition.clone().unwrap());
    apply(store, &g, step::save_draft(&g, 0, d, now1())).await.unwrap();
    let g = read(store, &g.id, now1()).await;
    let id = g.pip.draft().unwrap().goals[0].id;
    assert!(id > 0, "the saved goal has its id");
    (g, id)
}

fn point(goal: u16, period: &str, by: u8, numerator: u32, denominator: u32) -> DataChange {
    let point = DataPoint {
        period: PeriodId::parse(period).unwrap(),
        by,
        value: PointValue::proportion(numerator, denominator).unwrap(),
        note: String::new(),
    };
    DataChange::Point(GoalPoint { goal, point, at: now1() })
}

fn data_write(g: &Group, slot: u8, token: &SessionToken, change: DataChange) -> DataWrite {
    let action = match &change {
        DataChange::Point(p) => Action::PointRecorded { goal: p.goal, period: p.point.period, value: "n".into(), corrected: false },
        DataChange::DeletePoint { goal, period } => Action::PointDeleted { goal: *goal, period: *period },
        DataChange::Cycle(c) => Action::CycleLogged { goal: c.goal, change_idea: c.change_idea.clone(), updated: false },
        DataChange::DeleteCycle { .. } => Action::CycleDeleted { goal: 1, change_idea: "x".into() },
    };
    DataWrite { group: g.id.clone(), slot, session: token.hash(), change, event: HistoryEntry { at: now1(), action }, now: now1() }
}

fn pooled(g: &Group, goal: u16) -> Vec<(String, Option<(u64, u64)>)> {
    g.series(goal).unwrap().group_values().into_iter().map(|v| (v.period.to_string(), v.pooled)).collect()
}

pub async fn data_points_record_correct_and_delete(store: Arc<dyn Store>) {
    let (g, goal) = measured(store.as_ref(), "100", &["101"], &[1]).await;
    let t0 = sign_in(store.as_ref(), &g.id, 0, now1()).await;
    let t1 = sign_in(store.as_ref(), &g.id, 1, now1()).await;
    store.record_data(&data_write(&g, 1, &t1, point(goal, "2025-12", 1, 5, 10))).await.unwrap();
    store.record_data(&data_write(&g, 0, &t0, point(goal, "2025-12", 0, 3, 10))).await.unwrap();
    store.record_data(&data_write(&g, 1, &t1, point(goal, "2025-11", 1, 4, 10))).await.unwrap();
    let r = read(store.as_ref(), &g.id, now1()).await;
    assert_eq!(pooled(&r, goal), vec![("2025-11".to_string(), Some((4, 10))), ("2025-12".to_string(), Some((8, 20)))]);
    // A second point for the same period replaces the member's own, not the other's.
    store.record_data(&data_write(&g, 1, &t1, point(goal, "2025-12", 1, 9, 10))).await.unwrap();
    let r = read(store.as_ref(), &g.id, now1()).await;
    assert_eq!(pooled(&r, goal)[1], ("2025-12".to_string(), Some((12, 20))));
    assert_eq!(r.member(1).unwrap().points.len(), 2);
    let dec = PeriodId::parse("2025-12").unwrap();
    store.record_data(&data_write(&g, 1, &t1, DataChange::DeletePoint { goal, period: dec })).await.unwrap();
    let r = read(store.as_ref(), &g.id, now1()).await;
    assert_eq!(pooled(&r, goal)[1], ("2025-12".to_string(), Some((3, 10))));
    // Every change is in the member's history, so in the group's trail.
    let history: Vec<_> = r.member(1).unwrap().history.iter().map(|h| &h.action).collect();
    assert_eq!(history.len(), 4, "{history:?}");
    assert!(matches!(history[3], Action::PointDeleted { .. }));
    // Cycles: logged, changed, deleted; the other member's stay.
    let cycle = |by: u8, id: u16, idea: &str| PdsaCycle {
        id,
        goal,
        by,
        change_idea: idea.into(),
        plan: "Try it for a week".into(),
        prediction: "Better".into(),
        started_on: day("2026-01-05"),
        ended_on: None,
        study: String::new(),
        decision: None,
        at: now1(),
    };
    store.record_data(&data_write(&g, 1, &t1, DataChange::Cycle(cycle(1, 1, "Front-desk prompt")))).await.unwrap();
    store.record_data(&data_write(&g, 0, &t0, DataChange::Cycle(cycle(0, 1, "Template field")))).await.unwrap();
    store.record_data(&data_write(&g, 1, &t1, DataChange::Cycle(cycle(1, 1, "Front-desk prompt, adapted")))).await.unwrap();
    let r = read(store.as_ref(), &g.id, now1()).await;
    let ideas: Vec<_> = r.cycles_of(goal).iter().map(|c| c.change_idea.as_str()).collect();
    assert_eq!(ideas, vec!["Template field", "Front-desk prompt, adapted"]);
    store.record_data(&data_write(&g, 1, &t1, DataChange::DeleteCycle { id: 1 })).await.unwrap();
    let r = read(store.as_ref(), &g.id, now1()).await;
    assert_eq!(r.cycles_of(goal).len(), 1);
    assert_eq!(r.member(0).unwrap().cycles.len(), 1, "another member's cycle with the same id stays");
}

pub async fn data_refusals(store: Arc<dyn Store>) {
    let (g, goal) = measured(store.as_ref(), "100", &["101", "102"], &[1]).await;
    let t1 = sign_in(store.as_ref(), &g.id, 1, now1()).await;
    let t2 = sign_in(store.as_ref(), &g.id, 2, now1()).await;
    let w = |slot: u8, t: &SessionToken| data_write(&g, slot, t, point(goal, "2025-12", slot, 1, 2));
    assert_eq!(store.record_data(&w(9, &t1)).await, Err(StoreError::NotFound), "no such member");
    let mut unknown = w(1, &t1);
    unknown.group = GroupId::parse("0000000000000000").unwrap();
    assert_eq!(store.record_data(&unknown).await, Err(StoreError::NotFound), "no such group");
    assert_conflict(store.record_data(&w(1, &t2)).await, ConflictKind::SessionEnded);
    assert_conflict(store.record_data(&w(2, &t2)).await, ConflictKind::NotAccepted);
    let r = read(store.as_ref(), &g.id, now1()).await;
    assert_eq!(r.points_of(goal).count(), 0, "nothing was written");
    // A submitted plan does not stop measurement.
    complete_all(store.as_ref(), &r).await;
    let r = read(store.as_ref(), &g.id, now1()).await;
    let pip = r.pip.draft().unwrap().clone();
    apply(store.as_ref(), &r, step::submit(&r, 1, pip, Some(r.draft_version), day("2026-01-07"), now1())).await.unwrap();
    let t1 = sign_in(store.as_ref(), &g.id, 1, now1()).await;
    store.record_data(&w(1, &t1)).await.unwrap();
    // A dissolved group takes no data.
    let (d, dgoal) = measured(store.as_ref(), "200", &["201"], &[1]).await;
    let dt = sign_in(store.as_ref(), &d.id, 1, now1()).await;
    let d = read(store.as_ref(), &d.id, now1()).await;
    apply(store.as_ref(), &d, step::dissolve(&d, Some(0), now1())).await.unwrap();
    let d = store.get_group(&d.id).await.unwrap();
    let dw = data_write(&d, 1, &dt, point(dgoal, "2025-12", 1, 1, 2));
    match store.record_data(&dw).await {
        Err(StoreError::Conflict(ConflictKind::Dissolved | ConflictKind::SessionEnded)) => {}
        other => panic!("a dissolved group took data: {other:?}"),
    }
}

pub async fn concurrent_recording_for_one_period(store: Arc<dyn Store>) {
    let (g, goal) = measured(store.as_ref(), "100", &["101", "102", "103"], &[1, 2, 3]).await;
    let mut tokens = Vec::new();
    for slot in 0..4u8 {
        tokens.push(sign_in(store.as_ref(), &g.id, slot, now1()).await);
    }
    let mut tasks = Vec::new();
    for round in 0..2u32 {
        for slot in 0..4u8 {
            let w = data_write(&g, slot, &tokens[slot as usize], point(goal, "2025-12", slot, u32::from(slot) + round, 10));
            let s = store.clone();
            tasks.push(tokio::spawn(async move { s.record_data(&w).await }));
        }
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let r = read(store.as_ref(), &g.id, now1()).await;
    let points: Vec<_> = r.points_of(goal).collect();
    assert_eq!(points.len(), 4, "one point per member for the period: {points:?}");
    for slot in 0..4u8 {
        let m = r.member(slot).unwrap();
        let PointValue::Proportion { numerator, .. } = m.point(goal, PeriodId::parse("2025-12").unwrap()).unwrap().point.value else {
            panic!("a proportion")
        };
        assert!(numerator == u32::from(slot) || numerator == u32::from(slot) + 1, "one of the member's two values");
        assert_eq!(
            m.history.iter().filter(|h| matches!(h.action, Action::PointRecorded { .. })).count(),
            2,
            "both writes are in the trail"
        );
    }
    let v = &r.series(goal).unwrap().group_values()[0];
    assert_eq!(v.members, 4);
}

/// A fresh opt-out token's hash (any random code hashes alike).
fn opt_out_hash(g: &Group, slot: u8) -> CodeHash {
    AccessCode::generate(&g.id, slot as usize, &OsRandom).unwrap().hash()
}

fn reminder_mark(g: &Group, slot: u8, period: &str, tokens: &[CodeHash]) -> ReminderMark {
    let p = PeriodId::parse(period).unwrap();
    ReminderMark { group: g.id.clone(), slot, period_start: p.start(), period_end: p.end(), tokens: tokens.to_vec(), outbox: None }
}

pub async fn reminders_are_marked_once_per_period(store: Arc<dyn Store>) {
    let (g, _) = measured(store.as_ref(), "100", &["101", "102"], &[1]).await;
    let (h1, h2) = (opt_out_hash(&g, 1), opt_out_hash(&g, 1));
    assert!(
        store.mark_reminded(&reminder_mark(&g, 1, "2026-02", std::slice::from_ref(&h1))).await.unwrap(),
        "the first reminder of February"
    );
    assert!(!store.mark_reminded(&reminder_mark(&g, 1, "2026-02", std::slice::from_ref(&h2))).await.unwrap(), "February again");
    assert!(
        !store.mark_reminded(&reminder_mark(&g, 1, "2026-W09", std::slice::from_ref(&h2))).await.unwrap(),
        "a week that starts in February"
    );
    let r = read(store.as_ref(), &g.id, now1()).await;
    let m = &r.member(1).unwrap().reminders;
    assert_eq!((m.through, m.tokens.clone(), m.off), (Some(day("2026-02-28")), vec![h1.clone()], false), "the refusals changed nothing");
    assert!(store.mark_reminded(&reminder_mark(&g, 1, "2026-03", &[h1.clone(), h2.clone()])).await.unwrap(), "March");
    let r = read(store.as_ref(), &g.id, now1()).await;
    assert_eq!(r.member(1).unwrap().reminders.through, Some(day("2026-03-31")));
    assert_eq!(r.member(1).unwrap().reminders.tokens, vec![h1, h2], "oldest first");
    assert_eq!(r.member(0).unwrap().reminders, Default::default(), "another member's record is untouched");
    assert_eq!(r.points_of(1).count(), 0);
    assert!(!store.mark_reminded(&reminder_mark(&g, 2, "2026-03", &[])).await.unwrap(), "an invited member is not reminded");
    assert_eq!(store.mark_reminded(&reminder_mark(&g, 9, "2026-03", &[])).await, Err(StoreError::NotFound), "no such member");
    let mut unknown = reminder_mark(&g, 1, "2026-04", &[]);
    unknown.group = GroupId::parse("0000000000000000").unwrap();
    assert_eq!(store.mark_reminded(&unknown).await, Err(StoreError::NotFound), "no such group");
    // A dissolved group's members are not reminded.
    let d = formed(store.as_ref(), "200", &["201"], &[1]).await;
    apply(store.as_ref(), &d, step::dissolve(&d, Some(0), now1())).await.unwrap();
    assert!(!store.mark_reminded(&reminder_mark(&d, 1, "2026-03", &[])).await.unwrap(), "a dissolved group");
}

pub async fn reminders_off_by_link_and_on_by_session(store: Arc<dyn Store>) {
    let (g, _) = measured(store.as_ref(), "100", &["101"], &[1]).await;
    let code = AccessCode::generate(&g.id, 1, &OsRandom).unwrap();
    assert!(store.mark_reminded(&reminder_mark(&g, 1, "2026-02", &[code.hash()])).await.unwrap());
    let setting = |by: ReminderAuth, slot: u8, off: bool| ReminderSetting { group: g.id.clone(), slot, by, off, now: now1() };
    // A token that is not the member's, or another member's: as if nobody were there.
    let stranger = opt_out_hash(&g, 1);
    assert_eq!(store.set_reminders(&setting(ReminderAuth::OptOut(stranger), 1, true)).await, Err(StoreError::NotFound));
    assert_eq!(store.set_reminders(&setting(ReminderAuth::OptOut(code.hash()), 0, true)).await, Err(StoreError::NotFound));
    assert_eq!(store.set_reminders(&setting(ReminderAuth::OptOut(code.hash()), 9, true)).await, Err(StoreError::NotFound));
    assert!(!read(store.as_ref(), &g.id, now1()).await.member(1).unwrap().reminders.off, "nothing was written");
    store.set_reminders(&setting(ReminderAuth::OptOut(code.hash()), 1, true)).await.unwrap();
    let r = read(store.as_ref(), &g.id, now1()).await;
    assert!(r.member(1).unwrap().reminders.off);
    assert_eq!(r.member(1).unwrap().reminders.tokens, vec![code.hash()], "the link keeps working (pressing twice is fine)");
    store.set_reminders(&setting(ReminderAuth::OptOut(code.hash()), 1, true)).await.unwrap();
    assert!(!store.mark_reminded(&reminder_mark(&g, 1, "2026-03", &[])).await.unwrap(), "reminders are off");
    // Back on, signed in.
    let t1 = sign_in(store.as_ref(), &g.id, 1, now1()).await;
    let ended = AccessCode::generate(&g.id, 1, &OsRandom).unwrap();
    assert_conflict(store.set_reminders(&setting(ReminderAuth::Session(ended.hash()), 1, false)).await, ConflictKind::SessionEnded);
    let later = now1() + Duration::hours(30);
    let mut on = setting(ReminderAuth::Session(t1.hash()), 1, false);
    on.now = later;
    store.set_reminders(&on).await.unwrap();
    let r = read(store.as_ref(), &g.id, later).await;
    let m = r.member(1).unwrap();
    assert!(!m.reminders.off);
    assert_eq!(m.sessions.iter().find(|s| s.hash == t1.hash()).unwrap().seen_at, later, "the session's use is recorded");
    assert!(store.mark_reminded(&reminder_mark(&g, 1, "2026-03", &[])).await.unwrap(), "reminders are on again");
}

pub async fn concurrent_reminders_for_one_period(store: Arc<dyn Store>) {
    let (g, _) = measured(store.as_ref(), "100", &["101", "102"], &[1, 2]).await;
    let mut tasks = Vec::new();
    for run in 0..3 {
        for slot in 1..=2u8 {
            let m = reminder_mark(&g, slot, "2026-02", &[opt_out_hash(&g, slot)]);
            let s = store.clone();
            tasks.push(tokio::spawn(async move { (run, slot, s.mark_reminded(&m).await) }));
        }
    }
    let mut won = [0usize; 3];
    for t in tasks {
        let (_, slot, r) = t.await.unwrap();
        match r {
            Ok(true) => won[slot as usize] += 1,
            Ok(false) => {}
            // A transient refusal is a run that did not send: it must not count twice.
            Err(StoreError::Throttled) => {}
            Err(e) => panic!("{e:?}"),
        }
    }
    assert_eq!(won[1..], [1, 1], "exactly one reminder per member for the period: {won:?}");
    let r = read(store.as_ref(), &g.id, now1()).await;
    for slot in 1..=2u8 {
        assert_eq!(r.member(slot).unwrap().reminders.tokens.len(), 1, "the winner's token only");
    }
}

/// A queued mail to `to`, queued at `t`.
fn queued(to: &str, t: DateTime<Utc>) -> QueuedMail {
    let mail = OutgoingMail {
        to_name: PersonName::parse("Dr. Ada Example").unwrap(),
        to: Email::parse(to).unwrap(),
        subject: "Your QI group".into(),
        body: "Hello.\n".into(),
        link: Some("https://qi.example/api/access?code=x".into()),
        role: Some(Role::Lead),
    };
    QueuedMail::new(mail, "proposal", t, &OsRandom).unwrap()
}

fn pending_ids(records: &[MailRecord]) -> Vec<String> {
    records.iter().filter(|r| r.state == MailState::Pending).map(|r| r.id.clone()).collect()
}

/// A proposal stored with its lead's email queued (at `T0`); the email.
async fn proposed_with_mail(store: &dyn Store) -> QueuedMail {
    let (g, _) = sample_group("100", &["101"], T0);
    invite_leads(store, &["100"]).await;
    let m = queued("onfile100@example.org", at(T0));
    let mut w = create_write(&g);
    w.outbox = vec![m.clone()];
    store.write(&w).await.unwrap();
    m
}

pub async fn mail_is_queued_with_its_write(store: Arc<dyn Store>) {
    let g = formed(store.as_ref(), "100", &["101", "102"], &[]).await;
    let before = store.list_mail(now1()).await.unwrap().len();
    let m = queued("onfile100@example.org", now1());
    let mut w = Write::new(&g, now1(), step::accept(&g, 1, now1()).unwrap());
    w.outbox = vec![m.clone()];
    store.write(&w).await.unwrap();
    let list = store.list_mail(now1()).await.unwrap();
    assert_eq!(list.len(), before + 1);
    let rec = list.iter().find(|r| r.id == m.id).expect("queued with the write");
    assert_eq!((rec.state, rec.attempts, rec.kind.as_str(), rec.mail.as_ref()), (MailState::Pending, 0, "proposal", Some(&m.mail)));
    assert_eq!(rec.next_attempt_at, m.queued_at, "due at once");
    // A refused write queues nothing.
    let mut stale = Write::new(&g, now1(), step::accept(&g, 2, now1()).unwrap());
    stale.outbox = vec![queued("peer102@example.org", now1())];
    assert_conflict(store.write(&stale).await, ConflictKind::Stale);
    assert_eq!(store.list_mail(now1()).await.unwrap().len(), before + 1, "nothing queued by a refused write");
    // A reminder is queued with its record, and only then.
    let (r, _) = measured(store.as_ref(), "200", &["201"], &[1]).await;
    let mut mark = reminder_mark(&r, 1, "2026-02", &[opt_out_hash(&r, 1)]);
    mark.outbox = Some(queued("peer201@example.org", now1()));
    assert!(store.mark_reminded(&mark).await.unwrap());
    mark.outbox = Some(queued("peer201@example.org", now1()));
    assert!(!store.mark_reminded(&mark).await.unwrap(), "reminded already");
    let list = store.list_mail(now1()).await.unwrap();
    assert_eq!(list.len(), before + 2, "one reminder queued, the refused one not");
    // A coaching request and its copy.
    let c = CoachingRequest::new(
        g.id.clone(),
        cpso("100"),
        CoachingTopic::ALL[0],
        CoachingMessage::parse("How do we start?").unwrap(),
        now1(),
        &OsRandom,
    )
    .unwrap();
    let copy = queued("coaches@example.org", now1());
    store.add_coaching_request(&c, Some(&copy)).await.unwrap();
    assert!(store.list_mail(now1()).await.unwrap().iter().any(|r| r.id == copy.id));
    assert_eq!(store.list_coaching_requests().await.unwrap().len(), 1);
}

pub async fn queued_mail_is_claimed_and_settled_once(store: Arc<dyn Store>) {
    let m = proposed_with_mail(store.as_ref()).await;
    let t = at(T0) + Duration::seconds(1);
    let hold = t + Duration::minutes(2);
    assert_eq!(store.claim_mail("0123456789abcdef0123456789abcdef", "a", t, hold).await.unwrap(), Claim::Missing);
    assert_eq!(store.claim_mail(&m.id, "a", t, hold).await.unwrap(), Claim::Claimed { mail: m.clone(), attempts: 0 });
    assert_eq!(store.claim_mail(&m.id, "b", t, hold).await.unwrap(), Claim::Held(hold), "one attempt at a time");
    let retry = Settle::Retry { attempts: 1, next_attempt_at: t + Duration::seconds(30), error: "ses_throttled".into() };
    assert!(!store.settle_mail(&m.id, "b", &retry, t).await.unwrap(), "only the holder settles");
    assert!(store.settle_mail(&m.id, "a", &retry, t).await.unwrap());
    assert!(!store.settle_mail(&m.id, "a", &Settle::Sent, t).await.unwrap(), "the hold ended with the settlement");
    assert_eq!(store.claim_mail(&m.id, "b", t, hold).await.unwrap(), Claim::NotDue(t + Duration::seconds(30)));
    let later = t + Duration::seconds(31);
    assert_eq!(
        store.claim_mail(&m.id, "b", later, later + Duration::minutes(2)).await.unwrap(),
        Claim::Claimed { mail: m.clone(), attempts: 1 }
    );
    let rec = store.list_mail(later).await.unwrap().into_iter().find(|r| r.id == m.id).unwrap();
    assert_eq!((rec.attempts, rec.last_error.as_deref()), (1, Some("ses_throttled")));
    assert!(store.settle_mail(&m.id, "b", &Settle::Sent, later).await.unwrap());
    assert_eq!(store.claim_mail(&m.id, "c", later, hold).await.unwrap(), Claim::Settled(MailState::Sent), "sent once");
    let rec = store.list_mail(later).await.unwrap().into_iter().find(|r| r.id == m.id).unwrap();
    assert_eq!((rec.state, rec.mail), (MailState::Sent, None), "a sent mail's message is dropped");
    assert!(
        store.list_mail(later + outbox::keep_records() + Duration::seconds(1)).await.unwrap().iter().all(|r| r.id != m.id),
        "its record expires"
    );
    assert_eq!(store.claim_mail(&m.id, "c", later + outbox::keep_records() + Duration::seconds(1), hold).await.unwrap(), Claim::Missing);
}

pub async fn dead_mail_is_kept_and_requeued_once(store: Arc<dyn Store>) {
    let m = proposed_with_mail(store.as_ref()).await;
    let t = at(T0);
    assert!(!store.requeue_mail(&m.id, &random_hex(&OsRandom, 16).unwrap(), t).await.unwrap(), "a pending mail is not requeued");
    assert!(matches!(store.claim_mail(&m.id, "a", t, t + Duration::minutes(2)).await.unwrap(), Claim::Claimed { .. }));
    assert!(store.settle_mail(&m.id, "a", &Settle::Dead { attempts: 8, error: "ses_rejected".into() }, t).await.unwrap());
    let rec = store.list_mail(t).await.unwrap().into_iter().find(|r| r.id == m.id).unwrap();
    assert_eq!((rec.state, rec.attempts, rec.mail.as_ref()), (MailState::Dead, 8, Some(&m.mail)), "a dead mail keeps its message");
    assert_eq!(store.claim_mail(&m.id, "b", t, t).await.unwrap(), Claim::Settled(MailState::Dead));
    let again = random_hex(&OsRandom, 16).unwrap();
    let t2 = t + Duration::hours(1);
    assert!(store.requeue_mail(&m.id, &again, t2).await.unwrap());
    assert!(!store.requeue_mail(&m.id, &random_hex(&OsRandom, 16).unwrap(), t2).await.unwrap(), "requeued once");
    let list = store.list_mail(t2).await.unwrap();
    assert_eq!(pending_ids(&list), vec![again.clone()]);
    let old = list.iter().find(|r| r.id == m.id).unwrap();
    assert_eq!((old.state, old.mail.as_ref()), (MailState::Requeued, None));
    match store.claim_mail(&again, "c", t2, t2 + Duration::minutes(2)).await.unwrap() {
        Claim::Claimed { mail, attempts } => assert_eq!((mail.mail, mail.kind.as_str(), attempts), (m.mail, "proposal", 0)),
        other => panic!("{other:?}"),
    }
}

pub async fn concurrent_claims_of_one_mail_one_wins(store: Arc<dyn Store>) {
    let m = proposed_with_mail(store.as_ref()).await;
    let t = at(T0) + Duration::seconds(1);
    let mut tasks = Vec::new();
    for i in 0..6 {
        let (s, id) = (store.clone(), m.id.clone());
        tasks.push(tokio::spawn(async move { s.claim_mail(&id, &format!("h{i}"), t, t + Duration::minutes(2)).await }));
    }
    let mut won = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(Claim::Claimed { .. }) => won += 1,
            Ok(Claim::Held(_)) | Err(StoreError::Throttled) => {}
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(won, 1, "exactly one attempt holds the mail");
}

pub async fn undeliverable_addresses_by_mailbox(store: Arc<dyn Store>) {
    let ada = Email::parse("Ada@Example.org").unwrap();
    let bob = Email::parse("bob@example.org").unwrap();
    assert!(store.undeliverable(&[ada.clone(), bob.clone()]).await.unwrap().is_empty());
    let u = Undeliverable { address: address_key(&ada), reason: UndeliverableReason::Bounce, at: at(T0) };
    store.mark_undeliverable(&u).await.unwrap();
    let same = Email::parse("ada@example.org").unwrap();
    assert_eq!(store.undeliverable(&[same, bob.clone()]).await.unwrap(), vec![u.clone()], "one mailbox whatever the case");
    let complaint = Undeliverable { reason: UndeliverableReason::Complaint, at: now1(), ..u };
    store.mark_undeliverable(&complaint).await.unwrap();
    assert_eq!(store.undeliverable(&[ada]).await.unwrap(), vec![complaint], "the latest report replaces the earlier");
    assert!(store.undeliverable(std::slice::from_ref(&bob)).await.unwrap().is_empty());
    // Staff checked the address: the mark goes, once.
    assert!(store.clear_undeliverable(&Email::parse("ADA@example.org").unwrap()).await.unwrap());
    assert!(store.undeliverable(&[Email::parse("ada@example.org").unwrap()]).await.unwrap().is_empty());
    assert!(!store.clear_undeliverable(&bob).await.unwrap(), "nothing to clear");
}

/// The list of cases, written once: calls `$callback!($($prefix)* case, …)`.
/// [`CASES`], [`run_case`] and [`store_conformance_tests!`] are all made from it.
#[doc(hidden)]
#[macro_export]
macro_rules! store_conformance_cases {
    ($callback:ident ! ($($prefix:tt)*)) => {
        $crate::$callback!($($prefix)*
    proposal_reads_back_and_locks_nobody,
    proposal_needs_the_leads_invitation,
    get_unknown_group_is_not_found,
    confirm_locks_the_lead_and_accept_the_peer,
    a_stale_write_is_refused,
    accepting_conflicts_with_another_open_group,
    concurrent_accepts_of_one_physician_yield_one_group,
    sessions_start_end_and_expire,
    a_new_link_ends_every_session,
    a_members_language_is_recorded_by_their_session,
    check_off_and_uncheck,
    check_off_refusals,
    concurrent_check_offs_leave_exact_progress,
    submit_requires_every_activity,
    submit_closes_the_group,
    concurrent_submissions_succeed_once,
    submit_races_with_uncheck_consistently,
    membership_changes_free_exactly_their_locks,
    discarded_and_lapsed_proposals_leave_nothing,
    limits_count_per_day,
    a_retried_write_is_done_once,
    invitations_import_and_lookup,
    invitations_large_import,
    coaching_requests,
    export_lists_every_group,
    data_points_record_correct_and_delete,
    data_refusals,
    concurrent_recording_for_one_period,
    reminders_are_marked_once_per_period,
    reminders_off_by_link_and_on_by_session,
    concurrent_reminders_for_one_period,
    mail_is_queued_with_its_write,
    queued_mail_is_claimed_and_settled_once,
    dead_mail_is_kept_and_requeued_once,
    concurrent_claims_of_one_mail_one_wins,
    undeliverable_addresses_by_mailbox,
        );
    };
}

/// Defines [`CASES`] and [`run_case`] from the list of cases.
#[doc(hidden)]
#[macro_export]
macro_rules! store_conformance_index {
    ($($case:ident),* $(,)?) => {
        /// Names of every case, in order (the macro defines a test per name).
        pub const CASES: &[&str] = &[$(stringify!($case)),*];

        /// Run one case by name.
        pub async fn run_case(name: &str, store: Arc<dyn Store>) {
            match name {
                $(stringify!($case) => $case(store).await,)*
                other => panic!("no conformance case named {other}"),
            }
        }
    };
}

crate::store_conformance_cases!(store_conformance_index!());

/// Run every case, each on a fresh store from `make`.
pub async fn run_all<F, Fut>(make: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Arc<dyn Store>>,
{
    for name in CASES {
        run_case(name, make().await).await;
    }
}

/// One `#[tokio::test]` per conformance case. `$make` is an expression that,
/// awaited, gives a fresh empty `Arc<dyn Store>`.
#[macro_export]
macro_rules! store_conformance_tests {
    ($make:expr) => {
        $crate::store_conformance_cases!(store_conformance_tests!(@cases $make;));
    };
    (@cases $make:expr; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $case() {
                let store: ::std::sync::Arc<dyn $crate::store::Store> = $make.await;
                $crate::store::conformance::$case(store).await;
            }
        )*
    };
}
