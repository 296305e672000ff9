//! Named locks in the database, so that work two PHP processes (or two web nodes) could do at once
//! is done once: a cron run meeting the next must not persist a VM twice or fire a hook twice.
//! The primary key makes a claim atomic; an expiry frees the claim of a process that died.

use chrono::{DateTime, Duration, Utc};

use super::sql::{Dialect, Sql, SqlError, SqlValue};

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

impl<'a> Locks<'a> {
    /// Locks held by `owner` (one per process run, e.g. a random id).
    pub fn open(sql: &'a dyn Sql, owner: &str) -> Result<Self, SqlError> {
        sql.execute(create_table(sql.dialect()), &[])?;
        Ok(Self {
            sql,
            owner: owner.to_string(),
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
        Ok(self.sql.execute(
            &insert,
            &[
                name.into(),
                self.owner.as_str().into(),
                SqlValue::Int(expires),
            ],
        )? == 1)
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
