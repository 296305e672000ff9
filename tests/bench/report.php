<?php
/**
 * `make bench`: the report. Reads the results run.sh left in RESULTS_DIR, prints every figure as
 * a table (medians of the repeated runs, ratios of figures measured in the same run) and writes
 * them as JSON to OUT_DIR/latest.json and OUT_DIR/bench-<time>.json. Never judges a timing: the
 * targets are printed beside the figures, with "met" or "missed".
 *
 * Usage: php report.php RESULTS_DIR OUT_DIR EXTENSION
 */

declare(strict_types=1);

[, $dir, $outDir, $ext] = $argv;

function load(string $file): ?array
{
    return is_file($file) ? json_decode((string) file_get_contents($file), true) : null;
}

function median(array $values): ?float
{
    $values = array_values(array_filter($values, 'is_numeric'));
    if ($values === []) {
        return null;
    }
    sort($values);
    $n = count($values);
    return $n % 2 ? (float) $values[intdiv($n, 2)] : ($values[$n / 2 - 1] + $values[$n / 2]) / 2;
}

function fmt(?float $value, int $decimals = 1, string $unit = ''): string
{
    return $value === null ? '-' : number_format($value, $decimals, '.', ',') . $unit;
}

function ratio(?float $a, ?float $b): ?float
{
    return $a === null || $b === null || $b == 0.0 ? null : $a / $b;
}

function verdict(bool $met): string
{
    return $met ? 'met' : 'MISSED';
}

$report = ['generated_at' => date('c')];

// ---- the machine
$cpu = '';
foreach (file('/proc/cpuinfo') ?: [] as $line) {
    if (str_starts_with($line, 'model name')) {
        $cpu = trim(explode(':', $line, 2)[1]);
        break;
    }
}
$mem = 0;
foreach (file('/proc/meminfo') ?: [] as $line) {
    if (str_starts_with($line, 'MemTotal:')) {
        $mem = (int) preg_replace('/\D/', '', $line);
    }
}
$report['machine'] = [
    'nproc' => (int) trim((string) shell_exec('nproc')),
    'cpu' => $cpu,
    'memory_gb' => round($mem / 1048576, 1),
    'loadavg_at_report' => trim((string) file_get_contents('/proc/loadavg')),
    'php' => PHP_VERSION,
    'extension' => trim((string) shell_exec('php -n -d extension=' . escapeshellarg($ext) . ' -r ' . escapeshellarg('echo Katapult\version();') . ' 2>/dev/null')),
    'git' => trim((string) shell_exec('git -C ' . escapeshellarg(dirname(__DIR__, 2)) . ' rev-parse --short HEAD 2>/dev/null')),
    'elapsed_s' => (int) trim((string) @file_get_contents("$dir/elapsed")),
];
$m = $report['machine'];
$lines = [];
$phases = [];
foreach (file("$dir/phases", FILE_IGNORE_NEW_LINES | FILE_SKIP_EMPTY_LINES) ?: [] as $line) {
    [$name, $seconds] = explode(' ', $line) + [1 => '0'];
    $phases[$name] = (int) $seconds;
}
$report['machine']['phases_s'] = $phases;
$lines[] = sprintf('make bench: %d cores (%s), %s GB, PHP %s, extension %s (%s); whole run %d s (%s)',
    $m['nproc'], $m['cpu'], $m['memory_gb'], $m['php'], $m['extension'] ?: '?', $m['git'] ?: '?', $m['elapsed_s'],
    implode(', ', array_map(fn ($k, $v) => "$k $v s", array_keys($phases), $phases)));

