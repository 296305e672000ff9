<?php
/**
 * `make bench`: a server module that does nothing, the page's floor. Its product details page
 * is what any module's page costs in the stand-in (the module loaded, its parameters built, its
 * ClientArea called and the returned panel put in the page), without any work of its own: no
 * API call, no datastore, no template engine. Ours and the reference's pages are measured
 * against it, and its throughput over the reference's is the most any module could reach.
 *
 * With `bench_get=<VM id>` in the page's query, it also reads that VM from the API, as our page
 * reading its VM does and with nothing else: one GET on a TLS connection kept open in the
 * PHP-FPM worker across its requests (a persistent stream), the answer's JSON decoded. That
 * page less the plain one is the API round trip as a page pays it (own-cost.php).
 *
 * Two more pages measure what a page of ours cannot do without (own-cost.php):
 *   - `bench_floor=<service id>&bench_bytes=<n>`: the statement our page makes first (the one of
 *     src/store/service_reads.rs, as it reads on SQLite) for that service, and n bytes more in
 *     the panel (what our page is longer than this one): what any module that reads its state
 *     from the database and shows a panel the size of ours pays in this page, with no work of
 *     its own beside;
 *   - `bench_twice=<service id>`: our module's client-area call for that service made twice in
 *     the page, each timed; the panel says how long each took. The first runs as in our page,
 *     after the page's own PHP; the second right after the first, with what the first brought
 *     into the processor's caches still there.
 */

if (!defined('WHMCS')) {
    die('This file cannot be accessed directly');
}

function nothing_MetaData(): array
{
    return ['DisplayName' => 'Nothing (bench floor)', 'APIVersion' => '1.1', 'RequiresServer' => true];
}

function nothing_ClientArea(array $params): string
{
    if (isset($_GET['bench_get'])) {
        nothing_get_vm((string) $_GET['bench_get']);
    }
    if (isset($_GET['bench_floor'])) {
        $rows = nothing_service_reads((int) $_GET['bench_floor'], (int) $params['userid']);
        return '<div class="nothing-panel" data-rows="' . count($rows) . '">'
            . str_repeat('-', max(0, (int) ($_GET['bench_bytes'] ?? 0))) . '</div>';
    }
    if (isset($_GET['bench_twice'])) {
        return nothing_our_call_twice((int) $_GET['bench_twice']);
    }
    return '<div class="nothing-panel">' . htmlspecialchars((string) $params['domain'], ENT_QUOTES) . '</div>';
}

/**
 * The VM's JSON from the API named by the worker's KATAPULT_API_URL (and KATAPULT_CA_FILE), on
 * the worker's kept-open connection; a connection the API closed meanwhile is made again once.
 */
function nothing_get_vm(string $vmId): array
{
    $api = parse_url((string) getenv('KATAPULT_API_URL'));
    $host = $api['host'] ?? '127.0.0.1';
    $context = stream_context_create(['ssl' => ['cafile' => (string) getenv('KATAPULT_CA_FILE'), 'peer_name' => $host]]);
    $request = 'GET ' . ($api['path'] ?? '') . '/virtual_machines/_?' . http_build_query(['virtual_machine' => ['id' => $vmId]])
        . " HTTP/1.1\r\nHost: $host\r\nAuthorization: Bearer sim-token\r\nAccept: application/json\r\n\r\n";
    for ($attempt = 1; $attempt <= 2; $attempt++) {
        $socket = stream_socket_client("tls://$host:" . ($api['port'] ?? 443), $errno, $error, 5,
            STREAM_CLIENT_CONNECT | STREAM_CLIENT_PERSISTENT, $context);
        if ($socket === false) {
            throw new RuntimeException("bench_get: no connection to the API: $error");
        }
        $head = @fwrite($socket, $request) === strlen($request) ? (string) stream_get_line($socket, 65536, "\r\n\r\n") : '';
        if (preg_match('/^HTTP\/1\.1 200 .*^content-length:\s*(\d+)/ims', $head, $match) !== 1) {
            fclose($socket);   // closed by the API since the last request, or not an answer
            continue;
        }
        $body = '';
        while (strlen($body) < (int) $match[1] && !feof($socket)) {
            $body .= (string) fread($socket, (int) $match[1] - strlen($body));
        }
        return json_decode($body, true, 512, JSON_THROW_ON_ERROR);
    }
    throw new RuntimeException('bench_get: no answer from the API');
}

/**
 * The rows of the statement our page reads its service with (src/store/service_reads.rs, on
 * SQLite), through WHMCS's connection as ours goes: prepared, bound, executed and fetched.
 */
function nothing_service_reads(int $serviceId, int $clientId): array
{
    $item = 'SELECT rel_type, rel_id, "key", value, id FROM mod_salmon_data_store_items WHERE ';
    $statement = \WHMCS\Database\Capsule::connection()->getPdo()->prepare(
        $item . 'rel_type = ? AND rel_id = ?'
        . ' UNION ALL ' . $item . 'rel_type = ? AND (rel_id = ? OR rel_id = ?)'
        . " UNION ALL SELECT 'status', NULL, NULL, domainstatus, 0 FROM tblhosting WHERE id = ?"
        . " UNION ALL SELECT 'debug', NULL, NULL, value, 0 FROM tblconfiguration WHERE setting = ?"
        . " UNION ALL SELECT 'vm_read', NULL, vm_id, vm, read_at FROM mod_katapult_vm_reads WHERE service_id = ?"
        . " UNION ALL SELECT 'spent', window_start, NULL, NULL, spent FROM mod_katapult_live_reads WHERE client_id = ?"
    );
    $values = ['service', $serviceId, 'module_setting', 0, 'katapult', $serviceId, 'ModuleDebugMode', $serviceId, $clientId];
    foreach ($values as $index => $value) {
        $statement->bindValue($index + 1, $value, is_int($value) ? PDO::PARAM_INT : PDO::PARAM_STR);
    }
    $statement->execute();
    $rows = $statement->fetchAll(PDO::FETCH_NUM);
    if (!in_array('vm_read', array_column($rows, 0), true)) {
        throw new RuntimeException("bench_floor: service $serviceId has no VM as last read");
    }
    return $rows;
}

/**
 * Our module's client-area call for `$serviceId` (the logged-in client's), twice, each timed:
 * the panel names both times in microseconds, and holds the second call's panel.
 */
function nothing_our_call_twice(int $serviceId): string
{
    // Our module's PHP functions, for the call to read its language files with when this
    // worker has not yet (katapult_lang()).
    require_once dirname(__DIR__, 3) . '/module/functions.php';
    $params = \WhmcsStandIn\ModuleParams::build($serviceId);
    $request = ['client' => (int) ($_SESSION['uid'] ?? 0), 'token' => '', 'csrf' => (string) generate_token('plain'),
        'language' => 'english', 'dir' => dirname(__DIR__, 3) . '/module'];
    $first = hrtime(true);
    \Katapult\Module\clientArea($params, $request);
    $second = hrtime(true);
    $panel = \Katapult\Module\clientArea($params, $request);
    $end = hrtime(true);
    return sprintf('<div class="nothing-panel" data-first-us="%d" data-second-us="%d">%s</div>',
        intdiv($second - $first, 1000), intdiv($end - $second, 1000), $panel);
}
