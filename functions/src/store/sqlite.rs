//! The embedded store: SQLite (bundled), one file, WAL journal.
//!
//! Each group is one row holding the group as JSON; the one-open-group-per-
//! physician rule is a table whose primary key is the CPSO number. A
//! [`Write`] is applied by loading the group, checking its conditions, and
//! running the domain's own interpreter (`Group::apply`) on it. Every
//! write runs in a `BEGIN IMMEDIATE` transaction (the write lock is taken
//! before anything is read), so a read-check-write inside it cannot race
//! another writer, in this process or another one (`qi admin` against the
//! dev server's file). Blocking SQLite calls run on tokio's blocking pool.
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, ErrorCode, OptionalExtension, TransactionBehavior};

use super::{
    Backend, CheckOffWrite, ConflictKind, CurrentGroup, DataWrite, Internal, ReminderAuth, ReminderMark, ReminderSetting, Store,
    StoreError, StoreResult, Unavailable, UnavailableKind,
};
use crate::domain::{
    address_key, Activities, Claim, CoachingRequest, CodeHash, Cpso, Cycle, Effect, Email, Group, GroupId, Invitation, InvitationList,
    MailRecord, MailState, PersonName, Phase, QueuedMail, Settle, Undeliverable, UndeliverableReason, Write,
};

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS groups (
    id         TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    -- While the group is an unconfirmed proposal: when it lapses.
    expires_at TEXT,
    doc        TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS groups_by_created ON groups (created_at, id);
CREATE INDEX IF NOT EXISTS groups_by_expiry ON groups (expires_at) WHERE expires_at IS NOT NULL;
-- A physician's current group: `open` while it stops them joining another.
CREATE TABLE IF NOT EXISTS open_group_locks (
    cpso     TEXT PRIMARY KEY,
    group_id TEXT NOT NULL,
    open     INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS invitations (
    cycle TEXT NOT NULL,
    cpso  TEXT NOT NULL,
    name  TEXT,
    email TEXT NOT NULL,
    PRIMARY KEY (cycle, cpso)
);
CREATE TABLE IF NOT EXISTS coaching_requests (
    id         TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    doc        TEXT NOT NULL
);
-- Per-day counters of the rate limits.
CREATE TABLE IF NOT EXISTS limits (
    key TEXT NOT NULL,
    day TEXT NOT NULL,
    n   INTEGER NOT NULL,
    PRIMARY KEY (key, day)
);
-- Tokens of committed writes (a retried write is answered as done).
CREATE TABLE IF NOT EXISTS write_tokens (
    token TEXT PRIMARY KEY,
    at    TEXT NOT NULL
);
-- The transactional outbox: each email a write causes, queued by it.
CREATE TABLE IF NOT EXISTS outbox (
    id              TEXT PRIMARY KEY,
    kind            TEXT NOT NULL,
    queued_at       TEXT NOT NULL,
    state           TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error      TEXT,
    holder          TEXT,
    held_until      TEXT,
    -- The message (JSON) while it may still be sent; NULL once settled.
    mail            TEXT,
    -- Settled records are deleted after this instant.
    expires_at      TEXT
);
CREATE INDEX IF NOT EXISTS outbox_by_queued ON outbox (queued_at, id);
-- Addresses SES reported as undeliverable, by hash (never the address).
CREATE TABLE IF NOT EXISTS undeliverable (
    address TEXT PRIMARY KEY,
    reason  TEXT NOT NULL,
    at      TEXT NOT NULL
);
"#;

/// The layout version this code reads and writes (`PRAGMA user_version`).
/// A file made by an older layout is refused with a clear message: the
/// embedded store holds local development data only.
const LAYOUT: i64 = 2;

/// Connections per file-backed store: concurrent requests really run
/// concurrently and meet in SQLite's own locking.
const POOL_SIZE: usize = 4;

/// SQLite-backed [`Store`].
#[derive(Clone)]
pub struct SqliteStore {
    conns: Arc<Vec<Mutex<Connection>>>,
    next: Arc<AtomicUsize>,
    path: Option<PathBuf>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore").field("path", &self.path).finish()
    }
}

/// SQLite's answer as the store's error: busy → `Throttled`; the file or
/// disk failing → `Unavailable`; a damaged file → `Corrupt`; anything else
/// (a constraint we did not expect, a misused API) is a bug → `Internal`.
/// Only result codes are kept: SQLite's messages may quote values.
fn sql_err(e: rusqlite::Error) -> StoreError {
    let rusqlite::Error::SqliteFailure(f, _) = &e else {
        return StoreError::Internal(Internal::Rejected { backend: Backend::Sqlite, code: None });
    };
    let code = Some(format!("{:?} ({})", f.code, f.extended_code));
    match f.code {
        ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => StoreError::Throttled,
        ErrorCode::CannotOpen
        | ErrorCode::DiskFull
        | ErrorCode::SystemIoFailure
        | ErrorCode::ReadOnly
        | ErrorCode::PermissionDenied
        | ErrorCode::OutOfMemory
        | ErrorCode::FileLockingProtocolFailed => {
            StoreError::Unavailable(Unavailable { backend: Backend::Sqlite, kind: UnavailableKind::Storage, code })
        }
        ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase => StoreError::corrupt("database file", format!("{:?}", f.code)),
        _ => StoreError::Internal(Internal::Rejected { backend: Backend::Sqlite, code }),
    }
}

/// A stored JSON document that does not read back. serde_json's messages
/// may quote the value, so only its category and position are kept.
fn bad_doc(record: &'static str) -> impl Fn(serde_json::Error) -> StoreError {
    move |e| StoreError::corrupt(record, format!("{:?} error in the JSON at line {} column {}", e.classify(), e.line(), e.column()))
}

/// A stored column that is not a valid domain value.
fn bad_value<E>(record: &'static str, column: &'static str) -> impl Fn(E) -> StoreError {
    move |_| StoreError::corrupt(record, format!("{column} is not valid"))
}

fn encode_error(_: serde_json::Error) -> StoreError {
    StoreError::Internal(Internal::Build("encoding a document as JSON"))
}

fn ts(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

impl SqliteStore {
    /// Open (creating if needed) the database file at `path`, and its directory.
    pub fn open(path: &Path) -> StoreResult<SqliteStore> {
        if let Some(dir) = path.parent() {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(dir).map_err(|e| {
                    let code = Some(format!("{:?}", e.kind()));
                    StoreError::Unavailable(Unavailable { backend: Backend::Sqlite, kind: UnavailableKind::Storage, code })
                })?;
            }
        }
        let mut conns = Vec::new();
        for _ in 0..POOL_SIZE {
            let conn = Connection::open(path).map_err(sql_err)?;
            conn.busy_timeout(Duration::from_secs(5)).map_err(sql_err)?;
            conn.pragma_update(None, "journal_mode", "WAL").map_err(sql_err)?;
            conns.push(conn);
        }
        Self::init(conns, Some(path.to_path_buf()))
    }

    /// A private in-memory database (tests, throwaway runs).
    pub fn open_in_memory() -> StoreResult<SqliteStore> {
        Self::init(vec![Connection::open_in_memory().map_err(sql_err)?], None)
    }

    fn init(conns: Vec<Connection>, path: Option<PathBuf>) -> StoreResult<SqliteStore> {
        for (i, conn) in conns.iter().enumerate() {
            conn.busy_timeout(Duration::from_secs(5)).map_err(sql_err)?;
            conn.pragma_update(None, "foreign_keys", "ON").map_err(sql_err)?;
            conn.pragma_update(None, "synchronous", "NORMAL").map_err(sql_err)?;
            if i == 0 {
                let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(sql_err)?;
                let has_tables: bool = conn
                    .query_row("SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'groups')", [], |r| r.get(0))
                    .map_err(sql_err)?;
                if has_tables && version != LAYOUT {
                    return Err(StoreError::Internal(Internal::Config(
                        "the local store file was made by an older version of QI Groups: delete it (it holds local test data only) and start again",
                    )));
                }
                conn.execute_batch(SCHEMA).map_err(sql_err)?;
                conn.pragma_update(None, "user_version", LAYOUT).map_err(sql_err)?;
            }
        }
        Ok(SqliteStore { conns: Arc::new(conns.into_iter().map(Mutex::new).collect()), next: Arc::new(AtomicUsize::new(0)), path })
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Run `f` with the connection on the blocking pool.
    async fn with<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> StoreResult<T> + Send + 'static,
    {
        let conns = self.conns.clone();
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        tokio::task::spawn_blocking(move || {
            let n = conns.len();
            // Take the first idle connection, else wait for "our" one.
            let mut guard = (0..n)
                .find_map(|i| conns[(start + i) % n].try_lock().ok())
                .unwrap_or_else(|| conns[start % n].lock().unwrap_or_else(|p| p.into_inner()));
            f(&mut guard)
        })
        .await
        .map_err(|_| StoreError::Internal(Internal::TaskFailed))?
    }

    /// Run `f` inside `BEGIN IMMEDIATE … COMMIT`; any error rolls back.
    async fn transact<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&rusqlite::Transaction<'_>) -> StoreResult<T> + Send + 'static,
    {
        self.with(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql_err)?;
            let out = f(&tx)?; // dropping `tx` on error rolls back
            tx.commit().map_err(sql_err)?;
            Ok(out)
        })
        .await
    }
}

