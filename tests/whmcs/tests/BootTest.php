<?php

declare(strict_types=1);

namespace WhmcsStandIn\Tests;

use WHMCS\Database\Capsule;

final class BootTest extends StandInTestCase
{
    public function testConstantsAndSecretAreThereAsInWhmcs(): void
    {
        $this->assertTrue(defined('WHMCS'));
        $this->assertDirectoryExists(ROOTDIR . '/modules/servers');
        $this->assertSame(ROOTDIR . '/configuration.php', WHMCS_CONFIGURATION_FILE);
        $this->assertNotSame('', $GLOBALS['cc_encryption_hash']);
    }

    public function testConfigurationFileIsRealPhpInWhmcsFormat(): void
    {
        $vars = (static function (string $file): array {
            require $file;
            return get_defined_vars();
        })(WHMCS_CONFIGURATION_FILE);
        $this->assertSame($GLOBALS['cc_encryption_hash'], $vars['cc_encryption_hash']);
        foreach (['db_host', 'db_port', 'db_username', 'db_password', 'db_name', 'mysql_charset'] as $name) {
            $this->assertArrayHasKey($name, $vars);
        }
        if ($this->isMysql()) {
            $this->assertSame('whmcs', $vars['db_name']);
            $this->assertSame(Capsule::connection()->getConfig('port'), (int) $vars['db_port']);
        }
    }

    public function testModuleIsLinkedWhereWhmcsInstallsIt(): void
    {
        $this->assertSame(realpath(self::FIXTURE_MODULE), realpath(ROOTDIR . '/modules/servers/katapult'));
    }

    public function testCapsuleTransactionsAndPdoWorkAsInWhmcs(): void
    {
        try {
            Capsule::connection()->transaction(function () {
                Capsule::table('tblclients')->insert(['firstname' => 'Rolled', 'lastname' => 'Back']);
                throw new \RuntimeException('abort');
            });
        } catch (\RuntimeException) {
        }
        $this->assertSame(0, Capsule::table('tblclients')->count());
        $pdo = Capsule::connection()->getPdo();
        $this->assertInstanceOf(\PDO::class, $pdo);
        $pdo->exec("INSERT INTO tblclients (firstname, lastname) VALUES ('Via', 'Pdo')");
        $this->assertSame('Via', Capsule::table('tblclients')->value('firstname'));
    }

    public function testSqlModeIsNonStrictOnMysqlAsWhmcsRequires(): void
    {
        if (!$this->isMysql()) {
            $this->markTestSkipped('MySQL only');
        }
        $mode = (string) Capsule::selectOne('SELECT @@SESSION.sql_mode AS m')->m;
        $this->assertStringNotContainsString('STRICT_TRANS_TABLES', $mode);
    }
}
