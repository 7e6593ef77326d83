//! The `/api/*` half of `qi serve`: the same handler code the Lambda functions
//! run, on the embedded store, with email going to the local outbox.
//!
//! Owned by the functions work; `serve.rs` only calls [`local_api`].
use std::{future::Future, path::Path, pin::Pin, sync::Arc};

use bytes::Bytes;

/// One request in, one response out: what the dev server hands `/api/*` to.
pub type ApiFn = Arc<dyn Fn(http::Request<Bytes>) -> Pin<Box<dyn Future<Output = http::Response<Bytes>> + Send>> + Send + Sync>;

/// Build the local API over the embedded store kept in `data_dir`.
/// `public_base_url` is where the site is served (used in personal links).
#[cfg(feature = "api")]
pub async fn local_api(data_dir: &Path, public_base_url: &str) -> anyhow::Result<ApiFn> {
    qi_functions::http::init_logging();
    let app = Arc::new(qi_functions::local::local_app(data_dir, public_base_url).await?);
    Ok(Arc::new(move |req| {
        let app = app.clone();
        Box::pin(async move { qi_functions::handle(&app, req).await })
    }))
}

/// Without the `api` feature the dev server answers `/api/*` with 503.
#[cfg(not(feature = "api"))]
pub async fn local_api(_data_dir: &Path, _public_base_url: &str) -> anyhow::Result<ApiFn> {
    Ok(Arc::new(|_req| {
        Box::pin(async {
            http::Response::builder()
                .status(503)
                .header("content-type", "application/json")
                .body(Bytes::from_static(br#"{"error":"unavailable","message":"qi was built without the api feature","fields":[]}"#))
                .expect("static response")
        })
    }))
}