// ---- 1. client-area page
$concurrencies = [];
foreach (glob("$dir/page-ours-c*-r*.json") ?: [] as $file) {
    preg_match('/-c(\d+)-r/', $file, $x);
    $concurrencies[(int) $x[1]] = true;
}
ksort($concurrencies);
if ($concurrencies !== []) {
    $sim = load("$dir/sim-c1.json");
    $page = ['simulator_vm_get_c1' => $sim, 'by_concurrency' => []];
    $lines[] = '';
    $lines[] = '1. Client-area page (php-fpm ' . '+ nginx, simulator on HTTPS + 2 ms; medians of ' . count(glob("$dir/page-ours-c1-r*.json") ?: []) . ' wrk runs)';
    $lines[] = sprintf('   %-6s %-10s %10s %9s %9s %8s', 'conc.', 'module', 'req/s', 'p50 ms', 'p99 ms', 'errors');
    foreach (array_keys($concurrencies) as $c) {
        $row = [];
        foreach (['ours', 'ref', 'nothing'] as $v) {
            $runs = array_values(array_filter(array_map('load', glob("$dir/page-$v-c$c-r*.json") ?: [])));
            if ($runs === []) {
                continue;
            }
            $row[$v] = [
                'runs' => count($runs),
                'rps' => median(array_column($runs, 'rps')),
                'p50_ms' => median(array_map(fn ($r) => $r['latency_ms']['p50'], $runs)),
                'p99_ms' => median(array_map(fn ($r) => $r['latency_ms']['p99'], $runs)),
                'errors' => array_sum(array_map(fn ($r) => array_sum($r['errors']), $runs)),
                'raw' => $runs,
            ];
            $label = ['ours' => 'ours', 'ref' => 'reference', 'nothing' => 'nothing'][$v];
            $lines[] = sprintf('   %-6s %-10s %10s %9s %9s %8d', $c, $label, fmt($row[$v]['rps']),
                fmt($row[$v]['p50_ms'], 2), fmt($row[$v]['p99_ms'], 2), $row[$v]['errors']);
            $wrong = array_sum(array_map(fn ($r) => $r['errors']['wrong'] ?? 0, $runs));
            if ($wrong > 0) {
                $lines[] = sprintf('   %-6s %-10s %d answers were not the page showing the VM (status or content): these figures do not measure the page', '', '', $wrong);
            }
        }
        $row['throughput_ratio'] = ratio($row['ours']['rps'] ?? null, $row['ref']['rps'] ?? null);
        $row['p50_ratio_ref_over_ours'] = ratio($row['ref']['p50_ms'] ?? null, $row['ours']['p50_ms'] ?? null);
        // The page of a module doing nothing bounds every module's: its throughput over the
        // reference's is the most a module could reach on whole pages.
        $row['ceiling_ratio'] = ratio($row['nothing']['rps'] ?? null, $row['ref']['rps'] ?? null);
        // Time a page spends on the module's own work, from the throughput: what each page adds
        // to the floor's page (the simulator's GET included).
        $perPage = static fn (?float $rps): ?float => $rps ? 1000 / $rps : null;
        $floor = $perPage($row['nothing']['rps'] ?? null);
        $moduleMs = static fn (?float $ms): ?float => $ms !== null && $floor !== null ? $ms - $floor : null;
        $row['module_ms_per_page'] = ['ours' => $moduleMs($perPage($row['ours']['rps'] ?? null)), 'ref' => $moduleMs($perPage($row['ref']['rps'] ?? null))];
        $row['module_ratio_ref_over_ours'] = ratio($row['module_ms_per_page']['ref'], $row['module_ms_per_page']['ours']);
        $lines[] = sprintf('   %-6s %-10s %10s %9s   (target: throughput >= 3x: %s; ceiling, nothing/reference: %s)', $c, 'ratio', fmt($row['throughput_ratio'], 2, 'x'),
            fmt($row['p50_ratio_ref_over_ours'], 2, 'x'), verdict(($row['throughput_ratio'] ?? 0) >= 3), fmt($row['ceiling_ratio'], 2, 'x'));
        $lines[] = sprintf('   %-6s %-10s %10s   (the module\'s own part of a page, 1/throughput over the floor\'s: ours %s ms, reference %s ms)', $c, 'modules', fmt($row['module_ratio_ref_over_ours'], 2, 'x'),
            fmt($row['module_ms_per_page']['ours'], 2), fmt($row['module_ms_per_page']['ref'], 2));
        $page['by_concurrency'][$c] = $row;
    }
    $c1 = $page['by_concurrency'][1] ?? null;
    if ($sim !== null) {
        // The timed pages above are served from the VM as last read: the API round trip is in
        // the live page's figures below, not in these.
        $lines[] = sprintf('   simulator VM GET alone (kept-alive, c=1): p50 %s ms, p99 %s ms, %s req/s',
            fmt($sim['latency_ms']['p50'], 2), fmt($sim['latency_ms']['p99'], 2), fmt($sim['rps']));
    }
    $inproc = load("$dir/inproc.json");
    if ($inproc !== null) {
        $page['in_process'] = $inproc;
        $o = $inproc['ours_ClientArea'];
        $r = $inproc['ref_ClientArea'];
        $s = $inproc['sim_vm_get_keepalive'];
        $lines[] = sprintf('   in one process (%d calls): katapult_ClientArea p50 %s ms (p99 %s; most from the VM as last read), katapultref_ClientArea p50 %s ms (p99 %s),',
            $o['n'], fmt($o['p50_ms'], 2), fmt($o['p99_ms'], 2), fmt($r['p50_ms'], 2), fmt($r['p99_ms'], 2));
        $lines[] = sprintf('      the simulator\'s VM GET on a kept-alive curl handle p50 %s ms; reference/ours %s',
            fmt($s['p50_ms'], 2), fmt(ratio($r['p50_ms'], $o['p50_ms']), 2, 'x'));
    }
    // The page's own cost (issue 21), from own-cost.php's rounds: our page reading its VM less
    // the do-nothing module's page reading it (and, beside it, less the do-nothing module's page
    // and the simulator's GET alone) of the same round; our page from the fresh copy less the
    // do-nothing module's; whole pages against the reference (wrk, c=16).
    $runs = array_values(array_filter(array_map('load', glob("$dir/own-cost-r*.json") ?: [])));
    $c16 = $page['by_concurrency'][16]['throughput_ratio'] ?? null;
    $done = [
        'runs' => $runs,
        'module_ms_in_live_page_c1' => median(array_column($runs, 'module_ms_in_live_page')),
        'module_ms_in_live_page_over_get_alone_c1' => median(array_column($runs, 'module_ms_in_live_page_over_get_alone')),
        'waiting_in_a_page_over_get_alone_ms_c1' => median(array_column($runs, 'waiting_in_a_page_over_get_alone_ms')),
        'cached_page_minus_nothing_ms_c1' => median(array_column($runs, 'cached_page_minus_nothing_ms')),
        'floor_page_minus_nothing_ms_c1' => median(array_column($runs, 'floor_page_minus_nothing_ms')),
        'our_call_in_page_ms_c1' => median(array_column($runs, 'our_call_in_page_ms')),
        'our_call_again_ms_c1' => median(array_column($runs, 'our_call_again_ms')),
        'throughput_ratio_c16' => $c16,
    ];
    $lines[] = '   the page\'s own cost (issue 21; c=1, seven requests a round on kept-alive connections, medians over the rounds):';
    foreach ($runs as $i => $run) {
        $p = $run['p50_ms'];
        $lines[] = sprintf('      run %d, %d rounds (p50s): our page reading its VM %s ms, the do-nothing module\'s page reading it %s ms, the do-nothing module\'s %s ms, the simulator\'s GET alone %s ms, our page from the copy %s ms;',
            $i + 1, $run['rounds'], fmt($p['live'], 2), fmt($p['nothing_reading'], 2), fmt($p['nothing'], 2), fmt($p['get'], 2), fmt($p['cached'], 2));
        $lines[] = sprintf('         own time %s ms (over the GET alone: %s ms; a page waiting on the API pays %s ms over the GET alone), from the copy %s ms over',
            fmt($run['module_ms_in_live_page'], 2), fmt($run['module_ms_in_live_page_over_get_alone'], 2),
            fmt($run['waiting_in_a_page_over_get_alone_ms'], 2), fmt($run['cached_page_minus_nothing_ms'], 2));
        $lines[] = sprintf('         the do-nothing module\'s page with our statement and our page\'s bytes %s ms over; our call in a page %s ms, again in the same page %s ms (p50s)',
            fmt($run['floor_page_minus_nothing_ms'], 2), fmt($run['our_call_in_page_ms'], 3), fmt($run['our_call_again_ms'], 3));
    }
    $lines[] = sprintf('      the module\'s own time in a page (ours minus the do-nothing module\'s, minus the API round trip as the do-nothing module\'s page pays it), median of %d runs: %s ms (target <= 0.5 ms: %s)',
        count($runs), fmt($done['module_ms_in_live_page_c1'], 2), verdict(($done['module_ms_in_live_page_c1'] ?? INF) <= 0.5));
    $lines[] = sprintf('         the same minus the simulator\'s GET alone instead: %s ms (%s ms of it is what waiting on the API costs any page, the do-nothing module\'s too)',
        fmt($done['module_ms_in_live_page_over_get_alone_c1'], 2), fmt($done['waiting_in_a_page_over_get_alone_ms_c1'], 2));
    $lines[] = sprintf('      a page from the fresh copy minus the do-nothing module\'s page, median of %d runs: %s ms (target <= 0.3 ms: %s)',
        count($runs), fmt($done['cached_page_minus_nothing_ms_c1'], 2), verdict(($done['cached_page_minus_nothing_ms_c1'] ?? INF) <= 0.3));
    $lines[] = sprintf('         of it, what any module reading its state from the database and showing a panel this size pays (the do-nothing module\'s page with our statement and bytes): %s ms; our call in a page takes %s ms, %s ms when made again in the same page',
        fmt($done['floor_page_minus_nothing_ms_c1'], 2), fmt($done['our_call_in_page_ms_c1'], 3), fmt($done['our_call_again_ms_c1'], 3));
    $lines[] = sprintf('      whole pages a second at c=16, ours over the reference\'s (wrk): %s (target >= 1.9x: %s)',
        fmt($c16, 2, 'x'), verdict(($c16 ?? 0) >= 1.9));
    $page['own_cost'] = $done;
    $report['client_area_page'] = $page;
}

