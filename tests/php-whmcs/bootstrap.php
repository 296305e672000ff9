<?php
// Boots the WHMCS stand-in, loads the real module with the katapult extension, and points the
// extension at a simulator started for the run.
//
// The module is loaded from a temporary copy of module/ (links followed, overrides/ empty), made
// once by the PHPUnit process and named in KATAPULT_TEST_MODULE_DIR for the test processes and
// the children they start: tests write overrides into it, and a provider's own overrides in a
// checkout neither change a result nor get deleted.
declare(strict_types=1);

if (!extension_loaded('katapult')) {
    fwrite(STDERR, "run with the extension, and the API URL its simulator listens at: KATAPULT_API_URL=http://127.0.0.1:<a free port>/core/v1 php -d extension=target/release/libkatapult.so /usr/bin/phpunit -c tests/php-whmcs/phpunit.xml\n");
    exit(1);
}

require __DIR__ . '/../whmcs/bootstrap.php';
require __DIR__ . '/../php/support/Simulator.php';
require __DIR__ . '/support/ExtensionInTestProcesses.php';
require __DIR__ . '/support/ClientAreaPages.php';
require __DIR__ . '/support/CronProcess.php';

/** The module folder the tests run: a private copy of the repository's module/. */
function katapult_test_module_dir(): string
{
    $dir = getenv('KATAPULT_TEST_MODULE_DIR');
    if (is_string($dir) && $dir !== '' && is_file("$dir/katapult.php")) {
        return $dir;
    }
    $dir = sys_get_temp_dir() . '/katapult-test-module-' . getmypid() . '-' . bin2hex(random_bytes(4));
    $source = dirname(__DIR__, 2) . '/module';
    mkdir($dir);
    foreach (scandir($source) as $entry) {
        if ($entry === '.' || $entry === '..' || $entry === 'overrides') {
            continue;
        }
        exec('cp -RL ' . escapeshellarg("$source/$entry") . ' ' . escapeshellarg("$dir/$entry"), $out, $status);
        if ($status !== 0) {
            fwrite(STDERR, "could not copy $source/$entry to $dir\n");
            exit(1);
        }
    }
    mkdir("$dir/overrides");
    putenv("KATAPULT_TEST_MODULE_DIR=$dir");
    $owner = getmypid();
    register_shutdown_function(static function () use ($dir, $owner): void {
        if (getmypid() === $owner) {
            exec('rm -rf ' . escapeshellarg($dir));
        }
    });
    return $dir;
}

WhmcsStandIn\Module::load(katapult_test_module_dir());
