//! Shared by the functions' benchmarks: requests as the browser sends them,
//! a store wrapper that times the store's own work, and a mailer that keeps
//! the personal links (so peers can authenticate) without doing I/O.
#![allow(dead_code)]
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use qi_functions::domain::*;
use qi_functions::mail::{MailError, Mailer, OutgoingMail};
use qi_functions::store::{CheckOffWrite, CurrentGroup, Store, StoreResult};

pub const ACTIVITIES: [&str; 4] = ["qi_survey", "practice_profile", "chart_review", "data_driven_qi"];

/// Keeps every personal link it is asked to send, with its address.
#[derive(Default)]
pub struct KeepLinks(pub Mutex<Vec<(String, String)>>);

impl KeepLinks {
    /// The newest link sent to `to`.
    pub fn to(&self, to: &str) -> Option<String> {
        self.0.lock().unwrap().iter().rev().find(|(a, _)| a == to).map(|(_, l)| l.clone())
    }
}

#[async_trait]
impl Mailer for KeepLinks {
    async fn send(&self, mail: &OutgoingMail) -> Result<(), MailError> {
        if let Some(l) = &mail.link {
            self.0.lock().unwrap().push((mail.to.to_string(), l.clone()));
        }
        Ok(())
    }
}

/// A store that adds the time spent inside it to a counter.
pub struct Timed<S> {
    pub inner: S,
    pub nanos: AtomicU64,
    pub calls: AtomicU64,
}

impl<S> Timed<S> {
    pub fn new(inner: S) -> Self {
        Timed { inner, nanos: AtomicU64::new(0), calls: AtomicU64::new(0) }
    }
    /// Nanoseconds spent in the store (and calls) since the last take.
    pub fn take(&self) -> (u64, u64) {
        (self.nanos.swap(0, Ordering::Relaxed), self.calls.swap(0, Ordering::Relaxed))
    }
}

macro_rules! timed {
    ($self:ident, $call:expr) => {{
        let t = Instant::now();
        let r = $call.await;
        $self.nanos.fetch_add(t.elapsed().as_nanos() as u64, Ordering::Relaxed);
        $self.calls.fetch_add(1, Ordering::Relaxed);
        r
    }};
}

