<?php
declare(strict_types=1);

use Katapult\Tests\Support\Simulator;
use PHPUnit\Framework\TestCase;
use WHMCS\Database\Capsule;
use WhmcsStandIn\ActivityLog;
use WhmcsStandIn\Cron;
use WhmcsStandIn\Environment;
use WhmcsStandIn\Fixtures;
use WhmcsStandIn\Module;
use WhmcsStandIn\SalmonDataStore;

/**
 * What a client does for themselves beyond power and console: the reverse DNS of each address,
 * renaming the VM (and, where the product allows it, its hostname), and the extra IPv4
 * addresses sold with the "Extra IPv4 Addresses" configurable option; with the admin's side
 * (the service tab's reverse DNS, ChangePackage). Through WHMCS's own paths in the stand-in: the
 * product page's module output, its forms posted to modop=custom, the admin's module commands
 * and service-page save, the cron; against the simulator.
 *
 * Like ClientAreaTest, each test runs in its own PHP process, as a WHMCS web request, and
 * defines CLIENTAREA only when it plays a client-area request.
 *
 * @runTestsInSeparateProcesses
 * @preserveGlobalState disabled
 */
final class SelfServiceTest extends TestCase
{
    use ExtensionInTestProcesses;
    use ClientAreaPages;

    private const PATCH_IP = 'PATCH /ip_addresses/:ip_address';
    private const PATCH_VM = 'PATCH /virtual_machines/:virtual_machine';

    private ?Simulator $sim = null;
    private ?int $productId = null;

    protected function setUp(): void
    {
        $_POST = [];
        $_GET = [];
        $_SESSION = [];
        Environment::reset();
        $this->sim = Simulator::forTheModule([], 'poll:2');
    }

    protected function tearDown(): void
    {
        $this->sim?->stop();
        $this->sim = null;
    }

    // ---------------------------------------------------------------------------------------
    // Reverse DNS
    // ---------------------------------------------------------------------------------------

    public function testTheClientSetsAnAddresssReverseDnsAndAnEmptyNameGivesTheDefaultBack(): void
    {
        [$service, $client, $vmId] = $this->builtService();
        $this->inClientArea($client);
        $page = $this->page($service);
        [$form] = $this->forms($page, 'SetReverseDns');
        $address = $form['fields']['katapult_ip'];
        $default = $this->vm($vmId)['fqdn'];
        $this->assertSame($default, $form['fields']['katapult_reverse_dns'], 'the form shows the name now');

        $this->assertSame('success', $this->submit($service, $form, ['katapult_reverse_dns' => 'Mail.Example.com.']));
        $this->assertSame('mail.example.com', $this->reverseDns($vmId, $address));
        $this->assertStringContainsString("Service ID $service: reverse DNS of {$this->addressOf($vmId, $address)} set to mail.example.com by the client", $this->log());

        [$form] = $this->forms($this->page($service), 'SetReverseDns');
        $this->assertSame('mail.example.com', $form['fields']['katapult_reverse_dns'], 'the panel shows the new name at once');
        $this->assertSame('success', $this->submit($service, $form, ['katapult_reverse_dns' => '']));
        $this->assertSame($default, $this->reverseDns($vmId, $address), "Katapult's default name again");
        $this->assertSame(2, $this->sim->requests(self::PATCH_IP));
    }

    public function testAReplayedReverseDnsFormDoesNothing(): void
    {
        [$service, $client, $vmId] = $this->builtService();
        $this->inClientArea($client);
        [$form] = $this->forms($this->page($service), 'SetReverseDns');
        $this->assertSame('success', $this->submit($service, $form, ['katapult_reverse_dns' => 'one.example.com']));
        $this->assertSame(self::lang()['katapult_link_expired'], $this->submit($service, $form, ['katapult_reverse_dns' => 'two.example.com']));
        $this->assertSame('one.example.com', $this->reverseDns($vmId, $form['fields']['katapult_ip']));
        $this->assertSame(1, $this->sim->requests(self::PATCH_IP));
        $this->assertStringContainsString("Service ID $service: the client's SetReverseDns request was refused: the token was already used", $this->log());
    }

