<?php
/**
 * TEST STAND-IN for proprietary WHMCS: the per-session CSRF token of WHMCS's client area.
 *
 * Mirrors WHMCS's `generate_token($type = 'form')` / `check_token()` (includes/functions.php):
 * one token per PHP session (not per form or per request; it survives page views and only
 * changes with the session), given to templates as `{$token}` and to JS as `csrfToken`.
 *  - `generate_token('plain')` → the token itself;
 *  - `generate_token('form')` (default) → `<input type="hidden" name="token" value="…" />`;
 *  - `generate_token('link')` → `&token=…`.
 * WHMCS checks the `token` request field on every client-area POST and stops with
 * "Invalid CSRF Protection Token" when it is missing or wrong (the stand-in's web front does that
 * in tests/whmcs/web/router.php; `check_token()` does it for module code that calls it).
 * The secret lives in `$_SESSION['tkval']` and the token is sha1(tkval . session id . ':whmcscrsf'),
 * as remembered from WHMCS's source; only the behaviour above matters to a module.
 * Outside a web request (CLI, PHPUnit) `$_SESSION` is a plain array and session_id() is '', so
 * generate_token() still returns a stable token for the process.
 */

declare(strict_types=1);

namespace WhmcsStandIn;

final class Csrf
{
    public const INVALID_MESSAGE = 'Invalid CSRF Protection Token';

    public static function token(): string
    {
        if (!isset($_SESSION) || !is_array($_SESSION)) {
            $_SESSION = [];
        }
        if (!is_string($_SESSION['tkval'] ?? null) || $_SESSION['tkval'] === '') {
            $_SESSION['tkval'] = bin2hex(random_bytes(20));
        }
        return sha1($_SESSION['tkval'] . session_id() . ':whmcscrsf');
    }

    /** generate_token(): 'plain', 'link' or (anything else, as WHMCS) the hidden form field. */
    public static function generate(string $type = 'form'): string
    {
        $token = self::token();
        return match ($type) {
            'plain' => $token,
            'link' => '&token=' . $token,
            default => '<input type="hidden" name="token" value="' . $token . '" />',
        };
    }

    /** True when the request's `token` field (POST, else GET) matches this session's token. */
    public static function isValid(?string $given = null): bool
    {
        $given ??= $_POST['token'] ?? $_GET['token'] ?? null;
        return is_string($given) && $given !== '' && hash_equals(self::token(), $given);
    }

    /** Forgets the session's secret: the next token() is new (the web front calls it at login). */
    public static function rotate(): void
    {
        unset($_SESSION['tkval']);
    }
}
