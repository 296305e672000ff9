//! Named locks in the database, so that work two PHP processes (or two web nodes) could do at once
//! is done once: a cron run meeting the next must not persist a VM twice or fire a hook twice.
//! The primary key makes a claim atomic. A claim names its holder's machine and process, so a
//! claim left by a process that died on this machine (a SIGKILL, the OOM killer) is taken over
//! at once; one left elsewhere waits for its expiry.

use std::sync::OnceLock;

use chrono::{DateTime, Duration, Utc};

use super::sql::{ensure_table, Dialect, Sql, SqlError, SqlValue};

pub const TABLE: &str = "mod_katapult_locks";

fn create_table(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::MySql => "CREATE TABLE IF NOT EXISTS mod_katapult_locks (name VARCHAR(191) NOT NULL PRIMARY KEY, owner VARCHAR(64) NOT NULL, expires_at BIGINT NOT NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci",
        Dialect::Sqlite => "CREATE TABLE IF NOT EXISTS mod_katapult_locks (name VARCHAR(191) NOT NULL PRIMARY KEY, owner VARCHAR(64) NOT NULL, expires_at INTEGER NOT NULL)",
    }
}

pub struct Locks<'a> {
    sql: &'a dyn Sql,
    owner: String,
}

/// The owner column: `<pid>@<machine>#<run>`, cut to the column's 64 characters.
pub fn owner_label(pid: u32, run: &str) -> String {
    let mut label = format!("{pid}@{}#{run}", this_machine());
    while label.len() > 64 {
        label.pop();
    }
    label
}

/// This machine's host name (empty where it cannot be read: claims then wait for expiry).
fn this_machine() -> &'static str {
    static NAME: OnceLock<String> = OnceLock::new();
    NAME.get_or_init(|| {
        std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|name| name.trim().to_string())
            .unwrap_or_default()
    })
}

/// True when `owner` names a process of this machine that no longer runs.
fn died_here(owner: &str) -> bool {
    let Some((pid, rest)) = owner.split_once('@') else {
        return false;
    };
    let Some((machine, _run)) = rest.split_once('#') else {
        return false;
    };
    let Ok(pid) = pid.parse::<u32>() else {
        return false;
    };
    let proc_fs = std::path::Path::new("/proc/self").exists();
    proc_fs
        && !machine.is_empty()
        && machine == this_machine()
        && pid != std::process::id()
        && !std::path::Path::new(&format!("/proc/{pid}")).exists()
}

impl<'a> Locks<'a> {
    /// Locks held by this process for `run` (a short name for what it does, or a random id).
    pub fn open(sql: &'a dyn Sql, run: &str) -> Result<Self, SqlError> {
        ensure_table(sql, TABLE, &[create_table(sql.dialect())])?;
        Ok(Self {
            sql,
            owner: owner_label(std::process::id(), run),
        })
    }

    /// Takes the lock for `ttl`, or returns false when another owner holds it unexpired.
    pub fn try_claim(
        &self,
        name: &str,
        now: DateTime<Utc>,
        ttl: Duration,
    ) -> Result<bool, SqlError> {
        self.sql.execute(
            &format!("DELETE FROM {TABLE} WHERE name = ? AND expires_at < ?"),
            &[name.into(), now.timestamp().into()],
        )?;
        let insert = format!(
            "{} INTO {TABLE} (name, owner, expires_at) VALUES (?, ?, ?)",
            self.sql.dialect().insert_ignore()
        );
        let expires = (now + ttl).timestamp();
        let claim = || {
            self.sql.execute(
                &insert,
                &[
                    name.into(),
                    self.owner.as_str().into(),
                    SqlValue::Int(expires),
                ],
            )
        };
        if claim()? == 1 {
            return Ok(true);
        }
        let holder = self.sql.query(
            &format!("SELECT owner FROM {TABLE} WHERE name = ?"),
            &[name.into()],
        )?;
        let Some(owner) = holder.first().and_then(|row| row.first()?.as_text()) else {
            return Ok(false);
        };
        if !died_here(owner) {
            return Ok(false);
        }
        self.sql.execute(
            &format!("DELETE FROM {TABLE} WHERE name = ? AND owner = ?"),
            &[name.into(), owner.into()],
        )?;
        Ok(claim()? == 1)
    }

    pub fn release(&self, name: &str) -> Result<(), SqlError> {
        self.sql
            .execute(
                &format!("DELETE FROM {TABLE} WHERE name = ? AND owner = ?"),
                &[name.into(), self.owner.as_str().into()],
            )
            .map(|_| ())
    }
}
