<?php
/**
 * `make bench`: the module's own cost in a client-area page (issue 21). Each round, on kept-alive
 * connections, five requests:
 *   - our page reading its VM from Katapult (the client area's copy aged and the client's
 *     live-read budget refilled just before, untimed: as the first page after the copy has aged
 *     finds them, the client's budget row there with reads left);
 *   - the do-nothing module's page;
 *   - the do-nothing module's page reading the same VM (`bench_get`: one GET on a connection its
 *     PHP-FPM worker keeps open, the JSON decoded, nothing else): the API round trip as a page
 *     pays it;
 *   - the simulator's VM GET alone, as our page makes it (the API round trip by itself);
 *   - our page again, from the fresh copy the first one left;
 *   - the do-nothing module's page making the statement our page reads its service with, its
 *     panel as much longer as our page is (`bench_floor`): what our page from the copy cannot do
 *     without, any module that reads its state from the database and shows a panel this size
 *     pays it;
 *   - the do-nothing module's page calling our module's client area twice (`bench_twice`), from
 *     the same fresh copy: how long our call takes in a page, and again right after, with what
 *     the first call brought into the processor's caches still there;
 * in an order drawn afresh each round, the first of ours before the others (a fixed order had
 * each kind follow the same other every time: the page after the simulator's GET met an idle
 * worker, the page after ours a busy one). Taking the five in the same round keeps a busy
 * machine's drift out of their differences.
 * Prints one JSON object: the p50 of each, and the medians over the rounds of
 * live - nothing-reading (the module's own time in a page that reads its VM, beside a page that
 * only reads it), live - nothing - GET (the same against the GET alone, which does not pay
 * what waiting on the network costs a page: the rest of the page runs after the worker slept),
 * nothing-reading - nothing - GET (that cost), and cached - nothing (a page from the fresh copy
 * over the floor), floor_page - nothing (the statement and the bytes alone over the floor), and
 * the p50 of our call's two times in one page. Every page must show what it is timed for (its marker), and each request
 * must make the API requests it is timed for (the pages reading the VM and the GET one, the
 * others none).
 *
 * Usage: php own-cost.php ROUNDS OURS_URL OURS_MARKER NOTHING_URL NOTHING_MARKER COOKIE
 *        VM_GET_URL API_TOKEN CA_FILE DB_DSN SIM_STATS_URL VM_ID SERVICE_ID
 */

declare(strict_types=1);

[, $rounds, $oursUrl, $oursMarker, $nothingUrl, $nothingMarker, $cookie, $getUrl, $token, $ca, $dsn, $statsUrl, $vmId, $serviceId] = $argv;

$database = new PDO($dsn, null, null, [PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION]);
$handle = static function (string $url, array $headers) use ($ca) {
    $curl = curl_init($url);
    curl_setopt_array($curl, [CURLOPT_RETURNTRANSFER => true, CURLOPT_HTTPHEADER => $headers, CURLOPT_TIMEOUT => 30, CURLOPT_CAINFO => $ca]);
    return $curl;
};
$ours = $handle($oursUrl, ["Cookie: $cookie"]);
$nothing = $handle($nothingUrl, ["Cookie: $cookie"]);
$nothingReading = $handle($nothingUrl . '&' . http_build_query(['bench_get' => $vmId]), ["Cookie: $cookie"]);
$get = $handle($getUrl, ["Authorization: Bearer $token"]);
// How much longer our page is than the do-nothing module's: the floor's page adds as much.
$longer = strlen((string) curl_exec($ours)) - strlen((string) curl_exec($nothing));
$floor = $handle($nothingUrl . '&' . http_build_query(['bench_floor' => $serviceId, 'bench_bytes' => $longer]), ["Cookie: $cookie"]);
$twice = $handle($nothingUrl . '&' . http_build_query(['bench_twice' => $serviceId]), ["Cookie: $cookie"]);
$stats = $handle($statsUrl, []);
$apiRequests = static fn (): int => (int) json_decode((string) curl_exec($stats), true)['total_requests'];

