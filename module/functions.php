<?php
/**
 * Katapult for WHMCS: the module functions, loaded by katapult.php when the katapult PHP
 * extension is there.
 *
 * Every function hands over to the extension (katapult.so, written in Rust), which does the work:
 * API calls, the datastore, logging, templates. The only PHP here gathers what a client-area
 * request carries (session, posted token, language files) for the extension.
 *
 * @see https://developers.whmcs.com/provisioning-modules/
 */

if (!defined('WHMCS')) {
    die('This file cannot be accessed directly');
}

/**
 * Called when WHMCS loads the module.
 *
 * @return array{DisplayName: string, APIVersion: string, RequiresServer: bool, ServiceSingleSignOnLabel: string}
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
 * Single sign-on ("Open Console"): a Katapult console session for the VM. From the client area
 * the request must carry the console button's single-use token.
 *
 * @return array{success: bool, redirectTo?: string, errorMsg?: string}
 */
function katapult_ServiceSingleSignOn(array $params): array
{
    return \Katapult\Module\singleSignOn($params, katapult_client_request());
}

/**
 * The admin area's buttons: the power actions, "Refresh from Katapult" and "Restore VM".
 *
 * @return array<string, string> button label => function suffix
 */
function katapult_AdminCustomButtonArray(): array
{
    return \Katapult\Module\adminButtons();
}

/**
 * Button "Refresh from Katapult": checks a pending build now, or writes the VM's hostname and
 * addresses into the service again.
 *
 * @return string 'success', or what was found
 */
function katapult_RefreshFromKatapult(array $params): string
{
    return \Katapult\Module\refreshFromKatapult($params);
}

/**
 * Button "Restore VM": undoes a termination while Katapult still keeps the VM in its trash; the
 * VM is linked to the service again and the service is Active again.
 *
 * @return string 'success', or why nothing was restored
 */
function katapult_RestoreVm(array $params): string
{
    return \Katapult\Module\restoreVm($params);
}

/**
 * The backups section's "Change time" form (a POST with its single-use token): moves the daily
 * backup to the hour posted in katapult_backup_hour, if the product allows it.
 *
 * @return string 'success', or what went wrong
 */
function katapult_BackupTime(array $params): string
{
    return \Katapult\Module\backupTime($params, katapult_posted('katapult_backup_hour'), katapult_client_request());
}

/**
 * The admin's service page: the VM (linked to Katapult), its state, the build, the managed
 * organization, and the extension's version beside these module files' (katapult.php).
 *
 * @return array<string, string> label => HTML
 */
function katapult_AdminServicesTabFields(array $params): array
{
    return \Katapult\Module\adminServicesTabFields($params, KATAPULT_MODULE_VERSION);
}

/**
 * Saving the admin's service page: sets the reverse DNS names edited in the tab's "Reverse DNS"
 * field in Katapult. WHMCS shows nothing this returns; each outcome is in the activity log.
 *
 * @return null
 */
function katapult_AdminServicesTabFieldsSave(array $params)
{
    return \Katapult\Module\adminServicesTabSave($params, $_POST);
}

/**
 * The panel's reverse DNS form (POST katapult_ip, katapult_reverse_dns, with the form's
 * single-use token): the PTR name of one of the VM's addresses; empty restores Katapult's default.
 *
 * @return string 'success', or why nothing was set (in the client's language)
 */
function katapult_SetReverseDns(array $params): string
{
    return \Katapult\Module\setReverseDns($params, katapult_client_request(), $_POST);
}

/**
 * The panel's rename form (POST katapult_name, and katapult_hostname where the product allows
 * it): the VM's display name and hostname; the service's domain follows the new FQDN.
 *
 * @return string 'success', or why nothing was changed (in the client's language)
 */
function katapult_RenameVm(array $params): string
{
    return \Katapult\Module\renameVm($params, katapult_client_request(), $_POST);
}

/**
 * The functions a client may call (clientarea.php?...&modop=custom&a=...): the power actions and
 * the reverse DNS and rename forms, which the panel posts with single-use tokens, and the
 * panel's live-state poll and password fetch. They are
 * not listed as client-area buttons: WHMCS would render them as plain links without tokens.
 *
 * @return string[] function suffixes
 */
function katapult_ClientAreaAllowedFunctions(): array
{
    return \Katapult\Module\clientAreaFunctions();
}

/**
 * The client's product page: the VM panel (being built, overview, or why it cannot be shown).
 *
 * @return string HTML
 */
function katapult_ClientArea(array $params): string
{
    return \Katapult\Module\clientArea($params, katapult_client_request() ?? []);
}

/**
 * The panel's poll (client area only): the panel afresh, as JSON, then the request ends.
 *
 * @return string why nothing was sent, outside the client area
 */
function katapult_LiveState(array $params): string
{
    return katapult_answer_panel('LiveState', fn (array $request) => \Katapult\Module\liveState($params, $request));
}

