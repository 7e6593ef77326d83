//! Handler latency on the embedded store (`cargo bench -p qi-functions --bench
//! latency`): 10,000 requests of each kind through the shared handler
//! (`qi_functions::handle`, what both the Lambda functions and `qi serve`
//! run), in process, on an in-memory SQLite store.
//!
//! The handler's own time is the request's wall time minus the time spent
//! inside the store (every store call is timed by a wrapper): decoding the
//! form, validating, authenticating (hashing the access code), routing,
//! building the domain values, encoding the JSON answer. The mailer keeps the
//! links in memory (no I/O). Logging is not initialised (in Lambda each
//! request writes one JSON log line to stdout).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test, with its message
#[path = "support/mod.rs"]
mod support;

use std::sync::Arc;
use std::time::Instant;

use qi_functions::store::sqlite::SqliteStore;
use qi_functions::store::Store;
use qi_functions::{App, Config};
use support::*;

const N: usize = 10_000;

struct Samples {
    name: &'static str,
    handler: Vec<f64>,
    total: Vec<f64>,
    store_calls: u64,
}

impl Samples {
    fn new(name: &'static str) -> Self {
        Samples { name, handler: Vec::with_capacity(N), total: Vec::with_capacity(N), store_calls: 0 }
    }
}

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v[i]
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` passes nothing
    // useful either: a smaller run then keeps the test quick.
    let n = if std::env::args().any(|a| a == "--bench") { N } else { 200 };
    let cycle = qi_functions::env::cycle_from_env().unwrap();
    let store = Arc::new(Timed::new(SqliteStore::open_in_memory().unwrap()));
    store.import_invitations(&invitations(n, &cycle)).await.unwrap();
    store.take();
    let links = Arc::new(KeepLinks::default());
    let app = App::new(store.clone(), links.clone(), Config::new("https://qi.example.org", cycle));
    let today = chrono::Utc::now().date_naive();
    let done_on = (today - chrono::Duration::days(3)).to_string();
    let target = (today + chrono::Duration::days(200)).to_string();

    let mut all = Vec::new();
    macro_rules! measure {
        ($s:expr, $call:expr) => {{
            store.take();
            let t = Instant::now();
            let resp = $call.await;
            let total = t.elapsed().as_secs_f64() * 1e3;
            let (store_ns, calls) = store.take();
            $s.total.push(total);
            $s.handler.push(total - store_ns as f64 / 1e6);
            $s.store_calls += calls;
            resp
        }};
    }

    // Sign-up: n proposals of three (the form with six peer rows, four
    // empty), then each lead signs in and confirms, each peer signs in and
    // accepts.
    let mut s = Samples::new("sign-up (form, 3 members)");
    let mut lead_codes = Vec::with_capacity(n);
    for g in 0..n {
        let resp = measure!(s, qi_functions::handle(&app, request("POST", "/api/groups", None, Some(sign_up_form(g)))));
        assert_eq!(resp.status(), 202, "{}", String::from_utf8_lossy(resp.body()));
        lead_codes.push(code_of(&links.to(&format!("lead{g}@example.org")).expect("the lead is emailed")));
    }
    all.push(s);
    let (mut sign_ins, mut confirms, mut accepts) =
        (Samples::new("sign-in (code → session)"), Samples::new("confirm"), Samples::new("accept"));
    let mut groups = Vec::with_capacity(n);
    for (g, code) in lead_codes.iter().enumerate() {
        let resp = measure!(sign_ins, qi_functions::handle(&app, request("POST", "/api/access", None, Some(format!("code={code}")))));
        let lead = json_of(&resp)["session"].as_str().unwrap().to_string();
        let resp =
            measure!(confirms, qi_functions::handle(&app, request("POST", "/api/me/proposal/confirm", Some(&lead), Some(String::new()))));
        assert_eq!(resp.status(), 200, "{}", String::from_utf8_lossy(resp.body()));
        let mut codes = vec![lead];
        for p in 1..=2 {
            let code = code_of(&links.to(&format!("peer{p}.{g}@example.org")).unwrap());
            let token = session(&app, &code).await;
            let resp = measure!(
                accepts,
                qi_functions::handle(&app, request("POST", "/api/me/invitation/accept", Some(&token), Some(String::new())))
            );
            assert_eq!(resp.status(), 200, "{}", String::from_utf8_lossy(resp.body()));
            codes.push(token);
        }
        groups.push(Made { id: code.split('.').next().unwrap().to_string(), codes });
    }
    links.0.lock().unwrap().clear();
    all.extend([sign_ins, confirms, accepts]);

    // Check-off: n requests, each member checking off their activities in
    // turn (group after group), so about n/12 groups end up complete.
    let mut s = Samples::new("check-off");
    let mut complete = Vec::new();
    'outer: for (gi, g) in groups.iter().enumerate() {
        for code in &g.codes {
            for a in ACTIVITIES {
                if s.total.len() == n {
                    break 'outer;
                }
                let form = format!("activity={a}&completed_on={done_on}&done=true");
                let resp = measure!(s, qi_functions::handle(&app, request("POST", "/api/me/activities", Some(code), Some(form))));
                assert_eq!(resp.status(), 200, "{}", String::from_utf8_lossy(resp.body()));
            }
        }
        complete.push(gi);
    }
    all.push(s);

    let mut s = Samples::new("status (JSON)");
    for i in 0..n {
        let g = &groups[i % groups.len()];
        let resp = measure!(s, qi_functions::handle(&app, request("GET", &format!("/api/groups/{}", g.id), Some(&g.codes[0]), None)));
        assert_eq!(resp.status(), 200);
    }
    all.push(s);

    let mut s = Samples::new("PIP draft save (2 goals)");
    for i in 0..n {
        let g = &groups[i % groups.len()];
        let resp = measure!(s, qi_functions::handle(&app, request("POST", "/api/me/pip", Some(&g.codes[i % 3]), Some(pip_form(&target)))));
        assert_eq!(resp.status(), 200, "{}", String::from_utf8_lossy(resp.body()));
    }
    all.push(s);

    let mut s = Samples::new("PIP submit");
    for &gi in &complete {
        let g = &groups[gi];
        let resp =
            measure!(s, qi_functions::handle(&app, request("POST", "/api/me/pip/submit", Some(&g.codes[1]), Some(pip_form(&target)))));
        assert_eq!(resp.status(), 200, "{}", String::from_utf8_lossy(resp.body()));
    }
    all.push(s);

    println!("Handler latency, in process, embedded SQLite store (in memory); handler = wall time minus time inside the store");
    println!("| request | count | handler p50 | handler p99 | handler max | with store p50 | with store p99 | store calls per request |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    let mut worst_p99: f64 = 0.0;
    for mut s in all {
        let count = s.handler.len();
        let (p50, p99) = (pct(&mut s.handler, 0.5), pct(&mut s.handler, 0.99));
        let max = *s.handler.last().unwrap();
        let (t50, t99) = (pct(&mut s.total, 0.5), pct(&mut s.total, 0.99));
        worst_p99 = worst_p99.max(p99);
        println!(
            "| {} | {count} | {:.3} ms | {:.3} ms | {:.3} ms | {:.3} ms | {:.3} ms | {:.1} |",
            s.name,
            p50,
            p99,
            max,
            t50,
            t99,
            s.store_calls as f64 / count as f64
        );
    }
    println!("target: handler p99 < 1 ms — {}", if worst_p99 < 1.0 { "met" } else { "MISSED" });
}
