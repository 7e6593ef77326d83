//! The embedded store: SQLite (bundled), one file, WAL journal.
//!
//! Each group is one row holding the group as JSON; the one-open-group-per-
//! physician rule is a table whose primary key is the CPSO number. Every
//! write runs in a `BEGIN IMMEDIATE` transaction (the write lock is taken
//! before anything is read), so a read-check-write inside it cannot race
//! another writer, in this process or another one (`qi admin` against the
//! dev server's file). Blocking SQLite calls run on tokio's blocking pool.
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::NaiveDate;
use rusqlite::{params, Connection, ErrorCode, OptionalExtension, TransactionBehavior};

use super::{Backend, ConflictKind, Internal, Store, StoreError, StoreResult, Unavailable, UnavailableKind};
use crate::domain::{
    Activities, Activity, CoachingRequest, Cpso, Cycle, Email, Group, GroupId, Invitation, InvitationList, PersonName, PipDraft, PipState,
};

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS groups (
    id         TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    doc        TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS groups_by_created ON groups (created_at, id);
CREATE TABLE IF NOT EXISTS open_group_locks (
    cpso     TEXT PRIMARY KEY,
    group_id TEXT NOT NULL REFERENCES groups (id)
);
CREATE TABLE IF NOT EXISTS invitations (
    cycle TEXT NOT NULL,
    cpso  TEXT NOT NULL,
    name  TEXT,
    email TEXT,
    PRIMARY KEY (cycle, cpso)
);
CREATE TABLE IF NOT EXISTS coaching_requests (
    id         TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    doc        TEXT NOT NULL
);
"#;

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
                conn.execute_batch(SCHEMA).map_err(sql_err)?;
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
    async fn write<T, F>(&self, f: F) -> StoreResult<T>
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

fn save_group(conn: &Connection, g: &Group) -> StoreResult<()> {
    let doc = serde_json::to_string(g).map_err(encode_error)?;
    let n = conn.execute("UPDATE groups SET doc = ?2 WHERE id = ?1", params![g.id.as_str(), doc]).map_err(sql_err)?;
    if n != 1 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

#[async_trait]
impl Store for SqliteStore {
    async fn import_invitations(&self, list: &InvitationList) -> StoreResult<usize> {
        let entries = list.entries().to_vec();
        self.write(move |tx| {
            let mut stmt =
                tx.prepare("INSERT OR REPLACE INTO invitations (cycle, cpso, name, email) VALUES (?1, ?2, ?3, ?4)").map_err(sql_err)?;
            for e in &entries {
                stmt.execute(params![
                    e.cycle.as_str(),
                    e.cpso.as_str(),
                    e.name.as_ref().map(|n| n.as_str()),
                    e.email.as_ref().map(|m| m.as_str())
                ])
                .map_err(sql_err)?;
            }
            Ok(entries.len())
        })
        .await
    }

    async fn is_invited(&self, cycle: &Cycle, cpso: &Cpso) -> StoreResult<bool> {
        let (cycle, cpso) = (cycle.to_string(), cpso.to_string());
        self.with(move |c| {
            c.query_row("SELECT 1 FROM invitations WHERE cycle = ?1 AND cpso = ?2", [cycle, cpso], |_| Ok(()))
                .optional()
                .map(|o| o.is_some())
                .map_err(sql_err)
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
                    Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, Option<String>>(2)?, r.get::<_, Option<String>>(3)?))
                })
                .map_err(sql_err)?;
            let mut out = Vec::new();
            for row in rows {
                let (cy, cp, name, email) = row.map_err(sql_err)?;
                out.push(Invitation {
                    cycle: Cycle::parse(&cy).map_err(bad_value("invitation", "cycle"))?,
                    cpso: Cpso::parse(&cp).map_err(bad_value("invitation", "cpso"))?,
                    name: name.map(|n| PersonName::parse(&n)).transpose().map_err(bad_value("invitation", "name"))?,
                    email: email.map(|m| Email::parse(&m)).transpose().map_err(bad_value("invitation", "email"))?,
                });
            }
            Ok(out)
        })
        .await
    }

    async fn create_group(&self, group: &Group) -> StoreResult<()> {
        let g = group.clone();
        self.write(move |tx| {
            let exists = tx.query_row("SELECT 1 FROM groups WHERE id = ?1", [g.id.as_str()], |_| Ok(())).optional().map_err(sql_err)?;
            if exists.is_some() {
                return Err(StoreError::Conflict(ConflictKind::GroupIdTaken));
            }
            let mut taken = Vec::new();
            for c in g.cpsos() {
                let held =
                    tx.query_row("SELECT 1 FROM open_group_locks WHERE cpso = ?1", [c.as_str()], |_| Ok(())).optional().map_err(sql_err)?;
                if held.is_some() {
                    taken.push(c);
                }
            }
            if !taken.is_empty() {
                return Err(StoreError::Conflict(ConflictKind::MembersInOpenGroup(taken)));
            }
            let doc = serde_json::to_string(&g).map_err(encode_error)?;
            tx.execute("INSERT INTO groups (id, created_at, doc) VALUES (?1, ?2, ?3)", params![g.id.as_str(), ts(&g.created_at), doc])
                .map_err(sql_err)?;
            for c in g.cpsos() {
                // The primary key is the backstop of the rule.
                tx.execute("INSERT INTO open_group_locks (cpso, group_id) VALUES (?1, ?2)", params![c.as_str(), g.id.as_str()]).map_err(
                    |e| match e.sqlite_error_code() {
                        Some(ErrorCode::ConstraintViolation) => StoreError::Conflict(ConflictKind::MembersInOpenGroup(vec![c.clone()])),
                        _ => sql_err(e),
                    },
                )?;
            }
            Ok(())
        })
        .await
    }

    async fn get_group(&self, id: &GroupId) -> StoreResult<Group> {
        let id = id.to_string();
        self.with(move |c| load_group(c, &id)).await
    }

    async fn open_group_of(&self, cpso: &Cpso) -> StoreResult<Option<GroupId>> {
        let cpso = cpso.to_string();
        self.with(move |c| {
            let id: Option<String> =
                c.query_row("SELECT group_id FROM open_group_locks WHERE cpso = ?1", [cpso], |r| r.get(0)).optional().map_err(sql_err)?;
            id.map(|s| GroupId::parse(&s).map_err(bad_value("lock", "group_id"))).transpose()
        })
        .await
    }

    async fn set_activity(
        &self,
        id: &GroupId,
        member: &Cpso,
        activity: Activity,
        completed_on: Option<NaiveDate>,
    ) -> StoreResult<Activities> {
        let (id, member) = (id.to_string(), member.clone());
        self.write(move |tx| {
            let mut g = load_group(tx, &id)?;
            if g.pip.is_submitted() {
                return Err(StoreError::Conflict(ConflictKind::PipSubmitted));
            }
            let m = g.members.iter_mut().find(|m| m.member.cpso == member).ok_or(StoreError::NotFound)?;
            m.activities.set(activity, completed_on);
            let out = m.activities.clone();
            save_group(tx, &g)?;
            Ok(out)
        })
        .await
    }

    async fn save_pip_draft(&self, id: &GroupId, draft: &PipDraft) -> StoreResult<()> {
        let (id, draft) = (id.to_string(), draft.clone());
        self.write(move |tx| {
            let mut g = load_group(tx, &id)?;
            if g.pip.is_submitted() {
                return Err(StoreError::Conflict(ConflictKind::PipSubmitted));
            }
            g.pip = PipState::Draft { draft };
            save_group(tx, &g)
        })
        .await
    }

    async fn submit_pip(&self, id: &GroupId, pip: &PipDraft, submitted_on: NaiveDate) -> StoreResult<()> {
        let (id, pip) = (id.to_string(), pip.clone());
        self.write(move |tx| {
            let mut g = load_group(tx, &id)?;
            // The domain's rule, checked inside the write transaction.
            g.ready_to_submit()?;
            g.pip = PipState::Submitted { pip, submitted_on };
            save_group(tx, &g)?;
            tx.execute("DELETE FROM open_group_locks WHERE group_id = ?1", [&id]).map_err(sql_err)?;
            Ok(())
        })
        .await
    }

    async fn add_coaching_request(&self, req: &CoachingRequest) -> StoreResult<()> {
        let req = req.clone();
        self.write(move |tx| {
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
    async fn second_connection_sees_writes_and_locks() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("qi.sqlite3");
        let a = SqliteStore::open(&path).unwrap();
        let b = SqliteStore::open(&path).unwrap();
        let (g, _) = super::super::conformance::sample_group("100", &["101"], "2026-01-05T10:00:00Z");
        a.create_group(&g).await.unwrap();
        let (g2, _) = super::super::conformance::sample_group("200", &["101"], "2026-01-05T10:00:00Z");
        assert!(matches!(b.create_group(&g2).await, Err(StoreError::Conflict(ConflictKind::MembersInOpenGroup(_)))));
        assert_eq!(b.get_group(&g.id).await.unwrap(), g);
    }
}
