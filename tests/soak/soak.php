<?php
/**
 * The soak: services driven through their whole life (order accepted: CreateAccount, the cron's build
 * sync, Suspend, Unsuspend, and for every fifth Terminate; another fifth ordered with 7 daily
 * backups, upgraded to 14 (ChangePackage), terminated and restored with "Restore VM") against the simulator while faults
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

use Katapult\Tests\Support\Simulator;
use WHMCS\Database\Capsule;
use WhmcsStandIn\ActivityLog;
use WhmcsStandIn\Environment;
use WhmcsStandIn\Fixtures;
use WhmcsStandIn\Mailer;
use WhmcsStandIn\Module;
use WhmcsStandIn\Orders;
use WhmcsStandIn\SalmonDataStore;

require dirname(__DIR__) . '/whmcs/bootstrap.php';
require dirname(__DIR__) . '/php/support/Simulator.php';

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
/** The backups slice's life once active: the upgrade to 14 backups, Terminate, Restore VM. */
const BACKUPS_LIFE = ['active' => 'ChangePackage', 'changed' => 'TerminateAccount', 'trashed' => 'RestoreVm'];
/** The state a successful command leaves a service in ($backups: of the backups slice). */
const AFTER = ['CreateAccount' => 'requested', 'SuspendAccount' => 'suspended', 'UnsuspendAccount' => 'active', 'TerminateAccount' => 'terminated', 'ChangePackage' => 'changed', 'RestoreVm' => 'restored'];

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
Capsule::schema()->dropIfExists('soak_hook_calls');
Capsule::schema()->create('soak_hook_calls', function ($table): void {
    $table->increments('id');
    $table->string('hook');
    $table->integer('service_id');
});
file_put_contents(ROOTDIR . '/includes/hooks/soak.php', <<<'PHP'
<?php
// The soak's provider hooks: each call is a row written in WHMCS's database, as most hooks do.
foreach (['KatapultVirtualMachineBuilt' => 'Built', 'KatapultVirtualMachineBuildRequested' => 'Requested'] as $point => $name) {
    add_hook($point, 1, function ($service) use ($name) {
        WHMCS\Database\Capsule::table('soak_hook_calls')->insert(['hook' => $name, 'service_id' => $service->id]);
    });
}
PHP);
require_once ROOTDIR . '/includes/hooks/soak.php';
Module::load(dirname(__DIR__, 2) . '/module');
$welcome = Fixtures::emailTemplate(WELCOME_TEMPLATE, ['message' => 'Your VM {$katapult_vm_hostname} is at {$katapult_vm_ip}.']);
$product = (int) Fixtures::product(['servertype' => 'katapult', 'welcomeemail' => $welcome, 'configoption1' => 'rock-3', 'configoption2' => 'uk-lon-01', 'configoption3' => 'templates/ubuntu-22-04', 'configoption5' => '7, 14', 'configoption6' => '1-5'])->id;
$_POST = ['katapult_api_key' => 'sim-token', 'katapult_parent_organization' => ''];
run_hook('AdminProductConfigFieldsSave', ['pid' => $product]);
$_POST = [];
Fixtures::server();
$clients = array_map(fn () => (int) Fixtures::client()->id, range(1, max(1, intdiv($serviceCount, 5))));
$life = [];
$backupsOption = (int) SalmonDataStore::get('module_setting', 'katapult', 'vm_config_option_backups_id');
foreach (range(0, $serviceCount - 1) as $i) {
    $id = (int) Fixtures::service($clients[$i % count($clients)], $product, ['domain' => "soak$i.example.com"])->id;
    $life[$id] = ['state' => 'ordered', 'terminate' => $i % 5 === 4, 'backups' => $i % 5 === 2, 'vm_id' => null];
    if ($life[$id]['backups']) {
        Fixtures::chooseOption($id, $backupsOption, '7');
    }
}

