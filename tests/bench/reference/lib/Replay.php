<?php
/**
 * The incumbent's replay token: one token per session, rotated on the first use in
 * each client-area request (the old one kept to check an action against), sha1 of random bytes
 * and the time, in $_SESSION['knrp_token'].
 */

declare(strict_types=1);

namespace WHMCS\Module\Server\Katapultref;

final class Replay
{
    private static bool $hasBooted = false;
    private static ?string $previousToken = null;

    public static function getToken(): string
    {
        self::init();
        return (string) $_SESSION['knrp_token'];
    }

    private static function init(): void
    {
        if (self::$hasBooted) {
            return;
        }
        self::$previousToken = isset($_SESSION['knrp_token']) ? (string) $_SESSION['knrp_token'] : null;
        $_SESSION['knrp_token'] = sha1(bin2hex(random_bytes(8)) . microtime());
        self::$hasBooted = true;
    }
}
