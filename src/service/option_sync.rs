//! The "Katapult Virtual Machines" configurable-option group, kept in step with Katapult by the
//! daily cron (and when a new API key is saved): a Data Center and a Disk Template dropdown,
//! the Custom Disk Size (GB) and Extra IPv4 Addresses quantities, and a Backups dropdown (none,
//! or the retentions products offer).
//!
//! It keeps its ids under the PHP module's datastore keys, so a group that module made carries
//! on. Rules, for a provider's peace of mind: a new data center or template goes in hidden, with
//! zero prices, for the provider to price and show (only the very first sync shows what it adds);
//! nothing the provider set is renamed, repriced or deleted; and an option or group the provider
//! deleted stays deleted until they ask for a re-sync on a Katapult product's Other tab.

use chrono::Duration;

use crate::service::backups;
use crate::service::catalogue::{self, Choice};
use crate::service::context::{Context, ModuleError};
use crate::store::locks::{Locks, ZERO_WAIT};
use crate::store::sql::transaction;
use crate::store::{DataStore, Owner, PhpValue, Sql, SqlValue, StoreError};

pub const GROUP_NAME: &str = "Katapult Virtual Machines";
const GROUP_DESCRIPTION: &str = "Kept in step with Katapult by the Katapult module: new choices are added hidden, with zero prices.";
const GROUP_ID_KEY: &str = "vm_config_option_group_id";

/// WHMCS's option types (`tblproductconfigoptions.optiontype`).
const DROPDOWN: &str = "1";
const QUANTITY: &str = "4";

/// One option of the group: where its id is kept, its name, its WHMCS type.
pub struct OptionSpec {
    pub key: &'static str,
    pub name: &'static str,
    kind: &'static str,
}

pub const DATA_CENTER: OptionSpec = OptionSpec {
    key: "vm_config_option_datacenter_id",
    name: "Data Center",
    kind: DROPDOWN,
};
pub const DISK_TEMPLATE: OptionSpec = OptionSpec {
    key: "vm_config_option_disk_template_id",
    name: "Disk Template",
    kind: DROPDOWN,
};
pub const CUSTOM_DISK_SIZE: OptionSpec = OptionSpec {
    key: "vm_config_option_custom_disk_size_id",
    name: "Custom Disk Size (GB)",
    kind: QUANTITY,
};

pub const EXTRA_IPV4: OptionSpec = OptionSpec {
    key: "vm_config_option_extra_ipv4_id",
    name: "Extra IPv4 Addresses",
    kind: QUANTITY,
};

pub const BACKUPS: OptionSpec = OptionSpec {
    key: "vm_config_option_backups_id",
    name: "Backups",
    kind: DROPDOWN,
};

/// The quantity options' one priced unit each (the disk's as the PHP module names it).
const PRICE_PER_GB: (&str, &str) = ("price-per-gb", "Price Per GB");
const PRICE_PER_ADDRESS: (&str, &str) = ("price-per-address", "Price Per Address");

/// Two daily crons at once (two web nodes) must not build two groups.
const LOCK: &str = "configurable_option_sync";
const LOCK_TTL_MINUTES: i64 = 10;

/// Whether missing parts are made again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncMode {
    /// The daily cron: creates the group the first time, then only adds choices.
    Daily,
    /// Asked for on the product's Other tab: also re-creates a group or option that was deleted.
    Requested,
}

/// A choice a sync added to an option.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddedChoice {
    pub option: &'static str,
    pub value: String,
    pub hidden: bool,
}

/// At most this many values are named per option in the activity log; more are counted.
const NAMED_PER_OPTION: usize = 5;

/// What a sync changed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct OptionSyncReport {
    pub group_created: bool,
    pub products_linked: usize,
    pub options_created: Vec<String>,
    pub choices_added: Vec<AddedChoice>,
    /// Parts the provider deleted, left alone (daily mode).
    pub left_deleted: Vec<String>,
    /// Another sync held the lock; this one did nothing.
    pub skipped_busy: bool,
}

