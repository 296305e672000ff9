<?php
/**
 * `make profile` / `make bench`: reads `perf report --children --stdio --sort symbol -g none` of
 * katapult_ClientArea() called many times in one process, and gives the share of that call spent
 * in each piece of our work (a piece's samples, callees included, over the call's samples).
 * Pieces can nest (the API key's read includes its SQL statement); each is measured whole.
 *
 * Usage: php profile.php PERF_REPORT_TXT   Prints one JSON object.
 */

declare(strict_types=1);

/** Piece => the symbols whose samples (callees included) it is; symbols of one piece never nest. */
const PIECES = [
    'the VM read (from Katapult, or its copy in the database while fresh) and its panel, all in' => ['katapult::module::client_area::read_vm'],
    '  of which the API call (with the two writes and the last read\'s panel made while it is awaited)' => ['katapult::api::virtual_machines::<impl katapult::api::client::Client>::virtual_machine_json_meanwhile'],
    '    of which handing the exchange to the module log (logModuleCall)' => ['<katapult::service::context::ModuleLog as katapult::api::observer::Observer>::exchange'],
    'SQL statements (the Sql port over WHMCS\'s PDO)' => ['<katapult::php::pdo::PdoSql as katapult::store::sql::Sql>::'],
    'the page\'s reads in one statement (its SQL, and the rows read)' => ['katapult::store::service_reads::ServiceReads::read'],
    'the panel and page, rendered or reused (values hashed, tokens filled in)' => ['katapult::views::reuse::<impl katapult::views::Views>::render_reused', 'katapult::views::reuse::Slots::take', 'katapult::views::reuse::Slots::fill'],
    '  of which templates (handlebars)' => ['katapult::views::Views::render', 'katapult::views::Views::render_data'],
    'action tokens (the token secret read and decrypted, tokens signed)' => ['katapult::service::action_tokens::ActionTokens::for_installation'],
    'the API key read and decrypted' => ['katapult::service::settings::ModuleSettings::api_key'],
    'the service\'s links read from the datastore' => ['katapult::service::links::ServiceLinks::read'],
    'the service\'s $params read' => ['katapult::service::params::ServiceParams::read'],
];
/** The call itself: the Rust function behind katapult_ClientArea(). */
const CALL = 'katapult::php::module_functions::module_client_area';

$text = @file_get_contents($argv[1] ?? '');
if ($text === false || $text === '') {
    fwrite(STDERR, "usage: php profile.php PERF_REPORT_TXT (an empty or missing report)\n");
    exit(1);
}
preg_match('/^# Samples: (\S+)/m', $text, $samples);
preg_match('/^# Total Lost Samples: (\d+)/m', $text, $lost);

$children = [];
foreach (explode("\n", $text) as $line) {
    if (preg_match('/^\s*([\d.]+)%\s+[\d.]+%\s+\[[.k]\]\s+(.+?)\s+(-\s+-\s*)?$/', $line, $m)) {
        $children[$m[2]] = max($children[$m[2]] ?? 0.0, (float) $m[1]);
    }
}
$call = $children[CALL] ?? null;
if ($call === null || $call <= 0.0) {
    fwrite(STDERR, 'no samples in ' . CALL . " (was the extension built with symbols, and katapult_ClientArea called?)\n");
    exit(1);
}

$pieces = [];
foreach (PIECES as $piece => $symbols) {
    $percent = 0.0;
    foreach ($children as $symbol => $share) {
        foreach ($symbols as $wanted) {
            $exact = !str_ends_with($wanted, '::');
            if ($exact ? $symbol === $wanted : str_starts_with($symbol, $wanted)) {
                $percent += $share;
            }
        }
    }
    $pieces[] = ['piece' => $piece, 'share_of_call' => round(100 * $percent / $call, 1)];
}
echo json_encode([
    'samples' => $samples[1] ?? null,
    'lost_samples' => isset($lost[1]) ? (int) $lost[1] : null,
    'call_share_of_process' => $call,
    'pieces' => $pieces,
], JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES), "\n";
