<?php
/**
 * A provider's hook that ends in a PHP fatal error while the module is at work, then API calls
 * from a shutdown function in the same process, as FatalErrorInHookTest's child process:
 *
 *   php -d extension=… fatal-in-hook.php <create|built> <memory|redeclare|exit>
 *   or as a php-fpm request: fatal-in-hook.php?when=<create|built>&fatal=<…>
 *
 * create: the fatal error is in KatapultVirtualMachineBuildRequested, during CreateAccount.
 * built: in KatapultVirtualMachineBuilt, during the cron's build sync.
 * memory: the hook exhausts memory_limit; redeclare: it declares a function twice; exit: it calls
 * exit(7), as a hook that has sent a redirect might.
 * The shutdown function calls the API through Katapult\ApiClient and runs TestConnection (which
 * logs its API call through the module log) and prints what they answered. PHP ends with
 * status 255 after a fatal error (7 after the exit); a crash (a pointer into a frame the fatal
 * error skipped) ends it with a signal instead.
 */

declare(strict_types=1);

use WhmcsStandIn\Cron;
use WhmcsStandIn\Environment;
use WhmcsStandIn\Fixtures;
use WhmcsStandIn\Module;
use WhmcsStandIn\ModuleLog;

require dirname(__DIR__, 2) . '/whmcs/bootstrap.php';

[$when, $fatal, $pid] = PHP_SAPI === 'cli'
    ? [$argv[1], $argv[2], getmypid()]
    : [(string) ($_GET['when'] ?? ''), (string) ($_GET['fatal'] ?? ''), getmypid()];
echo "process: $pid\n";

Environment::reset();
ModuleLog::enable();
Module::load(dirname(__DIR__, 3) . '/module');
$product = (int) Fixtures::product(['servertype' => 'katapult', 'configoption1' => 'rock-3', 'configoption2' => 'uk-lon-01', 'configoption3' => 'templates/ubuntu-22-04'])->id;
$_POST = ['katapult_api_key' => 'sim-token', 'katapult_parent_organization' => ''];
run_hook('AdminProductConfigFieldsSave', ['pid' => $product]);
$_POST = [];
Fixtures::server();
$service = (int) Fixtures::service(Fixtures::client(), $product, ['domain' => 'fatal.example.com'])->id;

$fail = function () use ($fatal): void {
    echo "hook: failing ($fatal)\n";
    if ($fatal === 'memory') {
        // memory_limit (64M) stops this long before 256 MiB; where it is not enforced (valgrind's
        // runs turn PHP's allocator off) the hook ends in a fatal error of its own instead.
        $GLOBALS['ballast'] = [];
        while (count($GLOBALS['ballast']) < 4096) {
            $GLOBALS['ballast'][] = str_repeat('x', 65536);
        }
        trigger_error('the ballast did not reach memory_limit', E_USER_ERROR);
    }
    if ($fatal === 'exit') {
        exit(7);
    }
    eval('function katapult_declared_twice() {}');
    eval('function katapult_declared_twice() {}');
};

register_shutdown_function(function () use ($service): void {
    unset($GLOBALS['ballast']);
    $api = new Katapult\ApiClient('sim-token');
    for ($i = 0; $i < 3; $i++) {
        echo 'shutdown: ', count($api->organizations()), " organizations\n";
    }
    $test = katapult_TestConnection(Module::buildParams($service));
    echo 'shutdown: TestConnection ', $test['success'] ? 'success' : $test['error'], "\n";
    echo 'shutdown: module log entries ', count(ModuleLog::entries()), "\n";
});

if ($when === 'create') {
    add_hook('KatapultVirtualMachineBuildRequested', 0, $fail);
    echo 'CreateAccount: ', Module::runModuleCommand('CreateAccount', $service), "\n";
} else {
    echo 'CreateAccount: ', Module::runModuleCommand('CreateAccount', $service), "\n";
    add_hook('KatapultVirtualMachineBuilt', 0, $fail);
    $deadline = microtime(true) + 20;
    while (microtime(true) < $deadline) {
        usleep(200_000);
        Cron::run();
    }
}
echo "the hook never ran\n";
