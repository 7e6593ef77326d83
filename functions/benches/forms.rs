//! Hot paths of a request (`cargo bench -p qi-functions --bench forms`):
//! decoding a form body, validating it into domain values, and whole
//! requests through the shared handler (a rejected sign-up touches no store;
//! a check-off runs on an in-memory SQLite store).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test, with its message
#[path = "support/mod.rs"]
mod support;

use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};
use qi_functions::domain::*;
use qi_functions::http::input::read_fields;
use qi_functions::store::sqlite::SqliteStore;
use qi_functions::store::Store;
use qi_functions::{App, Config};
use support::*;

fn person(f: &qi_functions::http::input::Fields, p: &str) -> PersonDetails {
    PersonDetails {
        cpso: Cpso::parse(f.get(&format!("{p}cpso"))).unwrap(),
        name: PersonName::parse(f.get(&format!("{p}name"))).unwrap(),
        email: Email::parse(f.get(&format!("{p}email"))).unwrap(),
        language: Language::parse(f.get(&format!("{p}language"))).unwrap(),
    }
}

fn decoding(c: &mut Criterion) {
    let form = request("POST", "/api/groups", None, Some(sign_up_form(7)));
    let json_body = serde_json::json!({
        "group_name": "Riverside", "practice_setting": "Family health team",
        "lead": { "cpso": "100007", "name": "Dr. Lead", "language": "en" },
        "peers": [ { "cpso": "300015", "name": "Dr. Peer", "email": "p@example.org", "language": "fr" } ],
        "website": ""
    });
    let json = http::Request::builder()
        .method("POST")
        .uri("/api/groups")
        .header("content-type", "application/json")
        .body(bytes::Bytes::from(json_body.to_string()))
        .unwrap();
    let mut g = c.benchmark_group("decode");
    g.bench_function("sign-up form (urlencoded, 30 fields)", |b| b.iter(|| read_fields(&form).unwrap()));
    g.bench_function("sign-up JSON (nested)", |b| b.iter(|| read_fields(&json).unwrap()));
    g.finish();

    let fields = read_fields(&form).unwrap();
    let target = (chrono::Utc::now().date_naive() + chrono::Duration::days(200)).to_string();
    let pip = read_fields(&request("POST", "/api/me/pip", None, Some(pip_form(&target)))).unwrap();
    let mut g = c.benchmark_group("validate");
    g.bench_function("sign-up: lead and 2 peers into a SignUp", |b| {
        b.iter(|| {
            let peers = (1..=2).map(|n| (n, person(&fields, &format!("peer_{n}_")))).collect();
            SignUp::new(
                GroupName::parse(fields.get("group_name")).unwrap(),
                PracticeSetting::parse(fields.get("practice_setting")).unwrap(),
                LeadDetails {
                    cpso: Cpso::parse(fields.get("lead_cpso")).unwrap(),
                    name: PersonName::parse(fields.get("lead_name")).unwrap(),
                    language: Language::parse(fields.get("lead_language")).unwrap(),
                },
                peers,
            )
            .unwrap()
        })
    });
    g.bench_function("PIP draft with 2 goals", |b| {
        b.iter(|| {
            let goals = (1..=2)
                .map(|n| {
                    let k = |s: &str| pip.get(&format!("goal_{n}_{s}")).to_string();
                    (
                        n,
                        GoalInput {
                            kind: k("kind"),
                            aim: k("aim"),
                            measure: k("measure"),
                            baseline: k("baseline"),
                            target: k("target"),
                            target_date: k("target_date"),
                            change_ideas: k("change_ideas"),
                            ..Default::default()
                        },
                    )
                })
                .collect();
            PipDraft::parse(pip.get("strengths"), pip.get("improvements"), goals).unwrap()
        })
    });
    g.finish();
}

fn handler(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let cycle = qi_functions::env::cycle_from_env().unwrap();
    let store = Arc::new(SqliteStore::open_in_memory().unwrap());
    rt.block_on(store.import_invitations(&invitations(1, &cycle))).unwrap();
    let links = Arc::new(KeepLinks::default());
    let app = App::new(store, links.clone(), Config::new("https://qi.example.org", cycle));
    let made = rt.block_on(sign_up(&app, &links, 0));
    let bad = sign_up_form(1).replace("peer_1_email=peer1.1%40example.org", "peer_1_email=not-an-address");
    assert_ne!(bad, sign_up_form(1));
    let done_on = (chrono::Utc::now().date_naive() - chrono::Duration::days(3)).to_string();
    let mut g = c.benchmark_group("handler");
    g.bench_function("sign-up with a bad email: 400 JSON, no store", |b| {
        b.iter(|| {
            let r = rt.block_on(qi_functions::handle(&app, request("POST", "/api/groups", None, Some(bad.clone()))));
            assert_eq!(r.status(), 400);
            r
        })
    });
    g.bench_function("check-off, in-memory SQLite", |b| {
        b.iter(|| {
            let form = format!("activity=qi_survey&completed_on={done_on}&done=true");
            let r = rt.block_on(qi_functions::handle(&app, request("POST", "/api/me/activities", Some(&made.codes[0]), Some(form))));
            assert_eq!(r.status(), 200);
            r
        })
    });
    g.finish();
}

criterion_group!(benches, decoding, handler);
criterion_main!(benches);
