<?php
/**
 * `make bench`, build sync: N pending builds in a scratch WHMCS stand-in (WHMCS_DB_DSN,
 * WHMCS_ROOTDIR). One client, one product (module `katapult`; sync.php switches it to the
 * reference's `katapultref` for the reference's run), N Active services; for each a build
 * requested from the simulator directly (POST …/virtual_machines/build, 32 at a time, with the
 * set-up tokens given, so the sync's own token keeps its whole rate-limit budget) and the
 * datastore rows CreateAccount leaves, in the PHP module's format: vm_build_id
 * (value_index = the build id) and vm_build_started_at (a Carbon). Ours' API key is saved through
 * the product's Other tab (the extension is needed), the reference's as the PHP module stored it.
 *
 * Usage: php -d extension=… -d katapult.ca_file=… builds.php N SETUP_TOKEN[,SETUP_TOKEN…]
 * Env: KATAPULT_API_URL, KATAPULT_CA_FILE. Prints one JSON line.
 */

declare(strict_types=1);

use Carbon\Carbon;
use WHMCS\Database\Capsule;
use WhmcsStandIn\{Environment, Fixtures, Module, SalmonDataStore};

require dirname(__DIR__) . '/whmcs/bootstrap.php';

$n = (int) ($argv[1] ?? 1000);
$tokens = explode(',', (string) ($argv[2] ?? 'sim-token'));
$api = rtrim((string) getenv('KATAPULT_API_URL'), '/');
$ca = (string) getenv('KATAPULT_CA_FILE');
$t0 = microtime(true);

Module::load(dirname(__DIR__, 2) . '/module');
Environment::reset();
$product = Fixtures::product(['name' => 'Cloud Server S', 'servertype' => 'katapult',
    'configoption1' => 'rock-3', 'configoption2' => 'uk-lon-01', 'configoption3' => 'templates/ubuntu-22-04']);
Fixtures::server();
$_POST = ['katapult_api_key' => 'sim-token', 'katapult_parent_organization' => ''];
run_hook('AdminProductConfigFieldsSave', ['pid' => $product->id]);
$_POST = [];
SalmonDataStore::set('module_setting', 'katapult', 'api_v1_key', encrypt('sim-token'));
$client = Fixtures::client(['firstname' => 'Bench', 'lastname' => 'Sync', 'email' => 'sync@example.test']);
$serverId = (int) Capsule::table('tblservers')->value('id');

function request(string $method, string $url, string $token, string $ca, ?array $body = null): \CurlHandle
{
    $curl = curl_init($url);
    curl_setopt_array($curl, [
        CURLOPT_CUSTOMREQUEST => $method, CURLOPT_RETURNTRANSFER => true, CURLOPT_CAINFO => $ca, CURLOPT_TIMEOUT => 30,
        CURLOPT_HTTPHEADER => ['Authorization: Bearer ' . $token, 'Content-Type: application/json'],
    ]);
    if ($body !== null) {
        curl_setopt($curl, CURLOPT_POSTFIELDS, json_encode($body));
    }
    return $curl;
}

$orgs = request('GET', "$api/organizations", $tokens[0], $ca);
$organization = json_decode((string) curl_exec($orgs))->organizations[0]->id ?? null;
if ($organization === null) {
    fwrite(STDERR, "no organization on the simulator\n");
    exit(1);
}

// The services, in one transaction.
$today = date('Y-m-d');
$ids = [];
Capsule::connection()->transaction(static function () use ($n, $client, $product, $serverId, $today, &$ids): void {
    for ($i = 1; $i <= $n; $i++) {
        $ids[] = (int) Capsule::table('tblhosting')->insertGetId([
            'userid' => $client->id, 'packageid' => $product->id, 'server' => $serverId, 'regdate' => $today,
            'domain' => "bench-$i.example.test", 'paymentmethod' => 'banktransfer', 'firstpaymentamount' => '10.00',
            'amount' => '10.00', 'billingcycle' => 'Monthly', 'nextduedate' => $today, 'nextinvoicedate' => $today,
            'domainstatus' => 'Active', 'username' => '', 'password' => '',
        ]);
    }
});

// The builds, 32 requests in flight.
$builds = [];
$failed = [];
$multi = curl_multi_init();
$queue = $ids;
$inFlight = [];
$next = 0;
$add = static function () use (&$queue, &$inFlight, &$next, $multi, $api, $tokens, $ca, $organization): void {
    $id = array_shift($queue);
    $curl = request('POST', "$api/organizations/_/virtual_machines/build", $tokens[$next++ % count($tokens)], $ca, [
        'organization' => ['id' => $organization], 'package' => ['permalink' => 'rock-3'],
        'data_center' => ['permalink' => 'uk-lon-01'], 'disk_template' => ['permalink' => 'templates/ubuntu-22-04'],
        'hostname' => "bench-$id", 'annotations' => [['key' => 'whmcs_service_id', 'value' => (string) $id]],
    ]);
    $inFlight[(int) spl_object_id($curl)] = [$curl, $id];
    curl_multi_add_handle($multi, $curl);
};
while ($queue !== [] && count($inFlight) < 32) {
    $add();
}
do {
    curl_multi_exec($multi, $running);
    curl_multi_select($multi, 0.05);
    while (($info = curl_multi_info_read($multi)) !== false) {
        $curl = $info['handle'];
        [, $id] = $inFlight[(int) spl_object_id($curl)];
        unset($inFlight[(int) spl_object_id($curl)]);
        $body = json_decode((string) curl_multi_getcontent($curl));
        if (curl_getinfo($curl, CURLINFO_RESPONSE_CODE) === 201 && isset($body->build->id)) {
            $builds[$id] = (string) $body->build->id;
        } else {
            $failed[$id] = curl_getinfo($curl, CURLINFO_RESPONSE_CODE) . ' ' . substr((string) curl_multi_getcontent($curl), 0, 200);
        }
        curl_multi_remove_handle($multi, $curl);
        if ($queue !== []) {
            $add();
        }
    }
} while ($inFlight !== []);
if ($failed !== []) {
    fwrite(STDERR, count($failed) . " builds were refused, e.g.: " . reset($failed) . "\n");
    exit(1);
}

// The datastore rows CreateAccount leaves.
SalmonDataStore::ensureTable();
$now = date('Y-m-d H:i:s');
$started = serialize(Carbon::now());
Capsule::connection()->transaction(static function () use ($builds, $now, $started): void {
    foreach (array_chunk($builds, 100, true) as $chunk) {
        $rows = [];
        foreach ($chunk as $id => $build) {
            $rows[] = ['rel_type' => 'service', 'rel_id' => $id, 'key' => 'vm_build_id', 'value' => serialize($build),
                'value_index' => $build, 'created_at' => $now, 'updated_at' => $now];
            $rows[] = ['rel_type' => 'service', 'rel_id' => $id, 'key' => 'vm_build_started_at', 'value' => $started,
                'value_index' => null, 'created_at' => $now, 'updated_at' => $now];
        }
        Capsule::table('mod_salmon_data_store_items')->insert($rows);
    }
});
if (Environment::driver() === 'sqlite') {
    Capsule::connection()->getPdo()->exec('PRAGMA wal_checkpoint(TRUNCATE)');
}
echo json_encode(['services' => count($ids), 'builds' => count($builds), 'productId' => (int) $product->id,
    'seconds' => round(microtime(true) - $t0, 2)]), "\n";
