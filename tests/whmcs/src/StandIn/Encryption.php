<?php
/**
 * TEST STAND-IN for proprietary WHMCS: the global encrypt()/decrypt() helpers.
 *
 * WHMCS's encrypt() is keyed by the installation secret `$cc_encryption_hash` (configuration.php),
 * returns base64 text, and gives a different output each call for the same input (random IV); its
 * decrypt() of something that is not a valid ciphertext yields ''. WHMCS's own cipher (a legacy
 * SHA-1 keystream construction with a 20-byte IV) is proprietary code and is NOT reproduced: the
 * stand-in uses AES-256-CBC with HMAC-SHA256 (encrypt-then-MAC) from openssl, so values encrypted
 * by a real WHMCS cannot be decrypted here and vice versa. The observable contract modules rely on
 * is the same: round trip, randomised output, base64 text, keyed by $cc_encryption_hash, '' for
 * garbage or for a value encrypted under another secret.
 * Format: base64( iv[16] . hmac[32] . ciphertext ).
 */

declare(strict_types=1);

namespace WhmcsStandIn;

final class Encryption
{
    private const CIPHER = 'aes-256-cbc';

    public static function encrypt(string $plain, ?string $secret = null): string
    {
        [$encKey, $macKey] = self::keys($secret);
        $iv = random_bytes(16);
        $cipher = openssl_encrypt($plain, self::CIPHER, $encKey, OPENSSL_RAW_DATA, $iv);
        if ($cipher === false) {
            throw new \RuntimeException('openssl_encrypt failed');
        }
        $mac = hash_hmac('sha256', $iv . $cipher, $macKey, true);
        return base64_encode($iv . $mac . $cipher);
    }

    public static function decrypt(string $encoded, ?string $secret = null): string
    {
        $raw = base64_decode($encoded, true);
        if ($raw === false || strlen($raw) < 16 + 32 + 16) {
            return '';
        }
        [$encKey, $macKey] = self::keys($secret);
        $iv = substr($raw, 0, 16);
        $mac = substr($raw, 16, 32);
        $cipher = substr($raw, 48);
        if (!hash_equals(hash_hmac('sha256', $iv . $cipher, $macKey, true), $mac)) {
            return '';
        }
        $plain = openssl_decrypt($cipher, self::CIPHER, $encKey, OPENSSL_RAW_DATA, $iv);
        return $plain === false ? '' : $plain;
    }

    /** @return array{string, string} encryption key, MAC key */
    private static function keys(?string $secret): array
    {
        $secret ??= (string) ($GLOBALS['cc_encryption_hash'] ?? '');
        if ($secret === '') {
            throw new \RuntimeException('$cc_encryption_hash is not set: boot the WHMCS stand-in first');
        }
        return [hash_hmac('sha256', 'encryption', $secret, true), hash_hmac('sha256', 'authentication', $secret, true)];
    }
}
