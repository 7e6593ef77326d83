//! Data-entry reminders (see [`crate::app::reminders`]):
//! `GET /api/reminders/opt-out?token=…` (the page a reminder's opt-out link
//! opens; changes nothing), `POST /api/reminders/opt-out` (turns the
//! reminders off; the same answer whether or not the token was current),
//! and `POST /api/me/reminders` (a signed-in member turns their own
//! reminders `on` or `off`).
use http::StatusCode;
use serde_json::json;

use super::{html_page, member, unauthorized, Req, Res};
use crate::app::reminders::{self, SettingError};
use crate::app::App;
use crate::domain::{FieldError, Language, Text};
use crate::http::error::ApiError;
use crate::http::html::render_or_fallback;
use crate::http::input::{query, read_fields, Wants};
use crate::http::lang;
use crate::http::respond::{json, see_other};

/// What the opt-out button answers, whatever the token named.
pub const OPT_OUT_ANSWER: &str =
    "If this link came from one of the member's three latest reminders, their data-entry reminders are now off.";
/// [`OPT_OUT_ANSWER`] in French.
pub const OPT_OUT_ANSWER_FR: &str =
    "Si ce lien provient de l’un des trois derniers rappels du membre, ses rappels de saisie de données sont maintenant désactivés.";

/// The breadcrumb trail of a page outside the member area: Home, then the page.
fn crumbs(title: Text) -> serde_json::Value {
    let lang = lang::current();
    let home = Text::new("Home", "Accueil");
    json!({ "crumbs": [{ "url": "/", "title": home.get(lang) }], "crumb_title": title.get(lang), "crumb_url": "/api/reminders/opt-out" })
}

fn opt_out_page(token: Option<&str>) -> String {
    let mut values = json!({ "token": token, "invalid": token.is_none() });
    if let (Some(v), serde_json::Value::Object(c)) = (values.as_object_mut(), crumbs(Text::new("Stop reminders", "Arrêter les rappels"))) {
        v.extend(c);
    }
    render_or_fallback("member/reminders-opt-out.html", "/me/", values)
}

fn incomplete() -> ApiError {
    ApiError::validation(
        Text::new(
            "This link is incomplete: open the link in your latest reminder again",
            "Ce lien est incomplet\u{a0}: ouvrez de nouveau le lien de votre dernier rappel",
        ),
        vec![FieldError::tr(
            "token",
            "invalid_format",
            "The link's token is missing or cut short",
            "Le jeton du lien est absent ou tronqué",
        )],
    )
}

/// The page the opt-out link opens: one button that POSTs the token. Only
/// the token's shape is checked (nothing is read or written).
pub fn page(req: &Req, wants: Wants) -> Res {
    let q = query(req);
    let raw = q.get("token").map(String::as_str).unwrap_or("").trim();
    let valid = reminders::well_formed(raw);
    match wants {
        Wants::Json if valid => Ok(json(StatusCode::OK, &json!({ "opt_out": "POST /api/reminders/opt-out with the token" }))),
        Wants::Json => Err(incomplete()),
        Wants::Html => {
            let mut r = html_page(opt_out_page(valid.then_some(raw)));
            if !valid {
                *r.status_mut() = StatusCode::BAD_REQUEST;
            }
            Ok(r)
        }
    }
}

/// The opt-out button: reminders off for the member the token names, if it
/// is one of their latest; the same answer otherwise.
pub async fn opt_out(app: &App, req: &Req, wants: Wants) -> Res {
    let f = read_fields(req)?;
    let raw = f.get("token").trim();
    if !reminders::well_formed(raw) {
        return match wants {
            Wants::Json => Err(incomplete()),
            Wants::Html => {
                let mut r = html_page(opt_out_page(None));
                *r.status_mut() = StatusCode::BAD_REQUEST;
                Ok(r)
            }
        };
    }
    // Whether it named anyone is never told.
    reminders::opt_out(app, raw).await?;
    match wants {
        Wants::Json => {
            let message = match lang::current() {
                Language::En => OPT_OUT_ANSWER,
                Language::Fr => OPT_OUT_ANSWER_FR,
            };
            Ok(json(StatusCode::OK, &json!({ "message": message })))
        }
        Wants::Html => Ok(html_page(render_or_fallback(
            "member/reminders-off.html",
            "/me/",
            crumbs(Text::new("Reminders stopped", "Rappels arrêtés")),
        ))),
    }
}

/// `POST /api/me/reminders` with `reminders=on|off`.
pub async fn set(app: &App, req: &Req, wants: Wants) -> Res {
    let f = read_fields(req)?;
    let on = match f.get("reminders").trim() {
        "on" => true,
        "off" => false,
        _ => {
            return Err(ApiError::validation(
                Text::new("Reminders were not changed", "Les rappels n’ont pas été modifiés"),
                vec![FieldError::tr(
                    "reminders",
                    "invalid_format",
                    "Choose whether to get data-entry reminders: on or off",
                    "Indiquez si vous voulez recevoir des rappels de saisie de données\u{a0}: on (oui) ou off (non)",
                )],
            ))
        }
    };
    let caller = member(app, req, Some(&f)).await?;
    match reminders::set(app, &caller, on).await {
        Ok(()) => {}
        Err(SettingError::SessionEnded | SettingError::NotMember) => return Err(unauthorized()),
        Err(SettingError::Failed(e)) => return Err(e.into()),
    }
    let state = if on { "on" } else { "off" };
    match wants {
        Wants::Json => Ok(json(StatusCode::OK, &json!({ "reminders": state }))),
        Wants::Html => Ok(see_other(&format!("/api/me/measures?reminders={state}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_incomplete_link_is_said_in_both_languages() {
        let e = incomplete();
        assert_eq!(e.fields()[0].code, "invalid_format");
        assert_eq!(e.fields()[0].message, "The link's token is missing or cut short");
        assert_eq!(e.fields()[0].fr, "Le jeton du lien est absent ou tronqué");
        assert_eq!(e.message(Language::Fr), "Ce lien est incomplet\u{a0}: ouvrez de nouveau le lien de votre dernier rappel");
        assert_eq!(
            crumbs(Text::new("Stop reminders", "Arrêter les rappels"))["crumb_title"],
            "Stop reminders",
            "English outside a request"
        );
    }
}
