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

    /** README fact 15. */
    public function testFact15SqlModeIsEmptyOnMysqlAsWhmcsSetsIt(): void
    {
        if (!$this->isMysql()) {
            $this->markTestSkipped('MySQL only');
        }
        $this->assertSame('', (string) Capsule::selectOne('SELECT @@SESSION.sql_mode AS m')->m);
    }

    /** README fact 12. */
    public function testFact12RequestValuesArriveHtmlEncoded(): void
    {
        $sent = ['key' => "a&b<c>\"d\"'e'", 'list' => ['x' => '<y>'], 'n' => 5];
        $this->assertSame(
            ['key' => 'a&amp;b&lt;c&gt;&quot;d&quot;&#039;e&#039;', 'list' => ['x' => '&lt;y&gt;'], 'n' => 5],
            \WhmcsStandIn\Environment::asSubmitted($sent),
        );
        $cmd = sprintf('%s -r %s', escapeshellarg(PHP_BINARY),
            escapeshellarg('$_GET = ["q" => "<b>&"]; $_REQUEST = $_GET; require ' . var_export(dirname(__DIR__) . '/bootstrap.php', true) . '; echo $_GET["q"], " ", $_REQUEST["q"];'));
        $this->assertSame('&lt;b&gt;&amp; &lt;b&gt;&amp;', (string) shell_exec($cmd), 'encoded when WHMCS boots');

        $product = \WhmcsStandIn\Fixtures::product();
        $service = \WhmcsStandIn\Fixtures::service(\WhmcsStandIn\Fixtures::client(), $product);
        \WhmcsStandIn\Fixtures::customField($product, 'SSH Key', $service, 'ssh-ed25519 AAAA "me"');
        $this->assertSame('ssh-ed25519 AAAA &quot;me&quot;', \WhmcsStandIn\Module::buildParams((int) $service->id)['customfields']['SSH Key']);
    }

    /** README fact 14. */
    public function testFact14ConfigurationIsIncludedNotParsed(): void
    {
        $file = tempnam(sys_get_temp_dir(), 'whmcs-config');
        putenv('STANDIN_TEST_HASH=from-the-environment');
        try {
            file_put_contents($file, "<?php\n\$cc_encryption_hash = 'stale';\n// \$cc_encryption_hash = 'commented';\n"
                . "\$cc_encryption_hash = getenv('STANDIN_TEST_HASH');\n");
            $this->assertSame('from-the-environment', \WhmcsStandIn\Environment::loadConfiguration($file)['cc_encryption_hash']);
        } finally {
            putenv('STANDIN_TEST_HASH');
            unlink($file);
        }
        $this->assertSame(\WhmcsStandIn\Environment::loadConfiguration(WHMCS_CONFIGURATION_FILE)['cc_encryption_hash'], $GLOBALS['cc_encryption_hash']);
    }
}
