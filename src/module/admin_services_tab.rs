//! `katapult_AdminServicesTabFields()`: what the admin sees of the VM on the service page: the
//! VM (linked to Katapult), its live state and its addresses' reverse DNS (editable, saved by
//! `admin_services_tab_save`), the build and how long it has run, its backups, a VM a termination
//! left in Katapult's trash, and the managed organization. Quick: a Katapult failure shows in the
//! field, never breaks the page. The "Refresh from Katapult" button (`refresh_from_katapult`) does the writing.

use chrono::{DateTime, Utc};

use crate::api::virtual_machines::VirtualMachineRef;
use crate::service::backups::BackupRecord;
use crate::service::context::{Context, ModuleError};
use crate::service::imported_vm;
use crate::service::links::MANAGED_ORG_ID;
use crate::service::module_hooks;
use crate::service::params::ServiceParams;
use crate::store::Owner;

use crate::views::escape;

use super::admin_services_tab_save;
use super::restore_vm;

/// Label → HTML, in order. `vm_link` is the admin's link pattern with `{organization}` and `{vm}`.
pub fn fields(ctx: &Context<'_>, params: &ServiceParams, vm_link: &str) -> Vec<(String, String)> {
    match run(ctx, params, vm_link) {
        Ok(fields) => fields,
        Err(error) => vec![("Katapult".into(), escape(&error.to_string()))],
    }
}

fn run(
    ctx: &Context<'_>,
    params: &ServiceParams,
    vm_link: &str,
) -> Result<Vec<(String, String)>, ModuleError> {
    let store = ctx.store()?;
    let links = imported_vm::links(ctx, &store, params)?;
    let organization = store.get_text(Owner::Client(params.client_id), MANAGED_ORG_ID)?;
    let mut fields = Vec::new();
    if !module_hooks::loaded(ctx)? {
        fields.push((
            "Katapult hooks".to_string(),
            format!(
                r#"<span class="text-danger">{}</span>"#,
                escape(module_hooks::NOT_LOADED)
            ),
        ));
    }

    fields.push((
        "Katapult VM".to_string(),
        match (&links.vm_id, &organization) {
            (Some(vm), Some(org)) if !vm_link.is_empty() => {
                let url = vm_link.replace("{organization}", org).replace("{vm}", vm);
                format!(
                    r#"<a href="{}" target="_blank" rel="noopener">{}</a>"#,
                    escape(&url),
                    escape(vm)
                )
            }
            (Some(vm), _) => format!("<code>{}</code>", escape(vm)),
            (None, _) => r#"<span class="text-muted">none yet</span>"#.to_string(),
        },
    ));

    if let Some(vm) = &links.vm_id {
        let read = ctx.client(&store).and_then(|client| {
            ctx.logged(&client, || {
                client.virtual_machine(&VirtualMachineRef::Id(vm.clone()))
            })
            .map_err(ModuleError::from)
        });
        let state = read
            .as_ref()
            .map(|response| response.virtual_machine.state.as_str().replace('_', " "));
        fields.push(("VM state".into(), match state {
            Ok(state) => format!(r#"<span class="label label-default badge badge-secondary katapult-vm-state">{}</span>"#, escape(&state)),
            Err(error) => format!(r#"<span class="text-danger">unknown: {}</span>"#, escape(&error.to_string())),
        }));
        if let Ok(response) = &read {
            fields.push((
                "Reverse DNS".into(),
                admin_services_tab_save::reverse_dns_field(&response.virtual_machine),
            ));
        }
    }

    if let Some(build) = &links.vm_build_id {
        let state = if links.vm_id.is_some() {
            "built".to_string()
        } else if let Some(failed) = links.vm_build_failed_at {
            format!(
                "failed {} (press Create to build again, or Terminate)",
                ago(failed, ctx.now)
            )
        } else {
            let mut text = format!(
                "building for {}",
                duration(links.vm_build_started_at, ctx.now)
            );
            if let Some(at) = links.vm_build_timeout_reached_at {
                text.push_str(&format!(
                    "; timed out {} (KatapultVirtualMachineBuildTimedOut fired)",
                    ago(at, ctx.now)
                ));
            }
            text
        };
        fields.push((
            "Katapult build".into(),
            format!("<code>{}</code> {}", escape(build), escape(&state)),
        ));
    }

    if let Some(record) = BackupRecord::read(&store, params.service_id)? {
        fields.push((
            "Backups".into(),
            escape(&format!(
                "{} daily, at {:02}:00 UTC (policy {})",
                record.retention, record.hour, record.policy_id
            )),
        ));
    }
    fields.extend(restore_vm::trash_field(ctx, params.service_id)?);

    fields.push((
        "Managed organization".into(),
        match &organization {
            Some(org) => format!("<code>{}</code>", escape(org)),
            None => {
                r#"<span class="text-muted">none yet (made by the client's first Create)</span>"#
                    .to_string()
            }
        },
    ));
    Ok(fields)
}

/// The installed extension's version beside the module files' (`KATAPULT_MODULE_VERSION` of the
/// copy WHMCS loaded; `None` from module files older than that constant), with a warning when
/// they differ: an upgrade replaced one and not the other (the .deb upgrades the extension, the
/// module files in WHMCS are a copy).
pub fn versions(extension: &str, module_files: Option<&str>) -> (String, String) {
    let module_files_text = module_files.unwrap_or("unknown (older than 0.1.0)");
    let text = format!("extension {extension}, module files {module_files_text}");
    let html = if module_files == Some(extension) {
        escape(&text)
    } else {
        format!(
            r#"<span class="text-danger">{}</span>"#,
            escape(&format!(
                "{text}: they differ. Install both from the same release (copy the module files \
                 into modules/servers/katapult again, or install the extension of their version), \
                 then restart PHP-FPM."
            ))
        )
    };
    ("Katapult version".into(), html)
}

fn duration(since: Option<DateTime<Utc>>, now: DateTime<Utc>) -> String {
    let Some(since) = since else {
        return "an unknown time".into();
    };
    let minutes = (now - since).num_minutes().max(0);
    match minutes {
        0 => "less than a minute".into(),
        1 => "1 minute".into(),
        m if m < 120 => format!("{m} minutes"),
        m => format!("{} hours", m / 60),
    }
}

fn ago(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    format!(
        "{} ago ({})",
        duration(Some(at), now),
        at.format("%Y-%m-%d %H:%M UTC")
    )
}

#[cfg(test)]
mod tests {
    use super::versions;

    #[test]
    fn the_versions_side_by_side_say_nothing_more_when_they_match() {
        let (label, html) = versions("0.2.0", Some("0.2.0"));
        assert_eq!(label, "Katapult version");
        assert_eq!(html, "extension 0.2.0, module files 0.2.0");
    }

    #[test]
    fn differing_versions_are_a_warning_naming_both() {
        let (_, html) = versions("0.3.0", Some("0.2.0"));
        assert!(html.starts_with(r#"<span class="text-danger">"#), "{html}");
        assert!(
            html.contains("extension 0.3.0, module files 0.2.0: they differ"),
            "{html}"
        );
    }

    #[test]
    fn module_files_that_do_not_say_their_version_are_older_and_warned_about() {
        let (_, html) = versions("0.1.0", None);
        assert!(html.contains("text-danger"), "{html}");
        assert!(
            html.contains("module files unknown (older than 0.1.0)"),
            "{html}"
        );
    }
}
