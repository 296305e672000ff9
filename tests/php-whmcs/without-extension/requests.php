<?php
/**
 * Child process of WithoutExtensionTest, run by a PHP without the katapult extension (a PHP
 * upgrade, the CLI PHP of the cron, a new web node): boots the stand-in on the test's database,
 * loads module/ as WHMCS would, then goes where WHMCS loads every server module on its own
 * (product edit page, Setup > Servers, the daily cron with its usage update) and a second daily
 * cron. Prints, as JSON, what each gave or threw and which katapult_ functions exist.
 */

declare(strict_types=1);

require __DIR__ . '/../../whmcs/bootstrap.php';

$productId = (int) ($argv[1] ?? 0);
$outcome = ['extension_loaded' => extension_loaded('katapult')];
try {
    WhmcsStandIn\Module::load(dirname(__DIR__, 3) . '/module');
    $outcome['product edit page'] = WhmcsStandIn\Module::productEditPage($productId);
    $outcome['module settings'] = WhmcsStandIn\Module::moduleSettingsTab($productId);
    $outcome['servers page'] = WhmcsStandIn\Module::serversPage();
    $outcome['daily cron'] = WhmcsStandIn\Cron::run(daily: true);
    $outcome['second daily cron'] = WhmcsStandIn\Cron::run(daily: true);
} catch (Throwable $e) {
    $outcome['thrown'] = get_class($e) . ': ' . $e->getMessage();
}
$outcome['functions'] = array_values(array_filter(
    get_defined_functions()['user'],
    static fn (string $f) => str_starts_with($f, 'katapult_'),
));
echo json_encode($outcome, JSON_THROW_ON_ERROR), "\n";
