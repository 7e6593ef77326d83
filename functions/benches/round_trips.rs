//! DynamoDB round trips per HTTP operation (`cargo bench -p qi-functions
//! --bench round_trips`), against a DynamoDB-compatible server: the
//! endpoint in QI_TEST_DYNAMODB_ENDPOINT (scripts/bench/functions starts
//! moto_server). Each request goes through the shared handler with a
//! DynamoStore whose client counts every request it sends (the
//! `RoundTripCounter` interceptor: attempts, retries included).
#[path = "support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::sync::Arc;

use aws_sdk_dynamodb::config::{Credentials, Region};
use qi_functions::domain::{Credits, SystemClock};
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
    let app = App {
        store: store.clone(),
        mailer: links.clone(),
        config: Config::new("https://qi.example.org", cycle),
        credits: Credits::embedded(),
        clock: Arc::new(SystemClock),
    };
    let today = chrono::Utc::now().date_naive();
    let done_on = (today - chrono::Duration::days(3)).to_string();
    let target = (today + chrono::Duration::days(200)).to_string();

    let mut rows: Vec<(&str, u64, Option<u64>, String)> = Vec::new();
    let mut record = |name: &'static str, target: Option<u64>| {
        let c = counter.take();
        rows.push((name, c.values().sum(), target, show(&c)));
    };

    let (g, _) = sign_up(&app, &links, 0).await;
    record("sign-up (POST /api/groups)", Some(1));

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
    record("PIP draft save (POST /api/me/pip)", None);

    let r = qi_functions::handle(&app, request("POST", "/api/me/pip/submit", Some(&g.codes[2]), Some(pip_form(&target)))).await;
    assert_eq!(r.status(), 200, "{}", String::from_utf8_lossy(r.body()));
    record("PIP submit (POST /api/me/pip/submit)", Some(2));

    println!("DynamoDB round trips per request (moto_server, counted by the SDK interceptor)");
    println!("| request | round trips | target | requests sent |");
    println!("|---|---:|---:|---|");
    let mut missed = Vec::new();
    for (name, n, target, detail) in &rows {
        let t = target
            .map(|t| if *name == "PIP submit (POST /api/me/pip/submit)" { format!("≤ {t}") } else { t.to_string() })
            .unwrap_or_else(|| "–".into());
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
