//! Handler tests over real HTTP: the shared router behind a TCP listener,
//! talked to with reqwest (JSON and plain form posts).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test, with its message
mod harness;

use std::sync::Arc;

use harness::*;
use qi_functions::store::{Store, StoreError, StoreResult};
use serde_json::{json, Value};

const FORM: &str = "application/x-www-form-urlencoded";

async fn signup(s: &Server, lead: &str, peers: &[&str]) -> (Value, Vec<harness_codes::Member>) {
    let r = client().post(s.url("/api/groups")).json(&signup_json(lead, peers)).send().await.unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let body: Value = r.json().await.unwrap();
    let members = harness_codes::from_outbox(s, &body);
    (body, members)
}

/// Personal links as delivered through the outbox.
mod harness_codes {
    use super::*;
    #[derive(Debug, Clone)]
    pub struct Member {
        #[allow(dead_code)]
        pub role: String,
        pub code: String,
        pub to: String,
    }
    pub fn from_outbox(s: &Server, signup: &Value) -> Vec<Member> {
        let gid = signup["group_id"].as_str().unwrap();
        let list = qi_functions::mail::OutboxMailer::list(&s.outbox).unwrap();
        let mut out: Vec<Member> = list
            .into_iter()
            .filter_map(|e| {
                let link = e.link?;
                let code = code_of(&link);
                code.starts_with(&format!("{gid}.")).then(|| Member {
                    role: if code.starts_with(&format!("{gid}.0.")) { "lead".into() } else { "peer".into() },
                    code,
                    to: e.to,
                })
            })
            .collect();
        out.sort_by_key(|m| m.code.split('.').nth(1).unwrap().parse::<u32>().unwrap());
        out
    }
}

async fn check_off(s: &Server, code: &str, activity: &str, date: &str) -> reqwest::Response {
    let gid = code.split('.').next().unwrap();
    client()
        .post(s.url(&format!("/api/groups/{gid}/activities")))
        .bearer_auth(code)
        .json(&json!({ "activity": activity, "completed_on": date }))
        .send()
        .await
        .unwrap()
}

const ACTIVITIES: [&str; 4] = ["qi_survey", "practice_profile", "chart_review", "data_driven_qi"];

