<?php
/**
 * `make bench`, build sync: one WHMCS cron run (the stand-in's Cron::run(), AfterCronJob) with one
 * module loaded: ours (`katapult`, \Katapult\Module\syncBuilds(), needs the extension) or the PHP
 * reference (`katapultref`, its sequential sync). The wall time of the run, the simulator's
 * request and status counters before and after (its /_sim/stats), and what the run left: services
 * with a VM id, VM-id rows per service, the Built hook's calls.
 *
 * Usage: php [-d extension=… -d katapult.ca_file=…] sync.php ours|ref SIM_ROOT_URL
 * Env: WHMCS_DB_DSN, WHMCS_ROOTDIR (a database made by builds.php), KATAPULT_API_URL,
 * KATAPULT_CA_FILE. Prints one JSON line.
 */

declare(strict_types=1);

use WHMCS\Database\Capsule;
use WhmcsStandIn\{Cron, Module};

require dirname(__DIR__) . '/whmcs/bootstrap.php';

$which = $argv[1] ?? 'ours';
$simRoot = rtrim((string) ($argv[2] ?? ''), '/');
$ca = (string) getenv('KATAPULT_CA_FILE');

// The product's module is the one that runs (the reference's query selects its own services),
// changed as the admin saves a product: WHMCS then loads that module's hooks (ModuleHooks).
Capsule::table('tblproducts')->whereIn('servertype', ['katapult', 'katapultref'])
    ->update(['servertype' => $which === 'ref' ? 'katapultref' : 'katapult']);
Module::rebuildModulesInUse();
if ($which === 'ref') {
    Module::load(__DIR__ . '/reference', 'katapultref');
} else {
    Module::load(dirname(__DIR__, 2) . '/module');
}

$built = [];
add_hook('KatapultVirtualMachineBuilt', 0, static function ($service) use (&$built): void {
    $built[] = (int) $service->id;
});

function simStats(string $simRoot, string $ca): array
{
    $curl = curl_init("$simRoot/_sim/stats");
    curl_setopt_array($curl, [CURLOPT_RETURNTRANSFER => true, CURLOPT_CAINFO => $ca, CURLOPT_TIMEOUT => 10]);
    return json_decode((string) curl_exec($curl), true) ?: [];
}

$logFrom = (int) Capsule::table('tblactivitylog')->max('id');
$before = simStats($simRoot, $ca);
$t0 = hrtime(true);
Cron::run();
$seconds = (hrtime(true) - $t0) / 1e9;
$after = simStats($simRoot, $ca);

$delta = static function (array $a, array $b): array {
    $out = [];
    foreach ($b as $k => $v) {
        if (is_int($v) && $v - ($a[$k] ?? 0) !== 0) {
            $out[$k] = $v - ($a[$k] ?? 0);
        }
    }
    return $out;
};
$requests = $delta($before['requests'] ?? [], $after['requests'] ?? []);
$statuses = $delta($before['responses_by_status'] ?? [], $after['responses_by_status'] ?? []);

$vmRows = Capsule::table('mod_salmon_data_store_items')->where('rel_type', 'service')->where('key', 'vm_id')
    ->selectRaw('rel_id, COUNT(*) AS n')->groupBy('rel_id')->get();
$services = Capsule::table('tblhosting')->count();
// What the run logged about builds it could not check (ours: "could not check"; the reference:
// "[SyncVmBuilds]: Error"), and a few distinct reasons.
$problems = Capsule::table('tblactivitylog')->where('id', '>', $logFrom)
    ->where(static fn ($q) => $q->where('description', 'like', '%could not check%')->orWhere('description', 'like', '%SyncVmBuilds]: Error%'))
    ->pluck('description')->all();
$reasons = array_slice(array_values(array_unique(array_map(
    static fn (string $d): string => preg_replace(['/vmbuild_\w+/', '/Service ID:? \d+/', '/request id [\w-]+/'], ['vmbuild_…', 'Service ID …', 'request id …'], $d),
    $problems))), 0, 3);
$pending = Capsule::table('mod_salmon_data_store_items')->where('rel_type', 'service')->where('key', 'vm_build_id')->count();
echo json_encode([
    'module' => $which,
    'seconds' => round($seconds, 3),
    'requests' => array_sum($requests),
    'requests_by_route' => $requests,
    'responses_by_status' => $statuses,
    'status_429' => (int) ($statuses['429'] ?? 0),
    'services' => $services,
    'with_build' => $pending,
    'with_vm' => count($vmRows),
    'vm_rows_max_per_service' => (int) ($vmRows->max('n') ?? 0),
    'distinct_vm_ids' => (int) Capsule::table('mod_salmon_data_store_items')->where('rel_type', 'service')->where('key', 'vm_id')->distinct()->count('value'),
    'persisted_domains' => Capsule::table('tblhosting')->where('domain', 'like', '%.katapult.cloud')->count(),
    'still_pending' => $pending - count($vmRows),
    'activity_log_entries' => Capsule::table('tblactivitylog')->where('id', '>', $logFrom)->count(),
    'builds_not_checked' => count($problems),
    'not_checked_reasons' => $reasons,
    'built_hooks' => count($built),
    'built_hook_services' => $built,
]), "\n";
