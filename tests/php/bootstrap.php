<?php
// PHPUnit bootstrap: the tests run with the built extension loaded (-d extension=...).
declare(strict_types=1);

if (!extension_loaded('katapult')) {
    fwrite(STDERR, "run PHPUnit with the extension: php -d extension=target/release/libkatapult.so /usr/bin/phpunit tests/php\n");
    exit(1);
}

require __DIR__ . '/support/Simulator.php';
require __DIR__ . '/support/Php.php';
