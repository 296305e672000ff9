//! What the drift check found, kept between passes: one row per kind of drift and subject (a
//! service, or a VM no service owns), with when it was first and last seen. A pass writes what it
//! sees and forgets what it no longer sees; a repair forgets what it repaired.

use chrono::{DateTime, TimeZone, Utc};

use super::sql::{ensure_table, transaction, Dialect, Sql, SqlError, SqlValue};

pub const TABLE: &str = "mod_katapult_drift_findings";

fn create_table(dialect: Dialect) -> &'static [&'static str] {
    match dialect {
        Dialect::MySql => &["CREATE TABLE IF NOT EXISTS mod_katapult_drift_findings (id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, kind VARCHAR(32) NOT NULL, subject VARCHAR(96) NOT NULL, service_id INT UNSIGNED NOT NULL DEFAULT 0, vm_id VARCHAR(64) NOT NULL DEFAULT '', detail TEXT NOT NULL, first_seen BIGINT NOT NULL, last_seen BIGINT NOT NULL, UNIQUE KEY kind_subject (kind, subject)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci"],
        Dialect::Sqlite => &["CREATE TABLE IF NOT EXISTS mod_katapult_drift_findings (id INTEGER PRIMARY KEY AUTOINCREMENT, kind VARCHAR(32) NOT NULL, subject VARCHAR(96) NOT NULL, service_id INTEGER NOT NULL DEFAULT 0, vm_id VARCHAR(64) NOT NULL DEFAULT '', detail TEXT NOT NULL, first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, UNIQUE (kind, subject))"],
    }
}

/// One finding as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub id: u64,
    pub kind: String,
    /// `service:<id>` or `vm:<id>`: what the finding is about.
    pub subject: String,
    /// The WHMCS service concerned (for an orphan: the one its annotation names), or 0.
    pub service_id: u64,
    pub vm_id: String,
    pub detail: String,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
}

/// A finding as a pass sees it, before it is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub kind: &'static str,
    pub service_id: u64,
    pub vm_id: String,
    pub detail: String,
}

pub struct Findings<'a> {
    sql: &'a dyn Sql,
}

const COLUMNS: &str = "id, kind, subject, service_id, vm_id, detail, first_seen, last_seen";

impl<'a> Findings<'a> {
    pub fn open(sql: &'a dyn Sql) -> Result<Self, SqlError> {
        ensure_table(sql, TABLE, create_table(sql.dialect()))?;
        Ok(Self { sql })
    }

    /// Makes `seen` what is stored about `subject`: each kept with its first sighting (or
    /// recorded now), and what is no longer seen forgotten, in one transaction.
    pub fn replace(
        &self,
        subject: &str,
        seen: &[Seen],
        now: DateTime<Utc>,
    ) -> Result<(), SqlError> {
        transaction(self.sql, || {
            let kinds: Vec<&str> = seen.iter().map(|s| s.kind).collect();
            for stored in self.of_subject(subject)? {
                if !kinds.contains(&stored.kind.as_str()) {
                    self.forget(stored.id)?;
                }
            }
            for finding in seen {
                self.record(subject, finding, now)?;
            }
            Ok(())
        })
    }

    /// Records one finding: new, or seen again (its detail brought up to date).
    pub fn record(&self, subject: &str, seen: &Seen, now: DateTime<Utc>) -> Result<(), SqlError> {
        let changed = self.sql.execute(
            &format!("UPDATE {TABLE} SET detail = ?, service_id = ?, vm_id = ?, last_seen = ? WHERE kind = ? AND subject = ?"),
            &[seen.detail.as_str().into(), (seen.service_id as i64).into(), seen.vm_id.as_str().into(), now.timestamp().into(), seen.kind.into(), subject.into()],
        )?;
        if changed == 0 {
            self.sql.execute(
                &format!("{} INTO {TABLE} (kind, subject, service_id, vm_id, detail, first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?)", self.sql.dialect().insert_ignore()),
                &[seen.kind.into(), subject.into(), (seen.service_id as i64).into(), seen.vm_id.as_str().into(), seen.detail.as_str().into(), now.timestamp().into(), now.timestamp().into()],
            )?;
        }
        Ok(())
    }

    /// Keeps what is stored about `subject` as last seen now: a pass that could not look at it
    /// (Katapult unreachable) has no reason to forget it.
    pub fn keep(&self, subject: &str, now: DateTime<Utc>) -> Result<(), SqlError> {
        self.sql.execute(
            &format!("UPDATE {TABLE} SET last_seen = ? WHERE subject = ?"),
            &[now.timestamp().into(), subject.into()],
        )?;
        Ok(())
    }

    /// Forgets what no pass saw since `since` (a finished pass's start): the drift went away.
    pub fn forget_unseen_since(&self, since: DateTime<Utc>) -> Result<u64, SqlError> {
        self.sql.execute(
            &format!("DELETE FROM {TABLE} WHERE last_seen < ?"),
            &[since.timestamp().into()],
        )
    }

    pub fn forget(&self, id: u64) -> Result<u64, SqlError> {
        self.sql.execute(
            &format!("DELETE FROM {TABLE} WHERE id = ?"),
            &[(id as i64).into()],
        )
    }

    pub fn get(&self, id: u64) -> Result<Option<Finding>, SqlError> {
        Ok(self
            .select("WHERE id = ?", &[(id as i64).into()])?
            .into_iter()
            .next())
    }

    /// Every finding, or those of one kind; oldest first.
    pub fn list(&self, kind: Option<&str>) -> Result<Vec<Finding>, SqlError> {
        match kind {
            Some(kind) => self.select("WHERE kind = ? ORDER BY first_seen, id", &[kind.into()]),
            None => self.select("ORDER BY first_seen, id", &[]),
        }
    }

    pub fn count(&self) -> Result<u64, SqlError> {
        let rows = self
            .sql
            .query(&format!("SELECT COUNT(*) FROM {TABLE}"), &[])?;
        Ok(rows
            .first()
            .and_then(|row| row.first())
            .and_then(SqlValue::as_int)
            .unwrap_or(0) as u64)
    }

    fn of_subject(&self, subject: &str) -> Result<Vec<Finding>, SqlError> {
        self.select("WHERE subject = ?", &[subject.into()])
    }

    fn select(&self, clause: &str, params: &[SqlValue]) -> Result<Vec<Finding>, SqlError> {
        let rows = self
            .sql
            .query(&format!("SELECT {COLUMNS} FROM {TABLE} {clause}"), params)?;
        Ok(rows.into_iter().map(finding_of).collect())
    }
}

fn finding_of(row: Vec<SqlValue>) -> Finding {
    let int = |i: usize| row.get(i).and_then(SqlValue::as_int).unwrap_or(0);
    let text = |i: usize| {
        row.get(i)
            .and_then(SqlValue::as_text)
            .unwrap_or_default()
            .to_string()
    };
    let time = |i: usize| Utc.timestamp_opt(int(i), 0).single().unwrap_or_default();
    Finding {
        id: int(0) as u64,
        kind: text(1),
        subject: text(2),
        service_id: int(3) as u64,
        vm_id: text(4),
        detail: text(5),
        first_seen: time(6),
        last_seen: time(7),
    }
}

/// The subject naming a service.
pub fn service_subject(service_id: u64) -> String {
    format!("service:{service_id}")
}

/// The subject naming a VM no service owns.
pub fn vm_subject(vm_id: &str) -> String {
    format!("vm:{vm_id}")
}
