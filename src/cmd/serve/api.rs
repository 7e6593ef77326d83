//! The `/api/*` half of `qi serve`: the same handler code the Lambda functions
//! run, on the embedded store, with email going to the local outbox.
use std::{future::Future, path::Path, pin::Pin, sync::Arc};

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse as _, Response};
use bytes::Bytes;

/// One request in, one response out: what the dev server hands `/api/*` to.
pub(super) type ApiFn = Arc<dyn Fn(http::Request<Bytes>) -> Pin<Box<dyn Future<Output = http::Response<Bytes>> + Send>> + Send + Sync>;

/// Largest request body passed to the API.
const MAX_BODY: usize = 2 * 1024 * 1024;

/// Build the local API over the embedded store kept in `data_dir`.
/// `public_base_url` is where the site is served (used in personal links).
#[cfg(feature = "api")]
pub(super) async fn local_api(data_dir: &Path, public_base_url: &str) -> anyhow::Result<ApiFn> {
    qi_functions::http::init_logging();
    let app = Arc::new(qi_functions::local::local_app(data_dir, public_base_url).await?);
    // Emails are queued by the requests' writes and delivered by this task.
    let drainer = qi_functions::local::spawn_drainer(app.clone());
    Ok(Arc::new(move |req| {
        let (app, drainer) = (app.clone(), drainer.clone());
        Box::pin(async move {
            let answer = qi_functions::handle(&app, req).await;
            drainer.notify_one();
            answer
        })
    }))
}

/// Without the `api` feature the dev server answers `/api/*` with 503.
#[cfg(not(feature = "api"))]
pub(super) async fn local_api(_data_dir: &Path, _public_base_url: &str) -> anyhow::Result<ApiFn> {
    Ok(Arc::new(|_req| {
        Box::pin(async {
            let mut answer = http::Response::new(Bytes::from_static(
                br#"{"error":"unavailable","message":"qi was built without the api feature","fields":[]}"#,
            ));
            *answer.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
            answer.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
            answer
        })
    }))
}

/// Hand the request to the local API as an `http::Request<Bytes>`, the shape
/// the Lambda adapter gives the handlers. API answers are never cached
/// unless the handler says otherwise.
pub(super) async fn forward(api: &ApiFn, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY).await else {
        return (
            StatusCode::PAYLOAD_TOO_LARGE,
            [(header::CONTENT_TYPE, "application/json")],
            r#"{"error":"payload_too_large","message":"The request is too large."}"#,
        )
            .into_response();
    };
    let response = api(http::Request::from_parts(parts, bytes)).await;
    let (mut parts, body) = response.into_parts();
    parts.headers.entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
    Response::from_parts(parts, Body::from(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn echo() -> ApiFn {
        Arc::new(|req: http::Request<Bytes>| {
            Box::pin(async move {
                let mut answer = http::Response::new(req.into_body());
                answer.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
                answer
            })
        })
    }

    #[tokio::test]
    async fn forwards_the_body_and_forbids_caching() {
        let req = Request::builder().method("POST").uri("/api/x").body(Body::from("{\"a\":1}")).unwrap();
        let answer = forward(&echo(), req).await;
        assert_eq!(answer.status(), StatusCode::OK);
        assert_eq!(answer.headers()[header::CACHE_CONTROL], "no-store");
        let body = axum::body::to_bytes(answer.into_body(), 1024).await.unwrap();
        assert_eq!(&body[..], b"{\"a\":1}");
    }

    #[tokio::test]
    async fn refuses_a_body_over_the_limit() {
        let req = Request::builder().method("POST").uri("/api/x").body(Body::from(vec![b'x'; MAX_BODY + 1])).unwrap();
        let answer = forward(&echo(), req).await;
        assert_eq!(answer.status(), StatusCode::PAYLOAD_TOO_LARGE);
    }
}
