<?php
/**
 * TEST STAND-IN for proprietary WHMCS: the web front's entry point, for PHP's built-in server.
 *
 *   PHP_CLI_SERVER_WORKERS=4 WHMCS_DB_DSN=… WHMCS_ROOTDIR=$root \
 *     php [-d extension=…/libkatapult.so -d katapult.ca_file=…] \
 *         -S 127.0.0.1:PORT -t "$root" tests/whmcs/web/router.php
 *
 * Every request goes through here (it never returns false, so the built-in server serves nothing
 * by itself): WhmcsStandIn\Web\Router boots the stand-in, loads the module and serves the
 * client-area pages (clientarea.php, login.php, logout.php) or a static file. What each part
 * mirrors of WHMCS, and where it simplifies, is in the header of its class under web/lib/ and in
 * README.md ("Web front").
 */

declare(strict_types=1);

require dirname(__DIR__) . '/bootstrap.php';

spl_autoload_register(static function (string $class): void {
    $prefix = 'WhmcsStandIn\\Web\\';
    if (strncmp($class, $prefix, strlen($prefix)) === 0) {
        $file = __DIR__ . '/lib/' . str_replace('\\', '/', substr($class, strlen($prefix))) . '.php';
        if (is_file($file)) {
            require $file;
        }
    }
});

WhmcsStandIn\Web\Router::run();
