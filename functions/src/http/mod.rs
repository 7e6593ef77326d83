//! The API: one router used by every Lambda binary and by the dev server.
//!
//! [`handle`] takes an `http::Request<Bytes>` and returns an
//! `http::Response<Bytes>`; nothing here knows about Lambda or a socket.
pub mod chart;
pub mod decode;
pub mod encode;
pub mod error;
pub mod forms;
pub mod goals;
pub mod html;
pub mod input;
pub mod lang;
pub mod pages;
pub mod respond;
mod routes;

use std::time::Instant;

use bytes::Bytes;
use http::HeaderValue;

pub use crate::app::{App, Config};
use crate::domain::{random_hex, Text};
use error::ApiError;
use input::Wants;
use respond::{error_response, secure};

/// The routes of the API. `template()` is what logs record (never the raw path).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Route {
    Groups,
    Group,
    Activities,
    Pip,
    PipSubmit,
    Me,
    MeStatus,
    MeActivities,
    MePip,
    MePipSubmit,
    Access,
    Logout,
    LogoutEverywhere,
    Recover,
    MeGroup,
    Confirm,
    Discard,
    Accept,
    Decline,
    Peers,
    PeerRemove,
    Leave,
    Dissolve,
    Coaching,
    Outbox,
    MeMeasures,
    MeGoal,
    MeGoalPoints,
    MeGoalCycles,
    ReminderOptOut,
    MeReminders,
    MeLanguage,
}

