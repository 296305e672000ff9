//! What the client chose for a service in the synced configurable options: data center, disk
//! template, custom disk size, extra IPv4 addresses, backups. Read through the option ids the sync keeps (as the PHP module
//! does), so a provider who renames an option loses nothing; by option name otherwise, for
//! options a provider made by hand.

use crate::service::option_sync::{
    stored_id, value_of, OptionSpec, BACKUPS, CUSTOM_DISK_SIZE, DATA_CENTER, DISK_TEMPLATE,
    EXTRA_IPV4,
};
use crate::service::params::ServiceParams;
use crate::store::{DataStore, Sql, SqlValue, StoreError};

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ChosenOptions {
    pub data_center: Option<String>,
    pub disk_template: Option<String>,
    /// The system disk size asked for; None when not chosen or 0.
    pub disk_size_gb: Option<u32>,
    /// Extra IPv4 addresses paid for beside the VM's own.
    pub extra_ipv4: u32,
    /// The "Backups" choice's value: a retention, or 0 for none.
    pub backups: Option<String>,
}

impl ChosenOptions {
    pub fn for_service(
        sql: &dyn Sql,
        store: &DataStore<'_>,
        params: &ServiceParams,
    ) -> Result<Self, StoreError> {
        let chosen = |spec: &OptionSpec| -> Result<Option<String>, StoreError> {
            let by_id = match stored_id(store, spec.key)? {
                Some(option) => chosen_value(sql, params.service_id, option)?,
                None => None,
            };
            Ok(by_id.or_else(|| params.configurable_option(spec.name).map(str::to_string)))
        };
        Ok(Self {
            data_center: chosen(&DATA_CENTER)?,
            disk_template: chosen(&DISK_TEMPLATE)?,
            disk_size_gb: chosen(&CUSTOM_DISK_SIZE)?
                .and_then(|size| size.parse::<u32>().ok())
                .filter(|size| *size > 0),
            extra_ipv4: quantity(chosen(&EXTRA_IPV4)?),
            backups: chosen(&BACKUPS)?,
        })
    }

    /// The extra IPv4 addresses of a service, where WHMCS's `$params` are not at hand (the
    /// build sync): by the option id the sync keeps.
    pub fn extra_ipv4_of(
        sql: &dyn Sql,
        store: &DataStore<'_>,
        service_id: u64,
    ) -> Result<u32, StoreError> {
        Ok(match stored_id(store, EXTRA_IPV4.key)? {
            Some(option) => quantity(chosen_value(sql, service_id, option)?),
            None => 0,
        })
    }
}

fn quantity(value: Option<String>) -> u32 {
    value.and_then(|q| q.parse().ok()).unwrap_or(0)
}

/// The service's value for one option: a quantity's number, or the chosen choice's value.
fn chosen_value(sql: &dyn Sql, service_id: u64, option: i64) -> Result<Option<String>, StoreError> {
    let rows = sql.query(
        "SELECT o.optiontype, h.qty, s.optionname FROM tblhostingconfigoptions h JOIN tblproductconfigoptions o ON o.id = h.configid LEFT JOIN tblproductconfigoptionssub s ON s.id = h.optionid WHERE h.relid = ? AND h.configid = ? ORDER BY h.id DESC",
        &[SqlValue::Int(service_id as i64), SqlValue::Int(option)],
    )?;
    let Some(row) = rows.into_iter().next() else {
        return Ok(None);
    };
    let kind = row[0].as_int();
    let value = if kind == Some(4) {
        row[1].as_int().map(|qty| qty.to_string())
    } else {
        row[2].as_text().map(|name| value_of(name).to_string())
    };
    Ok(value.filter(|v| !v.is_empty()))
}
