<?php
/**
 * The PHP reference for `make bench` (issue 6): the two hot paths of Krystal's PHP module
 * (krystal/katapult-whmcs 2.0.4), done the way it does them, in plain PHP, as a
 * WHMCS server module named `katapultref` that the stand-in loads like ours:
 *
 *  - katapultref_ClientArea($params): the client's product page: the service
 *    model, the build check (a VM id is set: nothing to do), the VM read live from Katapult with
 *    a Guzzle client made for the request, JSON decoded into objects, and the overview rendered
 *    by Smarty (smarty4) from views/client/virtual_machines/page.tpl + overview.tpl, which show
 *    what ours shows (views/client/virtual_machines/page.hbs + overview.hbs).
 *  - katapultref_syncBuilds(): the AfterCronJob build sync: the pending
 *    builds found with one SQL query, then checked one after another (build, then VM), a built VM
 *    persisted into tblhosting and the datastore, the Built hook fired.
 *
 * It is a fair peer: nothing is slowed down on purpose, and where the incumbent is heavier (the
 * Jane-generated client with its serializer and php-http plugins, the logging middleware) this
 * is lighter (Guzzle and json_decode). It reads the same rows (mod_salmon_data_store_items, the
 * API key the PHP module stored with encrypt() under api_v1_key) and calls the same API paths.
 * Not a module to install: benchmarks only.
 *
 * Env: KATAPULT_API_URL (default https://api.katapult.io/core/v1), KATAPULT_CA_FILE (a CA bundle to
 * trust, for the simulator's own CA).
 */

declare(strict_types=1);

use WHMCS\Module\Server\Katapultref\BuildSync;
use WHMCS\Module\Server\Katapultref\ClientArea;

if (!defined('WHMCS')) {
    die('This file cannot be accessed directly');
}

/** The module name; the incumbent's was `katapult` (KatapultWHMCS::SERVER_MODULE). */
const KATAPULTREF_SERVER_MODULE = 'katapultref';

/** @return array<string, mixed> */
function katapultref_MetaData(): array
{
    return [
        'DisplayName' => 'Katapult (PHP reference)',
        'ServiceSingleSignOnLabel' => 'Open Console',
        'RequiresServer' => true,
    ];
}

/** The incumbent's four client buttons. @return array<string, string> */
function katapultref_ClientAreaCustomButtonArray(): array
{
    return ['Start VM' => 'StartVm', 'Shutdown VM' => 'ShutdownVm', 'Stop VM' => 'StopVm', 'Reset VM' => 'ResetVm'];
}

/**
 * The client's product page. The incumbent returns a templatefile for WHMCS's Smarty; the
 * stand-in has no Smarty, so the same rendering happens here and the HTML is returned. On any
 * exception nothing is shown (as the incumbent's `return []`).
 */
function katapultref_ClientArea(array $params): string
{
    try {
        return ClientArea::render($params);
    } catch (\Throwable $e) {
        error_log('[katapultref] ClientArea: ' . $e->getMessage());
        return '';
    }
}

/** The build sync, one service after another. */
function katapultref_syncBuilds(): void
{
    BuildSync::run();
}