fn load_group(conn: &Connection, id: &str) -> StoreResult<Group> {
    let doc: Option<String> = conn.query_row("SELECT doc FROM groups WHERE id = ?1", [id], |r| r.get(0)).optional().map_err(sql_err)?;
    let doc = doc.ok_or(StoreError::NotFound)?;
    serde_json::from_str(&doc).map_err(bad_doc("group"))
}

/// The group as it stands at `now` inside a write (a lapsed proposal is gone).
fn load_live(conn: &Connection, id: &str, now: DateTime<Utc>) -> StoreResult<Group> {
    load_group(conn, id)?.as_of(now).ok_or(StoreError::NotFound)
}

fn save_group(conn: &Connection, g: &Group) -> StoreResult<()> {
    let doc = serde_json::to_string(g).map_err(encode_error)?;
    let expires = g.proposal_expires_at.as_ref().map(ts);
    conn.execute(
        "INSERT INTO groups (id, created_at, expires_at, doc) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (id) DO UPDATE SET expires_at = excluded.expires_at, doc = excluded.doc",
        params![g.id.as_str(), ts(&g.created_at), expires, doc],
    )
    .map_err(sql_err)?;
    Ok(())
}

/// Lapsed proposals leave nothing behind (DynamoDB's TTL does the same there).
fn sweep(conn: &Connection, now: DateTime<Utc>) -> StoreResult<()> {
    conn.execute("DELETE FROM groups WHERE expires_at IS NOT NULL AND expires_at <= ?1", [ts(&now)]).map_err(sql_err)?;
    conn.execute("DELETE FROM limits WHERE day < ?1", [(now - chrono::Duration::days(3)).date_naive().to_string()]).map_err(sql_err)?;
    conn.execute("DELETE FROM write_tokens WHERE at < ?1", [ts(&(now - chrono::Duration::days(1)))]).map_err(sql_err)?;
    conn.execute("DELETE FROM outbox WHERE expires_at IS NOT NULL AND expires_at <= ?1", [ts(&now)]).map_err(sql_err)?;
    Ok(())
}