impl Route {
    pub const ALL: &'static [Route] = &[
        Route::Groups,
        Route::Group,
        Route::Activities,
        Route::Pip,
        Route::PipSubmit,
        Route::Me,
        Route::MeStatus,
        Route::MeActivities,
        Route::MePip,
        Route::MePipSubmit,
        Route::Access,
        Route::Logout,
        Route::LogoutEverywhere,
        Route::Recover,
        Route::MeGroup,
        Route::Confirm,
        Route::Discard,
        Route::Accept,
        Route::Decline,
        Route::Peers,
        Route::PeerRemove,
        Route::Leave,
        Route::Dissolve,
        Route::Coaching,
        Route::Outbox,
        Route::MeMeasures,
        Route::MeGoal,
        Route::MeGoalPoints,
        Route::MeGoalCycles,
        Route::ReminderOptOut,
        Route::MeReminders,
        Route::MeLanguage,
    ];

    pub fn template(self) -> &'static str {
        match self {
            Route::Groups => "/api/groups",
            Route::Group => "/api/groups/{id}",
            Route::Activities => "/api/groups/{id}/activities",
            Route::Pip => "/api/groups/{id}/pip",
            Route::PipSubmit => "/api/groups/{id}/pip/submit",
            Route::Me => "/api/me",
            Route::MeStatus => "/api/me/status",
            Route::MeActivities => "/api/me/activities",
            Route::MePip => "/api/me/pip",
            Route::MePipSubmit => "/api/me/pip/submit",
            Route::Access => "/api/access",
            Route::Logout => "/api/access/logout",
            Route::LogoutEverywhere => "/api/access/logout-everywhere",
            Route::Recover => "/api/access/recover",
            Route::MeGroup => "/api/me/group",
            Route::Confirm => "/api/me/proposal/confirm",
            Route::Discard => "/api/me/proposal/discard",
            Route::Accept => "/api/me/invitation/accept",
            Route::Decline => "/api/me/invitation/decline",
            Route::Peers => "/api/me/peers",
            Route::PeerRemove => "/api/me/peers/{id}/remove",
            Route::Leave => "/api/me/leave",
            Route::Dissolve => "/api/me/dissolve",
            Route::Coaching => "/api/coaching",
            Route::Outbox => "/api/outbox",
            Route::MeMeasures => "/api/me/measures",
            Route::MeGoal => "/api/me/goals/{id}",
            Route::MeGoalPoints => "/api/me/goals/{id}/points",
            Route::MeGoalCycles => "/api/me/goals/{id}/cycles",
            Route::ReminderOptOut => "/api/reminders/opt-out",
            Route::MeReminders => "/api/me/reminders",
            Route::MeLanguage => "/api/me/language",
        }
    }

    pub fn methods(self) -> &'static [&'static str] {
        match self {
            Route::Groups => &["POST"],
            Route::Group | Route::Me | Route::MeStatus | Route::MeGroup | Route::Outbox | Route::MeMeasures | Route::MeGoal => &["GET"],
            Route::MeGoalPoints | Route::MeGoalCycles => &["POST"],
            Route::Activities => &["POST"],
            Route::MeActivities => &["GET", "POST"],
            Route::Pip => &["PUT", "POST"],
            Route::MePip => &["GET", "PUT", "POST"],
            Route::PipSubmit | Route::MePipSubmit => &["POST"],
            Route::Access | Route::ReminderOptOut => &["GET", "POST"],
            Route::Logout
            | Route::LogoutEverywhere
            | Route::Recover
            | Route::Confirm
            | Route::Discard
            | Route::Accept
            | Route::Decline
            | Route::Peers
            | Route::PeerRemove
            | Route::Leave
            | Route::Dissolve
            | Route::Coaching
            | Route::MeReminders
            | Route::MeLanguage => &["POST"],
        }
    }

    /// The member area's pages, which a browser opens (GET).
    pub fn is_member_page(self) -> bool {
        matches!(
            self,
            Route::Me
                | Route::MeStatus
                | Route::MeActivities
                | Route::MePip
                | Route::MeGroup
                | Route::Group
                | Route::MeMeasures
                | Route::MeGoal
        )
    }

    /// The site page to link back to from an HTML error page.
    pub fn form_page(self) -> &'static str {
        match self {
            Route::Groups => "/groups/sign-up/",
            Route::Access | Route::Me | Route::MeLanguage => "/api/me",
            Route::Group | Route::MeStatus => "/api/me/status",
            Route::Activities | Route::MeActivities => "/api/me/activities",
            Route::Pip | Route::PipSubmit | Route::MePip | Route::MePipSubmit => "/api/me/pip",
            Route::Coaching => "/support/ask/",
            Route::Recover => "/me/new-link/",
            Route::MeMeasures | Route::MeGoal | Route::MeGoalPoints | Route::MeGoalCycles | Route::MeReminders => "/api/me/measures",
            Route::MeGroup
            | Route::Confirm
            | Route::Discard
            | Route::Accept
            | Route::Decline
            | Route::Peers
            | Route::PeerRemove
            | Route::Leave
            | Route::Dissolve => "/api/me/group",
            Route::Logout | Route::LogoutEverywhere | Route::Outbox | Route::ReminderOptOut => "/",
        }
    }

    /// Match a path (one trailing slash tolerated) to a route and its `{id}`.
    pub fn match_path(path: &str) -> Option<(Route, Option<&str>)> {
        let p = if path.len() > 1 { path.strip_suffix('/').unwrap_or(path) } else { path };
        let rest = p.strip_prefix("/api/")?;
        let parts: Vec<&str> = rest.split('/').collect();
        let r = match parts.as_slice() {
            ["groups"] => (Route::Groups, None),
            ["groups", id] => (Route::Group, Some(*id)),
            ["groups", id, "activities"] => (Route::Activities, Some(*id)),
            ["groups", id, "pip"] => (Route::Pip, Some(*id)),
            ["groups", id, "pip", "submit"] => (Route::PipSubmit, Some(*id)),
            ["me"] => (Route::Me, None),
            ["me", "status"] => (Route::MeStatus, None),
            ["me", "activities"] => (Route::MeActivities, None),
            ["me", "pip"] => (Route::MePip, None),
            ["me", "pip", "submit"] => (Route::MePipSubmit, None),
            ["access"] => (Route::Access, None),
            ["access", "logout"] => (Route::Logout, None),
            ["access", "logout-everywhere"] => (Route::LogoutEverywhere, None),
            ["access", "recover"] => (Route::Recover, None),
            ["me", "group"] => (Route::MeGroup, None),
            ["me", "proposal", "confirm"] => (Route::Confirm, None),
            ["me", "proposal", "discard"] => (Route::Discard, None),
            ["me", "invitation", "accept"] => (Route::Accept, None),
            ["me", "invitation", "decline"] => (Route::Decline, None),
            ["me", "peers"] => (Route::Peers, None),
            ["me", "peers", slot, "remove"] => (Route::PeerRemove, Some(*slot)),
            ["me", "leave"] => (Route::Leave, None),
            ["me", "dissolve"] => (Route::Dissolve, None),
            ["coaching"] => (Route::Coaching, None),
            ["outbox"] => (Route::Outbox, None),
            ["me", "measures"] => (Route::MeMeasures, None),
            ["me", "goals", id] => (Route::MeGoal, Some(*id)),
            ["me", "goals", id, "points"] => (Route::MeGoalPoints, Some(*id)),
            ["me", "goals", id, "cycles"] => (Route::MeGoalCycles, Some(*id)),
            ["reminders", "opt-out"] => (Route::ReminderOptOut, None),
            ["me", "reminders"] => (Route::MeReminders, None),
            ["me", "language"] => (Route::MeLanguage, None),
            _ => return None,
        };
        if r.1.is_some_and(|id| id.is_empty()) {
            return None;
        }
        Some(r)
    }
}

