<?php
/**
 * TEST STAND-IN for proprietary WHMCS: the global encrypt()/decrypt() helpers.
 *
 * As WHMCS's: encrypt() is keyed by the installation secret `$cc_encryption_hash` as WHMCS loaded
 * it from configuration.php, returns base64 text, and gives a different output each call for the
 * same input (random IV). decrypt() has no integrity check (README fact 13): with a wrong key, or
 * for input that never was a ciphertext, it returns garbage bytes, never an error or ''. WHMCS's
 * own cipher is proprietary code and is NOT reproduced: the stand-in uses AES-256-CTR from openssl
 * (a stream cipher, so a wrong key gives garbage of the plaintext's length), so values encrypted by
 * a real WHMCS cannot be decrypted here and vice versa.
 * Format: base64( iv[16] . ciphertext ).
 */

declare(strict_types=1);

namespace WhmcsStandIn;

final class Encryption
{
    private const CIPHER = 'aes-256-ctr';

    public static function encrypt(string $plain, ?string $secret = null): string
    {
        $iv = random_bytes(16);
        $cipher = openssl_encrypt($plain, self::CIPHER, self::key($secret), OPENSSL_RAW_DATA, $iv);
        if ($cipher === false) {
            throw new \RuntimeException('openssl_encrypt failed');
        }
        return base64_encode($iv . $cipher);
    }

    public static function decrypt(string $encoded, ?string $secret = null): string
    {
        // Lenient like WHMCS: whatever base64 decodes to, missing IV bytes as zeros.
        $raw = (string) base64_decode($encoded, false);
        if ($raw === '') {
            return '';
        }
        if (strlen($raw) < 16) {
            // Too short to hold an IV: still garbage, not nothing.
            return (string) openssl_encrypt($raw, self::CIPHER, self::key($secret), OPENSSL_RAW_DATA, str_repeat("\0", 16));
        }
        // An IV alone is the empty string encrypted.
        return (string) openssl_decrypt((string) substr($raw, 16), self::CIPHER, self::key($secret), OPENSSL_RAW_DATA, substr($raw, 0, 16));
    }

    private static function key(?string $secret): string
    {
        $secret ??= (string) ($GLOBALS['cc_encryption_hash'] ?? '');
        if ($secret === '') {
            throw new \RuntimeException('$cc_encryption_hash is not set: boot the WHMCS stand-in first');
        }
        return hash('sha256', $secret, true);
    }
}
