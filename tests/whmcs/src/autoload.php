<?php
/**
 * TEST STAND-IN for proprietary WHMCS: class loading for the stand-in.
 *
 * Maps the real WHMCS namespaces the stand-in provides (WHMCS\Database\Capsule, WHMCS\Service\Service,
 * ...) to src/WHMCS/ and the stand-in's own helpers (WhmcsStandIn\...) to src/StandIn/, PSR-4 style.
 * WHMCS\Module\Server\<Module>\ is NOT handled here: WhmcsStandIn\Module registers that per module,
 * as WHMCS does for modules/servers/<module>/lib/.
 */

declare(strict_types=1);

spl_autoload_register(static function (string $class): void {
    static $roots = [
        'WhmcsStandIn\\' => __DIR__ . '/StandIn/',
        'WHMCS\\' => __DIR__ . '/WHMCS/',
    ];
    foreach ($roots as $prefix => $dir) {
        if (strncmp($class, $prefix, strlen($prefix)) !== 0) {
            continue;
        }
        $file = $dir . str_replace('\\', '/', substr($class, strlen($prefix))) . '.php';
        if (is_file($file)) {
            require $file;
        }
        return;
    }
});

require_once __DIR__ . '/functions.php';
