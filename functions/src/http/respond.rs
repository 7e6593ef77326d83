//! Writing responses: JSON, redirects, the HTML error page, security headers.
use bytes::Bytes;
use http::{header, HeaderValue, Response, StatusCode};
use serde::Serialize;
use serde_json::json;

use crate::domain::Language;

pub use super::error::ApiError;
use super::input::Wants;

pub type Resp = Response<Bytes>;

/// Headers every response carries.
pub fn secure(mut r: Resp) -> Resp {
    let h = r.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    r
}

/// A response with a body and a content type. Built field by field rather
/// than with `Response::builder()`, whose only failure (an invalid header
/// value) cannot happen with these static values.
pub fn with_body(status: StatusCode, content_type: &'static str, body: impl Into<Bytes>) -> Resp {
    let mut r = Response::new(body.into());
    *r.status_mut() = status;
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

pub fn json<T: Serialize>(status: StatusCode, body: &T) -> Resp {
    match serde_json::to_vec(body) {
        Ok(bytes) => with_body(status, "application/json", bytes),
        // Only a map with non-string keys fails; none of our answers has one.
        Err(_) => with_body(StatusCode::INTERNAL_SERVER_ERROR, "application/json", &br#"{"error":"internal","fields":[]}"#[..]),
    }
}

pub fn no_content() -> Resp {
    let mut r = Response::new(Bytes::new());
    *r.status_mut() = StatusCode::NO_CONTENT;
    r
}

/// 303 to a path of ours (a route's own constant or a checked same-site path),
/// in the request's language: a site page's French version for a French
/// reader, and the member pages with `?lang=` when the request chose it.
pub fn see_other(location: &str) -> Resp {
    let lang = super::lang::current();
    let location = if location.starts_with("/api/") {
        if super::lang::chosen() && !location.contains("lang=") {
            let (path, anchor) = location.split_once('#').map(|(p, a)| (p, format!("#{a}"))).unwrap_or((location, String::new()));
            let sep = if path.contains('?') { '&' } else { '?' };
            format!("{path}{sep}lang={}{anchor}", lang.as_str())
        } else {
            location.to_string()
        }
    } else {
        super::lang::localized_path(location, lang)
    };
    let location = location.as_str();
    let mut r = with_body(StatusCode::SEE_OTHER, "text/plain; charset=utf-8", format!("See {location}\n"));
    match HeaderValue::from_str(location) {
        Ok(v) => {
            r.headers_mut().insert(header::LOCATION, v);
        }
        Err(_) => *r.status_mut() = StatusCode::INTERNAL_SERVER_ERROR,
    }
    r
}

pub fn with_cookie(mut r: Resp, cookie: &cookie::Cookie<'_>) -> Resp {
    // A cookie we build holds only base64url text and fixed attributes.
    if let Ok(v) = HeaderValue::from_str(&cookie.to_string()) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

/// The session cookie carrying `token` (or clearing it when `None`). Over
/// https it is `__Host-qi_session` (Secure, path `/`, host-only); on the
/// local http server `qi_session`. Never readable by scripts, and
/// `SameSite=Strict`: a page of another site cannot make the browser send it
/// (links from email open pages that work signed out, then the member's own
/// requests carry it).
pub fn session_cookie(token: Option<&str>, secure: bool) -> cookie::Cookie<'static> {
    let max_age =
        if token.is_some() { cookie::time::Duration::days(crate::domain::access::SESSION_MAX_DAYS) } else { cookie::time::Duration::ZERO };
    let name = if secure { super::input::SECURE_COOKIE_NAME } else { super::input::COOKIE_NAME };
    cookie::Cookie::build((name, token.unwrap_or("").to_string()))
        .path("/")
        .http_only(true)
        .same_site(cookie::SameSite::Strict)
        .max_age(max_age)
        .secure(secure)
        .build()
}

/// The label people see for a form field name (used on the HTML error
/// page), in `lang`.
pub fn field_label(field: &str, lang: Language) -> String {
    let fr = lang == Language::Fr;
    let pick = |en: &'static str, f: &'static str| if fr { f } else { en };
    let simple = match field {
        "group_name" => Some(pick("Group name", "Nom du groupe")),
        "practice_setting" => Some(pick("Practice setting", "Milieu de pratique")),
        "lead_cpso" => Some(pick("Your CPSO number", "Votre numéro d’inscription à l’OMCO")),
        "lead_name" => Some(pick("Your name", "Votre nom")),
        "lead_email" => Some(pick("Your email address", "Votre adresse courriel")),
        "lead_language" => Some(pick("Your preferred language", "Votre langue de préférence")),
        "peers" => Some(pick("Peers", "Collègues")),
        "website" => Some(pick("Website", "Site Web")),
        "activity" => Some(pick("Activity", "Activité")),
        "completed_on" => Some(pick("Date completed", "Date de fin")),
        "done" => Some(pick("Done", "Terminée")),
        "activities" => Some(pick("Group activities", "Activités du groupe")),
        "strengths" => Some(pick("Areas of strength", "Points forts")),
        "improvements" => Some(pick("Areas for improvement", "Points à améliorer")),
        "goals" => Some(pick("Goals", "Objectifs")),
        "topic" => Some(pick("Topic", "Sujet")),
        "message" => Some(pick("Your question", "Votre question")),
        "code" => Some(pick("Personal link", "Lien personnel")),
        "cpso" => Some(pick("CPSO number", "Numéro d’inscription à l’OMCO")),
        "email" => Some(pick("Email address", "Adresse courriel")),
        "draft_version" => Some(pick("Plan version", "Version du plan")),
        "peer_cpso" => Some(pick("Peer's CPSO number", "Numéro d’inscription à l’OMCO de la ou du collègue")),
        "peer_name" => Some(pick("Peer's name", "Nom de la ou du collègue")),
        "peer_email" => Some(pick("Peer's email address", "Adresse courriel de la ou du collègue")),
        "peer_language" => Some(pick("Peer's preferred language", "Langue de préférence de la ou du collègue")),
        "body" => Some(pick("Request", "Requête")),
        "action" => Some(pick("Action", "Action")),
        "lang" => Some(pick("Language", "Langue")),
        _ => None,
    };
    if let Some(s) = simple {
        return s.to_string();
    }
    let part = |rest: &str| -> Option<&'static str> {
        Some(match rest {
            "cpso" => pick("CPSO number", "numéro d’inscription à l’OMCO"),
            "name" => pick("name", "nom"),
            "email" => pick("email address", "adresse courriel"),
            "language" => pick("preferred language", "langue de préférence"),
            "kind" => pick("kind of goal", "type d’objectif"),
            "aim" => pick("aim statement", "énoncé d’objectif"),
            "measure" => pick("measure", "mesure"),
            "baseline" => pick("baseline", "niveau de départ"),
            "target" => pick("target", "cible"),
            "target_date" => pick("target date", "date cible"),
            "change_ideas" => pick("change ideas", "idées de changement"),
            _ => return None,
        })
    };
    // French: "Date cible (objectif 2)", as the noun phrase reads best first.
    for (prefix, noun_en, noun_fr) in [("peer_", "Peer", "Collègue"), ("goal_", "Goal", "Objectif")] {
        if let Some(rest) = field.strip_prefix(prefix) {
            if let Some((n, what)) = rest.split_once('_') {
                if n.bytes().all(|b| b.is_ascii_digit()) {
                    if let Some(w) = part(what) {
                        return if fr {
                            format!("{}{} ({} {n})", w[..1].to_uppercase(), &w[1..], noun_fr.to_lowercase())
                        } else {
                            format!("{noun_en} {n} {w}")
                        };
                    }
                }
            }
        }
    }
    field.to_string()
}

/// Render an error for the caller: JSON, or an accessible HTML page listing
/// each error by field with a link back to the form (`back`).
pub fn error_response(err: &ApiError, wants: Wants, back: &str) -> Resp {
    let status = err.status();
    let lang = super::lang::current();
    let mut r = match wants {
        Wants::Json => {
            // Stable codes (`error`, each field's `code`) beside the messages in the reader's language.
            let fields: Vec<serde_json::Value> =
                err.fields().iter().map(|f| json!({ "field": f.field, "code": f.code, "message": f.text(lang) })).collect();
            let mut body = json!({
                "error": err.code(),
                "message": err.message(lang),
                "language": lang.as_str(),
                "fields": fields,
            });
            if let ApiError::Conflict { extra: Some(serde_json::Value::Object(extra)), .. } = err {
                for (k, v) in extra {
                    body[k] = v.clone();
                }
            }
            json(status, &body)
        }
        Wants::Html => {
            let (en, fr) = match status.as_u16() {
                400 => ("There is a problem", "Il y a un problème"),
                401 => ("Sign in with your personal link", "Connectez-vous avec votre lien personnel"),
                403 => ("Not allowed", "Action non permise"),
                404 => ("Page not found", "Page introuvable"),
                409 => ("This cannot be done", "Impossible de faire ceci"),
                413 => ("Too much text", "Texte trop long"),
                429 => ("Please try again tomorrow", "Veuillez réessayer demain"),
                503 => ("Please try again", "Veuillez réessayer"),
                _ => ("Something went wrong", "Un problème est survenu"),
            };
            let title = if lang == Language::Fr { fr } else { en };
            let fields: Vec<serde_json::Value> = err
                .fields()
                .iter()
                .map(|f| json!({ "field": f.field, "label": field_label(&f.field, lang), "message": f.text(lang) }))
                .collect();
            let values = json!({
                "lang": lang.as_str(),
                "title": title,
                "message": err.message(lang),
                "fields": fields,
                "back": back,
                // Not signed in: say where a new link comes from.
                "code_link": status == StatusCode::UNAUTHORIZED,
            });
            let html = super::html::render_or_fallback("error.html", "", values);
            let mut r = with_body(status, "text/html; charset=utf-8", html);
            r.headers_mut().insert("content-security-policy", HeaderValue::from_static(super::html::CSP));
            r
        }
    };
    match err {
        ApiError::Unavailable { retry_after, .. } => {
            r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(*retry_after));
        }
        // The daily limits count per program day.
        ApiError::TooManyRequests(_) => {
            r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(24 * 3600u32));
        }
        ApiError::MethodNotAllowed(allow) => {
            if let Ok(v) = HeaderValue::from_str(&allow.join(", ")) {
                r.headers_mut().insert(header::ALLOW, v);
            }
        }
        _ => {}
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{FieldError, Text};

    #[test]
    fn labels() {
        assert_eq!(field_label("peer_2_email", Language::En), "Peer 2 email address");
        assert_eq!(field_label("goal_10_target_date", Language::En), "Goal 10 target date");
        assert_eq!(field_label("lead_cpso", Language::En), "Your CPSO number");
        assert_eq!(field_label("weird", Language::En), "weird");
        assert_eq!(field_label("goal_2_target_date", Language::Fr), "Date cible (objectif 2)");
        assert_eq!(field_label("peer_3_email", Language::Fr), "Adresse courriel (collègue 3)");
        assert_eq!(field_label("strengths", Language::Fr), "Points forts");
    }

    #[tokio::test]
    async fn errors_are_in_the_requests_language_with_stable_codes() {
        let e = ApiError::validation(
            Text::new("Check the form", "Vérifiez le formulaire"),
            vec![FieldError::tr("lead_email", "required", "Enter an email", "Entrez une adresse courriel")],
        );
        let req = http::Request::builder().uri("/api/groups?lang=fr").body(Bytes::new()).unwrap();
        let (json_body, html) = super::super::lang::scope(&req, async {
            (error_response(&e, Wants::Json, "/"), error_response(&e, Wants::Html, "/groups/sign-up/"))
        })
        .await;
        let v: serde_json::Value = serde_json::from_slice(json_body.body()).unwrap();
        assert_eq!(v["error"], "validation");
        assert_eq!(v["message"], "Vérifiez le formulaire");
        assert_eq!(v["fields"][0], json!({ "field": "lead_email", "code": "required", "message": "Entrez une adresse courriel" }));
        let body = std::str::from_utf8(html.body()).unwrap();
        assert!(body.contains("<html lang=\"fr\">") && body.contains("<h1>Il y a un problème</h1>"), "{body}");
        assert!(body.contains("Entrez une adresse courriel"));
    }

    #[test]
    fn html_error_page_escapes_and_lists_fields() {
        let e = ApiError::validation(
            Text::new("Check <these>", "Vérifiez <ceci>"),
            vec![
                FieldError::tr("peer_1_name", "invalid_format", "Bad \"name\" <script>", "Mauvais \"nom\" <script>"),
                FieldError::tr("lead_email", "required", "Enter an email", "Entrez une adresse courriel"),
            ],
        );
        let r = error_response(&e, Wants::Html, "/groups/sign-up/?a=1&b=<x>");
        assert_eq!(r.status(), 400);
        let body = std::str::from_utf8(r.body()).unwrap();
        assert!(body.contains("<h1>There is a problem</h1>"));
        assert!(body.contains("Check &lt;these&gt;"));
        assert!(body.contains("Peer 1 name: Bad &quot;name&quot; &lt;script&gt;"));
        assert!(body.contains("href=\"/groups/sign-up/?a=1&amp;b=&lt;x&gt;#lead_email\""));
        assert!(!body.contains("<script>"));
        assert!(body.contains("<html lang=\"en\">"));
    }

    #[test]
    fn json_error_shape() {
        let e = ApiError::Unavailable { retry_after: 2, cause: "test" };
        let r = error_response(&e, Wants::Json, "/");
        assert_eq!(r.status(), 503);
        assert_eq!(r.headers()["retry-after"], "2");
        let v: serde_json::Value = serde_json::from_slice(r.body()).unwrap();
        assert_eq!(v["error"], "unavailable");
        assert!(v["fields"].as_array().unwrap().is_empty());
    }
}
