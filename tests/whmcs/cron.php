<?php
/**
 * TEST STAND-IN for proprietary WHMCS: the cron entry point (WHMCS's crons/cron.php).
 *
 * Usage: php tests/whmcs/cron.php [--daily] [--module=/path/to/module] [--module-name=katapult]
 * Boots the stand-in on the same database as the tests (WHMCS_DB_DSN), loads the module (default:
 * the repository's module/ directory, when it holds katapult.php; the real module needs
 * `php -d extension=…katapult.so`), and
 * runs one cron: AfterCronJob every run; with --daily also PreCronJob, UsageUpdate and DailyCronJob.
 * Prints the hook points fired.
 */

declare(strict_types=1);

require __DIR__ . '/bootstrap.php';

$options = getopt('', ['daily', 'module:', 'module-name:']);
$moduleDir = $options['module'] ?? dirname(__DIR__, 2) . '/module';
$moduleName = $options['module-name'] ?? 'katapult';
if (is_file("$moduleDir/$moduleName.php")) {
    WhmcsStandIn\Module::load($moduleDir, $moduleName);
} else {
    fwrite(STDERR, "no module at $moduleDir/$moduleName.php: running the cron without it\n");
}
$fired = WhmcsStandIn\Cron::run(daily: isset($options['daily']));
echo 'cron: ', implode(', ', $fired), "\n";
