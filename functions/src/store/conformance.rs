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
//! Test support (feature `test-support`): never in a production build.
// A failed expectation here is a failed test, so it panics with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use std::future::Future;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};

use super::{ConflictKind, Store, StoreError};
use crate::domain::*;

/// Names of every case, in order (the macro defines a test per name).
pub const CASES: &[&str] = &[
    "create_and_get",
    "get_unknown_group_is_not_found",
    "conflict_names_every_member_already_in_an_open_group",
    "concurrent_signups_sharing_a_peer_yield_one_group",
    "group_id_taken",
    "check_off_and_uncheck",
    "check_off_unknown_member_or_group",
    "concurrent_check_offs_leave_exact_progress",
    "save_and_replace_draft",
    "submit_requires_every_activity",
    "submit_then_everything_is_closed",
    "concurrent_submissions_succeed_once",
    "submit_races_with_uncheck_consistently",
    "invitations_import_and_lookup",
    "invitations_large_import",
    "coaching_requests",
    "export_lists_every_group",
];

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

fn person(c: &str, lang: Language) -> PersonDetails {
    PersonDetails {
        cpso: cpso(c),
        name: PersonName::parse(&format!("Dr. Member {c} Ébène")).unwrap(),
        email: Email::parse(&format!("member{c}@example.org")).unwrap(),
        language: lang,
    }
}

/// A valid group with the given lead and peers, created at `created_at`.
pub fn sample_group(lead: &str, peers: &[&str], created_at: &str) -> (Group, Vec<AccessCode>) {
    let s = SignUp::new(
        GroupName::parse(&format!("Group of {lead} — \"north\" & co")).unwrap(),
        PracticeSetting::parse("Family health team").unwrap(),
        person(lead, Language::Fr),
        peers.iter().enumerate().map(|(i, p)| (i + 1, person(p, Language::En))).collect(),
    )
    .expect("valid sign-up");
    s.into_group(cycle(), at(created_at), &crate::domain::OsRandom).unwrap()
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
    };
    let d = PipDraft::parse("Strong team culture", "Recall systems", vec![(1, goal("practice", 1)), (2, goal("self_care", 2))]).unwrap();
    Pip::from_draft(&d).expect("complete");
    d
}

async fn complete_all(store: &dyn Store, g: &Group) {
    for m in &g.members {
        for a in Activity::ALL {
            store.set_activity(&g.id, &m.member.cpso, a, Some(day("2026-04-01"))).await.unwrap();
        }
    }
}

fn assert_conflict<T: std::fmt::Debug>(r: Result<T, StoreError>, expected: ConflictKind) {
    match r {
        Err(StoreError::Conflict(k)) => assert_eq!(k, expected),
        other => panic!("expected Conflict({expected:?}), got {other:?}"),
    }
}

pub async fn create_and_get(store: Arc<dyn Store>) {
    let (g, _) = sample_group("100", &["101", "102", "103", "104", "105", "106"], "2026-01-05T10:11:12.345Z");
    store.create_group(&g).await.unwrap();
    let back = store.get_group(&g.id).await.unwrap();
    assert_eq!(back, g, "a group reads back exactly as written");
    assert_eq!(back.members[0].member.role, Role::Lead);
    assert_eq!(back.members[0].member.language, Language::Fr);
    for c in ["100", "101", "106"] {
        assert_eq!(store.open_group_of(&cpso(c)).await.unwrap(), Some(g.id.clone()));
    }
    assert_eq!(store.open_group_of(&cpso("107")).await.unwrap(), None);
}

pub async fn get_unknown_group_is_not_found(store: Arc<dyn Store>) {
    assert_eq!(store.get_group(&GroupId::generate(&crate::domain::OsRandom).unwrap()).await, Err(StoreError::NotFound));
}

