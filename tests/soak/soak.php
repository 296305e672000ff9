<?php
/**
 * The soak: services driven through their whole life (order accepted: CreateAccount, the cron's build
 * sync, Suspend, Unsuspend, for every third a ChangePackage of its extra IPv4 addresses, for
 * every fifth Terminate; another fifth ordered with 7 daily backups, upgraded to 14
 * (ChangePackage), terminated and restored with "Restore VM") against the simulator while faults
 * are injected at random (5xx, 429, hangs past the time-out, malformed JSON, connection resets),
 * cron runs are killed with SIGKILL at random moments and the simulator is restarted under them.
 * Then the faults stop, everything is driven to its end, and the invariants are checked and
 * printed as figures. Exit status 0 only when none was violated.
 *
 *   php -d extension=…/libkatapult.so -d katapult.ca_file=… tests/soak/soak.php \
 *       [--services=50] [--seed=N] [--fault-rounds=4] [--report=target/soak/report.json]
 *
 * tests/soak/run.sh sets up the database, the ini settings and the paths; use it.
 * Module commands run in this process, as WHMCS runs them from its module queue (a failed
 * command is tried again on a later round); cron runs are child processes, as WHMCS's cron is.
 */

declare(strict_types=1);

use Katapult\Tests\Soak\CronRunner;
use Katapult\Tests\Soak\Invariants;
use Katapult\Tests\Soak\Lives;
use Katapult\Tests\Support\Simulator;
use WhmcsStandIn\ActivityLog;
use WhmcsStandIn\Environment;
use WhmcsStandIn\Fixtures;
use WhmcsStandIn\Module;
use WhmcsStandIn\Orders;
use WhmcsStandIn\SalmonDataStore;

require dirname(__DIR__) . '/whmcs/bootstrap.php';
require dirname(__DIR__) . '/php/support/Simulator.php';
require __DIR__ . '/lib/Invariants.php';
require __DIR__ . '/lib/CronRunner.php';
require __DIR__ . '/lib/Lives.php';

$options = getopt('', ['services:', 'seed:', 'fault-rounds:', 'report:']);
$serviceCount = max(1, (int) ($options['services'] ?? 50));
$seed = (int) ($options['seed'] ?? random_int(1, 1 << 30));
$faultRounds = max(1, (int) ($options['fault-rounds'] ?? 4));
$reportPath = $options['report'] ?? dirname(__DIR__, 2) . '/target/soak/report.json';
mt_srand($seed);

const WELCOME_TEMPLATE = 'Katapult Soak Welcome';
/** The faults of the fault phase: each request meets one with about a 15% chance. */
const FAULTS = [
    'errors' => [
        ['endpoint' => '*', 'probability' => 0.03, 'status' => 500],
        ['endpoint' => '*', 'probability' => 0.02, 'status' => 502],
        ['endpoint' => '*', 'probability' => 0.03, 'status' => 503],
        ['endpoint' => '*', 'probability' => 0.02, 'status' => 429],
    ],
    'hang_rate' => 0.015,
    'hang_ms' => 2500,
    'malformed_rate' => 0.02,
    'reset_rate' => 0.02,
];
/** The share of cron runs killed with SIGKILL while faults are on. */
const KILL_CHANCE = 0.5;
/** Each service's life, one module command a round; every fifth service ends terminated. */
const NEXT_COMMAND = ['ordered' => 'CreateAccount', 'built' => 'SuspendAccount', 'suspended' => 'UnsuspendAccount'];
$lives = new Lives(NEXT_COMMAND);

$started = microtime(true);
$work = ROOTDIR . '/soak';
@mkdir($work, 0777, true);
$stateFile = "$work/simulator-state.json";
@unlink($stateFile);
$caFile = (string) ini_get('katapult.ca_file');
if ($caFile === '') {
    fwrite(STDERR, "soak: set -d katapult.ca_file=<path> (the simulator's CA is written there): use tests/soak/run.sh\n");
    exit(2);
}
// At the module's API URL, which the extension fixed when this process started (run.sh sets it).
$sim = new Simulator(['--state-file', $stateFile, '--seed', (string) $seed, '--rate-limit', '100000'], tls: true, caFile: $caFile, listen: Simulator::moduleAddress());
$cronCommand = array_merge([PHP_BINARY], phpFlags(), [dirname(__DIR__) . '/whmcs/cron.php']);