    public function testANameThatIsNoHostnameIsRefusedBeforeKatapultIsAsked(): void
    {
        [$service, $client, $vmId] = $this->builtService();
        $this->inClientArea($client);
        foreach (['bad name!', 'localhost', '<b>x</b>.example.com', str_repeat('a', 64) . '.example.com'] as $bad) {
            [$form] = $this->forms($this->page($service), 'SetReverseDns');
            $this->assertSame(self::lang()['katapult_rdns_invalid'], $this->submit($service, $form, ['katapult_reverse_dns' => $bad]), $bad);
        }
        $this->assertSame(0, $this->sim->requests(self::PATCH_IP));
        $this->assertStringContainsString("Service ID $service: the client's reverse DNS request was refused: \"bad name!\" is not a hostname", $this->log());
    }

    public function testAnAddressOfSomeoneElsesServerIsRefused(): void
    {
        [$theirs, , $theirVm] = $this->builtService();
        [$service, $client] = $this->builtService();
        $theirAddress = $this->vm($theirVm)['ip_addresses'][0];
        $this->inClientArea($client);
        [$form] = $this->forms($this->page($service), 'SetReverseDns');
        // The client's own form, with the other server's address put in.
        $form['fields']['katapult_ip'] = $theirAddress['id'];
        $this->assertSame(self::lang()['katapult_rdns_not_yours'], $this->submit($service, $form, ['katapult_reverse_dns' => 'hijack.example.com']));
        $this->assertSame($theirAddress['reverse_dns'], $this->reverseDns($theirVm, $theirAddress['id']), 'left alone');
        $this->assertSame(0, $this->sim->requests(self::PATCH_IP));
        $this->assertStringContainsString("Service ID $service: the client's reverse DNS request was refused: address {$theirAddress['id']} is not one of this service's VM", $this->log());
        $this->assertStringNotContainsString("Service ID $theirs: reverse DNS", $this->log());
    }

    public function testAClientHasTenReverseDnsChangesInTenMinutes(): void
    {
        [$service, $client, $vmId] = $this->builtService();
        $this->inClientArea($client);
        for ($i = 1; $i <= 10; $i++) {
            [$form] = $this->forms($this->page($service), 'SetReverseDns');
            $this->assertSame('success', $this->submit($service, $form, ['katapult_reverse_dns' => "n$i.example.com"]), "change $i");
        }
        [$form] = $this->forms($this->page($service), 'SetReverseDns');
        $this->assertSame(self::lang()['katapult_rdns_too_many'], $this->submit($service, $form, ['katapult_reverse_dns' => 'n11.example.com']));
        $this->assertSame(10, $this->sim->requests(self::PATCH_IP), "the eleventh never reached Katapult");
        $this->assertSame('n10.example.com', $this->reverseDns($vmId, $form['fields']['katapult_ip']));
        $this->assertStringContainsString("Service ID $service: the client's reverse DNS request was refused: more than 10 changes in 10 minutes", $this->log());

        // The window is over ten minutes later.
        Capsule::table('mod_katapult_rdns_writes')->update(['window_start' => time() - 601]);
        [$form] = $this->forms($this->page($service), 'SetReverseDns');
        $this->assertSame('success', $this->submit($service, $form, ['katapult_reverse_dns' => 'n11.example.com']));
    }