pub async fn conflict_names_every_member_already_in_an_open_group(store: Arc<dyn Store>) {
    let (a, _) = sample_group("100", &["101", "102"], "2026-01-05T10:00:00Z");
    store.create_group(&a).await.unwrap();
    let (b, _) = sample_group("200", &["102", "201", "101"], "2026-01-05T10:00:01Z");
    let r = store.create_group(&b).await;
    match r {
        Err(StoreError::Conflict(ConflictKind::MembersInOpenGroup(cpsos))) => {
            assert!(!cpsos.is_empty());
            assert!(cpsos.iter().all(|c| c.as_str() == "101" || c.as_str() == "102"), "{cpsos:?}");
            // Backends that can name all must name them in group order.
            if cpsos.len() == 2 {
                assert_eq!(cpsos, vec![cpso("102"), cpso("101")]);
            }
        }
        other => panic!("expected MembersInOpenGroup, got {other:?}"),
    }
    // Nothing of b was written.
    assert_eq!(store.get_group(&b.id).await, Err(StoreError::NotFound));
    assert_eq!(store.open_group_of(&cpso("200")).await.unwrap(), None);
    assert_eq!(store.open_group_of(&cpso("201")).await.unwrap(), None);
    assert_eq!(store.open_group_of(&cpso("101")).await.unwrap(), Some(a.id.clone()));
    // The lead of an open group cannot lead another either.
    let (c, _) = sample_group("100", &["300"], "2026-01-05T10:00:02Z");
    assert_conflict(store.create_group(&c).await, ConflictKind::MembersInOpenGroup(vec![cpso("100")]));
    assert_eq!(store.list_groups().await.unwrap().len(), 1);
}

pub async fn concurrent_signups_sharing_a_peer_yield_one_group(store: Arc<dyn Store>) {
    let mut tasks = Vec::new();
    for i in 0..20 {
        let store = store.clone();
        let lead = format!("{}", 5000 + i);
        tasks.push(tokio::spawn(async move {
            let (g, _) = sample_group(&lead, &["999"], "2026-01-05T10:00:00Z");
            (g.id.clone(), store.create_group(&g).await)
        }));
    }
    let mut ok = Vec::new();
    for t in tasks {
        let (id, r) = t.await.unwrap();
        match r {
            Ok(()) => ok.push(id),
            Err(StoreError::Conflict(ConflictKind::MembersInOpenGroup(c))) => assert_eq!(c, vec![cpso("999")]),
            Err(e) => panic!("unexpected error {e:?}"),
        }
    }
    assert_eq!(ok.len(), 1, "exactly one of 20 simultaneous sign-ups succeeds");
    let groups = store.list_groups().await.unwrap();
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0].id, ok[0]);
    assert_eq!(store.open_group_of(&cpso("999")).await.unwrap(), Some(ok[0].clone()));
    // The losing leads hold no lock.
    let winner_lead = groups[0].members[0].member.cpso.clone();
    for i in 0..20 {
        let c = cpso(&format!("{}", 5000 + i));
        let expect = if c == winner_lead { Some(ok[0].clone()) } else { None };
        assert_eq!(store.open_group_of(&c).await.unwrap(), expect);
    }
}

pub async fn group_id_taken(store: Arc<dyn Store>) {
    let (a, _) = sample_group("100", &["101"], "2026-01-05T10:00:00Z");
    store.create_group(&a).await.unwrap();
    let (mut b, _) = sample_group("200", &["201"], "2026-01-05T10:00:00Z");
    b.id = a.id.clone();
    assert_conflict(store.create_group(&b).await, ConflictKind::GroupIdTaken);
    assert_eq!(store.open_group_of(&cpso("200")).await.unwrap(), None);
    assert_eq!(store.get_group(&a.id).await.unwrap(), a);
}

