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

use crate::domain::{Clock, Credits, Cycle, Email, OsRandom, Random, RandomUnavailable, SystemClock};
use crate::mail::Mailer;
use crate::store::{Store, StoreError};

pub mod access;
pub mod activities;
pub mod coaching;
pub mod pip;
pub mod sign_up;
pub mod status;

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
}

impl Config {
    pub fn new(public_base_url: &str, cycle: Cycle) -> Config {
        Config { public_base_url: public_base_url.trim_end_matches('/').to_string(), cycle, outbox_dir: None, coaching_inbox: None }
    }
    pub fn secure_cookies(&self) -> bool {
        self.public_base_url.starts_with("https://")
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