/**
 * The password for the panel's Show and Copy buttons (a POST with the field's single-use token):
 * JSON {"password": …} or {"error": …}. The page itself never holds the password.
 */
function katapult_RevealPassword(array $params): string
{
    return katapult_answer_panel('RevealPassword', fn (array $request) => \Katapult\Module\revealPassword($params, $request));
}

/** Button "Start VM". @return string 'success', or what went wrong */
function katapult_StartVm(array $params): string
{
    return \Katapult\Module\power($params, 'start', katapult_client_request());
}

/** Button "Shut down VM": asks the operating system to shut down. */
function katapult_ShutdownVm(array $params): string
{
    return \Katapult\Module\power($params, 'shutdown', katapult_client_request());
}

/** Button "Stop VM": stops at once, like pulling the plug. */
function katapult_StopVm(array $params): string
{
    return \Katapult\Module\power($params, 'stop', katapult_client_request());
}

/** Button "Reset VM": a hard reboot. */
function katapult_ResetVm(array $params): string
{
    return \Katapult\Module\power($params, 'reset', katapult_client_request());
}

/**
 * What a client-area request tells the extension: the logged-in client, the posted action token,
 * WHMCS's CSRF token for the panel's forms, the client's language and this folder. The extension
 * keeps each language's strings (katapult_lang()) per PHP process while its files are unchanged.
 * Null only where WHMCS itself has checked who acts: its admin area (ADMINAREA) and its cron
 * (IN_CRON, the module queue). Anywhere else (the client area, or a request that is positively
 * neither) the client's checks run: the viewer must own the service and an action needs its token.
 *
 * @internal
 * @return array{client: int, token: string, csrf: string, language: string, dir: string}|null
 */
function katapult_client_request(): ?array
{
    if (!defined('CLIENTAREA') && (defined('ADMINAREA') || defined('IN_CRON'))) {
        return null;
    }
    return [
        'client' => (int) ($_SESSION['uid'] ?? 0),
        'token' => katapult_posted('katapult_token'),
        'csrf' => function_exists('generate_token') ? (string) generate_token('plain') : '',
        'language' => katapult_language(),
        'dir' => __DIR__,
    ];
}

/**
 * A posted form field as WHMCS hands it over (HTML-encoded; the extension decodes it), or ''.
 *
 * @internal
 */
function katapult_posted(string $name): string
{
    return is_string($_POST[$name] ?? null) ? $_POST[$name] : '';
}

/**
 * Answers the panel's script with the JSON `$answer` makes from the client-area request, and ends
 * the request there (WHMCS would wrap a returned string in its page). In the admin area and cron,
 * a refusal.
 */
function katapult_answer_panel(string $function, callable $answer): string
{
    $request = katapult_client_request();
    if ($request === null) {
        return "$function serves the client area's panel only.";
    }
    $json = $answer($request);
    header('Content-Type: application/json; charset=utf-8');
    header('Cache-Control: no-store');
    echo $json;
    exit;
}

/**
 * The client's language as WHMCS names it (its session's, else the installation's default),
 * reduced to the letters a language file's name may have.
 *
 * @internal
 */
function katapult_language(): string
{
    $language = $_SESSION['Language'] ?? ($GLOBALS['CONFIG']['Language'] ?? 'english');
    return preg_replace('/[^a-z_-]/', '', strtolower((string) $language)) ?: 'english';
}

/**
 * The client-area strings of `$language`: lang/english.php and the provider's
 * overrides/lang/english.php underneath, then the language's own file and its override. The
 * extension calls this when it has not read these files yet, or one of them changed: opcache
 * drops its copy of each file first (it would otherwise serve an edited file as it was for up
 * to opcache.revalidate_freq seconds, and the extension keep that until the next edit).
 *
 * @internal
 * @return array<string, string>
 */
function katapult_lang(string $language): array
{
    $strings = [];
    foreach (array_unique(['english', $language]) as $name) {
        foreach (['lang', 'overrides/lang'] as $folder) {
            $file = __DIR__ . "/$folder/$name.php";
            if (is_file($file)) {
                if (function_exists('opcache_invalidate')) {
                    @opcache_invalidate($file, true);
                }
                $_LANG = [];
                include $file;
                $strings = array_merge($strings, array_filter($_LANG, 'is_string'));
            }
        }
    }
    return $strings;
}

/**
 * WHMCS's server sync tool (Setup > Servers > Sync Accounts): the VMs in the Katapult
 * organizations, matched with services by FQDN (MetaData's ListAccounts keys). An imported
 * service is linked to its VM the first time a module function needs it.
 *
 * @return array{success: bool, accounts?: list<array<string, string>>, error?: string}
 */
function katapult_ListAccounts(array $params): array
{
    return \Katapult\Module\listAccounts($params);
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