// WHMCS with one Katapult product whose welcome email waits for the VM, and the services.
Environment::reset();
// Module debug logging on, as a provider chasing a problem has it: every API exchange, retried
// attempts included, goes to the module log (and the secrets test reads it).
WhmcsStandIn\ModuleLog::enable();
// Every third service orders 1 or 2 extra IPv4 addresses and later changes to 2 or 0; another
// fifth orders 7 daily backups, is upgraded to 14, terminated and restored.
['life' => $life, 'clients' => $clients, 'extraIpv4Option' => $extraIpv4Option, 'backupsOption' => $backupsOption] = Lives::setUp(WELCOME_TEMPLATE, $serviceCount, 'soak', extraIpv4: true, backups: true);

// The rounds: each service's next module command, while cron runs go on beside them as WHMCS's
// cron does (each may be SIGKILLed at a random moment) and the simulator may restart under
// them. Faults for the first rounds, so every step of a life meets them; then calm until every
// life has ended, or nothing moved for a minute.
$figures = ['rounds' => 0, 'cron_runs' => 0, 'cron_kills' => 0, 'simulator_restarts' => 0, 'command_failures' => 0];
$failures = [];
$sim->setFaults(FAULTS);
$cron = new CronRunner($cronCommand, "$work/cron.err", KILL_CHANCE);
$lastProgress = microtime(true);
while ($lives->unfinished($life) > 0 && microtime(true) - $lastProgress < 60) {
    $before = array_column($life, 'state');
    $faulty = $figures['rounds'] < $faultRounds;
    if ($figures['rounds'] === $faultRounds) {
        $sim->setFaults([]);
    }
    $figures['rounds']++;
    $restartAt = $faulty ? mt_rand(0, count($life) - 1) : -1;
    $position = 0;
    foreach ($life as $id => &$service) {
        $cron->tick($faulty);
        if ($position++ === $restartAt) {
            $sim->restart();
            $figures['simulator_restarts']++;
        }
        if ($service['state'] === 'requested' && ($vmId = SalmonDataStore::get('service', $id, 'vm_id')) !== null) {
            $service['state'] = 'built';
            $service['vm_id'] = (string) $vmId;
        }
        $command = $lives->nextCommand($service);
        if ($command === null) {
            continue;
        }
        // An order is set up by accepting it (which sends the welcome email); a failed accept
        // leaves the order pending, to be accepted again. An upgrade of the option is paid: 14
        // backups, or the extra IPv4 addresses changed to.
        if ($command === 'ChangePackage') {
            if ($service['backups']) {
                Fixtures::chooseOption($id, $backupsOption, '14');
            } else {
                Fixtures::chooseOption($id, $extraIpv4Option, $service['extra_ipv4']['changed_to']);
            }
        }
        $result = $command === 'CreateAccount' ? Orders::acceptOrder($id) : Module::runModuleCommand($command, $id);
        if ($result === 'success') {
            $service['state'] = Lives::after($service, $command);
        } else {
            $figures['command_failures']++;
            $failures[] = ['service' => $id, 'command' => $command, 'message' => $result];
        }
    }
    unset($service);
    $cron->tick($faulty);
    if (array_column($life, 'state') !== $before) {
        $lastProgress = microtime(true);
    }
    usleep(100_000);
}
$cron->finish();
[$figures['cron_runs'], $figures['cron_kills']] = [$cron->runs, $cron->kills];
$figures['seconds'] = round(microtime(true) - $started, 1);

// The invariants.
$invariants = new Invariants($sim, WELCOME_TEMPLATE);
$violate = $invariants->violate(...);
if (($left = $lives->unfinished($life)) > 0) {
    $violate("$left services did not reach the end of their life");
}
$invariants->check($life);
$figures += $invariants->figures;
$figures['faults_injected'] = $sim->stats()['faults'] ?? [];

