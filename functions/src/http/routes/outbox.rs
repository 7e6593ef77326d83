//! `GET /api/outbox` (dev server only): the emails written to the local
//! outbox. What is due in the store's outbox is delivered first (as the
//! background drainer would a moment later), so a test or a developer that
//! has just acted sees its email.
use super::Res;
use crate::app::App;
use crate::http::error::ApiError;

pub async fn list(app: &App) -> Res {
    let Some(dir) = &app.config.outbox_dir else {
        return Err(nothing_here());
    };
    // The background drainer may hold a mail this very moment: wait (for at
    // most a few seconds) until it has settled it, so the list is complete.
    for _ in 0..250 {
        let done = app.deliverer().drain().await.map_err(ApiError::from)?;
        if !done.iter().any(|(_, a)| matches!(a, crate::mail::deliver::Attempt::Held(_))) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    listing(dir)
}

fn nothing_here() -> ApiError {
    ApiError::NotFound(crate::domain::Text::new("There is nothing at this address", "Il n’y a rien à cette adresse"))
}

#[cfg(feature = "outbox")]
fn listing(dir: &std::path::Path) -> Res {
    let list = crate::mail::OutboxMailer::list(dir).map_err(|_| ApiError::Internal { cause: "outbox_unreadable" })?;
    Ok(crate::http::respond::json(http::StatusCode::OK, &list))
}

/// Only a build with the dev outbox can list it (the Lambda functions have none).
#[cfg(not(feature = "outbox"))]
fn listing(_dir: &std::path::Path) -> Res {
    Err(nothing_here())
}

#[cfg(test)]
mod tests {
    #[test]
    fn nothing_here_is_said_in_both_languages() {
        let e = super::nothing_here();
        assert_eq!(e.message(crate::domain::Language::En), "There is nothing at this address");
        assert_eq!(e.message(crate::domain::Language::Fr), "Il n’y a rien à cette adresse");
    }
}
