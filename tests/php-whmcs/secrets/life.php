<?php
/**
 * One service's whole life in the stand-in WHMCS, with module debug logging on and API faults
 * along the way, as SecretsTest's child process (so its stdout and stderr can be searched):
 * product settings with the API key, CreateAccount, the cron until built, the client-area page,
 * its poll and the password's Show, the admin tab, power actions, the console, a package change,
 * Suspend, Unsuspend, a connection test with a wrong key, failures, Terminate.
 *
 *   php -d extension=… life.php <api key> <out dir>
 *
 * Writes <out dir>/page.html, live.json, admin.html (what was rendered) and reveal.json (the
 * Show button's answer: the one place a password belongs), and <out dir>/passwords.json: every
 * root password the service had, for the search. Prints only what it did.
 */

declare(strict_types=1);

use WHMCS\Database\Capsule;
use WhmcsStandIn\Cron;
use WhmcsStandIn\Environment;
use WhmcsStandIn\Fixtures;
use WhmcsStandIn\Module;
use WhmcsStandIn\ModuleLog;
use WhmcsStandIn\SalmonDataStore;
use WhmcsStandIn\Session;

require dirname(__DIR__, 2) . '/whmcs/bootstrap.php';

[, $apiKey, $out] = $argv;
$control = (string) preg_replace('~/core/v1$~', '', (string) getenv('KATAPULT_API_URL'));
$faults = function (array $faults) use ($control): void {
    file_get_contents("$control/_sim/faults", false, stream_context_create(['http' => [
        'method' => 'PUT', 'header' => "Content-Type: application/json\r\n", 'content' => json_encode($faults === [] ? new stdClass() : $faults),
    ]]));
};
$step = function (string $what, mixed $result): void {
    echo $what, ': ', is_string($result) ? (str_starts_with($result, 'success') ? 'success' : 'an error string') : gettype($result), "\n";
};

Environment::reset();
ModuleLog::enable();
Module::load(dirname(__DIR__, 3) . '/module');
$product = (int) Fixtures::product(['servertype' => 'katapult', 'configoption1' => 'rock-3', 'configoption2' => 'uk-lon-01', 'configoption3' => 'templates/ubuntu-22-04'])->id;
$_POST = ['katapult_api_key' => $apiKey, 'katapult_parent_organization' => ''];
run_hook('AdminProductConfigFieldsSave', ['pid' => $product]);
$_POST = [];
Fixtures::server();
$client = (int) Fixtures::client()->id;
// A short name: the VM's JSON then has its root password within the first 200 characters, which
// an error about an answer that cannot be read (a 200 cut short, below) quotes.
$service = (int) Fixtures::service($client, $product, ['domain' => 'v.io'])->id;
$passwords = [];

$step('CreateAccount', Module::runModuleCommand('CreateAccount', $service));
$deadline = microtime(true) + 30;
while (SalmonDataStore::get('service', $service, 'vm_id') === null && microtime(true) < $deadline) {
    Cron::run();
    usleep(200_000);
}
$passwords[] = decrypt((string) Capsule::table('tblhosting')->where('id', $service)->value('password'));
$vmId = (string) SalmonDataStore::get('service', $service, 'vm_id');
$deadline = microtime(true) + 30;
while (!str_contains(json_encode(Module::call('AdminServicesTabFields', $service)), 'started') && microtime(true) < $deadline) {
    usleep(200_000);
}

// The admin area.
Session::asAdmin(Fixtures::admin('alice'));
file_put_contents("$out/admin.html", implode("\n", Module::call('AdminServicesTabFields', $service)));
$step('StopVm (admin)', Module::call('StopVm', $service));
$step('StartVm (admin)', Module::call('StartVm', $service));
$step('single sign-on (admin)', json_encode(Module::call('ServiceSingleSignOn', $service)));
$step('TestConnection', json_encode(Module::callNoParams('TestConnection', [Module::buildParams($service)])));

// The client area: the page, its poll, the password's Show, an action with a stale token.
define('CLIENTAREA', true);
Session::asClient($client);
$_SESSION['Language'] = 'english';
$_GET = ['action' => 'productdetails', 'id' => (string) $service];
$page = (string) Module::call('ClientArea', $service);
file_put_contents("$out/page.html", $page);
file_put_contents("$out/live.json", Katapult\Module\liveState(Module::buildParams($service), katapult_client_request()));
preg_match('~data-katapult-fetch-token="([^"]+)"~', $page, $token);
$_POST = ['token' => generate_token('plain'), 'katapult_token' => html_entity_decode($token[1] ?? '')];
file_put_contents("$out/reveal.json", Katapult\Module\revealPassword(Module::buildParams($service), katapult_client_request()));
$_POST = ['token' => generate_token('plain'), 'katapult_token' => 'v1.1.1.StopVm.1.forged.mac'];
$step('StopVm (client, forged token)', Module::call('StopVm', $service));
$_POST = [];
Session::asSystem();

// Failures on the way: Katapult down, answers cut short, a wrong key.
$faults(['errors' => [['endpoint' => '*', 'probability' => 1.0, 'status' => 503]]]);
$step('StopVm while Katapult is down', Module::call('StopVm', $service));
$faults(['malformed_rate' => 1.0]);
$step('ChangePackage with cut-short answers', Module::runModuleCommand('ChangePackage', $service));
$faults([]);
$step('ChangePackage', Module::runModuleCommand('ChangePackage', $service));
$step('SuspendAccount', Module::runModuleCommand('SuspendAccount', $service));
$step('UnsuspendAccount', Module::runModuleCommand('UnsuspendAccount', $service));
$_POST = ['katapult_api_key' => $apiKey . '-wrong', 'katapult_parent_organization' => ''];
run_hook('AdminProductConfigFieldsSave', ['pid' => $product]);
$_POST = [];
$step('TestConnection with a wrong key', json_encode(Module::callNoParams('TestConnection', [Module::buildParams($service)])));
$step('StopVm with a wrong key', Module::call('StopVm', $service));
$_POST = ['katapult_api_key' => $apiKey, 'katapult_parent_organization' => ''];
run_hook('AdminProductConfigFieldsSave', ['pid' => $product]);
$_POST = [];
$step('TerminateAccount', Module::runModuleCommand('TerminateAccount', $service));

$passwords[] = decrypt((string) Capsule::table('tblhosting')->where('id', $service)->value('password'));
file_put_contents("$out/passwords.json", json_encode(array_values(array_unique(array_filter($passwords)))));
echo "VM $vmId: life complete\n";
