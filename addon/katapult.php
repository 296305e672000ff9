<?php
/**
 * Katapult for WHMCS: the addon module WHMCS loads from modules/addons/katapult/. It shows what
 * the drift check found between WHMCS and Katapult, with a repair for each finding. The work is
 * the katapult extension's; these functions hand over to it.
 *
 * @see https://developers.whmcs.com/addon-modules/
 */

if (!defined('WHMCS')) {
    die('This file cannot be accessed directly');
}

/**
 * The addon as Setup › Addon Modules lists it.
 *
 * @return array<string, mixed>
 */
function katapult_config(): array
{
    if (!extension_loaded('katapult')) {
        return [
            'name' => 'Katapult (katapult PHP extension missing)',
            'description' => 'The katapult PHP extension is not loaded in this PHP (' . PHP_BINARY . ', PHP ' . PHP_VERSION
                . '). Install it for every PHP that runs WHMCS, restart PHP, and check with: php --ri katapult',
            'version' => '0',
            'author' => 'katapult-whmcs (native)',
            'fields' => [],
        ];
    }
    return \Katapult\Module\addonConfig();
}

/**
 * Activation: the findings table is made.
 *
 * @return array{status: string, description: string}
 */
function katapult_activate(): array
{
    if (!extension_loaded('katapult')) {
        return ['status' => 'error', 'description' => 'The katapult PHP extension is not loaded in this PHP (' . PHP_BINARY . ').'];
    }
    return \Katapult\Module\addonActivate();
}

/**
 * The page (addonmodules.php?module=katapult): the findings, filterable by kind, with their
 * repair buttons. Each form carries a single-use token of the module's own.
 *
 * @param array<string, mixed> $vars what WHMCS gives an addon's output: modulelink and the settings
 */
function katapult_output(array $vars): void
{
    if (!extension_loaded('katapult')) {
        echo '<div class="alert alert-danger">The katapult PHP extension is not loaded in this PHP ('
            . htmlspecialchars(PHP_BINARY) . '): install it and restart PHP.</div>';
        return;
    }
    $whmcsToken = function_exists('generate_token') ? (string) generate_token('plain') : '';
    echo \Katapult\Module\addonOutput(
        $vars,
        $_GET,
        $_POST,
        (int) ($_SESSION['adminid'] ?? 0),
        __DIR__,
        $whmcsToken
    );
}
