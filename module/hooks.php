<?php
/**
 * Katapult for WHMCS: hooks. WHMCS loads this file on every page (while a product uses the
 * module), so it must never break a page.
 *
 * @see https://developers.whmcs.com/hooks/
 */

if (!defined('WHMCS')) {
    return;
}

if (!extension_loaded('katapult')) {
    /**
     * Without the extension no build is synced. The PHP that runs cron is often not the web
     * server's (another binary or ini), so once a day, while Katapult services exist, WHMCS's
     * activity log says which PHP lacks it.
     */
    add_hook('DailyCronJob', 1, function (): void {
        try {
            $services = \WHMCS\Database\Capsule::table('tblhosting')
                ->join('tblproducts', 'tblproducts.id', '=', 'tblhosting.packageid')
                ->where('tblproducts.servertype', 'katapult')
                ->whereIn('tblhosting.domainstatus', ['Pending', 'Active', 'Suspended'])
                ->count();
            $line = '[Katapult] The katapult PHP extension is not loaded in ' . PHP_BINARY . ' (PHP ' . PHP_VERSION
                . '): VM builds are not synced. Install it for this PHP and check with: ' . PHP_BINARY . ' --ri katapult';
            $today = \WHMCS\Database\Capsule::table('tblactivitylog')
                ->where('description', $line)
                ->where('date', '>=', date('Y-m-d 00:00:00'))
                ->exists();
            if ($services > 0 && !$today) {
                logActivity($line);
            }
        } catch (\Throwable $e) {
            // A hook's exception would stop WHMCS's cron: say what is missing, and why unsure.
            logActivity('[Katapult] The katapult PHP extension is not loaded in ' . PHP_BINARY
                . ', and looking for Katapult services failed: ' . $e->getMessage());
        }
    });
    return;
}

/**
 * Every cron run: checks pending VM builds and writes finished VMs into WHMCS (domain, IPs,
 * root password), firing KatapultVirtualMachineBuilt, or KatapultVirtualMachineBuildTimedOut
 * once after 15 minutes. Safe when runs overlap.
 */
add_hook('AfterCronJob', 1, function (): void {
    try {
        \Katapult\Module\syncBuilds();
    } catch (\Throwable $e) {
        logActivity('[Katapult] Build sync failed: ' . $e->getMessage());
    }
});

/**
 * Every cron run: finishes a drift check a stopped run left (a SIGKILL, a check the admin
 * started that paused for the API's rate limit).
 */
add_hook('AfterCronJob', 2, function (): void {
    try {
        \Katapult\Module\driftCheck(false);
    } catch (\Throwable $e) {
        logActivity('[Katapult] Drift check failed: ' . $e->getMessage());
    }
});

/**
 * Every day: compares every Katapult service with Katapult (paced under the API's rate limit)
 * and keeps what differs for the addon page; one line a day in the activity log.
 */
add_hook('DailyCronJob', 2, function (): void {
    try {
        \Katapult\Module\driftCheck(true);
    } catch (\Throwable $e) {
        logActivity('[Katapult] Drift check failed: ' . $e->getMessage());
    }
});

/** The admin dashboard widget: builds, the last cron sync, the API budget, drift findings. */
add_hook('AdminHomeWidgets', 1, function (): \WHMCS\Module\Server\Katapult\Widget\KatapultWidget {
    return new \WHMCS\Module\Server\Katapult\Widget\KatapultWidget();
});

/**
 * Every day: keeps the "Katapult Virtual Machines" configurable options in step with Katapult.
 * New data centers and disk templates are added hidden and at zero price; nothing the provider
 * set is renamed, repriced or deleted.
 */
add_hook('DailyCronJob', 1, function (): void {
    try {
        \Katapult\Module\syncConfigurableOptions();
    } catch (\Throwable $e) {
        logActivity('[Katapult] Configurable options sync failed: ' . $e->getMessage());
    }
});

/**
 * A Katapult service's welcome email waits until its VM is built (unless the product says to send
 * it at once); every email about such a service gets the VM's merge fields.
 */
add_hook('EmailPreSend', 1, function (array $vars): array {
    return \Katapult\Module\emailPreSend($vars);
});

/** The API key and parent organization pane on a Katapult product's Other tab. */
add_hook('AdminProductConfigFields', 1, function (array $vars): array {
    return \Katapult\Module\productSettingsFields($vars);
});

/** Saves that pane; a new API key is checked with Katapult first. */
add_hook('AdminProductConfigFieldsSave', 1, function (array $vars): void {
    \Katapult\Module\saveProductSettings($vars, $_POST);
});
