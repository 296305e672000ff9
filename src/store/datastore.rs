//! The key/value datastore, in the PHP module's own table and format.
//!
//! Table `mod_salmon_data_store_items` (grizzlyware/salmon): `rel_type` + `rel_id` name the owner
//! (`module_setting`, `client`, `service`), `key` the item, `value` is PHP-`serialize()`d, and
//! `value_index` an optional searchable copy. A provider switching from the PHP module keeps every
//! row; we write the same forms back (timestamps as `Carbon\Carbon` objects), so the PHP module
//! could read ours too. There is no unique key on (rel_type, rel_id, key): writes read first, in a
//! transaction, and update every row found.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeDelta, TimeZone, Timelike, Utc};

use super::php_value::{DecodeError, PhpValue};
use super::sql::{ensure_table, transaction, Dialect, Sql, SqlError, SqlValue};

pub const TABLE: &str = "mod_salmon_data_store_items";

/// Who an item belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// Module-wide settings. The PHP module wrote rel_id `'katapult'` into the integer column,
    /// which MySQL stores as 0 (and SQLite keeps as text): both are read, 0 is written.
    Module,
    /// A WHMCS client (`tblclients.id`).
    Client(u64),
    /// A WHMCS service (`tblhosting.id`).
    Service(u64),
}

