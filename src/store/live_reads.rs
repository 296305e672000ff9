//! What keeps a client's panel from spending the installation's API budget: the VM as the
//! client area last read it, per service, and the live reads each client has spent in the
//! current window. In the database, so that they hold across PHP-FPM workers and web nodes.

use chrono::{DateTime, TimeZone, Utc};

use super::client_budget::ClientBudget;
use super::sql::{autocommit, ensure_table, Dialect, Sql, SqlError, SqlValue};

pub const VM_TABLE: &str = "mod_katapult_vm_reads";
pub const SPENT_TABLE: &str = "mod_katapult_live_reads";

fn create_vm_table(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::MySql => "CREATE TABLE IF NOT EXISTS mod_katapult_vm_reads (service_id BIGINT NOT NULL PRIMARY KEY, vm_id VARCHAR(64) NOT NULL, vm MEDIUMTEXT NOT NULL, read_at BIGINT NOT NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci",
        Dialect::Sqlite => "CREATE TABLE IF NOT EXISTS mod_katapult_vm_reads (service_id INTEGER NOT NULL PRIMARY KEY, vm_id VARCHAR(64) NOT NULL, vm TEXT NOT NULL, read_at INTEGER NOT NULL)",
    }
}

/// A VM as read from the API: its JSON (without secrets: the caller leaves them out) and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VmRead {
    pub vm_json: String,
    pub read_at: DateTime<Utc>,
}

pub struct LiveReads<'a> {
    sql: &'a dyn Sql,
}

impl<'a> LiveReads<'a> {
    pub fn open(sql: &'a dyn Sql) -> Result<Self, SqlError> {
        ensure_table(sql, VM_TABLE, &[create_vm_table(sql.dialect())])?;
        ClientBudget::open(sql, SPENT_TABLE)?;
        Ok(Self::checked(sql))
    }

    /// Over a connection whose tables `open` (or a statement reading them) made sure of.
    pub fn checked(sql: &'a dyn Sql) -> Self {
        Self { sql }
    }

    /// The last read of this service's VM, if any, with the VM's id.
    pub fn last(&self, service_id: u64) -> Result<Option<(String, VmRead)>, SqlError> {
        let rows = self.sql.query(
            &format!("SELECT vm_id, vm, read_at FROM {VM_TABLE} WHERE service_id = ?"),
            &[SqlValue::Int(service_id as i64)],
        )?;
        Ok(rows.first().and_then(|row| {
            let read = VmRead {
                vm_json: row.get(1)?.as_text()?.to_string(),
                read_at: Utc.timestamp_opt(row.get(2)?.as_int()?, 0).single()?,
            };
            Some((row.first()?.as_text()?.to_string(), read))
        }))
    }

    /// Keeps this read of the service's VM, in place of the last.
    pub fn keep(&self, service_id: u64, vm_id: &str, read: &VmRead) -> Result<(), SqlError> {
        let params = [
            vm_id.into(),
            read.vm_json.as_str().into(),
            SqlValue::Int(read.read_at.timestamp()),
            SqlValue::Int(service_id as i64),
        ];
        // Two workers' first reads at once: one row, the other's read is as good.
        autocommit(self.sql, || {
            let updated = self.sql.execute(
                &format!(
                    "UPDATE {VM_TABLE} SET vm_id = ?, vm = ?, read_at = ? WHERE service_id = ?"
                ),
                &params,
            )?;
            if updated == 0 {
                self.sql.execute(
                    &format!(
                        "{} INTO {VM_TABLE} (vm_id, vm, read_at, service_id) VALUES (?, ?, ?, ?)",
                        self.sql.dialect().insert_ignore()
                    ),
                    &params,
                )?;
            }
            Ok(())
        })
    }

    /// Dates the service's last read of `vm_id` `to` instead of `from`, when it is still the one
    /// dated `from` (no other read kept since); whether it was. A page reading the VM again marks
    /// the last read fresh while the API answers, and keeps nothing more when the answer is the
    /// same; it dates the read back when the answer does not come.
    pub fn redate(
        &self,
        service_id: u64,
        vm_id: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<bool, SqlError> {
        autocommit(self.sql, || {
            self.sql.execute(
                &format!(
                    "UPDATE {VM_TABLE} SET read_at = ? WHERE service_id = ? AND vm_id = ? AND read_at = ?"
                ),
                &[
                    SqlValue::Int(to.timestamp()),
                    SqlValue::Int(service_id as i64),
                    vm_id.into(),
                    SqlValue::Int(from.timestamp()),
                ],
            )
        })
        .map(|redated| redated == 1)
    }

    /// Forgets the service's last read (its VM was just told to change).
    pub fn forget(&self, service_id: u64) -> Result<(), SqlError> {
        autocommit(self.sql, || {
            self.sql.execute(
                &format!("DELETE FROM {VM_TABLE} WHERE service_id = ?"),
                &[SqlValue::Int(service_id as i64)],
            )
        })
        .map(|_| ())
    }

    /// The live reads each client has spent in the current window.
    pub fn spent(&self) -> ClientBudget<'a> {
        ClientBudget::new(self.sql, SPENT_TABLE)
    }
}
