<?php

declare(strict_types=1);

namespace WhmcsStandIn\Tests;

use WhmcsStandIn\Encryption;

final class EncryptionTest extends StandInTestCase
{
    public function testRoundTripIsRandomisedBase64(): void
    {
        $a = encrypt('root-password-€');
        $b = encrypt('root-password-€');
        $this->assertNotSame($a, $b);
        $this->assertMatchesRegularExpression('#^[A-Za-z0-9+/]+={0,2}$#', $a);
        $this->assertSame('root-password-€', decrypt($a));
        $this->assertSame('root-password-€', decrypt($b));
        $this->assertSame('', decrypt(encrypt('')));
    }

    /** README fact 13: decrypt() has no integrity check. */
    public function testFact13GarbageAndForeignCiphertextDecryptToGarbageNotEmpty(): void
    {
        $this->assertSame('', decrypt(''));
        foreach ([
            'not base64 !!',
            base64_encode(random_bytes(80)),
            'plain-text-password',
            Encryption::encrypt('secret', 'another-installation-hash'),
        ] as $input) {
            $garbage = decrypt($input);
            $this->assertNotSame('', $garbage, $input);
            $this->assertNotSame('secret', $garbage);
        }
        $this->assertSame(6, strlen(decrypt(Encryption::encrypt('secret', 'another-installation-hash'))), 'garbage of the plaintext\'s length');
        $tampered = base64_decode(encrypt('secret'));
        $tampered[strlen($tampered) - 1] = chr(ord($tampered[strlen($tampered) - 1]) ^ 1);
        $this->assertSame('secreu', decrypt(base64_encode($tampered)), 'a changed byte goes unnoticed');
    }

    public function testKeyedByTheInstallationSecret(): void
    {
        $cipher = Encryption::encrypt('secret', 'hash-one');
        $this->assertSame('secret', Encryption::decrypt($cipher, 'hash-one'));
        $this->assertNotSame('secret', Encryption::decrypt($cipher, 'hash-two'));
    }
}
