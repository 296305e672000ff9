<?php
declare(strict_types=1);

use Katapult\Tests\Support\Simulator;
use PHPUnit\Framework\TestCase;
use WHMCS\Database\Capsule;
use WHMCS\Module\Server\Katapult\WHMCS\Service\VirtualMachine as VirtualMachineService;
use WhmcsStandIn\ActivityLog;
use WhmcsStandIn\Cron;
use WhmcsStandIn\Environment;
use WhmcsStandIn\Fixtures;
use WhmcsStandIn\Mailer;
use WhmcsStandIn\Module;
use WhmcsStandIn\SalmonDataStore;
use WhmcsStandIn\ServerSync;

/**
 * WHMCS's server sync tool with the module's ListAccounts: a VM made outside WHMCS (straight on
 * the simulator, in a client's managed organization) is listed, imported as a service, and that
 * service then behaves as one the module built.
 */
final class ServerSyncTest extends TestCase
{
    private static Simulator $sim;

    public static function setUpBeforeClass(): void
    {
        self::$sim = Simulator::forTheModule();
    }

    public static function tearDownAfterClass(): void
    {
        self::$sim->stop();
    }

    protected function setUp(): void
    {
        Environment::reset();
        $_POST = [];
    }

    public function testAVmMadeOutsideWhmcsIsListedImportedAndThenBehavesAsAnyOther(): void
    {
        $welcome = Fixtures::emailTemplate('Katapult Server Ready', ['subject' => 'Your server', 'message' => 'Server {$katapult_vm_hostname} at {$katapult_vm_ip}']);
        [$product, $server] = $this->provider(['welcomeemail' => $welcome]);
        $client = Fixtures::client(['email' => 'grace@example.test']);

        // A service the module built: its client's managed organization, and a VM WHMCS knows.
        $built = (int) Fixtures::service($client, $product, ['domain' => 'built.example.com'])->id;
        $this->assertSame('success', Module::runModuleCommand('CreateAccount', $built));
        $this->waitFor(fn () => VirtualMachineService::findOrFail($built)->vm_id !== null, fn () => Cron::run());
        $organization = (string) SalmonDataStore::get('client', (int) $client->id, 'managed_org_id');

        // Made in Katapult's own panel: no annotation; and one another WHMCS installation built.
        $api = new Katapult\ApiClient('sim-token');
        $outside = $this->buildOutsideWhmcs($api, $organization, 'outside-1', []);
        $foreign = $this->buildOutsideWhmcs($api, $organization, 'foreign-1', ['whmcs_service_id' => 'another-installation/' . $built]);

        $this->assertTrue(ServerSync::available($server));
        $report = ServerSync::analyse($server);
        $this->assertNull($report['error']);
        $listed = array_column(array_column($report['accounts'], 'account'), null, 'uniqueIdentifier');
        $this->assertArrayNotHasKey($foreign['fqdn'], $listed, "another installation's VM is never listed");
        $this->assertArrayHasKey($outside['fqdn'], $listed);
        $account = $listed[$outside['fqdn']];
        $this->assertSame(['grace@example.test', 'root', $outside['fqdn'], 'rock-3', 'Active'], [$account['email'], $account['username'], $account['domain'], $account['product'], $account['status']]);
        $this->assertSame($outside['ip_addresses'][0]['address'], $account['primaryip']);
        $this->assertSame(date('Y-m-d H:i:s', $outside['created_at']), $account['created']);
        $rows = array_column($report['accounts'], null, 'serviceId');
        $this->assertArrayHasKey($built, $rows, 'the VM the module built matches its service by FQDN');
        $this->assertSame([], $rows[$built]['differences']);

        $imported = ServerSync::import($server, [$outside['fqdn']])[$outside['fqdn']];
        $this->assertIsInt($imported, (string) $imported);
        $row = Capsule::table('tblhosting')->where('id', $imported)->first();
        $this->assertSame([(int) $client->id, $product, 'Active'], [(int) $row->userid, (int) $row->packageid, $row->domainstatus]);
        // The welcome email the tool sends linked the service to its VM, so it had the VM's address.
        $this->assertSame($outside['id'], VirtualMachineService::findOrFail($imported)->vm_id);
        $sent = array_values(array_filter(Mailer::sent(), fn (array $m) => (int) $m['relid'] === $imported));
        $this->assertCount(1, $sent);
        $this->assertStringContainsString('at ' . $outside['ip_addresses'][0]['address'], $sent[0]['message']);
        $this->assertContains("[Katapult] Service ID $imported: linked to VM {$outside['id']} ({$outside['fqdn']}) in organization $organization, made outside WHMCS", ActivityLog::descriptions());

        // Then it is a service like any other.
        $this->assertSame('success', Module::runModuleCommand('SuspendAccount', $imported));
        $this->assertSame('stopped', $api->virtualMachine($outside['id'])['virtual_machine']['state']);
        $rows = array_column(ServerSync::analyse($server)['accounts'], null, 'serviceId');
        $this->assertSame('Suspended', $rows[$imported]['account']['status'], 'the report matches a suspended service');
        $this->assertSame('success', Module::runModuleCommand('UnsuspendAccount', $imported));
        $this->waitFor(fn () => $api->virtualMachine($outside['id'])['virtual_machine']['state'] === 'started');
        $this->assertStringContainsString('katapult-overview', $this->clientArea($imported, (int) $client->id));
        $this->assertSame('success', Module::runModuleCommand('TerminateAccount', $imported));
        try {
            $api->virtualMachine($outside['id']);
            $this->fail('the imported VM is in the trash');
        } catch (Katapult\ApiException $e) {
            $this->assertSame('object_in_trash', $e->errorCode);
        }
        $this->assertSame('started', $api->virtualMachine($foreign['id'])['virtual_machine']['state'], "the other installation's VM is untouched");
    }

