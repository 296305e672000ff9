//! Backups: what a product offers (Module Settings), what the client chose (the "Backups"
//! configurable option), and the one Katapult disk backup policy on the VM that follows them.
//!
//! The policy is set on the VM, so it covers every disk; it keeps the chosen number of daily
//! backups, taken at an hour the product allows. What was last set is kept in the service's
//! datastore, so the client area shows it without asking Katapult on every page.

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use super::chosen_options::ChosenOptions;
use super::context::{Context, ModuleError};
use super::params::ServiceParams;
use super::vm_options_lock;
use crate::api::disk_backup_policies::{DailyBackups, DiskBackupPolicy, DiskBackupPolicyRef};
use crate::api::virtual_machines::VirtualMachineRef;
use crate::api::Client;
use crate::store::sql::transaction;
use crate::store::{DataStore, Owner, Sql, SqlValue, StoreError};

/// Module Settings: the retentions offered ("7, 14, 30"), the hours a backup may start at
/// ("1-5"), and whether Terminate purges the VM at once.
pub const RETENTIONS_SETTING: usize = 6;
pub const HOURS_SETTING: usize = 7;
pub const PURGE_SETTING: usize = 8;

/// The service's datastore key for the policy last set.
const POLICY_KEY: &str = "backup_policy";

/// What a product offers: the retentions a client may choose and the hours backups may start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupOffer {
    pub retentions: Vec<u32>,
    /// In order; the first is the hour a new policy gets.
    pub hours: Vec<u32>,
}

impl BackupOffer {
    /// From the product's settings: retentions as "7, 14, 30"; hours as "1-5", "2, 3, 22" or
    /// empty (any hour, from 0).
    pub fn parse(retentions: &str, hours: &str) -> Result<Self, String> {
        let mut offered = Vec::new();
        for part in retentions
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            match part.parse::<u32>() {
                Ok(n @ 1..=1000) if !offered.contains(&n) => offered.push(n),
                Ok(1..=1000) => {}
                _ => return Err(format!("\"{part}\" in the product's backup retentions is not a number of backups from 1 to 1000")),
            }
        }
        let mut allowed = Vec::new();
        for part in hours.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let hour = |text: &str| {
                match text.trim().parse::<u32>() {
                Ok(h @ 0..=23) => Ok(h),
                _ => Err(format!("\"{part}\" in the product's backup hours is not an hour from 0 to 23 (or a range such as 1-5)")),
            }
            };
            let (from, to) = match part.split_once('-') {
                Some((from, to)) => (hour(from)?, hour(to)?),
                None => (hour(part)?, hour(part)?),
            };
            if from > to {
                return Err(format!(
                    "the backup hours \"{part}\" run backwards: write the earlier hour first"
                ));
            }
            allowed.extend(
                (from..=to)
                    .filter(|h| !allowed.contains(h))
                    .collect::<Vec<_>>(),
            );
        }
        if allowed.is_empty() {
            allowed = (0..24).collect();
        }
        Ok(Self {
            retentions: offered,
            hours: allowed,
        })
    }

    /// The offer of the service's product, from its params.
    pub fn of(params: &ServiceParams) -> Result<Self, ModuleError> {
        Self::parse(
            params.config_option(RETENTIONS_SETTING),
            params.config_option(HOURS_SETTING),
        )
        .map_err(ModuleError::Product)
    }

    /// The policy for the client's choice (None or 0: no backups), at `hour` if the product
    /// allows it, else at its first hour. A retention the product does not offer is refused.
    pub fn policy_for(
        &self,
        chosen: Option<u32>,
        hour: Option<u32>,
    ) -> Result<Option<DailyBackups>, ModuleError> {
        let Some(retention) = chosen.filter(|n| *n > 0) else {
            return Ok(None);
        };
        if !self.retentions.contains(&retention) {
            return Err(ModuleError::Product(format!(
                "the client chose {retention} backups, which the product does not offer (its Module Settings offer: {})",
                self.offered()
            )));
        }
        let hour = hour
            .filter(|h| self.hours.contains(h))
            .unwrap_or(self.hours[0]);
        Ok(Some(DailyBackups { retention, hour }))
    }

    fn offered(&self) -> String {
        if self.retentions.is_empty() {
            return "none".into();
        }
        let list: Vec<String> = self.retentions.iter().map(u32::to_string).collect();
        list.join(", ")
    }
}

