//! Changing who is in a group: the lead confirms or discards the proposal,
//! peers accept or decline, the lead invites, withdraws and removes, a peer
//! leaves, the lead (or staff) dissolves. Each is one atomic write, which
//! also queues the emails to the people it concerns.
use chrono::{DateTime, Utc};

use super::access::new_link_mail;
use super::access::{personal_link, recipient, Caller};
use super::{change, change_mailing, mail_limit, ActionError, App, Failure, Mail};
use crate::domain::membership as step;
use crate::domain::{AccessCode, Group, GroupMember, MemberStatus, PersonDetails, Role};
use crate::mail::messages::{self, Change};

/// The lead's name in `g`, for messages.
fn lead_name(g: &Group) -> String {
    g.lead().map(|l| l.member.name.to_string()).unwrap_or_default()
}

/// A fresh access code for each member in `slots` of `g` (their links).
fn codes_for(app: &App, g: &Group, slots: &[u8]) -> Result<Vec<(u8, AccessCode)>, Failure> {
    slots.iter().map(|&s| Ok((s, AccessCode::generate(&g.id, s as usize, app.random.as_ref())?))).collect()
}

fn invite_mail(app: &App, g: &Group, m: &GroupMember, code: &AccessCode) -> Option<Mail> {
    match m.status {
        MemberStatus::Invited { expires_at } => {
            Some((messages::invitation(&recipient(m), &lead_name(g), g.name.as_str(), &personal_link(app, code), expires_at), "invitation"))
        }
        _ => None,
    }
}

fn tell(app: &App, g: &Group, to: Option<&GroupMember>, what: Change<'_>) -> Vec<Mail> {
    to.map(|m| (messages::change(&recipient(m), g.name.as_str(), what, &app.config.public_base_url), "change")).into_iter().collect()
}

/// The lead confirms the proposal: they join (taking their lock) and each
/// peer is invited with a fresh link. Returns the group after.
pub async fn confirm(app: &App, caller: &Caller) -> Result<Group, ActionError> {
    let peers: Vec<u8> = caller.group.members.iter().filter(|m| m.member.role == Role::Peer).map(|m| m.slot).collect();
    let codes = codes_for(app, &caller.group, &peers)?;
    let today = app.clock.today();
    let invites = |_: &Group, after: &Group| -> Vec<Mail> {
        codes.iter().filter_map(|(slot, code)| after.member(*slot).and_then(|m| invite_mail(app, after, m, code))).collect()
    };
    let (_, after) = change_mailing(
        app,
        caller.group.clone(),
        caller.acting(),
        |g| {
            let mut fx = step::confirm(g, caller.slot, app.clock.now(), app.config.pending)?;
            // The proposal's codes were never sent to the peers: new ones go out now.
            fx.extend(codes.iter().map(|(slot, c)| crate::domain::Effect::SetCode { slot: *slot, hash: c.hash() }));
            let limits = g.members.iter().filter(|m| m.member.role == Role::Peer).map(|m| mail_limit(&m.member.email, today)).collect();
            Ok((fx, limits))
        },
        &invites,
    )
    .await?;
    Ok(after)
}

/// The lead discards their proposal: it is deleted, nobody is emailed.
pub async fn discard(app: &App, caller: &Caller) -> Result<(), ActionError> {
    change(app, caller.group.clone(), caller.acting(), |g| Ok((step::discard(g, caller.slot)?, vec![]))).await?;
    Ok(())
}

/// An invited peer accepts; the lead is told.
pub async fn accept(app: &App, caller: &Caller) -> Result<Group, ActionError> {
    let peer = caller.member().member.name.as_str();
    let (_, after) = change_mailing(
        app,
        caller.group.clone(),
        caller.acting(),
        |g| Ok((step::accept(g, caller.slot, app.clock.now())?, vec![])),
        &|_, after| tell(app, after, after.lead(), Change::Accepted { peer }),
    )
    .await?;
    Ok(after)
}

/// An invited peer declines; the lead is told.
pub async fn decline(app: &App, caller: &Caller) -> Result<Group, ActionError> {
    let peer = caller.member().member.name.as_str();
    let (_, after) = change_mailing(
        app,
        caller.group.clone(),
        caller.acting(),
        |g| Ok((step::decline(g, caller.slot, app.clock.now())?, vec![])),
        &|_, after| tell(app, after, after.lead(), Change::Declined { peer }),
    )
    .await?;
    Ok(after)
}