/// Routes served by each Lambda function.
pub mod lambda_routes {
    use super::Route;
    pub const SIGNUP: &[Route] = &[Route::Groups];
    pub const ACTIVITIES: &[Route] = &[Route::Activities, Route::MeActivities];
    pub const PIP: &[Route] = &[
        Route::Pip,
        Route::PipSubmit,
        Route::MePip,
        Route::MePipSubmit,
        Route::MeMeasures,
        Route::MeGoal,
        Route::MeGoalPoints,
        Route::MeGoalCycles,
    ];
    pub const STATUS: &[Route] = &[
        Route::Group,
        Route::Me,
        Route::MeStatus,
        Route::MeGroup,
        Route::Access,
        Route::Logout,
        Route::LogoutEverywhere,
        Route::Recover,
        Route::Confirm,
        Route::Discard,
        Route::Accept,
        Route::Decline,
        Route::Peers,
        Route::PeerRemove,
        Route::Leave,
        Route::Dissolve,
        Route::ReminderOptOut,
        Route::MeReminders,
        Route::MeLanguage,
    ];
    pub const COACHING: &[Route] = &[Route::Coaching];
}

fn request_id(app: &App, req: &http::Request<Bytes>) -> String {
    let given = input::header(req, "x-request-id");
    if !given.is_empty() && given.len() <= 64 && given.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return given.to_string();
    }
    // Without randomness the id only has to tell log lines apart, not be secret.
    random_hex(app.random.as_ref(), 8).unwrap_or_else(|_| format!("t{}", app.clock.now().timestamp_micros()))
}

/// Handle one request with every route.
pub async fn handle(app: &App, req: http::Request<Bytes>) -> http::Response<Bytes> {
    handle_routes(app, req, Route::ALL).await
}

/// Handle one request, serving only `routes` (others are 404). Logs one JSON
/// line: request id, method, route template, status, outcome, latency.
pub async fn handle_routes(app: &App, req: http::Request<Bytes>, routes: &[Route]) -> http::Response<Bytes> {
    let scoped = lang::scope(&req, async { handle_in_language(app, &req, routes).await });
    scoped.await
}

