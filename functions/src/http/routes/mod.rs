//! One module per Lambda route group (see `super::lambda_routes`): each route
//! decodes the request into domain values, calls one use case in
//! [`crate::app`], and encodes its answer or maps its error.
mod access;
mod activities;
mod coaching;
mod group;
mod language;
mod measures;
mod outbox;
mod pip;
mod reminders;
mod sign_up;
mod status;

use bytes::Bytes;
use http::StatusCode;

use super::error::ApiError;
use super::input::{session_token, Fields, Wants};
use super::respond::{with_body, Resp};
use super::Route;
use crate::app::access::{AuthError, Caller};
use crate::app::App;
use crate::domain::Text;

type Req = http::Request<Bytes>;
type Res = Result<Resp, ApiError>;

pub async fn dispatch(app: &App, req: &Req, route: Route, id: Option<&str>, wants: Wants) -> Res {
    let get = req.method() == http::Method::GET;
    let r = route_to(app, req, route, id, wants, get).await;
    // A member page opened in a browser without a session: what to do to
    // sign in, rather than an error.
    match r {
        Err(ApiError::Unauthorized(_)) if get && wants == Wants::Html && route.is_member_page() => {
            let ended = session_token(req, app.config.secure_cookies()).ok().flatten().is_some();
            Ok(html_page(super::pages::signed_out_page(ended)))
        }
        r => r,
    }
}

async fn route_to(app: &App, req: &Req, route: Route, id: Option<&str>, wants: Wants, get: bool) -> Res {
    match route {
        Route::Groups => sign_up::sign_up(app, req, wants).await,
        Route::Group | Route::MeStatus => status::status(app, req, id, wants).await,
        Route::MeActivities if get => activities::page(app, req, wants).await,
        Route::Activities | Route::MeActivities => activities::check_off(app, req, id, wants).await,
        Route::MePip if get => pip::page(app, req, wants).await,
        Route::Pip | Route::MePip => pip::save(app, req, id, wants, req.method() == http::Method::PUT).await,
        Route::PipSubmit | Route::MePipSubmit => pip::submit(app, req, id, wants).await,
        Route::Me => status::me(app, req, wants).await,
        Route::Access if get => access::link_page(app, req, wants).await,
        Route::Access => access::sign_in(app, req, wants).await,
        Route::Logout => access::sign_out(app, req, wants, false).await,
        Route::LogoutEverywhere => access::sign_out(app, req, wants, true).await,
        Route::Recover => access::recover(app, req, wants).await,
        Route::MeGroup => group::page(app, req, wants).await,
        Route::Confirm | Route::Discard | Route::Accept | Route::Decline | Route::Leave | Route::Dissolve => {
            group::act(app, req, route, wants).await
        }
        Route::Peers => group::invite(app, req, wants).await,
        Route::PeerRemove => group::remove(app, req, id, wants).await,
        Route::Coaching => coaching::ask(app, req, wants).await,
        Route::Outbox => outbox::list(app).await,
        Route::MeMeasures => measures::overview(app, req, wants).await,
        Route::MeGoal => measures::goal(app, req, id, wants).await,
        Route::MeGoalPoints => measures::points(app, req, id, wants).await,
        Route::MeGoalCycles => measures::cycles(app, req, id, wants).await,
        Route::ReminderOptOut if get => reminders::page(req, wants),
        Route::ReminderOptOut => reminders::opt_out(app, req, wants).await,
        Route::MeReminders => reminders::set(app, req, wants).await,
        Route::MeLanguage => language::set(app, req, wants).await,
    }
}

fn unauthorized() -> ApiError {
    ApiError::Unauthorized(Text::new(
        "You are not signed in, or your session has ended: open the personal link from your QI Groups email, or ask for a new link",
        "Votre session n’est pas ouverte, ou elle a pris fin\u{a0}: ouvrez le lien personnel de votre courriel de Groupes AQ, ou demandez un nouveau lien",
    ))
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::InvalidCode => unauthorized(),
            AuthError::Failed(f) => f.into(),
        }
    }
}

/// The caller, from the session token the request carries.
/// The caller, from the session token the request carries; their recorded
/// language becomes the answer's, unless the request chose one.
async fn caller(app: &App, req: &Req, _fields: Option<&Fields>) -> Result<Caller, ApiError> {
    let token = session_token(req, app.config.secure_cookies()).map_err(|_| unauthorized())?.ok_or_else(unauthorized)?;
    let c = crate::app::access::authenticate(app, &token).await?;
    super::lang::prefer_member(c.member().member.language);
    Ok(c)
}

/// A caller who has accepted (the lead by confirming): only members see the
/// group's progress and plan, write the plan, or ask for coaching.
async fn member(app: &App, req: &Req, fields: Option<&Fields>) -> Result<Caller, ApiError> {
    let c = caller(app, req, fields).await?;
    use crate::domain::Phase;
    if c.member().status.is_accepted() && matches!(c.group.phase(), Phase::Confirmed | Phase::Formed | Phase::Submitted) {
        Ok(c)
    } else {
        Err(ApiError::Forbidden(Text::new(
            "You are not a member of an active group: confirm the proposal or accept the invitation on your group's page (/api/me/group) first; a dissolved group's page shows only its history",
            "Vous n’êtes pas membre d’un groupe actif\u{a0}: confirmez d’abord la proposition ou acceptez l’invitation sur la page de votre groupe (/api/me/group); la page d’un groupe dissous n’en montre que l’historique",
        )))
    }
}

/// The caller, who must be a member of the group a path's `{id}` names.
async fn caller_in(app: &App, req: &Req, fields: Option<&Fields>, path_id: Option<&str>) -> Result<Caller, ApiError> {
    let c = member(app, req, fields).await?;
    match path_id {
        Some(id) if id != c.group.id.as_str() => Err(ApiError::Forbidden(Text::new(
            "You are signed in to another group: you can only see and change your own group",
            "Votre session est ouverte pour un autre groupe\u{a0}: vous ne pouvez consulter et modifier que votre propre groupe",
        ))),
        _ => Ok(c),
    }
}

/// A server-rendered page (the no-JavaScript member pages).
fn html_page(body: String) -> Resp {
    let mut r = with_body(StatusCode::OK, "text/html; charset=utf-8", body);
    r.headers_mut().insert("content-security-policy", http::HeaderValue::from_static(super::pages::CSP));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signing_in_is_asked_for_in_both_languages() {
        let e = unauthorized();
        assert!(e.message(crate::domain::Language::En).starts_with("You are not signed in, or your session has ended: "));
        assert_eq!(
            e.message(crate::domain::Language::Fr),
            "Votre session n’est pas ouverte, ou elle a pris fin\u{a0}: ouvrez le lien personnel de votre courriel de Groupes AQ, ou demandez un nouveau lien"
        );
    }
}
