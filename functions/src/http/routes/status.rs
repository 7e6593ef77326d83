//! `GET /api/groups/{id}`, `/api/me`, `/api/me/status`, and signing in and
//! out (`/api/access`, `/api/access/logout`).
use http::StatusCode;
use serde_json::json;

use super::{caller, caller_in, html_page, Req, Res};
use crate::app::access::{self, AuthError};
use crate::app::{status, App};
use crate::domain::{AccessCode, FieldError};
use crate::http::encode;
use crate::http::error::ApiError;
use crate::http::input::{query, read_fields, Wants};
use crate::http::respond::{access_cookie, json, no_content, see_other, with_cookie, Resp};

pub async fn status(app: &App, req: &Req, id: Option<&str>, wants: Wants) -> Res {
    let caller = caller_in(app, req, None, id).await?;
    match wants {
        Wants::Json => Ok(json(StatusCode::OK, &encode::group_status(&status::of_group(app, &caller.group)))),
        Wants::Html => Ok(html_page(crate::http::pages::status_page(&caller.group, &app.credits))),
    }
}

pub async fn me(app: &App, req: &Req) -> Res {
    let caller = caller(app, req, None).await?;
    let m = &caller.member().member;
    Ok(json(
        StatusCode::OK,
        &json!({
            "group_id": caller.group.id.as_str(),
            "member": { "cpso": m.cpso.as_str(), "name": m.name.as_str(), "role": m.role.as_str(), "language": m.language.as_str() },
        }),
    ))
}

fn signed_in(app: &App, code: &AccessCode, wants: Wants) -> Resp {
    let cookie = access_cookie(Some(&code.expose()), app.config.secure_cookies());
    let r = match wants {
        Wants::Json => json(StatusCode::OK, &json!({ "group_id": code.group().as_str() })),
        Wants::Html => see_other("/me/"),
    };
    with_cookie(r, &cookie)
}

/// Sign in with `raw`, or answer 401 with `invalid` (what the person should check).
async fn sign_in(app: &App, raw: &str, wants: Wants, invalid: &str) -> Res {
    match access::sign_in(app, raw).await {
        Ok(code) => Ok(signed_in(app, &code, wants)),
        Err(AuthError::InvalidCode) => Err(ApiError::Unauthorized(invalid.into())),
        Err(AuthError::Failed(f)) => Err(f.into()),
    }
}

pub async fn access_get(app: &App, req: &Req, wants: Wants) -> Res {
    let q = query(req);
    let raw = q.get("code").map(String::as_str).unwrap_or("");
    sign_in(app, raw, wants, "This personal link is not valid. Check that you copied the whole link from your email.").await
}

pub async fn access_post(app: &App, req: &Req, wants: Wants) -> Res {
    let f = read_fields(req)?;
    let raw = f.get("code").trim();
    if raw.is_empty() {
        return Err(ApiError::validation(
            "Enter your access code",
            vec![FieldError::new("code", "Paste the access code from your personal link")],
        ));
    }
    sign_in(app, raw, wants, "This access code is not valid. Check that you copied all of it.").await
}

pub fn logout(app: &App, wants: Wants) -> Resp {
    let cookie = access_cookie(None, app.config.secure_cookies());
    let r = match wants {
        Wants::Json => no_content(),
        Wants::Html => see_other("/"),
    };
    with_cookie(r, &cookie)
}
