<?php
/**
 * One web node of the cluster run: a long-lived PHP process of WHMCS on its own Galera node
 * (WHMCS_DB_DSN), taking one request a line on stdin (JSON) and answering one line on stdout.
 * Each request gets a fresh database connection, as each PHP-FPM request of WHMCS does, so a
 * node that was killed and rejoined is reached again.
 *
 *   php -d extension=…/libkatapult.so tests/cluster/node.php admin|client
 *
 * admin:  {"do": "accept", "service": N}            the order accepted (CreateAccount, welcome email)
 *         {"do": "command", "function": F, "service": N}   a module command (Suspend, Refresh…)
 * client: {"do": "client", "function": F, "service": N, "client": C, "token": T}
 *         the client area (ClientArea, or the panel's LiveState and RevealPassword) as client
 *         C, posting T
 * Either may carry "at": a Unix time (float) to start at, so two nodes act at the same moment.
 * Answers: {"ok": <the function's result>} or {"error": "<the exception's message>"}.
 */

declare(strict_types=1);

use WHMCS\Database\Capsule;
use WhmcsStandIn\Module;
use WhmcsStandIn\Orders;
use WhmcsStandIn\Session;

$role = $argv[1] ?? '';
if (!in_array($role, ['admin', 'client'], true)) {
    fwrite(STDERR, "usage: node.php admin|client\n");
    exit(2);
}
require dirname(__DIR__) . '/whmcs/bootstrap.php';
if (is_file(ROOTDIR . '/includes/hooks/soak.php')) {
    require_once ROOTDIR . '/includes/hooks/soak.php';
}
Module::load(dirname(__DIR__, 2) . '/module');
if ($role === 'client') {
    define('CLIENTAREA', true);
}

while (($line = fgets(STDIN)) !== false) {
    $job = json_decode($line, true, 512, JSON_THROW_ON_ERROR);
    if (isset($job['at'])) {
        @time_sleep_until((float) $job['at']);
    }
    try {
        Capsule::connection()->reconnect();
        $answer = ['ok' => match ($job['do']) {
            'accept' => Orders::acceptOrder((int) $job['service']),
            'command' => Module::runModuleCommand($job['function'], (int) $job['service']),
            'client' => clientRequest($job),
        }];
    } catch (Throwable $e) {
        $answer = ['error' => get_class($e) . ': ' . $e->getMessage()];
    }
    // A request that ends with a transaction open loses its writes when the connection goes.
    try {
        $level = Capsule::connection()->transactionLevel();
        if ($level > 0 || Capsule::connection()->getPdo()->inTransaction()) {
            $answer['left_open'] = "Laravel level $level, PDO " . (Capsule::connection()->getPdo()->inTransaction() ? 'in a transaction' : 'not in one');
        }
    } catch (Throwable) {
        // The node is gone: the next request reconnects.
    }
    echo json_encode($answer, JSON_INVALID_UTF8_SUBSTITUTE), "\n";
}

/** A client-area request: the product page, its panel's poll, or one of its buttons. */
function clientRequest(array $job): mixed
{
    Session::asClient((int) $job['client']);
    $_SESSION['Language'] = 'english';
    $_GET = ['action' => 'productdetails', 'id' => (string) $job['service']];
    $_POST = isset($job['token']) ? ['token' => generate_token('plain'), 'katapult_token' => $job['token']] : [];
    if ($job['function'] !== 'ClientArea') {
        $_GET += ['modop' => 'custom', 'a' => $job['function']];
    }
    try {
        // The panel's JSON functions answer and end the request (katapult_answer_panel): their
        // answer is taken from the extension's functions beneath, as ClientAreaTest does.
        return match ($job['function']) {
            'LiveState' => Katapult\Module\liveState(Module::buildParams((int) $job['service']), katapult_client_request()),
            'RevealPassword' => Katapult\Module\revealPassword(Module::buildParams((int) $job['service']), katapult_client_request()),
            default => Module::call($job['function'], (int) $job['service']),
        };
    } finally {
        $_GET = $_POST = [];
    }
}