impl Owner {
    pub fn rel_type(&self) -> &'static str {
        match self {
            Owner::Module => "module_setting",
            Owner::Client(_) => "client",
            Owner::Service(_) => "service",
        }
    }

    pub(crate) fn rel_id(&self) -> i64 {
        match self {
            Owner::Module => 0,
            Owner::Client(id) | Owner::Service(id) => *id as i64,
        }
    }

    /// The WHERE clause naming this owner's rows, and its parameters.
    pub(crate) fn condition(&self) -> (&'static str, Vec<SqlValue>) {
        match self {
            Owner::Module => (
                "rel_type = ? AND (rel_id = ? OR rel_id = ?)",
                vec![self.rel_type().into(), 0.into(), "katapult".into()],
            ),
            _ => (
                "rel_type = ? AND rel_id = ?",
                vec![self.rel_type().into(), self.rel_id().into()],
            ),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Sql(#[from] SqlError),
    #[error("the stored value of `{key}` cannot be read: {reason}")]
    Corrupt { key: String, reason: String },
}

impl super::sql::MaybeTransient for StoreError {
    fn is_transient(&self) -> bool {
        matches!(self, StoreError::Sql(error) if error.is_transient())
    }
}

impl StoreError {
    fn corrupt(key: &str, reason: impl ToString) -> Self {
        StoreError::Corrupt {
            key: key.into(),
            reason: reason.to_string(),
        }
    }
}

/// Every item of some owners, read at once (with other reads of a page, in one statement), to
/// serve the reads of those owners for the rest of one module call. The first write through any
/// store sharing it ends that: reads go to the database again.
#[derive(Debug, Default)]
pub struct Preloaded {
    owners: Vec<Owner>,
    /// (owner, key) => the newest row's serialized value.
    values: HashMap<(&'static str, i64, String), String>,
    written: AtomicBool,
}

impl Preloaded {
    /// `rows` are (owner, key, serialized value), oldest first; they cover every item of `owners`.
    pub fn new(
        owners: Vec<Owner>,
        rows: impl IntoIterator<Item = (Owner, String, String)>,
    ) -> Self {
        let values = rows
            .into_iter()
            .map(|(owner, key, value)| ((owner.rel_type(), owner.rel_id(), key), value))
            .collect();
        Self {
            owners,
            values,
            written: AtomicBool::new(false),
        }
    }

    /// Some(the value, if any) when this holds the owner's items; None to ask the database.
    fn value(&self, owner: Owner, key: &str) -> Option<Option<&String>> {
        if self.written.load(Ordering::Relaxed) || !self.owners.contains(&owner) {
            return None;
        }
        Some(
            self.values
                .get(&(owner.rel_type(), owner.rel_id(), key.to_string())),
        )
    }
}

/// The datastore over one database connection.
pub struct DataStore<'a> {
    sql: &'a dyn Sql,
    preloaded: Option<Arc<Preloaded>>,
}

impl<'a> DataStore<'a> {
    /// The connection it reads and writes through.
    pub fn sql(&self) -> &'a dyn Sql {
        self.sql
    }

    /// Opens the store, creating its table when missing (never altering or dropping one).
    pub fn open(sql: &'a dyn Sql) -> Result<Self, StoreError> {
        ensure_table(sql, TABLE, create_table(sql.dialect()))?;
        Ok(Self::checked(sql))
    }

    /// The store over a connection whose table `open` already made sure of.
    pub fn checked(sql: &'a dyn Sql) -> Self {
        Self {
            sql,
            preloaded: None,
        }
    }

    /// The store, answering reads of the owners `preloaded` holds from it.
    pub fn with_preloaded(sql: &'a dyn Sql, preloaded: Arc<Preloaded>) -> Self {
        Self {
            sql,
            preloaded: Some(preloaded),
        }
    }

    fn preloaded(&self, owner: Owner, key: &str) -> Option<Option<String>> {
        let value = self.preloaded.as_ref()?.value(owner, key)?;
        Some(value.cloned())
    }

    /// A write: what was preloaded may no longer be what is stored.
    fn writing(&self) {
        if let Some(preloaded) = &self.preloaded {
            preloaded.written.store(true, Ordering::Relaxed);
        }
    }

    /// The raw serialized value, newest row first when the PHP module left duplicates.
    fn raw(&self, owner: Owner, key: &str) -> Result<Option<String>, StoreError> {
        if let Some(value) = self.preloaded(owner, key) {
            return Ok(value);
        }
        let (condition, mut params) = owner.condition();
        params.push(key.into());
        let sql = format!(
            "SELECT value FROM {TABLE} WHERE {condition} AND {} = ? ORDER BY id DESC LIMIT 1",
            quote_key(self.sql.dialect())
        );
        let rows = self.sql.query(&sql, &params)?;
        Ok(rows
            .into_iter()
            .next()
            .and_then(|row| row.into_iter().next())
            .and_then(|v| v.as_text().map(str::to_string)))
    }

    pub fn get(&self, owner: Owner, key: &str) -> Result<Option<PhpValue>, StoreError> {
        match self.raw(owner, key)? {
            None => Ok(None),
            Some(text) => PhpValue::unserialize(&text)
                .map(Some)
                .map_err(|e: DecodeError| StoreError::corrupt(key, e)),
        }
    }

    /// A text item (ids, permalinks): strings, and integers as text.
    pub fn get_text(&self, owner: Owner, key: &str) -> Result<Option<String>, StoreError> {
        text_item(key, self.get(owner, key)?)
    }

    /// A point in time, as the PHP module stored it (a `Carbon\Carbon`) or as a Unix time.
    pub fn get_time(&self, owner: Owner, key: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
        time_item(key, self.get(owner, key)?)
    }

    /// Several items of one owner in one query, in the order of `keys` (the newest row of each,
    /// as `get`). Read with `text_item` and `time_item`.
    pub fn get_many<const N: usize>(
        &self,
        owner: Owner,
        keys: [&str; N],
    ) -> Result<[Option<PhpValue>; N], StoreError> {
        decode_items(keys, &self.get_many_raw(owner, keys)?)
    }

    /// `get_many`'s items as stored (PHP-serialised), for a caller that keeps what it made of
    /// them while they stay the same.
    pub fn get_many_raw<const N: usize>(
        &self,
        owner: Owner,
        keys: [&str; N],
    ) -> Result<[Option<String>; N], StoreError> {
        let mut items: [Option<String>; N] = std::array::from_fn(|_| None);
        // The page's statement read them (`Preloaded`): no query.
        let preloaded = keys
            .iter()
            .map(|key| self.preloaded(owner, key))
            .collect::<Option<Vec<_>>>();
        if let Some(preloaded) = preloaded {
            for (item, value) in items.iter_mut().zip(preloaded) {
                *item = value;
            }
            return Ok(items);
        }
        let (condition, mut params) = owner.condition();
        params.extend(keys.iter().map(|key| SqlValue::from(*key)));
        let key_column = quote_key(self.sql.dialect());
        let placeholders = vec!["?"; N].join(", ");
        let sql = format!(
            "SELECT {key_column}, value FROM {TABLE} WHERE {condition} AND {key_column} IN ({placeholders}) ORDER BY id"
        );
        // Oldest first: the newest row of a key the PHP module left twice is the one kept.
        for row in self.sql.query(&sql, &params)? {
            let (Some(key), Some(text)) = (row[0].as_text(), row[1].as_text()) else {
                continue;
            };
            if let Some(index) = keys.iter().position(|k| *k == key) {
                items[index] = Some(text.to_string());
            }
        }
        Ok(items)
    }

    /// Sets an item: updates the owner's rows for this key, or inserts one.
    pub fn set(
        &self,
        owner: Owner,
        key: &str,
        value: &PhpValue,
        value_index: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let serialized = value.serialize();
        let stamp = now.format("%Y-%m-%d %H:%M:%S").to_string();
        let key_column = quote_key(self.sql.dialect());
        self.writing();
        transaction(self.sql, || {
            let (condition, mut params) = owner.condition();
            let mut update = vec![
                SqlValue::from(serialized.as_str()),
                value_index.into(),
                stamp.as_str().into(),
            ];
            params.push(key.into());
            update.extend(params);
            let sql = format!("UPDATE {TABLE} SET value = ?, value_index = ?, updated_at = ? WHERE {condition} AND {key_column} = ?");
            if self.sql.execute(&sql, &update)? == 0 && !self.exists(owner, key)? {
                let sql = format!("INSERT INTO {TABLE} (rel_type, rel_id, {key_column}, value, value_index, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)");
                let row = [
                    owner.rel_type().into(),
                    owner.rel_id().into(),
                    key.into(),
                    serialized.as_str().into(),
                    value_index.into(),
                    stamp.as_str().into(),
                    stamp.as_str().into(),
                ];
                self.sql.execute(&sql, &row)?;
            }
            Ok(())
        })
    }

    pub fn set_text(
        &self,
        owner: Owner,
        key: &str,
        value: &str,
        value_index: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.set(
            owner,
            key,
            &PhpValue::String(value.into()),
            value_index,
            now,
        )
    }

    /// Stores a record of this module's own (a pass under way, a last run) as JSON text.
    pub fn set_json<T: serde::Serialize>(
        &self,
        owner: Owner,
        key: &str,
        value: &T,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let text = serde_json::to_string(value).map_err(|e| StoreError::corrupt(key, e))?;
        self.set_text(owner, key, &text, None, now)
    }

    /// A record `set_json` stored.
    pub fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        owner: Owner,
        key: &str,
    ) -> Result<Option<T>, StoreError> {
        self.get_text(owner, key)?
            .map(|text| serde_json::from_str(&text).map_err(|e| StoreError::corrupt(key, e)))
            .transpose()
    }

    /// Stores a time as a `Carbon\Carbon` in UTC, the form the PHP module reads.
    pub fn set_time(
        &self,
        owner: Owner,
        key: &str,
        time: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.set(owner, key, &carbon(time), None, now)
    }

    /// MySQL reports 0 changed rows for an UPDATE that writes the same value: look before inserting.
    fn exists(&self, owner: Owner, key: &str) -> Result<bool, StoreError> {
        let (condition, mut params) = owner.condition();
        params.push(key.into());
        let sql = format!(
            "SELECT 1 FROM {TABLE} WHERE {condition} AND {} = ? LIMIT 1",
            quote_key(self.sql.dialect())
        );
        Ok(!self.sql.query(&sql, &params)?.is_empty())
    }

    pub fn delete(&self, owner: Owner, key: &str) -> Result<u64, StoreError> {
        let (condition, mut params) = owner.condition();
        params.push(key.into());
        let sql = format!(
            "DELETE FROM {TABLE} WHERE {condition} AND {} = ?",
            quote_key(self.sql.dialect())
        );
        self.writing();
        Ok(transaction(self.sql, || self.sql.execute(&sql, &params))?)
    }

    /// Every item of the owner (a terminated service's links).
    pub fn delete_all(&self, owner: Owner) -> Result<u64, StoreError> {
        let (condition, params) = owner.condition();
        self.writing();
        let sql = format!("DELETE FROM {TABLE} WHERE {condition}");
        Ok(transaction(self.sql, || self.sql.execute(&sql, &params))?)
    }

    /// The ids of the owners of a kind that hold `key` (e.g. every service with a build id).
    pub fn owners_with(&self, rel_type: &str, key: &str) -> Result<Vec<u64>, StoreError> {
        let sql = format!(
            "SELECT DISTINCT rel_id FROM {TABLE} WHERE rel_type = ? AND {} = ? ORDER BY rel_id",
            quote_key(self.sql.dialect())
        );
        let rows = self.sql.query(&sql, &[rel_type.into(), key.into()])?;
        Ok(rows
            .iter()
            .filter_map(|row| row.first()?.as_int())
            .filter_map(|id| u64::try_from(id).ok())
            .collect())
    }

    /// The owner of a kind whose `key` holds `index` as its searchable copy (the service linked
    /// to a VM id), if any.
    pub fn owner_with_index(
        &self,
        rel_type: &str,
        key: &str,
        index: &str,
    ) -> Result<Option<u64>, StoreError> {
        let sql = format!(
            "SELECT rel_id FROM {TABLE} WHERE rel_type = ? AND {} = ? AND value_index = ? ORDER BY rel_id",
            quote_key(self.sql.dialect())
        );
        let rows = self
            .sql
            .query(&sql, &[rel_type.into(), key.into(), index.into()])?;
        Ok(rows
            .iter()
            .filter_map(|row| row.first()?.as_int())
            .find_map(|id| u64::try_from(id).ok()))
    }
}

