//! A real HTTP server around the shared router, for the handler tests:
//! SQLite store and outbox mailer in a temporary directory, a fixed clock.
#![allow(dead_code)]
use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use qi_functions::domain::{Cycle, FixedClock, InvitationList};
use qi_functions::mail::{Mailer, OutboxMailer};
use qi_functions::store::sqlite::SqliteStore;
use qi_functions::store::Store;
use qi_functions::{App, Config};

pub const NOW: &str = "2026-06-15T16:00:00Z";
pub const TODAY: &str = "2026-06-15";
/// Invited leads (cycle 2026).
pub const INVITED: &[&str] = &["100", "200", "300", "400", "500"];

pub struct Server {
    pub base: String,
    pub app: Arc<App>,
    pub dir: tempfile::TempDir,
    pub outbox: PathBuf,
}

pub fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(NOW).unwrap().with_timezone(&Utc)
}

impl Server {
    pub async fn start() -> Server {
        Self::start_with(|_, m| m).await
    }

    /// `wrap` may replace the store and mailer (e.g. with a failing mailer).
    pub async fn start_with(wrap: impl FnOnce(Arc<dyn Store>, Arc<dyn Mailer>) -> Arc<dyn Mailer>) -> Server {
        Self::start_full(|s| s, wrap).await
    }

    /// The same server over another (empty) store, e.g. DynamoDB on moto_server.
    pub async fn start_on(store: Arc<dyn Store>) -> Server {
        Self::start_full(move |_| store, |_, m| m).await
    }

