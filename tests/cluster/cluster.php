<?php
/**
 * The cluster run: WHMCS scaled out on a three-node MariaDB Galera cluster. Two web nodes, each a
 * WHMCS (tests/cluster/node.php: an admin process and a client-area process) with its own
 * connection to its own Galera node (1 and 2), and each with its cron; this process checks from
 * node 3.
 *
 * 1. Services ordered through both nodes and driven through their lives (accept, the build sync,
 *    Suspend, Unsuspend, every fifth Terminate), each command on either node, while both nodes'
 *    crons run at once and are SIGKILLed at random; with --node-kill, Galera node 2 (web node
 *    B's) is SIGKILLed during a round and rejoins while the run goes on.
 * 2. The races: the same action token sent to both nodes at the same moment (exactly one uses
 *    it, the other says the link expired), and the same build claimed by both nodes at once
 *    (Refresh from Katapult on a finished build: the Built hook fires once); the panel's poll
 *    (LiveState) served by either node.
 * 3. The soak's invariants (tests/soak/lib/Invariants.php), the Galera figures, the report.
 *
 *   php -d extension=…/libkatapult.so tests/cluster/cluster.php [--services=300] [--seed=N]
 *       [--node-kill] [--races=60] [--report=target/cluster/report.json]
 *
 * tests/cluster/run.sh starts the cluster and sets the environment; use it.
 */

declare(strict_types=1);

use Katapult\Tests\Soak\CronRunner;
use Katapult\Tests\Soak\Invariants;
use Katapult\Tests\Soak\Lives;
use Katapult\Tests\Support\Simulator;
use WHMCS\Database\Capsule;
use WhmcsStandIn\ActivityLog;
use WhmcsStandIn\Environment;
use WhmcsStandIn\Fixtures;
use WhmcsStandIn\SalmonDataStore;

require dirname(__DIR__) . '/whmcs/bootstrap.php';
require dirname(__DIR__) . '/php/support/Simulator.php';
require dirname(__DIR__) . '/soak/lib/Invariants.php';
require dirname(__DIR__) . '/soak/lib/CronRunner.php';
require dirname(__DIR__) . '/soak/lib/Lives.php';

$options = getopt('', ['services:', 'seed:', 'node-kill', 'races:', 'report:']);
$serviceCount = max(2, (int) ($options['services'] ?? 300));
$seed = (int) ($options['seed'] ?? random_int(1, 1 << 30));
$nodeKill = isset($options['node-kill']);
$races = max(1, (int) ($options['races'] ?? 60));
$reportPath = $options['report'] ?? dirname(__DIR__, 2) . '/target/cluster/report.json';
mt_srand($seed);

const WELCOME_TEMPLATE = 'Katapult Cluster Welcome';
/** The rounds whose cron runs may be SIGKILLed, and the chance of each. */
const KILLING_ROUNDS = 3;
const KILL_CHANCE = 0.5;
/** The Galera node under web node B, killed with --node-kill in this round. */
const KILLED_NODE = 2;
const KILL_ROUND = 1;
const NEXT_COMMAND = ['ordered' => 'accept', 'built' => 'SuspendAccount', 'suspended' => 'UnsuspendAccount'];
const STATE_AFTER = ['accept' => 'requested', 'SuspendAccount' => 'suspended', 'UnsuspendAccount' => 'active', 'TerminateAccount' => 'terminated'];
$lives = new Lives(NEXT_COMMAND);

$started = microtime(true);
foreach ([1, 2, 3] as $n) {
    if ((string) getenv("GALERA_DSN_$n") === '') {
        fwrite(STDERR, "cluster: GALERA_DSN_$n is not set: use tests/cluster/run.sh\n");
        exit(2);
    }
}
// The web nodes' and crons' stderr, kept after the run.
$work = dirname($reportPath) . '/logs';
@mkdir($work, 0777, true);
array_map('unlink', glob("$work/*.err") ?: []);
$sim = new Simulator(['--seed', (string) $seed, '--rate-limit', '100000'], listen: Simulator::moduleAddress());