/// A text item's value (ids, permalinks): strings, and integers as text.
pub fn text_item(key: &str, value: Option<PhpValue>) -> Result<Option<String>, StoreError> {
    match value {
        None | Some(PhpValue::Null) => Ok(None),
        Some(value) => value
            .as_text()
            .filter(|t| !t.is_empty())
            .map(Some)
            .ok_or_else(|| StoreError::corrupt(key, "not a string")),
    }
}

/// The values of `keys`' items from their stored (PHP-serialised) text, as `get_many_raw` gives it.
pub fn decode_items<const N: usize>(
    keys: [&str; N],
    stored: &[Option<String>; N],
) -> Result<[Option<PhpValue>; N], StoreError> {
    let mut items: [Option<PhpValue>; N] = std::array::from_fn(|_| None);
    for ((item, text), key) in items.iter_mut().zip(stored).zip(keys) {
        if let Some(text) = text {
            *item = Some(PhpValue::unserialize(text).map_err(|e| StoreError::corrupt(key, e))?);
        }
    }
    Ok(items)
}

/// A time item's value: a `Carbon\Carbon`, as the PHP module stored it, or a Unix time.
pub fn time_item(key: &str, value: Option<PhpValue>) -> Result<Option<DateTime<Utc>>, StoreError> {
    match value {
        None | Some(PhpValue::Null) => Ok(None),
        Some(PhpValue::Int(seconds)) => Utc
            .timestamp_opt(seconds, 0)
            .single()
            .map(Some)
            .ok_or_else(|| StoreError::corrupt(key, "time out of range")),
        Some(value) => carbon_time(&value)
            .map(Some)
            .map_err(|reason| StoreError::corrupt(key, reason)),
    }
}

