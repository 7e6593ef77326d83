//! `GET /api/groups/{id}`, `/api/me`, `/api/me/status`.
use http::StatusCode;
use serde_json::json;

use super::{caller, caller_in, html_page, Req, Res};
use crate::app::{status, App};
use crate::http::encode;
use crate::http::input::Wants;
use crate::http::respond::json;

pub async fn status(app: &App, req: &Req, id: Option<&str>, wants: Wants) -> Res {
    let caller = caller_in(app, req, None, id).await?;
    match wants {
        Wants::Json => Ok(json(StatusCode::OK, &encode::group_status(&status::of_group(app, &caller.group)))),
        Wants::Html => Ok(html_page(crate::http::pages::status_page(&caller.group, caller.slot, &app.credits))),
    }
}

/// Who is signed in: their group (name and phase) and themselves; for a
/// browser, the member area's task list.
pub async fn me(app: &App, req: &Req, wants: Wants) -> Res {
    let caller = caller(app, req, None).await?;
    if wants == Wants::Html {
        return Ok(html_page(crate::http::pages::tasks_page(&caller.group, caller.slot, app.clock.today())));
    }
    let gm = caller.member();
    let m = &gm.member;
    Ok(json(
        StatusCode::OK,
        &json!({
            "group_id": caller.group.id.as_str(),
            "group": { "name": caller.group.name.as_str(), "phase": caller.group.phase().key() },
            "member": {
                "slot": gm.slot,
                "cpso": m.cpso.as_str(),
                "name": m.name.as_str(),
                "role": m.role.as_str(),
                "status": gm.status.key(),
                "language": m.language.as_str(),
            },
        }),
    ))
}
