//! What a client-area page reads of the database about one service, in one statement: the
//! service's status, WHMCS's module debug logging switch, every datastore item of the service and
//! of the module (its links, the sealed API key and token secret, and whatever a panel keeps
//! there), the VM as the client area last read it, and the client's live reads spent. A page
//! used to make seven statements for these; each is a round trip through PHP's PDO.

use std::sync::{Arc, OnceLock};

use chrono::{TimeZone, Utc};

use super::client_budget::Spending;
use super::datastore::{self, Owner, Preloaded};
use super::live_reads::{VmRead, SPENT_TABLE, VM_TABLE};
use super::sql::{Dialect, Sql, SqlError, SqlValue};

/// WHMCS's `tblconfiguration` setting for Configuration > System Logs > Module Log: `on` when
/// switched on, empty when off (`logModuleCall` writes nothing then).
pub const MODULE_DEBUG_SETTING: &str = "ModuleDebugMode";

/// The value of a `tblconfiguration` setting, as PHP's `(bool)` reads it.
pub fn setting_is_on(value: Option<&str>) -> bool {
    !matches!(value, None | Some("") | Some("0"))
}

pub struct ServiceReads {
    /// `tblhosting.domainstatus`; None when there is no such service.
    pub status: Option<String>,
    pub module_debug_logging: bool,
    /// The datastore items of the service and of the module.
    pub items: Arc<Preloaded>,
    /// The last read of the service's VM, with the VM's id.
    pub vm_read: Option<(String, VmRead)>,
    /// The client's live reads in their window; None before the client's first.
    pub spending: Option<Spending>,
}

impl ServiceReads {
    /// One statement. It fails when one of the module's tables is missing (before the module's
    /// first use): the caller then reads the usual way, which creates them.
    pub fn read(sql: &dyn Sql, service_id: u64, client_id: u64) -> Result<Self, SqlError> {
        let service = Owner::Service(service_id);
        let (_, mut params) = Owner::condition(&service);
        let (_, module_params) = Owner::condition(&Owner::Module);
        params.extend(module_params);
        params.extend([
            SqlValue::Int(service_id as i64),
            MODULE_DEBUG_SETTING.into(),
            SqlValue::Int(service_id as i64),
            SqlValue::Int(client_id as i64),
        ]);
        let statement = statement_text(sql.dialect());
        let mut reads = ServiceReads {
            status: None,
            module_debug_logging: false,
            items: Arc::default(),
            vm_read: None,
            spending: None,
        };
        let mut items = Vec::new();
        for row in sql.query(statement, &params)? {
            let Ok([kind, window_start, key, value, number]) = <[SqlValue; 5]>::try_from(row)
            else {
                continue;
            };
            let (key, value) = (key.into_text(), value.into_text());
            match (kind.as_text().unwrap_or_default(), key, value) {
                ("status", _, status) => reads.status = status,
                ("debug", _, setting) => {
                    reads.module_debug_logging = setting_is_on(setting.as_deref())
                }
                ("vm_read", Some(vm_id), Some(vm_json)) => {
                    if let Some(read_at) = number
                        .as_int()
                        .and_then(|t| Utc.timestamp_opt(t, 0).single())
                    {
                        reads.vm_read = Some((vm_id, VmRead { vm_json, read_at }));
                    }
                }
                ("spent", ..) => {
                    reads.spending =
                        window_start
                            .as_int()
                            .zip(number.as_int())
                            .map(|(window_start, spent)| Spending {
                                window_start,
                                spent,
                            })
                }
                ("service", Some(key), Some(value)) => {
                    items.push((number.as_int(), service, key, value))
                }
                ("module_setting", Some(key), Some(value)) => {
                    items.push((number.as_int(), Owner::Module, key, value))
                }
                _ => {}
            }
        }
        // Oldest first, so that the newest of a key's rows wins: sorted here rather than by the
        // statement, whose ORDER BY over the union was a third of its preparing.
        items.sort_by_key(|(id, ..)| *id);
        reads.items = Arc::new(Preloaded::new(
            vec![service, Owner::Module],
            items
                .into_iter()
                .map(|(_, owner, key, value)| (owner, key, value)),
        ));
        Ok(reads)
    }
}

/// The statement's text for `dialect`, made once per process (it only depends on the dialect).
fn statement_text(dialect: Dialect) -> &'static str {
    static TEXTS: [OnceLock<String>; 2] = [OnceLock::new(), OnceLock::new()];
    let slot = match dialect {
        Dialect::MySql => &TEXTS[0],
        Dialect::Sqlite => &TEXTS[1],
    };
    slot.get_or_init(|| {
        let text = |column: &str| match dialect {
            // One collation for every text column: MySQL refuses a UNION of columns whose
            // collations differ (WHMCS's older tables are utf8, ours utf8mb4).
            Dialect::MySql => format!("CONVERT({column} USING utf8mb4) COLLATE utf8mb4_unicode_ci"),
            Dialect::Sqlite => column.to_string(),
        };
        let (service_items, _) = Owner::condition(&Owner::Service(0));
        let (module_items, _) = Owner::condition(&Owner::Module);
        format!(
            // The two owners' items in two arms rather than one OR: the same index searches,
            // and a statement SQLite prepares faster.
            "SELECT {rel_type}, rel_id, {key_text}, {value}, id FROM {items} WHERE {service_items} \
             UNION ALL SELECT {rel_type}, rel_id, {key_text}, {value}, id FROM {items} WHERE {module_items} \
             UNION ALL SELECT 'status', NULL, NULL, {status}, 0 FROM tblhosting WHERE id = ? \
             UNION ALL SELECT 'debug', NULL, NULL, {setting}, 0 FROM tblconfiguration WHERE setting = ? \
             UNION ALL SELECT 'vm_read', NULL, {vm_id}, {vm}, read_at FROM {VM_TABLE} WHERE service_id = ? \
             UNION ALL SELECT 'spent', window_start, NULL, NULL, spent FROM {SPENT_TABLE} WHERE client_id = ?",
            rel_type = text("rel_type"),
            key_text = text(datastore::quote_key(dialect)),
            value = text("value"),
            items = datastore::TABLE,
            status = text("domainstatus"),
            setting = text("value"),
            vm_id = text("vm_id"),
            vm = text("vm"),
        )
    })
}
