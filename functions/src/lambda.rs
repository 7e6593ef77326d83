//! What every Lambda binary shares: the App built once from the environment,
//! and the conversion between `lambda_http` and the plain `http` types the
//! router speaks.
//!
//! Environment: `QI_TABLE_NAME` (DynamoDB table), `QI_PUBLIC_BASE_URL`
//! (e.g. `https://qi.example.org`; personal links point there), optional
//! `QI_ORIGIN_SECRET` (the value CloudFront sends in `X-Qi-Origin-Verify`:
//! a request without it did not come through CloudFront and is refused),
//! optional `QI_COACHING_INBOX` (coaching requests are emailed there),
//! optional `QI_CYCLE` (default: the current year), `QI_CREDITS_FILE`
//! (default: the embedded `data/credits.toml`), optional
//! `QI_REMINDER_AFTER_PERIODS` (the reminder job: default 2); region and
//! credentials from the standard AWS variables. Nothing touches the network
//! at start-up. These functions send no email: their writes queue it, and
//! the mailer function (`crate::mail_lambda`) sends it.
use std::sync::Arc;

use bytes::Bytes;
use lambda_http::{Body, Request, RequestExt, Response};

use crate::domain::{Credits, SystemClock};
use crate::env::{credits_from, cycle_from_env, email, optional, required, ConfigError};
use crate::http::{handle_routes, App, Config, Route};
use crate::mail::NoMailer;
use crate::store::dynamo::{sdk_config_from_env, DynamoStore};

/// Build the App from the environment, with the AWS SDK clients created once.
pub async fn app_from_env() -> Result<App, ConfigError> {
    // Empty when the stack has no domain yet: links are then site-relative.
    let base = optional("QI_PUBLIC_BASE_URL").unwrap_or_default();
    let table = required("QI_TABLE_NAME")?;
    let credits = match optional("QI_CREDITS_FILE") {
        Some(p) => credits_from(std::path::Path::new(&p))?,
        None => Credits::embedded(),
    };
    let sdk = sdk_config_from_env().await;
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), table);
    let mut config = Config::new(&base, cycle_from_env()?);
    crate::env::timing_from_env(&mut config)?;
    config.coaching_inbox = optional("QI_COACHING_INBOX").map(|a| email("QI_COACHING_INBOX", &a)).transpose()?;
    Ok(App {
        store: Arc::new(store),
        // Emails are queued by the writes, and sent by the mailer function.
        mailer: Arc::new(NoMailer),
        config,
        credits,
        clock: Arc::new(SystemClock),
        random: Arc::new(crate::domain::OsRandom),
    })
}

/// `lambda_http::Request` → `http::Request<Bytes>` (query string and the
/// Lambda request id carried over).
pub fn from_lambda(req: Request) -> http::Request<Bytes> {
    let request_id = req.lambda_context_ref().map(|c| c.request_id.clone());
    let query: Vec<(String, String)> =
        req.query_string_parameters_ref().map(|q| q.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()).unwrap_or_default();
    let (mut parts, body) = req.into_parts();
    if parts.uri.query().is_none() && !query.is_empty() {
        let q = form_urlencoded::Serializer::new(String::new()).extend_pairs(query).finish();
        if let Ok(uri) = format!("{}?{q}", parts.uri.path()).parse() {
            parts.uri = uri;
        }
    }
    if let Some(id) = request_id.and_then(|id| http::HeaderValue::from_str(&id).ok()) {
        parts.headers.insert("x-request-id", id);
    }
    let bytes = match body {
        Body::Empty => Bytes::new(),
        Body::Text(s) => Bytes::from(s),
        Body::Binary(b) => Bytes::from(b),
        _ => Bytes::new(),
    };
    http::Request::from_parts(parts, bytes)
}

/// `http::Response<Bytes>` → `lambda_http::Response<Body>`.
pub fn to_lambda(resp: http::Response<Bytes>) -> Response<Body> {
    let (parts, body) = resp.into_parts();
    let body = if body.is_empty() {
        Body::Empty
    } else {
        match String::from_utf8(body.to_vec()) {
            Ok(s) => Body::Text(s),
            Err(e) => Body::Binary(e.into_bytes()),
        }
    };
    Response::from_parts(parts, body)
}

/// The header CloudFront adds to every request it sends the API.
pub const ORIGIN_HEADER: &str = "x-qi-origin-verify";

/// Whether `req` came through CloudFront: it carries `secret` in
/// [`ORIGIN_HEADER`] (compared in constant time). Without a secret
/// configured, every request passes.
pub fn via_origin(req: &http::Request<Bytes>, secret: Option<&str>) -> bool {
    use subtle::ConstantTimeEq;
    let Some(secret) = secret else { return true };
    req.headers().get(ORIGIN_HEADER).is_some_and(|v| bool::from(v.as_bytes().ct_eq(secret.as_bytes())))
}