impl OptionSyncReport {
    /// One activity-log line when something changed; quiet when nothing did.
    pub fn summary(&self) -> Option<String> {
        let mut parts = Vec::new();
        if self.group_created {
            parts.push(format!(
                "created the \"{GROUP_NAME}\" group, linked to {} Katapult product(s)",
                self.products_linked
            ));
        }
        if !self.options_created.is_empty() {
            parts.push(format!("created {}", self.options_created.join(", ")));
        }
        for option in [
            DATA_CENTER.name,
            DISK_TEMPLATE.name,
            CUSTOM_DISK_SIZE.name,
            EXTRA_IPV4.name,
            BACKUPS.name,
        ] {
            let added: Vec<&AddedChoice> = self
                .choices_added
                .iter()
                .filter(|c| c.option == option)
                .collect();
            let Some(first) = added.first() else { continue };
            let values = if added.len() <= NAMED_PER_OPTION {
                added
                    .iter()
                    .map(|c| c.value.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            } else {
                format!("{} new", added.len())
            };
            let visibility = if first.hidden {
                "hidden until you show them"
            } else {
                "shown"
            };
            parts.push(format!(
                "{option} choices added: {values} (zero price, {visibility})"
            ));
        }
        (!parts.is_empty()).then(|| {
            format!(
                "[Katapult] Configurable options synced: {}",
                parts.join("; ")
            )
        })
    }
}

/// Brings the group in step with Katapult. Katapult is asked first, so a failed API call
/// changes nothing; the database work is one transaction.
pub fn sync_configurable_options(
    ctx: &Context<'_>,
    mode: SyncMode,
) -> Result<OptionSyncReport, ModuleError> {
    let store = ctx.store()?;
    let client = ctx.client(&store)?;
    let (data_centers, disk_templates) = ctx.logged(&client, || {
        Ok::<_, ModuleError>((
            catalogue::data_centers(&client)?,
            catalogue::disk_templates(ctx, &store, &client)?,
        ))
    })?;
    let unit = |(value, name): (&str, &str)| vec![(value.to_string(), name.to_string())];
    let wanted = [
        (&DATA_CENTER, data_centers),
        (&DISK_TEMPLATE, disk_templates),
        (&CUSTOM_DISK_SIZE, unit(PRICE_PER_GB)),
        (&EXTRA_IPV4, unit(PRICE_PER_ADDRESS)),
        (&BACKUPS, backups::choices(ctx.sql)?),
    ];

    let locks = Locks::open(ctx.sql, "option-sync")?;
    let tables = OptionTables {
        sql: ctx.sql,
        store: &store,
        ctx,
    };
    let synced =
        locks.while_claimed(LOCK, Duration::minutes(LOCK_TTL_MINUTES), ZERO_WAIT, || {
            transaction(ctx.sql, || tables.sync(mode, &wanted))
        })?;
    let Some(report) = synced else {
        return Ok(OptionSyncReport {
            skipped_busy: true,
            ..Default::default()
        });
    };
    if let Some(summary) = report.summary() {
        ctx.host.log_activity(&summary, None);
    }
    Ok(report)
}

/// The WHMCS tables the group lives in.
struct OptionTables<'a> {
    sql: &'a dyn Sql,
    store: &'a DataStore<'a>,
    ctx: &'a Context<'a>,
}