// WHMCS, set up from node 3: one Katapult product whose welcome email waits for the VM, the
// services of the lives and those of the claim races.
Environment::reset();
['product' => $product, 'clients' => $clients, 'life' => $life] = Lives::setUp(WELCOME_TEMPLATE, $serviceCount, 'cluster');
$raceServices = [];
foreach (range(0, $races - 1) as $i) {
    $raceServices[] = (int) Fixtures::service($clients[$i % count($clients)], $product, ['domain' => "race$i.example.com"])->id;
}

// The web nodes: A on Galera node 1, B on node 2; each an admin and a client-area process.
$php = [PHP_BINARY, '-d', 'extension=' . (getenv('KATAPULT_EXT') ?: dirname(__DIR__, 2) . '/target/release/libkatapult.so')];
$nodes = [];
foreach (['A' => 1, 'B' => 2] as $name => $galera) {
    $env = ['WHMCS_DB_DSN' => (string) getenv("GALERA_DSN_$galera")] + getenv();
    $nodes[$name] = [
        'galera' => $galera,
        'admin' => new WebNode([...$php, __DIR__ . '/node.php', 'admin'], $env, "$work/node-$name.err"),
        'client' => new WebNode([...$php, __DIR__ . '/node.php', 'client'], $env, "$work/node-$name.err"),
        'cron' => new CronRunner([...$php, dirname(__DIR__) . '/whmcs/cron.php'], "$work/cron-$name.err", KILL_CHANCE, $env),
    ];
}
$figures = ['rounds' => 0, 'commands' => 0, 'command_failures' => 0, 'galera_node_kills' => 0];
$failures = [];
$galeraBeforeKill = [];
$rejoin = null;
$tickCrons = function (bool $killing) use ($nodes): void {
    foreach ($nodes as $node) {
        $node['cron']->tick($killing);
    }
};

// 1. The lives: each round, every service's next command, two at a time (one on each node, at
// once), the crons of both nodes running beside them.
$lastProgress = microtime(true);
while ($lives->unfinished($life) > 0 && microtime(true) - $lastProgress < 90) {
    $before = array_column($life, 'state');
    $round = $figures['rounds']++;
    $killing = $round < KILLING_ROUNDS;
    foreach ($life as $id => &$service) {
        if ($service['state'] === 'requested' && ($vmId = SalmonDataStore::get('service', $id, 'vm_id')) !== null) {
            [$service['state'], $service['vm_id']] = ['built', (string) $vmId];
        }
    }
    unset($service);
    $due = array_filter(array_map(fn (array $s) => $lives->nextCommand($s), $life));
    $pairs = array_chunk(array_keys($due), 2);
    foreach ($pairs as $p => $pair) {
        if ($nodeKill && $round === KILL_ROUND && $p === 0) {
            $galeraBeforeKill = galeraCounters([KILLED_NODE]);
            galera('kill', KILLED_NODE);
            $figures['galera_node_kills']++;
        }
        if ($nodeKill && $round === KILL_ROUND && $p === intdiv(count($pairs), 2)) {
            $rejoin = proc_open([__DIR__ . '/galera.sh', 'rejoin', (string) KILLED_NODE], [1 => ['file', '/dev/null', 'w'], 2 => ['file', "$work/rejoin.err", 'a']], $pipes);
        }
        $tickCrons($killing);
        // Odd rounds swap the nodes, so each service meets both.
        $sent = [];
        foreach ($pair as $k => $id) {
            $node = $nodes[($k + $round) % 2 === 0 ? 'A' : 'B']['admin'];
            $job = $due[$id] === 'accept' ? ['do' => 'accept', 'service' => $id] : ['do' => 'command', 'function' => $due[$id], 'service' => $id];
            $node->send($job);
            $sent[$id] = $node;
        }
        foreach ($sent as $id => $node) {
            $answer = $node->receive();
            $figures['commands']++;
            if (($answer['ok'] ?? null) === 'success') {
                $life[$id]['state'] = STATE_AFTER[$due[$id]];
            } else {
                $figures['command_failures']++;
                $failures[] = ['service' => $id, 'command' => $due[$id], 'message' => (string) ($answer['ok'] ?? $answer['error'] ?? '')];
            }
        }
    }
    $tickCrons($killing);
    if ($rejoin !== null && !($status = proc_get_status($rejoin))['running']) {
        // proc_get_status() reaped it: its exit code is there, not in proc_close()'s answer.
        $figures['galera_rejoin_status'] = $status['exitcode'];
        proc_close($rejoin);
        $rejoin = null;
    }
    if (array_column($life, 'state') !== $before) {
        $lastProgress = microtime(true);
    }
    usleep(100_000);
}
if ($rejoin !== null) {
    $figures['galera_rejoin_status'] = proc_close($rejoin);
}
foreach ($nodes as $node) {
    $node['cron']->finish();
}
$figures['cron_runs'] = array_sum(array_map(fn (array $n) => $n['cron']->runs, $nodes));
$figures['cron_kills'] = array_sum(array_map(fn (array $n) => $n['cron']->kills, $nodes));
$figures['lives_seconds'] = round(microtime(true) - $started, 1);

