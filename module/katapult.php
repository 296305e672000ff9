<?php
/**
 * Katapult for WHMCS: the provisioning module WHMCS loads from modules/servers/katapult/.
 *
 * WHMCS includes this file, with no catch, on pages and jobs that have nothing to do with Katapult:
 * every product's edit page, Setup > Servers and the daily usage update. So it must load in any
 * PHP: with the katapult extension it loads the module functions (functions.php); without it (a
 * PHP upgrade, the CLI PHP that runs cron, a new web node) it defines only what those pages read,
 * and says what is missing, so WHMCS goes on working and the admin sees why Katapult does not.
 *
 * @see https://developers.whmcs.com/provisioning-modules/
 */

if (!defined('WHMCS')) {
    die('This file cannot be accessed directly');
}

/**
 * The version of these module files. The extension they delegate to must be the same release:
 * the admin's service tab shows both and warns when an upgrade replaced one and not the other.
 */
const KATAPULT_MODULE_VERSION = '0.1.0';

if (extension_loaded('katapult')) {
    require_once __DIR__ . '/functions.php';
} else {
    /**
     * The module's name in WHMCS's lists, saying that it cannot work in this PHP.
     *
     * @return array{DisplayName: string, APIVersion: string, RequiresServer: bool}
     */
    function katapult_MetaData(): array
    {
        return [
            'DisplayName' => 'Katapult (katapult PHP extension missing)',
            'APIVersion' => '1.1',
            'RequiresServer' => true,
        ];
    }

    /**
     * The product's Module Settings tab: one field saying what to install and how to check it.
     *
     * @return array<string, array<string, string>>
     */
    function katapult_ConfigOptions(): array
    {
        return [
            'Katapult extension' => [
                'FriendlyName' => 'Katapult extension',
                'Type' => '',
                'Description' => 'The katapult PHP extension (version ' . KATAPULT_MODULE_VERSION . ', for these module files) is not loaded in this PHP (' . PHP_BINARY . ', PHP '
                    . PHP_VERSION . '). Install it for every PHP that runs WHMCS (the web server\'s and the cron\'s),'
                    . ' restart PHP, and check with: php --ri katapult',
            ],
        ];
    }
}
