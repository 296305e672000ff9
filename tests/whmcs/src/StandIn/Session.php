<?php
/**
 * TEST STAND-IN for proprietary WHMCS: who is "logged in" for the current request.
 *
 * WHMCS keeps the actor in the PHP session: `$_SESSION['adminid']` for an admin, `$_SESSION['uid']`
 * (client/user) and `$_SESSION['cid']` (sub-account contact) for the client area; nothing for cron
 * and other system work. logActivity() derives its `user` column from that. Tests choose the actor
 * here; the stand-in writes the same `$_SESSION` keys so module code that reads them sees WHMCS's
 * shape. Simplification: no real session, login, or permission checks.
 */

declare(strict_types=1);

namespace WhmcsStandIn;

final class Session
{
    public static function asSystem(): void
    {
        unset($_SESSION['adminid'], $_SESSION['uid'], $_SESSION['cid']);
    }

    /** Also defines ADMINAREA, as WHMCS's admin pages do (a constant stays for the process). */
    public static function asAdmin(int $adminId): void
    {
        self::asSystem();
        $_SESSION['adminid'] = $adminId;
        if (!defined('ADMINAREA')) {
            define('ADMINAREA', true);
        }
    }

    public static function asClient(int $clientId, ?int $contactId = null): void
    {
        self::asSystem();
        $_SESSION['uid'] = $clientId;
        if ($contactId !== null) {
            $_SESSION['cid'] = $contactId;
        }
    }

    public static function adminId(): ?int
    {
        return isset($_SESSION['adminid']) ? (int) $_SESSION['adminid'] : null;
    }

    public static function clientId(): ?int
    {
        return isset($_SESSION['uid']) ? (int) $_SESSION['uid'] : null;
    }

    public static function contactId(): ?int
    {
        return isset($_SESSION['cid']) ? (int) $_SESSION['cid'] : null;
    }
}
