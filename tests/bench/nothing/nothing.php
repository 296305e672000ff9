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
