//! Handler tests over real HTTP: the shared router behind a TCP listener,
//! talked to with reqwest (JSON and plain form posts), walking the whole
//! journey: a proposal that reaches only the lead on file, confirmation,
//! peers accepting through their own links, sessions that end, a new link,
//! and the plan.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test, with its message
mod harness;

use std::sync::Arc;

use harness::*;
use qi_functions::store::{CheckOffWrite, CurrentGroup, Store, StoreError, StoreResult};
use serde_json::{json, Value};

const FORM: &str = "application/x-www-form-urlencoded";

async fn check_off(s: &Server, token: &str, activity: &str, date: &str) -> reqwest::Response {
    let gid = token.split('.').next().unwrap();
    client()
        .post(s.url(&format!("/api/groups/{gid}/activities")))
        .bearer_auth(token)
        .json(&json!({ "activity": activity, "completed_on": date }))
        .send()
        .await
        .unwrap()
}

const ACTIVITIES: [&str; 4] = ["qi_survey", "practice_profile", "chart_review", "data_driven_qi"];

const ANSWER: &str = "If this CPSO number is on this cycle's invitation list, we have emailed the physician at the address on file.";

async fn propose(s: &Server, body: &Value) -> reqwest::Response {
    client().post(s.url("/api/groups")).json(body).send().await.unwrap()
}

#[tokio::test]
async fn a_sign_up_reaches_only_the_lead_on_file() {
    let s = Server::start().await;
    // Someone signs up with an invited number and their own address: no
    // code, no cookie, no link in the answer, and the address typed is refused.
    let mut body = signup_json("100", &["101", "102"]);
    body["lead"]["email"] = json!("attacker@example.org");
    let r = propose(&s, &body).await;
    assert_eq!(r.status(), 400, "the lead's email is not asked for");
    body["lead"].as_object_mut().unwrap().remove("email");
    let r = propose(&s, &body).await;
    assert_eq!(r.status(), 202);
    assert!(r.headers().get("set-cookie").is_none());
    let text = r.text().await.unwrap();
    assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), json!({ "message": ANSWER }));
    assert!(!text.contains("code") && !text.contains("http"), "{text}");
    // Exactly one email, to the address on file; the subject carries no typed text.
    let sent = mails(&s);
    assert_eq!(sent.len(), 1);
    assert!(sent[0].to.contains(&on_file("100")), "{}", sent[0].to);
    assert_eq!(sent[0].subject, "Confirm your QI Group");
    // An uninvited number gets the very same answer, and nobody is emailed.
    let r = propose(&s, &signup_json("999", &["101"])).await;
    assert_eq!(r.status(), 202);
    assert_eq!(r.json::<Value>().await.unwrap(), json!({ "message": ANSWER }));
    assert_eq!(mails(&s).len(), 1);
    // Form-shape errors are still named at once.
    let r = propose(&s, &json!({ "group_name": "", "lead": { "cpso": "12a" } })).await;
    assert_eq!(r.status(), 400);
    let e: Value = r.json().await.unwrap();
    let fields: Vec<&str> = e["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert!(fields.contains(&"group_name") && fields.contains(&"lead_cpso"), "{fields:?}");
    // Nobody is locked by a proposal: 101 can be in another proposal too.
    assert_eq!(propose(&s, &signup_json("200", &["101"])).await.status(), 202);
    assert_eq!(s.app.store.group_of(&qi_functions::domain::Cpso::parse("101").unwrap()).await.unwrap(), None);
}

#[tokio::test]
async fn the_lead_confirms_and_peers_accept_through_their_own_links() {
    let s = Server::start().await;
    assert_eq!(propose(&s, &signup_json("100", &["101", "102"])).await.status(), 202);
    let link = link_to(&s, &on_file("100")).unwrap();
    assert!(link.starts_with(&format!("{}/api/access?code=", s.base)));
    // Opening the link (as a mail scanner would) signs nobody in and changes nothing.
    let r = client().get(&link).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers().get("set-cookie").is_none());
    let html = r.text().await.unwrap();
    assert!(html.contains("method=\"post\" action=\"/api/access\""), "{html}");
    let gid = code_of(&link).split('.').next().unwrap().to_string();
    let g = s.app.store.get_group(&qi_functions::domain::GroupId::parse(&gid).unwrap()).await.unwrap();
    assert!(g.members.iter().all(|m| m.sessions.is_empty()));
    // The lead signs in and reviews the proposal; the peers are not emailed yet.
    let lead = sign_in(&s, &code_of(&link)).await;
    let page: Value = client().get(s.url("/api/me/group")).bearer_auth(&lead).send().await.unwrap().json().await.unwrap();
    assert_eq!(page["phase"], "proposed");
    assert_eq!(page["members"][1]["email"], "peer101@example.org", "the lead reviews the addresses");
    assert!(link_to(&s, "peer101@example.org").is_none());
    // A peer's session cannot confirm; the lead confirms.
    let r = client().post(s.url("/api/me/proposal/confirm")).bearer_auth(&lead).send().await.unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let peer_link = link_to(&s, "peer101@example.org").expect("invited after confirmation");
    let invite = mails(&s).into_iter().find(|m| m.to.contains("peer101@example.org")).unwrap();
    assert_eq!(invite.subject, "Invitation à un groupe d'amélioration de la qualité", "in the peer's language");
    let peer = sign_in(&s, &code_of(&peer_link)).await;
    // Before accepting, the peer sees the invitation, not the group's life.
    let seen: Value = client().get(s.url("/api/me/group")).bearer_auth(&peer).send().await.unwrap().json().await.unwrap();
    let names: Vec<&str> = seen["members"].as_array().unwrap().iter().map(|m| m["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Dr. Lead Person100", "Dr. Peer Person101"], "not the other invitee");
    assert!(seen["audit"].as_array().unwrap().is_empty());
    assert_eq!(client().get(s.url("/api/me/status")).bearer_auth(&peer).send().await.unwrap().status(), 403);
    // Before accepting, the peer is not a member: no check-offs, no lock.
    assert_eq!(check_off(&s, &peer, "qi_survey", "2026-06-01").await.status(), 409);
    let r = client().post(s.url("/api/me/proposal/confirm")).bearer_auth(&peer).send().await.unwrap();
    assert_eq!(r.status(), 403);
    let r = client().post(s.url("/api/me/invitation/accept")).bearer_auth(&peer).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let g: Value = r.json().await.unwrap();
    assert_eq!(g["phase"], "formed");
    assert!(g["members"][0]["email"].is_null(), "a peer does not see addresses");
    assert_eq!(check_off(&s, &peer, "qi_survey", "2026-06-01").await.status(), 200);
    // The lead is told; the other peer declines.
    assert!(mails(&s).iter().any(|m| m.to.contains(&on_file("100")) && m.subject == "Your QI Group has changed"));
    let other = sign_in(&s, &code_of(&link_to(&s, "peer102@example.org").unwrap())).await;
    let r = client().post(s.url("/api/me/invitation/decline")).bearer_auth(&other).send().await.unwrap();
    assert_eq!(r.status(), 200);
    // The history says who did what.
    let page: Value = client().get(s.url("/api/me/group")).bearer_auth(&lead).send().await.unwrap().json().await.unwrap();
    let trail: Vec<&str> = page["audit"].as_array().unwrap().iter().map(|e| e["text"].as_str().unwrap()).collect();
    assert_eq!(trail.len(), 5, "{trail:?}");
    assert!(trail[0].ends_with("proposed the group") && trail[1].contains("confirmed"), "{trail:?}");
    assert!(trail.iter().any(|t| t.contains("declined")) && trail.iter().any(|t| t.contains("checked off QI Survey")), "{trail:?}");
}

