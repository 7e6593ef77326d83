//! Who is calling. An emailed access code is exchanged, by a POST, for a
//! session; the session token (in a cookie, or a bearer token for API
//! clients) identifies one member of one group until it ends.
use super::{change, change_mailing, mail_limit, ActionError, App, Failure, Mail, NEW_LINKS_PER_MEMBER_PER_DAY};
use crate::domain::membership::new_link;
use crate::domain::{AccessCode, Actor, CodeHash, Cpso, Effect, Email, Group, GroupMember, Language, Limit, Session, SessionToken, Write};
use crate::mail::messages::{self, Recipient};
use crate::store::{ConflictKind, StoreError};

/// A signed-in member, with their group as it stands.
#[derive(Debug, Clone)]
pub struct Caller {
    pub group: Group,
    pub slot: u8,
    /// The hash of the session token the request carried.
    pub session: CodeHash,
}

impl Caller {
    pub fn member(&self) -> &GroupMember {
        // `authenticate` found the member in this very group.
        self.group.member(self.slot).unwrap_or(&self.group.members[0])
    }
    /// The session, for a write that must be done by it.
    pub fn acting(&self) -> Option<(u8, CodeHash)> {
        Some((self.slot, self.session.clone()))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No such group, member or live session, or a code that is not (or no
    /// longer) the member's: the caller learns nothing about which.
    #[error("not signed in, or the link is not valid")]
    InvalidCode,
    #[error(transparent)]
    Failed(#[from] Failure),
}

/// The group `id` as it stands now, or `None`.
async fn live_group(app: &App, id: &crate::domain::GroupId) -> Result<Option<Group>, Failure> {
    match app.store.get_group(id).await {
        Ok(g) => Ok(g.as_of(app.clock.now())),
        Err(StoreError::NotFound) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// The member whose live session `token` is (one strongly consistent read
/// of the group; once a day also a write recording the use).
pub async fn authenticate(app: &App, token: &SessionToken) -> Result<Caller, AuthError> {
    let now = app.clock.now();
    let group = live_group(app, token.group()).await?.ok_or(AuthError::InvalidCode)?;
    let slot = group.session_member(token, now).ok_or(AuthError::InvalidCode)?;
    let session = token.hash();
    let stale_use = group.member(slot).and_then(|m| m.session(token, now)).is_some_and(|s| s.needs_touch(now));
    if stale_use {
        match app.store.touch_session(&group.id, slot, &session, now).await {
            Ok(()) => {}
            Err(StoreError::Conflict(ConflictKind::SessionEnded) | StoreError::NotFound) => return Err(AuthError::InvalidCode),
            Err(e) => return Err(AuthError::Failed(e.into())),
        }
    }
    Ok(Caller { group, slot, session })
}

/// The member an emailed code belongs to, without signing in (the page the
/// link opens shows a button; nothing changes on a GET).
pub async fn check_code(app: &App, raw: &str) -> Result<(Group, u8), AuthError> {
    let code = AccessCode::parse(raw).ok_or(AuthError::InvalidCode)?;
    let group = live_group(app, code.group()).await?.ok_or(AuthError::InvalidCode)?;
    let slot = group.authenticate(&code).ok_or(AuthError::InvalidCode)?;
    Ok((group, slot))
}

/// Exchange an emailed code for a new session (one read and one write).
/// The write is conditioned on the group's version, so a code replaced
/// between the read and the write (a new link) cannot still open a session:
/// the code is checked again on the group as it then stands.
pub async fn sign_in(app: &App, raw: &str) -> Result<(SessionToken, Caller), AuthError> {
    let code = AccessCode::parse(raw).ok_or(AuthError::InvalidCode)?;
    let (group, slot) = check_code(app, raw).await?;
    let token = AccessCode::generate(&group.id, slot as usize, app.random.as_ref()).map_err(Failure::from)?;
    let result = change(app, group, None, |g| {
        let now = app.clock.now();
        let m = g.authenticate(&code).and_then(|s| g.member(s)).ok_or(ActionError::Gone)?;
        // One more device beyond the limit ends the oldest session, named
        // here so the store's write needs nothing it has not been told.
        let mut live: Vec<&Session> = m.sessions.iter().filter(|s| s.is_live(now)).collect();
        live.sort_by_key(|s| s.created_at);
        let excess = (live.len() + 1).saturating_sub(crate::domain::access::MAX_SESSIONS);
        let mut effects: Vec<Effect> = live.iter().take(excess).map(|s| Effect::EndSession { slot, hash: s.hash.clone() }).collect();
        effects.push(Effect::AddSession { slot, session: Session::new(token.hash(), now) });
        Ok((effects, vec![]))
    })
    .await;
    match result {
        Ok((_, group)) => Ok((token.clone(), Caller { group, slot, session: token.hash() })),
        Err(ActionError::Failed(f)) => Err(AuthError::Failed(f)),
        Err(ActionError::Busy) => Err(AuthError::Failed(Failure::Store(StoreError::Throttled))),
        Err(_) => Err(AuthError::InvalidCode),
    }
}

/// End the caller's session (`everywhere`: all of their sessions).
pub async fn sign_out(app: &App, caller: &Caller, everywhere: bool) -> Result<(), Failure> {
    let effect = if everywhere {
        Effect::EndSessions { slot: caller.slot }
    } else {
        Effect::EndSession { slot: caller.slot, hash: caller.session.clone() }
    };
    let mut w = Write::new(&caller.group, app.clock.now(), vec![effect]);
    w.expect_version = None;
    match app.store.write(&w.with_token(app.token()?)).await {
        Ok(()) | Err(StoreError::NotFound) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Record the caller's preferred language (the pages and emails then use
/// it): one write on the member's own record, checked against the session,
/// which leaves the group's version alone (an open plan form stays valid).
pub async fn set_language(app: &App, caller: &Caller, language: Language) -> Result<(), ActionError> {
    if caller.member().member.language == language {
        return Ok(());
    }
    let mut w = Write::new(&caller.group, app.clock.now(), vec![Effect::SetLanguage { slot: caller.slot, language }]);
    w.expect_version = None;
    w.actor_session = caller.acting();
    Ok(app.store.write(&w.with_token(app.token()?)).await?)
}

/// The personal link that opens the sign-in page for `code`.
pub fn personal_link(app: &App, code: &AccessCode) -> String {
    format!("{}/api/access?code={}", app.config.public_base_url, code.expose())
}

/// The recipient of a member's email.
pub fn recipient(m: &GroupMember) -> Recipient {
    Recipient { name: m.member.name.clone(), email: m.member.email.clone(), language: m.member.language, role: m.member.role }
}

/// "Send me a new link": when `cpso` and `email` match a member of the
/// physician's current group, give them a new code (the old one and every
/// session end) and email it to the address on file. The caller is told
/// nothing either way; at most 3 a day per member.
pub async fn request_new_link(app: &App, cpso: &Cpso, email: &Email) -> Result<(), Failure> {
    let Some(current) = app.store.group_of(cpso).await? else { return Ok(()) };
    let Some(group) = live_group(app, &current.group).await? else { return Ok(()) };
    let Some(m) = group.member_by_cpso(cpso).filter(|m| m.member.email.same_mailbox(email)) else { return Ok(()) };
    let slot = m.slot;
    let code = AccessCode::generate(&group.id, slot as usize, app.random.as_ref())?;
    let today = app.clock.today();
    let result = change_mailing(
        app,
        group,
        None,
        |g| {
            let m = g.member(slot).ok_or(ActionError::Gone)?;
            let fx = new_link(g, slot, code.hash(), m.actor(), app.clock.now())?;
            let limits = vec![
                Limit { key: format!("links:{}:{}", g.id, slot), day: today, max: NEW_LINKS_PER_MEMBER_PER_DAY },
                mail_limit(&m.member.email, today),
            ];
            Ok((fx, limits))
        },
        &|_, after| after.member(slot).map(|m| new_link_mail(app, m, &code)).into_iter().collect(),
    )
    .await;
    match result {
        Ok(_) => Ok(()),
        Err(ActionError::Failed(f)) => Err(f),
        Err(e) => {
            tracing::info!(outcome = %e, "new link not sent");
            Ok(())
        }
    }
}

/// Staff reissue a member's link (`qi admin members reissue`): like
/// [`request_new_link`] without the daily limit, recorded as staff's.
pub async fn reissue_link(app: &App, group: Group, slot: u8) -> Result<(), ActionError> {
    let code = AccessCode::generate(&group.id, slot as usize, app.random.as_ref()).map_err(Failure::from)?;
    change_mailing(app, group, None, |g| Ok((new_link(g, slot, code.hash(), Actor::Staff, app.clock.now())?, vec![])), &|_, after| {
        after.member(slot).map(|m| new_link_mail(app, m, &code)).into_iter().collect()
    })
    .await?;
    Ok(())
}

/// The email carrying `m`'s new link.
pub(super) fn new_link_mail(app: &App, m: &GroupMember, code: &AccessCode) -> Mail {
    (messages::new_link(&recipient(m), &personal_link(app, code)), "new_link")
}