/// Queue `m` inside the current transaction.
fn enqueue(tx: &Connection, m: &QueuedMail) -> StoreResult<()> {
    let doc = serde_json::to_string(&m.mail).map_err(encode_error)?;
    tx.execute(
        "INSERT INTO outbox (id, kind, queued_at, state, attempts, next_attempt_at, mail) VALUES (?1, ?2, ?3, 'pending', 0, ?3, ?4)",
        params![m.id, m.kind, ts(&m.queued_at), doc],
    )
    .map_err(|e| match e.sqlite_error_code() {
        Some(ErrorCode::ConstraintViolation) => StoreError::invariant("queued mail ids are unique"),
        _ => sql_err(e),
    })?;
    Ok(())
}

fn parse_ts(record: &'static str, column: &'static str, v: &str) -> StoreResult<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(v).map(|t| t.with_timezone(&Utc)).map_err(bad_value(record, column))
}

/// An outbox row's columns ([`MAIL_COLUMNS`], in order), before parsing.
type MailRow = (String, String, String, String, u32, String, Option<String>, Option<String>);

/// One outbox row's columns.
fn mail_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<MailRow> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?))
}

const MAIL_COLUMNS: &str = "id, kind, queued_at, state, attempts, next_attempt_at, last_error, mail";

fn mail_record(row: MailRow) -> StoreResult<MailRecord> {
    let (id, kind, queued_at, state, attempts, next, last_error, mail) = row;
    Ok(MailRecord {
        state: MailState::parse(&state).ok_or_else(|| StoreError::corrupt("queued mail", "state is not valid"))?,
        queued_at: parse_ts("queued mail", "queued_at", &queued_at)?,
        next_attempt_at: parse_ts("queued mail", "next_attempt_at", &next)?,
        mail: mail.map(|m| serde_json::from_str(&m).map_err(bad_doc("queued mail"))).transpose()?,
        id,
        kind,
        attempts,
        last_error,
    })
}

fn conflict(kind: ConflictKind) -> StoreError {
    StoreError::Conflict(kind)
}

