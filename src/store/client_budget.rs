//! How much of something each client may do in a window of time (live reads of their panel,
//! reverse-DNS writes): a counter per client that starts again when its window is over. In the
//! database, so that it holds across PHP-FPM workers and web nodes.

use chrono::{DateTime, Duration, Utc};

use super::sql::{autocommit, ensure_table, Dialect, Sql, SqlError, SqlValue};

/// A client's row: when its window began (a Unix time) and how much of it is spent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spending {
    pub window_start: i64,
    pub spent: i64,
}

/// Whether a client whose row read `spending` (None: no row yet) has one of `per_window` left
/// at `now`, as `ClientBudget::spend` would find it had nobody spent since the read.
pub fn has_left(
    spending: Option<Spending>,
    now: DateTime<Utc>,
    per_window: u32,
    window: Duration,
) -> bool {
    per_window > 0
        && spending.is_none_or(|row| {
            row.window_start <= now.timestamp() - window.num_seconds()
                || row.spent < i64::from(per_window)
        })
}

pub struct ClientBudget<'a> {
    sql: &'a dyn Sql,
    table: &'static str,
}

fn create_table(dialect: Dialect, table: &str) -> String {
    match dialect {
        Dialect::MySql => format!("CREATE TABLE IF NOT EXISTS {table} (client_id BIGINT NOT NULL PRIMARY KEY, window_start BIGINT NOT NULL, spent INT NOT NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci"),
        Dialect::Sqlite => format!("CREATE TABLE IF NOT EXISTS {table} (client_id INTEGER NOT NULL PRIMARY KEY, window_start INTEGER NOT NULL, spent INTEGER NOT NULL)"),
    }
}

impl<'a> ClientBudget<'a> {
    /// The budget kept in `table`, made when missing.
    pub fn open(sql: &'a dyn Sql, table: &'static str) -> Result<Self, SqlError> {
        ensure_table(sql, table, &[&create_table(sql.dialect(), table)])?;
        Ok(Self::new(sql, table))
    }

    /// The budget kept in `table`, which the caller has made sure of.
    pub(super) fn new(sql: &'a dyn Sql, table: &'static str) -> Self {
        Self { sql, table }
    }

    /// The client's row; None before the client's first.
    pub fn spending(&self, client_id: u64) -> Result<Option<Spending>, SqlError> {
        let rows = self.sql.query(
            &format!(
                "SELECT window_start, spent FROM {} WHERE client_id = ?",
                self.table
            ),
            &[SqlValue::Int(client_id as i64)],
        )?;
        Ok(rows.first().and_then(|row| {
            Some(Spending {
                window_start: row.first()?.as_int()?,
                spent: row.get(1)?.as_int()?,
            })
        }))
    }

    /// Spends one of the client's `per_window` in the window that began at most `window` ago
    /// (a new one begins when it is over); false when none is left. One statement when the client
    /// has spent before and has some left (a live read's page pays for it), with no transaction
    /// around it (`autocommit`): on Galera a lost certification is run again all the same.
    pub fn spend(
        &self,
        client_id: u64,
        now: DateTime<Utc>,
        per_window: u32,
        window: Duration,
    ) -> Result<bool, SqlError> {
        if per_window == 0 {
            return Ok(false);
        }
        let table = self.table;
        let client = SqlValue::Int(client_id as i64);
        let now = now.timestamp();
        let over = SqlValue::Int(now - window.num_seconds());
        autocommit(self.sql, || {
            // `spent` is set before `window_start`: MySQL's assignments see those made before them.
            let spend = || {
                self.sql.execute(
                    &format!(
                        "UPDATE {table} SET spent = CASE WHEN window_start <= ? THEN 1 ELSE spent + 1 END, \
                         window_start = CASE WHEN window_start <= ? THEN ? ELSE window_start END \
                         WHERE client_id = ? AND (window_start <= ? OR spent < ?)"
                    ),
                    &[
                        over.clone(),
                        over.clone(),
                        SqlValue::Int(now),
                        client.clone(),
                        over.clone(),
                        SqlValue::Int(i64::from(per_window)),
                    ],
                )
            };
            if spend()? == 1 {
                return Ok(true);
            }
            // The client's first; or none left, or another worker made the row just now.
            let made = self.sql.execute(
                &format!(
                    "{} INTO {table} (client_id, window_start, spent) VALUES (?, ?, 1)",
                    self.sql.dialect().insert_ignore()
                ),
                &[client.clone(), SqlValue::Int(now)],
            )?;
            Ok(made == 1 || spend()? == 1)
        })
    }
}