/// The policy last set on the service's VM, as the module keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupRecord {
    pub policy_id: String,
    pub retention: u32,
    pub hour: u32,
    /// Katapult's next run (Unix time), when it gave one.
    pub next_run_at: Option<i64>,
}

impl BackupRecord {
    fn of(policy: &DiskBackupPolicy, asked: DailyBackups) -> Self {
        let schedule = policy.schedule.as_ref();
        Self {
            policy_id: policy.id.clone(),
            retention: policy.retention.unwrap_or(asked.retention),
            hour: schedule.and_then(|s| s.time).unwrap_or(asked.hour),
            next_run_at: schedule.and_then(|s| s.next_invocation_at),
        }
    }

    pub fn read(store: &DataStore<'_>, service_id: u64) -> Result<Option<Self>, StoreError> {
        Ok(store
            .get_text(Owner::Service(service_id), POLICY_KEY)?
            .and_then(|json| serde_json::from_str(&json).ok()))
    }

    fn write(
        record: Option<&Self>,
        store: &DataStore<'_>,
        service_id: u64,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let owner = Owner::Service(service_id);
        match record.and_then(|r| serde_json::to_string(r).ok()) {
            Some(json) => store.set_text(owner, POLICY_KEY, &json, None, now),
            None => store.delete(owner, POLICY_KEY).map(|_| ()),
        }
    }

    /// The next run while it is still ahead.
    pub fn next_run(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.next_run_at
            .and_then(|at| Utc.timestamp_opt(at, 0).single())
            .filter(|at| *at > now)
    }
}

/// The "Backups" option's choices: none, then every retention a Katapult product offers
/// (`value|Name`, as the option sync adds them).
pub fn choices(sql: &dyn Sql) -> Result<Vec<(String, String)>, ModuleError> {
    let settings = sql.query(
        &format!("SELECT configoption{RETENTIONS_SETTING} FROM tblproducts WHERE servertype = 'katapult' ORDER BY id"),
        &[],
    )?;
    let mut retentions: Vec<u32> = settings
        .iter()
        .filter_map(|row| row.first()?.as_text())
        // A product whose setting does not parse says so when it is used; it adds nothing here.
        .filter_map(|text| BackupOffer::parse(text, "").ok())
        .flat_map(|offer| offer.retentions)
        .collect();
    retentions.sort_unstable();
    retentions.dedup();
    Ok(std::iter::once(("0".to_string(), "No backups".to_string()))
        .chain(
            retentions
                .into_iter()
                .map(|n| (n.to_string(), format!("{n} daily backups"))),
        )
        .collect())
}

/// The client's "Backups" choice: a retention, or 0 for none.
pub fn chosen_retention(
    ctx: &Context<'_>,
    store: &DataStore<'_>,
    params: &ServiceParams,
) -> Result<Option<u32>, ModuleError> {
    let chosen = ChosenOptions::for_service(ctx.sql, store, params)?.backups;
    chosen
        .map(|value| {
            value.trim().parse::<u32>().map_err(|_| {
                ModuleError::Product(format!(
                    "the \"Backups\" choice \"{value}\" is not a number of backups (write choices as 7|7 daily backups, or 0|No backups)"
                ))
            })
        })
        .transpose()
}