    public function testTheAdminSetsReverseDnsFromTheServiceTabAndOnlyWhatWasEdited(): void
    {
        [$service, , $vmId] = $this->builtService(extraIpv4: 1);
        $tab = Module::call('AdminServicesTabFields', $service);
        $inputs = $this->xpath($tab['Reverse DNS'])->query('//input[@type="text"]');
        $this->assertSame(2, $inputs->length, 'one box per address');

        // What the browser posts when the admin edits the first box and presses Save Changes.
        $post = ['katapult_rdns' => [], 'katapult_rdns_shown' => []];
        foreach ($this->xpath($tab['Reverse DNS'])->query('//input') as $input) {
            preg_match('/^(katapult_rdns(?:_shown)?)\[(.+)\]$/', $input->getAttribute('name'), $m);
            $post[$m[1]][$m[2]] = htmlspecialchars($input->getAttribute('value'), ENT_QUOTES); // WHMCS encodes what is posted
        }
        $edited = array_key_first($post['katapult_rdns']);
        $post['katapult_rdns'][$edited] = 'admin.example.com';
        $_POST = $post;
        Module::call('AdminServicesTabFieldsSave', $service);
        $_POST = [];

        $this->assertSame('admin.example.com', $this->reverseDns($vmId, $edited));
        $this->assertSame(1, $this->sim->requests(self::PATCH_IP), 'the box left alone was not sent');
        $this->assertStringContainsString("set to admin.example.com by an admin", $this->log());

        $_POST = ['katapult_rdns' => [$edited => 'not a name'], 'katapult_rdns_shown' => [$edited => 'admin.example.com']];
        Module::call('AdminServicesTabFieldsSave', $service);
        $_POST = [];
        $this->assertSame(1, $this->sim->requests(self::PATCH_IP));
        $this->assertStringContainsString("Service ID $service: an admin's reverse DNS request was refused: \"not a name\" is not a hostname", $this->log(), 'WHMCS shows nothing a save returns: the log says it');
    }

    // ---------------------------------------------------------------------------------------
    // Rename
    // ---------------------------------------------------------------------------------------

    public function testTheClientRenamesTheVmAndTheServicesDomainFollowsTheHostname(): void
    {
        [$service, $client, $vmId] = $this->builtService(hostnameChanges: true);
        $this->inClientArea($client);
        [$form] = $this->forms($this->page($service), 'RenameVm');
        $this->assertArrayHasKey('katapult_hostname', $form['fields'], 'the product offers the hostname');

        $this->assertSame('success', $this->submit($service, $form, ['katapult_name' => 'Shop & <Co>', 'katapult_hostname' => 'Shop-1']));
        $vm = $this->vm($vmId);
        $this->assertSame(['Shop & <Co>', 'shop-1'], [$vm['name'], $vm['hostname']]);
        $this->assertSame($vm['fqdn'], Capsule::table('tblhosting')->where('id', $service)->value('domain'));
        $this->assertStringStartsWith('shop-1.', $vm['fqdn']);
        $this->assertStringContainsString("Service ID $service: VM renamed by the client to \"Shop & <Co>\", hostname shop-1 (the service's domain is now {$vm['fqdn']})", $this->log());

        [$form] = $this->forms($this->page($service), 'RenameVm');
        $this->assertSame('Shop & <Co>', $form['fields']['katapult_name'], 'the panel shows the new name');
    }

    public function testAHostnameOnAProductThatDoesNotOfferItIsRefused(): void
    {
        [$service, $client, $vmId] = $this->builtService();
        $domain = Capsule::table('tblhosting')->where('id', $service)->value('domain');
        $this->inClientArea($client);
        [$form] = $this->forms($this->page($service), 'RenameVm');
        $this->assertArrayNotHasKey('katapult_hostname', $form['fields'], 'no hostname box');

        // Posted anyway, by hand.
        $this->assertSame(self::lang()['katapult_hostname_not_offered'], $this->submit($service, $form, ['katapult_name' => 'x', 'katapult_hostname' => 'other']));
        $this->assertSame(0, $this->sim->requests(self::PATCH_VM));
        $this->assertSame($domain, Capsule::table('tblhosting')->where('id', $service)->value('domain'));
        $this->assertStringContainsString("Service ID $service: the client's rename request was refused: the product does not let clients change the hostname", $this->log());

        // The display name alone is always the client's.
        [$form] = $this->forms($this->page($service), 'RenameVm');
        $this->assertSame('success', $this->submit($service, $form, ['katapult_name' => 'Just a name']));
        $this->assertSame('Just a name', $this->vm($vmId)['name']);
    }