pub async fn check_off_and_uncheck(store: Arc<dyn Store>) {
    let (g, _) = sample_group("100", &["101"], "2026-01-05T10:00:00Z");
    store.create_group(&g).await.unwrap();
    let peer = cpso("101");
    let acts = store.set_activity(&g.id, &peer, Activity::ChartReview, Some(day("2026-02-03"))).await.unwrap();
    assert_eq!(acts.completed_on(Activity::ChartReview), Some(day("2026-02-03")));
    assert_eq!(acts.0.len(), 1);
    // Re-checking with another date replaces the date.
    let acts = store.set_activity(&g.id, &peer, Activity::ChartReview, Some(day("2026-02-04"))).await.unwrap();
    assert_eq!(acts.completed_on(Activity::ChartReview), Some(day("2026-02-04")));
    let acts = store.set_activity(&g.id, &peer, Activity::QiSurvey, Some(day("2026-02-01"))).await.unwrap();
    assert_eq!(acts.0.len(), 2);
    let back = store.get_group(&g.id).await.unwrap();
    assert_eq!(back.members[1].activities, acts);
    assert!(back.members[0].activities.0.is_empty(), "only the member's own record changes");
    // Un-check.
    let acts = store.set_activity(&g.id, &peer, Activity::ChartReview, None).await.unwrap();
    assert_eq!(acts.completed_on(Activity::ChartReview), None);
    assert_eq!(acts.completed_on(Activity::QiSurvey), Some(day("2026-02-01")));
    // Un-checking something not done is harmless.
    let acts = store.set_activity(&g.id, &peer, Activity::DataDrivenQi, None).await.unwrap();
    assert_eq!(acts.0.len(), 1);
    assert_eq!(store.get_group(&g.id).await.unwrap().members[1].activities, acts);
}

pub async fn check_off_unknown_member_or_group(store: Arc<dyn Store>) {
    let (g, _) = sample_group("100", &["101"], "2026-01-05T10:00:00Z");
    store.create_group(&g).await.unwrap();
    let (other, _) = sample_group("200", &["201"], "2026-01-05T10:00:00Z");
    store.create_group(&other).await.unwrap();
    let r = store.set_activity(&g.id, &cpso("201"), Activity::QiSurvey, Some(day("2026-02-01"))).await;
    assert_eq!(r, Err(StoreError::NotFound), "a member of another group is not a member of this one");
    let r = store
        .set_activity(&GroupId::generate(&crate::domain::OsRandom).unwrap(), &cpso("100"), Activity::QiSurvey, Some(day("2026-02-01")))
        .await;
    assert_eq!(r, Err(StoreError::NotFound));
    assert!(store.get_group(&other.id).await.unwrap().members[1].activities.0.is_empty());
    assert_eq!(
        store.save_pip_draft(&GroupId::generate(&crate::domain::OsRandom).unwrap(), &PipDraft::default()).await,
        Err(StoreError::NotFound)
    );
    assert_eq!(
        store.submit_pip(&GroupId::generate(&crate::domain::OsRandom).unwrap(), &complete_draft(), day("2026-05-01")).await,
        Err(StoreError::NotFound)
    );
}