/// The conditions of `w` on the group as it stands (`None`: being created),
/// in the trait's order.
fn check(tx: &Connection, w: &Write, g: Option<&Group>) -> StoreResult<()> {
    if let (Some(v), Some(g)) = (w.expect_version, g) {
        if g.version != v {
            return Err(conflict(ConflictKind::Stale));
        }
    }
    if let (Some((slot, hash)), Some(g)) = (&w.actor_session, g) {
        let live = g.member(*slot).is_some_and(|m| m.sessions.iter().any(|s| &s.hash == hash && s.is_live(w.now)));
        if !live {
            return Err(conflict(ConflictKind::SessionEnded));
        }
    }
    if let Some((cycle, cpso)) = &w.invitation {
        let found = tx
            .query_row("SELECT 1 FROM invitations WHERE cycle = ?1 AND cpso = ?2", [cycle.as_str(), cpso.as_str()], |_| Ok(()))
            .optional()
            .map_err(sql_err)?;
        if found.is_none() {
            return Err(conflict(ConflictKind::LeadNotInvited));
        }
    }
    let mut taken = Vec::new();
    for cpso in w.acquires() {
        let held: Option<String> = tx
            .query_row("SELECT group_id FROM open_group_locks WHERE cpso = ?1 AND open = 1", [cpso.as_str()], |r| r.get(0))
            .optional()
            .map_err(sql_err)?;
        if held.is_some_and(|id| id != w.group.as_str()) {
            taken.push(cpso.clone());
        }
    }
    if !taken.is_empty() {
        return Err(conflict(ConflictKind::MembersInOpenGroup(taken)));
    }
    if let Some(g) = g {
        // Every effect on a member needs the member there now (an
        // invitation that lapsed is gone).
        let present = |slot: &u8| g.member(*slot).is_some();
        let all_present = w.effects.iter().all(|e| match e {
            Effect::SetStatus { slot, .. }
            | Effect::SetEmail { slot, .. }
            | Effect::SetLanguage { slot, .. }
            | Effect::RemoveMember { slot }
            | Effect::SetCode { slot, .. }
            | Effect::AddSession { slot, .. }
            | Effect::EndSession { slot, .. }
            | Effect::EndSessions { slot } => present(slot),
            Effect::Acquire(c) => g.member_by_cpso(c).is_some(),
            _ => true,
        });
        if !all_present {
            return Err(StoreError::NotFound);
        }
        if w.effects.iter().any(|e| matches!(e, Effect::Submit { .. })) {
            let missing = g.missing_activities();
            if !missing.is_empty() {
                return Err(conflict(ConflictKind::ActivitiesIncomplete(missing)));
            }
        }
    }
    for l in &w.limits {
        let n: Option<u32> = tx
            .query_row("SELECT n FROM limits WHERE key = ?1 AND day = ?2", [&l.key, &l.day.to_string()], |r| r.get(0))
            .optional()
            .map_err(sql_err)?;
        if n.unwrap_or(0) >= l.max {
            return Err(conflict(ConflictKind::LimitReached(l.key.clone())));
        }
    }
    Ok(())
}

/// Everything of `w` beside the group document: locks, counters, the token.
fn side_effects(tx: &Connection, w: &Write) -> StoreResult<()> {
    let id = w.group.as_str();
    for e in &w.effects {
        match e {
            Effect::Acquire(c) => {
                tx.execute("INSERT OR REPLACE INTO open_group_locks (cpso, group_id, open) VALUES (?1, ?2, 1)", params![c.as_str(), id])
                    .map_err(sql_err)?;
            }
            Effect::Release(c) => {
                tx.execute("DELETE FROM open_group_locks WHERE cpso = ?1 AND group_id = ?2", params![c.as_str(), id]).map_err(sql_err)?;
            }
            Effect::Close(c) => {
                tx.execute("UPDATE open_group_locks SET open = 0 WHERE cpso = ?1 AND group_id = ?2", params![c.as_str(), id])
                    .map_err(sql_err)?;
            }
            _ => {}
        }
    }
    for l in &w.limits {
        tx.execute(
            "INSERT INTO limits (key, day, n) VALUES (?1, ?2, 1) ON CONFLICT (key, day) DO UPDATE SET n = n + 1",
            params![l.key, l.day.to_string()],
        )
        .map_err(sql_err)?;
    }
    if !w.token.is_empty() {
        tx.execute("INSERT INTO write_tokens (token, at) VALUES (?1, ?2)", params![w.token, ts(&w.now)]).map_err(sql_err)?;
    }
    for m in &w.outbox {
        enqueue(tx, m)?;
    }
    Ok(())
}

