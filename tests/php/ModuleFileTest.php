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
