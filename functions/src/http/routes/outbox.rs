//! `GET /api/outbox` (dev server only): the emails written to the local outbox.
use http::StatusCode;

use super::Res;
use crate::app::App;
use crate::http::error::ApiError;
use crate::http::respond::json;
use crate::mail::OutboxMailer;

pub fn list(app: &App) -> Res {
    let Some(dir) = &app.config.outbox_dir else {
        return Err(ApiError::NotFound("There is nothing at this address".into()));
    };
    let list = OutboxMailer::list(dir).map_err(|_| ApiError::Internal { cause: "outbox_unreadable" })?;
    Ok(json(StatusCode::OK, &list))
}
