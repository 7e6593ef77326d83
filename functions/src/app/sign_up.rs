//! Forming a group: a lead on this cycle's invitation list and 1–6 peers.
use super::access::personal_link;
use super::{App, Failure};
use crate::domain::{AccessCode, Cpso, Group, SignUp};
use crate::mail::personal_link_mail;
use crate::store::{ConflictKind, StoreError};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignUpError {
    /// The lead is not on the invitation list of the current cycle (nothing written).
    #[error("the lead is not on this cycle's invitation list")]
    LeadNotInvited,
    /// These members (in group order) are already in another open group.
    #[error("members already in an open group")]
    InOpenGroup(Vec<Cpso>),
    #[error(transparent)]
    Failed(#[from] Failure),
}

/// The stored group and the lead's code (the lead is signed in at once).
#[derive(Debug)]
pub struct SignedUp {
    pub group: Group,
    pub lead_code: AccessCode,
}

/// Whether `cpso` may lead a group this cycle (for a form that has other
/// errors too, so the answer lists every problem at once; a valid form is
/// checked inside the sign-up write instead).
pub async fn lead_is_invited(app: &App, cpso: &Cpso) -> Result<bool, Failure> {
    Ok(app.store.is_invited(&app.config.cycle, cpso).await?)
}

/// Store the group (one atomic write that checks the invitation and takes every
/// member's one-open-group lock), then email each member their personal link.
/// A failed email does not undo the group: it is logged by kind only.
pub async fn sign_up(app: &App, signup: SignUp) -> Result<SignedUp, SignUpError> {
    let lead_name = signup.lead.name.clone();
    let (group, codes) = signup.into_group(app.config.cycle.clone(), app.clock.now(), app.random.as_ref()).map_err(Failure::from)?;
    match app.store.create_group_if_invited(&group).await {
        Ok(()) => {}
        Err(StoreError::Conflict(ConflictKind::LeadNotInvited)) => return Err(SignUpError::LeadNotInvited),
        Err(StoreError::Conflict(ConflictKind::MembersInOpenGroup(cpsos))) => return Err(SignUpError::InOpenGroup(cpsos)),
        Err(e) => return Err(Failure::from(e).into()),
    }
    for (m, code) in group.members.iter().zip(&codes) {
        let mail = personal_link_mail(
            &m.member.name,
            &m.member.email,
            m.member.language,
            m.member.role,
            group.name.as_str(),
            lead_name.as_str(),
            &personal_link(app, code),
        );
        if let Err(e) = app.mailer.send(&mail).await {
            tracing::warn!(kind = e.kind.as_str(), role = m.member.role.as_str(), "personal link email not sent");
        }
    }
    let mut codes = codes.into_iter();
    // `into_group` makes one code per member, the lead's first.
    let lead_code = codes.next().ok_or(Failure::Store(StoreError::NotFound))?;
    Ok(SignedUp { group, lead_code })
}
