//! The local dev API (`qi serve`): SQLite store and outbox under a data
//! directory, a starter invitation list, personal links printed on stdout,
//! and the background task that delivers the store's queued emails
//! ([`spawn_drainer`]), as the mailer function does in AWS.
use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;

use crate::domain::{Credits, InvitationList, SystemClock};
use crate::env::{credits_from, cycle_from_env, email, ConfigError};
use crate::http::{App, Config};
use crate::mail::{MailError, Mailer, OutboxMailer, OutgoingMail};
use crate::store::sqlite::SqliteStore;
use crate::store::Store;

/// Writes to the outbox and tells the developer each personal link on stdout
/// (role and link only: no names or addresses).
pub struct PrintingMailer(pub OutboxMailer);

#[async_trait]
impl Mailer for PrintingMailer {
    async fn send(&self, mail: &OutgoingMail) -> Result<(), MailError> {
        self.0.send(mail).await?;
        match (&mail.link, mail.role) {
            (Some(link), Some(role)) => println!("outbox: link for {} → {link}", role.as_str()),
            _ => println!("outbox: an email was written to {}", self.0.dir().display()),
        }
        Ok(())
    }
}

/// Deliver `app`'s queued emails in the background: after each
/// [`Notify::notify_one`](tokio::sync::Notify::notify_one) (the dev server
/// notifies after every API request), and whenever a retry falls due.
/// Returns the handle to notify.
pub fn spawn_drainer(app: Arc<App>) -> Arc<tokio::sync::Notify> {
    let wake = Arc::new(tokio::sync::Notify::new());
    let notified = wake.clone();
    tokio::spawn(async move {
        loop {
            let d = app.deliverer();
            // Held only: another process (`qi admin`, or one that stopped
            // mid-send) holds what is due; look again in a second, not at once.
            let mut only_held = false;
            match d.drain().await {
                Ok(done) => only_held = !done.is_empty() && done.iter().all(|(_, a)| matches!(a, crate::mail::deliver::Attempt::Held(_))),
                Err(e) => tracing::warn!(cause = e.kind(), "delivering queued emails"),
            }
            // Sleep until woken, or until the next retry is due (checked at
            // least every 30 s, e.g. after `qi admin` queued something).
            let wait = match d.next_due().await {
                Ok(Some(at)) => (at - app.clock.now()).to_std().unwrap_or_default().min(std::time::Duration::from_secs(30)),
                _ => std::time::Duration::from_secs(30),
            };
            let floor = if only_held { std::time::Duration::from_secs(1) } else { std::time::Duration::from_millis(50) };
            tokio::select! {
                _ = notified.notified() => {}
                _ = tokio::time::sleep(wait.max(floor)) => {}
            }
        }
    });
    wake
}

/// CPD credit rates: `functions/data/credits.toml` under the working directory
/// when present (staff edits show at once), else the embedded copy.
fn credits() -> Result<Credits, ConfigError> {
    let path = Path::new("functions/data/credits.toml");
    if path.is_file() {
        credits_from(path)
    } else {
        Ok(Credits::embedded())
    }
}

/// The App of the local dev server. Keeps `data_dir/qi.sqlite3` and
/// `data_dir/outbox/`; loads `DEV_INVITATIONS_CSV` when the current cycle's
/// invitation list is empty.
pub async fn local_app(data_dir: &Path, public_base_url: &str) -> Result<App, ConfigError> {
    let db = data_dir.join("qi.sqlite3");
    let store = SqliteStore::open(&db).map_err(|source| ConfigError::Store { path: db.clone(), source })?;
    let outbox = data_dir.join("outbox");
    let mailer = OutboxMailer::new(&outbox, "QI Groups (local) <no-reply@qi-groups.invalid>")
        .map_err(|source| ConfigError::Dir { path: outbox.clone(), source })?;
    let cycle = cycle_from_env()?;
    if store.list_invitations(Some(&cycle)).await.map_err(ConfigError::DevInvitationsStore)?.is_empty() {
        let list = InvitationList::parse_csv(crate::DEV_INVITATIONS_CSV, &cycle)
            .map_err(|e| ConfigError::DevInvitations(e.iter().map(|r| r.to_string()).collect::<Vec<_>>().join("; ")))?;
        store.import_invitations(&list).await.map_err(ConfigError::DevInvitationsStore)?;
        let cpsos: Vec<&str> = list.entries().iter().map(|i| i.cpso.as_str()).collect();
        println!(
            "local API: invited the made-up CPSO numbers {} for cycle {cycle} (the list was empty). Sign up with one of them as the lead.",
            cpsos.join(", ")
        );
    }
    println!("local API: store {}, outbox {}/ (listed at GET /api/outbox)", db.display(), outbox.display());
    let mut config = Config::new(public_base_url, cycle);
    config.outbox_dir = Some(outbox);
    crate::env::timing_from_env(&mut config)?;
    config.coaching_inbox = Some(email("the local coaching inbox", "qi-coaches@qi-groups.invalid")?);
    Ok(App {
        store: Arc::new(store),
        mailer: Arc::new(PrintingMailer(mailer)),
        config,
        credits: credits()?,
        clock: Arc::new(SystemClock),
        random: Arc::new(crate::domain::OsRandom),
    })
}
