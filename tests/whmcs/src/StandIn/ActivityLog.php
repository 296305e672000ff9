<?php
/**
 * TEST STAND-IN for proprietary WHMCS: logActivity($message, $userId = 0) → tblactivitylog.
 *
 * Mirrors WHMCS's logActivity: one row with date (now), description, user, userid (the client the
 * entry relates to; when 0 and a client is logged in to the client area, that client), user_id
 * (WHMCS 8 user id; the logged-in client here), admin_id (logged-in admin) and ipaddr
 * ($_SERVER['REMOTE_ADDR'], '' on the CLI). The `user` column is, as in WHMCS: the admin's username
 * when an admin is logged in; else "Local API User" inside localAPI(); "Sub-Account <cid>" for a
 * contact; "Client" for a client; "System" otherwise (cron, CLI). Like WHMCS it redacts
 * "password`='...'" fragments and fires the LogActivity hook afterwards.
 * Session::asAdmin()/asClient() choose the actor.
 */

declare(strict_types=1);

namespace WhmcsStandIn;

use WHMCS\Database\Capsule;

final class ActivityLog
{
    public static function log(string $description, int $userId = 0): void
    {
        $adminId = Session::adminId();
        $clientId = Session::clientId();
        $contactId = Session::contactId();
        if ($adminId !== null) {
            $user = (string) (Capsule::table('tbladmins')->where('id', $adminId)->value('username') ?? '');
        } elseif (LocalApi::$runningViaLocalApi) {
            $user = 'Local API User';
        } elseif ($clientId !== null && $contactId !== null) {
            $user = 'Sub-Account ' . $contactId;
        } elseif ($clientId !== null) {
            $user = 'Client';
        } else {
            $user = 'System';
        }
        if ($userId === 0 && defined('CLIENTAREA') && $clientId !== null) {
            $userId = $clientId;
        }
        if (str_contains($description, 'password')) {
            $description = (string) preg_replace("/(password(?:hash)?`=')(.*)(',|' )/", '${1}--REDACTED--${3}', $description);
        }
        $ip = (string) ($_SERVER['REMOTE_ADDR'] ?? '');
        Capsule::table('tblactivitylog')->insert([
            'date' => date('Y-m-d H:i:s'),
            'description' => $description,
            'user' => $user,
            'userid' => $userId,
            'user_id' => $clientId ?? 0,
            'admin_id' => $adminId ?? 0,
            'ipaddr' => $ip,
        ]);
        Hooks::run('LogActivity', ['description' => $description, 'user' => $user, 'userid' => $userId, 'ipaddress' => $ip]);
    }

    /** @return list<object> rows, oldest first (stand-in helper for tests) */
    public static function entries(): array
    {
        return Capsule::table('tblactivitylog')->orderBy('id')->get()->all();
    }

    /** @return list<string> descriptions, oldest first (stand-in helper for tests) */
    public static function descriptions(): array
    {
        return array_map(static fn ($r) => (string) $r->description, self::entries());
    }
}