    public function testAnUnlinkedServiceIsNeverLinkedToAVmAnotherServiceOrInstallationHas(): void
    {
        [$product] = $this->provider();
        $client = Fixtures::client();
        $built = (int) Fixtures::service($client, $product, ['domain' => 'first.example.com'])->id;
        $this->assertSame('success', Module::runModuleCommand('CreateAccount', $built));
        $this->waitFor(fn () => VirtualMachineService::findOrFail($built)->vm_id !== null, fn () => Cron::run());
        $fqdn = (string) Capsule::table('tblhosting')->where('id', $built)->value('domain');
        $organization = (string) SalmonDataStore::get('client', (int) $client->id, 'managed_org_id');
        $foreign = $this->buildOutsideWhmcs(new Katapult\ApiClient('sim-token'), $organization, 'foreign-2', ['whmcs_service_id' => 'another-installation/1']);

        // A second Active service naming the first one's VM, and one naming the other installation's.
        foreach ([$fqdn, $foreign['fqdn']] as $domain) {
            $copy = (int) Fixtures::service($client, $product, ['domain' => $domain, 'domainstatus' => 'Active'])->id;
            $this->assertSame('This service has no Katapult VM: it was never created (press Create).', Module::runModuleCommand('SuspendAccount', $copy));
            $this->assertNull(VirtualMachineService::findOrFail($copy)->vm_id);
        }
        $this->assertSame('Active', Capsule::table('tblhosting')->where('id', $built)->value('domainstatus'));
    }

    /**
     * A Katapult product (the key saved on its Other tab) and a Katapult server.
     *
     * @return array{0: int, 1: int} product id, server id
     */
    private function provider(array $product = []): array
    {
        $id = (int) Fixtures::product($product + ['servertype' => 'katapult', 'configoption1' => 'rock-3', 'configoption2' => 'uk-lon-01', 'configoption3' => 'templates/ubuntu-22-04'])->id;
        $_POST = ['katapult_api_key' => 'sim-token', 'katapult_parent_organization' => ''];
        run_hook('AdminProductConfigFieldsSave', ['pid' => $id]);
        $_POST = [];
        return [$id, Fixtures::server()];
    }

    /** @return array<string, mixed> the built VM, as Katapult shows it */
    private function buildOutsideWhmcs(Katapult\ApiClient $api, string $organization, string $hostname, array $annotations): array
    {
        $build = $api->buildVirtualMachine(['organization' => $organization, 'package' => 'rock-3', 'data_center' => 'uk-lon-01', 'disk_template' => 'templates/ubuntu-22-04', 'hostname' => $hostname, 'annotations' => $annotations])['virtual_machine_build'];
        $this->waitFor(fn () => $api->virtualMachineBuild($build['id'])['state'] === 'complete');
        $vm = $api->virtualMachineBuild($build['id'])['virtual_machine'];
        $this->waitFor(fn () => $api->virtualMachine($vm['id'])['virtual_machine']['state'] === 'started');
        return $api->virtualMachine($vm['id'])['virtual_machine'];
    }

    private function waitFor(callable $done, ?callable $meanwhile = null): void
    {
        $deadline = microtime(true) + 20;
        while (!$done() && microtime(true) < $deadline) {
            usleep(100_000);
            $meanwhile && $meanwhile();
        }
        $this->assertTrue($done(), 'waited 20 s in vain');
    }

    /** The client's product page, in a process of its own (the client area, not this one's admin area). */
    private function clientArea(int $service, int $client): string
    {
        $script = <<<'PHP'
            require $argv[1] . '/tests/php-whmcs/bootstrap.php';
            define('CLIENTAREA', true);
            WhmcsStandIn\Session::asClient((int) $argv[3]);
            echo WhmcsStandIn\Module::call('ClientArea', (int) $argv[2]);
            PHP;
        $extension = getenv('KATAPULT_EXT') ?: dirname(__DIR__, 2) . '/target/release/libkatapult.so';
        $command = [PHP_BINARY, '-d', 'extension=' . $extension, '-r', $script, dirname(__DIR__, 2), (string) $service, (string) $client];
        $process = proc_open($command, [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes);
        $out = (string) stream_get_contents($pipes[1]);
        $err = (string) stream_get_contents($pipes[2]);
        $this->assertSame(0, proc_close($process), $out . $err);
        return $out;
    }
}
