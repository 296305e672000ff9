<?php
/**
 * The PHP reference's hooks: the build sync after every cron run, wrapped as the incumbent's
 * GeneralHelper::attempt wraps it: "Syncing VM builds completed" on every run,
 * or "Error running task: …".
 */

if (!defined('WHMCS')) {
    return;
}

add_hook('AfterCronJob', 1, function (): void {
    try {
        katapultref_syncBuilds();
        logActivity('[Katapult]: Syncing VM builds completed');
    } catch (\Throwable $e) {
        logActivity('[Katapult]: Error running task: Syncing VM builds: ' . $e->getMessage());
    }
});
