//! Writing responses: JSON, redirects, the HTML error page, security headers.
use bytes::Bytes;
use http::{header, HeaderValue, Response, StatusCode};
use serde::Serialize;
use serde_json::json;

use super::input::Wants;
use crate::domain::FieldError;
use crate::store::StoreError;

/// Everything a request can fail with.
#[derive(Debug, Clone)]
pub enum ApiError {
    /// 400: which fields, what is wrong.
    Validation { message: String, fields: Vec<FieldError> },
    /// 401: no valid access code.
    Unauthorized(String),
    /// 403: a valid code, but not allowed here.
    Forbidden(String),
    /// 404
    NotFound(String),
    /// 405, with the allowed methods.
    MethodNotAllowed(&'static [&'static str]),
    /// 409: a program rule conflicts with what is stored. `extra` is merged into the JSON.
    Conflict { message: String, fields: Vec<FieldError>, extra: Option<serde_json::Value> },
    /// 413
    PayloadTooLarge,
    /// 415
    UnsupportedMediaType,
    /// 503 with Retry-After (seconds).
    Unavailable { retry_after: u32 },
    /// 500
    Internal,
}

impl ApiError {
    pub fn validation(message: impl Into<String>, fields: Vec<FieldError>) -> Self {
        ApiError::Validation { message: message.into(), fields }
    }
    pub fn conflict(message: impl Into<String>, fields: Vec<FieldError>) -> Self {
        ApiError::Conflict { message: message.into(), fields, extra: None }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Validation { .. } => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The `error` value of the JSON body (also what the request log records).
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Validation { .. } => "validation",
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound(_) => "not_found",
            ApiError::MethodNotAllowed(_) => "method_not_allowed",
            ApiError::Conflict { .. } => "conflict",
            ApiError::PayloadTooLarge => "payload_too_large",
            ApiError::UnsupportedMediaType => "unsupported_media_type",
            ApiError::Unavailable { .. } => "unavailable",
            ApiError::Internal => "internal",
        }
    }

    pub fn message(&self) -> String {
        match self {
            ApiError::Validation { message, .. } | ApiError::Conflict { message, .. } => message.clone(),
            ApiError::Unauthorized(m) | ApiError::Forbidden(m) | ApiError::NotFound(m) => m.clone(),
            ApiError::MethodNotAllowed(allow) => format!("This address accepts only {}", allow.join(", ")),
            ApiError::PayloadTooLarge => format!("The request is too large (at most {} KiB)", super::input::BODY_LIMIT / 1024),
            ApiError::UnsupportedMediaType => "Send the request as application/json or application/x-www-form-urlencoded".to_string(),
            ApiError::Unavailable { .. } => "The service is busy. Please try again in a moment; nothing was saved.".to_string(),
            ApiError::Internal => "Something went wrong on our side; nothing was saved. Please try again later.".to_string(),
        }
    }

    pub fn fields(&self) -> &[FieldError] {
        match self {
            ApiError::Validation { fields, .. } | ApiError::Conflict { fields, .. } => fields,
            _ => &[],
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Throttled => ApiError::Unavailable { retry_after: 2 },
            StoreError::Unavailable(_) => ApiError::Unavailable { retry_after: 5 },
            StoreError::NotFound => ApiError::NotFound("Not found".into()),
            StoreError::Corrupt(_) => ApiError::Internal,
            // Conflicts are mapped by each handler, which knows the fields; a
            // stray one is still a 409.
            StoreError::Conflict(k) => ApiError::conflict(format!("This conflicts with what is stored ({k:?})"), vec![]),
        }
    }
}

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

pub fn json<T: Serialize>(status: StatusCode, body: &T) -> Resp {
    let bytes = serde_json::to_vec(body).expect("serialisable response");
    Response::builder().status(status).header(header::CONTENT_TYPE, "application/json").body(Bytes::from(bytes)).expect("valid response")
}

pub fn no_content() -> Resp {
    Response::builder().status(StatusCode::NO_CONTENT).body(Bytes::new()).expect("valid response")
}

pub fn see_other(location: &str) -> Resp {
    Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header(header::LOCATION, location)
        .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
        .body(Bytes::from(format!("See {location}\n")))
        .expect("valid response")
}

pub fn with_cookie(mut r: Resp, cookie: &str) -> Resp {
    r.headers_mut().append(header::SET_COOKIE, HeaderValue::from_str(cookie).expect("cookie is ASCII"));
    r
}

/// `qi_access` cookie carrying `code` (or clearing it when `None`).
pub fn access_cookie(code: Option<&str>, secure: bool) -> String {
    let sec = if secure { "; Secure" } else { "" };
    match code {
        Some(c) => format!("{}={c}; Path=/api; HttpOnly; SameSite=Lax; Max-Age=31536000{sec}", super::input::COOKIE_NAME),
        None => format!("{}=; Path=/api; HttpOnly; SameSite=Lax; Max-Age=0{sec}", super::input::COOKIE_NAME),
    }
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
        "code" => Some("Access code"),
        "cpso" => Some("CPSO number"),
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
                400 => "Please correct the form",
                401 => "Use your personal link",
                403 => "Not allowed",
                404 => "Page not found",
                409 => "This cannot be done",
                413 => "Too much text",
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
                // A missing or expired link: the code can also be pasted on /me/.
                "code_link": status == StatusCode::UNAUTHORIZED && back != "/me/",
            });
            let html = super::html::render_or_fallback("error.html", "", values);
            Response::builder()
                .status(status)
                .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
                .header("content-security-policy", super::html::CSP)
                .body(Bytes::from(html))
                .expect("valid response")
        }
    };
    match err {
        ApiError::Unavailable { retry_after } => {
            r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(*retry_after));
        }
        ApiError::MethodNotAllowed(allow) => {
            r.headers_mut().insert(header::ALLOW, HeaderValue::from_str(&allow.join(", ")).expect("ASCII"));
        }
        _ => {}
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert!(body.contains("<h1>Please correct the form</h1>"));
        assert!(body.contains("Check &lt;these&gt;"));
        assert!(body.contains("Peer 1 name: Bad &quot;name&quot; &lt;script&gt;"));
        assert!(body.contains("href=\"/groups/sign-up/?a=1&amp;b=&lt;x&gt;#lead_email\""));
        assert!(!body.contains("<script>"));
        assert!(body.contains("<html lang=\"en\">"));
    }

    #[test]
    fn json_error_shape() {
        let e = ApiError::Unavailable { retry_after: 2 };
        let r = error_response(&e, Wants::Json, "/");
        assert_eq!(r.status(), 503);
        assert_eq!(r.headers()["retry-after"], "2");
        let v: serde_json::Value = serde_json::from_slice(r.body()).unwrap();
        assert_eq!(v["error"], "unavailable");
        assert!(v["fields"].as_array().unwrap().is_empty());
    }
}
