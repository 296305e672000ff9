<?php
/**
 * TEST STAND-IN for proprietary WHMCS: logModuleCall() → tblmodulelog, and the debug switch.
 *
 * Mirrors WHMCS's logModuleCall($module, $action, $request, $response, $processedData, $replaceVars):
 *  - writes nothing unless Module Debug Logging is on (tblconfiguration `ModuleDebugMode` truthy,
 *    'on' when switched on in WHMCS; ModuleLog::enable()/disable() flip it);
 *  - returns false and writes nothing when $module is empty; an empty $action becomes "Unknown";
 *  - arrays are stored print_r()'d, as WHMCS does (its source converts arrays with print_r);
 *    objects are print_r()'d too (stand-in choice: WHMCS only documents string|array); other
 *    scalars are cast to string;
 *  - every non-empty string in $replaceVars is replaced by as many asterisks as it has
 *    characters, in request, response and arrdata (after the print_r);
 *  - module and action are stored lowercased, as WHMCS stores them.
 */

declare(strict_types=1);

namespace WhmcsStandIn;

use WHMCS\Config\Setting;
use WHMCS\Database\Capsule;

final class ModuleLog
{
    public static function enable(): void
    {
        Setting::setValue('ModuleDebugMode', 'on');
    }

    public static function disable(): void
    {
        Setting::setValue('ModuleDebugMode', '');
    }

    public static function isEnabled(): bool
    {
        return (bool) Setting::getValue('ModuleDebugMode');
    }

    /** @param array<mixed> $replaceVars */
    public static function log($module, $action, $request, $response, $processedData = '', $replaceVars = []): bool
    {
        if (!self::isEnabled() || !$module) {
            return false;
        }
        if (!$action) {
            $action = 'Unknown';
        }
        $request = self::text($request);
        $response = self::text($response);
        $processedData = self::text($processedData);
        foreach ((array) $replaceVars as $secret) {
            if (!is_scalar($secret) || (string) $secret === '') {
                continue;
            }
            $secret = (string) $secret;
            $mask = str_repeat('*', strlen($secret));
            $request = str_replace($secret, $mask, $request);
            $response = str_replace($secret, $mask, $response);
            $processedData = str_replace($secret, $mask, $processedData);
        }
        Capsule::table('tblmodulelog')->insert([
            'date' => date('Y-m-d H:i:s'),
            'module' => strtolower((string) $module),
            'action' => strtolower((string) $action),
            'request' => $request,
            'response' => $response,
            'arrdata' => $processedData,
        ]);
        return true;
    }

    /** @return list<object> rows, oldest first (stand-in helper for tests) */
    public static function entries(): array
    {
        return Capsule::table('tblmodulelog')->orderBy('id')->get()->all();
    }

    private static function text($value): string
    {
        if (is_array($value) || is_object($value)) {
            return print_r($value, true);
        }
        return $value === null ? '' : (string) $value;
    }
}
