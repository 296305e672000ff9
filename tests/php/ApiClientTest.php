<?php
declare(strict_types=1);

use Katapult\ApiClient;
use Katapult\ApiException;
use Katapult\Tests\Support\Php;
use Katapult\Tests\Support\Simulator;
use PHPUnit\Framework\TestCase;

/** Katapult\ApiClient from PHP, against the project's simulator. */
final class ApiClientTest extends TestCase
{
    private static Simulator $sim;

    public static function setUpBeforeClass(): void
    {
        self::$sim = new Simulator();
    }

    public static function tearDownAfterClass(): void
    {
        self::$sim->stop();
    }

    private function api(string $token = 'sim-token'): ApiClient
    {
        return new ApiClient($token, self::$sim->baseUrl);
    }

    private function parent(): array
    {
        foreach ($this->api()->organizations() as $organization) {
            if (!$organization['managed']) {
                return $organization;
            }
        }
        $this->fail('the simulator has no parent organization');
    }

    private function waitFor(callable $done): mixed
    {
        $deadline = microtime(true) + 20;
        while (($value = $done()) === null) {
            $this->assertLessThan($deadline, microtime(true), 'timed out');
            usleep(50_000);
        }
        return $value;
    }

    public function testResultsAreArraysInTheApisShape(): void
    {
        $api = $this->api();
        $dataCenters = $api->dataCenters();
        $this->assertTrue(array_is_list($dataCenters));
        $this->assertSame('uk-lon-01', $dataCenters[0]['permalink']);
        $packages = $api->virtualMachinePackages();
        $this->assertCount(20, $packages);
        $this->assertSame(['id', 'name', 'permalink'], array_slice(array_keys($packages[0]), 0, 3), 'API field order is kept');
        $this->assertIsInt($packages[0]['cpu_cores']);
        $this->assertNotEmpty($api->diskTemplates($this->parent()['id']));
        $this->assertSame($this->parent()['id'], $api->organization((string) $this->parent()['sub_domain'])['id']);
    }

    public function testAVmIsBuiltPoweredAndDeletedFromPhp(): void
    {
        $api = $this->api();
        $org = $api->createManagedOrganization($this->parent()['id'], 'PHP Client', 'php-' . bin2hex(random_bytes(3)), ['whmcs_client_id' => 7]);
        $this->assertSame($org['id'], $api->managedOrganizations($this->parent()['id'])[array_search($org['id'], array_column($api->managedOrganizations($this->parent()['id']), 'id'))]['id']);
        $started = $api->buildVirtualMachine([
            'organization' => $org['id'], 'package' => 'rock-3', 'data_center' => 'uk-lon-01',
            'disk_template' => 'templates/ubuntu-22-04', 'hostname' => 'php-vm', 'annotations' => ['whmcs_service_id' => 77],
        ]);
        $this->assertSame('pending', $started['virtual_machine_build']['state']);
        $build = $this->waitFor(function () use ($api, $started) {
            $build = $api->virtualMachineBuild($started['virtual_machine_build']['id']);
            return $build['state'] === 'complete' ? $build : null;
        });
        $vmId = $build['virtual_machine']['id'];
        $vm = $this->waitFor(function () use ($api, $vmId) {
            $vm = $api->virtualMachine($vmId)['virtual_machine'];
            return $vm['state'] === 'started' ? $vm : null;
        });
        $this->assertNotEmpty($vm['initial_root_password']);
        $this->assertSame($vmId, $api->virtualMachine($vm['fqdn'])['virtual_machine']['id']);

        $task = $api->stop($vmId);
        $this->assertContains($task['status'], ['pending', 'running', 'completed']);
        $this->waitFor(fn () => $api->task($task['id'])['status'] === 'completed' ? true : null);
        try {
            $api->createConsoleSession($vmId);
            $this->fail('a console needs a started VM');
        } catch (ApiException $e) {
            $this->assertSame('virtual_machine_must_be_started', $e->errorCode);
            $this->assertSame(406, $e->httpStatus);
            $this->assertSame(406, $e->getCode());
            $this->assertSame('stopped', $e->detail['current_state']);
            $this->assertNotEmpty($e->requestId);
        }
        $start = $api->start($vmId);
        $this->waitFor(fn () => $api->task($start['id'])['status'] === 'completed' ? true : null);
        $this->waitFor(fn () => $api->virtualMachine($vmId)['virtual_machine']['state'] === 'started' ? true : null);
        $this->assertStringStartsWith(self::$sim->rootUrl, $api->createConsoleSession($vmId)['url']);

        $ip = $vm['ip_addresses'][0];
        $this->assertSame('rdns.example.net', $api->updateReverseDns($ip['address'], 'rdns.example.net')['reverse_dns']);
        $this->assertContains($ip['address'], array_column($api->ipAddresses($org['id']), 'address'));

        $trash = $api->deleteVirtualMachine($vmId)['trash_object'];
        try {
            $api->virtualMachine($vmId);
            $this->fail('a trashed VM cannot be read');
        } catch (ApiException $e) {
            $this->assertSame('object_in_trash', $e->errorCode);
        }
        $this->assertArrayHasKey('id', $api->purgeTrashObject($trash['id']));
    }

