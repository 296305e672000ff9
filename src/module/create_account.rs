//! `katapult_CreateAccount()`: a paid order becomes a VM build, requested and left to run.
//!
//! The story: look for what an earlier call may have done (a VM, a pending build, a VM built for
//! this service but never recorded), so a second call never builds twice; find or create the
//! client's managed organization; request the build with the product's package, data center and
//! disk template (or the client's configurable options) and a hostname from the domain; record
//! the build; fire KatapultVirtualMachineBuildRequested; return at once. The build-sync cron
//! finishes the job when Katapult has built the VM.

use crate::api::builds::{BuildRef, BuildRequest, BuildState};
use crate::api::data_centers::DataCenterRef;
use crate::api::disk_templates::DiskTemplateRef;
use crate::api::organizations::OrganizationRef;
use crate::api::packages::PackageRef;
use crate::api::virtual_machines::{VirtualMachineRef, VirtualMachineState};
use crate::api::Annotation;
use crate::service::build_sync;
use crate::service::chosen_options::ChosenOptions;
use crate::service::context::{Context, ModuleError};
use crate::service::links::{
    ServiceLinks, VM_BUILD_FAILED_AT, VM_BUILD_ID, VM_BUILD_STARTED_AT, VM_BUILD_TIMEOUT_REACHED_AT,
};
use crate::service::managed_organization;
use crate::service::params::{hostname_from_domain, ServiceParams};
use crate::service::vm_target::trash_vm;
use crate::store::sql::transaction;
use crate::store::Owner;

pub const SERVICE_ANNOTATION: &str = "whmcs_service_id";
pub const HOOK_BUILD_REQUESTED: &str = "KatapultVirtualMachineBuildRequested";

/// What WHMCS shows: `success`, or what stopped the build and what to do.
pub fn create_account(ctx: &Context<'_>, params: &ServiceParams) -> String {
    super::said(run(ctx, params), "the VM build was not requested")
}

