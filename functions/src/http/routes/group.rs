//! The member's group: `GET /api/me/group` (the proposal to review, the
//! invitation to answer, or the members and the group's history) and the
//! changes made from it. Each POST answers 303 back to the page with a
//! notice (HTML) or the group's new state (JSON).
use http::StatusCode;
use serde_json::json;

use super::{caller, html_page, Req, Res};
use crate::app::access::Caller;
use crate::app::{membership, ActionError, App};
use crate::domain::{Group, PersonDetails, Phase, Refusal, Text};
use crate::http::decode::person;
use crate::http::error::ApiError;
use crate::http::forms::Refused;
use crate::http::input::{query, read_fields, Fields, Wants};
use crate::http::pages::{self, GroupNotice};
use crate::http::respond::{json, see_other, session_cookie, with_cookie};
use crate::http::Route;

pub use crate::http::encode::group as group_json;

pub async fn page(app: &App, req: &Req, wants: Wants) -> Res {
    let c = caller(app, req, None).await?;
    match wants {
        Wants::Json => Ok(json(StatusCode::OK, &group_json(&c.group, c.slot))),
        Wants::Html => {
            let notice = query(req).get("done").and_then(|k| GroupNotice::parse(k));
            // A lead reviewing a proposal while in another open group cannot
            // confirm it: say so before they try (one more read, this view only).
            let me = c.member();
            let in_other_group = if c.group.phase() == Phase::Proposed && me.member.role == crate::domain::Role::Lead {
                app.store
                    .group_of(&me.member.cpso)
                    .await
                    .map_err(crate::app::Failure::from)?
                    .is_some_and(|g| g.open && g.group != c.group.id)
            } else {
                false
            };
            let bounced = undeliverable(app, &c.group).await;
            Ok(html_page(pages::group_page(&c.group, c.slot, notice, None, in_other_group, &bounced, app.clock.now())))
        }
    }
}

/// 303 back to the group page with `notice`, or the group as JSON.
fn done(after: &Group, c: &Caller, wants: Wants, notice: GroupNotice) -> Res {
    match wants {
        Wants::Json => Ok(json(StatusCode::OK, &group_json(after, c.slot))),
        Wants::Html => Ok(see_other(&format!("/api/me/group?done={}", notice.key()))),
    }
}

/// The caller is no longer in any group they could see: their session went
/// with their membership, so the cookie is cleared too.
fn gone(app: &App, wants: Wants, what: &'static str) -> Res {
    let r = match wants {
        Wants::Json => json(StatusCode::OK, &json!({ what: true })),
        Wants::Html => see_other(&format!("/me/signed-out/?{what}=1")),
    };
    Ok(with_cookie(r, &session_cookie(None, app.config.secure_cookies())))
}

/// Confirm, discard, accept, decline, leave or dissolve.
pub async fn act(app: &App, req: &Req, route: Route, wants: Wants) -> Res {
    let c = caller(app, req, None).await?;
    let (after, notice) = match route {
        Route::Confirm => (membership::confirm(app, &c).await?, GroupNotice::Confirmed),
        // Dissolving a proposal discards it: nothing is left to show.
        Route::Discard | Route::Dissolve if c.group.phase() == Phase::Proposed => {
            membership::discard(app, &c).await?;
            return gone(app, wants, "discarded");
        }
        Route::Discard => return Err(ApiError::from(ActionError::Refused(Refusal::AlreadyConfirmed))),
        Route::Accept => (membership::accept(app, &c).await?, GroupNotice::Accepted),
        Route::Decline => {
            membership::decline(app, &c).await?;
            return gone(app, wants, "declined");
        }
        Route::Leave => {
            membership::leave(app, &c).await?;
            return gone(app, wants, "left");
        }
        Route::Dissolve => (membership::dissolve(app, &c).await?, GroupNotice::Dissolved),
        _ => return Err(ApiError::NotFound(Text::new("There is nothing at this address", "Il n’y a rien à cette adresse"))),
    };
    done(&after, &c, wants, notice)
}

fn peer_fields(f: &Fields) -> Result<PersonDetails, Vec<crate::domain::FieldError>> {
    let mut errors = Vec::new();
    match person(f, "peer_", &mut errors) {
        Some(p) if errors.is_empty() => Ok(p),
        _ => Err(errors),
    }
}

/// The group's addresses SES reported as undeliverable. The page is shown
/// without the notices if they cannot be read (they help; they decide nothing).
async fn undeliverable(app: &App, g: &crate::domain::Group) -> Vec<crate::domain::Undeliverable> {
    let emails: Vec<crate::domain::Email> = g.members.iter().map(|m| m.member.email.clone()).collect();
    match app.store.undeliverable(&emails).await {
        Ok(list) => list,
        Err(e) => {
            tracing::warn!(cause = e.kind(), "undeliverable addresses not read");
            Vec::new()
        }
    }
}

/// The lead invites one more peer (`peer_cpso`, `peer_name`, `peer_email`,
/// `peer_language`). A refused form comes back with its answers.
pub async fn invite(app: &App, req: &Req, wants: Wants) -> Res {
    let f = read_fields(req)?;
    let c = caller(app, req, Some(&f)).await?;
    let bounced = if wants == Wants::Html { undeliverable(app, &c.group).await } else { Vec::new() };
    let refused = |e: ApiError| -> Res {
        match wants {
            Wants::Json => Err(e),
            Wants::Html => {
                let refused = Refused::new(f.clone(), &e);
                let mut r = html_page(pages::group_page(&c.group, c.slot, None, Some(&refused), false, &bounced, app.clock.now()));
                *r.status_mut() = e.status();
                Ok(r)
            }
        }
    };
    let p = match peer_fields(&f) {
        Ok(p) => p,
        Err(errors) => return refused(ApiError::validation(nobody_invited(), errors)),
    };
    match membership::invite(app, &c, p).await {
        Ok(after) => done(&after, &c, wants, GroupNotice::Invited),
        Err(e) => {
            let e = ApiError::from(e);
            if e.fields().is_empty() {
                Err(e)
            } else {
                refused(e)
            }
        }
    }
}

/// The lead removes a peer or withdraws an invitation (`{id}` is the slot).
pub async fn remove(app: &App, req: &Req, id: Option<&str>, wants: Wants) -> Res {
    let c = caller(app, req, None).await?;
    let slot: u8 = id.and_then(|s| s.parse().ok()).ok_or_else(no_such_member)?;
    let after = membership::remove(app, &c, slot).await?;
    done(&after, &c, wants, GroupNotice::Removed)
}

fn nobody_invited() -> Text {
    Text::new("Some answers need correcting; nobody was invited", "Certaines réponses doivent être corrigées; personne n’a été invité")
}

fn no_such_member() -> ApiError {
    ApiError::NotFound(Text::new("There is no such member in the group", "Ce membre ne fait pas partie du groupe"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Language;

    #[test]
    fn refusals_are_said_in_both_languages() {
        assert_eq!(nobody_invited().get(Language::En), "Some answers need correcting; nobody was invited");
        assert_eq!(nobody_invited().get(Language::Fr), "Certaines réponses doivent être corrigées; personne n’a été invité");
        assert_eq!(no_such_member().message(Language::Fr), "Ce membre ne fait pas partie du groupe");
    }
}