/// `key` is a reserved word in MySQL.
pub(crate) fn quote_key(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::MySql => "`key`",
        Dialect::Sqlite => "\"key\"",
    }
}

/// The table as grizzlyware/salmon's Laravel migration makes it (same columns, types, indexes).
fn create_table(dialect: Dialect) -> &'static [&'static str] {
    match dialect {
        Dialect::MySql => &["CREATE TABLE IF NOT EXISTS mod_salmon_data_store_items (
            id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
            rel_type VARCHAR(255) NOT NULL,
            rel_id BIGINT UNSIGNED NOT NULL,
            `key` VARCHAR(255) NOT NULL,
            value LONGTEXT NOT NULL,
            value_index VARCHAR(255) NULL,
            created_at TIMESTAMP NULL,
            updated_at TIMESTAMP NULL,
            INDEX mod_salmon_data_store_items_rel_type_index (rel_type),
            INDEX mod_salmon_data_store_items_rel_id_index (rel_id),
            INDEX mod_salmon_data_store_items_key_index (`key`),
            INDEX mod_salmon_data_store_items_value_index_index (value_index)
        ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci"],
        Dialect::Sqlite => &[
            "CREATE TABLE IF NOT EXISTS mod_salmon_data_store_items (
                id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
                rel_type VARCHAR(255) NOT NULL,
                rel_id INTEGER NOT NULL,
                \"key\" VARCHAR(255) NOT NULL,
                value TEXT NOT NULL,
                value_index VARCHAR(255) NULL,
                created_at DATETIME NULL,
                updated_at DATETIME NULL
            )",
            "CREATE INDEX IF NOT EXISTS mod_salmon_data_store_items_rel_type_index ON mod_salmon_data_store_items (rel_type)",
            "CREATE INDEX IF NOT EXISTS mod_salmon_data_store_items_rel_id_index ON mod_salmon_data_store_items (rel_id)",
            "CREATE INDEX IF NOT EXISTS mod_salmon_data_store_items_key_index ON mod_salmon_data_store_items (\"key\")",
            "CREATE INDEX IF NOT EXISTS mod_salmon_data_store_items_value_index_index ON mod_salmon_data_store_items (value_index)",
        ],
    }
}

