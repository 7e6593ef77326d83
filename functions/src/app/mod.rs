//! The use cases: what a member or a visitor can do, as functions over the
//! ports (store, mailer, clock, randomness).
//!
//! Each use case takes validated domain input, applies the program's rules
//! (which live in [`crate::domain`]), writes through the [`Store`] (which
//! enforces the rules that depend on stored state atomically), sends mail, and
//! returns a typed outcome or a typed error. Nothing here knows about HTTP:
//! `crate::http` decodes a request into domain types, calls one use case and
//! encodes its answer.
use std::path::PathBuf;
use std::sync::Arc;

use chrono::{Duration, NaiveDate};

use crate::domain::{
    random_hex, Activity, Clock, Cpso, Credits, Cycle, Effect, Email, Group, Limit, OsRandom, QueuedMail, Random, RandomUnavailable,
    Refusal, SystemClock, Write,
};
use crate::mail::{Mailer, OutgoingMail};
use crate::store::{ConflictKind, Store, StoreError};

pub mod access;
pub mod activities;
pub mod coaching;
pub mod measures;
pub mod membership;
pub mod pip;
pub mod reminders;
pub mod sign_up;
pub mod status;

/// Proposals one lead may be sent per day.
pub const PROPOSALS_PER_LEAD_PER_DAY: u32 = 3;
/// Emails one address may be sent per day (all kinds together).
pub const EMAILS_PER_ADDRESS_PER_DAY: u32 = 10;
/// New links one member may ask for per day.
pub const NEW_LINKS_PER_MEMBER_PER_DAY: u32 = 3;
/// Pending proposals and invitations lapse after this many days by default.
pub const PENDING_DAYS: i64 = 14;

/// Settings of a running service.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where the site is served, without a trailing slash (personal links
    /// point here); `https://…` makes the access cookie `Secure`.
    pub public_base_url: String,
    /// The program cycle whose invitation list a new group's lead must be on.
    pub cycle: Cycle,
    /// The dev outbox directory: when set, `GET /api/outbox` lists it.
    /// Never set in the Lambda functions.
    pub outbox_dir: Option<PathBuf>,
    /// Where coaching requests are emailed (the QI Coaches' shared inbox), if anywhere.
    pub coaching_inbox: Option<Email>,
    /// How long a proposal or an invitation waits for an answer.
    pub pending: Duration,
    /// The first day of the cycle: no activity can be completed before it.
    pub cycle_start: Option<NaiveDate>,
}

impl Config {
    pub fn new(public_base_url: &str, cycle: Cycle) -> Config {
        Config {
            public_base_url: public_base_url.trim_end_matches('/').to_string(),
            cycle,
            outbox_dir: None,
            coaching_inbox: None,
            pending: Duration::days(PENDING_DAYS),
            cycle_start: None,
        }
    }
    /// Cookies are `Secure` (and `__Host-` prefixed) unless the site is
    /// explicitly served over plain http (the local dev server).
    pub fn secure_cookies(&self) -> bool {
        !self.public_base_url.starts_with("http://")
    }
    /// The site's origin (`scheme://host[:port]`), what a same-site request's `Origin` is.
    pub fn origin(&self) -> String {
        let after = self.public_base_url.find("://").map(|i| i + 3).unwrap_or(0);
        match self.public_base_url[after..].find('/') {
            Some(i) => self.public_base_url[..after + i].to_string(),
            None => self.public_base_url.clone(),
        }
    }
}

/// The ports and settings every use case runs with.
#[derive(Clone)]
pub struct App {
    pub store: Arc<dyn Store>,
    pub mailer: Arc<dyn Mailer>,
    pub config: Config,
    pub credits: Credits,
    pub clock: Arc<dyn Clock>,
    pub random: Arc<dyn Random>,
}

impl App {
    /// An App with the embedded credits table, the system clock and the
    /// operating system's randomness; tests replace what they need.
    pub fn new(store: Arc<dyn Store>, mailer: Arc<dyn Mailer>, config: Config) -> App {
        App { store, mailer, config, credits: Credits::embedded(), clock: Arc::new(SystemClock), random: Arc::new(OsRandom) }
    }
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> App {
        self.clock = clock;
        self
    }
    pub fn with_random(mut self, random: Arc<dyn Random>) -> App {
        self.random = random;
        self
    }
    pub fn with_credits(mut self, credits: Credits) -> App {
        self.credits = credits;
        self
    }
}

/// What any use case can fail with that is not the caller's doing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Failure {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Random(#[from] RandomUnavailable),
}

impl App {
    /// A fresh idempotency token for one write.
    pub(crate) fn token(&self) -> Result<String, Failure> {
        Ok(random_hex(self.random.as_ref(), 16)?)
    }

    /// `mails` as queued mail, to go in the write that causes them.
    pub(crate) fn queue(&self, mails: Vec<Mail>) -> Result<Vec<QueuedMail>, Failure> {
        let now = self.clock.now();
        Ok(mails.into_iter().map(|(m, kind)| QueuedMail::new(m, kind, now, self.random.as_ref())).collect::<Result<_, _>>()?)
    }