$invariants = new Invariants($sim, WELCOME_TEMPLATE);
$violate = $invariants->violate(...);
if (($left = $lives->unfinished($life)) > 0) {
    $violate("$left services did not reach the end of their life");
}
if ($nodeKill && ($figures['galera_rejoin_status'] ?? -1) !== 0) {
    $violate('Galera node ' . KILLED_NODE . ' did not rejoin (see target/cluster/logs/rejoin.err)');
}

// 2a. The same token on both nodes at once: one uses it, the other says the link expired.
$expired = (function (): ?string {
    $_LANG = [];
    require dirname(__DIR__, 2) . '/module/lang/english.php';
    return $_LANG['katapult_link_expired'] ?? null;
})();
$live = array_keys(array_filter($life, fn (array $s) => $s['state'] === 'active'));
$tokenRaces = ['rounds' => 0, 'one_won' => 0, 'both_won' => 0, 'none_won' => 0];
foreach (range(0, $races - 1) as $round) {
    $id = $live[$round % count($live)];
    $client = (int) Capsule::table('tblhosting')->where('id', $id)->value('userid');
    $page = $nodes[$round % 2 === 0 ? 'A' : 'B']['client']->ask(['do' => 'client', 'function' => 'ClientArea', 'service' => $id, 'client' => $client]);
    if (!preg_match('~data-katapult-fetch-token="([^"]+)"~', (string) ($page['ok'] ?? ''), $match)) {
        $violate("token race $round: service $id's page has no password token: " . substr(json_encode($page), 0, 300));
        continue;
    }
    $answers = race($nodes, 'client', ['do' => 'client', 'function' => 'RevealPassword', 'service' => $id, 'client' => $client, 'token' => html_entity_decode($match[1])]);
    $tokenRaces['rounds']++;
    $won = array_map(fn (array $a) => isset(json_body($a)['password']), $answers);
    $refused = array_map(fn (array $a) => (json_body($a)['error'] ?? null) === $expired, $answers);
    $outcome = match (array_sum($won)) { 0 => 'none_won', 1 => 'one_won', default => 'both_won' };
    $tokenRaces[$outcome]++;
    if ($outcome !== 'one_won' || array_sum($refused) !== 1) {
        $violate("token race $round (service $id): " . json_encode($answers));
    }
}
$figures['token_races'] = $tokenRaces;

// 2b. The panel's poll served by either node.
foreach (array_slice($live, 0, 10) as $id) {
    $client = (int) Capsule::table('tblhosting')->where('id', $id)->value('userid');
    $domain = (string) Capsule::table('tblhosting')->where('id', $id)->value('domain');
    foreach (['A', 'B'] as $name) {
        $answer = $nodes[$name]['client']->ask(['do' => 'client', 'function' => 'LiveState', 'service' => $id, 'client' => $client]);
        if (!str_contains((string) (json_body($answer)['html'] ?? ''), $domain)) {
            $violate("LiveState of service $id on node $name does not show its VM $domain: " . substr(json_encode($answer), 0, 300));
        }
    }
}