pub async fn concurrent_check_offs_leave_exact_progress(store: Arc<dyn Store>) {
    let (g, _) = sample_group("100", &["101", "102", "103"], "2026-01-05T10:00:00Z");
    store.create_group(&g).await.unwrap();
    let mut tasks = Vec::new();
    for (mi, m) in g.members.iter().enumerate() {
        for (ai, a) in Activity::ALL.into_iter().enumerate() {
            let store = store.clone();
            let (id, c) = (g.id.clone(), m.member.cpso.clone());
            let date = day("2026-03-01") + chrono::Duration::days((mi * 4 + ai) as i64);
            tasks.push(tokio::spawn(async move { store.set_activity(&id, &c, a, Some(date)).await }));
        }
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let back = store.get_group(&g.id).await.unwrap();
    for (mi, m) in back.members.iter().enumerate() {
        for (ai, a) in Activity::ALL.into_iter().enumerate() {
            let date = day("2026-03-01") + chrono::Duration::days((mi * 4 + ai) as i64);
            assert_eq!(m.activities.completed_on(a), Some(date), "member {mi} activity {a:?}");
        }
    }
    assert!(back.missing_activities().is_empty());
}

pub async fn save_and_replace_draft(store: Arc<dyn Store>) {
    let (g, _) = sample_group("100", &["101"], "2026-01-05T10:00:00Z");
    store.create_group(&g).await.unwrap();
    let first = PipDraft::parse("Strengths only", "", vec![]).unwrap();
    store.save_pip_draft(&g.id, &first).await.unwrap();
    assert_eq!(store.get_group(&g.id).await.unwrap().pip, PipState::Draft { draft: first });
    let second = complete_draft();
    store.save_pip_draft(&g.id, &second).await.unwrap();
    assert_eq!(store.get_group(&g.id).await.unwrap().pip, PipState::Draft { draft: second });
    // An empty draft is still a draft.
    store.save_pip_draft(&g.id, &PipDraft::default()).await.unwrap();
    assert_eq!(store.get_group(&g.id).await.unwrap().pip, PipState::Draft { draft: PipDraft::default() });
}

pub async fn submit_requires_every_activity(store: Arc<dyn Store>) {
    let (g, _) = sample_group("100", &["101", "102"], "2026-01-05T10:00:00Z");
    store.create_group(&g).await.unwrap();
    complete_all(&*store, &g).await;
    store.set_activity(&g.id, &cpso("101"), Activity::DataDrivenQi, None).await.unwrap();
    store.set_activity(&g.id, &cpso("102"), Activity::QiSurvey, None).await.unwrap();
    store.set_activity(&g.id, &cpso("102"), Activity::ChartReview, None).await.unwrap();
    let draft = complete_draft();
    store.save_pip_draft(&g.id, &PipDraft::default()).await.unwrap();
    assert_conflict(
        store.submit_pip(&g.id, &draft, day("2026-05-01")).await,
        ConflictKind::ActivitiesIncomplete(vec![
            (cpso("101"), Activity::DataDrivenQi),
            (cpso("102"), Activity::QiSurvey),
            (cpso("102"), Activity::ChartReview),
        ]),
    );
    // Nothing written: the draft is the old one, locks still held.
    let back = store.get_group(&g.id).await.unwrap();
    assert_eq!(back.pip, PipState::Draft { draft: PipDraft::default() });
    assert_eq!(store.open_group_of(&cpso("100")).await.unwrap(), Some(g.id.clone()));
}

pub async fn submit_then_everything_is_closed(store: Arc<dyn Store>) {
    let (g, _) = sample_group("100", &["101"], "2026-01-05T10:00:00Z");
    store.create_group(&g).await.unwrap();
    complete_all(&*store, &g).await;
    let draft = complete_draft();
    store.submit_pip(&g.id, &draft, day("2026-05-01")).await.unwrap();
    let back = store.get_group(&g.id).await.unwrap();
    assert_eq!(back.pip, PipState::Submitted { pip: draft.clone(), submitted_on: day("2026-05-01") });
    assert!(!back.is_open());
    // One PIP per group.
    assert_conflict(store.submit_pip(&g.id, &draft, day("2026-05-02")).await, ConflictKind::PipSubmitted);
    assert_conflict(store.save_pip_draft(&g.id, &PipDraft::default()).await, ConflictKind::PipSubmitted);
    // No un-checking (or re-dating) after submission.
    assert_conflict(store.set_activity(&g.id, &cpso("101"), Activity::QiSurvey, None).await, ConflictKind::PipSubmitted);
    assert_conflict(store.set_activity(&g.id, &cpso("101"), Activity::QiSurvey, Some(day("2026-04-02"))).await, ConflictKind::PipSubmitted);
    let after = store.get_group(&g.id).await.unwrap();
    assert_eq!(after, back, "refused writes changed nothing");
    // The group is closed: its members hold no lock and may join a new group.
    assert_eq!(store.open_group_of(&cpso("100")).await.unwrap(), None);
    assert_eq!(store.open_group_of(&cpso("101")).await.unwrap(), None);
    let (next, _) = sample_group("101", &["100"], "2031-05-01T10:00:00Z");
    store.create_group(&next).await.unwrap();
    assert_eq!(store.open_group_of(&cpso("100")).await.unwrap(), Some(next.id.clone()));
}

pub async fn concurrent_submissions_succeed_once(store: Arc<dyn Store>) {
    let (g, _) = sample_group("100", &["101", "102"], "2026-01-05T10:00:00Z");
    store.create_group(&g).await.unwrap();
    complete_all(&*store, &g).await;
    let mut tasks = Vec::new();
    for i in 0..6 {
        let store = store.clone();
        let id = g.id.clone();
        tasks.push(tokio::spawn(async move {
            let mut d = complete_draft();
            d.strengths = format!("version {i}");
            (d.clone(), store.submit_pip(&id, &d, day("2026-05-01")).await)
        }));
    }
    let mut winners = Vec::new();
    for t in tasks {
        let (d, r) = t.await.unwrap();
        match r {
            Ok(()) => winners.push(d),
            Err(StoreError::Conflict(ConflictKind::PipSubmitted)) => {}
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert_eq!(winners.len(), 1);
    let back = store.get_group(&g.id).await.unwrap();
    assert_eq!(back.pip, PipState::Submitted { pip: winners.remove(0), submitted_on: day("2026-05-01") });
}

pub async fn submit_races_with_uncheck_consistently(store: Arc<dyn Store>) {
    for round in 0..4 {
        let (g, _) = sample_group(&format!("{}", 100 + round * 10), &[&format!("{}", 101 + round * 10)], "2026-01-05T10:00:00Z");
        store.create_group(&g).await.unwrap();
        complete_all(&*store, &g).await;
        let peer = g.members[1].member.cpso.clone();
        let (s1, s2) = (store.clone(), store.clone());
        let (id1, id2) = (g.id.clone(), g.id.clone());
        let submit = tokio::spawn(async move { s1.submit_pip(&id1, &complete_draft(), day("2026-05-01")).await });
        let uncheck = tokio::spawn(async move { s2.set_activity(&id2, &peer, Activity::ChartReview, None).await });
        let (sr, ur) = (submit.await.unwrap(), uncheck.await.unwrap());
        let back = store.get_group(&g.id).await.unwrap();
        match (sr, ur) {
            (Ok(()), Err(StoreError::Conflict(ConflictKind::PipSubmitted))) => {
                assert!(back.pip.is_submitted());
                assert!(back.missing_activities().is_empty());
            }
            (Err(StoreError::Conflict(ConflictKind::ActivitiesIncomplete(m))), Ok(_)) => {
                assert_eq!(m.len(), 1);
                assert!(!back.pip.is_submitted());
                assert_eq!(back.missing_activities().len(), 1);
            }
            other => panic!("inconsistent outcome: {other:?}"),
        }
    }
}

fn invitation(c: &str, cy: &str, name: Option<&str>) -> Invitation {
    Invitation {
        cycle: Cycle::parse(cy).unwrap(),
        cpso: cpso(c),
        name: name.map(|n| PersonName::parse(n).unwrap()),
        email: name.map(|_| Email::parse(&format!("inv{c}@example.org")).unwrap()),
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
    assert!(store.is_invited(&cycle(), &cpso("100")).await.unwrap());
    assert!(store.is_invited(&cycle(), &cpso("2")).await.unwrap());
    assert!(!store.is_invited(&cycle(), &cpso("3")).await.unwrap());
    assert!(!store.is_invited(&Cycle::parse("2025").unwrap(), &cpso("2")).await.unwrap());
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
    assert!(store.is_invited(&cycle(), &cpso("10260")).await.unwrap());
}

pub async fn coaching_requests(store: Arc<dyn Store>) {
    let (g, _) = sample_group("100", &["101"], "2026-01-05T10:00:00Z");
    store.create_group(&g).await.unwrap();
    let msg = |s: &str| CoachingMessage::parse(s).unwrap();
    let later = CoachingRequest::new(
        g.id.clone(),
        cpso("101"),
        CoachingTopic::Measurement,
        msg("How do we measure?\nThanks"),
        at("2026-02-02T09:00:00Z"),
        &crate::domain::OsRandom,
    )
    .unwrap();
    let earlier = CoachingRequest::new(
        g.id.clone(),
        cpso("100"),
        CoachingTopic::SelfCare,
        msg("Self-care goal ideas"),
        at("2026-02-01T09:00:00Z"),
        &crate::domain::OsRandom,
    )
    .unwrap();
    store.add_coaching_request(&later).await.unwrap();
    store.add_coaching_request(&earlier).await.unwrap();
    assert_eq!(store.list_coaching_requests().await.unwrap(), vec![earlier, later]);
}

pub async fn export_lists_every_group(store: Arc<dyn Store>) {
    assert!(store.list_groups().await.unwrap().is_empty());
    let (b, _) = sample_group("200", &["201"], "2026-01-06T10:00:00Z");
    let (a, _) = sample_group("100", &["101", "102"], "2026-01-05T10:00:00Z");
    store.create_group(&b).await.unwrap();
    store.create_group(&a).await.unwrap();
    store.set_activity(&a.id, &cpso("102"), Activity::PracticeProfile, Some(day("2026-01-07"))).await.unwrap();
    let groups = store.list_groups().await.unwrap();
    assert_eq!(groups.len(), 2);
    assert_eq!(groups[0].id, a.id, "ordered by creation time");
    assert_eq!(groups[1], b);
    assert_eq!(groups[0].members[2].activities.completed_on(Activity::PracticeProfile), Some(day("2026-01-07")));
}

/// Run one case by name.
pub async fn run_case(name: &str, store: Arc<dyn Store>) {
    match name {
        "create_and_get" => create_and_get(store).await,
        "get_unknown_group_is_not_found" => get_unknown_group_is_not_found(store).await,
        "conflict_names_every_member_already_in_an_open_group" => conflict_names_every_member_already_in_an_open_group(store).await,
        "concurrent_signups_sharing_a_peer_yield_one_group" => concurrent_signups_sharing_a_peer_yield_one_group(store).await,
        "group_id_taken" => group_id_taken(store).await,
        "check_off_and_uncheck" => check_off_and_uncheck(store).await,
        "check_off_unknown_member_or_group" => check_off_unknown_member_or_group(store).await,
        "concurrent_check_offs_leave_exact_progress" => concurrent_check_offs_leave_exact_progress(store).await,
        "save_and_replace_draft" => save_and_replace_draft(store).await,
        "submit_requires_every_activity" => submit_requires_every_activity(store).await,
        "submit_then_everything_is_closed" => submit_then_everything_is_closed(store).await,
        "concurrent_submissions_succeed_once" => concurrent_submissions_succeed_once(store).await,
        "submit_races_with_uncheck_consistently" => submit_races_with_uncheck_consistently(store).await,
        "invitations_import_and_lookup" => invitations_import_and_lookup(store).await,
        "invitations_large_import" => invitations_large_import(store).await,
        "coaching_requests" => coaching_requests(store).await,
        "export_lists_every_group" => export_lists_every_group(store).await,
        other => panic!("no conformance case named {other}"),
    }
}

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
/// awaited, gives a fresh empty `Arc<dyn Store>` (it is evaluated per test).
#[macro_export]
macro_rules! store_conformance_tests {
    ($make:expr) => {
        $crate::store_conformance_tests!(@cases $make;
            create_and_get,
            get_unknown_group_is_not_found,
            conflict_names_every_member_already_in_an_open_group,
            concurrent_signups_sharing_a_peer_yield_one_group,
            group_id_taken,
            check_off_and_uncheck,
            check_off_unknown_member_or_group,
            concurrent_check_offs_leave_exact_progress,
            save_and_replace_draft,
            submit_requires_every_activity,
            submit_then_everything_is_closed,
            concurrent_submissions_succeed_once,
            submit_races_with_uncheck_consistently,
            invitations_import_and_lookup,
            invitations_large_import,
            coaching_requests,
            export_lists_every_group,
        );
    };
    (@cases $make:expr; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $case() {
                let store: ::std::sync::Arc<dyn $crate::store::Store> = $make.await;
                $crate::store::conformance::$case(store).await;
            }
        )*
        #[test]
        fn conformance_macro_covers_every_case() {
            let mine: &[&str] = &[$(stringify!($case)),*];
            assert_eq!(mine, $crate::store::conformance::CASES);
        }
    };
}
