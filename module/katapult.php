<?php
/**
 * Katapult for WHMCS: the provisioning module WHMCS loads from modules/servers/katapult/.
 *
 * Every function hands over to the katapult PHP extension (katapult.so, written in Rust), which
 * does the work: API calls, the datastore, logging. This file holds no logic. If the extension
 * is not loaded, WHMCS shows the message below instead of a blank page.
 *
 * @see https://developers.whmcs.com/provisioning-modules/
 */

if (!defined('WHMCS')) {
    die('This file cannot be accessed directly');
}

if (!extension_loaded('katapult')) {
    throw new RuntimeException('The Katapult module needs the katapult PHP extension: install it (make install) and restart PHP, then check with php --ri katapult.');
}

/**
 * Called when WHMCS loads the module.
 *
 * @return array{DisplayName: string, APIVersion: string, RequiresServer: bool, ServiceSingleSignOnLabel: string, AdminSingleSignOnLabel: string}
 */
function katapult_MetaData(): array
{
    return \Katapult\Module\metaData();
}

/**
 * Called for the product's Module Settings tab. The values are stored in tblproducts as
 * configoption1 (package), configoption2 (data center) and configoption3 (disk template).
 *
 * @return array<string, array<string, mixed>> field definitions, in configoption order
 */
function katapult_ConfigOptions(): array
{
    return \Katapult\Module\configOptions();
}

/**
 * Loader of the "Virtual machine package" dropdown; throws with a message WHMCS shows the admin.
 *
 * @return array<string, string> permalink => label
 */
function katapult_PackageLoader(array $params = []): array
{
    return \Katapult\Module\loadPackages($params);
}

/**
 * Loader of the "Data center" dropdown.
 *
 * @return array<string, string> permalink => name, after "client chooses" ('')
 */
function katapult_DataCenterLoader(array $params = []): array
{
    return \Katapult\Module\loadDataCenters($params);
}

/**
 * Loader of the "Disk template" dropdown.
 *
 * @return array<string, string> permalink => name, after "client chooses" ('')
 */
function katapult_DiskTemplateLoader(array $params = []): array
{
    return \Katapult\Module\loadDiskTemplates($params);
}

/**
 * Called when an order is accepted or paid (per the product's auto-setup), or by the admin's
 * Create button. Requests the VM build and returns at once; the build-sync cron finishes the job
 * when Katapult has built the VM. Calling it again never builds a second VM.
 *
 * @return string 'success', or what went wrong and what to do
 */
function katapult_CreateAccount(array $params): string
{
    return \Katapult\Module\createAccount($params);
}

/**
 * Called when the service is suspended (overdue, or by the admin). Shuts the VM down gracefully
 * and stops it if it has not shut down within katapult.suspend_grace seconds.
 *
 * @return string 'success', or what went wrong
 */
function katapult_SuspendAccount(array $params): string
{
    return \Katapult\Module\suspendAccount($params);
}

/**
 * Called when the service is unsuspended. Starts the VM.
 *
 * @return string 'success', or what went wrong
 */
function katapult_UnsuspendAccount(array $params): string
{
    return \Katapult\Module\unsuspendAccount($params);
}

/**
 * Called when the service is terminated. Deletes the VM to Katapult's trash and clears the
 * service's Katapult links; a VM already gone counts as terminated.
 *
 * @return string 'success', or what went wrong
 */
function katapult_TerminateAccount(array $params): string
{
    return \Katapult\Module\terminateAccount($params);
}

/**
 * Called after an upgrade or downgrade is paid, or by the admin. Moves the VM to the package now
 * in the service's product settings; a downgrade shuts the VM down, resizes it, and starts it.
 *
 * @return string 'success', or what went wrong
 */
function katapult_ChangePackage(array $params): string
{
    return \Katapult\Module\changePackage($params);
}

/**
 * Single sign-on ("Open Console"): a Katapult console session for the VM.
 *
 * @return array{success: bool, redirectTo?: string, errorMsg?: string}
 */
function katapult_ServiceSingleSignOn(array $params): array
{
    return \Katapult\Module\singleSignOn($params);
}

/**
 * The admin area's power buttons.
 *
 * @return array<string, string> button label => function suffix
 */
function katapult_AdminCustomButtonArray(): array
{
    return \Katapult\Module\powerButtons();
}

/**
 * The client area's power buttons.
 *
 * @return array<string, string> button label => function suffix
 */
function katapult_ClientAreaCustomButtonArray(): array
{
    return \Katapult\Module\powerButtons();
}

/** Button "Start VM". @return string 'success', or what went wrong */
function katapult_StartVm(array $params): string
{
    return \Katapult\Module\power($params, 'start');
}

/** Button "Shut down VM": asks the operating system to shut down. */
function katapult_ShutdownVm(array $params): string
{
    return \Katapult\Module\power($params, 'shutdown');
}

/** Button "Stop VM": stops at once, like pulling the plug. */
function katapult_StopVm(array $params): string
{
    return \Katapult\Module\power($params, 'stop');
}

/** Button "Reset VM": a hard reboot. */
function katapult_ResetVm(array $params): string
{
    return \Katapult\Module\power($params, 'reset');
}

/**
 * Called by the "Test Connection" button of a Katapult server. Checks the stored API key, the
 * parent organization and access to managed organizations.
 *
 * @return array{success: bool, error: string}
 */
function katapult_TestConnection(array $params): array
{
    return \Katapult\Module\testConnection($params);
}
