//! Staff's corrections (`qi admin members …`, `qi admin groups dissolve`) as
//! use cases on a running server's store: each is one atomic write, recorded
//! in the group's trail as "Program staff", and emailed where it concerns
//! someone.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test, with its message
mod harness;

use harness::*;
use qi_functions::app::reminders::{self, ReminderSettings};
use qi_functions::app::{access, membership};
use qi_functions::domain::membership as step;
use qi_functions::domain::{Actor, Cpso, Email, Group, GroupId, PipDraft, Write};
use qi_functions::export;
use serde_json::Value;

async fn group(s: &Server, id: &str) -> Group {
    s.app.store.get_group(&GroupId::parse(id).unwrap()).await.unwrap().as_of(now()).unwrap()
}

fn by_staff(g: &Group) -> usize {
    g.audit.iter().filter(|e| e.by == Actor::Staff).count()
}

#[tokio::test]
async fn staff_reissue_correct_remove_and_dissolve() {
    let s = Server::start().await;
    let (gid, members) = formed(&s, "100", &["101", "102"]).await;
    let app = s.app.as_ref();

    // Reissue: a new link to the address on file; the old code and every session end.
    access::reissue_link(app, group(&s, &gid).await, 1).await.unwrap();
    app.deliverer().drain().await.unwrap(); // what the change queued, delivered
    let link = link_to(&s, "peer101@example.org").unwrap();
    assert_ne!(code_of(&link), members[1].code);
    assert_eq!(client().get(s.url("/api/me")).bearer_auth(&members[1].token).send().await.unwrap().status(), 401);
    let r = client().post(s.url("/api/access")).json(&serde_json::json!({ "code": members[1].code })).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let reissued = sign_in(&s, &code_of(&link)).await;

    // Correct an address (unique within the group), then the reissued link goes there.
    let taken = Email::parse("peer102@example.org").unwrap();
    assert!(membership::correct_email_as_staff(app, group(&s, &gid).await, 1, taken).await.is_err());
    let fixed = Email::parse("dr.101@clinic.example").unwrap();
    membership::correct_email_as_staff(app, group(&s, &gid).await, 1, fixed).await.unwrap();
    app.deliverer().drain().await.unwrap(); // what the change queued, delivered
                                            // The old address may have reached someone else: its link and sessions end,
                                            // and a new link goes to the corrected address.
    let r = client().post(s.url("/api/access")).json(&serde_json::json!({ "code": code_of(&link) })).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(client().get(s.url("/api/me")).bearer_auth(&reissued).send().await.unwrap().status(), 401);
    sign_in(&s, &code_of(&link_to(&s, "dr.101@clinic.example").unwrap())).await;
    access::reissue_link(app, group(&s, &gid).await, 1).await.unwrap();
    app.deliverer().drain().await.unwrap(); // what the change queued, delivered

    // Remove a peer: their lock is released, they are told.
    membership::remove_as_staff(app, group(&s, &gid).await, 2).await.unwrap();
    app.deliverer().drain().await.unwrap(); // what the change queued, delivered
    assert_eq!(s.app.store.group_of(&Cpso::parse("102").unwrap()).await.unwrap(), None);
    assert!(mails(&s).iter().any(|m| m.to.contains("peer102@example.org") && m.link.is_none()));

    // Dissolve: every lock released, check-offs closed.
    membership::dissolve_as_staff(app, group(&s, &gid).await).await.unwrap();
    app.deliverer().drain().await.unwrap(); // what the change queued, delivered
    for c in ["100", "101"] {
        assert_eq!(s.app.store.group_of(&Cpso::parse(c).unwrap()).await.unwrap(), None);
    }
    let g = group(&s, &gid).await;
    assert_eq!(g.phase().key(), "dissolved");
    assert_eq!(by_staff(&g), 5, "reissue, correct, reissue, remove, dissolve: {:?}", g.audit);
    let r = client()
        .post(s.url(&format!("/api/groups/{gid}/activities")))
        .bearer_auth(&members[0].token)
        .json(&serde_json::json!({ "activity": "qi_survey", "completed_on": "2026-06-01" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    let page: Value = client().get(s.url("/api/me/group")).bearer_auth(&members[0].token).send().await.unwrap().json().await.unwrap();
    assert!(page["audit"].as_array().unwrap().iter().any(|e| e["text"] == "Program staff dissolved the group"), "{page}");
}

/// The lead saves a draft whose goal 1 has a monthly proportion measure
/// (straight through the store, as the plan form would). Returns goal 1's id.
async fn define_measure(s: &Server, gid: &str) -> u16 {
    let g = group(s, gid).await;
    let mut d = qi_functions::store::conformance::complete_draft();
    let m = qi_functions::store::conformance::measured_goal_input("2027-03-31");
    d.goals[0].definition = PipDraft::parse("", "", vec![(1, m)]).unwrap().goals[0].definition.clone();
    s.app.store.write(&Write::new(&g, now(), step::save_draft(&g, 0, d, now()).unwrap())).await.unwrap();
    group(s, gid).await.pip.draft().unwrap().goals[0].id
}

async fn record(s: &Server, token: &str, goal: u16, period: &str, numerator: u32) {
    let r = client()
        .post(s.url(&format!("/api/me/goals/{goal}/points")))
        .bearer_auth(token)
        .json(&serde_json::json!({ "period": period, "numerator": numerator.to_string(), "denominator": "10", "note": "" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "recording {period}: {}", r.text().await.unwrap());
}

fn reminder_mails(s: &Server, to: &str) -> Vec<qi_functions::mail::OutboxEntry> {
    let subjects = ["Time to record your QI measures", "Il est temps d'inscrire vos données d'amélioration de la qualité"];
    mails(s).into_iter().filter(|m| m.to.contains(to) && subjects.contains(&m.subject.as_str())).collect()
}

#[tokio::test]
async fn reminders_once_a_period_with_a_neutral_opt_out() {
    let s = Server::start().await;
    let (gid, members) = formed(&s, "100", &["101", "102"]).await;
    let goal = define_measure(&s, &gid).await;
    // Today is 15 June 2026: peer 101 last recorded February (March, April
    // and May missed); peer 102 recorded May; the lead records nothing.
    record(&s, &members[1].token, goal, "2026-01", 3).await;
    record(&s, &members[1].token, goal, "2026-02", 4).await;
    record(&s, &members[2].token, goal, "2026-05", 6).await;
    let app = s.app.as_ref();
    let settings = ReminderSettings::default();

    // A dry run counts and changes nothing.
    let before = mails(&s).len();
    let r = reminders::run(app, &settings, true).await.unwrap();
    assert_eq!((r.due, r.sent), (1, 0), "{r:?}");
    assert_eq!(r.by_goal.into_iter().collect::<Vec<_>>(), vec![((gid.clone(), goal), 1)]);
    assert_eq!(mails(&s).len(), before, "a dry run sends nothing");
    assert_eq!(group(&s, &gid).await.member(1).unwrap().reminders, Default::default(), "and writes nothing");
    // Four periods are needed with a longer setting.
    assert_eq!(reminders::run(app, &ReminderSettings { after_periods: 4 }, true).await.unwrap().due, 0);

    // The run: one email, to peer 101 only, in their language (French, as
    // the harness's peers), with the goal's link and an opt-out link.
    let r = reminders::run(app, &settings, false).await.unwrap();
    app.deliverer().drain().await.unwrap(); // what the change queued, delivered
    assert_eq!((r.due, r.sent, r.skipped, r.store_failed), (1, 1, 0, 0), "{r:?}");
    let sent = reminder_mails(&s, "peer101@example.org");
    assert_eq!(sent.len(), 1, "{:?}", mails(&s).iter().map(|m| (&m.to, &m.subject)).collect::<Vec<_>>());
    assert!(reminder_mails(&s, "peer102@example.org").is_empty() && reminder_mails(&s, &on_file("100")).is_empty());
    let eml = std::fs::read_to_string(s.outbox.join(&sent[0].file)).unwrap();
    assert!(eml.contains(&s.url(&format!("/api/me/goals/{goal}"))), "{eml}");
    assert!(eml.contains("Subject: =?utf-8?") || eml.contains("Subject: Il est temps"), "{eml}");
    assert!(eml.contains("Votre dernière donnée : février 2026, puis 3 périodes sans donnée."), "{eml}");
    assert!(!eml.contains(&members[1].token) && !eml.contains("/api/access"), "no session and no sign-in link in a reminder");
    let opt_out = sent[0].link.clone().unwrap();
    assert!(opt_out.starts_with(&s.url("/api/reminders/opt-out?token=")), "{opt_out}");
    assert!(eml.contains(&opt_out));
    // At most once a period: the next run (or a retry) sends nothing more.
    let r = reminders::run(app, &settings, false).await.unwrap();
    app.deliverer().drain().await.unwrap(); // what the change queued, delivered
    assert_eq!((r.due, r.sent), (0, 0), "{r:?}");
    assert_eq!(reminder_mails(&s, "peer101@example.org").len(), 1);

    // Opening the opt-out link changes nothing: a page with one button.
    let page = browser().get(&opt_out).header("accept", "text/html").send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    let token = opt_out.split("token=").nth(1).unwrap();
    assert!(html.contains("action=\"/api/reminders/opt-out\"") && html.contains(&format!("value=\"{token}\"")), "{html}");
    assert!(!html.contains("Dr. ") && !html.contains("example.org"), "the page names nobody");
    assert!(!group(&s, &gid).await.member(1).unwrap().reminders.off, "a GET changes nothing");

    // The button: reminders off. A well-formed token that is not current gets the very same answer.
    let server = &s;
    let press = |t: String| async move {
        let r = browser().post(server.url("/api/reminders/opt-out")).form(&[("token", t)]).send().await.unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    };
    let (status, done) = press(token.to_string()).await;
    assert_eq!(status, 200, "{done}");
    assert!(done.contains("Reminders stopped"), "{done}");
    assert!(group(&s, &gid).await.member(1).unwrap().reminders.off);
    let forged = format!("{}.1.{}", gid, "A".repeat(43));
    assert_eq!(press(forged).await, (200, done.clone()), "a token that is not the member's: the same answer");
    let nobody = GroupId::generate(&qi_functions::domain::OsRandom).unwrap();
    let stranger = format!("{nobody}.1.{}", "A".repeat(43));
    assert_eq!(press(stranger).await, (200, done.clone()), "no such group: the same answer");
    assert_eq!(press("not-a-token".into()).await.0, 400, "a cut-short link");
    let json: Value = client()
        .post(s.url("/api/reminders/opt-out"))
        .json(&serde_json::json!({ "token": token }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        json["message"],
        "If this link came from one of the member's three latest reminders, their data-entry reminders are now off."
    );

    // Off: no reminder even when one is due (in July, May and June are missed).
    let july = app.clone().with_clock(std::sync::Arc::new(qi_functions::domain::FixedClock(now() + chrono::Duration::days(30))));
    assert_eq!(reminders::run(&july, &settings, false).await.unwrap().due, 0);

    // Signed in, the member turns them back on (JSON), and off again (a form: back to the Measures page).
    let r = client()
        .post(s.url("/api/me/reminders"))
        .bearer_auth(&members[1].token)
        .json(&serde_json::json!({ "reminders": "on" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["reminders"], "on");
    assert!(!group(&s, &gid).await.member(1).unwrap().reminders.off);
    let r = reminders::run(&july, &settings, false).await.unwrap();
    july.deliverer().drain().await.unwrap(); // what the change queued, delivered
    assert_eq!((r.due, r.sent), (1, 1), "July: peer 101 again (peer 102 has missed only June): {r:?}");
    let r = client().post(s.url("/api/me/reminders")).bearer_auth(&members[1].token).form(&[("reminders", "off")]).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/api/me/measures?reminders=off");
    assert!(group(&s, &gid).await.member(1).unwrap().reminders.off);
    let r = client()
        .post(s.url("/api/me/reminders"))
        .bearer_auth(&members[1].token)
        .json(&serde_json::json!({ "reminders": "sometimes" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("\"reminders\""));
    let r = client().post(s.url("/api/me/reminders")).json(&serde_json::json!({ "reminders": "on" })).send().await.unwrap();
    assert_eq!(r.status(), 401, "only the member, signed in");
}

#[tokio::test]
async fn staff_exports_of_measures_carry_no_personal_data() {
    let s = Server::start().await;
    let (gid, members) = formed(&s, "100", &["101"]).await;
    formed(&s, "200", &["201"]).await; // a group that measures nothing
    let goal = define_measure(&s, &gid).await;
    // Ten baseline months at 20%, then, after a PDSA cycle started, eight at 90%: a shift upwards.
    for (i, m) in
        ["2024-11", "2024-12", "2025-01", "2025-02", "2025-03", "2025-04", "2025-05", "2025-06", "2025-07", "2025-08"].iter().enumerate()
    {
        record(&s, &members[1].token, goal, m, if i % 2 == 0 { 2 } else { 3 }).await;
    }
    let r = client()
        .post(s.url(&format!("/api/me/goals/{goal}/cycles")))
        .bearer_auth(&members[1].token)
        .json(&serde_json::json!({ "change_idea": "Allergy prompt", "plan": "Prompt at intake", "prediction": "More recorded", "started_on": "2025-09-01" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    for m in ["2025-09", "2025-10", "2025-11", "2025-12", "2026-01", "2026-02", "2026-03", "2026-04"] {
        record(&s, &members[1].token, goal, m, 9).await;
    }
    let groups = s.app.store.list_groups().await.unwrap();
    let csv = export::measures_csv(&groups);
    let lines: Vec<&str> = csv.trim_end().split("\r\n").collect();
    assert_eq!(lines.len(), 2, "a header and the one goal with a measure: {csv}");
    assert_eq!(
        lines[0],
        "group_id,phase,goal_id,goal_number,kind,unit,period,direction,baseline,target,target_date,points,periods_with_data,latest_period,latest_value,enough_data,signal,improvement"
    );
    assert_eq!(
        lines[1],
        format!("{gid},formed,{goal},1,proportion,,month,higher_is_better,40,75,2027-03-31,18,18,2026-04,90,yes,shift,yes")
    );
    for personal in ["Dr.", "example.org", "Record allergies", "Allergy prompt", "Aim 1", "Strong team", ",101,", ",100,"] {
        assert!(!csv.contains(personal), "{personal} in {csv}");
    }
    let summary = export::measures_summary_csv(&groups);
    assert_eq!(
        summary,
        "what,count\r\ngroups,2\r\ngroups_measuring,1\r\ngoals_with_a_measure,1\r\ngoals_with_data,1\r\ngoals_with_enough_data,1\r\ngoals_signal_improvement,1\r\ngoals_signal_worsening,0\r\n"
    );
}