/// The lead invites one more peer, who is emailed their link.
pub async fn invite(app: &App, caller: &Caller, p: PersonDetails) -> Result<Group, ActionError> {
    let slot = caller.group.next_slot;
    let code = AccessCode::generate(&caller.group.id, slot as usize, app.random.as_ref()).map_err(Failure::from)?;
    let today = app.clock.today();
    let (_, after) = change_mailing(
        app,
        caller.group.clone(),
        caller.acting(),
        |g| {
            if g.next_slot != slot {
                // Someone else added a member meanwhile: the code names the wrong slot.
                return Err(ActionError::Busy);
            }
            let (fx, _) = step::invite(g, caller.slot, &p, code.hash(), app.clock.now(), app.config.pending)?;
            Ok((fx, vec![mail_limit(&p.email, today)]))
        },
        &|_, after| after.member(slot).and_then(|m| invite_mail(app, after, m, &code)).into_iter().collect(),
    )
    .await?;
    Ok(after)
}

/// The lead removes a peer or withdraws an invitation; the peer is told.
pub async fn remove(app: &App, caller: &Caller, target: u8) -> Result<Group, ActionError> {
    let (_, after) = change_mailing(
        app,
        caller.group.clone(),
        caller.acting(),
        |g| Ok((step::remove(g, Some(caller.slot), target, app.clock.now())?, vec![])),
        &|before, after| tell(app, after, before.member(target), Change::Removed { lead: &lead_name(before) }),
    )
    .await?;
    Ok(after)
}

/// An accepted peer leaves; the lead is told.
pub async fn leave(app: &App, caller: &Caller) -> Result<Group, ActionError> {
    let peer = caller.member().member.name.as_str();
    let (_, after) = change_mailing(
        app,
        caller.group.clone(),
        caller.acting(),
        |g| Ok((step::leave(g, caller.slot, app.clock.now())?, vec![])),
        &|_, after| tell(app, after, after.lead(), Change::Left { peer }),
    )
    .await?;
    Ok(after)
}

/// The lead dissolves a confirmed group (a proposal is discarded instead:
/// the route calls [`discard`]); every other member who had accepted or
/// been invited is told.
pub async fn dissolve(app: &App, caller: &Caller) -> Result<Group, ActionError> {
    let (_, after) = change_mailing(
        app,
        caller.group.clone(),
        caller.acting(),
        |g| Ok((step::dissolve(g, Some(caller.slot), app.clock.now())?, vec![])),
        &|before, _| dissolved_mails(app, before, Some(caller.slot)),
    )
    .await?;
    Ok(after)
}

/// Staff dissolve a group (`qi admin groups dissolve`).
pub async fn dissolve_as_staff(app: &App, group: Group) -> Result<Group, ActionError> {
    let (_, after) = change_mailing(app, group, None, |g| Ok((step::dissolve(g, None, app.clock.now())?, vec![])), &|before, _| {
        dissolved_mails(app, before, None)
    })
    .await?;
    Ok(after)
}

/// Staff remove a member (`qi admin members remove`).
pub async fn remove_as_staff(app: &App, group: Group, target: u8) -> Result<Group, ActionError> {
    let (_, after) =
        change_mailing(app, group, None, |g| Ok((step::remove(g, None, target, app.clock.now())?, vec![])), &|before, after| {
            tell(app, after, before.member(target), Change::Removed { lead: "Program staff" })
        })
        .await?;
    Ok(after)
}

/// Staff correct a member's email address (`qi admin members email`): the
/// member gets a new link at the corrected address, and the old link (which
/// may have reached someone else) and every session end. A peer of an
/// unconfirmed proposal is not emailed (the lead has not said so yet).
pub async fn correct_email_as_staff(app: &App, group: Group, slot: u8, email: crate::domain::Email) -> Result<Group, ActionError> {
    let code = AccessCode::generate(&group.id, slot as usize, app.random.as_ref()).map_err(Failure::from)?;
    let (_, after) = change_mailing(
        app,
        group,
        None,
        |g| Ok((step::correct_email(g, slot, email.clone(), code.hash(), app.clock.now())?, vec![])),
        &|_, after| {
            after
                .member(slot)
                .filter(|m| !(m.status == MemberStatus::Proposed && m.member.role == Role::Peer))
                .map(|m| new_link_mail(app, m, &code))
                .into_iter()
                .collect()
        },
    )
    .await?;
    Ok(after)
}

/// Everyone a dissolution tells: each other member who had been invited or
/// had accepted (a proposal's dissolution tells nobody).
fn dissolved_mails(app: &App, before: &Group, by: Option<u8>) -> Vec<Mail> {
    if before.phase() == crate::domain::Phase::Proposed {
        return Vec::new();
    }
    before
        .members
        .iter()
        .filter(|m| Some(m.slot) != by && !matches!(m.status, MemberStatus::Proposed))
        .flat_map(|m| tell(app, before, Some(m), Change::Dissolved))
        .collect()
}

/// When a pending step lapses, for pages ("expires on …").
pub fn lapses_at(m: &GroupMember) -> Option<DateTime<Utc>> {
    match m.status {
        MemberStatus::Invited { expires_at } => Some(expires_at),
        _ => None,
    }
}