// 2c. The same build claimed by both nodes at once: the order is accepted, Katapult finishes the
// build, and both nodes' admins press Refresh from Katapult together; the Built hook fires once.
foreach ($raceServices as $i => $id) {
    $answer = $nodes[$i % 2 === 0 ? 'A' : 'B']['admin']->ask(['do' => 'accept', 'service' => $id]);
    if (($answer['ok'] ?? null) !== 'success') {
        $violate("claim race: service $id's order was not accepted: " . json_encode($answer));
    }
}
waitForBuilds($sim, $raceServices);
$claimRaces = ['rounds' => 0, 'answers' => []];
foreach ($raceServices as $id) {
    $answers = race($nodes, 'admin', ['do' => 'command', 'function' => 'RefreshFromKatapult', 'service' => $id]);
    $claimRaces['rounds']++;
    foreach ($answers as $answer) {
        $said = (string) ($answer['ok'] ?? $answer['error'] ?? '');
        $claimRaces['answers'][$said] = ($claimRaces['answers'][$said] ?? 0) + 1;
        // The winner persists the VM; the other either found the claim taken ("still being
        // built") or came after, and wrote the addresses again: both are "success".
        if (!in_array($said, ['success', 'The VM is still being built; nothing to write yet.'], true)) {
            $violate("claim race (service $id): $said");
        }
    }
    $life[$id] = ['state' => 'active', 'terminate' => false, 'vm_id' => (string) SalmonDataStore::get('service', $id, 'vm_id')];
}
$figures['claim_races'] = $claimRaces;

// 3. The invariants, read from node 3 once it has applied everything the others committed.
Capsule::connection()->statement('SET SESSION wsrep_sync_wait = 1');
$invariants->check($life);
$invariants->failuresHaveReasons($failures);
foreach (WebNode::$leftOpen as $answer) {
    $violate('a request ended with a transaction open: ' . substr(json_encode($answer), 0, 300));
}
$figures += $invariants->figures;

// What Galera met: certification failures (a commit that lost to another node's) and
// brute-force aborts (a local transaction cut short by a replicated one), summed over the nodes
// (node 2's from before its kill too); and how many reached WHMCS as a database error.
$counters = galeraCounters([1, 2, 3]);
foreach ($galeraBeforeKill as $name => $value) {
    $counters[$name] += $value;
}
$figures['galera'] = $counters;
$conflictSigns = ['1213 Deadlock', 'WSREP has not yet prepared'];
$surfaced = array_filter(
    [...ActivityLog::descriptions(), ...array_column($failures, 'message')],
    fn (string $line) => array_filter($conflictSigns, fn ($sign) => str_contains($line, $sign)) !== [],
);
$figures['conflicts_reaching_whmcs'] = count($surfaced);
$figures['conflicts_reaching_whmcs_examples'] = array_slice(array_values($surfaced), 0, 5);
$figures['seconds'] = round(microtime(true) - $started, 1);
$violations = $invariants->violations;
$figures['invariant_violations'] = count($violations);
file_put_contents("$work/failures.json", json_encode($failures, JSON_PRETTY_PRINT) . "\n");
// WHMCS's activity log (the module's lines among it), for reading a violation's story.
$entries = ActivityLog::entries();
usort($entries, fn ($a, $b) => [$a->date, $a->id] <=> [$b->date, $b->id]);
file_put_contents("$work/activity.log", implode('', array_map(fn ($e) => "$e->date $e->description\n", $entries)));

foreach ($nodes as $node) {
    $node['admin']->stop();
    $node['client']->stop();
}
$sim->stop();
@mkdir(dirname($reportPath), 0777, true);
file_put_contents($reportPath, json_encode(['seed' => $seed, 'services' => $serviceCount, 'races' => $races, 'node_kill' => $nodeKill] + $figures + ['violations' => $violations], JSON_PRETTY_PRINT) . "\n");

printf("cluster: %d services on a 3-node Galera cluster, 2 web nodes, seed %d, %.1f s\n", $serviceCount, $seed, $figures['seconds']);
printf("  rounds %d, module commands %d (%d failed and retried), cron runs %d (%d killed with SIGKILL), Galera node kills %d\n", $figures['rounds'], $figures['commands'], $figures['command_failures'], $figures['cron_runs'], $figures['cron_kills'], $figures['galera_node_kills']);
printf("  builds %d; Built hooks %d; welcome emails %d; datastore rows %d\n", $figures['builds'], $figures['built_hooks'], $figures['welcome_emails'], $figures['datastore_rows']);
printf("  token races %d: one won %d, both won %d, none won %d; claim races %d\n", $tokenRaces['rounds'], $tokenRaces['one_won'], $tokenRaces['both_won'], $tokenRaces['none_won'], $claimRaces['rounds']);
printf("  Galera certification failures %d, brute-force aborts %d; conflicts reaching WHMCS as errors %d\n", $counters['wsrep_local_cert_failures'], $counters['wsrep_local_bf_aborts'], $figures['conflicts_reaching_whmcs']);
exit($invariants->printViolations());

