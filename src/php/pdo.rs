//! The `Sql` port over the PDO connection WHMCS already holds (`Capsule::connection()->getPdo()`).

use ext_php_rs::convert::IntoZvalDyn;
use ext_php_rs::types::{ZendCallable, ZendObject, Zval};

use super::bailout::{call_php, take_exception};
use crate::store::{Dialect, Row, Sql, SqlError, SqlValue};

const PDO_PARAM_NULL: i64 = 0;
const PDO_PARAM_INT: i64 = 1;
const PDO_PARAM_STR: i64 = 2;
const PDO_FETCH_NUM: i64 = 3;
const PDO_ATTR_DRIVER_NAME: i64 = 16;

pub struct PdoSql {
    /// WHMCS's Laravel connection: transactions go through it, so a hook that opens its own
    /// (`Capsule::connection()->transaction()`) inside ours nests as a savepoint instead of
    /// failing with "there is already an active transaction".
    connection: Zval,
    /// Holds a reference to the PDO object for as long as this lives.
    pdo: Zval,
    dialect: Dialect,
}

/// A PHP exception thrown by the last call, taken (so it does not escape) and turned into an error.
fn pending_error() -> Option<SqlError> {
    let exception = take_exception()?;
    let message = exception
        .try_call_method("getMessage", vec![])
        .ok()
        .and_then(|m| m.string())
        .unwrap_or_else(|| "unknown PDO error".into());
    Some(SqlError(message))
}

/// Calls a method; a PHP exception becomes an error, and so does a fatal error (`call_php`: PDO
/// calls run PHP code, WHMCS's Laravel connection, its events and a hook's listeners).
fn call(object: &ZendObject, method: &str, args: Vec<&dyn IntoZvalDyn>) -> Result<Zval, SqlError> {
    call_php(|| {
        let result = object
            .try_call_method(method, args)
            .map_err(|e| SqlError(format!("PDO {method}: {e}")));
        if let Some(error) = pending_error() {
            return Err(error);
        }
        result
    })
    .map_err(|stopped| SqlError(format!("PDO {method}: {stopped}")))?
}

impl PdoSql {
    /// WHMCS's own connection: `WHMCS\Database\Capsule::connection()->getPdo()`.
    pub fn from_whmcs() -> Result<Self, SqlError> {
        let connection = call_php(|| {
            ZendCallable::try_from_name("WHMCS\\Database\\Capsule::connection")
                .map_err(|_| SqlError("WHMCS's database (WHMCS\\Database\\Capsule) is not available: is this running inside WHMCS?".into()))?
                .try_call(vec![])
                .map_err(|e| pending_error().unwrap_or_else(|| SqlError(format!("Capsule::connection(): {e}"))))
        })
        .map_err(|stopped| SqlError(format!("Capsule::connection(): {stopped}")))??;
        let pdo = call(
            connection
                .object()
                .ok_or_else(|| SqlError("Capsule::connection() returned no object".into()))?,
            "getPdo",
            vec![],
        )?;
        let object = pdo
            .object()
            .ok_or_else(|| SqlError("the WHMCS connection has no PDO".into()))?;
        let driver = call(object, "getAttribute", vec![&PDO_ATTR_DRIVER_NAME])?
            .string()
            .unwrap_or_default();
        let dialect = match driver.as_str() {
            "mysql" => Dialect::MySql,
            "sqlite" => Dialect::Sqlite,
            other => {
                return Err(SqlError(format!(
                    "unsupported database driver `{other}` (MySQL/MariaDB or SQLite)"
                )))
            }
        };
        Ok(Self {
            connection,
            pdo,
            dialect,
        })
    }

    /// How many transactions Laravel counts open on WHMCS's connection.
    fn laravel_level(&self) -> Result<i64, SqlError> {
        Ok(call(self.connection(), "transactionLevel", vec![])?
            .long()
            .unwrap_or(0))
    }

    fn pdo(&self) -> &ZendObject {
        self.pdo
            .object()
            .expect("holds the PDO object it was made with")
    }

    fn connection(&self) -> &ZendObject {
        self.connection
            .object()
            .expect("holds the connection object it was made with")
    }

