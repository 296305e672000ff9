//! The nonces of action tokens already used, kept in the database until the tokens expire, so a
//! token works once across every PHP-FPM worker and every web node sharing the database.

use super::sql::{ensure_table, transaction, Dialect, Sql, SqlError, SqlValue};

pub const TABLE: &str = "mod_katapult_used_tokens";

fn create_table(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::MySql => "CREATE TABLE IF NOT EXISTS mod_katapult_used_tokens (nonce VARCHAR(64) NOT NULL PRIMARY KEY, expires_at BIGINT NOT NULL, KEY expires_at (expires_at)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci",
        Dialect::Sqlite => "CREATE TABLE IF NOT EXISTS mod_katapult_used_tokens (nonce VARCHAR(64) NOT NULL PRIMARY KEY, expires_at INTEGER NOT NULL)",
    }
}

pub struct UsedNonces<'a> {
    sql: &'a dyn Sql,
}

impl<'a> UsedNonces<'a> {
    pub fn open(sql: &'a dyn Sql) -> Result<Self, SqlError> {
        ensure_table(sql, TABLE, &[create_table(sql.dialect())])?;
        Ok(Self { sql })
    }

    /// Records the nonce; false when it was recorded before (the token is being replayed).
    /// Nonces of expired tokens are let go: their tokens are refused on their time alone.
    /// In one transaction: the token is used when the commit is (see `Locks::try_claim_at`).
    pub fn use_once(&self, nonce: &str, expires_at: i64, now: i64) -> Result<bool, SqlError> {
        let insert = format!(
            "{} INTO {TABLE} (nonce, expires_at) VALUES (?, ?)",
            self.sql.dialect().insert_ignore()
        );
        transaction(self.sql, || {
            self.sql.execute(
                &format!("DELETE FROM {TABLE} WHERE expires_at < ?"),
                &[SqlValue::Int(now)],
            )?;
            Ok(self
                .sql
                .execute(&insert, &[nonce.into(), SqlValue::Int(expires_at)])?
                == 1)
        })
    }
}