/// [`handle_routes`] once the request's language is set (`lang::current`).
async fn handle_in_language(app: &App, req: &http::Request<Bytes>, routes: &[Route]) -> http::Response<Bytes> {
    let started = Instant::now();
    let rid = request_id(app, req);
    let method = req.method().clone();
    let matched = Route::match_path(req.uri().path()).filter(|(r, _)| routes.contains(r));
    // The emailed link is opened by whatever the mail client hands it to: redirect by default.
    let default = if matches!(matched, Some((Route::Access, _))) && method == http::Method::GET { Wants::Html } else { Wants::Json };
    let wants = input::wants(req, default);
    let back = input::referer_path(req);
    let (label, result) = match matched {
        None => (
            "(unmatched)".to_string(),
            Err(ApiError::NotFound(Text::new("There is nothing at this address", "Il n’y a rien à cette adresse"))),
        ),
        Some((route, id)) => {
            let label = format!("{} {}", method, route.template());
            let id = id.map(str::to_string);
            let changes_state = !matches!(method, http::Method::GET | http::Method::HEAD);
            let r = if !route.methods().contains(&method.as_str()) {
                Err(ApiError::MethodNotAllowed(route.methods()))
            } else if changes_state && input::from_another_site(req, &app.config.origin()) {
                Err(ApiError::Forbidden(Text::new(
                    "This form was sent from another website, so it was refused: open QI Groups directly and try again",
                    "Ce formulaire a été envoyé depuis un autre site Web et a donc été refusé\u{a0}: ouvrez directement Groupes AQ et réessayez",
                )))
            } else {
                routes::dispatch(app, req, route, id.as_deref(), wants).await
            };
            (label, r)
        }
    };
    let (resp, outcome, cause) = match result {
        Ok(r) => (r, "ok", None),
        Err(e) => {
            // A site form posted without JavaScript comes back as the same
            // form with its answers (forms.rs); anything else gets the error page.
            let back = back.unwrap_or_else(|| matched.map(|(r, _)| r.form_page()).unwrap_or("/").to_string());
            let mut resp = error_response(&e, wants, &back);
            if let (Wants::Html, Some((route, _))) = (wants, matched) {
                // Same status and headers (Retry-After, CSP); the form as the body.
                if let Some(form) = input::read_fields(req).ok().and_then(|f| forms::refused_site_form(route, f, &e)) {
                    *resp.body_mut() = form.into_body();
                }
            }
            (resp, e.code(), e.cause())
        }
    };
    let mut resp = secure(resp);
    if let Ok(v) = HeaderValue::from_str(&rid) {
        resp.headers_mut().insert("x-request-id", v);
    }
    let latency_ms = (started.elapsed().as_secs_f64() * 100_000.0).round() / 100.0;
    let status = resp.status().as_u16();
    if status >= 500 {
        // The cause is a kind ("store_unavailable"), never a value from the request.
        let cause = cause.unwrap_or("unknown");
        tracing::error!(request_id = %rid, route = %label, status, outcome, cause, latency_ms, "request");
    } else {
        tracing::info!(request_id = %rid, route = %label, status, outcome, latency_ms, "request");
    }
    resp
}

/// JSON log lines on stdout (`RUST_LOG` filters; default `info`). Safe to call twice.
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(false)
        .with_span_list(false)
        .flatten_event(true)
        .with_target(false)
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_match() {
        assert_eq!(Route::match_path("/api/groups"), Some((Route::Groups, None)));
        assert_eq!(Route::match_path("/api/groups/"), Some((Route::Groups, None)));
        assert_eq!(Route::match_path("/api/groups/abc/pip/submit"), Some((Route::PipSubmit, Some("abc"))));
        assert_eq!(Route::match_path("/api/groups//pip"), None);
        assert_eq!(Route::match_path("/api/nothing"), None);
        assert_eq!(Route::match_path("/groups"), None);
        for r in Route::ALL {
            let path = r.template().replace("{id}", "x");
            assert_eq!(Route::match_path(&path).map(|m| m.0), Some(*r));
        }
    }
}
