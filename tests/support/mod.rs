//! Test implementations of the store's and service's ports: SQL on a real in-memory SQLite,
//! and a WHMCS host that records what the module tells it.

#![allow(dead_code)] // each test binary uses its own part of this module

pub mod cassette;
pub mod loopback_http;

use std::cell::RefCell;

use std::time::Duration;

use chrono::Utc;
use katapult::api::{ApiSettings, ApiToken};
use katapult::service::context::Context;
use katapult::service::host::{Host, HostError};
use katapult::service::settings::ModuleSettings;
use katapult::store::DataStore;
use katapult::store::{Dialect, Row, Sql, SqlError, SqlValue};
use rusqlite::types::{Value, ValueRef};
use rusqlite::Connection;

pub struct Sqlite(pub Connection);

fn to_sqlite(params: &[SqlValue]) -> Vec<Value> {
    params
        .iter()
        .map(|p| match p {
            SqlValue::Null => Value::Null,
            SqlValue::Int(i) => Value::Integer(*i),
            SqlValue::Text(s) => Value::Text(s.clone()),
        })
        .collect()
}

impl Sql for Sqlite {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn query(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, SqlError> {
        let err = |e: rusqlite::Error| SqlError(e.to_string());
        let mut statement = self.0.prepare(sql).map_err(err)?;
        let columns = statement.column_count();
        let rows = statement
            .query_map(rusqlite::params_from_iter(to_sqlite(params)), |row| {
                (0..columns)
                    .map(|i| {
                        Ok(match row.get_ref(i)? {
                            ValueRef::Null => SqlValue::Null,
                            ValueRef::Integer(n) => SqlValue::Int(n),
                            ValueRef::Real(f) => SqlValue::Text(f.to_string()),
                            ValueRef::Text(t) | ValueRef::Blob(t) => {
                                SqlValue::Text(String::from_utf8_lossy(t).into_owned())
                            }
                        })
                    })
                    .collect::<Result<Row, rusqlite::Error>>()
            })
            .map_err(err)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(err)
    }

    fn execute(&self, sql: &str, params: &[SqlValue]) -> Result<u64, SqlError> {
        self.0
            .execute(sql, rusqlite::params_from_iter(to_sqlite(params)))
            .map(|n| n as u64)
            .map_err(|e| SqlError(e.to_string()))
    }

    fn insert(&self, sql: &str, params: &[SqlValue]) -> Result<i64, SqlError> {
        self.execute(sql, params)?;
        Ok(self.0.last_insert_rowid())
    }

    fn in_transaction(&self) -> Result<bool, SqlError> {
        Ok(!self.0.is_autocommit())
    }

    fn begin(&self) -> Result<bool, SqlError> {
        if !self.0.is_autocommit() {
            return Ok(false);
        }
        self.execute("BEGIN", &[]).map(|_| true)
    }

    fn commit(&self) -> Result<(), SqlError> {
        self.execute("COMMIT", &[]).map(|_| ())
    }

    fn rollback(&self) -> Result<(), SqlError> {
        self.execute("ROLLBACK", &[]).map(|_| ())
    }
}

pub fn database() -> Sqlite {
    Sqlite(Connection::open_in_memory().unwrap())
}

/// WHMCS's tblhosting, with the columns the build sync writes.
pub fn create_tblhosting(db: &Sqlite) {
    db.execute("CREATE TABLE tblhosting (id INTEGER PRIMARY KEY, userid INTEGER NOT NULL, domain TEXT NOT NULL DEFAULT '', dedicatedip TEXT NOT NULL DEFAULT '', assignedips TEXT NOT NULL DEFAULT '', username TEXT NOT NULL DEFAULT '', password TEXT NOT NULL DEFAULT '')", &[]).unwrap();
}

/// A module function's context over the test database and host, calling the API at `api_url`
/// with the stored key (as in WHMCS).
pub fn context<'a>(db: &'a Sqlite, host: &'a MemoryHost, api_url: &str) -> Context<'a> {
    let mut api = ApiSettings::new(api_url, ApiToken::new("unset"));
    api.timeout = Duration::from_secs(5);
    Context::new(db, host, api, Utc::now())
}

/// Stores `key` as the module's API key, as the product's Other tab does.
pub fn set_api_key(db: &Sqlite, host: &MemoryHost, key: &str) {
    let store = DataStore::open(db).unwrap();
    ModuleSettings::new(&store, host)
        .set_api_key(key, Utc::now())
        .unwrap();
}

/// WHMCS as far as the module sees it: logs kept in memory, `decrypt()` of values made by
/// `whmcs_encrypt` below, a fixed installation secret.
#[derive(Default)]
pub struct MemoryHost {
    pub activity: RefCell<Vec<(String, Option<u64>)>>,
    pub module_log: RefCell<Vec<(String, String, String)>>,
    pub secret: RefCell<String>,
    pub hooks_fired: RefCell<Vec<(String, u64)>>,
    pub emails_sent: RefCell<Vec<(String, u64)>>,
}

impl MemoryHost {
    pub fn new() -> Self {
        let host = Self::default();
        *host.secret.borrow_mut() = "cc-encryption-hash-of-this-install".into();
        host
    }

    /// What `whmcs_decrypt` returns, for assertions.
    pub fn whmcs_decrypt_for_test(&self, value: &str) -> String {
        Host::whmcs_decrypt(self, value).unwrap()
    }

    /// Stands in for WHMCS's `encrypt()` (reversible, not secure: only `whmcs_decrypt` reads it).
    pub fn whmcs_encrypt(value: &str) -> String {
        format!(
            "whmcs-encrypted:{}",
            value.chars().rev().collect::<String>()
        )
    }
}

impl Host for MemoryHost {
    fn log_activity(&self, message: &str, client_id: Option<u64>) {
        self.activity
            .borrow_mut()
            .push((message.to_string(), client_id));
    }

    fn log_module_call(&self, action: &str, request: &str, response: &str, scrub: &[&str]) {
        let mask = |text: &str| {
            scrub
                .iter()
                .filter(|s| !s.is_empty())
                .fold(text.to_string(), |t, s| t.replace(s, &"*".repeat(s.len())))
        };
        self.module_log
            .borrow_mut()
            .push((action.to_string(), mask(request), mask(response)));
    }

    fn fire_hook(&self, name: &str, service_id: u64) -> Result<(), HostError> {
        self.hooks_fired
            .borrow_mut()
            .push((name.to_string(), service_id));
        Ok(())
    }

    fn send_email(&self, template: &str, service_id: u64) -> Result<(), HostError> {
        self.emails_sent
            .borrow_mut()
            .push((template.to_string(), service_id));
        Ok(())
    }

    fn whmcs_encrypt(&self, value: &str) -> Result<String, HostError> {
        Ok(Self::whmcs_encrypt(value))
    }

    fn whmcs_decrypt(&self, value: &str) -> Result<String, HostError> {
        // Like WHMCS: a value it cannot decrypt (another secret, not a ciphertext) comes back as
        // garbage of about its length, never as an error or an empty string.
        Ok(match value.strip_prefix("whmcs-encrypted:") {
            Some(v) => v.chars().rev().collect(),
            None => value.bytes().map(|b| char::from(b ^ 0x9c)).collect(),
        })
    }

    fn installation_secret(&self) -> Result<String, HostError> {
        Ok(self.secret.borrow().clone())
    }
}