/// A `Carbon\Carbon` as PHP serializes it, in UTC.
pub fn carbon(time: DateTime<Utc>) -> PhpValue {
    PhpValue::Object {
        class: "Carbon\\Carbon".into(),
        properties: vec![
            (
                "date".into(),
                PhpValue::String(time.format("%Y-%m-%d %H:%M:%S%.6f").to_string()),
            ),
            ("timezone_type".into(), PhpValue::Int(3)),
            ("timezone".into(), PhpValue::String("UTC".into())),
        ],
    }
}

/// The instant a serialized `Carbon\Carbon` (or `DateTime`) names: its `date` is wall time in
/// its `timezone`, which is an offset (type 1), an abbreviation (type 2) or a zone name (type 3).
fn carbon_time(value: &PhpValue) -> Result<DateTime<Utc>, String> {
    let text = |name: &str| {
        value
            .property(name)
            .and_then(PhpValue::as_text)
            .ok_or_else(|| format!("no `{name}` in the stored time"))
    };
    let date = text("date")?;
    let zone = text("timezone")?;
    let mut wall = NaiveDateTime::parse_from_str(&date, "%Y-%m-%d %H:%M:%S%.f")
        .map_err(|e| format!("bad date `{date}`: {e}"))?;
    // A 60th second is the next minute's first, as PHP reads it (chrono would keep it as a leap
    // second, an instant that is written back as another).
    if wall.nanosecond() >= 1_000_000_000 {
        wall = wall
            .with_nanosecond(wall.nanosecond() - 1_000_000_000)
            .and_then(|w| w.checked_add_signed(TimeDelta::seconds(1)))
            .ok_or_else(|| format!("bad date `{date}`"))?;
    }
    if let Ok(offset) = DateTime::parse_from_str(
        &format!("2000-01-01 00:00:00 {zone}"),
        "%Y-%m-%d %H:%M:%S %:z",
    ) {
        let offset: FixedOffset = *offset.offset();
        return offset
            .from_local_datetime(&wall)
            .single()
            .map(|t| t.with_timezone(&Utc))
            .ok_or_else(|| "ambiguous time".into());
    }
    let tz: chrono_tz::Tz = match zone.as_str() {
        "Z" | "GMT" | "UTC" => chrono_tz::UTC,
        name => name
            .parse()
            .map_err(|_| format!("unknown time zone `{name}`"))?,
    };
    tz.from_local_datetime(&wall)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| format!("`{date}` does not exist in {zone}"))
}