    public function testBadNamesAReplayedFormAndATakenHostnameChangeNothing(): void
    {
        $product = $this->product(hostnameChanges: true);
        [$first, $client, $firstVm] = $this->builtService($product);
        [$service, , $vmId] = $this->builtService($product, $client);
        $hostname = $this->vm($vmId)['hostname'];
        $this->inClientArea($client);
        $cases = [
            [['katapult_name' => ''], 'katapult_rename_bad_name'],
            [['katapult_name' => str_repeat('n', 101)], 'katapult_rename_bad_name'],
            [['katapult_name' => 'ok', 'katapult_hostname' => '-bad-'], 'katapult_rename_bad_hostname'],
            [['katapult_name' => 'ok', 'katapult_hostname' => 'two.labels'], 'katapult_rename_bad_hostname'],
        ];
        foreach ($cases as [$fields, $key]) {
            [$form] = $this->forms($this->page($service), 'RenameVm');
            $this->assertSame(self::lang()[$key], $this->submit($service, $form, $fields), json_encode($fields));
        }
        $this->assertSame(0, $this->sim->requests(self::PATCH_VM), 'none reached Katapult');

        // The same client's other server has that hostname: Katapult refuses, said as a sentence.
        [$form] = $this->forms($this->page($service), 'RenameVm');
        $taken = $this->vm($firstVm)['hostname'];
        $this->assertSame(self::lang()['katapult_rename_refused'], $this->submit($service, $form, ['katapult_name' => 'ok', 'katapult_hostname' => $taken]));
        $this->assertSame($hostname, $this->vm($vmId)['hostname']);
        $this->assertStringContainsString("Service ID $service: the client's rename request was refused: Katapult refused it: Hostname has already been taken", $this->log());

        [$form] = $this->forms($this->page($service), 'RenameVm');
        $this->assertSame('success', $this->submit($service, $form, ['katapult_name' => 'Renamed']));
        $this->assertSame(self::lang()['katapult_link_expired'], $this->submit($service, $form, ['katapult_name' => 'Again']));
        $this->assertSame('Renamed', $this->vm($vmId)['name']);
        $this->assertNotSame('Renamed', $this->vm($firstVm)['name'], "the other server is left alone (service $first)");
    }

    // ---------------------------------------------------------------------------------------
    // Extra IPv4 addresses
    // ---------------------------------------------------------------------------------------

    public function testExtraIpv4AddressesFollowTheOptionThroughTheBuildAndChangePackage(): void
    {
        [$service, $client, $vmId] = $this->builtService(extraIpv4: 2);
        $row = fn () => Capsule::table('tblhosting')->where('id', $service)->first(['dedicatedip', 'assignedips']);
        $ipv4 = fn () => array_values(array_map(fn ($ip) => $ip['address'], $this->vm($vmId)['ip_addresses']));
        [$own, $extraA, $extraB] = $ipv4();
        $this->assertSame($own, $row()->dedicatedip);
        $this->assertSame("$extraA\n$extraB", $row()->assignedips, "WHMCS's assigned IPs follow");
        $this->assertStringContainsString("Service ID $service: extra IPv4 allocated $extraA, $extraB", $this->log());

        // The client sees every address with its reverse DNS, each with a form.
        $this->inClientArea($client);
        $forms = $this->forms($this->page($service), 'SetReverseDns');
        $this->assertCount(3, $forms);

        // A downgrade of the option releases the newest address; the VM's own stays.
        $this->choose($service, 1);
        $this->assertSame('success', Module::runModuleCommand('ChangePackage', $service));
        $this->assertSame([$own, $extraA], $ipv4());
        $this->assertSame($extraA, $row()->assignedips);
        $this->assertNotContains($extraB, $this->organizationAddresses($vmId), 'released, not left in the organization');

        // Up again: a new address; and nothing doubles when ChangePackage runs twice.
        $this->choose($service, 3);
        $this->assertSame('success', Module::runModuleCommand('ChangePackage', $service));
        $this->assertSame('success', Module::runModuleCommand('ChangePackage', $service));
        $this->assertCount(4, $ipv4());
        $this->assertCount(4, $this->organizationAddresses($vmId), 'no address made twice');

        $this->choose($service, 0);
        $this->assertSame('success', Module::runModuleCommand('ChangePackage', $service));
        $this->assertSame([$own], $ipv4());
        $this->assertSame('', $row()->assignedips);
        $this->assertSame([$own], $this->organizationAddresses($vmId));
        $this->assertNull(SalmonDataStore::get('service', $service, 'extra_ipv4_ids'));
    }

