<?php
/**
 * Katapult for WHMCS: hooks. WHMCS loads this file on every page, so it must never break a
 * page: without the katapult extension it registers nothing.
 *
 * @see https://developers.whmcs.com/hooks/
 */

if (!defined('WHMCS') || !extension_loaded('katapult')) {
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
