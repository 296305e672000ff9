<?php
/**
 * TEST STAND-IN for proprietary WHMCS: one run of WHMCS's cron (crons/cron.php).
 *
 * Mirrors the cron hook points WHMCS documents for modules: every run ends with
 * `AfterCronJob` (a normal install runs the cron every 5 minutes; the Katapult module polls VM
 * builds there). When the daily automation runs (`Cron::run(daily: true)`): `PreCronJob` before it,
 * then, for each active server (tblservers.disabled = 0), its module's main file included from
 * `ROOTDIR/modules/servers/` with no catch (README fact 1) and its `UsageUpdate` called when it has
 * one (params: the server's fields, as WHMCS passes them), then
 * `DailyCronJob` at its end — all before `AfterCronJob`. The constant IN_CRON is defined as in
 * WHMCS's cron, and the actor is "System". Hooks get no arguments (an empty array), as in WHMCS.
 * Simplification: no invoicing, suspension, termination or other automation tasks.
 */

declare(strict_types=1);

namespace WhmcsStandIn;

use WHMCS\Database\Capsule;

final class Cron
{
    /** @return list<string> the hook points fired, in order */
    public static function run(bool $daily = false): array
    {
        if (!defined('IN_CRON')) {
            define('IN_CRON', true);
        }
        $adminBefore = $_SESSION ?? [];
        Session::asSystem();
        $fired = [];
        try {
            if ($daily) {
                Hooks::run('PreCronJob', []);
                $fired[] = 'PreCronJob';
                self::usageUpdates();
                Hooks::run('DailyCronJob', []);
                $fired[] = 'DailyCronJob';
            }
            Hooks::run('AfterCronJob', []);
            $fired[] = 'AfterCronJob';
        } finally {
            $_SESSION = $adminBefore;
        }
        return $fired;
    }

    private static function usageUpdates(): void
    {
        $servers = Capsule::table('tblservers')->where('disabled', 0)->orderBy('id')->get();
        foreach ($servers as $server) {
            $module = (string) $server->type;
            // Loaded with no catch, whether or not anything of it is used.
            if (!Module::includeInstalled($module) || !function_exists($module . '_UsageUpdate')) {
                continue;
            }
            call_user_func($module . '_UsageUpdate', Module::serverParams($server));
        }
    }
}
