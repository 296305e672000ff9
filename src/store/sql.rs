//! The `Sql` port: how the store reaches the database. `php/` implements it over the PDO WHMCS
//! already holds; tests implement it over SQLite. Prepared statements only: values are always
//! parameters, never text in the SQL.

/// A parameter or a column value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SqlValue {
    Null,
    Int(i64),
    Text(String),
}

impl SqlValue {
    pub fn as_text(&self) -> Option<&str> {
        match self {
            SqlValue::Text(s) => Some(s),
            _ => None,
        }
    }

    /// The text, taken out of the value (a row's text read once needs no copy).
    pub fn into_text(self) -> Option<String> {
        match self {
            SqlValue::Text(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_int(&self) -> Option<i64> {
        match self {
            SqlValue::Int(i) => Some(*i),
            SqlValue::Text(s) => s.parse().ok(),
            SqlValue::Null => None,
        }
    }
}

impl From<&str> for SqlValue {
    fn from(value: &str) -> Self {
        SqlValue::Text(value.to_string())
    }
}

impl From<String> for SqlValue {
    fn from(value: String) -> Self {
        SqlValue::Text(value)
    }
}

impl From<i64> for SqlValue {
    fn from(value: i64) -> Self {
        SqlValue::Int(value)
    }
}

impl From<Option<&str>> for SqlValue {
    fn from(value: Option<&str>) -> Self {
        value.map_or(SqlValue::Null, SqlValue::from)
    }
}

/// One result row: the selected columns in order.
pub type Row = Vec<SqlValue>;

/// The SQL flavours WHMCS runs on (MySQL/MariaDB) and the tests and demo use (SQLite).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    MySql,
    Sqlite,
}

impl Dialect {
    /// The INSERT that skips a row whose key is taken (a claim, a used nonce) instead of failing.
    pub fn insert_ignore(&self) -> &'static str {
        match self {
            Dialect::MySql => "INSERT IGNORE",
            Dialect::Sqlite => "INSERT OR IGNORE",
        }
    }
}

/// A database failure, with the driver's message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("database error: {0}")]
pub struct SqlError(pub String);

impl SqlError {
    /// A deadlock or lock wait the database asks to retry (InnoDB's SQLSTATE 40001 and its lock
    /// wait time-out 1205; SQLite's busy database), or a Galera node's "not now": a
    /// certification failure at commit comes as the same 1213 deadlock (SQLSTATE 40001), and a
    /// node that is joining or has lost its cluster answers 1047 until it is synced. The work,
    /// done again, may well succeed. The signs are whole phrases, not bare numbers a value
    /// quoted in the message could hold.
    pub fn is_transient(&self) -> bool {
        [
            "SQLSTATE[40001]",
            "1205 Lock wait timeout",
            "database is locked",
            "1047 WSREP has not yet prepared node",
            TRANSACTION_ENDED,
        ]
        .iter()
        .any(|sign| self.0.contains(sign))
    }
}

/// What `transaction` says of a transaction the database ended before its commit.
const TRANSACTION_ENDED: &str = "the database ended the transaction before its commit";

pub trait Sql {
    fn dialect(&self) -> Dialect;
    fn query(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, SqlError>;
    /// Runs a statement; returns the number of rows it changed.
    fn execute(&self, sql: &str, params: &[SqlValue]) -> Result<u64, SqlError>;
    /// Runs an INSERT; returns the id the database gave the new row.
    fn insert(&self, sql: &str, params: &[SqlValue]) -> Result<i64, SqlError>;
    /// Opens a transaction; false when one is already open (then the outer one decides).
    fn begin(&self) -> Result<bool, SqlError>;
    /// Whether a transaction is open on the connection, as the database last said.
    fn in_transaction(&self) -> Result<bool, SqlError>;
    fn commit(&self) -> Result<(), SqlError>;
    fn rollback(&self) -> Result<(), SqlError>;
}

/// Creates one of the module's tables unless it is there. It looks first: in MySQL a CREATE, even
/// one that changes nothing, commits whatever transaction the connection has open, and the module
/// runs inside transactions (its own, a provider hook's, WHMCS's).
pub fn ensure_table(sql: &dyn Sql, table: &str, create: &[&str]) -> Result<(), SqlError> {
    if sql
        .query(&format!("SELECT 1 FROM {table} WHERE 1 = 0"), &[])
        .is_ok()
    {
        return Ok(());
    }
    for statement in create {
        sql.execute(statement, &[])?;
    }
    Ok(())
}

/// An error that may be the database's "try again" (see `SqlError::is_transient`).
pub trait MaybeTransient {
    fn is_transient(&self) -> bool;
}

impl MaybeTransient for SqlError {
    fn is_transient(&self) -> bool {
        SqlError::is_transient(self)
    }
}

/// How often a transaction that meets a transient conflict is run in all.
const TRANSACTION_ATTEMPTS: u32 = 4;

thread_local! {
    /// Set when a conflict was met inside a transaction this thread has open: by a nested
    /// `transaction`, whose error goes to code that may swallow it (WHMCS's mailer), or through
    /// `conflict_met` (a provider's hook whose error is logged). The database ended the
    /// transaction then, and may still say one is open (Galera, after a brute-force abort).
    static CONFLICT_MET: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

thread_local! {
    /// Set while a transaction `transaction` opened is open on this thread.
    static OWNED_OPEN: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Clears `OWNED_OPEN` however the work ends, a panic included.
struct OwnedOpen;

impl OwnedOpen {
    fn mark() -> Self {
        OWNED_OPEN.set(true);
        OwnedOpen
    }
}

impl Drop for OwnedOpen {
    fn drop(&mut self) {
        OWNED_OPEN.set(false);
    }
}

/// What an `Sql` asks before each statement (and before opening a transaction): inside a
/// transaction `transaction` opened, nothing may run once a conflict ended it (the database
/// rolled it back under code that swallowed the error). It would run outside the transaction,
/// committed at once, and the work run again whole would not find it still to do: a due mark
/// deleted for good while the hook's row written before it was rolled back.
pub fn refuse_after_conflict(sql: &dyn Sql) -> Result<(), SqlError> {
    if OWNED_OPEN.get() && (CONFLICT_MET.get() || !sql.in_transaction()?) {
        return Err(SqlError(TRANSACTION_ENDED.into()));
    }
    Ok(())
}

/// Marks the open transaction as ended by a conflict when `error` is one, for the transaction's
/// owner to run it again whole however the error was handled on the way.
pub fn conflict_met(error: &impl MaybeTransient) {
    if error.is_transient() {
        CONFLICT_MET.set(true);
    }
}

/// Runs `work`, statements each complete by itself, without a transaction of its own: cheaper
/// than `transaction` by what opening and committing one costs, for the writes a client-area
/// page makes. A deadlock or lost certification fails only the statement that met it, which
/// changed nothing, and `work` runs again whole, a few times: each of its statements must decide
/// on what is there when it runs (a conditional UPDATE, an `INSERT IGNORE`). Inside a
/// transaction someone else opened, `work` is part of it and the error goes to them, as in
/// `transaction`.
pub fn autocommit<T, E: From<SqlError> + MaybeTransient>(
    sql: &dyn Sql,
    mut work: impl FnMut() -> Result<T, E>,
) -> Result<T, E> {
    if OWNED_OPEN.get() || sql.in_transaction()? {
        return work().inspect_err(|error| conflict_met(error));
    }
    let mut attempt = 1;
    loop {
        match work() {
            Err(error) if error.is_transient() && attempt < TRANSACTION_ATTEMPTS => {
                std::thread::sleep(std::time::Duration::from_millis(25 << attempt));
                attempt += 1;
            }
            outcome => return outcome,
        }
    }
}

/// Runs `work` in a transaction: all of its changes land, or none do. When this call opened the
/// transaction and it meets a deadlock or a busy database (in the work or at commit), everything
/// is rolled back and `work` runs again whole, a few times, after a short pause: its writes,
/// those of the hooks it runs included, then happen once. Inside a transaction someone else
/// opened, the error goes to them: only the outermost transaction can be run again.
///
/// On a multi-primary Galera cluster a row lock or an `INSERT IGNORE` holds only on its own node
/// until commit, where the loser of a conflict fails certification: every write the module
/// makes goes through here (or, statements complete by themselves, through `autocommit`), so a
/// lost certification is run again and decides on what the winner wrote. A conflict can also end the transaction under code
/// that swallows the error (a provider's hook, WHMCS's mailer), and what follows then runs
/// outside it: a transaction found ended before its commit is run again whole too, never
/// committed in pieces.
pub fn transaction<T, E: From<SqlError> + MaybeTransient>(
    sql: &dyn Sql,
    mut work: impl FnMut() -> Result<T, E>,
) -> Result<T, E> {
    let mut attempt = 1;
    loop {
        let opened = sql.begin()?;
        if opened {
            CONFLICT_MET.set(false);
        }
        let owned = opened.then(OwnedOpen::mark);
        let outcome = work().and_then(|value| {
            if opened {
                if CONFLICT_MET.take() || !sql.in_transaction()? {
                    return Err(SqlError(TRANSACTION_ENDED.into()).into());
                }
                sql.commit()?;
            }
            Ok(value)
        });
        drop(owned);
        match outcome {
            Ok(value) => return Ok(value),
            Err(error) => {
                if !opened {
                    conflict_met(&error);
                }
                if opened {
                    // The work's error is the one worth reporting; a failed rollback ends the
                    // transaction anyway when the connection drops it.
                    let _ = sql.rollback();
                }
                if !(opened && error.is_transient() && attempt < TRANSACTION_ATTEMPTS) {
                    return Err(error);
                }
                std::thread::sleep(std::time::Duration::from_millis(25 << attempt));
                attempt += 1;
            }
        }
    }
}