    /// The deliverer of this App's outbox (its store, mailer, clock).
    pub fn deliverer(&self) -> crate::mail::deliver::Deliverer<'_> {
        crate::mail::deliver::Deliverer {
            store: self.store.as_ref(),
            mailer: self.mailer.as_ref(),
            clock: self.clock.as_ref(),
            random: self.random.as_ref(),
            retries: crate::mail::deliver::Retries::default(),
        }
    }
}

/// The per-day limit on emails to `to` (the key holds a hash, not the address).
pub(crate) fn mail_limit(to: &Email, day: NaiveDate) -> Limit {
    // Case aside, one mailbox: one counter.
    Limit { key: format!("mail:{}", crate::domain::address_key(to)), day, max: EMAILS_PER_ADDRESS_PER_DAY }
}

/// Why a change to a group was not made (nothing was written).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ActionError {
    /// The program's rules refuse it (see the refusal).
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// These physicians are in another open group.
    #[error("already in an open group")]
    InOpenGroup(Vec<Cpso>),
    /// The caller's session ended meanwhile.
    #[error("the session has ended")]
    SessionEnded,
    /// A per-day limit (emails to one address, proposals, new links).
    #[error("a daily limit is reached")]
    LimitReached,
    /// Members still have activities to do (a submission).
    #[error("activities are not all done")]
    ActivitiesIncomplete(Vec<(Cpso, Activity)>),
    /// The group (or the member) is not there any more.
    #[error("the group or member is gone")]
    Gone,
    /// The group kept changing under us (another member acting at once).
    #[error("the group is busy")]
    Busy,
    #[error(transparent)]
    Failed(#[from] Failure),
}

impl From<StoreError> for ActionError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(ConflictKind::MembersInOpenGroup(c)) => ActionError::InOpenGroup(c),
            StoreError::Conflict(ConflictKind::SessionEnded) => ActionError::SessionEnded,
            StoreError::Conflict(ConflictKind::LimitReached(_)) => ActionError::LimitReached,
            StoreError::Conflict(ConflictKind::ActivitiesIncomplete(m)) => ActionError::ActivitiesIncomplete(m),
            StoreError::Conflict(ConflictKind::PipSubmitted) => ActionError::Refused(Refusal::Closed),
            StoreError::Conflict(ConflictKind::Stale) => ActionError::Busy,
            StoreError::NotFound => ActionError::Gone,
            other => ActionError::Failed(other.into()),
        }
    }
}

/// How many times a change is recomputed when the group changed under it.
const ATTEMPTS: usize = 4;

/// An email a change causes, and its kind (`proposal`, `invitation`, …).
pub(crate) type Mail = (OutgoingMail, &'static str);

/// The emails a change causes, from the group before and after it.
pub(crate) type Mails<'a> = &'a (dyn Fn(&Group, &Group) -> Vec<Mail> + Sync);

/// One change to a group that emails nobody (see [`change_mailing`]).
pub(crate) async fn change<F>(
    app: &App,
    group: Group,
    session: Option<(u8, crate::domain::CodeHash)>,
    compute: F,
) -> Result<(Group, Group), ActionError>
where
    F: Fn(&Group) -> Result<(Vec<Effect>, Vec<Limit>), ActionError>,
{
    change_mailing(app, group, session, compute, &|_, _| Vec::new()).await
}

/// One change to a group: `compute` turns the group as it stands into
/// effects (plus any limits), `mails` says whom the change emails (from the
/// group before and after it), and the store applies the effects and queues
/// the emails in one atomic write, conditioned on the version read and on
/// `session` (the acting member's, if any). When another change got in
/// first, the group is read again and both run again. Returns the group as
/// read and as it is after the change.
pub(crate) async fn change_mailing<F>(
    app: &App,
    mut group: Group,
    session: Option<(u8, crate::domain::CodeHash)>,
    compute: F,
    mails: Mails<'_>,
) -> Result<(Group, Group), ActionError>
where
    F: Fn(&Group) -> Result<(Vec<Effect>, Vec<Limit>), ActionError>,
{
    for attempt in 0..ATTEMPTS {
        let now = app.clock.now();
        let (effects, limits) = compute(&group)?;
        let mut after = group.clone();
        after.apply(&effects, true);
        let mut w = Write::new(&group, now, effects).with_token(app.token()?).limited(limits);
        w.actor_session = session.clone();
        w.outbox = app.queue(mails(&group, &after))?;
        match app.store.write(&w).await {
            Ok(()) => {
                return Ok((group, after));
            }
            Err(StoreError::Conflict(ConflictKind::Stale)) if attempt + 1 < ATTEMPTS => {
                group = match app.store.get_group(&group.id).await.map(|g| g.as_of(app.clock.now())) {
                    Ok(Some(g)) => g,
                    Ok(None) | Err(StoreError::NotFound) => return Err(ActionError::Gone),
                    Err(e) => return Err(ActionError::Failed(e.into())),
                };
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(ActionError::Busy)
}
