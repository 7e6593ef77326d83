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
        let csv = format!("cpso\n{}\n", INVITED.join("\n"));
        let cycle = Cycle::parse("2026").unwrap();
        store.import_invitations(&InvitationList::parse_csv(&csv, &cycle).unwrap()).await.unwrap();
        let outbox = dir.path().join("outbox");
        let mailer: Arc<dyn Mailer> = Arc::new(OutboxMailer::new(&outbox, "QI Groups <no-reply@qi.test>").unwrap());
        let mailer = wrap_mailer(store.clone(), mailer);
        let store = wrap_store(store);
        // A replacement store gets the same invitations.
        if !store.is_invited(&cycle, &qi_functions::domain::Cpso::parse(INVITED[0]).unwrap()).await.unwrap_or(true) {
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

/// A JSON sign-up body: lead `lead`, peers `peers`.
pub fn signup_json(lead: &str, peers: &[&str]) -> serde_json::Value {
    serde_json::json!({
        "group_name": format!("Lakeshore QI {lead}"),
        "practice_setting": "Family health team",
        "lead": { "cpso": lead, "name": format!("Dr. Lead Person{lead}"), "email": format!("lead{lead}@example.org"), "language": "en" },
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