#[tokio::test]
async fn json_flow_sign_up_check_off_submit() {
    let s = Server::start().await;
    let (body, members) = signup(&s, "100", &["101", "102"]).await;
    let gid = body["group_id"].as_str().unwrap().to_string();
    assert_eq!(body["status_url"], format!("/api/groups/{gid}"));
    let lead_link = body["lead_link"].as_str().unwrap();
    assert!(lead_link.starts_with(&format!("{}/api/access?code={gid}.0.", s.base)));
    // Each member got their own link by email; the response shows only the lead's.
    assert_eq!(members.len(), 3);
    assert_eq!(members[0].code, code_of(lead_link));
    assert!(members[1].to.contains("peer101@example.org"));
    assert!(!body.to_string().contains(&members[1].code));

    // The outbox listing of the dev server.
    let outbox: Value = client().get(s.url("/api/outbox")).send().await.unwrap().json().await.unwrap();
    assert_eq!(outbox.as_array().unwrap().len(), 3);
    for k in ["to", "subject", "link", "sent_at", "file"] {
        assert!(outbox[0].get(k).is_some(), "outbox entry has {k}");
    }

    // /api/me
    let me: Value = client().get(s.url("/api/me")).bearer_auth(&members[1].code).send().await.unwrap().json().await.unwrap();
    assert_eq!(me["group_id"], gid.as_str());
    assert_eq!(me["member"]["cpso"], "101");
    assert_eq!(me["member"]["role"], "peer");
    assert_eq!(me["member"]["language"], "fr");

    // Submitting before the activities are done: 409 naming who and what.
    let r = client()
        .post(s.url(&format!("/api/groups/{gid}/pip/submit")))
        .bearer_auth(&members[0].code)
        .json(&complete_pip_json())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["error"], "conflict");
    assert_eq!(e["missing"].as_array().unwrap().len(), 12);
    assert_eq!(e["missing"][0]["cpso"], "100");
    assert_eq!(e["missing"][0]["activity"], "qi_survey");

    // Everyone checks off everything.
    for m in &members {
        for a in ACTIVITIES {
            let r = check_off(&s, &m.code, a, "2026-06-01").await;
            assert_eq!(r.status(), 200);
        }
    }
    let r = check_off(&s, &members[2].code, "chart_review", "2026-06-02").await;
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["activities"]["chart_review"]["completed_on"], "2026-06-02");
    assert_eq!(v["activities"]["qi_survey"]["done"], true);
    assert_eq!(v["credits"]["total"], 18);

    // A future date is refused, naming the field.
    let r = check_off(&s, &members[2].code, "chart_review", "2026-06-16").await;
    assert_eq!(r.status(), 400);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["fields"][0]["field"], "completed_on");

    // Draft (PUT), then status shows it.
    let r = client()
        .put(s.url(&format!("/api/groups/{gid}/pip")))
        .bearer_auth(&members[1].code)
        .json(&json!({ "strengths": "Teamwork", "goals": [ { "kind": "self_care", "aim": "Rest" } ] }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let d: Value = r.json().await.unwrap();
    assert_eq!(d["state"], "draft");
    assert_eq!(d["goals"][0]["kind"], "self_care");
    // Submitting the saved draft: two self-care goals / one goal is not enough (400).
    let r = client()
        .post(s.url(&format!("/api/groups/{gid}/pip/submit")))
        .bearer_auth(&members[1].code)
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let e: Value = r.json().await.unwrap();
    assert!(e["fields"].as_array().unwrap().iter().any(|f| f["field"] == "goals"), "{e}");
    // Two self-care goals alone are not enough either.
    let mut two_self_care = complete_pip_json();
    two_self_care["goals"][0]["kind"] = json!("self_care");
    let r = client()
        .post(s.url(&format!("/api/groups/{gid}/pip/submit")))
        .bearer_auth(&members[1].code)
        .json(&two_self_care)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let e: Value = r.json().await.unwrap();
    assert!(e["fields"][0]["message"].as_str().unwrap().contains("at most one"), "{e}");

    // Submit with a body: saved and submitted at once.
    let r = client()
        .post(s.url(&format!("/api/groups/{gid}/pip/submit")))
        .bearer_auth(&members[2].code)
        .json(&complete_pip_json())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["submitted_on"], TODAY);
    assert_eq!(v["requirement_met_until"], "2031-06-15");

    // One PIP per group; no un-checking afterwards.
    let r = client()
        .post(s.url(&format!("/api/groups/{gid}/pip/submit")))
        .bearer_auth(&members[0].code)
        .json(&complete_pip_json())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    let r = client()
        .post(s.url(&format!("/api/groups/{gid}/activities")))
        .bearer_auth(&members[0].code)
        .json(&json!({ "activity": "qi_survey", "done": false }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);

    // Status: members, activities, PIP, credits.
    let st: Value =
        client().get(s.url(&format!("/api/groups/{gid}"))).bearer_auth(&members[0].code).send().await.unwrap().json().await.unwrap();
    assert_eq!(st["group_id"], gid.as_str());
    assert_eq!(st["members"].as_array().unwrap().len(), 3);
    assert_eq!(st["members"][0]["role"], "lead");
    assert_eq!(st["members"][1]["name"], "Dr. Peer Person101");
    assert_eq!(st["pip"]["state"], "submitted");
    assert_eq!(st["pip"]["requirement_met_until"], "2031-06-15");
    assert_eq!(st["pip"]["counting_goals"], 2);
    assert!(st["pip"]["missing"].as_array().unwrap().is_empty());
    // 6+6+6 (activities, QI Survey 0) + 6 (PIP) + 2×5 (goals) = 34
    assert_eq!(st["members"][0]["credits"]["total"], 34);
    let me_status: Value = client().get(s.url("/api/me/status")).bearer_auth(&members[1].code).send().await.unwrap().json().await.unwrap();
    assert_eq!(me_status, st);

    // Once submitted the group is closed: the lead can form a new group.
    let (_, again) = signup(&s, "100", &["101"]).await;
    assert_eq!(again.len(), 2);
}

#[tokio::test]
async fn plain_form_flow_with_redirects_and_cookies() {
    let s = Server::start().await;
    let b = browser();
    let form = "group_name=North+Bay+QI&practice_setting=Clinic&lead_cpso=200&lead_name=Dr+A&lead_email=a%40example.org&lead_language=en\
                &peer_1_cpso=201&peer_1_name=Dr+B&peer_1_email=b%40example.org&peer_1_language=fr\
                &peer_2_cpso=&peer_2_name=&peer_2_email=&peer_2_language=en&website=";
    let r = b.post(s.url("/api/groups")).header("content-type", FORM).body(form).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/groups/sign-up/done/");
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.starts_with("qi_access="));
    for part in ["Path=/api", "HttpOnly", "SameSite=Lax", "Max-Age=31536000"] {
        assert!(cookie.contains(part), "{cookie}");
    }
    assert!(!cookie.contains("Secure"), "http base URL: no Secure");
    assert_eq!(r.headers()["cache-control"], "no-store");
    assert_eq!(r.headers()["referrer-policy"], "no-referrer");
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");

    // The lead's cookie works for /api/me and for form check-offs.
    let me: Value = b.get(s.url("/api/me")).send().await.unwrap().json().await.unwrap();
    assert_eq!(me["member"]["cpso"], "200");
    let r = b
        .post(s.url("/api/me/activities"))
        .header("content-type", FORM)
        .body("activity=practice_profile&completed_on=2026-06-10&done=true")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/me/?saved=practice_profile");

    // A peer follows their emailed link: 303 to /me/ with their own cookie.
    let gid = me["group_id"].as_str().unwrap();
    let list = qi_functions::mail::OutboxMailer::list(&s.outbox).unwrap();
    let peer_link = list.iter().filter_map(|e| e.link.clone()).find(|l| l.contains(&format!("{gid}.1."))).unwrap();
    let peer = browser();
    let r = peer.get(&peer_link).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/me/");
    assert_eq!(r.headers()["referrer-policy"], "no-referrer");
    let me: Value = peer.get(s.url("/api/me")).send().await.unwrap().json().await.unwrap();
    assert_eq!(me["member"]["cpso"], "201");

    // Pasting the code (POST /api/access) works too.
    let paster = browser();
    let r =
        paster.post(s.url("/api/access")).header("content-type", FORM).body(format!("code={}", code_of(&peer_link))).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let me: Value = paster.get(s.url("/api/me")).send().await.unwrap().json().await.unwrap();
    assert_eq!(me["member"]["cpso"], "201");

    // A form error: HTML page listing each error by field, link back to the Referer.
    let r = peer
        .post(s.url("/api/me/activities"))
        .header("content-type", FORM)
        .header("referer", format!("{}/me/?x=1", s.base))
        .body("activity=juggling&completed_on=2026-13-01&done=true")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let html = r.text().await.unwrap();
    assert!(html.contains("<h1>"), "{html}");
    assert!(html.contains("<li><a href=\"/me/?x=1#activity\">Activity: "), "{html}");
    assert!(html.contains("<li><a href=\"/me/?x=1#completed_on\">Date completed: "), "{html}");
    assert!(html.contains("Go back to the form"));

    // PIP by form: save (action=save) then submit (action=submit) refused while activities are missing.
    let pip_form = "strengths=Team&improvements=Recall&goal_1_kind=practice&goal_1_aim=A&goal_1_measure=M&goal_1_baseline=B&goal_1_target=T&goal_1_target_date=2027-01-01&goal_1_change_ideas=C\
                    &goal_2_kind=practice&goal_2_aim=A2&goal_2_measure=M2&goal_2_baseline=B2&goal_2_target=T2&goal_2_target_date=2027-01-01&goal_2_change_ideas=C2\
                    &goal_3_kind=&goal_3_aim=&goal_3_measure=&goal_3_baseline=&goal_3_target=&goal_3_target_date=&goal_3_change_ideas=";
    let r = peer.post(s.url("/api/me/pip")).header("content-type", FORM).body(format!("{pip_form}&action=save")).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/me/pip/saved/");
    let r = peer.post(s.url("/api/me/pip")).header("content-type", FORM).body(format!("{pip_form}&action=submit")).send().await.unwrap();
    assert_eq!(r.status(), 409);
    let html = r.text().await.unwrap();
    assert!(html.contains("Group activities: Dr A (CPSO 200) has not completed the QI Survey"), "{html}");
    // Complete everything by form, then submit by form.
    for (client, who) in [(&b, "lead"), (&peer, "peer")] {
        for a in ACTIVITIES {
            let r = client
                .post(s.url("/api/me/activities"))
                .header("content-type", FORM)
                .body(format!("activity={a}&completed_on=2026-06-11"))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 303, "{who} {a}");
        }
    }
    let r = peer.post(s.url("/api/me/pip")).header("content-type", FORM).body(format!("{pip_form}&action=submit")).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/me/pip/submitted/");
    let st: Value = peer.get(s.url("/api/me/status")).header("accept", "application/json").send().await.unwrap().json().await.unwrap();
    assert_eq!(st["pip"]["state"], "submitted");
    // The no-JavaScript status page.
    let r = peer.get(s.url("/api/me/status")).header("accept", "text/html,application/xhtml+xml").send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let html = r.text().await.unwrap();
    assert!(html.contains("<h1>Group progress: North Bay QI</h1>"), "{html}");
    assert!(html.contains("<td>Done 2026-06-11</td>"));
    assert!(html.contains("met until 2031-06-15"));
    assert_eq!(st["pip"]["goals"].as_array().unwrap().len(), 2);

    // Coaching by form.
    let r = peer
        .post(s.url("/api/coaching"))
        .header("content-type", FORM)
        .body("topic=measurement&message=How+do+we+measure%3F")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/support/ask/done/");
    assert_eq!(s.app.store.list_coaching_requests().await.unwrap().len(), 1);

    // Logout clears the cookie.
    let r = peer.post(s.url("/api/access/logout")).header("content-type", FORM).body("").send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/");
    assert!(r.headers()["set-cookie"].to_str().unwrap().contains("Max-Age=0"));
    assert_eq!(peer.get(s.url("/api/me")).send().await.unwrap().status(), 401);
}

