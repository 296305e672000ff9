<?php
/**
 * TEST STAND-IN for proprietary WHMCS: boot file. `require` it (or use it as PHPUnit bootstrap)
 * and the process looks, to a provisioning module, like WHMCS with its database up:
 * WHMCS/ROOTDIR/WHMCS_CONFIGURATION_FILE defined, $cc_encryption_hash set, WHMCS\Database\Capsule
 * connected (WHMCS_DB_DSN, default SQLite under the temp dir), WHMCS tables created, the global
 * helpers (logActivity, logModuleCall, add_hook, run_hook, encrypt, decrypt, localAPI,
 * sendMessage) defined. Load a module with WhmcsStandIn\Module::load($dir). See README.md.
 */

declare(strict_types=1);

require_once '/usr/share/php/Illuminate/Database/autoload.php';
require_once __DIR__ . '/src/autoload.php';

WhmcsStandIn\Environment::boot();