// ---- 2. build sync
$oursRuns = array_values(array_filter(array_map('load', glob("$dir/sync-ours-r*.json") ?: [])));
$ref = load("$dir/sync-ref.json");
if ($oursRuns !== [] || $ref !== null) {
    $builds = load("$dir/sync-builds.json");
    $oursS = median(array_column($oursRuns, 'seconds'));
    $sync = ['builds' => $builds, 'ours_runs' => $oursRuns, 'ours_seconds' => $oursS, 'reference' => $ref,
        'reference_seconds' => $ref['seconds'] ?? null, 'speedup' => ratio($ref['seconds'] ?? null, $oursS)];
    $lines[] = '';
    $lines[] = sprintf('2a. Build sync, %d pending builds, 50 ms API latency, rate limit lifted (one cron run)', $builds['builds'] ?? 0);
    $lines[] = sprintf('   %-10s %10s %10s %8s %8s %10s', 'module', 'seconds', 'requests', 'built', 'hooks', 'VM rows/svc');
    foreach ($oursRuns as $i => $run) {
        $lines[] = sprintf('   %-10s %10s %10d %8d %8d %10d', 'ours #' . ($i + 1), fmt($run['seconds'], 2), $run['requests'], $run['with_vm'], $run['built_hooks'], $run['vm_rows_max_per_service']);
    }
    if ($ref !== null) {
        $lines[] = sprintf('   %-10s %10s %10d %8d %8d %10d', 'reference', fmt($ref['seconds'], 2), $ref['requests'], $ref['with_vm'], $ref['built_hooks'], $ref['vm_rows_max_per_service']);
    }
    $lines[] = sprintf('   ours (median) %s s (target < 3 s: %s); reference/ours %s (target >= 15x: %s)', fmt($oursS, 2),
        verdict(($oursS ?? INF) < 3), fmt($sync['speedup'], 1, 'x'), verdict(($sync['speedup'] ?? 0) >= 15));
    if ($oursS !== null && $oursRuns[0]['requests'] > 0) {
        $sync['ours_requests_per_second'] = $oursRuns[0]['requests'] / $oursS;
        $sync['ours_effective_concurrency'] = $oursRuns[0]['requests'] * 0.05 / $oursS;
        $lines[] = sprintf('   ours: %s API requests/s, i.e. %s requests in flight on average at 50 ms each',
            fmt($sync['ours_requests_per_second']), fmt($sync['ours_effective_concurrency']));
    }
    $zeroOurs = load("$dir/sync0-ours.json");
    $zeroRef = load("$dir/sync0-ref.json");
    if ($zeroOurs !== null && $zeroRef !== null) {
        $sync['no_latency'] = ['ours' => $zeroOurs, 'reference' => $zeroRef];
        $lines[] = sprintf('   the same runs with no simulated latency (the work besides waiting): ours %s s, reference %s s',
            fmt($zeroOurs['seconds'], 2), fmt($zeroRef['seconds'], 2));
    }
    $report['build_sync_lifted'] = $sync;
}

