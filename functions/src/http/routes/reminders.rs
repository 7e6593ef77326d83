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
use crate::domain::FieldError;
use crate::http::error::ApiError;
use crate::http::html::render_or_fallback;
use crate::http::input::{query, read_fields, Wants};
use crate::http::respond::{json, see_other};

/// What the opt-out button answers, whatever the token named.
pub const OPT_OUT_ANSWER: &str =
    "If this link came from one of the member's three latest reminders, their data-entry reminders are now off.";

/// The breadcrumb trail of a page outside the member area: Home, then the page.
fn crumbs(title: &str) -> serde_json::Value {
    json!({ "crumbs": [{ "url": "/", "title": "Home" }], "crumb_title": title, "crumb_url": "/api/reminders/opt-out" })
}

fn opt_out_page(token: Option<&str>) -> String {
    let mut values = json!({ "token": token, "invalid": token.is_none() });
    if let (Some(v), serde_json::Value::Object(c)) = (values.as_object_mut(), crumbs("Stop reminders")) {
        v.extend(c);
    }
    render_or_fallback("member/reminders-opt-out.html", "/me/", values)
}

fn incomplete() -> ApiError {
    ApiError::validation(
        "This link is incomplete: open the link in your latest reminder again",
        vec![FieldError::new("token", "The link's token is missing or cut short")],
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
        Wants::Json => Ok(json(StatusCode::OK, &json!({ "message": OPT_OUT_ANSWER }))),
        Wants::Html => Ok(html_page(render_or_fallback("member/reminders-off.html", "/me/", crumbs("Reminders stopped")))),
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
                "Reminders were not changed",
                vec![FieldError::new("reminders", "Choose whether to get data-entry reminders: on or off")],
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
