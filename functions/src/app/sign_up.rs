//! Proposing a group. The form names a lead (by CPSO number) and 1–6 peers;
//! if the lead is on this cycle's invitation list, a *proposed* group is
//! stored and one email to the lead's address on file is queued with it. The caller is
//! told the same thing either way.
use super::access::{personal_link, recipient};
use super::{mail_limit, App, Failure, PROPOSALS_PER_LEAD_PER_DAY};
use crate::domain::{Limit, ProposalError, SignUp, Write};
use crate::mail::messages;
use crate::store::{ConflictKind, StoreError};

/// Why nothing was proposed, for logs only (never shown to the caller).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skipped {
    NotInvited,
    SharedAddress,
    LimitReached,
}

impl Skipped {
    pub fn as_str(self) -> &'static str {
        match self {
            Skipped::NotInvited => "not_invited",
            Skipped::SharedAddress => "shared_address",
            Skipped::LimitReached => "limit_reached",
        }
    }
}

/// Propose the group (one read of the invitation, one transaction that
/// checks it again, counts the day's proposals and emails, and stores the
/// proposal and the lead's email). `Ok(None)`: proposed and emailed;
/// `Ok(Some(why))`: nothing written, nothing sent.
pub async fn sign_up(app: &App, signup: SignUp) -> Result<Option<Skipped>, Failure> {
    let cycle = app.config.cycle.clone();
    let Some(invitation) = app.store.invitation(&cycle, &signup.lead.cpso).await? else {
        return Ok(Some(Skipped::NotInvited));
    };
    let (name, setting, peers) = (signup.name.to_string(), signup.practice_setting.to_string(), signup.peers.len());
    let lead_cpso = signup.lead.cpso.clone();
    let now = app.clock.now();
    let lapses = now + app.config.pending;
    let (group, codes) = match signup.into_proposal(cycle.clone(), invitation.email.clone(), now, lapses, app.random.as_ref()) {
        Ok(x) => x,
        Err(ProposalError::SharedAddress) => return Ok(Some(Skipped::SharedAddress)),
        Err(ProposalError::Random(e)) => return Err(e.into()),
    };
    let today = app.clock.today();
    // The lead's email is queued in the same write as the proposal.
    let mail = match (group.lead(), codes.first()) {
        (Some(lead), Some(code)) => {
            vec![(messages::proposal(&recipient(lead), &name, &setting, peers, &personal_link(app, code), lapses), "proposal")]
        }
        _ => Vec::new(),
    };
    let w = Write {
        group: group.id.clone(),
        expect_version: None,
        actor_session: None,
        invitation: Some((cycle, lead_cpso.clone())),
        limits: vec![
            Limit { key: format!("proposals:cpso:{lead_cpso}"), day: today, max: PROPOSALS_PER_LEAD_PER_DAY },
            mail_limit(&invitation.email, today),
        ],
        effects: vec![crate::domain::Effect::Create(Box::new(group.clone()))],
        now,
        token: app.token()?,
        outbox: app.queue(mail)?,
    };
    match app.store.write(&w).await {
        Ok(()) => {}
        Err(StoreError::Conflict(ConflictKind::LeadNotInvited)) => return Ok(Some(Skipped::NotInvited)),
        Err(StoreError::Conflict(ConflictKind::LimitReached(_))) => return Ok(Some(Skipped::LimitReached)),
        Err(e) => return Err(e.into()),
    }
    Ok(None)
}