#[async_trait]
impl<S: Store> Store for Timed<S> {
    async fn import_invitations(&self, list: &InvitationList) -> StoreResult<usize> {
        timed!(self, self.inner.import_invitations(list))
    }
    async fn invitation(&self, cycle: &Cycle, cpso: &Cpso) -> StoreResult<Option<Invitation>> {
        timed!(self, self.inner.invitation(cycle, cpso))
    }
    async fn list_invitations(&self, cycle: Option<&Cycle>) -> StoreResult<Vec<Invitation>> {
        timed!(self, self.inner.list_invitations(cycle))
    }
    async fn get_group(&self, id: &GroupId) -> StoreResult<Group> {
        timed!(self, self.inner.get_group(id))
    }
    async fn group_of(&self, cpso: &Cpso) -> StoreResult<Option<CurrentGroup>> {
        timed!(self, self.inner.group_of(cpso))
    }
    async fn write(&self, w: &Write) -> StoreResult<()> {
        timed!(self, self.inner.write(w))
    }
    async fn check_off(&self, c: &CheckOffWrite) -> StoreResult<Activities> {
        timed!(self, self.inner.check_off(c))
    }
    async fn touch_session(&self, id: &GroupId, slot: u8, session: &CodeHash, now: DateTime<Utc>) -> StoreResult<()> {
        timed!(self, self.inner.touch_session(id, slot, session, now))
    }
    async fn record_data(&self, w: &qi_functions::store::DataWrite) -> StoreResult<()> {
        timed!(self, self.inner.record_data(w))
    }
    async fn mark_reminded(&self, m: &qi_functions::store::ReminderMark) -> StoreResult<bool> {
        timed!(self, self.inner.mark_reminded(m))
    }
    async fn set_reminders(&self, r: &qi_functions::store::ReminderSetting) -> StoreResult<()> {
        timed!(self, self.inner.set_reminders(r))
    }
    async fn add_coaching_request(&self, req: &CoachingRequest, mail: Option<&qi_functions::domain::QueuedMail>) -> StoreResult<()> {
        timed!(self, self.inner.add_coaching_request(req, mail))
    }
    async fn list_coaching_requests(&self) -> StoreResult<Vec<CoachingRequest>> {
        timed!(self, self.inner.list_coaching_requests())
    }
    async fn list_groups(&self) -> StoreResult<Vec<Group>> {
        timed!(self, self.inner.list_groups())
    }
    async fn claim_mail(
        &self,
        id: &str,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> StoreResult<qi_functions::domain::Claim> {
        timed!(self, self.inner.claim_mail(id, holder, now, until))
    }
    async fn settle_mail(&self, id: &str, holder: &str, settle: &qi_functions::domain::Settle, now: DateTime<Utc>) -> StoreResult<bool> {
        timed!(self, self.inner.settle_mail(id, holder, settle, now))
    }
    async fn requeue_mail(&self, id: &str, new_id: &str, now: DateTime<Utc>) -> StoreResult<bool> {
        timed!(self, self.inner.requeue_mail(id, new_id, now))
    }
    async fn list_mail(&self, now: DateTime<Utc>) -> StoreResult<Vec<qi_functions::domain::MailRecord>> {
        timed!(self, self.inner.list_mail(now))
    }
    async fn mark_undeliverable(&self, u: &qi_functions::domain::Undeliverable) -> StoreResult<()> {
        timed!(self, self.inner.mark_undeliverable(u))
    }
    async fn undeliverable(&self, emails: &[qi_functions::domain::Email]) -> StoreResult<Vec<qi_functions::domain::Undeliverable>> {
        timed!(self, self.inner.undeliverable(emails))
    }
    async fn clear_undeliverable(&self, email: &qi_functions::domain::Email) -> StoreResult<bool> {
        timed!(self, self.inner.clear_undeliverable(email))
    }
}

/// The invitation list: leads 100000 + g for g in 0..groups.
pub fn invitations(groups: usize, cycle: &Cycle) -> InvitationList {
    let mut csv = String::from("cpso,name,email\n");
    for g in 0..groups {
        csv.push_str(&format!("{},Lead {g},lead{g}@example.org\n", lead_cpso(g)));
    }
    InvitationList::parse_csv(&csv, cycle).unwrap_or_else(|e| panic!("{e:?}"))
}

pub fn lead_cpso(g: usize) -> usize {
    100_000 + g
}

/// A sign-up form (as the no-JavaScript page posts it) with two peers.
pub fn sign_up_form(g: usize) -> String {
    let mut f = form_urlencoded::Serializer::new(String::new());
    f.append_pair("group_name", &format!("Riverside family practice {g}"));
    f.append_pair("practice_setting", "Family health team, urban");
    f.append_pair("lead_cpso", &lead_cpso(g).to_string());
    f.append_pair("lead_name", &format!("Dr. Lead Number {g}"));
    f.append_pair("lead_language", "en");
    for p in 1..=2 {
        f.append_pair(&format!("peer_{p}_cpso"), &(300_000 + 2 * g + p).to_string());
        f.append_pair(&format!("peer_{p}_name"), &format!("Dr. Peer {p} of {g}"));
        f.append_pair(&format!("peer_{p}_email"), &format!("peer{p}.{g}@example.org"));
        f.append_pair(&format!("peer_{p}_language"), if p == 1 { "fr" } else { "en" });
    }
    for p in 3..=6 {
        for k in ["cpso", "name", "email"] {
            f.append_pair(&format!("peer_{p}_{k}"), "");
        }
        f.append_pair(&format!("peer_{p}_language"), "en");
    }
    f.append_pair("website", "");
    f.finish()
}

/// A complete Group PIP form: strengths, improvements, two goals.
pub fn pip_form(target_date: &str) -> String {
    let mut f = form_urlencoded::Serializer::new(String::new());
    f.append_pair("strengths", "We follow up abnormal results within a week and share a call schedule.");
    f.append_pair("improvements", "Colorectal cancer screening is below the regional rate; after-hours access.");
    for (n, kind) in [(1, "practice"), (2, "self_care")] {
        f.append_pair(&format!("goal_{n}_kind"), kind);
        f.append_pair(&format!("goal_{n}_aim"), "Raise screening of eligible patients aged 50 to 74");
        f.append_pair(&format!("goal_{n}_measure"), "Share of eligible patients screened in the last two years");
        f.append_pair(&format!("goal_{n}_baseline"), "52%");
        f.append_pair(&format!("goal_{n}_target"), "70%");
        f.append_pair(&format!("goal_{n}_target_date"), target_date);
        f.append_pair(&format!("goal_{n}_change_ideas"), "EMR reminder; mailed FIT kits; monthly review at team meeting");
    }
    // Goal 1's structured measure, so that data points can be recorded for it.
    for (k, v) in [
        ("measure_kind", "proportion"),
        ("measure_counted", "Eligible patients screened in the last two years, of eligible patients"),
        ("measure_source", "emr_report"),
        ("measure_period", "month"),
        ("measure_direction", "higher_is_better"),
        ("baseline_value", "52"),
        ("target_value", "70"),
    ] {
        f.append_pair(&format!("goal_1_{k}"), v);
    }
    f.finish()
}

pub fn request(method: &str, uri: &str, code: Option<&str>, form: Option<String>) -> http::Request<Bytes> {
    let mut b = http::Request::builder().method(method).uri(uri).header("accept", "application/json");
    if let Some(c) = code {
        b = b.header("authorization", format!("Bearer {c}"));
    }
    match form {
        Some(body) => b.header("content-type", "application/x-www-form-urlencoded").body(Bytes::from(body)).unwrap(),
        None => b.body(Bytes::new()).unwrap(),
    }
}

/// The code in a personal link `.../api/access?code=CODE`.
pub fn code_of(link: &str) -> String {
    link.split("code=").nth(1).expect("a personal link").to_string()
}

pub fn json_of(resp: &http::Response<Bytes>) -> serde_json::Value {
    serde_json::from_slice(resp.body()).unwrap_or(serde_json::Value::Null)
}

/// A group made by the benchmark: its id and every member's session token (slot order).
pub struct Made {
    pub id: String,
    pub codes: Vec<String>,
}

/// Propose group `g` through the handler (202); the lead's access code.
pub async fn propose(app: &qi_functions::App, links: &Arc<KeepLinks>, g: usize) -> String {
    let resp = qi_functions::handle(app, request("POST", "/api/groups", None, Some(sign_up_form(g)))).await;
    assert_eq!(resp.status(), 202, "sign-up {g}: {}", String::from_utf8_lossy(resp.body()));
    code_of(&links.to(&format!("lead{g}@example.org")).expect("the lead on file is emailed"))
}

/// Exchange an access code for a session token.
pub async fn session(app: &qi_functions::App, code: &str) -> String {
    let resp = qi_functions::handle(app, request("POST", "/api/access", None, Some(format!("code={code}")))).await;
    assert_eq!(resp.status(), 200, "sign-in: {}", String::from_utf8_lossy(resp.body()));
    json_of(&resp)["session"].as_str().unwrap().to_string()
}

/// A POST with no fields by `token`, which must answer 200.
pub async fn act(app: &qi_functions::App, path: &str, token: &str) {
    let resp = qi_functions::handle(app, request("POST", path, Some(token), Some(String::new()))).await;
    assert_eq!(resp.status(), 200, "{path}: {}", String::from_utf8_lossy(resp.body()));
}

/// The peer `p` (1 or 2) of group `g` signs in with their invitation and accepts.
pub async fn accept(app: &qi_functions::App, links: &Arc<KeepLinks>, g: usize, p: usize) -> String {
    let code = code_of(&links.to(&format!("peer{p}.{g}@example.org")).expect("the peer is invited"));
    let token = session(app, &code).await;
    act(app, "/api/me/invitation/accept", &token).await;
    token
}

/// Form group `g` through the handler: propose, the lead signs in and
/// confirms, both peers sign in and accept.
pub async fn sign_up(app: &qi_functions::App, links: &Arc<KeepLinks>, g: usize) -> Made {
    let lead_code = propose(app, links, g).await;
    let id = lead_code.split('.').next().unwrap().to_string();
    let lead = session(app, &lead_code).await;
    act(app, "/api/me/proposal/confirm", &lead).await;
    let mut codes = vec![lead];
    for p in 1..=2 {
        codes.push(accept(app, links, g, p).await);
    }
    Made { id, codes }
}