#[tokio::test]
async fn the_whole_json_journey_to_a_submitted_plan() {
    let s = Server::start().await;
    let (gid, members) = formed(&s, "100", &["101", "102"]).await;
    // /api/me
    let me: Value = client().get(s.url("/api/me")).bearer_auth(&members[1].token).send().await.unwrap().json().await.unwrap();
    assert_eq!(me["group_id"], gid.as_str());
    assert_eq!(me["member"]["cpso"], "101");
    assert_eq!(me["member"]["status"], "accepted");
    assert_eq!(me["group"]["phase"], "formed");

    // Submitting before the activities are done: 409 naming who and what.
    let r = client()
        .post(s.url(&format!("/api/groups/{gid}/pip/submit")))
        .bearer_auth(&members[0].token)
        .json(&complete_pip_json())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["missing"].as_array().unwrap().len(), 12);
    assert_eq!(e["missing"][0]["cpso"], "100");

    for m in &members {
        for a in ACTIVITIES {
            assert_eq!(check_off(&s, &m.token, a, "2026-06-01").await.status(), 200);
        }
    }
    let r = check_off(&s, &members[2].token, "chart_review", "2026-06-02").await;
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["activities"]["chart_review"]["completed_on"], "2026-06-02");
    assert_eq!(v["credits"]["total"], 18);
    // A future date is refused, naming the field.
    let r = check_off(&s, &members[2].token, "chart_review", "2026-06-16").await;
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["fields"][0]["field"], "completed_on");

    // A draft, then a submission naming an older draft version: 409, nothing submitted.
    let r = client()
        .put(s.url(&format!("/api/groups/{gid}/pip")))
        .bearer_auth(&members[1].token)
        .json(&json!({ "strengths": "Teamwork", "goals": [ { "kind": "self_care", "aim": "Rest" } ] }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let d: Value = r.json().await.unwrap();
    assert_eq!(d["draft_version"], 1);
    let mut stale = complete_pip_json();
    stale["draft_version"] = json!(0);
    let r =
        client().post(s.url(&format!("/api/groups/{gid}/pip/submit"))).bearer_auth(&members[0].token).json(&stale).send().await.unwrap();
    assert_eq!(r.status(), 409);
    assert!(r.text().await.unwrap().contains("The plan changed"));
    // A goal whose target date is not after today is refused.
    let mut past = complete_pip_json();
    past["goals"][1]["target_date"] = json!(TODAY);
    let r = client().post(s.url(&format!("/api/groups/{gid}/pip/submit"))).bearer_auth(&members[0].token).json(&past).send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["fields"][0]["field"], "goal_2_target_date");

    let mut plan = complete_pip_json();
    plan["draft_version"] = json!(1);
    let r = client().post(s.url(&format!("/api/groups/{gid}/pip/submit"))).bearer_auth(&members[2].token).json(&plan).send().await.unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["submitted_on"], TODAY);
    assert_eq!(v["requirement_met_until"], "2031-06-15");
    // One plan per group; no un-checking afterwards.
    let r = client()
        .post(s.url(&format!("/api/groups/{gid}/pip/submit")))
        .bearer_auth(&members[0].token)
        .json(&complete_pip_json())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    let r = client()
        .post(s.url(&format!("/api/groups/{gid}/activities")))
        .bearer_auth(&members[0].token)
        .json(&json!({ "activity": "qi_survey", "done": false }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    let st: Value =
        client().get(s.url(&format!("/api/groups/{gid}"))).bearer_auth(&members[0].token).send().await.unwrap().json().await.unwrap();
    assert_eq!(st["members"].as_array().unwrap().len(), 3);
    assert_eq!(st["pip"]["state"], "submitted");
    assert_eq!(st["members"][0]["credits"]["total"], 34);
    // The submitted group no longer locks anyone: the lead can propose again.
    assert_eq!(propose(&s, &signup_json("100", &["101"])).await.status(), 202);
}

#[tokio::test]
async fn sessions_end_on_sign_out_and_a_new_link_replaces_the_old() {
    let s = Server::start().await;
    let (gid, members) = formed(&s, "100", &["101"]).await;
    let peer = &members[1];
    let second = sign_in(&s, &peer.code).await;
    // Sign out: that session no longer works, the other does.
    let r = client().post(s.url("/api/access/logout")).bearer_auth(&peer.token).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(client().get(s.url("/api/me")).bearer_auth(&peer.token).send().await.unwrap().status(), 401);
    assert_eq!(client().get(s.url("/api/me")).bearer_auth(&second).send().await.unwrap().status(), 200);
    // Sign out everywhere.
    let third = sign_in(&s, &peer.code).await;
    let r = client().post(s.url("/api/access/logout-everywhere")).bearer_auth(&third).send().await.unwrap();
    assert_eq!(r.status(), 200);
    for t in [&second, &third] {
        assert_eq!(client().get(s.url("/api/me")).bearer_auth(t).send().await.unwrap().status(), 401);
        assert_eq!(check_off(&s, t, "qi_survey", "2026-06-01").await.status(), 401);
    }
    // A new link: the same answer whether or not anything matched.
    let ask = |cpso: &str, email: &str| client().post(s.url("/api/access/recover")).json(&json!({ "cpso": cpso, "email": email })).send();
    let before = mails(&s).len();
    let miss: Value = ask("101", "someone@example.org").await.unwrap().json().await.unwrap();
    let unknown: Value = ask("55555", "someone@example.org").await.unwrap().json().await.unwrap();
    assert_eq!(mails(&s).len(), before, "nothing sent when they do not match");
    let r = ask("101", "PEER101@example.org").await.unwrap();
    assert_eq!(r.status(), 202);
    let hit: Value = r.json().await.unwrap();
    assert_eq!(miss, hit);
    assert_eq!(unknown, hit);
    let new_link = link_to(&s, "peer101@example.org").unwrap();
    assert_ne!(code_of(&new_link), peer.code);
    // The old code no longer signs in; the new one does.
    let r = client().post(s.url("/api/access")).json(&json!({ "code": peer.code })).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let t = sign_in(&s, &code_of(&new_link)).await;
    assert_eq!(client().get(s.url("/api/me")).bearer_auth(&t).send().await.unwrap().status(), 200);
    // At most 3 a day.
    for _ in 0..4 {
        assert_eq!(ask("101", "peer101@example.org").await.unwrap().status(), 202);
    }
    // The peer prefers French.
    let new_links = mails(&s).iter().filter(|m| m.subject == "Votre nouveau lien QI Groups").count();
    assert_eq!(new_links, 3);
    let _ = gid;
}

#[tokio::test]
async fn the_lead_changes_the_group_before_submission() {
    let s = Server::start().await;
    let (_, members) = formed(&s, "100", &["101"]).await;
    let lead = &members[0].token;
    let invite = |body: Value| client().post(s.url("/api/me/peers")).bearer_auth(lead).json(&body).send();
    // Invite: errors name the field.
    let r = invite(json!({ "peer_cpso": "101", "peer_name": "Dr X", "peer_email": "x@example.org", "peer_language": "en" })).await.unwrap();
    assert_eq!(r.status(), 409);
    assert_eq!(r.json::<Value>().await.unwrap()["fields"][0]["field"], "peer_cpso");
    let r = invite(json!({ "peer_cpso": "103", "peer_name": "Dr X", "peer_email": "peer101@example.org", "peer_language": "en" }))
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    assert_eq!(r.json::<Value>().await.unwrap()["fields"][0]["field"], "peer_email");
    let r = invite(json!({ "peer_cpso": "103", "peer_name": "Dr Three", "peer_email": "three@example.org", "peer_language": "en" }))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let g: Value = r.json().await.unwrap();
    let slot = g["members"].as_array().unwrap().iter().find(|m| m["name"] == "Dr Three").unwrap()["slot"].as_u64().unwrap();
    assert!(link_to(&s, "three@example.org").is_some());
    // Withdraw it, then the peer 101 leaves: their lock is released.
    let r = client().post(s.url(&format!("/api/me/peers/{slot}/remove"))).bearer_auth(lead).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let r = client().post(s.url("/api/me/leave")).bearer_auth(&members[1].token).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let cpso = |c: &str| qi_functions::domain::Cpso::parse(c).unwrap();
    assert_eq!(s.app.store.group_of(&cpso("101")).await.unwrap(), None);
    // A peer cannot dissolve; the lead can, and every lock goes.
    assert_eq!(client().post(s.url("/api/me/dissolve")).bearer_auth(&members[1].token).send().await.unwrap().status(), 401);
    let r = client().post(s.url("/api/me/dissolve")).bearer_auth(lead).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["phase"], "dissolved");
    assert_eq!(s.app.store.group_of(&cpso("100")).await.unwrap(), None);
}

