//! The functions answer in the reader's language: a French form post gets
//! French errors (the page and each message) and a French redirect, a JSON
//! client gets French messages beside the stable codes, a browser that
//! prefers French gets French pages, and a member's recorded preference
//! applies when the request does not say.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test, with its message
mod harness;

use harness::*;
use serde_json::{json, Value};

const FORM: &str = "application/x-www-form-urlencoded";

fn french_sign_up(lead: &str, group_name: &str) -> String {
    format!(
        "lang=fr&group_name={group_name}&practice_setting=Clinique&lead_cpso={lead}&lead_name=Dre+A&lead_language=fr\
         &peer_1_cpso=301&peer_1_name=Dr+B&peer_1_email=b%40example.org&peer_1_language=fr&website="
    )
}

#[tokio::test]
async fn a_french_form_post_gets_french_errors_and_a_french_redirect() {
    let s = Server::start().await;
    // Refused: the same form, in French, every message in French.
    let r = browser().post(s.url("/api/groups")).header("content-type", FORM).body(french_sign_up("300", "")).send().await.unwrap();
    assert_eq!(r.status(), 400);
    let html = r.text().await.unwrap();
    assert!(html.starts_with("<!doctype html>\n<html lang=\"fr\">"), "{html}");
    assert!(html.contains("Il y a un problème"), "{html}");
    assert!(html.contains("Saisissez un nom pour votre groupe"), "{html}");
    assert!(!html.contains("Enter a name for your group"), "no English message: {html}");
    assert!(html.contains("<input type=\"hidden\" name=\"lang\" value=\"fr\">"), "the form keeps its language: {html}");

    // Accepted: to the French confirmation page.
    let r =
        browser().post(s.url("/api/groups")).header("content-type", FORM).body(french_sign_up("300", "Groupe+Nord")).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/fr/groupes/inscription/verifiez-vos-courriels/");
}

#[tokio::test]
async fn json_errors_keep_their_codes_beside_french_messages() {
    let s = Server::start().await;
    let mut body = signup_json("300", &["301"]);
    body["group_name"] = json!("");
    body["lang"] = json!("fr");
    let r = client().post(s.url("/api/groups")).json(&body).send().await.unwrap();
    assert_eq!(r.status(), 400);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"], "validation");
    assert_eq!(v["language"], "fr");
    let field = v["fields"].as_array().unwrap().iter().find(|f| f["field"] == "group_name").unwrap().clone();
    assert_eq!(field["code"], "required");
    assert_eq!(field["message"], "Saisissez un nom pour votre groupe");
    // The same request in English: the same codes.
    body["lang"] = json!("en");
    let v: Value = client().post(s.url("/api/groups")).json(&body).send().await.unwrap().json().await.unwrap();
    let field = v["fields"].as_array().unwrap().iter().find(|f| f["field"] == "group_name").unwrap().clone();
    assert_eq!((field["code"].as_str(), field["message"].as_str()), (Some("required"), Some("Enter a name for your group")));
}

#[tokio::test]
async fn the_browsers_language_then_the_members_preference_choose_the_pages() {
    let s = Server::start().await;
    // Signed out, a browser that prefers French gets the French sign-in page.
    let html = browser()
        .get(s.url("/api/me"))
        .header("accept", "text/html")
        .header("accept-language", "fr-CA,fr;q=0.9,en;q=0.5")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("<html lang=\"fr\">"), "{html}");
    assert!(html.contains("<a href=\"/api/me?lang=en\" lang=\"en\" hreflang=\"en\">English</a>"), "the same page in English: {html}");

    // A peer recorded as French reads French pages whatever the browser says;
    // `?lang=en` still shows English.
    let (_, members) = formed(&s, "300", &["301"]).await;
    let peer = &members[1];
    let page = |q: &'static str| {
        let token = peer.token.clone();
        let url = s.url(&format!("/api/me/activities{q}"));
        async move {
            client()
                .get(url)
                .header("accept", "text/html")
                .header("accept-language", "en")
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    assert!(page("").await.contains("<html lang=\"fr\">"), "the member's preference");
    assert!(page("?lang=en").await.contains("<html lang=\"en\">"), "an explicit choice wins");
}
