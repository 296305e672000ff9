<?php
/**
 * Browser test set-up (run by run.sh): a scratch WHMCS stand-in with one client who ordered one
 * Katapult VM, and the order provisioned the way WHMCS does it (the admin accepts the order:
 * CreateAccount, then the welcome email), against the Katapult simulator (KATAPULT_API_URL, CA in katapult.ca_file).
 *
 * Env: WHMCS_DB_DSN, WHMCS_ROOTDIR (scratch), WHMCS_MODULE_DIR (default: the repository's module/),
 * BROWSER_BASE_URL (the web front, saved as WHMCS's SystemURL), BROWSER_CLIENT_EMAIL,
 * BROWSER_CLIENT_PASSWORD. Prints one JSON line: {"serviceId", "clientId", "email", "password",
 * "productId", "adminUsername", "adminPassword"}. For the admin steps: an admin with a known
 * password, and the stand-in's test-only addon module (tests/whmcs/tests/fixtures/addons/probe,
 * with a dashboard widget) and the module's own (addon/: the drift check's page and widget)
 * installed, not yet activated.
 * Product settings are those `make demo` uses (tests/demo/provision.php): package rock-3, data
 * center uk-lon-01 (the simulator's London), disk template templates/ubuntu-22-04, API key
 * sim-token saved through the product's Other tab hook; clients may change the hostname, and the
 * client ordered one extra IPv4 address (the synced "Extra IPv4 Addresses" option); backups
 * offered (7 or 14, from 01:00 to 05:00 UTC) and the client's "Backups" choice 7.
 */

declare(strict_types=1);

use WHMCS\Config\Setting;
use WhmcsStandIn\{Environment, Fixtures, Module, Orders};

require dirname(__DIR__) . '/whmcs/bootstrap.php';

$moduleDir = getenv('WHMCS_MODULE_DIR') ?: dirname(__DIR__, 2) . '/module';
$email = getenv('BROWSER_CLIENT_EMAIL') ?: 'ada@example.test';
$password = getenv('BROWSER_CLIENT_PASSWORD') ?: 'correct-horse-battery';

Module::load($moduleDir);
Environment::reset();
Setting::setValue('SystemURL', rtrim((string) (getenv('BROWSER_BASE_URL') ?: 'http://127.0.0.1/'), '/') . '/');
Setting::setValue('CompanyName', 'Stand-in Hosting');

$product = Fixtures::product([
    'name' => 'Cloud Server S',
    'servertype' => 'katapult',
    'configoption1' => 'rock-3',
    'configoption2' => 'uk-lon-01',
    'configoption3' => 'templates/ubuntu-22-04',
    'configoption5' => 'on',
    'configoption6' => '7, 14',
    'configoption7' => '1-5',
]);
Fixtures::server();
// The provider's API key, saved as the admin does on the product's Other tab (a no-op for a
// module without that hook).
$_POST = ['katapult_api_key' => 'sim-token', 'katapult_parent_organization' => ''];
run_hook('AdminProductConfigFieldsSave', ['pid' => $product->id]);
$_POST = [];

$client = Fixtures::client(['firstname' => 'Ada', 'lastname' => 'Lovelace', 'email' => $email, 'password' => $password]);
$service = Fixtures::service($client, $product, [
    'domain' => 'engine.example.com',
    'firstpaymentamount' => '12.00',
    'amount' => '10.00',
    'billingcycle' => 'Monthly',
]);

$adminUsername = 'grace';
$adminPassword = 'admin-' . bin2hex(random_bytes(6));
Fixtures::admin($adminUsername, $adminPassword);
@mkdir(ROOTDIR . '/modules/addons', 0777, true);
@symlink(dirname(__DIR__) . '/whmcs/tests/fixtures/addons/probe', ROOTDIR . '/modules/addons/probe');
@symlink(dirname(__DIR__, 2) . '/addon', ROOTDIR . '/modules/addons/katapult');
$extraIpv4 = (int) WHMCS\Database\Capsule::table('tblproductconfigoptions')->where('optionname', 'Extra IPv4 Addresses')->value('id');
if ($extraIpv4 > 0) { // a module without the option: the browser test says what is missing
    Fixtures::chooseOption($service, $extraIpv4, 1);
}
// The client ordered 7 daily backups (the option the API key's option sync made).
$backups = (int) WHMCS\Database\Capsule::table('tblproductconfigoptions')->where('optionname', 'Backups')->value('id');
if ($backups > 0) {
    Fixtures::chooseOption($service, $backups, '7');
}

$result = Orders::acceptOrder((int) $service->id);
if ($result !== 'success') {
    fwrite(STDERR, "CreateAccount failed: $result\n");
    exit(1);
}
echo json_encode(['serviceId' => (int) $service->id, 'clientId' => (int) $client->id, 'email' => $email, 'password' => $password,
    'productId' => (int) $product->id, 'adminUsername' => $adminUsername, 'adminPassword' => $adminPassword]), "\n";
