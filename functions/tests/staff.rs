//! Staff's corrections (`qi admin members …`, `qi admin groups dissolve`) as
//! use cases on a running server's store: each is one atomic write, recorded
//! in the group's trail as "Program staff", and emailed where it concerns
//! someone.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test, with its message
mod harness;

use harness::*;
use qi_functions::app::{access, membership};
use qi_functions::domain::{Actor, Cpso, Email, Group, GroupId};
use serde_json::Value;

async fn group(s: &Server, id: &str) -> Group {
    s.app.store.get_group(&GroupId::parse(id).unwrap()).await.unwrap().as_of(now()).unwrap()
}

fn by_staff(g: &Group) -> usize {
    g.audit.iter().filter(|e| e.by == Actor::Staff).count()
}

#[tokio::test]
async fn staff_reissue_correct_remove_and_dissolve() {
    let s = Server::start().await;
    let (gid, members) = formed(&s, "100", &["101", "102"]).await;
    let app = s.app.as_ref();

    // Reissue: a new link to the address on file; the old code and every session end.
    access::reissue_link(app, group(&s, &gid).await, 1).await.unwrap();
    let link = link_to(&s, "peer101@example.org").unwrap();
    assert_ne!(code_of(&link), members[1].code);
    assert_eq!(client().get(s.url("/api/me")).bearer_auth(&members[1].token).send().await.unwrap().status(), 401);
    let r = client().post(s.url("/api/access")).json(&serde_json::json!({ "code": members[1].code })).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let reissued = sign_in(&s, &code_of(&link)).await;

    // Correct an address (unique within the group), then the reissued link goes there.
    let taken = Email::parse("peer102@example.org").unwrap();
    assert!(membership::correct_email_as_staff(app, group(&s, &gid).await, 1, taken).await.is_err());
    let fixed = Email::parse("dr.101@clinic.example").unwrap();
    membership::correct_email_as_staff(app, group(&s, &gid).await, 1, fixed).await.unwrap();
    // The old address may have reached someone else: its link and sessions end,
    // and a new link goes to the corrected address.
    let r = client().post(s.url("/api/access")).json(&serde_json::json!({ "code": code_of(&link) })).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(client().get(s.url("/api/me")).bearer_auth(&reissued).send().await.unwrap().status(), 401);
    sign_in(&s, &code_of(&link_to(&s, "dr.101@clinic.example").unwrap())).await;
    access::reissue_link(app, group(&s, &gid).await, 1).await.unwrap();

    // Remove a peer: their lock is released, they are told.
    membership::remove_as_staff(app, group(&s, &gid).await, 2).await.unwrap();
    assert_eq!(s.app.store.group_of(&Cpso::parse("102").unwrap()).await.unwrap(), None);
    assert!(mails(&s).iter().any(|m| m.to.contains("peer102@example.org") && m.link.is_none()));

    // Dissolve: every lock released, check-offs closed.
    membership::dissolve_as_staff(app, group(&s, &gid).await).await.unwrap();
    for c in ["100", "101"] {
        assert_eq!(s.app.store.group_of(&Cpso::parse(c).unwrap()).await.unwrap(), None);
    }
    let g = group(&s, &gid).await;
    assert_eq!(g.phase().key(), "dissolved");
    assert_eq!(by_staff(&g), 5, "reissue, correct, reissue, remove, dissolve: {:?}", g.audit);
    let r = client()
        .post(s.url(&format!("/api/groups/{gid}/activities")))
        .bearer_auth(&members[0].token)
        .json(&serde_json::json!({ "activity": "qi_survey", "completed_on": "2026-06-01" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    let page: Value = client().get(s.url("/api/me/group")).bearer_auth(&members[0].token).send().await.unwrap().json().await.unwrap();
    assert!(page["audit"].as_array().unwrap().iter().any(|e| e["text"] == "Program staff dissolved the group"), "{page}");
}