    public function testFailuresAreApiExceptionsWithTheirFacts(): void
    {
        try {
            $this->api('wrong-token')->organizations();
            $this->fail('a wrong token is refused');
        } catch (ApiException $e) {
            $this->assertInstanceOf(RuntimeException::class, $e);
            $this->assertSame('invalid_api_token', $e->errorCode);
            $this->assertSame(403, $e->httpStatus);
            $this->assertStringNotContainsString('wrong-token', $e->getMessage());
            $this->assertSame(__FILE__, $e->getFile(), 'thrown from the calling line');
        }
        try {
            (new ApiClient('sim-token', 'http://127.0.0.1:1/core/v1'))->dataCenters();
            $this->fail('nothing listens on port 1');
        } catch (ApiException $e) {
            $this->assertSame('transport_error', $e->errorCode);
            $this->assertNull($e->httpStatus);
            $this->assertStringContainsString('Connection refused', $e->getMessage());
        }
        try {
            new ApiClient('sim-token', 'http://api.example.com/core/v1');
            $this->fail('the key would travel unencrypted');
        } catch (ApiException $e) {
            $this->assertSame('invalid_settings', $e->errorCode);
            $this->assertStringContainsString('the API URL `http://api.example.com/core/v1` is http://, which would send the API key unencrypted: use https://', $e->getMessage());
        }
        $this->expectException(ApiException::class);
        $this->expectExceptionMessage('the API URL `ftp://example` must start with https:// (or http:// to this machine)');
        new ApiClient('sim-token', 'ftp://example/');
    }

    public function testBadBuildRequestsAreRefusedBeforeAnyCall(): void
    {
        $before = self::$sim->stats()['total_requests'];
        $cases = [
            [[], 'build request field `organization` is required'],
            [['organization' => 'org_x', 'package' => 'rock-3', 'data_centre' => 'uk-lon-01'], 'unknown build request field `data_centre`'],
            [['organization' => 'org_x', 'package' => ['rock-3'], 'data_center' => 'uk-lon-01'], 'build request field `package` must be a string'],
            [['organization' => 'org_x', 'package' => 'rock-3', 'data_center' => 'uk-lon-01', 'system_disk_size_in_gb' => 'big'], 'system_disk_size_in_gb must be a whole number of GB'],
            [['organization' => new stdClass()], 'cannot be used here'],
            [['organization', 'package'], 'the build request must be an array with named fields'],
        ];
        foreach ($cases as [$request, $message]) {
            try {
                $this->api()->buildVirtualMachine($request);
                $this->fail('accepted: ' . json_encode($request));
            } catch (ApiException $e) {
                $this->assertSame('invalid_argument', $e->errorCode);
                $this->assertStringContainsString($message, $e->getMessage());
            }
        }
        $this->assertSame($before, self::$sim->stats()['total_requests'], 'nothing reached the API');
    }

    public function testWrongArgumentTypesAreTypeErrors(): void
    {
        $this->expectException(TypeError::class);
        $this->api()->virtualMachine(['vm_x']);
    }

    public function testTheApiUrlIsFixedWhenPhpStarts(): void
    {
        $code = <<<'PHP'
            putenv('KATAPULT_API_URL=https://evil.example/core/v1');
            $api = new Katapult\ApiClient('sim-token');
            echo $api->apiUrl(), ' ', count($api->organizations()) > 0 ? 'reached' : 'nothing', "\n";
            var_dump(ini_set('katapult.api_url', 'https://evil.example/core/v1'));
            echo (new Katapult\ApiClient('sim-token'))->apiUrl(), "\n";
            PHP;
        [$status, $out, $err] = Php::run($code, [], ['KATAPULT_API_URL' => self::$sim->baseUrl]);
        $this->assertSame(0, $status, $err);
        $this->assertSame(self::$sim->baseUrl . " reached\nbool(false)\n" . self::$sim->baseUrl . "\n", $out, 'putenv() and ini_set() after the start change nothing');

        $code = 'try { new Katapult\ApiClient("sim-token"); } catch (Katapult\ApiException $e) { echo $e->errorCode, ": ", $e->getMessage(); }';
        [, $out] = Php::run($code, [], ['KATAPULT_API_URL' => 'http://api.example.com/core/v1']);
        $this->assertStringStartsWith('invalid_settings: ', $out);
        $this->assertStringContainsString('the API URL `http://api.example.com/core/v1` is http://, which would send the API key unencrypted', $out);
    }

    public function testHttpsWithTheCaFileSetting(): void
    {
        $tls = new Simulator([], true);
        try {
            $code = 'try { echo count((new Katapult\ApiClient("sim-token"))->dataCenters()); } catch (Katapult\ApiException $e) { echo $e->errorCode, ": ", $e->getMessage(); }';
            [, $trusted] = Php::run($code, ['katapult.ca_file' => (string) $tls->caFile], ['KATAPULT_API_URL' => $tls->baseUrl]);
            $this->assertSame('1', $trusted);
            [, $untrusted] = Php::run($code, [], ['KATAPULT_API_URL' => $tls->baseUrl]);
            $this->assertStringStartsWith('transport_error: ', $untrusted);
            $this->assertStringContainsString('certificate', $untrusted);
        } finally {
            $tls->stop();
        }
    }
}