#[tokio::test]
async fn sign_up_validation_names_fields() {
    let s = Server::start().await;
    let mut body = signup_json("999", &["101", "101"]);
    body["peers"][1]["email"] = json!("not an email");
    body["lead"]["name"] = json!("");
    let r = client().post(s.url("/api/groups")).json(&body).send().await.unwrap();
    assert_eq!(r.status(), 400);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["error"], "validation");
    let fields: Vec<&str> = e["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert!(fields.contains(&"lead_name"), "{fields:?}");
    assert!(fields.contains(&"peer_2_email"), "{fields:?}");
    assert!(fields.contains(&"lead_cpso"), "lead 999 is not invited: {fields:?}");
    assert_eq!(e["fields"][0]["message"].as_str().map(|m| !m.is_empty()), Some(true));
    // Duplicate CPSO and the peer count.
    let r = client().post(s.url("/api/groups")).json(&signup_json("100", &["101", "101"])).send().await.unwrap();
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["fields"][0]["field"], "peer_2_cpso");
    let r = client().post(s.url("/api/groups")).json(&signup_json("100", &[])).send().await.unwrap();
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["fields"][0]["field"], "peer_1_cpso");
    let r = client().post(s.url("/api/groups")).json(&signup_json("100", &["1", "2", "3", "4", "5", "6", "7"])).send().await.unwrap();
    assert_eq!(r.status(), 400);
    // Flat JSON keys work like the form.
    let flat = json!({ "group_name": "G", "practice_setting": "P", "lead_cpso": "100", "lead_name": "L", "lead_email": "l@example.org",
                       "peer_1_cpso": "101", "peer_1_name": "P", "peer_1_email": "p@example.org" });
    let r = client().post(s.url("/api/groups")).json(&flat).send().await.unwrap();
    assert_eq!(r.status(), 201);
    // Nothing was written by the failed attempts.
    assert_eq!(s.app.store.list_groups().await.unwrap().len(), 1);
}

