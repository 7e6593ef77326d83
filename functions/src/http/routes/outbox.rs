//! `GET /api/outbox` (dev server only): the emails written to the local outbox.
use super::Res;
use crate::app::App;
use crate::http::error::ApiError;

pub fn list(app: &App) -> Res {
    let Some(dir) = &app.config.outbox_dir else {
        return Err(ApiError::NotFound("There is nothing at this address".into()));
    };
    listing(dir)
}

#[cfg(feature = "outbox")]
fn listing(dir: &std::path::Path) -> Res {
    let list = crate::mail::OutboxMailer::list(dir).map_err(|_| ApiError::Internal { cause: "outbox_unreadable" })?;
    Ok(crate::http::respond::json(http::StatusCode::OK, &list))
}

/// Only a build with the dev outbox can list it (the Lambda functions have none).
#[cfg(not(feature = "outbox"))]
fn listing(_dir: &std::path::Path) -> Res {
    Err(ApiError::NotFound("There is nothing at this address".into()))
}
