//! Signing in and out, and asking for a new link:
//! `GET /api/access?code=…` (the page the emailed link opens; changes
//! nothing), `POST /api/access` (code → session), `POST /api/access/logout`,
//! `POST /api/access/logout-everywhere`, `POST /api/access/recover`.
use http::StatusCode;
use serde_json::json;

use super::{caller, html_page, Req, Res};
use crate::app::access::{self, AuthError};
use crate::app::App;
use crate::domain::{Cpso, Email, FieldError, Language, MemberStatus, Phase, Text};
use crate::http::decode::field;
use crate::http::error::ApiError;
use crate::http::input::{query, read_fields, Wants};
use crate::http::lang;
use crate::http::pages;
use crate::http::respond::{json, see_other, session_cookie, with_cookie};

/// The page an emailed link opens: one button that signs in (a POST), so a
/// mail scanner fetching the link signs nobody in and changes nothing.
pub async fn link_page(app: &App, req: &Req, wants: Wants) -> Res {
    let q = query(req);
    let raw = q.get("code").map(String::as_str).unwrap_or("").trim();
    let valid = match access::check_code(app, raw).await {
        Ok(_) => true,
        Err(AuthError::InvalidCode) => false,
        Err(AuthError::Failed(f)) => return Err(f.into()),
    };
    match wants {
        Wants::Json if valid => Ok(json(StatusCode::OK, &json!({ "valid": true, "sign_in": "POST /api/access with the code" }))),
        Wants::Json => Err(invalid_link()),
        Wants::Html => {
            let mut r = html_page(pages::sign_in_page(valid.then_some(raw)));
            if !valid {
                *r.status_mut() = StatusCode::UNAUTHORIZED;
            }
            Ok(r)
        }
    }
}

fn invalid_link() -> ApiError {
    ApiError::Unauthorized(Text::new(
        "This link is not valid, or it has been replaced by a newer one: use the latest email from QI Groups, or ask for a new link",
        "Ce lien n’est pas valide, ou il a été remplacé par un lien plus récent\u{a0}: utilisez le dernier courriel de Groupes AQ, ou demandez un nouveau lien",
    ))
}

/// Exchange the code for a session: a cookie, and 303 to where the member
/// has something to do (the proposal, the invitation, or their activities).
pub async fn sign_in(app: &App, req: &Req, wants: Wants) -> Res {
    let f = read_fields(req)?;
    let raw = f.get("code").trim();
    if raw.is_empty() {
        return Err(ApiError::validation(
            Text::new("Open the link from your email", "Ouvrez le lien reçu par courriel"),
            vec![FieldError::tr("code", "required", "The link's code is missing", "Il manque le code du lien")],
        ));
    }
    let (token, caller) = match access::sign_in(app, raw).await {
        Ok(x) => x,
        Err(AuthError::InvalidCode) => return Err(invalid_link()),
        Err(AuthError::Failed(f)) => return Err(f.into()),
    };
    let pending = caller.group.phase() == Phase::Proposed || !matches!(caller.member().status, MemberStatus::Accepted { .. });
    let next = if pending { "/api/me/group" } else { "/api/me" };
    let cookie = session_cookie(Some(&token.expose()), app.config.secure_cookies());
    let r = match wants {
        Wants::Json => json(StatusCode::OK, &json!({ "group_id": caller.group.id.as_str(), "session": token.expose(), "next": next })),
        Wants::Html => see_other(next),
    };
    Ok(with_cookie(r, &cookie))
}

/// End this session (or all of the member's); the cookie is cleared either way.
pub async fn sign_out(app: &App, req: &Req, wants: Wants, everywhere: bool) -> Res {
    match caller(app, req, None).await {
        Ok(c) => access::sign_out(app, &c, everywhere).await?,
        // Already signed out: still clear the cookie.
        Err(ApiError::Unauthorized(_)) => {}
        Err(e) => return Err(e),
    }
    let cookie = session_cookie(None, app.config.secure_cookies());
    let r = match wants {
        Wants::Json => json(StatusCode::OK, &json!({ "signed_out": if everywhere { "everywhere" } else { "this_browser" } })),
        Wants::Html => see_other(if everywhere { "/me/signed-out/?everywhere=1" } else { "/me/signed-out/" }),
    };
    Ok(with_cookie(r, &cookie))
}

/// What the recovery form answers, whether or not anything matched.
pub const RECOVER_ANSWER: &str = "If this CPSO number and email address match a member on file, we have emailed a new personal link to the address on file. The old link no longer works.";
/// [`RECOVER_ANSWER`] in French.
pub const RECOVER_ANSWER_FR: &str = "Si ce numéro d’inscription à l’OMCO et cette adresse courriel correspondent à un membre de nos dossiers, nous avons envoyé un nouveau lien personnel à l’adresse qui figure à son dossier. L’ancien lien ne fonctionne plus.";

/// "Send me a new link": CPSO number and email. Only the form's shape is
/// checked in the answer; whether they matched is never said.
pub async fn recover(app: &App, req: &Req, wants: Wants) -> Res {
    let f = read_fields(req)?;
    let mut errors = Vec::new();
    let cpso = field(&mut errors, "cpso", Cpso::parse(f.get("cpso")));
    let email = field(&mut errors, "email", Email::parse(f.get("email")));
    let (Some(cpso), Some(email)) = (cpso, email) else {
        return Err(ApiError::validation(Text::new("Some answers need correcting", "Certaines réponses doivent être corrigées"), errors));
    };
    access::request_new_link(app, &cpso, &email).await?;
    match wants {
        Wants::Json => {
            let message = match lang::current() {
                Language::En => RECOVER_ANSWER,
                Language::Fr => RECOVER_ANSWER_FR,
            };
            Ok(json(StatusCode::ACCEPTED, &json!({ "message": message })))
        }
        Wants::Html => Ok(see_other("/me/new-link/sent/")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invalid_link_is_said_in_both_languages() {
        let e = invalid_link();
        assert!(e.message(Language::En).starts_with("This link is not valid"));
        assert_eq!(
            e.message(Language::Fr),
            "Ce lien n’est pas valide, ou il a été remplacé par un lien plus récent\u{a0}: utilisez le dernier courriel de Groupes AQ, ou demandez un nouveau lien"
        );
    }
}