    public function testAnExtraAddressThatCameOffTheVmIsAllocatedAgainNotMadeAgain(): void
    {
        [$service, , $vmId] = $this->builtService(extraIpv4: 1);
        $extra = $this->vm($vmId)['ip_addresses'][1];
        // Taken off in Katapult by hand (or by an interrupted run).
        $this->katapult('POST', '/ip_addresses/_/unallocate', ['ip_address' => ['id' => $extra['id']]]);
        $this->assertCount(1, $this->vm($vmId)['ip_addresses']);

        $this->assertSame('success', Module::runModuleCommand('ChangePackage', $service));
        $this->assertSame($extra['id'], $this->vm($vmId)['ip_addresses'][1]['id']);
        $this->assertSame(1, $this->sim->requests('POST /organizations/:organization/ip_addresses'), 'made once, at the build');
    }

    public function testAnAddressWhoseMakingWentUnansweredIsNotLeftPaidForAndUnused(): void
    {
        [$service, , $vmId] = $this->builtService(extraIpv4: 1);
        $vm = $this->vm($vmId);
        // Katapult made an address, but its answer never arrived (the request is not sent twice).
        $this->katapult('POST', '/organizations/_/ip_addresses', ['organization' => ['id' => $vm['organization']['id']], 'network' => ['id' => $vm['ip_addresses'][0]['network']['id']], 'version' => 'ipv4']);
        $this->assertCount(3, $this->organizationAddresses($vmId));

        $this->assertSame('success', Module::runModuleCommand('ChangePackage', $service));
        $this->assertCount(2, $this->organizationAddresses($vmId), 'the stray address was released');
        $this->assertCount(2, $this->vm($vmId)['ip_addresses'], "the service's own extra address stays");

        // Had the client wanted one more, the stray address would have been taken, not a new one made.
        $this->katapult('POST', '/organizations/_/ip_addresses', ['organization' => ['id' => $vm['organization']['id']], 'network' => ['id' => $vm['ip_addresses'][0]['network']['id']], 'version' => 'ipv4']);
        $made = $this->sim->requests('POST /organizations/:organization/ip_addresses');
        $this->choose($service, 2);
        $this->assertSame('success', Module::runModuleCommand('ChangePackage', $service));
        $this->assertCount(3, $this->vm($vmId)['ip_addresses']);
        $this->assertSame($made, $this->sim->requests('POST /organizations/:organization/ip_addresses'), 'none made');
    }

    /**
     * A downgrade to no extra address while the cron is still adding the two ordered (the VM
     * was written in, so the admin or an upgrade order sees it built): ChangePackage waits for
     * the cron's run and the VM ends with what the option now says, not what the cron read.
     * Every API answer slowed by 150 ms, so the two runs meet; seen failing with the lock off.
     */
    public function testAChangePackageMeetingTheBuildSyncLeavesWhatTheOptionNowSays(): void
    {
        $product = $this->productId ??= $this->product(false);
        $service = (int) Fixtures::service((int) Fixtures::client()->id, $product, ['domain' => 'meet.example.com'])->id;
        $this->choose($service, 2);
        $this->assertSame('success', Module::runModuleCommand('CreateAccount', $service));
        $this->sim->setFaults(['latency_ms' => 150]);

        $deadline = microtime(true) + 60;
        do {
            $cron = CronProcess::start();
            while (($vmId = SalmonDataStore::get('service', $service, 'vm_id')) === null && $cron->running()) {
                usleep(10_000);
            }
            if ($vmId === null) {
                $cron->finish();
            }
        } while ($vmId === null && microtime(true) < $deadline);
        $this->assertNotNull($vmId, 'built');

        $this->choose($service, 0);
        $this->assertSame('success', Module::runModuleCommand('ChangePackage', $service));
        $cron->finish();
        $this->sim->setFaults([]);

        $vm = $this->vm((string) $vmId);
        $this->assertCount(1, $vm['ip_addresses'], 'the VM has its own address only');
        $this->assertSame([$vm['ip_addresses'][0]['address']], $this->organizationAddresses((string) $vmId), 'nothing left in the organization');
        $this->assertNull(SalmonDataStore::get('service', $service, 'extra_ipv4_ids'));
        $this->assertSame('', Capsule::table('tblhosting')->where('id', $service)->value('assignedips'));
    }