/// Brings the VM's policies in line with `wanted`: one policy with its retention and hour (the
/// first changed, any other deleted), or none. Records it, logs a change, and says it in a line.
/// The caller holds the service's `vm_options_lock`.
pub fn apply(
    ctx: &Context<'_>,
    store: &DataStore<'_>,
    client: &Client,
    params: &ServiceParams,
    vm: &VirtualMachineRef,
    wanted: Option<DailyBackups>,
) -> Result<String, ModuleError> {
    let mut existing = client.virtual_machine_disk_backup_policies(vm)?.into_iter();
    let mut changed = false;
    let kept = match (wanted, existing.next()) {
        (Some(backups), None) => {
            changed = true;
            let created = client.create_virtual_machine_disk_backup_policy(vm, backups)?;
            Some((BackupRecord::of(&created, backups), "set"))
        }
        (Some(backups), Some(first)) => {
            let hour = match BackupRecord::read(store, params.service_id)? {
                Some(record) if record.policy_id == first.id => Some(record.hour),
                _ => None,
            };
            let already = first.retention == Some(backups.retention) && hour == Some(backups.hour);
            let policy = if already {
                first
            } else {
                changed = true;
                client.update_disk_backup_policy(&DiskBackupPolicyRef::Id(first.id), backups)?
            };
            Some((BackupRecord::of(&policy, backups), "changed"))
        }
        (None, Some(first)) => {
            changed = true;
            client.delete_disk_backup_policy(&DiskBackupPolicyRef::Id(first.id))?;
            None
        }
        (None, None) => None,
    };
    // While the module manages the VM's backups, one policy is the service's: any other goes.
    for extra in existing {
        changed = true;
        client.delete_disk_backup_policy(&DiskBackupPolicyRef::Id(extra.id))?;
    }
    let record = kept.as_ref().map(|(record, _)| record);
    transaction(ctx.sql, || {
        BackupRecord::write(record, store, params.service_id, ctx.now)
    })?;
    let said = match &kept {
        Some((r, verb)) => format!(
            "backups {verb}: {} daily, at {:02}:00 UTC (policy {})",
            r.retention, r.hour, r.policy_id
        ),
        None => "no backups".to_string(),
    };
    if changed {
        ctx.log_for_service(params.service_id, Some(params.client_id), &said);
    }
    Ok(said)
}

/// The policy for the service as its product and the client's choice say, applied to `vm`: on
/// ChangePackage, "Refresh from Katapult", after a restore. The hour set before is kept while
/// the product still allows it; without a record of it (a VM back from the trash), the hour
/// of the VM's policy in Katapult.
/// The caller holds the service's `vm_options_lock`.
pub fn follow_choice(
    ctx: &Context<'_>,
    store: &DataStore<'_>,
    client: &Client,
    params: &ServiceParams,
    vm: &VirtualMachineRef,
) -> Result<String, ModuleError> {
    let record = BackupRecord::read(store, params.service_id)?;
    if record.is_none() && wanted(ctx, store, params, None)?.is_none() {
        // No policy the module set, and none wanted: nothing to ask Katapult (a policy a
        // provider made by hand in Katapult is theirs).
        return Ok("no backups".into());
    }
    let hour = match record {
        Some(record) => Some(record.hour),
        None => match client.virtual_machine_disk_backup_policies(vm)?.first() {
            Some(policy) => client
                .disk_backup_policy(&DiskBackupPolicyRef::Id(policy.id.clone()))?
                .schedule
                .and_then(|s| s.time),
            None => None,
        },
    };
    let wanted = wanted(ctx, store, params, hour)?;
    apply(ctx, store, client, params, vm, wanted)
}

/// The policy the service's product and the client's choice ask for, at `hour` if allowed.
fn wanted(
    ctx: &Context<'_>,
    store: &DataStore<'_>,
    params: &ServiceParams,
    hour: Option<u32>,
) -> Result<Option<DailyBackups>, ModuleError> {
    let offer = BackupOffer::of(params)?;
    let chosen = chosen_retention(ctx, store, params)?;
    offer.policy_for(chosen, hour)
}