$l1 = load("$dir/limited-1.json");
$l2 = load("$dir/limited-2.json");
if ($l1 !== null) {
    $total = (int) (load("$dir/limited-builds.json")['builds'] ?? 0);
    $hooks = array_merge($l1['built_hook_services'], $l2['built_hook_services'] ?? []);
    $dupes = count($hooks) - count(array_unique($hooks));
    $final = $l2 ?? $l1;
    $noDuplicates = $dupes === 0 && $final['vm_rows_max_per_service'] <= 1 && $final['distinct_vm_ids'] === $final['with_vm']
        && $final['persisted_domains'] === $final['with_vm'] && count($hooks) === $final['with_vm'];
    $limited = ['builds' => $total, 'run1' => $l1, 'run2' => $l2, 'built_hooks_total' => count($hooks),
        'duplicate_hooks' => $dupes, 'no_duplicates' => $noDuplicates, 'nothing_lost' => $final['with_vm'] + $final['still_pending'] === $total,
        'complete_after_two_runs' => $noDuplicates && $final['with_vm'] === $total];
    $lines[] = '';
    $lines[] = sprintf('2b. Build sync, %d pending builds, 50 ms latency, real rate limit (1,000 requests a minute): ours, two cron runs, the second one a minute or more later', $total);
    $lines[] = sprintf('   %-6s %9s %9s %6s %12s %10s %10s %9s', 'run', 'seconds', 'requests', '429s', 'not checked', 'built now', 'built all', 'pending');
    foreach (['1' => $l1, '2' => $l2] as $label => $run) {
        if ($run !== null) {
            $lines[] = sprintf('   %-6s %9s %9d %6d %12d %10d %10d %9d', $label, fmt($run['seconds'], 2), $run['requests'], $run['status_429'],
                $run['builds_not_checked'] ?? 0, $run['built_hooks'], $run['with_vm'], $run['still_pending'] ?? 0);
            foreach ($run['not_checked_reasons'] ?? [] as $reason) {
                $lines[] = '          not checked: ' . (strlen($reason) > 150 ? substr($reason, 0, 150) . '…' : $reason);
            }
        }
    }
    $lines[] = sprintf('   after the runs: %d of %d built, %d still pending (left for the next run), %d distinct VMs, %d domains written, %d Built hooks, %d duplicates: %s',
        $final['with_vm'], $total, $final['still_pending'] ?? 0, $final['distinct_vm_ids'], $final['persisted_domains'], count($hooks), $dupes,
        ($limited['complete_after_two_runs'] ? 'all built once' : ($noDuplicates && $limited['nothing_lost'] ? 'nothing lost, nothing twice' : 'LOST or DUPLICATED')));
    $report['build_sync_rate_limited'] = $limited;
}

