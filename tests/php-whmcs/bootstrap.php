<?php
// Boots the WHMCS stand-in, loads the real module (module/) with the katapult extension, and
// points the extension at a simulator started for the run.
declare(strict_types=1);

if (!extension_loaded('katapult')) {
    fwrite(STDERR, "run with the extension, and the API URL its simulator listens at: KATAPULT_API_URL=http://127.0.0.1:<a free port>/core/v1 php -d extension=target/release/libkatapult.so /usr/bin/phpunit -c tests/php-whmcs/phpunit.xml\n");
    exit(1);
}

require __DIR__ . '/../whmcs/bootstrap.php';
require __DIR__ . '/../php/support/Simulator.php';

WhmcsStandIn\Module::load(dirname(__DIR__, 2) . '/module');
