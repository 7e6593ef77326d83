//! Writing responses: JSON, redirects, the HTML error page, security headers.
use bytes::Bytes;
use http::{header, HeaderValue, Response, StatusCode};
use serde::Serialize;
use serde_json::json;

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

/// 303 to a path of ours (a route's own constant or a checked same-site path).
pub fn see_other(location: &str) -> Resp {
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

/// The label people see for a form field name (used on the HTML error page).
pub fn field_label(field: &str) -> String {
    let simple = match field {
        "group_name" => Some("Group name"),
        "practice_setting" => Some("Practice setting"),
        "lead_cpso" => Some("Your CPSO number"),
        "lead_name" => Some("Your name"),
        "lead_email" => Some("Your email address"),
        "lead_language" => Some("Your preferred language"),
        "peers" => Some("Peers"),
        "website" => Some("Website"),
        "activity" => Some("Activity"),
        "completed_on" => Some("Date completed"),
        "done" => Some("Done"),
        "activities" => Some("Group activities"),
        "strengths" => Some("Areas of strength"),
        "improvements" => Some("Areas for improvement"),
        "goals" => Some("Goals"),
        "topic" => Some("Topic"),
        "message" => Some("Your question"),
        "code" => Some("Personal link"),
        "cpso" => Some("CPSO number"),
        "email" => Some("Email address"),
        "draft_version" => Some("Plan version"),
        "peer_cpso" => Some("Peer's CPSO number"),
        "peer_name" => Some("Peer's name"),
        "peer_email" => Some("Peer's email address"),
        "peer_language" => Some("Peer's preferred language"),
        "body" => Some("Request"),
        "action" => Some("Action"),
        _ => None,
    };
    if let Some(s) = simple {
        return s.to_string();
    }
    let part = |rest: &str| -> Option<&'static str> {
        Some(match rest {
            "cpso" => "CPSO number",
            "name" => "name",
            "email" => "email address",
            "language" => "preferred language",
            "kind" => "kind of goal",
            "aim" => "aim statement",
            "measure" => "measure",
            "baseline" => "baseline",
            "target" => "target",
            "target_date" => "target date",
            "change_ideas" => "change ideas",
            _ => return None,
        })
    };
    for (prefix, noun) in [("peer_", "Peer"), ("goal_", "Goal")] {
        if let Some(rest) = field.strip_prefix(prefix) {
            if let Some((n, what)) = rest.split_once('_') {
                if n.bytes().all(|b| b.is_ascii_digit()) {
                    if let Some(w) = part(what) {
                        return format!("{noun} {n} {w}");
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
    let mut r = match wants {
        Wants::Json => {
            let mut body = json!({
                "error": err.code(),
                "message": err.message(),
                "fields": err.fields(),
            });
            if let ApiError::Conflict { extra: Some(serde_json::Value::Object(extra)), .. } = err {
                for (k, v) in extra {
                    body[k] = v.clone();
                }
            }
            json(status, &body)
        }
        Wants::Html => {
            let title = match status.as_u16() {
                400 => "There is a problem",
                401 => "Sign in with your personal link",
                403 => "Not allowed",
                404 => "Page not found",
                409 => "This cannot be done",
                413 => "Too much text",
                429 => "Please try again tomorrow",
                503 => "Please try again",
                _ => "Something went wrong",
            };
            let fields: Vec<serde_json::Value> =
                err.fields().iter().map(|f| json!({ "field": f.field, "label": field_label(&f.field), "message": f.message })).collect();
            let values = json!({
                "title": title,
                "message": err.message(),
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
    use crate::domain::FieldError;

    #[test]
    fn labels() {
        assert_eq!(field_label("peer_2_email"), "Peer 2 email address");
        assert_eq!(field_label("goal_10_target_date"), "Goal 10 target date");
        assert_eq!(field_label("lead_cpso"), "Your CPSO number");
        assert_eq!(field_label("weird"), "weird");
    }

    #[test]
    fn html_error_page_escapes_and_lists_fields() {
        let e = ApiError::validation(
            "Check <these>",
            vec![FieldError::new("peer_1_name", "Bad \"name\" <script>"), FieldError::new("lead_email", "Enter an email")],
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
