<?php
/**
 * `make bench`, client-area page: a scratch WHMCS stand-in (WHMCS_DB_DSN, WHMCS_ROOTDIR) with one
 * client and four Active services on the simulator (KATAPULT_API_URL, CA in katapult.ca_file):
 *  - ours:  product module `katapult`, its VM built through CreateAccount and the cron;
 *  - ref:   product module `katapultref` (tests/bench/reference), its VM built the same way, then
 *           the service moved to the reference's product: the datastore rows ours wrote are the
 *           PHP module's own format, which the reference reads;
 *  - nothing: product module `nothing` (tests/bench/nothing), which does nothing: the page's floor.
 * The three products are alike but for their module (settings, configurable options, server).
 * The reference's API key is stored as the PHP module stored it (encrypt()ed api_v1_key).
 * Prints one JSON line: service ids, VM ids, the client's login.
 */

declare(strict_types=1);

use WHMCS\Database\Capsule;
use WhmcsStandIn\{Cron, Environment, Fixtures, Module, Orders, SalmonDataStore};

require dirname(__DIR__) . '/whmcs/bootstrap.php';

$root = dirname(__DIR__, 2);
Module::load($root . '/module');
Environment::reset();

$email = 'bench@example.test';
$password = 'bench-password';
$settings = ['configoption1' => 'rock-3', 'configoption2' => 'uk-lon-01', 'configoption3' => 'templates/ubuntu-22-04'];
$ours = Fixtures::product(['name' => 'Cloud Server S', 'servertype' => 'katapult'] + $settings);
$ref = Fixtures::product(['name' => 'Cloud Server S (PHP reference)', 'servertype' => 'katapultref'] + $settings);
$nothing = Fixtures::product(['name' => 'Cloud Server S (a module doing nothing)', 'servertype' => 'nothing']);
Fixtures::server();
$_POST = ['katapult_api_key' => 'sim-token', 'katapult_parent_organization' => ''];
run_hook('AdminProductConfigFieldsSave', ['pid' => $ours->id]);
$_POST = [];
SalmonDataStore::set('module_setting', 'katapult', 'api_v1_key', encrypt('sim-token'));

$client = Fixtures::client(['firstname' => 'Bench', 'lastname' => 'Mark', 'email' => $email, 'password' => $password]);
$common = ['firstpaymentamount' => '12.00', 'amount' => '10.00', 'billingcycle' => 'Monthly'];
$serviceOurs = Fixtures::service($client, $ours, ['domain' => 'ours.example.com'] + $common);
$serviceRef = Fixtures::service($client, $ours, ['domain' => 'reference.example.com'] + $common);
$serviceNothing = Fixtures::service($client, $nothing, ['domain' => 'nothing.example.com', 'domainstatus' => 'Active',
    'dedicatedip' => '192.0.2.10'] + $common);

foreach ([$serviceOurs, $serviceRef] as $service) {
    $result = Orders::acceptOrder((int) $service->id);
    if ($result !== 'success') {
        fwrite(STDERR, "CreateAccount failed: $result\n");
        exit(1);
    }
}
$deadline = microtime(true) + 60;
$vmOf = static fn (int $id) => SalmonDataStore::get('service', $id, 'vm_id');
while (($vmOf((int) $serviceOurs->id) === null || $vmOf((int) $serviceRef->id) === null) && microtime(true) < $deadline) {
    usleep(300_000);
    Cron::run();
}
if ($vmOf((int) $serviceOurs->id) === null || $vmOf((int) $serviceRef->id) === null) {
    fwrite(STDERR, "the VMs were not built in time\n");
    exit(1);
}
Capsule::table('tblhosting')->where('id', $serviceRef->id)->update(['packageid' => $ref->id]);

// The three products differ in their module only: the floor's and the reference's have ours'
// module settings and configurable options (the option sync linked ours to its group), and the
// floor's service is on the server with a root password, as the others. WHMCS builds $params from
// these for every module call, so the three pages pay alike for it and differ by their modules'
// own work.
Capsule::table('tblproducts')->where('id', $nothing->id)->update($settings);
foreach (Capsule::table('tblproductconfiglinks')->where('pid', $ours->id)->pluck('gid') as $group) {
    foreach ([$ref->id, $nothing->id] as $product) {
        Capsule::table('tblproductconfiglinks')->insert(['gid' => $group, 'pid' => $product]);
    }
}
$oursRow = Capsule::table('tblhosting')->where('id', $serviceOurs->id)->first();
Capsule::table('tblhosting')->where('id', $serviceNothing->id)->update(['server' => $oursRow->server, 'username' => $oursRow->username, 'password' => $oursRow->password]);

echo json_encode([
    'clientId' => (int) $client->id,
    'email' => $email,
    'password' => $password,
    'ours' => (int) $serviceOurs->id,
    'ref' => (int) $serviceRef->id,
    'nothing' => (int) $serviceNothing->id,
    'vmOurs' => $vmOf((int) $serviceOurs->id),
    'vmRef' => $vmOf((int) $serviceRef->id),
]), "\n";
