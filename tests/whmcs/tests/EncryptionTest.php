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

    public function testGarbageAndForeignCiphertextDecryptToEmpty(): void
    {
        $this->assertSame('', decrypt(''));
        $this->assertSame('', decrypt('not base64 !!'));
        $this->assertSame('', decrypt(base64_encode(random_bytes(80))));
        $this->assertSame('', decrypt('plain-text-password'));
        $this->assertSame('', decrypt(Encryption::encrypt('secret', 'another-installation-hash')));
        $tampered = base64_decode(encrypt('secret'));
        $tampered[strlen($tampered) - 1] = chr(ord($tampered[strlen($tampered) - 1]) ^ 1);
        $this->assertSame('', decrypt(base64_encode($tampered)));
    }

    public function testKeyedByTheInstallationSecret(): void
    {
        $cipher = Encryption::encrypt('secret', 'hash-one');
        $this->assertSame('secret', Encryption::decrypt($cipher, 'hash-one'));
        $this->assertSame('', Encryption::decrypt($cipher, 'hash-two'));
    }
}