/// After the build sync wrote a new VM in: the service's backups applied. It has no `$params`,
/// so the product's settings and the client come from WHMCS's tables. A failure is logged (the
/// build stands); ChangePackage or "Refresh from Katapult" sets the policy later.
pub fn after_build(ctx: &Context<'_>, store: &DataStore<'_>, service_id: u64, vm_id: &str) {
    let applied = vm_options_lock::holding(ctx, service_id, || {
        let params = stored_params(ctx, service_id)?;
        // A new VM has no policy: without backups there is nothing to ask Katapult.
        let Some(backups) = wanted(ctx, store, &params, None)? else {
            return Ok(());
        };
        let client: Arc<Client> = ctx.client(store)?;
        let vm = VirtualMachineRef::Id(vm_id.to_string());
        ctx.logged(&client, || {
            // Only a first policy: one a ChangePackage set since stands.
            if client.virtual_machine_disk_backup_policies(&vm)?.is_empty() {
                apply(ctx, store, &client, &params, &vm, Some(backups))?;
            }
            Ok(())
        })
    });
    if let Err(error) = applied {
        ctx.log_for_service(
            service_id,
            None,
            &format!("the VM's backups were not set: {error}; \"Refresh from Katapult\" or ChangePackage sets them"),
        );
    }
}

/// A service's params as far as backups read them: its client and its product's settings.
fn stored_params(ctx: &Context<'_>, service_id: u64) -> Result<ServiceParams, ModuleError> {
    let settings: Vec<String> = (1..=24).map(|n| format!("p.configoption{n}")).collect();
    let rows = ctx.sql.query(
        &format!(
            "SELECT h.userid, {} FROM tblhosting h JOIN tblproducts p ON p.id = h.packageid WHERE h.id = ?",
            settings.join(", ")
        ),
        &[SqlValue::Int(service_id as i64)],
    )?;
    let row = rows.into_iter().next().ok_or_else(|| {
        ModuleError::Product(format!(
            "service {service_id} or its product is not in WHMCS"
        ))
    })?;
    let text = |v: &SqlValue| match v {
        SqlValue::Text(s) => s.trim().to_string(),
        SqlValue::Int(i) => i.to_string(),
        SqlValue::Null => String::new(),
    };
    Ok(ServiceParams {
        service_id,
        client_id: row[0].as_int().unwrap_or_default() as u64,
        config_options: row[1..].iter().map(text).collect(),
        ..ServiceParams::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offers_are_read_as_providers_write_them() {
        let offer = BackupOffer::parse(" 7, 14,30 ,7", "1-3, 22").unwrap();
        assert_eq!(offer.retentions, vec![7, 14, 30]);
        assert_eq!(offer.hours, vec![1, 2, 3, 22]);
        assert_eq!(BackupOffer::parse("", "").unwrap().hours.len(), 24);
        assert!(BackupOffer::parse("seven", "")
            .unwrap_err()
            .contains("seven"));
        assert!(BackupOffer::parse("7", "5-1")
            .unwrap_err()
            .contains("backwards"));
        assert!(BackupOffer::parse("7", "24").unwrap_err().contains("24"));
    }

    #[test]
    fn a_choice_becomes_a_policy_only_when_offered() {
        let offer = BackupOffer::parse("7, 14", "2-4").unwrap();
        assert_eq!(offer.policy_for(None, None).unwrap(), None);
        assert_eq!(offer.policy_for(Some(0), Some(3)).unwrap(), None);
        assert_eq!(
            offer.policy_for(Some(14), Some(3)).unwrap(),
            Some(DailyBackups {
                retention: 14,
                hour: 3
            })
        );
        // An hour the product no longer allows falls back to its first.
        assert_eq!(
            offer.policy_for(Some(7), Some(9)).unwrap(),
            Some(DailyBackups {
                retention: 7,
                hour: 2
            })
        );
        let refused = offer.policy_for(Some(30), None).unwrap_err().to_string();
        assert!(
            refused.contains("30") && refused.contains("7, 14"),
            "{refused}"
        );
    }
}