$figures['extra_ipv4_changes'] = count(array_filter($life, fn (array $s) => ($s['state'] === 'changed' && $s['extra_ipv4'] !== null) || ($s['extra_ipv4'] !== null && $s['state'] === 'terminated')));
$invariants->extraAddressesAllocated($clients);
$invariants->backupsRestored($life);
$figures['restored'] = $invariants->figures['restored'];

// Every failure visible in the logs with a reason: each failed command is in the activity log
// with its message, and each kind of fault injected left its own mark in the module log, where
// every exchange is kept ("HTTP <status>" or "no answer", then the body or the failure).
$activity = ActivityLog::descriptions();
$invariants->failuresHaveReasons($failures);
$figures['failures_logged'] = count(array_filter($activity, fn ($line) => str_contains($line, 'Failed - Service ID') || str_contains($line, 'could not')));
$answered = fn (int $status, string $marker) => fn (string $response) => str_starts_with($response, "HTTP $status\n") && str_contains($response, $marker);
$unanswered = fn (string $marker) => fn (string $response) => str_starts_with($response, "no answer\n") && str_contains($response, $marker);
$markers = [
    'error_500' => $answered(500, '"unhandled_exception"'),
    'error_502' => $answered(502, '<title>502 Bad Gateway</title>'),
    'error_503' => $answered(503, '"service_unavailable"'),
    'error_429' => $answered(429, '"rate_limit_reached"'),
    'hang' => $unanswered('no answer in time'),
    'reset' => $unanswered('connection broken: '),
    // A 200 cut short: its body is not JSON.
    'malformed' => fn (string $response) => str_starts_with($response, "HTTP 200\n\n") && json_decode(substr($response, 10)) === null,
];
$marked = array_fill_keys(array_keys($markers), 0);
foreach (WhmcsStandIn\ModuleLog::entries() as $entry) {
    foreach ($markers as $kind => $matches) {
        $marked[$kind] += $matches((string) $entry->response) ? 1 : 0;
    }
}
$figures['faults_marked_in_module_log'] = $marked;
foreach ($figures['faults_injected'] as $kind => $injected) {
    if (!isset($markers[$kind])) {
        $violate("$injected {$kind} faults were injected, a kind the soak has no log marker for");
    } elseif ($injected > 0 && $marked[$kind] === 0) {
        $violate("$injected {$kind} faults were injected and no module log entry carries its mark");
    }
}

$violations = $invariants->violations;
$figures['invariant_violations'] = count($violations);
$sim->stop();
@mkdir(dirname($reportPath), 0777, true);
file_put_contents($reportPath, json_encode(['seed' => $seed, 'services' => $serviceCount, 'database' => Environment::driver()] + $figures + ['violations' => $violations], JSON_PRETTY_PRINT) . "\n");

printf("soak: %d services on %s, seed %d, %.1f s\n", $serviceCount, Environment::driver(), $seed, $figures['seconds']);
printf("  rounds %d, cron runs %d (%d killed with SIGKILL), simulator restarts %d\n", $figures['rounds'], $figures['cron_runs'], $figures['cron_kills'], $figures['simulator_restarts']);
printf("  API requests %d, faults injected %d (%s)\n", $figures['api_requests'], array_sum($figures['faults_injected']), implode(', ', array_map(fn ($k, $v) => "$k $v", array_keys($figures['faults_injected']), $figures['faults_injected'])));
printf("  module commands failed and retried %d; builds %d; Built hooks %d; welcome emails %d; datastore rows %d\n", $figures['command_failures'], $figures['builds'], $figures['built_hooks'], $figures['welcome_emails'], $figures['datastore_rows']);
printf("  backups slice: %d services restored after Terminate, each checked for one policy of 14 backups\n", $figures['restored']);
exit($invariants->printViolations());

/** The extension and the katapult ini settings of this process, for the cron runs it starts. */
function phpFlags(): array
{
    $flags = ['-d', 'extension=' . (getenv('KATAPULT_EXT') ?: dirname(__DIR__, 2) . '/target/release/libkatapult.so')];
    foreach (ini_get_all('katapult', false) as $name => $value) {
        array_push($flags, '-d', "$name=$value");
    }
    return $flags;
}