    public function testTheOptionSyncAddsExtraIpv4WithoutTouchingWhatTheProviderSet(): void
    {
        $this->product();
        $option = fn (string $name) => Capsule::table('tblproductconfigoptions')->where('optionname', $name)->first();
        // A group from before this option existed: the provider renamed and hid the disk size.
        $extra = $option('Extra IPv4 Addresses');
        Capsule::table('tblproductconfigoptions')->where('id', $extra->id)->delete();
        Capsule::table('mod_salmon_data_store_items')->where('key', 'vm_config_option_extra_ipv4_id')->delete();
        $disk = $option('Custom Disk Size (GB)');
        Capsule::table('tblproductconfigoptions')->where('id', $disk->id)->update(['optionname' => 'Disk (GB)', 'hidden' => 1]);
        $before = Capsule::table('tblproductconfigoptions')->orderBy('id')->get()->toArray();

        // The daily cron's hook (the whole daily run would load the module's main file from
        // ROOTDIR, a copy other than the one this test process loaded).
        run_hook('DailyCronJob', []);

        $after = Capsule::table('tblproductconfigoptions')->orderBy('id')->get()->toArray();
        $this->assertEquals($before, array_slice($after, 0, count($before)), 'the existing options are as they were');
        $added = $option('Extra IPv4 Addresses');
        $this->assertNotNull($added);
        $this->assertSame(4, (int) $added->optiontype, 'a quantity');
        $this->assertSame(['price-per-address|Price Per Address'], Capsule::table('tblproductconfigoptionssub')->where('configid', $added->id)->pluck('optionname')->all());
        $this->assertStringContainsString('created the "Extra IPv4 Addresses" option', $this->log());
    }

    // ---------------------------------------------------------------------------------------
    // Helpers
    // ---------------------------------------------------------------------------------------

    private function api(): Katapult\ApiClient
    {
        return new Katapult\ApiClient('sim-token', $this->sim->baseUrl);
    }

    /** A Katapult product with the API key saved (which syncs the configurable options), and a server. */
    private function product(bool $hostnameChanges = false): int
    {
        $product = (int) Fixtures::product(['servertype' => 'katapult', 'configoption1' => 'rock-3', 'configoption2' => 'uk-lon-01', 'configoption3' => 'templates/ubuntu-22-04', 'configoption5' => $hostnameChanges ? 'on' : ''])->id;
        $_POST = ['katapult_api_key' => 'sim-token', 'katapult_parent_organization' => ''];
        run_hook('AdminProductConfigFieldsSave', ['pid' => $product]);
        $_POST = [];
        Fixtures::server();
        return $product;
    }

    /** @return array{0: int, 1: int, 2: string} a service with a running VM: service, client, VM id */
    private function builtService(?int $product = null, ?int $client = null, bool $hostnameChanges = false, int $extraIpv4 = 0): array
    {
        $product ??= $this->productId ??= $this->product($hostnameChanges);
        $client ??= (int) Fixtures::client()->id;
        $service = (int) Fixtures::service($client, $product, ['domain' => 'web' . bin2hex(random_bytes(3)) . '.example.com'])->id;
        if ($extraIpv4 > 0) {
            $this->choose($service, $extraIpv4);
        }
        $this->assertSame('success', Module::runModuleCommand('CreateAccount', $service));
        $deadline = microtime(true) + 20;
        while (SalmonDataStore::get('service', $service, 'vm_id') === null && microtime(true) < $deadline) {
            Cron::run();
        }
        $vmId = (string) SalmonDataStore::get('service', $service, 'vm_id');
        $this->assertNotSame('', $vmId, 'built');
        while ($this->vm($vmId)['state'] !== 'started' && microtime(true) < $deadline) {
            usleep(20_000);
        }
        return [$service, $client, $vmId];
    }