fn apply_write(tx: &Connection, w: &Write) -> StoreResult<()> {
    sweep(tx, w.now)?;
    if !w.token.is_empty() {
        let done = tx.query_row("SELECT 1 FROM write_tokens WHERE token = ?1", [&w.token], |_| Ok(())).optional().map_err(sql_err)?;
        if done.is_some() {
            return Ok(());
        }
    }
    let created = w.effects.iter().find_map(|e| match e {
        Effect::Create(g) => Some(g),
        _ => None,
    });
    let mut g = match created {
        Some(new) => {
            let exists = tx.query_row("SELECT 1 FROM groups WHERE id = ?1", [new.id.as_str()], |_| Ok(())).optional().map_err(sql_err)?;
            if exists.is_some() {
                return Err(conflict(ConflictKind::GroupIdTaken));
            }
            check(tx, w, None)?;
            (**new).clone()
        }
        None => {
            let g = load_live(tx, w.group.as_str(), w.now)?;
            check(tx, w, Some(&g))?;
            g
        }
    };
    g.apply(&w.effects, w.is_versioned());
    if let Some((slot, hash)) = &w.actor_session {
        g.touch(*slot, hash, w.now);
    }
    if w.effects.contains(&Effect::Delete) {
        tx.execute("DELETE FROM groups WHERE id = ?1", [w.group.as_str()]).map_err(sql_err)?;
    } else {
        save_group(tx, &g)?;
    }
    side_effects(tx, w)
}

#[async_trait]
impl Store for SqliteStore {
    async fn import_invitations(&self, list: &InvitationList) -> StoreResult<usize> {
        let entries = list.entries().to_vec();
        self.transact(move |tx| {
            let mut stmt =
                tx.prepare("INSERT OR REPLACE INTO invitations (cycle, cpso, name, email) VALUES (?1, ?2, ?3, ?4)").map_err(sql_err)?;
            for e in &entries {
                stmt.execute(params![e.cycle.as_str(), e.cpso.as_str(), e.name.as_ref().map(|n| n.as_str()), e.email.as_str()])
                    .map_err(sql_err)?;
            }
            Ok(entries.len())
        })
        .await
    }