/// Handle one Lambda request with `routes`; a request that did not come
/// through CloudFront (`origin_secret`) is refused with 403 before routing.
pub async fn serve(app: &App, req: Request, routes: &[Route], origin_secret: Option<&str>) -> Response<Body> {
    let req = from_lambda(req);
    if !via_origin(&req, origin_secret) {
        tracing::warn!(outcome = "not_via_cloudfront", status = 403, "request refused");
        let mut answer = http::Response::new(Bytes::from_static(
            "{\"error\":\"forbidden\",\"message\":\"Use the site\u{2019}s address. / Utilisez l\u{2019}adresse du site.\",\"language\":\"en\",\"fields\":[]}".as_bytes(),
        ));
        *answer.status_mut() = http::StatusCode::FORBIDDEN;
        answer.headers_mut().insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static("application/json"));
        return to_lambda(answer);
    }
    to_lambda(handle_routes(app, req, routes).await)
}

/// The whole life of a function: logging, the App from the environment, the
/// Lambda runtime loop.
pub async fn run(routes: &'static [Route]) -> Result<(), lambda_http::Error> {
    crate::http::init_logging();
    let app = Arc::new(app_from_env().await.map_err(|e| {
        tracing::error!(problem = %e, "configuration");
        lambda_http::Error::from(e)
    })?);
    let secret: Arc<Option<String>> = Arc::new(optional("QI_ORIGIN_SECRET"));
    lambda_http::run(lambda_http::service_fn(move |req: Request| {
        let (app, secret) = (app.clone(), secret.clone());
        async move { Ok::<_, std::convert::Infallible>(serve(&app, req, routes, secret.as_deref()).await) }
    }))
    .await
}

/// The reminder job as a Lambda function (EventBridge Scheduler invokes it;
/// the event is ignored): the App and `QI_REMINDER_AFTER_PERIODS` from the
/// environment, one run per invocation, the run's counts as the answer. A
/// run in which some reminders could not be recorded fails, so that the
/// invocation is retried: a retry sends nobody a second reminder.
pub async fn run_reminders() -> Result<(), lambda_http::Error> {
    use lambda_http::lambda_runtime::{self, LambdaEvent};
    crate::http::init_logging();
    let configured = app_from_env().await.and_then(|app| Ok((app, crate::env::reminder_settings_from_env()?)));
    let (app, settings) = configured.map_err(|e| {
        tracing::error!(problem = %e, "configuration");
        lambda_http::Error::from(e)
    })?;
    let app = Arc::new(app);
    lambda_runtime::run(lambda_runtime::service_fn(move |_: LambdaEvent<serde_json::Value>| {
        let app = app.clone();
        async move {
            let report = crate::app::reminders::run(&app, &settings, false).await.map_err(|e| {
                tracing::error!(cause = "store", "reminders run failed");
                lambda_http::Error::from(e)
            })?;
            if report.store_failed > 0 {
                return Err(lambda_http::Error::from(format!(
                    "{} reminder(s) could not be recorded; a retry sends the rest",
                    report.store_failed
                )));
            }
            // Counts only (the report's per-goal rows stay in dry runs).
            Ok::<_, lambda_http::Error>(serde_json::json!({
                "groups": report.groups,
                "due": report.due,
                "sent": report.sent,
                "skipped": report.skipped,
            }))
        }
    }))
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_requests_through_cloudfront_pass() {
        let req = |h: Option<&str>| {
            let mut b = http::Request::builder().uri("/api/status");
            if let Some(v) = h {
                b = b.header(ORIGIN_HEADER, v);
            }
            b.body(Bytes::new()).unwrap()
        };
        assert!(via_origin(&req(None), None), "no secret configured: everything passes");
        assert!(via_origin(&req(Some("s3cret")), Some("s3cret")));
        assert!(!via_origin(&req(None), Some("s3cret")));
        assert!(!via_origin(&req(Some("s3cre")), Some("s3cret")));
        assert!(!via_origin(&req(Some("s3cret!")), Some("s3cret")));
    }

    #[test]
    fn conversions_keep_query_body_and_headers() {
        let req: Request = http::Request::builder()
            .method("POST")
            .uri("/api/access?code=abc")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::Text("code=xyz".into()))
            .unwrap();
        let r = from_lambda(req);
        assert_eq!(r.uri().path(), "/api/access");
        assert_eq!(r.uri().query(), Some("code=abc"));
        assert_eq!(&r.body()[..], b"code=xyz");
        let resp = http::Response::builder().status(303).header("set-cookie", "a=b").body(Bytes::from_static(b"ok")).unwrap();
        let l = to_lambda(resp);
        assert_eq!(l.status(), 303);
        assert_eq!(l.headers()["set-cookie"], "a=b");
        assert!(matches!(l.body(), Body::Text(s) if s == "ok"));
    }
}