    /** The client's quantity of extra IPv4 addresses, as an order or upgrade stores it. */
    private function choose(int $service, int $quantity): void
    {
        $option = (int) Capsule::table('tblproductconfigoptions')->where('optionname', 'Extra IPv4 Addresses')->value('id');
        $this->assertGreaterThan(0, $option, 'the option sync made the option');
        Fixtures::chooseOption($service, $option, $quantity);
    }

    /** A call straight to Katapult (the simulator), as a person in Katapult's own panel makes it. */
    private function katapult(string $method, string $path, array $body): void
    {
        $context = stream_context_create(['http' => [
            'method' => $method,
            'header' => "Authorization: Bearer sim-token\r\nContent-Type: application/json\r\n",
            'content' => json_encode($body, JSON_THROW_ON_ERROR),
        ]]);
        $this->assertNotFalse(file_get_contents($this->sim->baseUrl . $path, false, $context));
    }

    /** @return array<string, mixed> the VM as Katapult has it */
    private function vm(string $vmId): array
    {
        return $this->api()->virtualMachine($vmId)['virtual_machine'];
    }

    private function reverseDns(string $vmId, string $ipId): ?string
    {
        foreach ($this->vm($vmId)['ip_addresses'] as $ip) {
            if ($ip['id'] === $ipId) {
                return $ip['reverse_dns'];
            }
        }
        return null;
    }

    private function addressOf(string $vmId, string $ipId): string
    {
        foreach ($this->vm($vmId)['ip_addresses'] as $ip) {
            if ($ip['id'] === $ipId) {
                return $ip['address'];
            }
        }
        return '';
    }

    /** @return list<string> every address of the VM's organization */
    private function organizationAddresses(string $vmId): array
    {
        $org = $this->vm($vmId)['organization']['id'];
        return array_map(fn ($ip) => $ip['address'], $this->api()->ipAddresses($org));
    }

    /**
     * The panel's forms that post to `$function`, each with its URL and fields.
     *
     * @return list<array{url: string, fields: array<string, string>}>
     */
    private function forms(string $html, string $function): array
    {
        $forms = [];
        foreach ($this->xpath($html)->query('//form') as $form) {
            parse_str((string) parse_url($form->getAttribute('action'), PHP_URL_QUERY), $query);
            if (($query['a'] ?? null) !== $function) {
                continue;
            }
            $this->assertSame('post', strtolower($form->getAttribute('method')));
            $fields = [];
            foreach ($form->getElementsByTagName('input') as $input) {
                $fields[$input->getAttribute('name')] = $input->getAttribute('value');
            }
            $forms[] = ['url' => $form->getAttribute('action'), 'fields' => $fields];
        }
        $this->assertNotEmpty($forms, "a form posting to $function");
        return $forms;
    }

    /** Posts the form as the browser does, with `$typed` in its boxes, HTML-encoded as WHMCS does on boot. */
    private function submit(int $service, array $form, array $typed): mixed
    {
        parse_str((string) parse_url($form['url'], PHP_URL_QUERY), $query);
        $this->assertSame((string) $service, $query['id'] ?? null, 'the form posts to its own service');
        $_GET = $query;
        $_POST = array_map(fn ($v) => htmlspecialchars((string) $v, ENT_QUOTES), array_merge($form['fields'], $typed));
        try {
            return Module::call((string) $query['a'], $service);
        } finally {
            $_POST = [];
        }
    }

    private function log(): string
    {
        return implode("\n", ActivityLog::descriptions());
    }
}