#[tokio::test]
async fn conflict_names_the_member_field() {
    let s = Server::start().await;
    signup(&s, "100", &["101", "102"]).await;
    let r = client().post(s.url("/api/groups")).json(&signup_json("200", &["201", "102"])).send().await.unwrap();
    assert_eq!(r.status(), 409);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["error"], "conflict");
    assert_eq!(e["fields"].as_array().unwrap().len(), 1);
    assert_eq!(e["fields"][0]["field"], "peer_2_cpso");
    // The lead of an open group cannot start another.
    let r = client().post(s.url("/api/groups")).json(&signup_json("100", &["300"])).send().await.unwrap();
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["fields"][0]["field"], "lead_cpso");
    assert_eq!(s.app.store.list_groups().await.unwrap().len(), 1);
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

#[tokio::test]
async fn authorization_rules() {
    let s = Server::start().await;
    let (a, am) = signup(&s, "100", &["101"]).await;
    let (b, bm) = signup(&s, "200", &["201"]).await;
    let (ga, gb) = (a["group_id"].as_str().unwrap(), b["group_id"].as_str().unwrap());

    // No code / a malformed code / a forged code: 401.
    assert_eq!(client().get(s.url(&format!("/api/groups/{ga}"))).send().await.unwrap().status(), 401);
    assert_eq!(client().get(s.url(&format!("/api/groups/{ga}"))).bearer_auth("nonsense").send().await.unwrap().status(), 401);
    let forged = format!("{ga}.1.{}", "A".repeat(43));
    assert_eq!(client().get(s.url("/api/me")).bearer_auth(&forged).send().await.unwrap().status(), 401);
    let r = client().get(s.url("/api/access?code=nonsense")).header("accept", "text/html").send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.headers().get("set-cookie").is_none());
    // Another group's status or check-off: 403.
    assert_eq!(client().get(s.url(&format!("/api/groups/{gb}"))).bearer_auth(&am[0].code).send().await.unwrap().status(), 403);
    let r = client()
        .post(s.url(&format!("/api/groups/{gb}/activities")))
        .bearer_auth(&am[0].code)
        .json(&json!({ "activity": "qi_survey", "completed_on": "2026-06-01" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // Only your own activities: naming another member's CPSO is refused.
    let r = client()
        .post(s.url(&format!("/api/groups/{ga}/activities")))
        .bearer_auth(&am[0].code)
        .json(&json!({ "activity": "qi_survey", "completed_on": "2026-06-01", "cpso": "101" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let st = s.app.store.get_group(&qi_functions::domain::GroupId::parse(ga).unwrap()).await.unwrap();
    assert!(st.members[1].activities.0.is_empty());
    // The code in a body field works for a member's own group.
    let r = client()
        .post(s.url(&format!("/api/groups/{gb}/activities")))
        .json(&json!({ "activity": "qi_survey", "completed_on": "2026-06-01", "code": bm[1].code }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // Coaching needs a code.
    let r = client().post(s.url("/api/coaching")).json(&json!({ "topic": "other", "message": "hi" })).send().await.unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_simultaneous_sign_ups_sharing_a_peer() {
    let s = Arc::new(Server::start().await);
    // Invite 20 leads.
    let csv = format!("cpso\n{}\n", (0..20).map(|i| (7000 + i).to_string()).collect::<Vec<_>>().join("\n"));
    let list = qi_functions::domain::InvitationList::parse_csv(&csv, &qi_functions::domain::Cycle::parse("2026").unwrap()).unwrap();
    s.app.store.import_invitations(&list).await.unwrap();
    let barrier = Arc::new(tokio::sync::Barrier::new(20));
    let mut tasks = Vec::new();
    for i in 0..20 {
        let (s, barrier) = (s.clone(), barrier.clone());
        tasks.push(tokio::spawn(async move {
            let body = signup_json(&(7000 + i).to_string(), &["999", &(8000 + i).to_string()]);
            let c = client();
            barrier.wait().await;
            c.post(s.url("/api/groups")).json(&body).send().await.unwrap().status().as_u16()
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    statuses.sort();
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 19, "{statuses:?}");
    assert_eq!(s.app.store.list_groups().await.unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn four_members_check_off_four_activities_at_once() {
    let s = Arc::new(Server::start().await);
    let (body, members) = signup(&s, "100", &["101", "102", "103"]).await;
    let barrier = Arc::new(tokio::sync::Barrier::new(16));
    let mut tasks = Vec::new();
    for (mi, m) in members.iter().enumerate() {
        for (ai, a) in ACTIVITIES.into_iter().enumerate() {
            let (s, barrier, code) = (s.clone(), barrier.clone(), m.code.clone());
            let date = format!("2026-05-{:02}", 1 + mi * 4 + ai);
            tasks.push(tokio::spawn(async move {
                barrier.wait().await;
                check_off(&s, &code, a, &date).await.status().as_u16()
            }));
        }
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), 200);
    }
    let gid = body["group_id"].as_str().unwrap();
    let st: Value =
        client().get(s.url(&format!("/api/groups/{gid}"))).bearer_auth(&members[0].code).send().await.unwrap().json().await.unwrap();
    for (mi, m) in st["members"].as_array().unwrap().iter().enumerate() {
        for (ai, a) in ACTIVITIES.into_iter().enumerate() {
            assert_eq!(m["activities"][a]["completed_on"], format!("2026-05-{:02}", 1 + mi * 4 + ai));
        }
    }
    assert!(st["pip"]["missing"].as_array().unwrap().is_empty());
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
async fn mail_failure_does_not_undo_the_group() {
    let s = Server::start_with(|_, _| Arc::new(FailingMailer)).await;
    let r = client().post(s.url("/api/groups")).json(&signup_json("100", &["101"])).send().await.unwrap();
    assert_eq!(r.status(), 201);
    assert_eq!(s.app.store.list_groups().await.unwrap().len(), 1);
}

struct Throttled(Arc<dyn Store>);
#[async_trait::async_trait]
impl Store for Throttled {
    async fn import_invitations(&self, l: &qi_functions::domain::InvitationList) -> StoreResult<usize> {
        self.0.import_invitations(l).await
    }
    async fn is_invited(&self, c: &qi_functions::domain::Cycle, p: &qi_functions::domain::Cpso) -> StoreResult<bool> {
        self.0.is_invited(c, p).await
    }
    async fn list_invitations(&self, c: Option<&qi_functions::domain::Cycle>) -> StoreResult<Vec<qi_functions::domain::Invitation>> {
        self.0.list_invitations(c).await
    }
    async fn create_group(&self, _: &qi_functions::domain::Group) -> StoreResult<()> {
        Err(StoreError::Throttled)
    }
    async fn get_group(&self, _: &qi_functions::domain::GroupId) -> StoreResult<qi_functions::domain::Group> {
        Err(StoreError::Throttled)
    }
    async fn open_group_of(&self, c: &qi_functions::domain::Cpso) -> StoreResult<Option<qi_functions::domain::GroupId>> {
        self.0.open_group_of(c).await
    }
    async fn set_activity(
        &self,
        _: &qi_functions::domain::GroupId,
        _: &qi_functions::domain::Cpso,
        _: qi_functions::domain::Activity,
        _: Option<chrono::NaiveDate>,
    ) -> StoreResult<qi_functions::domain::Activities> {
        Err(StoreError::Throttled)
    }
    async fn save_pip_draft(&self, _: &qi_functions::domain::GroupId, _: &qi_functions::domain::PipDraft) -> StoreResult<()> {
        Err(StoreError::Throttled)
    }
    async fn submit_pip(
        &self,
        _: &qi_functions::domain::GroupId,
        _: &qi_functions::domain::PipDraft,
        _: chrono::NaiveDate,
    ) -> StoreResult<()> {
        Err(StoreError::Throttled)
    }
    async fn add_coaching_request(&self, _: &qi_functions::domain::CoachingRequest) -> StoreResult<()> {
        Err(StoreError::Throttled)
    }
    async fn list_coaching_requests(&self) -> StoreResult<Vec<qi_functions::domain::CoachingRequest>> {
        self.0.list_coaching_requests().await
    }
    async fn list_groups(&self) -> StoreResult<Vec<qi_functions::domain::Group>> {
        self.0.list_groups().await
    }
}

#[tokio::test]
async fn throttled_store_gives_503_with_retry_after() {
    let s = Server::start_full(|st| Arc::new(Throttled(st)), |_, m| m).await;
    let r = client().post(s.url("/api/groups")).json(&signup_json("100", &["101"])).send().await.unwrap();
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
    // The page's own form, not the site header's search form.
    let main = main_of(html);
    let form = &main[main.find("<form").unwrap()..main.find("</form>").unwrap()];
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
    let (_, members) = signup(&s, "300", &["301"]).await;
    let (lead, peer) = (&members[0].code, &members[1].code);
    let html_get = |path: &str, code: &str| client().get(s.url(path)).bearer_auth(code).header("accept", "text/html").send();

    // Without a code: 401.
    assert_eq!(client().get(s.url("/api/me/pip")).header("accept", "text/html").send().await.unwrap().status(), 401);
    assert_eq!(client().get(s.url("/api/me/activities")).header("accept", "text/html").send().await.unwrap().status(), 401);

    // An empty plan: every goal row up to the maximum, no values.
    let r = html_get("/api/me/pip", lead).await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    assert_eq!(r.headers()["cache-control"], "no-store");
    let html = r.text().await.unwrap();
    assert_eq!(html.matches("<h1>").count(), 1);
    assert!(html.contains("<legend>Goal <span data-qi-n>10</span></legend>") && !html.contains("goal_11_"), "{html}");
    assert!(html.contains("No draft has been saved yet"));
    assert!(html.contains("<form class=\"qi-form\" method=\"post\" action=\"/api/me/pip\">"));
    assert!(html.contains("name=\"action\" value=\"save\"") && html.contains("name=\"action\" value=\"submit\""));
    assert!(html.contains("Dr. Peer Person301: QI Survey"), "missing list names member and activity: {html}");

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
    set(&mut fields, "goal_1_target_date", "2027-06-30");
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
    assert!(html.contains("name=\"goal_1_target_date\" value=\"2027-06-30\""));
    assert!(html.contains("name=\"goal_1_kind\" value=\"practice\" checked>"));
    assert!(!html.contains("name=\"goal_2_kind\" value=\"practice\" checked"));
    assert!(html.contains("Goals that count in the saved draft: 1 of the 2 needed"));

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
    assert!(html.contains("0 of 4 done"), "{html}");
    assert_eq!(html.matches("action=\"/api/me/activities\"").count(), 4);
    assert!(html.contains("name=\"done\" value=\"true\"") && html.contains("name=\"done\" value=\"false\""));
    let r = client()
        .post(s.url("/api/me/activities"))
        .bearer_auth(peer)
        .header("content-type", FORM)
        .body("from=page&activity=chart_review&completed_on=2026-06-01&done=true")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/api/me/activities?saved=chart_review");
    let html = html_get("/api/me/activities?saved=chart_review", peer).await.unwrap().text().await.unwrap();
    assert!(html.contains("1 of 4 done"));
    assert!(html.contains("Done on 2026-06-01."));
    assert!(html.contains("name=\"completed_on\" value=\"2026-06-01\""));
    assert!(html.contains("Saved: Self-Guided Chart Review."), "{html}");
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
        ("goal_2_target_date", "2027-01-31"),
        ("goal_2_change_ideas", "Block the calendar"),
    ] {
        set(&mut fields, k, v);
    }
    set(&mut fields, "goal_1_kind", "practice");
    fields.push(("action".into(), "submit".into()));
    let r = client().post(s.url("/api/me/pip")).bearer_auth(lead).header("content-type", FORM).body(encode(&fields)).send().await.unwrap();
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    assert_eq!(r.headers()["location"], "/api/me/pip?submitted=1");
    let html = html_get("/api/me/pip?submitted=1", peer).await.unwrap().text().await.unwrap();
    assert!(html.contains("met until 2031-06-15"), "{html}");
    assert!(!main_of(&html).contains("<form"));
    assert!(html.contains("Protect lunch breaks"));
    let html = html_get("/api/me/activities", peer).await.unwrap().text().await.unwrap();
    assert!(html.contains("4 of 4 done") && !main_of(&html).contains("<form"));
}
