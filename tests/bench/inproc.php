<?php
/**
 * `make bench`, a diagnostic beside the page benchmark: the module function alone, in one PHP
 * process (as one PHP-FPM worker runs it), without the web server or the stand-in's page:
 * katapult_ClientArea() and katapultref_ClientArea() called N times each for their services, and
 * the simulator's VM GET on one kept-alive connection (PHP's curl), for "our time minus the
 * simulator's". Both modules are loaded here (each call is its own module's work).
 *
 * Usage: php -d extension=… -d katapult.ca_file=… inproc.php SETUP_JSON N [ours]
 * With `ours`, only katapult_ClientArea() is called (what `make profile` records).
 * Env: as setup-page.php, plus KATAPULT_CA_FILE for the reference and the curl baseline;
 * BENCH_IDLE_MS (default 0) sleeps that long before each timed call, as a PHP-FPM worker sits idle
 * between pages (caches go cold); BENCH_LIVE=1 ages the client area's copy of the VM (and refills
 * the client's live-read budget) before each call, untimed, so each reads the VM from Katapult.
 * Prints one JSON object: per function, p50/p90/p99/mean in ms and the output's size.
 */

declare(strict_types=1);

use WhmcsStandIn\{Module, ModuleParams};

require dirname(__DIR__) . '/whmcs/bootstrap.php';

$setup = json_decode((string) file_get_contents($argv[1]), true, 512, JSON_THROW_ON_ERROR);
$n = (int) ($argv[2] ?? 300);
$oursOnly = ($argv[3] ?? '') === 'ours';
$idleMicroseconds = (int) (1000 * (float) (getenv('BENCH_IDLE_MS') ?: 0));
$live = getenv('BENCH_LIVE') === '1';
$root = dirname(__DIR__, 2);
define('CLIENTAREA', true);
$_SESSION = ['uid' => $setup['clientId'], 'Language' => 'english'];
Module::load($root . '/module');
Module::load(__DIR__ . '/reference', 'katapultref');

function stats(array $ms): array
{
    sort($ms);
    $at = static fn (float $q): float => $ms[min(count($ms) - 1, (int) floor($q * count($ms)))];
    return ['n' => count($ms), 'p50_ms' => round($at(0.5), 3), 'p90_ms' => round($at(0.9), 3),
        'p99_ms' => round($at(0.99), 3), 'mean_ms' => round(array_sum($ms) / count($ms), 3)];
}

function timed(callable $call, int $n): array
{
    global $idleMicroseconds, $live;
    $bytes = strlen((string) $call());   // warm-up: connections, compiled templates
    $ms = [];
    for ($i = 0; $i < $n; $i++) {
        if ($idleMicroseconds > 0) {
            usleep($idleMicroseconds);
        }
        if ($live) {
            WHMCS\Database\Capsule::table('mod_katapult_vm_reads')->update(['read_at' => 0]);
            WHMCS\Database\Capsule::table('mod_katapult_live_reads')->update(['spent' => 0]);
        }
        $t = hrtime(true);
        $call();
        $ms[] = (hrtime(true) - $t) / 1e6;
    }
    return stats($ms) + ['bytes' => $bytes];
}

$out = [];
$paramsOurs = ModuleParams::build($setup['ours']);
$out['ours_ClientArea'] = timed(static fn () => katapult_ClientArea($paramsOurs), $n);
if ($oursOnly) {
    echo json_encode($out), "\n";
    exit(0);
}
$paramsRef = ModuleParams::build($setup['ref']);
$out['ref_ClientArea'] = timed(static function () use ($paramsRef) {
    // Each page is a new PHP request for the reference: its per-request statics start empty.
    (new ReflectionProperty(WHMCS\Module\Server\Katapultref\Api::class, 'client'))->setValue(null, null);
    (new ReflectionProperty(WHMCS\Module\Server\Katapultref\Replay::class, 'hasBooted'))->setValue(null, false);
    return katapultref_ClientArea($paramsRef);
}, $n);

$curl = curl_init(rtrim((string) getenv('KATAPULT_API_URL'), '/') . '/virtual_machines/_?' . http_build_query(['virtual_machine[id]' => $setup['vmOurs']]));
curl_setopt_array($curl, [CURLOPT_RETURNTRANSFER => true, CURLOPT_CAINFO => (string) getenv('KATAPULT_CA_FILE'),
    CURLOPT_HTTPHEADER => ['Authorization: Bearer sim-token']]);
$out['sim_vm_get_keepalive'] = timed(static fn () => curl_exec($curl), $n);
echo json_encode($out), "\n";
