//! Settings read from the environment, shared by the Lambda entry and the
//! local dev server, and why building the [`App`](crate::App) can fail.
use std::path::{Path, PathBuf};

use crate::domain::{Credits, CreditsError, Cycle, Email};
use crate::store::StoreError;

/// Why the App could not be built. Names settings and files, never a value
/// that could be personal.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{0} is not set")]
    Missing(&'static str),
    #[error("{name}: {problem}")]
    Invalid { name: &'static str, problem: String },
    /// The credits file (the error names the file, and line and column when it can).
    #[error("{problem}")]
    Credits { path: PathBuf, problem: CreditsError },
    #[error("opening the store {}: {source}", path.display())]
    Store { path: PathBuf, source: StoreError },
    /// The starter invitation list of the local dev server.
    #[error("dev-invitations.csv: {0}")]
    DevInvitations(String),
    #[error("loading the dev invitations: {0}")]
    DevInvitationsStore(StoreError),
    #[error("creating {}: {source}", path.display())]
    Dir { path: PathBuf, source: std::io::Error },
}

/// `name`'s value, if set and not blank.
pub fn optional(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// `name`'s value; an error naming it if unset or blank.
pub fn required(name: &'static str) -> Result<String, ConfigError> {
    optional(name).ok_or(ConfigError::Missing(name))
}

/// The program cycle from `QI_CYCLE`, else the current year.
pub fn cycle_from_env() -> Result<Cycle, ConfigError> {
    match optional("QI_CYCLE") {
        Some(c) => Cycle::parse(&c).map_err(|e| ConfigError::Invalid { name: "QI_CYCLE", problem: e.to_string() }),
        None => Cycle::parse(&chrono::Utc::now().format("%Y").to_string())
            .map_err(|e| ConfigError::Invalid { name: "the current year as a cycle", problem: e.to_string() }),
    }
}

/// An email address setting (e.g. `QI_COACHING_INBOX`).
pub fn email(name: &'static str, value: &str) -> Result<Email, ConfigError> {
    Email::parse(value).map_err(|e| ConfigError::Invalid { name, problem: e.to_string() })
}

/// CPD credit rates from `path`.
pub fn credits_from(path: &Path) -> Result<Credits, ConfigError> {
    Credits::from_path(path).map_err(|problem| ConfigError::Credits { path: path.to_path_buf(), problem })
}

/// `QI_PENDING_DAYS` (how long proposals and invitations wait; default 14)
/// and `QI_CYCLE_START` (`YYYY-MM-DD`: no activity completed before it)
/// applied to `config`.
pub fn timing_from_env(config: &mut crate::app::Config) -> Result<(), ConfigError> {
    if let Some(v) = optional("QI_PENDING_DAYS") {
        let days: i64 = v
            .trim()
            .parse()
            .ok()
            .filter(|d| (1..=90).contains(d))
            .ok_or(ConfigError::Invalid { name: "QI_PENDING_DAYS", problem: "a whole number of days from 1 to 90".into() })?;
        config.pending = chrono::Duration::days(days);
    }
    if let Some(v) = optional("QI_CYCLE_START") {
        let d = chrono::NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d")
            .map_err(|_| ConfigError::Invalid { name: "QI_CYCLE_START", problem: "a date as YYYY-MM-DD".into() })?;
        config.cycle_start = Some(d);
    }
    Ok(())
}

/// The reminder job's settings: `QI_REMINDER_AFTER_PERIODS` (remind a member
/// after this many whole periods without a data point from them; 1 to 52,
/// default 2).
pub fn reminder_settings_from_env() -> Result<crate::app::reminders::ReminderSettings, ConfigError> {
    use crate::app::reminders::{ReminderSettings, MAX_AFTER_PERIODS};
    match optional("QI_REMINDER_AFTER_PERIODS") {
        None => Ok(ReminderSettings::default()),
        Some(v) => parse_after_periods(&v).map(|after_periods| ReminderSettings { after_periods }).ok_or(ConfigError::Invalid {
            name: "QI_REMINDER_AFTER_PERIODS",
            problem: format!("a whole number of periods from 1 to {MAX_AFTER_PERIODS}"),
        }),
    }
}

/// A number of periods from 1 to 52, as the setting is written.
pub fn parse_after_periods(v: &str) -> Option<u32> {
    v.trim().parse().ok().filter(|n| (1..=crate::app::reminders::MAX_AFTER_PERIODS).contains(n))
}
