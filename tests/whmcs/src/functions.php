<?php
/**
 * TEST STAND-IN for proprietary WHMCS: the global helper functions WHMCS provides to modules
 * (logActivity, logModuleCall, add_hook, run_hook, encrypt, decrypt, localAPI, sendMessage; WHMCS 8
 * has no remove_hook() or get_registered_hooks(), README fact 18), plus the client area's CSRF
 * helpers generate_token() / check_token().
 * Each is a thin wrapper over a WhmcsStandIn class that documents which WHMCS behaviour it mirrors
 * and where it simplifies.
 */

declare(strict_types=1);

use WhmcsStandIn\ActivityLog;
use WhmcsStandIn\Csrf;
use WhmcsStandIn\Encryption;
use WhmcsStandIn\Hooks;
use WhmcsStandIn\LocalApi;
use WhmcsStandIn\Mailer;
use WhmcsStandIn\ModuleLog;

if (!function_exists('logActivity')) {
    /** Activity log entry (tblactivitylog); see WhmcsStandIn\ActivityLog. */
    function logActivity($message, $userId = 0): void
    {
        ActivityLog::log((string) $message, (int) $userId);
    }
}

if (!function_exists('logModuleCall')) {
    /** Module debug log entry (tblmodulelog) when Module Debug Logging is on; see WhmcsStandIn\ModuleLog. */
    function logModuleCall($module, $action, $request, $response, $processedData = '', $replaceVars = [])
    {
        return ModuleLog::log($module, $action, $request, $response, $processedData, $replaceVars) ? null : false;
    }
}

if (!function_exists('add_hook')) {
    /** Registers a hook function; lower priority runs first. See WhmcsStandIn\Hooks. */
    function add_hook($hookPoint, $priority, $function, $rollbackFunction = ''): void
    {
        Hooks::add((string) $hookPoint, (int) $priority, $function, $rollbackFunction);
    }
}

if (!function_exists('run_hook')) {
    /** Runs a hook point; returns the truthy hook results. See WhmcsStandIn\Hooks. */
    function run_hook($hookPoint, $vars, $unpackArguments = false): array
    {
        return Hooks::run((string) $hookPoint, $vars, (bool) $unpackArguments);
    }
}

if (!function_exists('encrypt')) {
    /** WHMCS-style encryption keyed by $cc_encryption_hash; see WhmcsStandIn\Encryption (a stand-in cipher). */
    function encrypt($string): string
    {
        return Encryption::encrypt((string) $string);
    }
}

if (!function_exists('decrypt')) {
    /** Reverses encrypt(); '' for anything that is not a valid ciphertext. */
    function decrypt($string): string
    {
        return Encryption::decrypt((string) $string);
    }
}

if (!function_exists('localAPI')) {
    /** WHMCS internal API; see WhmcsStandIn\LocalApi for the supported commands. */
    function localAPI($command, $values = [], $adminUser = ''): array
    {
        return LocalApi::call((string) $command, (array) $values, (string) $adminUser);
    }
}

if (!function_exists('sendMessage')) {
    /** Sends an email template for a related id (service id for product templates); see WhmcsStandIn\Mailer. */
    function sendMessage($templateName, $relId, $extra = [], $displayResult = false, $attachments = []): bool
    {
        return Mailer::send((string) $templateName, (int) $relId, is_array($extra) ? $extra : []);
    }
}

if (!function_exists('generate_token')) {
    /** The session's CSRF token: 'plain' (the token), 'link' (`&token=…`), else the hidden form field. See WhmcsStandIn\Csrf. */
    function generate_token($type = 'form'): string
    {
        return Csrf::generate((string) $type);
    }
}

if (!function_exists('check_token')) {
    /** Stops the request with "Invalid CSRF Protection Token" unless the request's `token` is the session's, as WHMCS. */
    function check_token($namespace = 'WHMCS.default', $token = null): void
    {
        if (!Csrf::isValid($token === null ? null : (string) $token)) {
            if (!headers_sent()) {
                http_response_code(403);
            }
            exit(Csrf::INVALID_MESSAGE);
        }
    }
}
