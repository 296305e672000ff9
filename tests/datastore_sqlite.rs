//! The datastore on a real SQLite database, including rows exactly as the PHP module wrote them.

mod support;

use std::cell::{Cell, RefCell};
use std::time::Duration;

use chrono::{TimeZone, Utc};
use katapult::store::client_budget::{has_left, Spending};
use katapult::store::datastore::carbon;
use katapult::store::live_reads::{LiveReads, VmRead};
use katapult::store::locks::{owner_label, Locks};
use katapult::store::nonces::UsedNonces;
use katapult::store::service_reads::ServiceReads;
use katapult::store::sql::transaction;
use katapult::store::{
    DataStore, Dialect, Owner, PhpValue, Row, Sql, SqlError, SqlValue, StoreError,
};
use support::{database, Sqlite};

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 9, 0, 0).unwrap()
}

/// A row as grizzlyware/salmon wrote it for the PHP module.
fn php_module_row(
    db: &Sqlite,
    rel_type: &str,
    rel_id: SqlValue,
    key: &str,
    serialized: &str,
    index: Option<&str>,
) {
    db.execute(
        "INSERT INTO mod_salmon_data_store_items (rel_type, rel_id, \"key\", value, value_index, created_at, updated_at) VALUES (?, ?, ?, ?, ?, '2024-03-05 14:07:09', '2024-03-05 14:07:09')",
        &[rel_type.into(), rel_id, key.into(), serialized.into(), index.into()],
    )
    .unwrap();
}

#[test]
fn reads_every_form_the_php_module_left() {
    let db = database();
    let store = DataStore::open(&db).unwrap();
    php_module_row(
        &db,
        "module_setting",
        "katapult".into(),
        "parent_organization",
        r#"s:18:"org_eodfyqFF3YWb2O";"#,
        None,
    );
    php_module_row(
        &db,
        "module_setting",
        SqlValue::Int(0),
        "vm_config_option_group_id",
        "i:12;",
        None,
    );
    php_module_row(
        &db,
        "client",
        SqlValue::Int(5),
        "managed_org_id",
        r#"s:20:"org_TZQHTxMg1G8COlfu";"#,
        None,
    );
    php_module_row(
        &db,
        "service",
        SqlValue::Int(42),
        "vm_build_id",
        r#"s:24:"vmbuild_TEmhezUShNuAsyac";"#,
        Some("vmbuild_TEmhezUShNuAsyac"),
    );
    php_module_row(
        &db,
        "service",
        SqlValue::Int(42),
        "vm_build_started_at",
        r#"O:13:"Carbon\Carbon":3:{s:4:"date";s:26:"2024-07-01 10:30:00.000000";s:13:"timezone_type";i:3;s:8:"timezone";s:13:"Europe/London";}"#,
        None,
    );
    php_module_row(
        &db,
        "service",
        SqlValue::Int(43),
        "vm_build_started_at",
        r#"O:13:"Carbon\Carbon":3:{s:4:"date";s:26:"2024-01-15 10:30:00.000000";s:13:"timezone_type";i:1;s:8:"timezone";s:6:"+02:00";}"#,
        None,
    );

    assert_eq!(
        store
            .get_text(Owner::Module, "parent_organization")
            .unwrap()
            .as_deref(),
        Some("org_eodfyqFF3YWb2O")
    );
    assert_eq!(
        store
            .get(Owner::Module, "vm_config_option_group_id")
            .unwrap(),
        Some(PhpValue::Int(12))
    );
    assert_eq!(
        store
            .get_text(Owner::Client(5), "managed_org_id")
            .unwrap()
            .as_deref(),
        Some("org_TZQHTxMg1G8COlfu")
    );
    assert_eq!(
        store
            .get_text(Owner::Service(42), "vm_build_id")
            .unwrap()
            .as_deref(),
        Some("vmbuild_TEmhezUShNuAsyac")
    );
    // 10:30 in London in July is 09:30 UTC; 10:30 at +02:00 is 08:30 UTC.
    assert_eq!(
        store
            .get_time(Owner::Service(42), "vm_build_started_at")
            .unwrap(),
        Some(Utc.with_ymd_and_hms(2024, 7, 1, 9, 30, 0).unwrap())
    );
    assert_eq!(
        store
            .get_time(Owner::Service(43), "vm_build_started_at")
            .unwrap(),
        Some(Utc.with_ymd_and_hms(2024, 1, 15, 8, 30, 0).unwrap())
    );
    assert_eq!(store.get(Owner::Service(44), "vm_build_id").unwrap(), None);
    assert_eq!(
        store.owners_with("service", "vm_build_id").unwrap(),
        vec![42]
    );
}