// The rounds: each service's next module command, while cron runs go on beside them as WHMCS's
// cron does (each may be SIGKILLed at a random moment) and the simulator may restart under
// them. Faults for the first rounds, so every step of a life meets them; then calm until every
// life has ended, or nothing moved for a minute.
$figures = ['rounds' => 0, 'cron_runs' => 0, 'cron_kills' => 0, 'simulator_restarts' => 0, 'command_failures' => 0];
$failures = [];
$sim->setFaults(FAULTS);
$cron = new CronRunner($cronCommand, "$work/cron.err");
$lastProgress = microtime(true);
while (unfinished($life) > 0 && microtime(true) - $lastProgress < 60) {
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
        $command = nextCommand($service);
        if ($command === null) {
            continue;
        }
        // An order is set up by accepting it (which sends the welcome email); a failed accept
        // leaves the order pending, to be accepted again. The upgrade is paid: 14 backups.
        if ($command === 'ChangePackage') {
            Fixtures::chooseOption($id, $backupsOption, '14');
        }
        $result = $command === 'CreateAccount' ? Orders::acceptOrder($id) : Module::runModuleCommand($command, $id);
        if ($result === 'success') {
            $service['state'] = $service['backups'] && $command === 'TerminateAccount' ? 'trashed' : AFTER[$command];
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
$stats = $sim->stats();
$figures['api_requests'] = $stats['total_requests'] ?? 0;
$figures['faults_injected'] = $stats['faults'] ?? [];
$violations = [];
$violate = function (string $what) use (&$violations): void {
    $violations[] = $what;
};
$api = new Katapult\ApiClient('sim-token', $sim->baseUrl);
if (($left = unfinished($life)) > 0) {
    $violate("$left services did not reach the end of their life");
}

// Every service built exactly once: one build per WHMCS service annotation, and no other.
$builds = $stats['builds_by_whmcs_service_id'] ?? [];
$figures['builds'] = array_sum($builds);
if (count($builds) !== $serviceCount || array_unique(array_values($builds)) !== [1]) {
    $violate(sprintf('builds per service: %d services built, counts %s', count($builds), json_encode(array_count_values(array_values($builds)))));
}

// Every Built hook once, every welcome email once (after the build, with the VM's address).
$hookCalls = Capsule::table('soak_hook_calls')->where('hook', 'Built')->pluck('service_id')->map(fn ($id) => (int) $id)->all();
$figures['built_hooks'] = count($hookCalls);
$emails = array_filter(Mailer::sent(), fn (array $email) => $email['template'] === WELCOME_TEMPLATE);
$figures['welcome_emails'] = count($emails);
$emailsBy = array_count_values(array_map(fn (array $email) => $email['relid'], $emails));
foreach ($life as $id => $service) {
    $hooks = count(array_keys($hookCalls, $id, true));
    if ($hooks !== 1) {
        $violate("service $id: the Built hook fired $hooks times");
    }
    if (($emailsBy[$id] ?? 0) !== 1) {
        $violate("service $id: " . ($emailsBy[$id] ?? 0) . ' welcome emails');
    }
}
foreach ($emails as $email) {
    if (($email['mergefields']['katapult_vm_ip'] ?? '') === '') {
        $violate("service {$email['relid']}: the welcome email went out without the VM's address");
    }
}

// The backups slice: restored, its VM is the one it had, linked again, with one policy of 14
// backups; no other VM has a policy (their services chose none).
$figures['restored'] = 0;
foreach ($life as $id => $service) {
    if ($service['state'] === 'terminated') {
        continue;
    }
    try {
        $policies = $api->diskBackupPolicies((string) $service['vm_id']);
    } catch (Throwable $e) {
        $violate("service $id: the backup policies of VM {$service['vm_id']} cannot be read: {$e->getMessage()}");
        continue;
    }
    $retentions = array_column($policies, 'retention');
    if ($service['backups']) {
        $figures['restored'] += $service['state'] === 'restored' ? 1 : 0;
        if ((string) SalmonDataStore::get('service', $id, 'vm_id') !== (string) $service['vm_id']) {
            $violate("service $id: restored, but linked to " . json_encode(SalmonDataStore::get('service', $id, 'vm_id')) . " instead of its VM {$service['vm_id']}");
        }
        if (Capsule::table('tblhosting')->where('id', $id)->value('domainstatus') !== 'Active') {
            $violate("service $id: restored, but not Active");
        }
        if ($retentions !== [14]) {
            $violate("service $id: its VM's backup policies keep " . json_encode($retentions) . ' backups, not [14] as its option says');
        }
    } elseif ($retentions !== []) {
        $violate("service $id: chose no backups, but its VM has policies keeping " . json_encode($retentions));
    }
}

// No datastore row lost or half-written: every value decodes; each live service has its VM, the
// VM matches what WHMCS holds, and nothing is left due; terminated services' VMs are gone.
$rows = Capsule::table('mod_salmon_data_store_items')->get();
$figures['datastore_rows'] = count($rows);
foreach ($rows as $row) {
    if ($row->value !== 'b:0;' && @unserialize((string) $row->value, ['allowed_classes' => false]) === false) {
        $violate("datastore row {$row->id} ({$row->key}) does not decode");
    }
}
foreach ($life as $id => $service) {
    $left = array_filter(['vm_built_announcement_due', 'welcome_email_held'], fn ($key) => SalmonDataStore::get('service', $id, $key) !== null);
    if ($left !== []) {
        $violate("service $id: left due: " . implode(', ', $left));
    }
    if ($service['state'] === 'terminated') {
        if (SalmonDataStore::get('service', $id, 'vm_id') !== null) {
            $violate("service $id: terminated, but still linked to a VM");
        }
        // Gone means Katapult says so: the VM is in the trash (406 object_in_trash) or no longer
        // found (404 virtual_machine_not_found); any other failure proves nothing.
        try {
            $api->virtualMachine((string) $service['vm_id']);
            $violate("service $id: terminated, but its VM {$service['vm_id']} is still there");
        } catch (Katapult\ApiException $e) {
            if (!in_array($e->errorCode, ['object_in_trash', 'virtual_machine_not_found'], true)) {
                $violate("service $id: terminated, and reading its VM {$service['vm_id']} failed without saying it is gone: {$e->getMessage()}");
            }
        }
        continue;
    }
    $hosting = Capsule::table('tblhosting')->where('id', $id)->first();
    try {
        $vm = $api->virtualMachine((string) $service['vm_id'])['virtual_machine'] ?? [];
    } catch (Throwable $e) {
        $violate("service $id: its VM {$service['vm_id']} cannot be read: {$e->getMessage()}");
        continue;
    }
    $ipv4 = array_values(array_filter(array_column($vm['ip_addresses'] ?? [], 'address'), fn ($ip) => filter_var($ip, FILTER_VALIDATE_IP, FILTER_FLAG_IPV4)));
    $expected = ['domain' => $vm['fqdn'] ?? '', 'dedicatedip' => $ipv4[0] ?? '', 'username' => 'root', 'password' => $vm['initial_root_password'] ?? ''];
    $actual = ['domain' => $hosting->domain, 'dedicatedip' => $hosting->dedicatedip, 'username' => $hosting->username, 'password' => decrypt((string) $hosting->password)];
    if ($expected !== $actual || $expected['password'] === '') {
        $violate("service $id: WHMCS holds " . json_encode(array_diff_assoc($actual, $expected)) . ' where Katapult has ' . json_encode(array_diff_assoc($expected, $actual)));
    }
}

// Every failure visible in the logs with a reason: each failed command is in the activity log
// with its message, and each kind of fault injected left its own mark in the module log, where
// every exchange is kept ("HTTP <status>" or "no answer", then the body or the failure).
$activity = ActivityLog::descriptions();
foreach ($failures as $failure) {
    $message = trim($failure['message']);
    if ($message === '' || $message === 'An unknown error occurred') {
        $violate("{$failure['command']} for service {$failure['service']} failed without a reason");
    }
}
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

$figures['invariant_violations'] = count($violations);
$sim->stop();
@mkdir(dirname($reportPath), 0777, true);
file_put_contents($reportPath, json_encode(['seed' => $seed, 'services' => $serviceCount, 'database' => Environment::driver()] + $figures + ['violations' => $violations], JSON_PRETTY_PRINT) . "\n");

printf("soak: %d services on %s, seed %d, %.1f s\n", $serviceCount, Environment::driver(), $seed, $figures['seconds']);
printf("  rounds %d, cron runs %d (%d killed with SIGKILL), simulator restarts %d\n", $figures['rounds'], $figures['cron_runs'], $figures['cron_kills'], $figures['simulator_restarts']);
printf("  API requests %d, faults injected %d (%s)\n", $figures['api_requests'], array_sum($figures['faults_injected']), implode(', ', array_map(fn ($k, $v) => "$k $v", array_keys($figures['faults_injected']), $figures['faults_injected'])));
printf("  module commands failed and retried %d; builds %d; Built hooks %d; welcome emails %d; datastore rows %d\n", $figures['command_failures'], $figures['builds'], $figures['built_hooks'], $figures['welcome_emails'], $figures['datastore_rows']);
printf("  backups slice: %d services restored after Terminate, each checked for one policy of 14 backups\n", $figures['restored']);
printf("  invariant violations: %d\n", count($violations));
foreach (array_slice($violations, 0, 20) as $violation) {
    echo "    - $violation\n";
}
exit($violations === [] ? 0 : 1);

/** @param array<int, array{state: string, terminate: bool}> $life */
function unfinished(array $life): int
{
    return count(array_filter($life, fn (array $s) => nextCommand($s) !== null || $s['state'] === 'requested'));
}

/** @param array{state: string, terminate: bool, backups: bool} $service */
function nextCommand(array $service): ?string
{
    if ($service['backups']) {
        return BACKUPS_LIFE[$service['state']] ?? NEXT_COMMAND[$service['state']] ?? null;
    }
    if ($service['state'] === 'active') {
        return $service['terminate'] ? 'TerminateAccount' : null;
    }
    return NEXT_COMMAND[$service['state']] ?? null;
}

/** The extension and the katapult ini settings of this process, for the cron runs it starts. */
function phpFlags(): array
{
    $flags = ['-d', 'extension=' . (getenv('KATAPULT_EXT') ?: dirname(__DIR__, 2) . '/target/release/libkatapult.so')];
    foreach (ini_get_all('katapult', false) as $name => $value) {
        array_push($flags, '-d', "$name=$value");
    }
    return $flags;
}

/** WHMCS's cron beside the module commands: one run at a time, started again when it ends. */
final class CronRunner
{
    public int $runs = 0;
    public int $kills = 0;
    /** @var resource|null */
    private $process = null;

    /** @param list<string> $command */
    public function __construct(private readonly array $command, private readonly string $errors)
    {
    }

    /** Reaps a finished run and starts the next, which (while killing) may be SIGKILLed at once. */
    public function tick(bool $killing): void
    {
        if ($this->process !== null && proc_get_status($this->process)['running']) {
            return;
        }
        if ($this->process !== null) {
            proc_close($this->process);
        }
        $this->process = proc_open($this->command, [1 => ['file', '/dev/null', 'w'], 2 => ['file', $this->errors, 'a']], $pipes);
        $this->runs++;
        if ($killing && mt_rand() / mt_getrandmax() < KILL_CHANCE) {
            // A moment in its boot, its checks or its writes: waited for here, so it is not missed.
            usleep(mt_rand(30_000, 300_000));
            if (proc_get_status($this->process)['running']) {
                proc_terminate($this->process, 9);
                $this->kills++;
            }
            proc_close($this->process);
            $this->process = null;
        }
    }

    /** Lets the current run end. */
    public function finish(): void
    {
        if ($this->process !== null) {
            proc_close($this->process);
            $this->process = null;
        }
    }
}