    pub async fn start_full(
        wrap_store: impl FnOnce(Arc<dyn Store>) -> Arc<dyn Store>,
        wrap_mailer: impl FnOnce(Arc<dyn Store>, Arc<dyn Mailer>) -> Arc<dyn Mailer>,
    ) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&dir.path().join("qi.sqlite3")).unwrap());
        let csv = invitations_csv();
        let cycle = Cycle::parse("2026").unwrap();
        store.import_invitations(&InvitationList::parse_csv(&csv, &cycle).unwrap()).await.unwrap();
        let outbox = dir.path().join("outbox");
        let mailer: Arc<dyn Mailer> = Arc::new(OutboxMailer::new(&outbox, "QI Groups <no-reply@qi.test>").unwrap());
        let mailer = wrap_mailer(store.clone(), mailer);
        let store = wrap_store(store);
        // A replacement store gets the same invitations.
        if store.invitation(&cycle, &qi_functions::domain::Cpso::parse(INVITED[0]).unwrap()).await.map(|i| i.is_none()).unwrap_or(false) {
            store.import_invitations(&InvitationList::parse_csv(&csv, &cycle).unwrap()).await.unwrap();
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let mut config = Config::new(&base, cycle);
        config.outbox_dir = Some(outbox.clone());
        let app = Arc::new(App::new(store, mailer, config).with_clock(Arc::new(FixedClock(now()))));
        let for_server = app.clone();
        let router = axum::Router::new().fallback(move |req: axum::extract::Request| {
            let app = for_server.clone();
            async move {
                let (parts, body) = req.into_parts();
                // Generous here: the router itself enforces its 64 KiB limit.
                let bytes: Bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap_or_default();
                let resp = qi_functions::handle(&app, http::Request::from_parts(parts, bytes)).await;
                // The emails the request queued are delivered before it is
                // answered (the dev server's background drainer, made
                // deterministic), so a test reads them straight away.
                let _ = app.deliverer().drain().await;
                let (parts, body) = resp.into_parts();
                axum::response::Response::from_parts(parts, axum::body::Body::from(body))
            }
        });
        tokio::spawn(async move {
            axum::serve(listener, router).await.unwrap();
        });
        Server { base, app, dir, outbox }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

/// A client that does not follow redirects (so tests see the 303s) and keeps cookies.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).cookie_store(true).build().unwrap()
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// The invitation list every test server has: each invited lead's address
/// on file is `onfile{cpso}@example.org`.
pub fn invitations_csv() -> String {
    let rows: Vec<String> = INVITED.iter().map(|c| format!("{c},{}", on_file(c))).collect();
    format!("cpso,email\n{}\n", rows.join("\n"))
}

/// The address on file of invited lead `cpso`.
pub fn on_file(cpso: &str) -> String {
    format!("onfile{cpso}@example.org")
}

/// A JSON sign-up body: lead `lead`, peers `peers` (`peer{cpso}@example.org`).
pub fn signup_json(lead: &str, peers: &[&str]) -> serde_json::Value {
    serde_json::json!({
        "group_name": format!("Lakeshore QI {lead}"),
        "practice_setting": "Family health team",
        "lead": { "cpso": lead, "name": format!("Dr. Lead Person{lead}"), "language": "en" },
        "peers": peers.iter().map(|p| serde_json::json!({
            "cpso": p, "name": format!("Dr. Peer Person{p}"), "email": format!("peer{p}@example.org"), "language": "fr"
        })).collect::<Vec<_>>(),
        "website": ""
    })
}

/// The code in a personal link.
pub fn code_of(link: &str) -> String {
    link.split("code=").nth(1).unwrap().to_string()
}

pub fn complete_pip_json() -> serde_json::Value {
    serde_json::json!({
        "strengths": "Strong team culture and shared EMR",
        "improvements": "Cancer screening recall",
        "goals": [
            { "kind": "practice", "aim": "Raise colorectal screening", "measure": "% of eligible patients up to date",
              "baseline": "52%", "target": "65%", "target_date": "2027-06-30", "change_ideas": "Recall letters; EMR flags" },
            { "kind": "self_care", "aim": "Protect lunch breaks", "measure": "Days per week with a break",
              "baseline": "1", "target": "4", "target_date": "2027-01-31", "change_ideas": "Block the calendar" }
        ]
    })
}

/// Every email in the outbox, newest first.
pub fn mails(s: &Server) -> Vec<qi_functions::mail::OutboxEntry> {
    qi_functions::mail::OutboxMailer::list(&s.outbox).unwrap_or_default()
}

/// The newest personal link sent to `address`, if any.
pub fn link_to(s: &Server, address: &str) -> Option<String> {
    mails(s).into_iter().find(|m| m.to.contains(address) && m.link.is_some()).and_then(|m| m.link)
}

/// Exchange an access code for a session token (JSON `POST /api/access`).
pub async fn sign_in(s: &Server, code: &str) -> String {
    let r = client().post(s.url("/api/access")).json(&serde_json::json!({ "code": code })).send().await.unwrap();
    assert_eq!(r.status(), 200, "signing in: {}", r.text().await.unwrap());
    let body: serde_json::Value = r.json().await.unwrap();
    body["session"].as_str().unwrap().to_string()
}

/// One member of a test group: their address, access code and session token.
#[derive(Debug, Clone)]
pub struct Member {
    pub to: String,
    pub code: String,
    pub token: String,
}

/// Propose (lead `lead`), confirm, and have every peer accept: a formed
/// group. Returns the group id and the members in slot order.
pub async fn formed(s: &Server, lead: &str, peers: &[&str]) -> (String, Vec<Member>) {
    let r = client().post(s.url("/api/groups")).json(&signup_json(lead, peers)).send().await.unwrap();
    assert_eq!(r.status(), 202, "{}", r.text().await.unwrap());
    let lead_code = code_of(&link_to(s, &on_file(lead)).expect("the lead is emailed"));
    let lead_token = sign_in(s, &lead_code).await;
    let r = client().post(s.url("/api/me/proposal/confirm")).bearer_auth(&lead_token).send().await.unwrap();
    assert_eq!(r.status(), 200, "confirming: {}", r.text().await.unwrap());
    let gid = lead_code.split('.').next().unwrap().to_string();
    let mut members = vec![Member { to: on_file(lead), code: lead_code, token: lead_token }];
    for p in peers {
        let to = format!("peer{p}@example.org");
        let code = code_of(&link_to(s, &to).expect("the peer is invited"));
        let token = sign_in(s, &code).await;
        let r = client().post(s.url("/api/me/invitation/accept")).bearer_auth(&token).send().await.unwrap();
        assert_eq!(r.status(), 200, "accepting: {}", r.text().await.unwrap());
        members.push(Member { to, code, token });
    }
    (gid, members)
}