// ---- 3. footprint
$rounds = array_values(array_filter(array_map('load', glob("$dir/hyperfine-*.json") ?: [])));
$rss = load("$dir/rss.json");
if ($rounds !== [] || $rss !== null) {
    $lines[] = '';
    $lines[] = '3. Footprint';
    $foot = [];
    if ($rounds !== []) {
        // The order of the two commands in a round moves its difference (the second runs on a
        // warmer machine): the rounds of each order are summarised apart and the two orders
        // count equally in the figure.
        $with = $without = [];
        $diffsByOrder = ['without first' => [], 'with first' => []];
        foreach ($rounds as $round) {
            $byKind = [];
            foreach ($round['results'] as $result) {
                $byKind[str_contains($result['command'], 'extension=') ? 'with' : 'without'] = $result;
            }
            $first = str_contains($round['results'][0]['command'], 'extension=') ? 'with first' : 'without first';
            $with = array_merge($with, $byKind['with']['times']);
            $without = array_merge($without, $byKind['without']['times']);
            $diffsByOrder[$first][] = $byKind['with']['median'] - $byKind['without']['median'];
        }
        $byOrder = array_map(fn (array $d) => $d === [] ? null : median($d) * 1000, $diffsByOrder);
        $foot['startup'] = ['rounds' => count($rounds), 'runs' => count($with),
            'rounds_by_order' => array_map('count', $diffsByOrder),
            'without_median_ms' => median($without) * 1000, 'with_median_ms' => median($with) * 1000,
            'added_by_order_ms' => $byOrder,
            'added_ms' => in_array(null, $byOrder, true) ? null : array_sum($byOrder) / 2,
            'added_per_round_ms' => array_map(fn ($d) => array_map(fn ($x) => round($x * 1000, 3), $d), $diffsByOrder),
            'without_min_ms' => min($without) * 1000, 'with_min_ms' => min($with) * 1000, 'added_min_ms' => (min($with) - min($without)) * 1000];
        $st = $foot['startup'];
        $lines[] = sprintf('   PHP start-up (php -n -r \'\', hyperfine, %d rounds of 20 runs, %d in each order): %s ms without, %s ms with the extension (medians):',
            $st['rounds'], intdiv($st['rounds'], 2), fmt($st['without_median_ms'], 2), fmt($st['with_median_ms'], 2));
        $lines[] = sprintf('      added %s ms (both orders equally: %s ms with the extension run second, %s ms with it run first); fastest runs %s -> %s ms: +%s ms',
            fmt($st['added_ms'], 2), fmt($byOrder['without first'], 2), fmt($byOrder['with first'], 2), fmt($st['without_min_ms'], 2), fmt($st['with_min_ms'], 2), fmt($st['added_min_ms'], 2));
    }
    if ($rss !== null) {
        $mb = fn (int $kb): float => $kb / 1024;
        $foot['rss'] = $rss + [
            'added_by_loading_kb' => $rss['ext_after_ref_kb'] - $rss['noext_after_ref_kb'],
            'added_by_using_kb' => $rss['ext_after_ours_kb'] - $rss['noext_after_ref_kb'],
            'growth_kb' => $rss['at_end_kb'] - $rss['at_1k_kb'],
            'growth_anon_kb' => $rss['at_end_anon_kb'] - $rss['at_1k_anon_kb'],
        ];
        $f = $foot['rss'];
        $lines[] = sprintf('   php-fpm worker RSS after 50 reference pages: %s MB without the extension, %s MB with it loaded (+%s MB)',
            fmt($mb($rss['noext_after_ref_kb'])), fmt($mb($rss['ext_after_ref_kb'])), fmt($mb($f['added_by_loading_kb'])));
        $lines[] = sprintf('   ... after 50 more pages of ours in that worker: %s MB (+%s MB over the worker without the extension; anonymous memory %s MB -> %s MB)',
            fmt($mb($rss['ext_after_ours_kb'])), fmt($mb($f['added_by_using_kb'])), fmt($mb($rss['noext_after_ref_anon_kb'])), fmt($mb($rss['ext_after_ours_anon_kb'])));
        $lines[] = sprintf('   one worker, our page: RSS %s MB at 1,000 requests, %s MB at %s: growth %s MB (anonymous %s MB) (target < 1 MB: %s)',
            fmt($mb($rss['at_1k_kb']), 2), fmt($mb($rss['at_end_kb']), 2), number_format($rss['leak_requests']),
            fmt($mb($f['growth_kb']), 2), fmt($mb($f['growth_anon_kb']), 2), verdict($f['growth_kb'] < 1024));
    }
    $report['footprint'] = $foot;
}

