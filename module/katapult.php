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
 * Called by the "Test Connection" button of a Katapult server. Checks the stored API key, the
 * parent organization and access to managed organizations.
 *
 * @return array{success: bool, error: string}
 */
function katapult_TestConnection(array $params): array
{
    return \Katapult\Module\testConnection($params);
}