#[test]
fn writes_are_updates_of_existing_rows_and_never_duplicate() {
    let db = database();
    let store = DataStore::open(&db).unwrap();
    php_module_row(
        &db,
        "module_setting",
        "katapult".into(),
        "parent_organization",
        r#"s:3:"old";"#,
        None,
    );
    store
        .set_text(Owner::Module, "parent_organization", "org_new", None, now())
        .unwrap();
    store
        .set_text(Owner::Module, "parent_organization", "org_new", None, now())
        .unwrap();
    let rows = db.query("SELECT rel_id, value FROM mod_salmon_data_store_items WHERE \"key\" = 'parent_organization'", &[]).unwrap();
    assert_eq!(
        rows,
        vec![vec![
            SqlValue::Text("katapult".into()),
            SqlValue::Text(r#"s:7:"org_new";"#.into())
        ]]
    );

    store
        .set_text(Owner::Service(7), "vm_id", "vm_abc", Some("vm_abc"), now())
        .unwrap();
    let row = db.query("SELECT rel_type, rel_id, value, value_index, created_at FROM mod_salmon_data_store_items WHERE \"key\" = 'vm_id'", &[]).unwrap();
    assert_eq!(
        row,
        vec![vec![
            "service".into(),
            SqlValue::Int(7),
            r#"s:6:"vm_abc";"#.into(),
            "vm_abc".into(),
            "2026-11-24 09:00:00".into()
        ]]
    );
}

#[test]
fn times_are_written_as_carbon_and_read_back() {
    let db = database();
    let store = DataStore::open(&db).unwrap();
    let started = Utc.with_ymd_and_hms(2026, 11, 24, 8, 45, 12).unwrap();
    store
        .set_time(Owner::Service(9), "vm_build_started_at", started, now())
        .unwrap();
    assert_eq!(
        store
            .get_time(Owner::Service(9), "vm_build_started_at")
            .unwrap(),
        Some(started)
    );
    let stored = db
        .query("SELECT value FROM mod_salmon_data_store_items", &[])
        .unwrap();
    assert_eq!(stored[0][0], SqlValue::Text(carbon(started).serialize()));
    assert!(stored[0][0]
        .as_text()
        .unwrap()
        .starts_with(r#"O:13:"Carbon\Carbon":3:{s:4:"date";s:26:"2026-11-24 08:45:12.000000";"#));
}

#[test]
fn deleting_a_service_keeps_its_client_and_other_services() {
    let db = database();
    let store = DataStore::open(&db).unwrap();
    store
        .set_text(Owner::Service(1), "vm_id", "vm_a", None, now())
        .unwrap();
    store
        .set_text(Owner::Service(1), "vm_build_id", "vmbuild_a", None, now())
        .unwrap();
    store
        .set_text(Owner::Service(2), "vm_id", "vm_b", None, now())
        .unwrap();
    store
        .set_text(Owner::Client(1), "managed_org_id", "org_a", None, now())
        .unwrap();
    assert_eq!(store.delete_all(Owner::Service(1)).unwrap(), 2);
    assert_eq!(
        store
            .get_text(Owner::Service(2), "vm_id")
            .unwrap()
            .as_deref(),
        Some("vm_b")
    );
    assert_eq!(
        store
            .get_text(Owner::Client(1), "managed_org_id")
            .unwrap()
            .as_deref(),
        Some("org_a")
    );
    assert_eq!(store.delete(Owner::Service(2), "vm_id").unwrap(), 1);
}

#[test]
fn reopening_keeps_the_data() {
    let db = database();
    DataStore::open(&db)
        .unwrap()
        .set_text(Owner::Client(3), "managed_org_id", "org_x", None, now())
        .unwrap();
    let again = DataStore::open(&db).unwrap();
    assert_eq!(
        again
            .get_text(Owner::Client(3), "managed_org_id")
            .unwrap()
            .as_deref(),
        Some("org_x")
    );
}

#[test]
fn a_corrupt_value_is_a_clear_error() {
    let db = database();
    let store = DataStore::open(&db).unwrap();
    php_module_row(
        &db,
        "service",
        SqlValue::Int(8),
        "vm_id",
        "s:99:\"vm_short\";",
        None,
    );
    php_module_row(
        &db,
        "service",
        SqlValue::Int(8),
        "vm_build_started_at",
        r#"O:13:"Carbon\Carbon":3:{s:4:"date";s:10:"not a date";s:13:"timezone_type";i:3;s:8:"timezone";s:3:"UTC";}"#,
        None,
    );
    let error = store
        .get_text(Owner::Service(8), "vm_id")
        .unwrap_err()
        .to_string();
    assert!(
        error.starts_with("the stored value of `vm_id` cannot be read: not a PHP serialized value"),
        "{error}"
    );
    let error = store
        .get_time(Owner::Service(8), "vm_build_started_at")
        .unwrap_err();
    assert!(matches!(error, StoreError::Corrupt { .. }), "{error}");
}

/// A database that fails as told (every INSERT, or the first commits with SQLite's busy
/// error), recording the transaction calls.
struct Faulty {
    inner: Sqlite,
    calls: RefCell<Vec<&'static str>>,
    fail_inserts: bool,
    busy_commits: Cell<u32>,
}

impl Faulty {
    fn new(fail_inserts: bool, busy_commits: u32) -> Self {
        Faulty {
            inner: database(),
            calls: RefCell::new(vec![]),
            fail_inserts,
            busy_commits: Cell::new(busy_commits),
        }
    }
}

impl Sql for Faulty {
    fn dialect(&self) -> Dialect {
        self.inner.dialect()
    }
    fn query(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, SqlError> {
        self.inner.query(sql, params)
    }
    fn execute(&self, sql: &str, params: &[SqlValue]) -> Result<u64, SqlError> {
        if self.fail_inserts && sql.starts_with("INSERT") {
            return Err(SqlError("disk full".into()));
        }
        self.inner.execute(sql, params)
    }
    fn insert(&self, sql: &str, params: &[SqlValue]) -> Result<i64, SqlError> {
        self.execute(sql, params)?;
        Ok(self.inner.0.last_insert_rowid())
    }
    fn begin(&self) -> Result<bool, SqlError> {
        self.calls.borrow_mut().push("begin");
        self.inner.begin()
    }
    fn in_transaction(&self) -> Result<bool, SqlError> {
        self.inner.in_transaction()
    }
    fn commit(&self) -> Result<(), SqlError> {
        self.calls.borrow_mut().push("commit");
        if self.busy_commits.get() > 0 {
            self.busy_commits.set(self.busy_commits.get() - 1);
            return Err(SqlError(
                "SQLSTATE[HY000]: General error: 5 database is locked".into(),
            ));
        }
        self.inner.commit()
    }
    fn rollback(&self) -> Result<(), SqlError> {
        self.calls.borrow_mut().push("rollback");
        self.inner.rollback()
    }
}

#[test]
fn a_failed_write_is_rolled_back_and_reported() {
    let db = Faulty::new(true, 0);
    let store = DataStore::open(&db).unwrap();
    let error = store
        .set_text(Owner::Service(1), "vm_id", "vm_a", None, now())
        .unwrap_err();
    assert_eq!(error.to_string(), "database error: disk full");
    assert_eq!(*db.calls.borrow(), vec!["begin", "rollback"]);
    assert!(db.inner.0.is_autocommit(), "no transaction left open");
}

#[test]
fn a_transaction_that_meets_a_busy_database_runs_again_whole() {
    let db = Faulty::new(false, 2);
    let store = DataStore::open(&db).unwrap();
    let runs = Cell::new(0);
    transaction(&db, || {
        runs.set(runs.get() + 1);
        store.set_text(
            Owner::Service(1),
            "vm_id",
            &format!("vm_{}", runs.get()),
            None,
            now(),
        )
    })
    .unwrap();
    assert_eq!(runs.get(), 3, "two busy commits, then the third run lands");
    let calls = db.calls.borrow();
    assert_eq!(calls.iter().filter(|c| **c == "rollback").count(), 2);
    assert_eq!(calls.last(), Some(&"commit"));
    assert_eq!(
        store
            .get_text(Owner::Service(1), "vm_id")
            .unwrap()
            .as_deref(),
        Some("vm_3"),
        "the last run's writes, once"
    );
}

#[test]
fn a_busy_database_inside_someone_elses_transaction_is_theirs_to_retry() {
    let db = Faulty::new(false, 0);
    let runs = Cell::new(0);
    db.inner.execute("BEGIN", &[]).unwrap();
    let error = transaction(&db, || {
        runs.set(runs.get() + 1);
        Err::<(), _>(SqlError(
            "SQLSTATE[HY000]: General error: 5 database is locked".into(),
        ))
    })
    .unwrap_err();
    assert!(error.is_transient());
    assert_eq!(runs.get(), 1, "not run again inside the outer transaction");
    assert!(
        !db.inner.0.is_autocommit(),
        "the outer transaction is left to its owner"
    );
}

#[test]
fn a_lasting_or_permanent_failure_is_not_tried_forever() {
    let db = Faulty::new(false, 100);
    let runs = Cell::new(0);
    let error = transaction(&db, || {
        runs.set(runs.get() + 1);
        Ok::<_, SqlError>(())
    })
    .unwrap_err();
    assert!(error.is_transient());
    assert_eq!(runs.get(), 4, "a few attempts, then the error");
    let db = Faulty::new(true, 0);
    let runs = Cell::new(0);
    transaction(&db, || {
        runs.set(runs.get() + 1);
        db.execute("INSERT INTO nothing VALUES (1)", &[])
    })
    .unwrap_err();
    assert_eq!(runs.get(), 1, "a permanent error is reported at once");
}

#[test]
fn service_links_read_as_the_php_module_wrote_them() {
    use katapult::service::links::ServiceLinks;
    let db = database();
    let store = DataStore::open(&db).unwrap();
    assert_eq!(
        ServiceLinks::read(&store, 5).unwrap(),
        ServiceLinks::default()
    );
    assert_eq!(
        ServiceLinks::read(&store, 5).unwrap().offline_state(),
        "unknown"
    );
    php_module_row(
        &db,
        "service",
        SqlValue::Int(5),
        "vm_build_id",
        r#"s:8:"vmbuild_";"#,
        Some("vmbuild_"),
    );
    php_module_row(
        &db,
        "service",
        SqlValue::Int(5),
        "vm_build_started_at",
        &carbon(now()).serialize(),
        None,
    );
    let building = ServiceLinks::read(&store, 5).unwrap();
    assert_eq!(building.offline_state(), "building");
    assert_eq!(building.vm_build_started_at, Some(now()));
    php_module_row(
        &db,
        "service",
        SqlValue::Int(5),
        "vm_id",
        r#"s:5:"vm_ab";"#,
        Some("vm_ab"),
    );
    let built = ServiceLinks::read(&store, 5).unwrap();
    assert_eq!(built.vm_id.as_deref(), Some("vm_ab"));
    assert_eq!(built.offline_state(), "unknown");
}

#[test]
fn links_decoded_once_follow_every_change_of_their_items() {
    use katapult::service::links::ServiceLinks;
    let db = database();
    let store = DataStore::open(&db).unwrap();
    let vm_id = |serialized: &str| {
        db.execute(
            "DELETE FROM mod_salmon_data_store_items WHERE \"key\" = 'vm_id'",
            &[],
        )
        .unwrap();
        php_module_row(&db, "service", 6.into(), "vm_id", serialized, None);
    };
    vm_id(r#"s:5:"vm_ab";"#);
    let read = || ServiceLinks::read(&store, 6).map(|links| links.vm_id);
    assert_eq!(read().unwrap().as_deref(), Some("vm_ab"));
    assert_eq!(
        read().unwrap().as_deref(),
        Some("vm_ab"),
        "read again, the same"
    );
    vm_id(r#"s:5:"vm_cd";"#);
    assert_eq!(
        read().unwrap().as_deref(),
        Some("vm_cd"),
        "a new value is seen"
    );
    // Another service whose items are the same reads the same links.
    php_module_row(&db, "service", 7.into(), "vm_id", r#"s:5:"vm_cd";"#, None);
    assert_eq!(
        ServiceLinks::read(&store, 7).unwrap().vm_id.as_deref(),
        Some("vm_cd")
    );
    vm_id(r#"s:9:"broken";"#);
    assert!(read().is_err(), "a corrupt item is an error");
    assert!(read().is_err(), "and stays one: errors are not kept");
    vm_id(r#"s:5:"vm_ef";"#);
    assert_eq!(read().unwrap().as_deref(), Some("vm_ef"));
}

#[test]
fn a_services_links_are_read_in_one_query_newest_row_first() {
    let db = database();
    let store = DataStore::open(&db).unwrap();
    // The PHP module could leave two rows of one key; the newest is the one that counts.
    php_module_row(
        &db,
        "service",
        5.into(),
        "vm_build_id",
        r#"s:12:"vmbuild_old1";"#,
        Some("vmbuild_old1"),
    );
    php_module_row(
        &db,
        "service",
        5.into(),
        "vm_build_id",
        r#"s:12:"vmbuild_new1";"#,
        Some("vmbuild_new1"),
    );
    php_module_row(
        &db,
        "service",
        5.into(),
        "vm_build_started_at",
        "i:1700000000;",
        None,
    );
    php_module_row(&db, "service", 6.into(), "vm_id", r#"s:6:"vm_six";"#, None);
    let [build, vm, started] = store
        .get_many(
            Owner::Service(5),
            ["vm_build_id", "vm_id", "vm_build_started_at"],
        )
        .unwrap();
    assert_eq!(build, Some(PhpValue::String("vmbuild_new1".into())));
    assert_eq!(vm, None, "another service's row is not this one's");
    assert_eq!(started, Some(PhpValue::Int(1_700_000_000)));

    let links = katapult::service::links::ServiceLinks::read(&store, 5).unwrap();
    assert_eq!(links.vm_build_id.as_deref(), Some("vmbuild_new1"));
    assert_eq!(
        links.vm_build_started_at,
        Utc.timestamp_opt(1_700_000_000, 0).single()
    );
    assert!(links.build_pending());
}

#[test]
fn a_claim_whose_holder_died_on_this_machine_is_taken_at_once() {
    let db = database();
    let locks = Locks::open(&db, "cron").unwrap();
    let ttl = chrono::Duration::minutes(5);
    // A process that has run and exited: its pid names no process now.
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let dead_pid = child.id();
    child.wait().unwrap();
    db.execute(
        "INSERT INTO mod_katapult_locks (name, owner, expires_at) VALUES (?, ?, ?)",
        &[
            "build-sync:service:1".into(),
            owner_label(dead_pid, "killed-cron").as_str().into(),
            SqlValue::Int((now() + ttl).timestamp()),
        ],
    )
    .unwrap();
    assert!(locks
        .try_claim_at("build-sync:service:1", now(), ttl)
        .unwrap());

    // A live holder (another run of this process) keeps its claim until it expires.
    let live = Locks::open(&db, "other-run").unwrap();
    assert!(live
        .try_claim_at("build-sync:service:2", now(), ttl)
        .unwrap());
    assert!(!locks
        .try_claim_at("build-sync:service:2", now(), ttl)
        .unwrap());
    // So does a holder on another machine, whose processes cannot be seen from here.
    db.execute(
        "INSERT INTO mod_katapult_locks (name, owner, expires_at) VALUES (?, ?, ?)",
        &[
            "build-sync:service:3".into(),
            format!("{dead_pid}@another-web-node#cron").as_str().into(),
            SqlValue::Int((now() + ttl).timestamp()),
        ],
    )
    .unwrap();
    assert!(!locks
        .try_claim_at("build-sync:service:3", now(), ttl)
        .unwrap());
    assert!(locks
        .try_claim_at("build-sync:service:3", now() + ttl + ttl, ttl)
        .unwrap());
}

#[test]
fn a_claim_waited_for_is_taken_once_its_holder_lets_go() {
    let db = database();
    let ttl = chrono::Duration::minutes(5);
    let holder = Locks::open(&db, "change-package").unwrap();
    let waiter = Locks::open(&db, "cron").unwrap();
    assert!(holder.try_claim("vm-options:service:1", ttl).unwrap());
    assert!(!waiter
        .claim_within("vm-options:service:1", ttl, Duration::from_millis(120))
        .unwrap());
    holder.release("vm-options:service:1").unwrap();
    assert!(waiter
        .claim_within("vm-options:service:1", ttl, Duration::from_millis(120))
        .unwrap());
    assert!(!holder.try_claim("vm-options:service:1", ttl).unwrap());
}

#[test]
fn deadlocks_and_busy_databases_are_worth_another_try() {
    let deadlock = "SQLSTATE[40001]: Serialization failure: 1213 Deadlock found when trying to get lock; try restarting transaction";
    assert!(SqlError(deadlock.into()).is_transient());
    assert!(SqlError("SQLSTATE[HY000]: General error: 5 database is locked".into()).is_transient());
    // A Galera node joining the cluster, or cut off from it, until it is synced again.
    let joining = "SQLSTATE[08S01]: Communication link failure: 1047 WSREP has not yet prepared node for application use";
    assert!(SqlError(joining.into()).is_transient());
    assert!(!SqlError("SQLSTATE[42S02]: Base table or view not found".into()).is_transient());
}

/// Counts the statements that reach the database.
struct Counted<'a> {
    db: &'a Sqlite,
    statements: Cell<usize>,
}

impl Sql for Counted<'_> {
    fn dialect(&self) -> Dialect {
        self.db.dialect()
    }
    fn query(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, SqlError> {
        self.statements.set(self.statements.get() + 1);
        self.db.query(sql, params)
    }
    fn execute(&self, sql: &str, params: &[SqlValue]) -> Result<u64, SqlError> {
        self.statements.set(self.statements.get() + 1);
        self.db.execute(sql, params)
    }
    fn insert(&self, sql: &str, params: &[SqlValue]) -> Result<i64, SqlError> {
        self.statements.set(self.statements.get() + 1);
        self.db.insert(sql, params)
    }
    fn begin(&self) -> Result<bool, SqlError> {
        self.db.begin()
    }
    fn in_transaction(&self) -> Result<bool, SqlError> {
        self.db.in_transaction()
    }
    fn commit(&self) -> Result<(), SqlError> {
        self.db.commit()
    }
    fn rollback(&self) -> Result<(), SqlError> {
        self.db.rollback()
    }
}

#[test]
fn a_page_reads_in_one_statement_what_the_reads_one_by_one_would_give() {
    let db = database();
    for statement in [
        "CREATE TABLE tblhosting (id INTEGER PRIMARY KEY, domainstatus TEXT NOT NULL)",
        "CREATE TABLE tblconfiguration (setting TEXT NOT NULL, value TEXT NOT NULL)",
        "INSERT INTO tblhosting (id, domainstatus) VALUES (7, 'Active'), (8, 'Suspended')",
        "INSERT INTO tblconfiguration (setting, value) VALUES ('ModuleDebugMode', 'on')",
    ] {
        db.execute(statement, &[]).unwrap();
    }
    let store = DataStore::open(&db).unwrap();
    LiveReads::open(&db).unwrap();
    store
        .set_text(Owner::Service(7), "vm_id", "vm_new", None, now())
        .unwrap();
    // The PHP module could leave duplicates: the newest row is the item, as one by one.
    php_module_row(
        &db,
        "service",
        7.into(),
        "vm_build_id",
        "s:7:\"vmb_old\";",
        None,
    );
    php_module_row(
        &db,
        "service",
        7.into(),
        "vm_build_id",
        "s:7:\"vmb_new\";",
        None,
    );
    php_module_row(
        &db,
        "service",
        8.into(),
        "vm_id",
        "s:9:\"vm_other8\";",
        None,
    );
    php_module_row(
        &db,
        "module_setting",
        "katapult".into(),
        "parent_organization",
        "s:7:\"org_old\";",
        None,
    );
    store
        .set_text(Owner::Module, "parent_organization", "org_new", None, now())
        .unwrap();
    let read = VmRead {
        vm_json: "{\"id\":\"vm_new\"}".into(),
        read_at: now(),
    };
    LiveReads::checked(&db).keep(7, "vm_new", &read).unwrap();

    let counted = Counted {
        db: &db,
        statements: Cell::new(0),
    };
    let live_reads = LiveReads::checked(&db);
    let window = chrono::Duration::minutes(1);
    assert!(live_reads.spent().spend(3, now(), 12, window).unwrap());
    assert!(live_reads.spent().spend(3, now(), 12, window).unwrap());

    let reads = ServiceReads::read(&counted, 7, 3).unwrap();
    assert_eq!(counted.statements.get(), 1);
    assert_eq!(reads.status.as_deref(), Some("Active"));
    assert!(reads.module_debug_logging);
    assert_eq!(reads.vm_read, Some(("vm_new".to_string(), read)));
    assert_eq!(
        reads.spending,
        Some(Spending {
            window_start: now().timestamp(),
            spent: 2
        })
    );
    assert_eq!(reads.spending, live_reads.spent().spending(3).unwrap());

    let preloaded = DataStore::with_preloaded(&counted, reads.items.clone());
    for (owner, key) in [
        (Owner::Service(7), "vm_id"),
        (Owner::Service(7), "vm_build_id"),
        (Owner::Service(7), "vm_build_failed_at"),
        (Owner::Module, "parent_organization"),
        (Owner::Module, "api_key"),
    ] {
        assert_eq!(
            preloaded.get_text(owner, key).unwrap(),
            store.get_text(owner, key).unwrap(),
            "{key}"
        );
    }
    assert_eq!(
        preloaded
            .get_text(Owner::Service(7), "vm_build_id")
            .unwrap()
            .as_deref(),
        Some("vmb_new")
    );
    assert_eq!(counted.statements.get(), 1, "all from the one statement");
    assert_eq!(
        preloaded
            .get_text(Owner::Service(8), "vm_id")
            .unwrap()
            .as_deref(),
        Some("vm_other8"),
        "another service's items from the database"
    );
    assert_eq!(counted.statements.get(), 2);

    // A write through any store sharing the reads ends them: reads go to the database again.
    preloaded
        .set_text(Owner::Service(7), "vm_id", "vm_changed", None, now())
        .unwrap();
    let other = DataStore::with_preloaded(&counted, reads.items.clone());
    assert_eq!(
        other
            .get_text(Owner::Service(7), "vm_id")
            .unwrap()
            .as_deref(),
        Some("vm_changed")
    );

    // Module debug logging off, and a service without a copy of its VM.
    db.execute(
        "UPDATE tblconfiguration SET value = '' WHERE setting = 'ModuleDebugMode'",
        &[],
    )
    .unwrap();
    let reads = ServiceReads::read(&db, 8, 4).unwrap();
    assert!(!reads.module_debug_logging);
    assert_eq!(reads.status.as_deref(), Some("Suspended"));
    assert_eq!(reads.vm_read, None);
    assert_eq!(
        reads.spending, None,
        "a client that never read live has no row"
    );
}

#[test]
fn before_the_module_made_its_tables_the_one_statement_fails_rather_than_reading_nothing() {
    let db = database();
    db.execute(
        "CREATE TABLE tblhosting (id INTEGER PRIMARY KEY, domainstatus TEXT NOT NULL)",
        &[],
    )
    .unwrap();
    db.execute(
        "CREATE TABLE tblconfiguration (setting TEXT NOT NULL, value TEXT NOT NULL)",
        &[],
    )
    .unwrap();
    DataStore::open(&db).unwrap();
    assert!(ServiceReads::read(&db, 7, 3).is_err());
}

#[test]
fn a_clients_live_reads_are_budgeted_per_window() {
    let db = database();
    let reads = LiveReads::open(&db).unwrap();
    let window = chrono::Duration::minutes(1);
    let spend = |client, at| reads.spent().spend(client, at, 3, window).unwrap();
    assert_eq!(
        [
            spend(1, now()),
            spend(1, now()),
            spend(1, now()),
            spend(1, now())
        ],
        [true, true, true, false]
    );
    assert!(spend(2, now()), "another client's budget is its own");
    let later = now() + chrono::Duration::seconds(59);
    assert!(!spend(1, later), "the window is not over");
    let next = now() + window;
    assert_eq!(
        [
            spend(1, next),
            spend(1, next),
            spend(1, next),
            spend(1, next)
        ],
        [true, true, true, false]
    );
    assert!(
        !reads.spent().spend(3, now(), 0, window).unwrap(),
        "no reads at all"
    );
}

/// A page reading the VM again dates the last read now while the API answers; only a read that
/// is still the one it saw is redated, and the failure's redating back likewise.
#[test]
fn a_last_read_is_redated_only_while_it_is_the_one_the_page_saw() {
    let db = database();
    let reads = LiveReads::open(&db).unwrap();
    let then = now() - chrono::Duration::minutes(5);
    let read = |at| VmRead {
        vm_json: "{\"id\":\"vm_1\"}".into(),
        read_at: at,
    };
    reads.keep(7, "vm_1", &read(then)).unwrap();
    assert!(
        !reads.redate(7, "vm_other", then, now()).unwrap(),
        "another VM's"
    );
    assert!(
        !reads.redate(8, "vm_1", then, now()).unwrap(),
        "another service's"
    );
    assert!(reads.redate(7, "vm_1", then, now()).unwrap());
    assert_eq!(reads.last(7).unwrap(), Some(("vm_1".into(), read(now()))));
    assert!(
        !reads.redate(7, "vm_1", then, now()).unwrap(),
        "no longer the read it saw"
    );
    assert!(reads.redate(7, "vm_1", now(), then).unwrap(), "dated back");
    assert_eq!(reads.last(7).unwrap(), Some(("vm_1".into(), read(then))));
    reads.forget(7).unwrap();
    assert!(!reads.redate(7, "vm_1", then, now()).unwrap(), "forgotten");
}

/// A page decides on its own read of the client's row whether a live read is left, as the spend
/// would: a client with none left in the window, and with some, before and after spending.
#[test]
fn whether_a_live_read_is_left_is_read_as_the_spend_decides_it() {
    let db = database();
    let reads = LiveReads::open(&db).unwrap();
    let window = chrono::Duration::minutes(1);
    let left = |at| has_left(reads.spent().spending(1).unwrap(), at, 3, window);
    assert!(left(now()), "no row yet");
    for _ in 0..3 {
        assert!(left(now()));
        assert!(reads.spent().spend(1, now(), 3, window).unwrap());
    }
    assert!(!left(now()));
    assert!(!reads.spent().spend(1, now(), 3, window).unwrap());
    let later = now() + chrono::Duration::seconds(59);
    assert!(!left(later), "the window is not over");
    let next = now() + window;
    assert!(left(next), "a new window");
    assert!(reads.spent().spend(1, next, 3, window).unwrap());
    assert!(
        !has_left(None, now(), 0, window),
        "none at all when the window allows none"
    );
}

/// A conflict (a deadlock, a lost Galera certification) ends the transaction in the database; when
/// the code that met it swallows the error (a provider's hook, WHMCS's mailer), what follows runs
/// outside any transaction. The commit finds the transaction gone and the work runs again whole.
#[test]
fn a_transaction_ended_under_code_that_swallowed_the_error_runs_again_whole() {
    let db = Faulty::new(false, 0);
    let store = DataStore::open(&db).unwrap();
    let runs = Cell::new(0);
    transaction(&db, || {
        runs.set(runs.get() + 1);
        store.set_text(Owner::Service(1), "vm_id", "vm_1", None, now())?;
        if runs.get() == 1 {
            db.inner.execute("ROLLBACK", &[]).unwrap();
        }
        store.set_text(Owner::Service(1), "announced", "yes", None, now())?;
        Ok::<_, StoreError>(())
    })
    .unwrap();
    assert_eq!(runs.get(), 2, "run again whole, not committed in pieces");
    let texts = ["vm_id", "announced"].map(|key| store.get_text(Owner::Service(1), key).unwrap());
    assert_eq!(texts, [Some("vm_1".into()), Some("yes".into())]);
}

/// The Built hook's row and the removal of the mark that it is due, in one transaction that a
/// conflict ends between them (under code that swallowed the error): the removal must not run
/// outside it, committed at once, or the work run again finds nothing due and the hook's row,
/// rolled back with the transaction, is lost for good (seen on Galera: a Built hook missing).
#[test]
fn nothing_is_written_outside_a_transaction_a_conflict_ended() {
    let db = Faulty::new(false, 0);
    let store = DataStore::open(&db).unwrap();
    db.inner
        .execute("CREATE TABLE hook_calls (service_id INTEGER)", &[])
        .unwrap();
    store
        .set_text(Owner::Service(1), "announcement_due", "yes", None, now())
        .unwrap();
    let runs = Cell::new(0);
    transaction(&db, || {
        runs.set(runs.get() + 1);
        if store
            .get_text(Owner::Service(1), "announcement_due")?
            .is_none()
        {
            return Ok(());
        }
        db.execute("INSERT INTO hook_calls (service_id) VALUES (1)", &[])?;
        if runs.get() == 1 {
            db.inner.execute("ROLLBACK", &[]).unwrap();
        }
        store.delete(Owner::Service(1), "announcement_due")?;
        Ok::<_, StoreError>(())
    })
    .unwrap();
    assert_eq!(runs.get(), 2, "run again whole");
    let hooks = db.query("SELECT COUNT(*) FROM hook_calls", &[]).unwrap()[0][0].as_int();
    assert_eq!(hooks, Some(1), "the hook's row written once, not lost");
    assert_eq!(
        store
            .get_text(Owner::Service(1), "announcement_due")
            .unwrap(),
        None
    );
}

/// On Galera a conflict can leave the database saying a transaction is open after it ended it (a
/// brute-force abort): a conflict met by a nested transaction, whose error the code between
/// swallowed (WHMCS's mailer around the EmailPreSend hook), has the outer one run again whole.
#[test]
fn a_conflict_swallowed_inside_a_transaction_has_it_run_again_whole() {
    let db = Faulty::new(false, 0);
    let store = DataStore::open(&db).unwrap();
    let runs = Cell::new(0);
    let deadlock = "SQLSTATE[40001]: Serialization failure: 1213 Deadlock found when trying to get lock; try restarting transaction";
    transaction(&db, || {
        runs.set(runs.get() + 1);
        store.set_text(Owner::Service(1), "vm_id", "vm_1", None, now())?;
        if runs.get() == 1 {
            let swallowed = transaction(&db, || Err::<(), _>(SqlError(deadlock.into())));
            assert!(swallowed.is_err());
        }
        Ok::<_, StoreError>(())
    })
    .unwrap();
    assert_eq!(
        runs.get(),
        2,
        "run again whole after the swallowed conflict"
    );
}

/// On Galera a claim's or a nonce's `INSERT IGNORE` succeeds on each node until commit, where the
/// loser fails certification: each is its own transaction, taken again whole after a failed
/// commit, and then decides on the winner's row.
#[test]
fn a_claim_or_a_used_token_whose_commit_fails_is_taken_again_whole() {
    let db = Faulty::new(false, 0);
    let ttl = chrono::Duration::minutes(5);
    let (cron, other) = (
        Locks::open(&db, "cron").unwrap(),
        Locks::open(&db, "other").unwrap(),
    );
    let nonces = UsedNonces::open(&db).unwrap();
    let expires = (now() + ttl).timestamp();
    let taken_on_the_second_run = |what: &str, take: &dyn Fn() -> Result<bool, SqlError>| {
        db.calls.borrow_mut().clear();
        db.busy_commits.set(1);
        assert!(take().unwrap(), "the {what} is taken on the second run");
        assert_eq!(
            *db.calls.borrow(),
            ["begin", "commit", "rollback", "begin", "commit"],
            "the {what}'s transaction, run again whole after its failed commit"
        );
    };
    taken_on_the_second_run("claim", &|| {
        cron.try_claim_at("build-sync:service:1", now(), ttl)
    });
    taken_on_the_second_run("token", &|| {
        nonces.use_once("nonce-1", expires, now().timestamp())
    });
    assert!(!other
        .try_claim_at("build-sync:service:1", now(), ttl)
        .unwrap());
    assert!(!nonces
        .use_once("nonce-1", expires, now().timestamp())
        .unwrap());
}