fn run(ctx: &Context<'_>, params: &ServiceParams) -> Result<String, ModuleError> {
    let store = ctx.store()?;
    let client = ctx.client(&store)?;
    ctx.logged(&client, || {
        let service = Owner::Service(params.service_id);
        let links = ServiceLinks::read(&store, params.service_id)?;

        // 1. Never a second VM or a second build for the same service.
        if let Some(vm_id) = &links.vm_id {
            return Ok(format!("This service already has a Katapult VM ({vm_id}); no new build was requested."));
        }
        if let Some(build_id) = &links.vm_build_id {
            match client.virtual_machine_build(&BuildRef::Id(build_id.clone())) {
                Ok(build) if build.state == BuildState::Failed => {
                    // A build can fail after its VM appeared: that VM goes, or it would run beside
                    // the new one (and hold the hostname).
                    let left = match build.virtual_machine {
                        Some(vm) => match trash_vm(&client, &vm.id)? {
                            Some(_) => format!("; VM {} it left was moved to Katapult's trash", vm.id),
                            None => String::new(),
                        },
                        None => String::new(),
                    };
                    ctx.log_for_service(params.service_id, Some(params.client_id), &format!("build {build_id} had failed{left}; requesting a new one"));
                }
                Ok(build) => {
                    return Ok(format!("A build for this service is already under way ({build_id}, {}); it was not requested again.", build.state.as_str()));
                }
                Err(error) if error.is_not_found() => {
                    return Ok(format!("A build for this service was requested ({build_id}) and Katapult does not list it yet; try again in a minute."));
                }
                Err(error) => return Err(error.into()),
            }
        }

        // 2. The client's managed organization, and a VM an earlier attempt built but never recorded.
        let parent = ctx.parent_organization(&store, &client)?;
        let organization = managed_organization::for_client(ctx, &store, &client, &parent, params.client_id, &params.client_label())?;
        let mark = ctx.whmcs_annotation(&store, SERVICE_ANNOTATION, params.service_id)?;
        // Adopted only on the fetched VM's own annotations carrying this installation's exact
        // mark (the list's filter alone is the server's word), and once its build is complete:
        // a VM is `stopped` while it is built, and a failed build leaves it so.
        for found in client.virtual_machines(&organization, Some(&mark))? {
            let fetched = client.virtual_machine(&VirtualMachineRef::Id(found.id.clone()))?;
            if !fetched.annotations.contains(&mark) {
                continue;
            }
            let vm = fetched.virtual_machine;
            let built = matches!(vm.state, VirtualMachineState::Starting | VirtualMachineState::Started);
            if !built || !build_sync::is_ready(&vm) {
                return Err(ModuleError::Product(format!("Katapult has VM {} for this service, {}, from an earlier request whose answer was lost: it is still being built, or its build failed. Press Create again in a minute to link it; if it stays stopped, delete it in Katapult and press Create", vm.id, vm.state.as_str())));
            }
            ctx.log_for_service(params.service_id, Some(params.client_id), &format!("found VM {} built for it earlier; writing it in", vm.id));
            build_sync::adopt(ctx, &store, params.service_id, &vm)?;
            return Ok("success".into());
        }

        // 3. The build.
        let chosen = ChosenOptions::for_service(ctx.sql, &store, params)?;
        let request = build_request(params, &chosen, organization, mark)?;
        // A chosen disk below the template's smallest (where Katapult gives one) is said before
        // building, in the client's terms; Katapult's own refusal says the same when it has none.
        if let (Some(size), Some(template)) = (request.system_disk_size_in_gb, &request.disk_template) {
            if let Some(min) = client.disk_template(template)?.size_in_gb.filter(|min| size < *min) {
                return Err(ModuleError::Product(format!("the chosen disk size ({size} GB) is below the {min} GB the disk template needs: choose a larger disk")));
            }
        }
        let (build, _) = client.build_virtual_machine(&request).map_err(|error| {
            if error.code() == Some("validation_error") && error.to_string().contains("Hostname has already been taken") {
                ModuleError::Product(format!(
                    "the client's Katapult organization already has a VM (or a build) named {}: if an earlier attempt built it for this service, it is linked on the next try once built; otherwise change the service's domain ({error})",
                    request.hostname.as_deref().unwrap_or_default()
                ))
            } else {
                error.into()
            }
        })?;
        transaction(ctx.sql, || {
            store.set_text(service, VM_BUILD_ID, &build.id, Some(&build.id), ctx.now)?;
            store.set_time(service, VM_BUILD_STARTED_AT, ctx.now, ctx.now)?;
            for stale in [VM_BUILD_TIMEOUT_REACHED_AT, VM_BUILD_FAILED_AT] {
                store.delete(service, stale)?;
            }
            Ok::<_, crate::store::StoreError>(())
        })?;
        ctx.log_for_service(params.service_id, Some(params.client_id), &format!("requested VM build {}", build.id));
        // Hook code runs after the build is recorded; its failure is logged, never the build's.
        ctx.fire_hook(HOOK_BUILD_REQUESTED, params.service_id, Some(params.client_id));
        Ok("success".into())
    })
}

/// What to build: the client's configurable options where chosen, else the product's Module
/// Settings (configoption1..3).
fn build_request(
    params: &ServiceParams,
    chosen: &ChosenOptions,
    organization: OrganizationRef,
    mark: Annotation,
) -> Result<BuildRequest, ModuleError> {
    let product = |n: usize| Some(params.config_option(n).to_string()).filter(|v| !v.is_empty());
    let missing = |what: &str, option: &str| {
        ModuleError::Product(format!("no {what} is set: choose one in the product's Module Settings, or give the product a \"{option}\" configurable option"))
    };
    let package = params
        .configurable_option("Package")
        .map(str::to_string)
        .or_else(|| product(1))
        .ok_or_else(|| missing("VM package", "Package"))?;
    let data_center = chosen
        .data_center
        .clone()
        .or_else(|| product(2))
        .ok_or_else(|| missing("data center", "Data Center"))?;
    let disk_template = chosen
        .disk_template
        .clone()
        .or_else(|| product(3))
        .ok_or_else(|| missing("disk template", "Disk Template"))?;
    Ok(BuildRequest {
        organization,
        package: PackageRef::from(package.as_str()),
        data_center: DataCenterRef::from(data_center.as_str()),
        disk_template: Some(DiskTemplateRef::from(disk_template.as_str())),
        disk_template_options: vec![],
        system_disk_size_in_gb: chosen.disk_size_gb,
        hostname: hostname_from_domain(&params.domain),
        annotations: vec![mark],
    })
}