/** Milliseconds of one request; dies when the answer is not what is timed. */
function timed($curl, string $marker, string $what, ?string &$body = null): float
{
    $t = hrtime(true);
    $body = (string) curl_exec($curl);
    $ms = (hrtime(true) - $t) / 1e6;
    if (curl_getinfo($curl, CURLINFO_RESPONSE_CODE) !== 200 || !str_contains($body, $marker)) {
        fwrite(STDERR, "$what: HTTP " . curl_getinfo($curl, CURLINFO_RESPONSE_CODE) . " without \"$marker\"\n" . substr($body, 0, 2000) . "\n");
        exit(1);
    }
    return $ms;
}

function median(array $values): float
{
    sort($values);
    $n = count($values);
    return $n % 2 ? $values[intdiv($n, 2)] : ($values[$n / 2 - 1] + $values[$n / 2]) / 2;
}

$times = ['live' => [], 'nothing' => [], 'nothing_reading' => [], 'get' => [], 'cached' => [], 'floor' => [], 'twice' => []];
$calls = ['first' => [], 'second' => []];
$unexpectedRequests = 0;
// The requests of a round in an order drawn afresh each round (our page reading its VM always
// before the pages served from the copy it leaves): what a request follows (an idle php-fpm
// worker, a page just served, the simulator's answer) then weighs alike on each kind, not always
// on the same one. Every request follows a read of the simulator's request count alike.
$timed = [
    'live' => [$ours, $oursMarker, 'our page, reading its VM', 1],
    'nothing' => [$nothing, $nothingMarker, 'the do-nothing module\'s page', 0],
    'nothing_reading' => [$nothingReading, $nothingMarker, 'the do-nothing module\'s page reading the VM', 1],
    'get' => [$get, '"virtual_machine"', 'the simulator\'s VM GET', 1],
    'cached' => [$ours, $oursMarker, 'our page, from the fresh copy', 0],
    'floor' => [$floor, $nothingMarker, 'the do-nothing module\'s page with our statement and bytes', 0],
    'twice' => [$twice, $oursMarker, 'the do-nothing module\'s page calling ours twice', 0],
];
$afterLive = ['cached', 'twice'];
mt_srand(21);
for ($i = 0; $i < (int) $rounds; $i++) {
    do {
        $order = array_keys($timed);
        shuffle($order);
    } while (array_search('live', $order, true) > min(array_map(fn ($kind) => array_search($kind, $order, true), $afterLive)));
    foreach ($order as $kind) {
        [$curl, $marker, $what, $requests] = $timed[$kind];
        if ($kind === 'live') {
            $database->exec('UPDATE mod_katapult_vm_reads SET read_at = 0');
            $database->exec('UPDATE mod_katapult_live_reads SET spent = 0');
        }
        $before = $apiRequests();
        $times[$kind][] = timed($curl, $marker, $what, $body);
        if ($kind === 'twice') {
            if (preg_match('/data-first-us="(\d+)" data-second-us="(\d+)"/', $body, $took) !== 1) {
                fwrite(STDERR, "$what: no call times in the page\n");
                exit(1);
            }
            $calls['first'][] = $took[1] / 1000;
            $calls['second'][] = $took[2] / 1000;
        }
        $unexpectedRequests += $apiRequests() - $before === $requests ? 0 : 1;
    }
}
if ($unexpectedRequests > 0) {
    fwrite(STDERR, "$unexpectedRequests requests did not make exactly the API requests they are timed for\n");
    exit(1);
}
$difference = static fn (array $from, array ...$less): float => round(median(array_map(
    static fn (float $first, float ...$others): float => $first - array_sum($others), $from, ...$less)), 3);
echo json_encode([
    'rounds' => (int) $rounds,
    'p50_ms' => array_map(fn ($t) => round(median($t), 3), $times),
    'module_ms_in_live_page' => $difference($times['live'], $times['nothing_reading']),
    'module_ms_in_live_page_over_get_alone' => $difference($times['live'], $times['nothing'], $times['get']),
    'waiting_in_a_page_over_get_alone_ms' => $difference($times['nothing_reading'], $times['nothing'], $times['get']),
    'cached_page_minus_nothing_ms' => $difference($times['cached'], $times['nothing']),
    'floor_page_minus_nothing_ms' => $difference($times['floor'], $times['nothing']),
    'our_call_in_page_ms' => round(median($calls['first']), 3),
    'our_call_again_ms' => round(median($calls['second']), 3),
]), "\n";
