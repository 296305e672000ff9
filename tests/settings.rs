//! Module settings: the API key sealed at rest, the move from the PHP module's key, the parent
//! organization, and what is logged (never the key).

mod support;

use chrono::{TimeZone, Utc};
use katapult::service::settings::{ApiKeyStatus, ModuleSettings, SettingsError};
use katapult::store::{DataStore, Owner, Sql, SqlValue};
use support::{database, MemoryHost};

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 9, 0, 0).unwrap()
}

fn all_values(db: &dyn Sql) -> String {
    db.query("SELECT value FROM mod_salmon_data_store_items", &[])
        .unwrap()
        .concat()
        .iter()
        .filter_map(SqlValue::as_text)
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_api_key_is_sealed_at_rest_and_never_logged() {
    let db = database();
    let store = DataStore::open(&db).unwrap();
    let host = MemoryHost::new();
    let settings = ModuleSettings::new(&store, &host);
    assert_eq!(settings.api_key_status(now()), ApiKeyStatus::NotSet);
    settings
        .set_api_key("  kat-live-token-0123456789  ", now())
        .unwrap();
    assert_eq!(
        settings.api_key(now()).unwrap().map(|t| format!("{t:?}")),
        Some("ApiToken(<redacted>)".into())
    );
    assert_eq!(settings.api_key_status(now()), ApiKeyStatus::Set);
    assert!(
        !all_values(&db).contains("kat-live-token"),
        "the key is in the database in clear"
    );
    assert!(host
        .activity
        .borrow()
        .iter()
        .all(|(line, _)| !line.contains("kat-live-token")));
    assert!(host
        .activity
        .borrow()
        .iter()
        .any(|(line, _)| line.contains("Updated the API key")));
}

#[test]
fn the_php_modules_key_is_moved_into_our_format_and_its_row_kept() {
    let db = database();
    let store = DataStore::open(&db).unwrap();
    let host = MemoryHost::new();
    let legacy = MemoryHost::whmcs_encrypt("kat-old-module-token");
    db.execute(
        "INSERT INTO mod_salmon_data_store_items (rel_type, rel_id, \"key\", value) VALUES ('module_setting', 'katapult', 'api_v1_key', ?)",
        &[format!("s:{}:\"{legacy}\";", legacy.len()).into()],
    )
    .unwrap();
    let settings = ModuleSettings::new(&store, &host);
    let key = settings
        .api_key(now())
        .unwrap()
        .expect("the old key is found");
    assert_eq!(format!("{key}"), "<redacted>");
    assert!(host
        .activity
        .borrow()
        .iter()
        .any(|(line, _)| line.contains("Moved the API key")));
    // Now ours, sealed; the PHP module's row is untouched.
    let ours = store.get_text(Owner::Module, "api_key").unwrap().unwrap();
    assert!(ours.starts_with("kv1:"));
    assert_eq!(
        store
            .get_text(Owner::Module, "api_v1_key")
            .unwrap()
            .as_deref(),
        Some(legacy.as_str())
    );
    // A second read uses ours, without WHMCS.
    host.activity.borrow_mut().clear();
    assert!(settings.api_key(now()).unwrap().is_some());
    assert!(host.activity.borrow().is_empty());
}

#[test]
fn an_unreadable_key_says_what_to_do() {
    let db = database();
    let store = DataStore::open(&db).unwrap();
    let host = MemoryHost::new();
    store
        .set_text(
            Owner::Module,
            "api_v1_key",
            "garbage-from-another-install",
            None,
            now(),
        )
        .unwrap();
    let settings = ModuleSettings::new(&store, &host);
    assert!(matches!(
        settings.api_key(now()),
        Err(SettingsError::LegacyKeyUnreadable)
    ));
    assert_eq!(
        store.get_text(Owner::Module, "api_key").unwrap(),
        None,
        "the garbage decrypt() gave is never sealed as the key"
    );
    assert!(
        host.activity.borrow().is_empty(),
        "nothing reported as moved"
    );
    assert!(
        matches!(settings.api_key_status(now()), ApiKeyStatus::Unreadable(m) if m.contains("enter it again"))
    );

    settings.set_api_key("kat-new", now()).unwrap();
    *host.secret.borrow_mut() = "a-different-cc-encryption-hash".into();
    let error = settings.api_key(now()).unwrap_err().to_string();
    assert!(error.contains("cc_encryption_hash changed"), "{error}");
    *host.secret.borrow_mut() = String::new();
    assert!(settings
        .api_key(now())
        .unwrap_err()
        .to_string()
        .contains("cc_encryption_hash in WHMCS's configuration.php) is empty"));
}

#[test]
fn the_parent_organization_is_shared_with_the_php_module() {
    let db = database();
    let store = DataStore::open(&db).unwrap();
    let host = MemoryHost::new();
    let settings = ModuleSettings::new(&store, &host);
    assert_eq!(settings.parent_organization().unwrap(), None);
    settings.set_parent_organization(" acme ", now()).unwrap();
    assert_eq!(
        settings.parent_organization().unwrap().as_deref(),
        Some("acme")
    );
    let row = db
        .query(
            "SELECT value FROM mod_salmon_data_store_items WHERE \"key\" = 'parent_organization'",
            &[],
        )
        .unwrap();
    assert_eq!(row[0][0], SqlValue::Text("s:4:\"acme\";".into()));
}

/// The installation's id is made once for every process sharing the database: a process whose
/// copy of the module's items was read before another made the id takes that id, not a second
/// one; and while another process holds the claim to make it, the wait ends with a sentence.
#[test]
fn the_installation_id_is_made_once_for_every_process() {
    use katapult::store::datastore::Preloaded;
    use katapult::store::locks::Locks;
    use std::sync::Arc;

    let db = database();
    DataStore::open(&db).unwrap();
    let host = MemoryHost::new();
    // A page's copy of the module's items, read when there was no id yet.
    let page = DataStore::with_preloaded(
        &db,
        Arc::new(Preloaded::new(vec![Owner::Module], Vec::new())),
    );
    // Another process makes the id meanwhile.
    let other = DataStore::checked(&db);
    let made = ModuleSettings::new(&other, &host)
        .installation_id(now())
        .unwrap();
    assert_eq!(
        ModuleSettings::new(&page, &host)
            .installation_id(now())
            .unwrap(),
        made
    );

    // Another process holding the claim, and no id appearing.
    db.execute(
        "DELETE FROM mod_salmon_data_store_items WHERE \"key\" = 'installation_id'",
        &[],
    )
    .unwrap();
    let holder = Locks::open(&db, "another-process").unwrap();
    assert!(holder
        .try_claim("installation_id", chrono::Duration::minutes(1))
        .unwrap());
    let fresh = DataStore::checked(&db);
    let waited = ModuleSettings::new(&fresh, &host).installation_id(now());
    assert!(
        matches!(waited, Err(SettingsError::InstallationIdPending)),
        "{waited:?}"
    );
    holder.release("installation_id").unwrap();
    let id = ModuleSettings::new(&fresh, &host)
        .installation_id(now())
        .unwrap();
    assert_ne!(id, made);
    assert_eq!(
        ModuleSettings::new(&fresh, &host)
            .installation_id(now())
            .unwrap(),
        id
    );
}
