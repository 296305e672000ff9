<?php
/**
 * `make bench`: sends N GETs of one URL, one after another on one kept-alive connection, with one
 * session cookie (wrk cannot stop after a count). Prints one JSON line: requests, seconds,
 * responses that were not 200, p50 in ms.
 *
 * With a WHMCS database DSN (4th argument), the client area's copy of each VM is aged and the
 * clients' live-read budgets are dropped before each request, outside the timing: every page then
 * reads its VM from Katapult, as the first page after the copy has aged does.
 *
 * Env: BENCH_MARKER, when set, must be in every answer (else it counts as not 200: the page did
 * not show what was to be timed).
 *
 * Usage: php requests.php URL COOKIE N [DSN]
 */

declare(strict_types=1);

[, $url, $cookie, $n] = $argv;
$database = isset($argv[4]) ? new PDO($argv[4], null, null, [PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION]) : null;
$curl = curl_init($url);
curl_setopt_array($curl, [CURLOPT_RETURNTRANSFER => true, CURLOPT_HTTPHEADER => ["Cookie: $cookie"], CURLOPT_TIMEOUT => 30]);
$marker = (string) getenv('BENCH_MARKER');
$bad = 0;
$ms = [];
$t0 = hrtime(true);
for ($i = 0; $i < (int) $n; $i++) {
    if ($database !== null) {
        // Tables the module makes on its first page; absent for a module that keeps no copy.
        foreach (['UPDATE mod_katapult_vm_reads SET read_at = 0', 'DELETE FROM mod_katapult_live_reads'] as $statement) {
            try {
                $database->exec($statement);
            } catch (PDOException) {
            }
        }
    }
    $t = hrtime(true);
    $body = (string) curl_exec($curl);
    $ms[] = (hrtime(true) - $t) / 1e6;
    if (curl_getinfo($curl, CURLINFO_RESPONSE_CODE) !== 200 || ($marker !== '' && !str_contains($body, $marker))) {
        $bad++;
    }
}
sort($ms);
echo json_encode(['requests' => (int) $n, 'seconds' => round((hrtime(true) - $t0) / 1e9, 3), 'non200' => $bad,
    'p50_ms' => $ms === [] ? null : round($ms[intdiv(count($ms), 2)], 3)]), "\n";
exit($bad === 0 ? 0 : 1);
