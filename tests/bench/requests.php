<?php
/**
 * `make bench`, footprint: sends N GETs of one URL, one after another on one kept-alive
 * connection, with one session cookie (wrk cannot stop after a count). Prints one JSON line:
 * requests, seconds, responses that were not 200, p50 in ms.
 *
 * Usage: php requests.php URL COOKIE N
 */

declare(strict_types=1);

[, $url, $cookie, $n] = $argv;
$curl = curl_init($url);
curl_setopt_array($curl, [CURLOPT_RETURNTRANSFER => true, CURLOPT_HTTPHEADER => ["Cookie: $cookie"], CURLOPT_TIMEOUT => 30]);
$bad = 0;
$ms = [];
$t0 = hrtime(true);
for ($i = 0; $i < (int) $n; $i++) {
    $t = hrtime(true);
    curl_exec($curl);
    $ms[] = (hrtime(true) - $t) / 1e6;
    if (curl_getinfo($curl, CURLINFO_RESPONSE_CODE) !== 200) {
        $bad++;
    }
}
sort($ms);
echo json_encode(['requests' => (int) $n, 'seconds' => round((hrtime(true) - $t0) / 1e9, 3), 'non200' => $bad,
    'p50_ms' => $ms === [] ? null : round($ms[intdiv(count($ms), 2)], 3)]), "\n";
exit($bad === 0 ? 0 : 1);
