//! Named locks in the database, so that work two PHP processes (or two web nodes) could do at once
//! is done once: a cron run meeting the next must not persist a VM twice or fire a hook twice.
//! The primary key makes a claim atomic, and a claim runs for its time-to-live from the moment it
//! is written (a run that started long ago must not write claims that have already run out).
//!
//! A claim names its holder: its process id, the process-id namespace it runs in (the kernel's
//! boot and the namespace's inode, so two containers that share a host name are told apart), and
//! a random id of the `Locks` that wrote it. A claim left by a process of this same namespace that
//! no longer runs (a SIGKILL, the OOM killer) is taken over at once; any other waits for expiry.

use std::sync::OnceLock;

use chrono::{DateTime, Duration, Utc};

use super::sql::{ensure_table, transaction, Dialect, Sql, SqlError, SqlValue};

pub const TABLE: &str = "mod_katapult_locks";

/// For `while_claimed`: one try.
pub const ZERO_WAIT: std::time::Duration = std::time::Duration::ZERO;

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

/// The owner column: `<pid>@<pid namespace>#<run>`, cut to the column's 64 characters.
pub fn owner_label(pid: u32, run: &str) -> String {
    let mut label = format!("{pid}@{}#{run}", this_pid_namespace());
    while label.len() > 64 {
        label.pop();
    }
    label
}

/// This process's pid namespace as `<boot id>.<namespace inode>`: a pid means the same process
/// only within one namespace of one boot of one kernel. Empty where either cannot be read (then
/// claims wait for their expiry).
fn this_pid_namespace() -> &'static str {
    static NAME: OnceLock<String> = OnceLock::new();
    NAME.get_or_init(|| {
        let boot = std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
            .map(|id| id.trim().replace('-', ""))
            .unwrap_or_default();
        // The link reads `pid:[4026531836]`.
        let namespace = std::fs::read_link("/proc/self/ns/pid")
            .ok()
            .and_then(|link| {
                let link = link.to_string_lossy().into_owned();
                Some(link.strip_prefix("pid:[")?.strip_suffix(']')?.to_string())
            })
            .unwrap_or_default();
        if boot.is_empty() || namespace.is_empty() {
            return String::new();
        }
        format!("{}.{namespace}", &boot[..boot.len().min(16)])
    })
}

/// True when `owner` names a process of this pid namespace that no longer runs.
fn died_here(owner: &str) -> bool {
    let Some((pid, rest)) = owner.split_once('@') else {
        return false;
    };
    let Some((namespace, _run)) = rest.split_once('#') else {
        return false;
    };
    let Ok(pid) = pid.parse::<u32>() else {
        return false;
    };
    !namespace.is_empty()
        && namespace == this_pid_namespace()
        && pid != std::process::id()
        && !std::path::Path::new(&format!("/proc/{pid}")).exists()
}

impl<'a> Locks<'a> {
    /// Locks held by this process for `run` (a short name for what it does), under an id of their
    /// own: two `Locks` never release each other's claims.
    pub fn open(sql: &'a dyn Sql, run: &str) -> Result<Self, SqlError> {
        ensure_table(sql, TABLE, &[create_table(sql.dialect())])?;
        Ok(Self {
            sql,
            owner: owner_label(
                std::process::id(),
                &format!("{:08x}.{run}", rand::random::<u32>()),
            ),
        })
    }

    /// Takes the lock for `ttl` from now, or returns false when another owner holds it unexpired.
    pub fn try_claim(&self, name: &str, ttl: Duration) -> Result<bool, SqlError> {
        self.try_claim_at(name, Utc::now(), ttl)
    }

    /// `try_claim`, tried again every 50 ms for up to `wait`: for work another process is doing
    /// briefly, which this one must follow rather than skip.
    pub fn claim_within(
        &self,
        name: &str,
        ttl: Duration,
        wait: std::time::Duration,
    ) -> Result<bool, SqlError> {
        let deadline = std::time::Instant::now() + wait;
        loop {
            if self.try_claim(name, ttl)? {
                return Ok(true);
            }
            if std::time::Instant::now() >= deadline {
                return Ok(false);
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }

    /// Runs `work` holding the claim `name` when it is won within `wait` (one try when `wait` is
    /// zero), and lets go of it however the work ends; the work's error comes before the release's.
    /// None, and `work` not run, when another owner held it all that time.
    pub fn while_claimed<T, E: From<SqlError>>(
        &self,
        name: &str,
        ttl: Duration,
        wait: std::time::Duration,
        work: impl FnOnce() -> Result<T, E>,
    ) -> Result<Option<T>, E> {
        if !self.claim_within(name, ttl, wait)? {
            return Ok(None);
        }
        let outcome = work();
        let released = self.release(name);
        let value = outcome?;
        released?;
        Ok(Some(value))
    }

    /// `try_claim` as if it were `now`. In one transaction: a claim is won when its commit is
    /// (on Galera, two nodes' `INSERT IGNORE` of one name both succeed until one fails
    /// certification, and then the claim is tried again and finds the winner's row).
    pub fn try_claim_at(
        &self,
        name: &str,
        now: DateTime<Utc>,
        ttl: Duration,
    ) -> Result<bool, SqlError> {
        transaction(self.sql, || self.claim_at(name, now, ttl))
    }

    fn claim_at(&self, name: &str, now: DateTime<Utc>, ttl: Duration) -> Result<bool, SqlError> {
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
        transaction(self.sql, || {
            self.sql.execute(
                &format!("DELETE FROM {TABLE} WHERE name = ? AND owner = ?"),
                &[name.into(), self.owner.as_str().into()],
            )
        })
        .map(|_| ())
    }
}

/// A value made once for every process sharing the database (a secret, an id), once the caller
/// found none: the process that wins the claim `name` reads again (`read` must ask the database,
/// not a copy read earlier) and, still finding none, makes it (`make` writes it), while the
/// others wait for it, reading again, for up to two seconds. None when another process held the
/// claim all that time and the value did not appear.
pub fn made_once<T, E: From<SqlError>>(
    sql: &dyn Sql,
    name: &str,
    read: impl Fn() -> Result<Option<T>, E>,
    mut make: impl FnMut() -> Result<T, E>,
) -> Result<Option<T>, E> {
    let locks = Locks::open(sql, name)?;
    for _ in 0..40 {
        let made =
            locks.while_claimed(name, Duration::minutes(1), ZERO_WAIT, || match read()? {
                Some(value) => Ok(value),
                None => make(),
            })?;
        if made.is_some() {
            return Ok(made);
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
        if let Some(value) = read()? {
            return Ok(Some(value));
        }
    }
    Ok(None)
}