/**
 * The same request to both web nodes' `$role` processes, to start at the same moment.
 *
 * @return list<array<string, mixed>>
 */
function race(array $nodes, string $role, array $job): array
{
    $job['at'] = microtime(true) + 0.05;
    foreach ($nodes as $node) {
        $node[$role]->send($job);
    }
    return array_values(array_map(fn (array $node) => $node[$role]->receive(), $nodes));
}

/** A client-area function's JSON answer, decoded. */
function json_body(array $answer): array
{
    $body = $answer['ok'] ?? null;
    $decoded = is_string($body) ? json_decode($body, true) : $body;
    return is_array($decoded) ? $decoded : [];
}

/** Waits until Katapult has finished the builds of these services (a minute at most). */
function waitForBuilds(Simulator $sim, array $services): void
{
    $api = new Katapult\ApiClient('sim-token', $sim->baseUrl);
    $deadline = microtime(true) + 60;
    foreach ($services as $id) {
        $build = (string) SalmonDataStore::get('service', $id, 'vm_build_id');
        while ($build !== '' && microtime(true) < $deadline) {
            $answer = $api->virtualMachineBuild($build);
            if (($answer['state'] ?? '') === 'complete' && ($answer['virtual_machine']['id'] ?? '') !== '') {
                break;
            }
            usleep(200_000);
        }
    }
}

/** tests/cluster/galera.sh, for a node. */
function galera(string $what, int $node): void
{
    passthru(escapeshellarg(__DIR__ . '/galera.sh') . " $what $node", $status);
    if ($status !== 0) {
        throw new RuntimeException("galera.sh $what $node failed ($status)");
    }
}

/**
 * The conflict counters of these Galera nodes, summed.
 *
 * @return array{wsrep_local_cert_failures: int, wsrep_local_bf_aborts: int}
 */
function galeraCounters(array $nodes): array
{
    $sum = ['wsrep_local_cert_failures' => 0, 'wsrep_local_bf_aborts' => 0];
    foreach ($nodes as $n) {
        $pdo = new PDO((string) getenv("GALERA_DSN_$n"), (string) getenv('WHMCS_DB_USER'), (string) getenv('WHMCS_DB_PASS'));
        foreach ($pdo->query("SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_local_cert_failures', 'wsrep_local_bf_aborts')") as $row) {
            $sum[$row[0]] += (int) $row[1];
        }
    }
    return $sum;
}

/** A web node's PHP process (tests/cluster/node.php): one request a line, one answer a line. */
final class WebNode
{
    /** @var resource */
    private $process;
    /** @var array<int, resource> */
    private array $pipes = [];

    /** @param array<string, string> $env */
    public function __construct(array $command, array $env, string $errors)
    {
        $process = proc_open($command, [0 => ['pipe', 'r'], 1 => ['pipe', 'w'], 2 => ['file', $errors, 'a']], $this->pipes, null, $env);
        if (!is_resource($process)) {
            throw new RuntimeException('cannot start ' . implode(' ', $command));
        }
        $this->process = $process;
    }

    public function send(array $job): void
    {
        fwrite($this->pipes[0], json_encode($job, JSON_THROW_ON_ERROR) . "\n");
    }

    /** @return array<string, mixed> */
    public function receive(): array
    {
        $line = fgets($this->pipes[1]);
        if ($line === false) {
            throw new RuntimeException('a web node process ended; see its .err file in target/cluster/logs');
        }
        $answer = json_decode($line, true, 512, JSON_THROW_ON_ERROR);
        if (isset($answer['left_open'])) {
            self::$leftOpen[] = $answer;
        }
        return $answer;
    }

    /** @var list<array<string, mixed>> answers of requests that ended with a transaction open */
    public static array $leftOpen = [];

    /** @return array<string, mixed> */
    public function ask(array $job): array
    {
        $this->send($job);
        return $this->receive();
    }

    public function stop(): void
    {
        fclose($this->pipes[0]);
        proc_close($this->process);
    }
}