    /// Prepares and executes a statement with typed bound parameters.
    fn run(&self, sql: &str, params: &[SqlValue]) -> Result<Zval, SqlError> {
        let prepared = call(self.pdo(), "prepare", vec![&sql])?;
        let statement = prepared
            .object()
            .ok_or_else(|| SqlError(format!("cannot prepare: {sql}")))?;
        for (index, value) in params.iter().enumerate() {
            let position = index as i64 + 1;
            match value {
                SqlValue::Null => call(
                    statement,
                    "bindValue",
                    vec![&position, &Zval::null(), &PDO_PARAM_NULL],
                )?,
                SqlValue::Int(i) => {
                    call(statement, "bindValue", vec![&position, i, &PDO_PARAM_INT])?
                }
                SqlValue::Text(s) => call(
                    statement,
                    "bindValue",
                    vec![&position, &s.as_str(), &PDO_PARAM_STR],
                )?,
            };
        }
        if !call(statement, "execute", vec![])?.is_true() {
            return Err(SqlError(format!("the statement failed: {sql}")));
        }
        Ok(prepared)
    }
}

fn column(value: &Zval) -> SqlValue {
    if value.is_null() {
        SqlValue::Null
    } else if let Some(i) = value.long() {
        SqlValue::Int(i)
    } else {
        value
            .coerce_to_string()
            .map(SqlValue::Text)
            .unwrap_or(SqlValue::Null)
    }
}

impl Sql for PdoSql {
    fn dialect(&self) -> Dialect {
        self.dialect
    }

    fn query(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, SqlError> {
        let statement = self.run(sql, params)?;
        let rows = call(
            statement.object().expect("run returns a statement"),
            "fetchAll",
            vec![&PDO_FETCH_NUM],
        )?;
        let rows = rows
            .array()
            .ok_or_else(|| SqlError("fetchAll returned no rows array".into()))?;
        Ok(rows
            .values()
            .filter_map(Zval::array)
            .map(|row| row.values().map(column).collect())
            .collect())
    }

    fn execute(&self, sql: &str, params: &[SqlValue]) -> Result<u64, SqlError> {
        let statement = self.run(sql, params)?;
        Ok(call(
            statement.object().expect("run returns a statement"),
            "rowCount",
            vec![],
        )?
        .long()
        .unwrap_or(0)
        .max(0) as u64)
    }

    fn insert(&self, sql: &str, params: &[SqlValue]) -> Result<i64, SqlError> {
        self.run(sql, params)?;
        let id = call(self.pdo(), "lastInsertId", vec![])?;
        id.long()
            .or_else(|| id.string().and_then(|s| s.parse().ok()))
            .ok_or_else(|| SqlError(format!("the database gave no id for: {sql}")))
    }

    /// Laravel's level counts too: after a conflict the database may have ended a transaction
    /// that is still open for its owner, and a second one opened there would be a savepoint.
    fn begin(&self) -> Result<bool, SqlError> {
        if self.in_transaction()? || self.laravel_level()? > 0 {
            return Ok(false);
        }
        call(self.connection(), "beginTransaction", vec![]).map(|_| true)
    }

    /// PDO's word, which (since PHP 8) is the server's status from its last answer.
    fn in_transaction(&self) -> Result<bool, SqlError> {
        Ok(call(self.pdo(), "inTransaction", vec![])?.is_true())
    }

    fn commit(&self) -> Result<(), SqlError> {
        call(self.connection(), "commit", vec![]).map(|_| ())
    }

    /// Laravel counts its transaction levels itself, and PDO refuses to roll back what the
    /// database already ended (a deadlock, a lost certification): its level would stay open, and
    /// the connection's next transactions would be savepoints outside any transaction. So an
    /// ended transaction is opened again in PDO for Laravel's rollback to close.
    /// Nothing of the transaction stays open afterwards, whatever Laravel counted.
    fn rollback(&self) -> Result<(), SqlError> {
        if self.laravel_level()? > 0 && !self.in_transaction()? {
            call(self.pdo(), "beginTransaction", vec![])?;
        }
        let rolled_back = call(self.connection(), "rollBack", vec![]).map(|_| ());
        if self.laravel_level()? == 0 && self.in_transaction()? {
            call(self.pdo(), "rollBack", vec![])?;
        }
        rolled_back
    }
}