    async fn invitation(&self, cycle: &Cycle, cpso: &Cpso) -> StoreResult<Option<Invitation>> {
        let (cycle, cpso) = (cycle.clone(), cpso.clone());
        self.with(move |c| {
            let row: Option<(Option<String>, String)> = c
                .query_row("SELECT name, email FROM invitations WHERE cycle = ?1 AND cpso = ?2", [cycle.as_str(), cpso.as_str()], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .optional()
                .map_err(sql_err)?;
            row.map(|(name, email)| {
                Ok(Invitation {
                    cycle,
                    cpso,
                    name: name.map(|n| PersonName::parse(&n)).transpose().map_err(bad_value("invitation", "name"))?,
                    email: Email::parse(&email).map_err(bad_value("invitation", "email"))?,
                })
            })
            .transpose()
        })
        .await
    }

    async fn list_invitations(&self, cycle: Option<&Cycle>) -> StoreResult<Vec<Invitation>> {
        let cycle = cycle.map(|c| c.to_string());
        self.with(move |c| {
            let mut stmt = c
                .prepare("SELECT cycle, cpso, name, email FROM invitations WHERE ?1 IS NULL OR cycle = ?1 ORDER BY cycle, cpso")
                .map_err(sql_err)?;
            let rows = stmt
                .query_map([cycle], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, Option<String>>(2)?, r.get::<_, String>(3)?))
                })
                .map_err(sql_err)?;
            let mut out = Vec::new();
            for row in rows {
                let (cy, cp, name, email) = row.map_err(sql_err)?;
                out.push(Invitation {
                    cycle: Cycle::parse(&cy).map_err(bad_value("invitation", "cycle"))?,
                    cpso: Cpso::parse(&cp).map_err(bad_value("invitation", "cpso"))?,
                    name: name.map(|n| PersonName::parse(&n)).transpose().map_err(bad_value("invitation", "name"))?,
                    email: Email::parse(&email).map_err(bad_value("invitation", "email"))?,
                });
            }
            Ok(out)
        })
        .await
    }

    async fn get_group(&self, id: &GroupId) -> StoreResult<Group> {
        let id = id.to_string();
        self.with(move |c| load_group(c, &id)).await
    }

    async fn group_of(&self, cpso: &Cpso) -> StoreResult<Option<CurrentGroup>> {
        let cpso = cpso.to_string();
        self.with(move |c| {
            let row: Option<(String, bool)> = c
                .query_row("SELECT group_id, open FROM open_group_locks WHERE cpso = ?1", [cpso], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()
                .map_err(sql_err)?;
            row.map(|(id, open)| Ok(CurrentGroup { group: GroupId::parse(&id).map_err(bad_value("lock", "group_id"))?, open })).transpose()
        })
        .await
    }

    async fn write(&self, w: &Write) -> StoreResult<()> {
        let w = w.clone();
        self.transact(move |tx| apply_write(tx, &w)).await
    }

    async fn check_off(&self, c: &CheckOffWrite) -> StoreResult<Activities> {
        let c = c.clone();
        self.transact(move |tx| {
            let mut g = load_live(tx, c.group.as_str(), c.now)?;
            let closed = matches!(g.phase(), Phase::Submitted | Phase::Dissolved);
            let m = g.members.iter_mut().find(|m| m.slot == c.slot).ok_or(StoreError::NotFound)?;
            if !m.sessions.iter().any(|s| s.hash == c.session && s.is_live(c.now)) {
                return Err(conflict(ConflictKind::SessionEnded));
            }
            if closed {
                return Err(conflict(ConflictKind::PipSubmitted));
            }
            if !m.status.is_accepted() {
                return Err(conflict(ConflictKind::NotAccepted));
            }
            m.activities.set(c.activity, c.on);
            m.history.push(c.event.clone());
            let out = m.activities.clone();
            g.touch(c.slot, &c.session, c.now);
            save_group(tx, &g)?;
            Ok(out)
        })
        .await
    }

    async fn touch_session(&self, id: &GroupId, slot: u8, session: &CodeHash, now: DateTime<Utc>) -> StoreResult<()> {
        let (id, session) = (id.to_string(), session.clone());
        self.transact(move |tx| {
            let mut g = load_live(tx, &id, now)?;
            let m = g.member(slot).ok_or(StoreError::NotFound)?;
            if !m.sessions.iter().any(|s| s.hash == session && s.is_live(now)) {
                return Err(conflict(ConflictKind::SessionEnded));
            }
            g.touch(slot, &session, now);
            save_group(tx, &g)
        })
        .await
    }

    async fn record_data(&self, w: &DataWrite) -> StoreResult<()> {
        let w = w.clone();
        self.transact(move |tx| {
            let mut g = load_live(tx, w.group.as_str(), w.now)?;
            let dissolved = g.phase() == Phase::Dissolved;
            let m = g.members.iter_mut().find(|m| m.slot == w.slot).ok_or(StoreError::NotFound)?;
            if !m.sessions.iter().any(|s| s.hash == w.session && s.is_live(w.now)) {
                return Err(conflict(ConflictKind::SessionEnded));
            }
            if !m.status.is_accepted() {
                return Err(conflict(ConflictKind::NotAccepted));
            }
            if dissolved {
                return Err(conflict(ConflictKind::Dissolved));
            }
            m.apply_data(&w.change);
            m.history.push(w.event.clone());
            g.touch(w.slot, &w.session, w.now);
            save_group(tx, &g)
        })
        .await
    }

    async fn mark_reminded(&self, m: &ReminderMark) -> StoreResult<bool> {
        let m = m.clone();
        self.transact(move |tx| {
            let mut g = load_group(tx, m.group.as_str())?;
            let dissolved = g.phase() == Phase::Dissolved;
            let gm = g.members.iter_mut().find(|x| x.slot == m.slot).ok_or(StoreError::NotFound)?;
            let reminded = gm.reminders.through.is_some_and(|t| t >= m.period_start);
            if reminded || gm.reminders.off || !gm.status.is_accepted() || dissolved {
                return Ok(false);
            }
            gm.reminders.through = Some(m.period_end);
            gm.reminders.tokens = m.tokens.clone();
            save_group(tx, &g)?;
            if let Some(mail) = &m.outbox {
                enqueue(tx, mail)?;
            }
            Ok(true)
        })
        .await
    }

    async fn set_reminders(&self, s: &ReminderSetting) -> StoreResult<()> {
        let s = s.clone();
        self.transact(move |tx| {
            let mut g = load_live(tx, s.group.as_str(), s.now)?;
            let gm = g.members.iter_mut().find(|x| x.slot == s.slot).ok_or(StoreError::NotFound)?;
            match &s.by {
                ReminderAuth::OptOut(hash) => {
                    if !gm.reminders.tokens.contains(hash) {
                        return Err(StoreError::NotFound);
                    }
                }
                ReminderAuth::Session(hash) => {
                    if !gm.sessions.iter().any(|x| &x.hash == hash && x.is_live(s.now)) {
                        return Err(conflict(ConflictKind::SessionEnded));
                    }
                }
            }
            gm.reminders.off = s.off;
            if let ReminderAuth::Session(hash) = &s.by {
                g.touch(s.slot, hash, s.now);
            }
            save_group(tx, &g)
        })
        .await
    }

    async fn add_coaching_request(&self, req: &CoachingRequest, mail: Option<&QueuedMail>) -> StoreResult<()> {
        let req = req.clone();
        let mail = mail.cloned();
        self.transact(move |tx| {
            if let Some(m) = &mail {
                enqueue(tx, m)?;
            }
            let doc = serde_json::to_string(&req).map_err(encode_error)?;
            tx.execute(
                "INSERT INTO coaching_requests (id, created_at, doc) VALUES (?1, ?2, ?3)",
                params![req.id, ts(&req.created_at), doc],
            )
            .map_err(|e| match e.sqlite_error_code() {
                Some(ErrorCode::ConstraintViolation) => StoreError::invariant("coaching request ids are unique"),
                _ => sql_err(e),
            })?;
            Ok(())
        })
        .await
    }

    async fn list_coaching_requests(&self) -> StoreResult<Vec<CoachingRequest>> {
        self.with(|c| {
            let mut stmt = c.prepare("SELECT doc FROM coaching_requests ORDER BY created_at, id").map_err(sql_err)?;
            let rows = stmt.query_map([], |r| r.get::<_, String>(0)).map_err(sql_err)?;
            rows.map(|r| serde_json::from_str(&r.map_err(sql_err)?).map_err(bad_doc("coaching request"))).collect()
        })
        .await
    }

    async fn list_groups(&self) -> StoreResult<Vec<Group>> {
        self.with(|c| {
            let mut stmt = c.prepare("SELECT doc FROM groups ORDER BY created_at, id").map_err(sql_err)?;
            let rows = stmt.query_map([], |r| r.get::<_, String>(0)).map_err(sql_err)?;
            rows.map(|r| serde_json::from_str(&r.map_err(sql_err)?).map_err(bad_doc("group"))).collect()
        })
        .await
    }

    async fn claim_mail(&self, id: &str, holder: &str, now: DateTime<Utc>, until: DateTime<Utc>) -> StoreResult<Claim> {
        let (id, holder) = (id.to_string(), holder.to_string());
        self.transact(move |tx| {
            let row = tx
                .query_row(&format!("SELECT {MAIL_COLUMNS}, held_until, expires_at FROM outbox WHERE id = ?1"), [&id], |r| {
                    Ok((mail_row(r)?, r.get::<_, Option<String>>(8)?, r.get::<_, Option<String>>(9)?))
                })
                .optional()
                .map_err(sql_err)?;
            let Some((row, held_until, expires_at)) = row else { return Ok(Claim::Missing) };
            if expires_at.is_some_and(|e| e <= ts(&now)) {
                return Ok(Claim::Missing);
            }
            let rec = mail_record(row)?;
            if rec.state != MailState::Pending {
                return Ok(Claim::Settled(rec.state));
            }
            if rec.next_attempt_at > now {
                return Ok(Claim::NotDue(rec.next_attempt_at));
            }
            if let Some(h) = held_until.map(|h| parse_ts("queued mail", "held_until", &h)).transpose()? {
                if h > now {
                    return Ok(Claim::Held(h));
                }
            }
            let Some(mail) = rec.mail else { return Err(StoreError::corrupt("queued mail", "a pending mail without its message")) };
            tx.execute("UPDATE outbox SET holder = ?2, held_until = ?3 WHERE id = ?1", params![id, holder, ts(&until)]).map_err(sql_err)?;
            Ok(Claim::Claimed { mail: QueuedMail { id: rec.id, kind: rec.kind, queued_at: rec.queued_at, mail }, attempts: rec.attempts })
        })
        .await
    }

    async fn settle_mail(&self, id: &str, holder: &str, settle: &Settle, now: DateTime<Utc>) -> StoreResult<bool> {
        let (id, holder, settle) = (id.to_string(), holder.to_string(), settle.clone());
        self.transact(move |tx| {
            let expires = ts(&(now + crate::domain::outbox::keep_records()));
            let sql = "WHERE id = ?1 AND state = 'pending' AND holder = ?2";
            let n = match &settle {
                Settle::Sent | Settle::Suppressed => {
                    let state = if settle == Settle::Sent { MailState::Sent } else { MailState::Suppressed };
                    tx.execute(
                        &format!("UPDATE outbox SET state = ?3, mail = NULL, holder = NULL, held_until = NULL, expires_at = ?4 {sql}"),
                        params![id, holder, state.as_str(), expires],
                    )
                }
                Settle::Retry { attempts, next_attempt_at, error } => tx.execute(
                    &format!(
                        "UPDATE outbox SET attempts = ?3, next_attempt_at = ?4, last_error = ?5, holder = NULL, held_until = NULL {sql}"
                    ),
                    params![id, holder, attempts, ts(next_attempt_at), error],
                ),
                Settle::Dead { attempts, error } => tx.execute(
                    &format!(
                        "UPDATE outbox SET state = 'dead', attempts = ?3, last_error = ?4, holder = NULL, held_until = NULL, expires_at = ?5 {sql}"
                    ),
                    params![id, holder, attempts, error, expires],
                ),
            }
            .map_err(sql_err)?;
            Ok(n == 1)
        })
        .await
    }

    async fn requeue_mail(&self, id: &str, new_id: &str, now: DateTime<Utc>) -> StoreResult<bool> {
        let (id, new_id) = (id.to_string(), new_id.to_string());
        self.transact(move |tx| {
            let row = tx
                .query_row(&format!("SELECT {MAIL_COLUMNS} FROM outbox WHERE id = ?1 AND state = 'dead'"), [&id], mail_row)
                .optional()
                .map_err(sql_err)?;
            let Some(rec) = row.map(mail_record).transpose()? else { return Ok(false) };
            let Some(mail) = rec.mail else { return Ok(false) };
            let expires = ts(&(now + crate::domain::outbox::keep_records()));
            tx.execute("UPDATE outbox SET state = 'requeued', mail = NULL, expires_at = ?2 WHERE id = ?1", params![id, expires])
                .map_err(sql_err)?;
            enqueue(tx, &QueuedMail { id: new_id, kind: rec.kind, queued_at: now, mail })?;
            Ok(true)
        })
        .await
    }

    async fn list_mail(&self, now: DateTime<Utc>) -> StoreResult<Vec<MailRecord>> {
        let now = ts(&now);
        self.with(move |c| {
            let mut stmt = c
                .prepare(&format!("SELECT {MAIL_COLUMNS} FROM outbox WHERE expires_at IS NULL OR expires_at > ?1 ORDER BY queued_at, id"))
                .map_err(sql_err)?;
            let rows = stmt.query_map([now], mail_row).map_err(sql_err)?;
            rows.map(|r| mail_record(r.map_err(sql_err)?)).collect()
        })
        .await
    }

    async fn mark_undeliverable(&self, u: &Undeliverable) -> StoreResult<()> {
        let u = u.clone();
        self.transact(move |tx| {
            tx.execute(
                "INSERT OR REPLACE INTO undeliverable (address, reason, at) VALUES (?1, ?2, ?3)",
                params![u.address, u.reason.as_str(), ts(&u.at)],
            )
            .map_err(sql_err)?;
            Ok(())
        })
        .await
    }

    async fn clear_undeliverable(&self, email: &Email) -> StoreResult<bool> {
        let k = address_key(email);
        self.transact(move |tx| Ok(tx.execute("DELETE FROM undeliverable WHERE address = ?1", [k]).map_err(sql_err)? == 1)).await
    }

    async fn undeliverable(&self, emails: &[Email]) -> StoreResult<Vec<Undeliverable>> {
        let keys: Vec<String> = emails.iter().map(address_key).collect();
        self.with(move |c| {
            let mut stmt = c.prepare("SELECT reason, at FROM undeliverable WHERE address = ?1").map_err(sql_err)?;
            let mut out = Vec::new();
            for k in keys {
                let row = stmt.query_row([&k], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))).optional().map_err(sql_err)?;
                if let Some((reason, at)) = row {
                    let reason =
                        UndeliverableReason::parse(&reason).ok_or_else(|| StoreError::corrupt("undeliverable address", "reason"))?;
                    out.push(Undeliverable { address: k, reason, at: parse_ts("undeliverable address", "at", &at)? });
                }
            }
            Ok(out)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn fresh() -> Arc<dyn Store> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("qi.sqlite3");
        // Keep the directory for the life of the test process.
        std::mem::forget(dir);
        Arc::new(SqliteStore::open(&path).unwrap())
    }

    crate::store_conformance_tests!(fresh());

    #[tokio::test]
    async fn second_connection_sees_writes() {
        use super::super::conformance::{create_write, invitation_of, sample_group, T0};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("qi.sqlite3");
        let a = SqliteStore::open(&path).unwrap();
        let b = SqliteStore::open(&path).unwrap();
        a.import_invitations(&InvitationList::new(vec![invitation_of("100")]).unwrap()).await.unwrap();
        let (g, _) = sample_group("100", &["101"], T0);
        a.write(&create_write(&g)).await.unwrap();
        assert_eq!(b.get_group(&g.id).await.unwrap(), g);
        assert!(matches!(b.write(&create_write(&g)).await, Err(StoreError::Conflict(ConflictKind::GroupIdTaken))));
    }

    #[tokio::test]
    async fn an_older_layout_is_refused_with_a_clear_message() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.sqlite3");
        let c = Connection::open(&path).unwrap();
        c.execute_batch("CREATE TABLE groups (id TEXT PRIMARY KEY, created_at TEXT NOT NULL, doc TEXT NOT NULL);").unwrap();
        drop(c);
        let e = SqliteStore::open(&path).unwrap_err();
        assert!(e.to_string().contains("older version"), "{e}");
    }
}
