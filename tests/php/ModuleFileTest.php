<?php
declare(strict_types=1);

use PHPUnit\Framework\TestCase;

/**
 * module/katapult.php as WHMCS's sample-module test checks a module: the functions exist and
 * return the documented shapes; and each (in functions.php, which katapult.php loads when the
 * extension is there) is a delegation, holding no logic.
 */
final class ModuleFileTest extends TestCase
{
    private const MODULE = __DIR__ . '/../../module/katapult.php';
    private const FUNCTIONS = __DIR__ . '/../../module/functions.php';

    public static function setUpBeforeClass(): void
    {
        if (!defined('WHMCS')) {
            define('WHMCS', true);
        }
        require_once self::MODULE;
    }

    public function testMetaDataHasTheDocumentedKeys(): void
    {
        $meta = katapult_MetaData();
        $this->assertSame('Katapult', $meta['DisplayName']);
        $this->assertSame('1.1', $meta['APIVersion']);
        $this->assertTrue($meta['RequiresServer']);
        $this->assertSame('Open Console', $meta['ServiceSingleSignOnLabel']);
        // The server sync tool matches VMs by FQDN (the service's domain) and products by package.
        $this->assertSame(['Hostname (FQDN)', 'domain', 'configoption1'], [$meta['ListAccountsUniqueIdentifierDisplayName'], $meta['ListAccountsUniqueIdentifierField'], $meta['ListAccountsProductField']]);
    }

    public function testConfigOptionsAreFieldDefinitionsWithLoaders(): void
    {
        $options = katapult_ConfigOptions();
        $this->assertSame(['Package', 'Data Center', 'Disk Template', 'Welcome Email At Once', 'Hostname Changes', 'Backup Retentions', 'Backup Hours', 'Purge On Terminate'], array_keys($options), 'configoption1..8, in order');
        foreach ($options as $field) {
            $this->assertContains($field['Type'], ['text', 'password', 'yesno', 'dropdown', 'radio', 'textarea']);
            $this->assertIsString($field['FriendlyName']);
            if (isset($field['Loader'])) {
                $this->assertTrue(function_exists($field['Loader']), $field['Loader'] . ' is defined');
            }
        }
    }

    public function testOutsideWhmcsTheLoadersSaySo(): void
    {
        try {
            katapult_PackageLoader([]);
            $this->fail('no WHMCS database here');
        } catch (Katapult\ApiException $e) {
            $this->assertInstanceOf(Exception::class, $e, 'WHMCS shows a loader\'s Exception message');
            $this->assertStringContainsString('is this running inside WHMCS?', $e->getMessage());
        }
        $result = katapult_TestConnection([]);
        $this->assertSame(['success' => false, 'error' => 'The module could not reach WHMCS\'s database.'], $result);
        $accounts = katapult_ListAccounts([]);
        $this->assertFalse($accounts['success'], 'the server sync tool gets its documented failure, never an exception');
        $this->assertStringContainsString('is this running inside WHMCS?', $accounts['error']);
    }

    public function testEveryFunctionIsADelegation(): void
    {
        $source = (string) file_get_contents(self::FUNCTIONS);
        // WHMCS's module functions (katapult_CreateAccount, ...); the lower-case helpers only
        // gather what a request carries (katapult_client_request, a form field's katapult_posted).
        // The panel's JSON answers end the request.
        preg_match_all('/function (katapult_[A-Z]\w+)\(([^)]*)\)[^{]*\{(.*?)\n\}/s', $source, $functions, PREG_SET_ORDER);
        $this->assertGreaterThan(15, count($functions));
        // Arguments: WHMCS's $params, $_POST (the posted form, for the functions behind the panel's
        // and the service tab's forms), a literal, the client-area request, one posted field, the
        // module files' version.
        $argument = '(\$params|\$_POST|\'\w+\'|KATAPULT_MODULE_VERSION|katapult_client_request\(\)( \?\? \[\])?|katapult_posted\(\'\w+\'\))';
        foreach ($functions as [, $name, , $body]) {
            if (in_array($name, ['katapult_LiveState', 'katapult_RevealPassword'], true)) {
                $function = substr($name, strlen('katapult_'));
                $this->assertSame("return katapult_answer_panel('$function', fn (array \$request) => \\Katapult\\Module\\" . lcfirst($function) . '($params, $request));', trim($body));
                continue;
            }
            $statements = array_values(array_filter(array_map('trim', explode(';', trim($body)))));
            $this->assertCount(1, $statements, "$name holds one statement");
            $this->assertMatchesRegularExpression("/^return \\\\Katapult\\\\Module\\\\\w+\(($argument(, $argument)*)?\)$/", $statements[0], "$name delegates");
        }
    }