impl OptionTables<'_> {
    fn sync(
        &self,
        mode: SyncMode,
        wanted: &[(&OptionSpec, Vec<Choice>)],
    ) -> Result<OptionSyncReport, ModuleError> {
        let mut report = OptionSyncReport::default();
        let Some(group) = self.group(mode, &mut report)? else {
            return Ok(report);
        };
        for (order, (spec, choices)) in wanted.iter().enumerate() {
            let Some((option, created)) =
                self.option(spec, group, order as i64, mode, &mut report)?
            else {
                continue;
            };
            // A provider may turn the quantity into a dropdown of sizes; its unit then makes no sense.
            if spec.kind == QUANTITY && self.option_type(option)?.as_deref() != Some(QUANTITY) {
                continue;
            }
            for value in self.add_choices(option, choices, !created)? {
                report.choices_added.push(AddedChoice {
                    option: spec.name,
                    value,
                    hidden: !created,
                });
            }
        }
        Ok(report)
    }

    /// The group's id: the stored one while its row exists; else a new group linked to every
    /// Katapult product, unless the provider deleted it and this is the daily run.
    fn group(
        &self,
        mode: SyncMode,
        report: &mut OptionSyncReport,
    ) -> Result<Option<i64>, ModuleError> {
        let stored = self.stored_id(GROUP_ID_KEY)?;
        if let Some(id) = stored {
            if self.exists("tblproductconfiggroups", id)? {
                return Ok(Some(id));
            }
            if mode == SyncMode::Daily {
                report
                    .left_deleted
                    .push(format!("the \"{GROUP_NAME}\" group"));
                return Ok(None);
            }
        }
        let id = self.sql.insert(
            "INSERT INTO tblproductconfiggroups (name, description) VALUES (?, ?)",
            &[GROUP_NAME.into(), GROUP_DESCRIPTION.into()],
        )?;
        let products = self.sql.query(
            "SELECT id FROM tblproducts WHERE servertype = 'katapult' ORDER BY id",
            &[],
        )?;
        for product in &products {
            let product = product
                .first()
                .and_then(SqlValue::as_int)
                .unwrap_or_default();
            self.sql.execute(
                "INSERT INTO tblproductconfiglinks (gid, pid) VALUES (?, ?)",
                &[id.into(), product.into()],
            )?;
        }
        self.remember(GROUP_ID_KEY, id)?;
        report.group_created = true;
        report.products_linked = products.len();
        Ok(Some(id))
    }

    /// The option's id and whether it was made just now.
    fn option(
        &self,
        spec: &OptionSpec,
        group: i64,
        order: i64,
        mode: SyncMode,
        report: &mut OptionSyncReport,
    ) -> Result<Option<(i64, bool)>, ModuleError> {
        let stored = self.stored_id(spec.key)?;
        if let Some(id) = stored {
            // In the group: options of a deleted group are orphans, not the group's.
            let in_group = self.sql.query(
                "SELECT 1 FROM tblproductconfigoptions WHERE id = ? AND gid = ?",
                &[id.into(), group.into()],
            )?;
            if !in_group.is_empty() {
                return Ok(Some((id, false)));
            }
            if mode == SyncMode::Daily && !report.group_created {
                report
                    .left_deleted
                    .push(format!("the \"{}\" option", spec.name));
                return Ok(None);
            }
        }
        let id = self.sql.insert(
            "INSERT INTO tblproductconfigoptions (gid, optionname, optiontype, qtyminimum, qtymaximum, `order`, hidden) VALUES (?, ?, ?, 0, 0, ?, 0)",
            &[group.into(), spec.name.into(), spec.kind.into(), order.into()],
        )?;
        self.remember(spec.key, id)?;
        report
            .options_created
            .push(format!("the \"{}\" option", spec.name));
        Ok(Some((id, true)))
    }

    fn option_type(&self, option: i64) -> Result<Option<String>, ModuleError> {
        let rows = self.sql.query(
            "SELECT optiontype FROM tblproductconfigoptions WHERE id = ?",
            &[option.into()],
        )?;
        Ok(rows.first().and_then(|r| r.first()).and_then(|v| match v {
            SqlValue::Int(i) => Some(i.to_string()),
            SqlValue::Text(s) => Some(s.trim().to_string()),
            SqlValue::Null => None,
        }))
    }

    /// Adds the choices the option lacks (`value|Name`, matched on the value, so a provider's
    /// renamed label counts), each with zero prices in every currency. Returns the values added.
    fn add_choices(
        &self,
        option: i64,
        choices: &[Choice],
        hidden: bool,
    ) -> Result<Vec<String>, ModuleError> {
        let existing: Vec<String> = self
            .sql
            .query(
                "SELECT optionname FROM tblproductconfigoptionssub WHERE configid = ?",
                &[option.into()],
            )?
            .into_iter()
            .filter_map(|row| row.into_iter().next())
            .filter_map(|v| v.as_text().map(|s| value_of(s).to_string()))
            .collect();
        let mut next_order = self.sql.query(
            "SELECT COALESCE(MAX(sortorder), 0) FROM tblproductconfigoptionssub WHERE configid = ?",
            &[option.into()],
        )?
            .first().and_then(|r| r.first()).and_then(SqlValue::as_int).unwrap_or(0);
        let currencies = self
            .sql
            .query("SELECT id FROM tblcurrencies ORDER BY id", &[])?;
        let mut added = Vec::new();
        for (value, name) in choices {
            if existing.iter().any(|e| e.eq_ignore_ascii_case(value)) || added.contains(value) {
                continue;
            }
            next_order += 1;
            let choice = self.sql.insert(
                "INSERT INTO tblproductconfigoptionssub (configid, optionname, sortorder, hidden) VALUES (?, ?, ?, ?)",
                &[option.into(), format!("{value}|{name}").into(), next_order.into(), i64::from(hidden).into()],
            )?;
            for currency in &currencies {
                let currency = currency
                    .first()
                    .and_then(SqlValue::as_int)
                    .unwrap_or_default();
                self.sql.execute(
                    "INSERT INTO tblpricing (type, currency, relid, msetupfee, qsetupfee, ssetupfee, asetupfee, bsetupfee, tsetupfee, monthly, quarterly, semiannually, annually, biennially, triennially) VALUES ('configoptions', ?, ?, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)",
                    &[currency.into(), choice.into()],
                )?;
            }
            added.push(value.clone());
        }
        Ok(added)
    }

    fn stored_id(&self, key: &str) -> Result<Option<i64>, ModuleError> {
        Ok(stored_id(self.store, key)?)
    }

    fn remember(&self, key: &str, id: i64) -> Result<(), ModuleError> {
        // An int with no value_index, as the PHP module stores these ids.
        self.store
            .set(Owner::Module, key, &PhpValue::Int(id), None, self.ctx.now)?;
        Ok(())
    }

    fn exists(&self, table: &str, id: i64) -> Result<bool, ModuleError> {
        Ok(!self
            .sql
            .query(&format!("SELECT 1 FROM {table} WHERE id = ?"), &[id.into()])?
            .is_empty())
    }
}

/// A WHMCS row id the sync keeps under `key` (the PHP module's int, or text).
pub fn stored_id(store: &DataStore<'_>, key: &str) -> Result<Option<i64>, StoreError> {
    Ok(store
        .get_text(Owner::Module, key)?
        .and_then(|id| id.trim().parse().ok()))
}

/// The machine value of a choice: the part before `|`.
pub fn value_of(option_name: &str) -> &str {
    option_name.split('|').next().unwrap_or_default().trim()
}