// ---- 4. the profile of our page's own work: from the VM as last read, and reading it live
foreach (['cached' => 'from the VM as last read', 'live' => 'each reading its VM from Katapult'] as $kind => $what) {
    $profile = load("$dir/profile-$kind.json");
    if ($profile === null) {
        continue;
    }
    $calls = load("$dir/profile-$kind-calls.json");
    $lines[] = '';
    $lines[] = sprintf('4%s. Profile: katapult_ClientArea %s times in one process, %s, zero latency (perf, DWARF call graphs; %s samples, %s lost; the call is %s%% of the process; p50 %s ms a call)',
        $kind === 'cached' ? 'a' : 'b', $calls['ours_ClientArea']['n'] ?? '?', $what, $profile['samples'] ?? '?', $profile['lost_samples'] ?? '?',
        fmt($profile['call_share_of_process'], 1), fmt($calls['ours_ClientArea']['p50_ms'] ?? null, 3));
    foreach ($profile['pieces'] as $piece) {
        $lines[] = sprintf('   %-80s %5s%%', $piece['piece'], fmt($piece['share_of_call'], 1));
    }
    $lines[] = '   (share of the call, callees included; pieces can nest: the key\'s read includes its SQL)';
    $report['profile'][$kind] = $profile + ['calls' => $calls];
}

echo implode("\n", $lines), "\n";
$report['table'] = $lines;
$json = json_encode($report, JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES) . "\n";
@mkdir($outDir, 0777, true);
file_put_contents("$outDir/latest.json", $json);
file_put_contents("$outDir/bench-" . date('Ymd-His') . '.json', $json);
echo "(figures as JSON: $outDir/latest.json)\n";
