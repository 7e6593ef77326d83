//! DynamoDB round trips per HTTP operation (`cargo bench -p qi-functions
//! --bench round_trips`), against a DynamoDB-compatible server: the
//! endpoint in QI_TEST_DYNAMODB_ENDPOINT (scripts/bench/functions starts
//! moto_server). Each request goes through the shared handler with a
//! DynamoStore whose client counts every request it sends (the
//! `RoundTripCounter` interceptor: attempts, retries included).
//!
//! A request that changes a group reads it once (its session is checked on
//! that read, and the write is conditioned on the version read) and writes
//! it in one transaction: 2. A sign-up reads the lead's invitation and
//! writes the proposal: 2. A check-off is one conditional write that checks
//! the session itself: 1. Status is one Query: 1. A data point is the
//! sign-in read (the point is checked against the goal's measure it holds)
//! and one conditional UpdateItem of the member's own record: 2 (the write
//! itself, one round trip, is also asserted in tests/store_round_trips.rs).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test, with its message
#[path = "support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::sync::Arc;

use aws_sdk_dynamodb::config::{Credentials, Region};
use chrono::Datelike;

use qi_functions::store::dynamo::{client_with_counter, DynamoStore, RoundTripCounter};
use qi_functions::store::schema::{self, CreateOptions};
use qi_functions::store::Store;
use qi_functions::{App, Config};
use support::*;

fn show(counts: &BTreeMap<String, u64>) -> String {
    counts.iter().map(|(op, n)| format!("{n} {op}")).collect::<Vec<_>>().join(" + ")
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let Ok(endpoint) = std::env::var("QI_TEST_DYNAMODB_ENDPOINT") else {
        eprintln!("round_trips: QI_TEST_DYNAMODB_ENDPOINT is not set (scripts/bench/functions starts moto_server and sets it)");
        std::process::exit(1);
    };
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(Region::new(std::env::var("AWS_REGION").unwrap_or_else(|_| "ca-central-1".into())))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new("test", "test", None, None, "static"))
        .load()
        .await;
    let counter = RoundTripCounter::new();
    let client = client_with_counter(&sdk, &counter);
    let table = format!("qi-bench-{}", std::process::id());
    schema::create_table(&client, &table, CreateOptions { deletion_protection: false, point_in_time_recovery: false })
        .await
        .expect("create the table");
    let store = Arc::new(DynamoStore::new(client, table));
    let cycle = qi_functions::env::cycle_from_env().unwrap();
    store.import_invitations(&invitations(3, &cycle)).await.unwrap();
    counter.take();
    let links = Arc::new(KeepLinks::default());
    let app = App::new(store.clone(), links.clone(), Config::new("https://qi.example.org", cycle));
    let today = chrono::Utc::now().date_naive();
    let done_on = (today - chrono::Duration::days(3)).to_string();
    let target = (today + chrono::Duration::days(200)).to_string();

    let mut rows: Vec<(&str, u64, Option<u64>, String)> = Vec::new();
    let mut record = |name: &'static str, target: Option<u64>| {
        let c = counter.take();
        rows.push((name, c.values().sum(), target, show(&c)));
    };

    let lead_code = propose(&app, &links, 0).await;
    record("sign-up (POST /api/groups)", Some(2));
    let lead = session(&app, &lead_code).await;
    record("sign-in (POST /api/access)", Some(2));
    act(&app, "/api/me/proposal/confirm", &lead).await;
    record("confirm (POST /api/me/proposal/confirm)", Some(2));
    let mut codes = vec![lead];
    for p in 1..=2 {
        let code = code_of(&links.to(&format!("peer{p}.0@example.org")).unwrap());
        let token = session(&app, &code).await;
        counter.take();
        act(&app, "/api/me/invitation/accept", &token).await;
        if p == 1 {
            record("accept (POST /api/me/invitation/accept)", Some(2));
        }
        codes.push(token);
    }
    counter.take();
    let g = Made { id: lead_code.split('.').next().unwrap().to_string(), codes };

    let mut first = true;
    for code in &g.codes {
        for a in ACTIVITIES {
            let form = format!("activity={a}&completed_on={done_on}&done=true");
            let r = qi_functions::handle(&app, request("POST", "/api/me/activities", Some(code), Some(form))).await;
            assert_eq!(r.status(), 200, "{}", String::from_utf8_lossy(r.body()));
            if first {
                record("check-off (POST /api/me/activities)", Some(1));
                first = false;
            }
        }
    }
    counter.take();

    let r = qi_functions::handle(&app, request("GET", &format!("/api/groups/{}", g.id), Some(&g.codes[0]), None)).await;
    assert_eq!(r.status(), 200);
    record("status (GET /api/groups/{id})", Some(1));

    let r = qi_functions::handle(&app, request("POST", "/api/me/pip", Some(&g.codes[1]), Some(pip_form(&target)))).await;
    assert_eq!(r.status(), 200, "{}", String::from_utf8_lossy(r.body()));
    record("PIP draft save (POST /api/me/pip)", Some(2));

    let r = qi_functions::handle(&app, request("POST", "/api/me/pip/submit", Some(&g.codes[2]), Some(pip_form(&target)))).await;
    assert_eq!(r.status(), 200, "{}", String::from_utf8_lossy(r.body()));
    record("PIP submit (POST /api/me/pip/submit)", Some(3));

    let last_month = (today.with_day(1).unwrap() - chrono::Duration::days(1)).format("%Y-%m").to_string();
    let form = format!("period={last_month}&numerator=12&denominator=20");
    let r = qi_functions::handle(&app, request("POST", "/api/me/goals/1/points", Some(&g.codes[1]), Some(form))).await;
    assert_eq!(r.status(), 200, "{}", String::from_utf8_lossy(r.body()));
    // The sign-in read (which also gives the goal's measure to check the
    // point against), then the point: ONE conditional UpdateItem.
    record("record a data point (POST /api/me/goals/{id}/points)", Some(2));

    println!("DynamoDB round trips per request (moto_server, counted by the SDK interceptor)");
    println!("| request | round trips | target | requests sent |");
    println!("|---|---:|---:|---|");
    let mut missed = Vec::new();
    for (name, n, target, detail) in &rows {
        let t = target.map(|t| format!("≤ {t}")).unwrap_or_else(|| "–".into());
        println!("| {name} | {n} | {t} | {detail} |");
        if let Some(t) = target {
            if n > t {
                missed.push(format!("{name}: {n} > {t}"));
            }
        }
    }
    if missed.is_empty() {
        println!("round-trip targets: met");
    } else {
        println!("round-trip targets MISSED: {}", missed.join("; "));
    }
}