    /**
     * The extension keeps a language's strings per PHP process and asks katapult_lang() again
     * only when a language file changed; what it gets then must be the file as it is now, not
     * opcache's copy of it, which a web server's PHP keeps for opcache.revalidate_freq seconds.
     * Two requests to a PHP web server with opcache on and a minute's revalidation: the override
     * edited between them is read anew.
     */
    public function testAnEditedLanguageFileIsReadAnewWhereOpcacheWouldKeepIt(): void
    {
        if (!function_exists('opcache_get_status')) {
            $this->markTestSkipped('PHP has no opcache');
        }
        $dir = sys_get_temp_dir() . '/katapult-lang-' . bin2hex(random_bytes(6));
        mkdir("$dir/lang", 0777, true);
        mkdir("$dir/overrides/lang", 0777, true);
        copy(self::FUNCTIONS, "$dir/functions.php");
        copy(dirname(self::FUNCTIONS) . '/lang/english.php', "$dir/lang/english.php");
        $override = "$dir/overrides/lang/english.php";
        $write = static function (string $title, int $age) use ($override): void {
            file_put_contents($override, "<?php\n\$_LANG['katapult_overview_title'] = '$title';\n");
            // Older than opcache's file_update_protection, so that opcache keeps the file.
            touch($override, time() - $age);
            clearstatcache();
        };
        $write('Server A', 20);
        file_put_contents("$dir/router.php", "<?php\ndefine('WHMCS', true);\nrequire_once __DIR__ . '/functions.php';\necho katapult_lang('english')['katapult_overview_title'];\n");
        $port = (int) substr((string) strrchr(stream_socket_get_name($probe = stream_socket_server('tcp://127.0.0.1:0'), false), ':'), 1);
        fclose($probe);
        $server = proc_open([PHP_BINARY, '-d', 'opcache.enable=1', '-d', 'opcache.enable_cli=1', '-d', 'opcache.validate_timestamps=1', '-d', 'opcache.revalidate_freq=60', '-S', "127.0.0.1:$port", "$dir/router.php"], [1 => ['file', '/dev/null', 'w'], 2 => ['file', '/dev/null', 'w']], $pipes);
        try {
            $get = static function () use ($port): string {
                for ($try = 0; $try < 50; $try++) {
                    $page = @file_get_contents("http://127.0.0.1:$port/");
                    if ($page !== false) {
                        return $page;
                    }
                    usleep(100_000);
                }
                return 'no answer';
            };
            $this->assertSame('Server A', $get());
            $write('Server BB', 10);
            $this->assertSame('Server BB', $get(), 'the edited file, not opcache\'s copy');
        } finally {
            proc_terminate($server);
            proc_close($server);
            array_map('unlink', array_merge(glob("$dir/*.php"), glob("$dir/*/*.php"), glob("$dir/*/*/*.php")));
            rmdir("$dir/overrides/lang");
            rmdir("$dir/overrides");
            rmdir("$dir/lang");
            rmdir($dir);
        }
    }

    public function testTheServiceClassNeedsPositiveIds(): void
    {
        $this->expectException(Katapult\ApiException::class);
        $this->expectExceptionMessage('service_id must be a positive id, not 0');
        new Katapult\VirtualMachineService(0, 1);
    }

    public function testTheVmClassCannotBeMadeFromPhp(): void
    {
        $this->expectException(Throwable::class);
        new Krystal\Katapult\API\RestfulKatapultApiV1\Resources\Organization\VirtualMachine();
    }
}
