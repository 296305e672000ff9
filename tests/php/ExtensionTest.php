<?php
declare(strict_types=1);

use Katapult\Tests\Support\Php;
use PHPUnit\Framework\TestCase;

/** The extension as PHP sees it: name, version, build info, INI settings, stubs. */
final class ExtensionTest extends TestCase
{
    private static function cargoVersion(): string
    {
        $toml = (string) file_get_contents(dirname(__DIR__, 2) . '/Cargo.toml');
        preg_match('/^version = "([^"]+)"/m', $toml, $match);
        return $match[1];
    }

    public function testTheModuleIsNamedKatapultAndReportsItsVersion(): void
    {
        $this->assertContains('katapult', get_loaded_extensions());
        $this->assertSame(self::cargoVersion(), \Katapult\version());
        $this->assertSame(self::cargoVersion(), phpversion('katapult'));
    }

    public function testRiShowsBuildInformationAndEveryIniSetting(): void
    {
        exec(PHP_BINARY . ' -n -d extension=' . escapeshellarg(Php::extensionPath()) . ' --ri katapult', $lines, $status);
        $info = implode("\n", $lines);
        $this->assertSame(0, $status, $info);
        $this->assertStringContainsString('version => ' . self::cargoVersion(), $info);
        $this->assertMatchesRegularExpression('/git revision => ([0-9a-f]{7,}(-dirty)?|unknown)/', $info);
        $this->assertStringContainsString('built for PHP API => ' . trim((string) shell_exec('php-config --phpapi')), $info);
        // The build modes an extension must match, as this very PHP was built.
        $this->assertStringContainsString('thread safety => ' . (PHP_ZTS ? 'ZTS' : 'NTS'), $info);
        $this->assertStringContainsString('PHP debug build => ' . (PHP_DEBUG ? 'yes' : 'no'), $info);
        $this->assertMatchesRegularExpression('/^build target => ' . preg_quote(php_uname('m'), '/') . '-unknown-linux-(gnu|musl)$/m', $info);
        foreach (['katapult.api_url', 'katapult.timeout', 'katapult.connect_timeout', 'katapult.ca_file', 'katapult.suspend_grace'] as $directive) {
            $this->assertStringContainsString($directive . ' => ', $info);
        }
        $this->assertStringContainsString('katapult.api_url => https://api.katapult.io/core/v1', $info);
    }

    public function testIniDefaults(): void
    {
        $this->assertSame('https://api.katapult.io/core/v1', ini_get('katapult.api_url'));
        $this->assertSame('30', ini_get('katapult.timeout'));
        $this->assertSame('5', ini_get('katapult.connect_timeout'));
        $this->assertSame('', ini_get('katapult.ca_file'));
    }

    public function testTheApiUrlAndCaFileCannotBeChangedAtRunTime(): void
    {
        $this->assertFalse(ini_set('katapult.api_url', 'https://evil.example/core/v1'));
        $this->assertFalse(ini_set('katapult.ca_file', '/tmp/evil.pem'));
        $this->assertSame('30', ini_set('katapult.timeout', '12'));
        ini_restore('katapult.timeout');
    }

    public function testTheEnvironmentVariableWinsOverTheIniSetting(): void
    {
        $code = 'echo (new Katapult\ApiClient("token"))->apiUrl();';
        [, $fromIni] = Php::run($code, ['katapult.api_url' => 'http://127.0.0.1:9/from-ini/core/v1']);
        $this->assertSame('http://127.0.0.1:9/from-ini/core/v1', $fromIni);
        [, $fromEnv] = Php::run($code, ['katapult.api_url' => 'http://127.0.0.1:9/from-ini/core/v1'], ['KATAPULT_API_URL' => 'http://127.0.0.1:9/from-env/core/v1']);
        $this->assertSame('http://127.0.0.1:9/from-env/core/v1', $fromEnv);
    }

    public function testUnusableSettingsThrowAnExceptionNamingTheSetting(): void
    {
        $code = 'try { new Katapult\ApiClient("token"); } catch (Katapult\ApiException $e) { echo $e->errorCode, "|", $e->getMessage(); }';
        [, $out] = Php::run($code, ['katapult.timeout' => 'soon']);
        $this->assertSame('invalid_settings|katapult.timeout must be a number of seconds between 0 and 3600, not `soon`', $out);
        [, $out] = Php::run($code, ['katapult.ca_file' => '/nonexistent/ca.pem']);
        $this->assertStringStartsWith('invalid_settings|invalid Katapult API settings: cannot read the CA file /nonexistent/ca.pem (katapult.ca_file)', $out);
        [, $out] = Php::run('try { new Katapult\ApiClient(""); } catch (Katapult\ApiException $e) { echo $e->getMessage(); }');
        $this->assertSame('invalid Katapult API settings: the API token is empty', $out);
    }

    public function testTheStubsMatchTheBuiltExtension(): void
    {
        $root = dirname(__DIR__, 2);
        [$status, $generated, $errors] = Php::run('require $argv[1];', [], [], [$root . '/tests/stubs/generate.php']);
        $this->assertSame(0, $status, $errors);
        $this->assertSame(
            (string) file_get_contents($root . '/stubs/katapult.stubs.php'),
            $generated,
            'stubs/katapult.stubs.php is out of date: run make stubs'
        );
    }

    public function testStubsDeclareEverythingTheExtensionExposes(): void
    {
        $stubs = (string) file_get_contents(dirname(__DIR__, 2) . '/stubs/katapult.stubs.php');
        $extension = new ReflectionExtension('katapult');
        foreach ($extension->getClassNames() as $class) {
            $short = substr($class, strrpos($class, '\\') + 1);
            $this->assertMatchesRegularExpression('/class ' . preg_quote($short, '/') . '\b/', $stubs);
            foreach ((new ReflectionClass($class))->getMethods() as $method) {
                if ($method->getDeclaringClass()->getName() === $class) {
                    $this->assertStringContainsString('function ' . $method->getName() . '(', $stubs);
                }
            }
        }
        foreach ($extension->getFunctions() as $function) {
            $this->assertStringContainsString('function ' . $function->getShortName() . '(', $stubs);
        }
    }
}
