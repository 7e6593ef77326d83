//! `POST /api/me/language`: the member chooses the language of their pages
//! and emails (the switcher on every member page), recorded as their
//! preference.
use http::StatusCode;
use serde_json::json;

use super::{caller, Req, Res};
use crate::app::App;
use crate::domain::{FieldError, Language, Text};
use crate::http::error::ApiError;
use crate::http::input::{read_fields, Wants};
use crate::http::respond::{json, see_other};

pub async fn set(app: &App, req: &Req, wants: Wants) -> Res {
    let f = read_fields(req)?;
    let Ok(language) = Language::parse(f.get("lang")) else {
        return Err(ApiError::validation(
            Text::new("The language was not changed", "La langue n’a pas été changée"),
            vec![FieldError::tr("lang", "invalid_format", "Choose English or French", "Choisissez le français ou l’anglais")],
        ));
    };
    let caller = caller(app, req, Some(&f)).await?;
    crate::app::access::set_language(app, &caller, language).await?;
    match wants {
        Wants::Json => Ok(json(StatusCode::OK, &json!({ "language": language.as_str() }))),
        // Back to the member page the switch was on, now in that language.
        Wants::Html => Ok(see_other(&format!("{}?lang={}", back_to(f.get("back")), language.as_str()))),
    }
}

/// The member page to return to: a path under `/api/me` (never another
/// site, never a query the page did not make), else the task list.
fn back_to(back: &str) -> &str {
    let path = back.split(['?', '#']).next().unwrap_or("");
    let safe = path == "/api/me"
        || (path.starts_with("/api/me/") && path.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'_')));
    if safe && !path.contains("//") {
        path
    } else {
        "/api/me"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_member_pages_are_returned_to() {
        assert_eq!(back_to("/api/me/activities?saved=x"), "/api/me/activities");
        assert_eq!(back_to("/api/me"), "/api/me");
        assert_eq!(back_to("/api/me/goals/g-1"), "/api/me/goals/g-1");
        for bad in ["https://evil.example/api/me", "//evil.example", "/api/me//evil", "/groups/", "/api/mex", "", "/api/me/%2e%2e"] {
            assert_eq!(back_to(bad), "/api/me", "{bad}");
        }
    }
}
