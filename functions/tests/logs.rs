//! The request logs of a whole sign-up → confirm → accept → new link → check-off → PIP → submit → coaching
//! flow carry route templates, statuses and request ids, and no personal data.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test, with its message
mod harness;

use std::io::Write;
use std::sync::{Arc, Mutex};

use harness::*;
use serde_json::{json, Value};

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

// current_thread runtime: every task (server included) runs on this thread,
// where the capturing subscriber is the default.
#[tokio::test(flavor = "current_thread")]
async fn logs_hold_no_personal_data() {
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(false)
        .with_span_list(false)
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let s = Server::start().await;
    let (lead, peer) = ("246813", "135791");
    let list = qi_functions::domain::InvitationList::parse_csv(
        &format!("cpso,name,email\n{lead},Dr. Invited Secretname,invited.secret@example.org\n"),
        &qi_functions::domain::Cycle::parse("2026").unwrap(),
    )
    .unwrap();
    s.app.store.import_invitations(&list).await.unwrap();

    let c = client();
    let mut body = signup_json(lead, &[peer]);
    body["group_name"] = json!("Secret Group Zanzibar");
    let r = c.post(s.url("/api/groups")).header("x-request-id", "req-signup-1").json(&body).send().await.unwrap();
    assert_eq!(r.status(), 202);
    let lead_link = link_to(&s, "invited.secret@example.org").unwrap();
    // Follow the link (code in the query string), sign in, confirm, accept.
    let r = c.get(&lead_link).send().await.unwrap();
    assert_eq!(r.status(), 200, "the link opens a page with one button");
    let lead_access = code_of(&lead_link);
    let gid = lead_access.split('.').next().unwrap().to_string();
    let lead_code = sign_in(&s, &lead_access).await;
    assert_eq!(c.post(s.url("/api/me/proposal/confirm")).bearer_auth(&lead_code).send().await.unwrap().status(), 200);
    let peer_access = code_of(&link_to(&s, &format!("peer{peer}@example.org")).unwrap());
    let peer_code = sign_in(&s, &peer_access).await;
    assert_eq!(c.post(s.url("/api/me/invitation/accept")).bearer_auth(&peer_code).send().await.unwrap().status(), 200);
    let r = c
        .post(s.url("/api/access/recover"))
        .json(&json!({ "cpso": peer, "email": format!("peer{peer}@example.org") }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let peer_code = sign_in(&s, &code_of(&link_to(&s, &format!("peer{peer}@example.org")).unwrap())).await;
    for code in [&lead_code, &peer_code] {
        for a in ["qi_survey", "practice_profile", "chart_review", "data_driven_qi"] {
            let r = c
                .post(s.url(&format!("/api/groups/{gid}/activities")))
                .bearer_auth(code)
                .json(&json!({ "activity": a, "completed_on": "2026-06-01" }))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
        }
    }
    let mut pip = complete_pip_json();
    pip["strengths"] = json!("Confidential strength text Quokka");
    pip["goals"][0]["aim"] = json!("Confidential aim Wombat");
    let r = c.put(s.url(&format!("/api/groups/{gid}/pip"))).bearer_auth(&peer_code).json(&pip).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let r = c
        .post(s.url(&format!("/api/groups/{gid}/pip/submit")))
        .bearer_auth(&lead_code)
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = c
        .post(s.url("/api/coaching"))
        .bearer_auth(&peer_code)
        .json(&json!({ "topic": "other", "message": "Private question about Platypus" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    // Some failures too: a bad form, a wrong code, a conflict.
    let r = c.post(s.url("/api/groups")).json(&signup_json(lead, &[peer, peer])).send().await.unwrap();
    assert_eq!(r.status(), 400);
    let r = c.get(s.url(&format!("/api/groups/{gid}"))).bearer_auth(format!("{gid}.0.{}", "B".repeat(43))).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let r = c.get(s.url(&format!("/api/groups/{gid}"))).bearer_auth(&lead_code).send().await.unwrap();
    assert_eq!(r.status(), 200);

    drop(_guard);
    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<Value> = logs.lines().map(|l| serde_json::from_str(l).expect("every log line is JSON")).collect();
    assert!(lines.len() >= 18, "one line per request: {}", lines.len());

    // What must be there.
    let routes: Vec<String> = lines.iter().filter_map(|l| l["route"].as_str().map(str::to_string)).collect();
    for r in [
        "POST /api/groups",
        "GET /api/access",
        "POST /api/access",
        "POST /api/me/proposal/confirm",
        "POST /api/me/invitation/accept",
        "POST /api/access/recover",
        "POST /api/groups/{id}/activities",
        "PUT /api/groups/{id}/pip",
        "POST /api/groups/{id}/pip/submit",
        "POST /api/coaching",
        "GET /api/groups/{id}",
    ] {
        assert!(routes.iter().any(|x| x == r), "a log line for {r}: {routes:?}");
    }
    let first = lines.iter().find(|l| l["request_id"] == "req-signup-1").expect("request id logged");
    assert_eq!(first["status"], 202);
    assert_eq!(first["outcome"], "ok");
    assert!(first["latency_ms"].is_number());
    assert!(lines.iter().any(|l| l["outcome"] == "unauthorized" && l["status"] == 401));

    // What must not be.
    let mut secrets = vec![
        lead.to_string(),
        peer.to_string(),
        gid.clone(),
        lead_code.clone(),
        peer_code.clone(),
        lead_access.clone(),
        peer_access.clone(),
        "Secret Group Zanzibar".into(),
        "Person246813".into(),
        "Person135791".into(),
        "@example.org".into(),
        "Secretname".into(),
        "Quokka".into(),
        "Wombat".into(),
        "Platypus".into(),
        "Family health team".into(),
        "code=".into(),
    ];
    secrets.push(lead_code[gid.len() + 3..].to_string());
    secrets.push(lead_access[gid.len() + 3..].to_string());
    for secret in &secrets {
        assert!(!logs.contains(secret.as_str()), "the logs contain personal data {secret:?}:\n{logs}");
    }
}