#[tokio::test]
async fn plain_form_journey_with_redirects_and_cookies() {
    let s = Server::start().await;
    let form = "group_name=North+Bay+QI&practice_setting=Clinic&lead_cpso=200&lead_name=Dr+A&lead_language=en\
                &peer_1_cpso=201&peer_1_name=Dr+B&peer_1_email=b%40example.org&peer_1_language=fr\
                &peer_2_cpso=&peer_2_name=&peer_2_email=&peer_2_language=en&website=";
    let r = browser().post(s.url("/api/groups")).header("content-type", FORM).body(form).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/groups/sign-up/check-your-email/");
    assert!(r.headers().get("set-cookie").is_none());
    assert_eq!(r.headers()["cache-control"], "no-store");
    assert_eq!(r.headers()["referrer-policy"], "no-referrer");

    // The lead's browser: the link's page, then its button.
    let lead = browser();
    let link = link_to(&s, &on_file("200")).unwrap();
    assert_eq!(lead.get(&link).header("accept", "text/html").send().await.unwrap().status(), 200);
    let r = lead.post(s.url("/api/access")).header("content-type", FORM).body(format!("code={}", code_of(&link))).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/api/me/group");
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.starts_with("qi_session="));
    for part in ["Path=/", "HttpOnly", "SameSite=Strict"] {
        assert!(cookie.contains(part), "{cookie}");
    }
    assert!(!cookie.contains("Secure"), "http base URL: no Secure");
    let html = lead.get(s.url("/api/me/group")).header("accept", "text/html").send().await.unwrap().text().await.unwrap();
    assert!(html.contains("action=\"/api/me/proposal/confirm\""), "{html}");
    assert!(html.contains("b@example.org"), "the lead reviews the addresses");
    let r = lead.post(s.url("/api/me/proposal/confirm")).header("content-type", FORM).body("").send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/api/me/group?done=confirmed");

    // The peer's browser accepts, then checks off from a form.
    let peer = browser();
    let link = link_to(&s, "b@example.org").unwrap();
    let r = peer.post(s.url("/api/access")).header("content-type", FORM).body(format!("code={}", code_of(&link))).send().await.unwrap();
    assert_eq!(r.headers()["location"], "/api/me/group");
    let html = peer.get(s.url("/api/me/group")).header("accept", "text/html").send().await.unwrap().text().await.unwrap();
    assert!(html.contains("action=\"/api/me/invitation/accept\""), "{html}");
    assert!(!html.contains("b@example.org"), "a peer does not see addresses");
    let r = peer.post(s.url("/api/me/invitation/accept")).header("content-type", FORM).body("").send().await.unwrap();
    assert_eq!(r.status(), 303);
    let r = peer
        .post(s.url("/api/me/activities"))
        .header("content-type", FORM)
        .body("activity=practice_profile&completed_on=2026-06-10&done=true")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/api/me/activities?saved=practice_profile&as=done#activity-practice_profile");

    // A form posted from another site is refused, whatever it carries.
    let r = peer
        .post(s.url("/api/me/leave"))
        .header("content-type", FORM)
        .header("origin", "https://evil.example")
        .body("")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = peer
        .post(s.url("/api/me/leave"))
        .header("content-type", FORM)
        .header("sec-fetch-site", "cross-site")
        .body("")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let me: Value = peer.get(s.url("/api/me")).send().await.unwrap().json().await.unwrap();
    assert_eq!(me["member"]["status"], "accepted", "nothing changed");
    // A browser posting our own page's form sends `Origin: null` (the pages
    // are `no-referrer`) with `Sec-Fetch-Site: same-origin`: that is ours.
    let r = peer
        .post(s.url("/api/me/leave"))
        .header("content-type", FORM)
        .header("origin", "null")
        .header("sec-fetch-site", "same-origin")
        .body("")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "the site's own form is fine");

    // Signing out clears the cookie and ends the session.
    let r = lead.post(s.url("/api/access/logout")).header("content-type", FORM).body("").send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/me/signed-out/");
    assert!(r.headers()["set-cookie"].to_str().unwrap().contains("Max-Age=0"));
    assert_eq!(lead.get(s.url("/api/me")).send().await.unwrap().status(), 401);
}

#[tokio::test]
async fn authorization_rules() {
    let s = Server::start().await;
    let (ga, am) = formed(&s, "100", &["101"]).await;
    let (gb, bm) = formed(&s, "200", &["201"]).await;
    // No session / a malformed token / a forged one / an access code used as a session: 401.
    assert_eq!(client().get(s.url(&format!("/api/groups/{ga}"))).send().await.unwrap().status(), 401);
    assert_eq!(client().get(s.url(&format!("/api/groups/{ga}"))).bearer_auth("nonsense").send().await.unwrap().status(), 401);
    let forged = format!("{ga}.1.{}", "A".repeat(43));
    assert_eq!(client().get(s.url("/api/me")).bearer_auth(&forged).send().await.unwrap().status(), 401);
    assert_eq!(client().get(s.url("/api/me")).bearer_auth(&am[1].code).send().await.unwrap().status(), 401);
    let r = client().get(s.url("/api/access?code=nonsense")).header("accept", "text/html").send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.text().await.unwrap().contains("/me/new-link/"));
    // Another group's status or check-off: 403.
    assert_eq!(client().get(s.url(&format!("/api/groups/{gb}"))).bearer_auth(&am[0].token).send().await.unwrap().status(), 403);
    let r = client()
        .post(s.url(&format!("/api/groups/{gb}/activities")))
        .bearer_auth(&am[0].token)
        .json(&json!({ "activity": "qi_survey", "completed_on": "2026-06-01" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // Only your own activities: naming another member's CPSO is refused.
    let r = client()
        .post(s.url(&format!("/api/groups/{ga}/activities")))
        .bearer_auth(&am[0].token)
        .json(&json!({ "activity": "qi_survey", "completed_on": "2026-06-01", "cpso": "101" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let st = s.app.store.get_group(&qi_functions::domain::GroupId::parse(&ga).unwrap()).await.unwrap();
    assert!(st.members[1].activities.0.is_empty());
    // Coaching needs a session.
    let r = client().post(s.url("/api/coaching")).json(&json!({ "topic": "other", "message": "hi" })).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let _ = bm;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_groups_inviting_one_peer_get_one_acceptance() {
    let s = Arc::new(Server::start().await);
    let csv = format!("cpso,email\n{}\n", (0..20).map(|i| format!("{},lead{i}@example.org", 7000 + i)).collect::<Vec<_>>().join("\n"));
    let list = qi_functions::domain::InvitationList::parse_csv(&csv, &qi_functions::domain::Cycle::parse("2026").unwrap()).unwrap();
    s.app.store.import_invitations(&list).await.unwrap();
    // Twenty confirmed groups each invite physician 999 (at twenty addresses: each group's lead typed one).
    let mut peer_tokens = Vec::new();
    for i in 0..20 {
        let mut body = signup_json(&(7000 + i).to_string(), &["999"]);
        body["peers"][0]["email"] = json!(format!("p999-{i}@example.org"));
        assert_eq!(propose(&s, &body).await.status(), 202);
        let lead = sign_in(&s, &code_of(&link_to(&s, &format!("lead{i}@example.org")).unwrap())).await;
        assert_eq!(client().post(s.url("/api/me/proposal/confirm")).bearer_auth(&lead).send().await.unwrap().status(), 200);
        peer_tokens.push(sign_in(&s, &code_of(&link_to(&s, &format!("p999-{i}@example.org")).unwrap())).await);
    }
    let barrier = Arc::new(tokio::sync::Barrier::new(20));
    let mut tasks = Vec::new();
    for t in peer_tokens {
        let (s, barrier) = (s.clone(), barrier.clone());
        tasks.push(tokio::spawn(async move {
            let c = client();
            barrier.wait().await;
            c.post(s.url("/api/me/invitation/accept")).bearer_auth(&t).send().await.unwrap().status().as_u16()
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 19, "{statuses:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn four_members_check_off_four_activities_at_once() {
    let s = Arc::new(Server::start().await);
    let (gid, members) = formed(&s, "100", &["101", "102", "103"]).await;
    let barrier = Arc::new(tokio::sync::Barrier::new(16));
    let mut tasks = Vec::new();
    for (mi, m) in members.iter().enumerate() {
        for (ai, a) in ACTIVITIES.into_iter().enumerate() {
            let (s, barrier, token) = (s.clone(), barrier.clone(), m.token.clone());
            let date = format!("2026-05-{:02}", 1 + mi * 4 + ai);
            tasks.push(tokio::spawn(async move {
                barrier.wait().await;
                check_off(&s, &token, a, &date).await.status().as_u16()
            }));
        }
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), 200);
    }
    let st: Value =
        client().get(s.url(&format!("/api/groups/{gid}"))).bearer_auth(&members[0].token).send().await.unwrap().json().await.unwrap();
    for (mi, m) in st["members"].as_array().unwrap().iter().enumerate() {
        for (ai, a) in ACTIVITIES.into_iter().enumerate() {
            assert_eq!(m["activities"][a]["completed_on"], format!("2026-05-{:02}", 1 + mi * 4 + ai));
        }
    }
}

#[tokio::test]
async fn honeypot_size_type_method_and_route_errors() {
    let s = Server::start().await;
    let mut bot = signup_json("100", &["101"]);
    bot["website"] = json!("http://spam.example");
    let r = client().post(s.url("/api/groups")).json(&bot).send().await.unwrap();
    assert_eq!(r.status(), 400);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["fields"][0]["field"], "website");
    assert!(s.app.store.list_groups().await.unwrap().is_empty());

    let big = format!("group_name={}", "x".repeat(70 * 1024));
    let r = client().post(s.url("/api/groups")).header("content-type", FORM).body(big).send().await.unwrap();
    assert_eq!(r.status(), 413);
    assert!(r.text().await.unwrap().contains("Too much text"));
    let r = client()
        .post(s.url("/api/groups"))
        .header("content-type", "application/json")
        .body(format!("\"{}\"", "x".repeat(70 * 1024)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["error"], "payload_too_large");

    let r = client().post(s.url("/api/groups")).header("content-type", "text/plain").body("hello").send().await.unwrap();
    assert_eq!(r.status(), 415);
    let r = client().post(s.url("/api/groups")).header("content-type", "application/json").body("{not json").send().await.unwrap();
    assert_eq!(r.status(), 400);

    let r = client().get(s.url("/api/groups")).send().await.unwrap();
    assert_eq!(r.status(), 405);
    assert_eq!(r.headers()["allow"], "POST");
    let r = client().delete(s.url("/api/groups/abc/pip")).send().await.unwrap();
    assert_eq!(r.status(), 405);
    assert_eq!(r.headers()["allow"], "PUT, POST");

    let r = client().get(s.url("/api/nowhere")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(r.headers()["cache-control"], "no-store");
}

/// A mailer that always fails, and a store that is always throttled: the ports
/// behave as the real ones do when AWS says no.
struct FailingMailer;
#[async_trait::async_trait]
impl qi_functions::mail::Mailer for FailingMailer {
    async fn send(&self, _: &qi_functions::mail::OutgoingMail) -> Result<(), qi_functions::mail::MailError> {
        Err(qi_functions::mail::MailError::new(qi_functions::mail::MailErrorKind::SesThrottled, "secret detail"))
    }
}

#[tokio::test]
async fn mail_failure_does_not_undo_the_proposal() {
    let s = Server::start_with(|_, _| Arc::new(FailingMailer)).await;
    let r = propose(&s, &signup_json("100", &["101"])).await;
    assert_eq!(r.status(), 202);
    assert_eq!(s.app.store.list_groups().await.unwrap().len(), 1);
}

struct Throttled(Arc<dyn Store>);
#[async_trait::async_trait]
impl Store for Throttled {
    async fn import_invitations(&self, l: &qi_functions::domain::InvitationList) -> StoreResult<usize> {
        self.0.import_invitations(l).await
    }
    async fn invitation(
        &self,
        c: &qi_functions::domain::Cycle,
        p: &qi_functions::domain::Cpso,
    ) -> StoreResult<Option<qi_functions::domain::Invitation>> {
        self.0.invitation(c, p).await
    }
    async fn list_invitations(&self, c: Option<&qi_functions::domain::Cycle>) -> StoreResult<Vec<qi_functions::domain::Invitation>> {
        self.0.list_invitations(c).await
    }
    async fn get_group(&self, _: &qi_functions::domain::GroupId) -> StoreResult<qi_functions::domain::Group> {
        Err(StoreError::Throttled)
    }
    async fn group_of(&self, c: &qi_functions::domain::Cpso) -> StoreResult<Option<CurrentGroup>> {
        self.0.group_of(c).await
    }
    async fn write(&self, _: &qi_functions::domain::Write) -> StoreResult<()> {
        Err(StoreError::Throttled)
    }
    async fn check_off(&self, _: &CheckOffWrite) -> StoreResult<qi_functions::domain::Activities> {
        Err(StoreError::Throttled)
    }
    async fn touch_session(
        &self,
        _: &qi_functions::domain::GroupId,
        _: u8,
        _: &qi_functions::domain::CodeHash,
        _: chrono::DateTime<chrono::Utc>,
    ) -> StoreResult<()> {
        Err(StoreError::Throttled)
    }
    async fn record_data(&self, _: &qi_functions::store::DataWrite) -> StoreResult<()> {
        Err(StoreError::Throttled)
    }
    async fn mark_reminded(&self, _: &qi_functions::store::ReminderMark) -> StoreResult<bool> {
        Err(StoreError::Throttled)
    }
    async fn set_reminders(&self, _: &qi_functions::store::ReminderSetting) -> StoreResult<()> {
        Err(StoreError::Throttled)
    }
    async fn add_coaching_request(
        &self,
        _: &qi_functions::domain::CoachingRequest,
        _: Option<&qi_functions::domain::QueuedMail>,
    ) -> StoreResult<()> {
        Err(StoreError::Throttled)
    }
    async fn list_coaching_requests(&self) -> StoreResult<Vec<qi_functions::domain::CoachingRequest>> {
        self.0.list_coaching_requests().await
    }
    async fn list_groups(&self) -> StoreResult<Vec<qi_functions::domain::Group>> {
        self.0.list_groups().await
    }
    async fn claim_mail(
        &self,
        _: &str,
        _: &str,
        _: chrono::DateTime<chrono::Utc>,
        _: chrono::DateTime<chrono::Utc>,
    ) -> StoreResult<qi_functions::domain::Claim> {
        Err(StoreError::Throttled)
    }
    async fn settle_mail(&self, _: &str, _: &str, _: &qi_functions::domain::Settle, _: chrono::DateTime<chrono::Utc>) -> StoreResult<bool> {
        Err(StoreError::Throttled)
    }
    async fn requeue_mail(&self, _: &str, _: &str, _: chrono::DateTime<chrono::Utc>) -> StoreResult<bool> {
        Err(StoreError::Throttled)
    }
    async fn list_mail(&self, now: chrono::DateTime<chrono::Utc>) -> StoreResult<Vec<qi_functions::domain::MailRecord>> {
        self.0.list_mail(now).await
    }
    async fn mark_undeliverable(&self, _: &qi_functions::domain::Undeliverable) -> StoreResult<()> {
        Err(StoreError::Throttled)
    }
    async fn undeliverable(&self, _: &[qi_functions::domain::Email]) -> StoreResult<Vec<qi_functions::domain::Undeliverable>> {
        Err(StoreError::Throttled)
    }
    async fn clear_undeliverable(&self, _: &qi_functions::domain::Email) -> StoreResult<bool> {
        Err(StoreError::Throttled)
    }
}

#[tokio::test]
async fn throttled_store_gives_503_with_retry_after() {
    let s = Server::start_full(|st| Arc::new(Throttled(st)), |_, m| m).await;
    let r = propose(&s, &signup_json("100", &["101"])).await;
    assert_eq!(r.status(), 503);
    assert!(r.headers().get("retry-after").is_some());
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["error"], "unavailable");
    let r = client().get(s.url("/api/me")).bearer_auth(format!("{}.0.{}", "abc", "A".repeat(43))).send().await.unwrap();
    assert_eq!(r.status(), 503);
}

/// Undo the HTML escaping of a rendered value.
fn unescape(s: &str) -> String {
    s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#39;", "'").replace("&amp;", "&")
}

/// The fields a browser would send from the page's (one) PIP form: text and
/// date inputs with their values, textareas with their text, checked radios.
/// The page's `<main>` element (the site's header and footer around it hold
/// a search form and links of their own).
fn main_of(html: &str) -> &str {
    &html[html.find("<main").unwrap()..html.find("</main>").unwrap()]
}

fn form_fields(html: &str) -> Vec<(String, String)> {
    // The plan's form, not the site header's search or the member bar's sign-out.
    let main = main_of(html);
    let main = &main[main.find("<form class=\"qi-form\" id=\"pip-form\"").unwrap()..];
    let form = &main[..main.find("</form>").unwrap()];
    let attr = |tag: &str, name: &str| -> Option<String> {
        let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
        let len = tag[start..].find('"')?;
        Some(unescape(&tag[start..start + len]))
    };
    let mut out = Vec::new();
    let mut rest = form;
    while let Some(i) = rest.find('<') {
        rest = &rest[i..];
        let end = rest.find('>').unwrap();
        let tag = &rest[..end];
        if tag.starts_with("<input") {
            let ty = attr(tag, "type").unwrap_or_default();
            let take = match ty.as_str() {
                "radio" => tag.contains(" checked"),
                "submit" => false,
                _ => true,
            };
            if take {
                out.push((attr(tag, "name").unwrap(), attr(tag, "value").unwrap_or_default()));
            }
        } else if tag.starts_with("<textarea") {
            let body = &rest[end + 1..];
            let text = &body[..body.find("</textarea>").unwrap()];
            out.push((attr(tag, "name").unwrap(), unescape(text)));
        }
        rest = &rest[end..];
    }
    out
}

fn encode(fields: &[(String, String)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in fields {
        s.append_pair(k, v);
    }
    s.finish()
}

#[tokio::test]
async fn no_javascript_pages_show_the_saved_state_and_keep_it() {
    let s = Server::start().await;
    let (_, members) = formed(&s, "300", &["301"]).await;
    let (lead, peer) = (&members[0].token, &members[1].token);
    let html_get = |path: &str, code: &str| client().get(s.url(path)).bearer_auth(code).header("accept", "text/html").send();
    // The peer was proposed as French-speaking and switches their pages to
    // English, which is recorded: every page below is then English for them.
    let r = client()
        .post(s.url("/api/me/language"))
        .bearer_auth(peer)
        .header("content-type", FORM)
        .body("lang=en&back=/api/me/pip")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/api/me/pip?lang=en");

    // Not signed in: what to do to sign in, and no form that cannot work.
    for path in ["/api/me", "/api/me/pip", "/api/me/activities", "/api/me/status", "/api/me/group"] {
        let r = client().get(s.url(path)).header("accept", "text/html").send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        let html = r.text().await.unwrap();
        assert!(html.contains("Sign in to see your group") && !main_of(&html).contains("<form"), "{path}: {html}");
    }
    assert_eq!(client().get(s.url("/api/me/pip")).send().await.unwrap().status(), 401, "JSON callers get 401");

    // An empty plan: every goal row up to the maximum, no values.
    let r = html_get("/api/me/pip", lead).await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    assert_eq!(r.headers()["cache-control"], "no-store");
    let html = r.text().await.unwrap();
    assert_eq!(html.matches("<h1>").count(), 1);
    assert!(html.contains("<legend>Goal <span data-qi-n>10</span></legend>") && !html.contains("goal_11_"), "{html}");
    assert!(html.contains("<strong class=\"qi-tag qi-tag--todo\">Not started</strong>"), "no goals yet");
    assert!(html.contains("<form class=\"qi-form\" id=\"pip-form\" method=\"post\" action=\"/api/me/pip\""));
    assert!(html.contains("name=\"action\" value=\"save\"") && html.contains("name=\"action\" value=\"submit\""));
    assert!(html.contains("Dr. Peer Person301 (QI Survey)"), "missing list names member and activity: {html}");

    // The lead saves a draft from the page (with markup in it): back to the page, prefilled and escaped.
    let mut fields = form_fields(&html);
    let set = |fields: &mut Vec<(String, String)>, k: &str, v: &str| {
        fields.iter_mut().find(|(n, _)| n == k).unwrap_or_else(|| panic!("no field {k}")).1 = v.to_string();
    };
    set(&mut fields, "strengths", "Team <b>\"culture\"</b> & EMR\nSecond line");
    set(&mut fields, "improvements", "Recall");
    set(&mut fields, "goal_1_aim", "Raise screening");
    set(&mut fields, "goal_1_measure", "% up to date");
    set(&mut fields, "goal_1_baseline", "52%");
    set(&mut fields, "goal_1_target", "65%");
    set(&mut fields, "goal_1_target_date-day", "30");
    set(&mut fields, "goal_1_target_date-month", "6");
    set(&mut fields, "goal_1_target_date-year", "2027");
    set(&mut fields, "goal_1_change_ideas", "Recall letters");
    fields.push(("goal_1_kind".into(), "practice".into()));
    fields.push(("action".into(), "save".into()));
    let r = client().post(s.url("/api/me/pip")).bearer_auth(lead).header("content-type", FORM).body(encode(&fields)).send().await.unwrap();
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    assert_eq!(r.headers()["location"], "/api/me/pip?saved=1");

    // The peer reopens the plan: the saved draft is in the form.
    let html = html_get("/api/me/pip?saved=1", peer).await.unwrap().text().await.unwrap();
    assert!(html.contains("draft has been saved"));
    assert!(html.contains(">Team &lt;b&gt;&quot;culture&quot;&lt;/b&gt; &amp; EMR\nSecond line</textarea>"), "{html}");
    assert!(!html.contains("<b>\"culture"));
    let measure = format!("name=\"goal_1_measure\" maxlength=\"{}\" value=\"% up to date\"", qi_facts::limits::GOAL_FIELD);
    assert!(html.contains(&measure), "{html}");
    assert!(
        html.contains("name=\"goal_1_target_date-month\" inputmode=\"numeric\" autocomplete=\"off\" maxlength=\"2\" value=\"6\""),
        "{html}"
    );
    assert!(html.contains("name=\"goal_1_kind\" value=\"practice\" checked>"));
    assert!(!html.contains("name=\"goal_2_kind\" value=\"practice\" checked"));
    assert!(html.contains("1 of the 2 needed"));

    // The peer adds a second goal from the page: everything else is kept.
    let mut fields = form_fields(&html);
    set(&mut fields, "goal_2_aim", "Protect lunch breaks");
    fields.push(("goal_2_kind".into(), "self_care".into()));
    fields.push(("action".into(), "save".into()));
    let r = client().post(s.url("/api/me/pip")).bearer_auth(peer).header("content-type", FORM).body(encode(&fields)).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let d: Value = client().get(s.url("/api/me/pip")).bearer_auth(lead).send().await.unwrap().json().await.unwrap();
    assert_eq!(d["state"], "draft");
    assert_eq!(d["strengths"], "Team <b>\"culture\"</b> & EMR\nSecond line");
    assert_eq!(d["improvements"], "Recall");
    let goals = d["goals"].as_array().unwrap();
    assert_eq!(goals.len(), 2, "{d}");
    assert_eq!(goals[0]["measure"], "% up to date");
    assert_eq!(goals[0]["target_date"], "2027-06-30");
    assert_eq!(goals[0]["change_ideas"], "Recall letters");
    assert_eq!(goals[1]["kind"], "self_care");
    assert_eq!(goals[1]["aim"], "Protect lunch breaks");

    // Activities page: state, dates, N of 4, check-off forms going back to the page.
    let html = html_get("/api/me/activities", peer).await.unwrap().text().await.unwrap();
    assert!(html.contains("You have completed 0 of 4 activities."), "{html}");
    assert_eq!(html.matches("action=\"/api/me/activities\"").count(), 4);
    assert!(html.contains("name=\"done\" value=\"true\"") && !html.contains("name=\"done\" value=\"false\""), "nothing to undo yet");
    let r = client()
        .post(s.url("/api/me/activities"))
        .bearer_auth(peer)
        .header("content-type", FORM)
        .body("from=page&activity=chart_review&completed_on-day=1&completed_on-month=6&completed_on-year=2026&done=true")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/api/me/activities?saved=chart_review&as=done#activity-chart_review");
    let html = html_get("/api/me/activities?saved=chart_review&as=done", peer).await.unwrap().text().await.unwrap();
    assert!(html.contains("You have completed 1 of 4 activities."));
    assert!(html.contains("You finished it on 1 June 2026."));
    assert!(html.contains("name=\"completed_on-year\" inputmode=\"numeric\" autocomplete=\"off\" maxlength=\"4\" value=\"2026\""));
    assert!(html.contains("Self-Guided Chart Review is marked as done."), "{html}");
    assert!(html.contains("name=\"done\" value=\"false\""), "now it can be undone");

    // A date that does not exist comes back beside its field, with the answer kept.
    let r = client()
        .post(s.url("/api/me/activities"))
        .bearer_auth(peer)
        .header("content-type", FORM)
        .body("from=page&activity=data_driven_qi&completed_on-day=31&completed_on-month=2&completed_on-year=2026&done=true")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let html = r.text().await.unwrap();
    assert!(html.contains("<title>Error: My activities"), "{html}");
    assert!(
        html.contains("href=\"#completed_on-data_driven_qi-day\">Data-Driven QI: Enter a real date, with the day, month and year</a>"),
        "{html}"
    );
    assert!(html.contains("value=\"31\" aria-invalid=\"true\""));
    let j: Value = client().get(s.url("/api/me/activities")).bearer_auth(peer).send().await.unwrap().json().await.unwrap();
    assert_eq!(j["activities"]["chart_review"]["completed_on"], "2026-06-01");

    // Everyone finishes; the plan is submitted from the page and shown read-only.
    for code in [lead, peer] {
        for a in ACTIVITIES {
            assert_eq!(check_off(&s, code, a, "2026-06-02").await.status(), 200);
        }
    }
    let html = html_get("/api/me/pip", lead).await.unwrap().text().await.unwrap();
    assert!(html.contains("Every member has completed all four activities"));
    let mut fields = form_fields(&html);
    for (k, v) in [
        ("goal_2_measure", "Days a week"),
        ("goal_2_baseline", "1"),
        ("goal_2_target", "4"),
        ("goal_2_target_date-day", "31"),
        ("goal_2_target_date-month", "1"),
        ("goal_2_target_date-year", "2027"),
        ("goal_2_change_ideas", "Block the calendar"),
    ] {
        set(&mut fields, k, v);
    }
    set(&mut fields, "goal_1_kind", "practice");
    assert!(fields.iter().any(|(k, _)| k == "draft_version"), "the page says which draft it shows");
    fields.push(("action".into(), "submit".into()));
    let r = client().post(s.url("/api/me/pip")).bearer_auth(lead).header("content-type", FORM).body(encode(&fields)).send().await.unwrap();
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    assert_eq!(r.headers()["location"], "/api/me/pip?submitted=1");
    let html = html_get("/api/me/pip?submitted=1", peer).await.unwrap().text().await.unwrap();
    assert!(html.contains("Plan submitted") && html.contains("15 June 2031"), "{html}");
    assert!(!main_of(&html).contains("action=\"/api/me/pip\""), "read-only");
    assert!(html.contains("Protect lunch breaks"));
    let html = html_get("/api/me/activities", peer).await.unwrap().text().await.unwrap();
    assert!(html.contains("You have completed 4 of 4 activities.") && !main_of(&html).contains("action=\"/api/me/activities\""));
}

/// SES reported a peer's address as bouncing: the lead and that peer see
/// "we could not deliver email to …" on the group page, the other peer does
/// not, and no email is sent to the address any more.
#[tokio::test]
async fn an_undeliverable_address_is_shown_to_the_lead_and_the_member() {
    use qi_functions::domain::{address_key, Email, Undeliverable, UndeliverableReason};
    let s = Server::start().await;
    let (_, members) = formed(&s, "100", &["101", "102"]).await;
    let bounced = Email::parse("peer101@example.org").unwrap();
    let u = Undeliverable { address: address_key(&bounced), reason: UndeliverableReason::Bounce, at: now() };
    s.app.store.mark_undeliverable(&u).await.unwrap();
    let page = |token: String| {
        let url = s.url("/api/me/group");
        async move { client().get(url).bearer_auth(token).header("accept", "text/html").send().await.unwrap().text().await.unwrap() }
    };
    let lead = page(members[0].token.clone()).await;
    assert!(lead.contains("We could not deliver email to peer101@example.org. Check the address with them"), "{lead}");
    assert!(!lead.contains("deliver email to peer102"), "only the bouncing address");
    let me = page(members[1].token.clone()).await;
    // The harness's peers read French.
    assert!(me.contains("Nous n’avons pas pu livrer de courriel à peer101@example.org. Demandez à l’équipe du programme"), "{me}");
    let other = page(members[2].token.clone()).await;
    assert!(!other.contains("pas pu livrer"), "another peer is not told about someone else's address");
    // The next email to that address is not sent (it is suppressed); others are.
    let before = mails(&s).len();
    let r = client().post(s.url("/api/me/peers/1/remove")).bearer_auth(&members[0].token).send().await.unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    assert_eq!(mails(&s).len(), before, "no email to the bouncing address");
    let records = s.app.store.list_mail(now()).await.unwrap();
    let suppressed = records.iter().filter(|r| r.state == qi_functions::domain::MailState::Suppressed).count();
    assert_eq!(suppressed, 1, "{records:?}");
    let r = client().post(s.url("/api/me/leave")).bearer_auth(&members[2].token).send().await.unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    assert_eq!(mails(&s).len(), before + 1, "the lead is told that the other peer left");
}
