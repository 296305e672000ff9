<?php
declare(strict_types=1);

use Carbon\Carbon;
use Katapult\Tests\Support\Simulator;
use PHPUnit\Framework\TestCase;
use WHMCS\Module\Server\Katapult\WHMCS\Service\VirtualMachine as VirtualMachineService;
use WhmcsStandIn\ActivityLog;
use WhmcsStandIn\Environment;
use WhmcsStandIn\Fixtures;
use WhmcsStandIn\ModuleLog;
use WhmcsStandIn\SalmonDataStore;

/** The module in (a stand-in of) WHMCS: settings, logging, hooks and the VirtualMachine class. */
final class KatapultInWhmcsTest extends TestCase
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

    private function katapultProduct(): int
    {
        return (int) Fixtures::product(['servertype' => 'katapult', 'configoption1' => 'rock-3'])->id;
    }

    /** The admin saves the product's Other tab (WHMCS hands the module the values HTML-encoded). */
    private function saveOtherTab(int $productId, string $key, string $parent = ''): void
    {
        $_POST = Environment::asSubmitted(['katapult_api_key' => $key, 'katapult_parent_organization' => $parent]);
        run_hook('AdminProductConfigFieldsSave', ['pid' => $productId]);
        $_POST = [];
    }

    private function pane(int $productId): string
    {
        $fields = run_hook('AdminProductConfigFields', ['pid' => $productId]);
        return implode("\n", array_map(fn (array $f) => implode("\n", array_map(fn ($k, $v) => "$k: $v", array_keys($f), $f)), $fields));
    }

    private function storedValues(): string
    {
        return implode("\n", WHMCS\Database\Capsule::table('mod_salmon_data_store_items')->pluck('value')->all());
    }

    public function testTheOtherTabSavesOnlyAKeyKatapultAcceptsAndNeverShowsIt(): void
    {
        $product = $this->katapultProduct();
        $this->assertStringContainsString('No API key is set yet', $this->pane($product));

        $this->saveOtherTab($product, 'not-a-real-key');
        $this->assertStringContainsString('The last key entered was not saved: Katapult refused it', $this->pane($product));
        $this->assertStringNotContainsString('kv1:', $this->storedValues());

        $this->saveOtherTab($product, 'sim-token', 'terraform-acc-test');
        $pane = $this->pane($product);
        $this->assertStringContainsString('An API key is set.', $pane);
        $this->assertStringNotContainsString('sim-token', $pane);
        $this->assertStringContainsString('value="terraform-acc-test"', $pane);
        $this->assertStringContainsString('kv1:', $this->storedValues());
        $this->assertStringNotContainsString('sim-token', $this->storedValues());
        $this->assertContains('[Katapult] Updated the API key (it applies to every Katapult product)', ActivityLog::descriptions());

        $other = (int) Fixtures::product(['servertype' => 'cpanel'])->id;
        $this->assertSame('', $this->pane($other), 'no pane on other modules\' products');
    }

    public function testOnAFreshWhmcsTheModuleCreatesItsTableAsThePhpModuleDid(): void
    {
        WHMCS\Database\Capsule::schema()->dropIfExists('mod_salmon_data_store_items');
        $this->saveOtherTab($this->katapultProduct(), 'sim-token', 'acme');
        $schema = WHMCS\Database\Capsule::schema();
        $this->assertTrue($schema->hasTable('mod_salmon_data_store_items'));
        $this->assertSame(
            ['id', 'rel_type', 'rel_id', 'key', 'value', 'value_index', 'created_at', 'updated_at'],
            $schema->getColumnListing('mod_salmon_data_store_items')
        );
        $this->assertSame('acme', SalmonDataStore::get('module_setting', 'katapult', 'parent_organization'), 'the PHP module reads what we wrote');
    }

    /**
     * Hook code (a provider's, or WHMCS's own around an email) may call the module inside a
     * transaction: the module must never commit it. MySQL commits on any CREATE, so the module's
     * tables are only created when missing.
     */
    public function testTheModuleNeverCommitsATransactionItRunsInside(): void
    {
        $product = $this->katapultProduct();
        $this->saveOtherTab($product, 'sim-token');
        $connection = WHMCS\Database\Capsule::connection();
        $connection->beginTransaction();
        WHMCS\Database\Capsule::table('tblactivitylog')->insert(['date' => date('Y-m-d H:i:s'), 'description' => 'inside a transaction', 'user' => 'System', 'userid' => 0, 'ipaddr' => '']);
        \Katapult\Module\syncBuilds();
        $this->assertTrue(\Katapult\Module\testConnection(WhmcsStandIn\Module::buildParams((int) Fixtures::service(Fixtures::client(), $product)->id))['success']);
        $this->assertSame(1, $connection->transactionLevel());
        $connection->rollBack();
        $this->assertNotContains('inside a transaction', ActivityLog::descriptions(), 'rolled back whole');
    }

    public function testThePhpModulesKeyIsMovedOnFirstUseAndItsRowKept(): void
    {
        SalmonDataStore::set('module_setting', 'katapult', 'api_v1_key', encrypt('sim-token'));
        $packages = katapult_PackageLoader([]);
        $this->assertCount(20, $packages);
        $this->assertContains('[Katapult] Moved the API key saved by the previous Katapult module into this module\'s encrypted store', ActivityLog::descriptions());
        $this->assertNotEmpty(SalmonDataStore::get('module_setting', 'katapult', 'api_v1_key'));
    }

    public function testDropdownsAndTestConnectionWorkAndTheModuleLogHoldsNoSecret(): void
    {
        $this->saveOtherTab($this->katapultProduct(), 'sim-token');
        ModuleLog::enable();
        $this->assertArrayHasKey('rock-3', katapult_PackageLoader([]));
        $this->assertArrayHasKey('uk-lon-01', katapult_DataCenterLoader([]));
        $this->assertArrayHasKey('templates/ubuntu-22-04', katapult_DiskTemplateLoader([]));
        $this->assertSame(['success' => true, 'error' => ''], katapult_TestConnection([]));
        $entries = ModuleLog::entries();
        $this->assertNotEmpty($entries);
        $logged = json_encode($entries, JSON_THROW_ON_ERROR | JSON_UNESCAPED_SLASHES);
        $this->assertStringNotContainsString('sim-token', $logged);
        $this->assertStringContainsString('get /virtual_machine_packages', $logged, 'WHMCS stores actions lower-cased');
    }

    public function testATamperedKeyOrAChangedInstallationSecretIsAClearError(): void
    {
        $product = $this->katapultProduct();
        $this->saveOtherTab($product, 'sim-token');
        $row = WHMCS\Database\Capsule::table('mod_salmon_data_store_items')->where('key', 'api_key');
        $sealed = unserialize($row->value('value'));
        $tampered = substr($sealed, 0, -2) . (substr($sealed, -2, 1) === 'A' ? 'B' : 'A') . substr($sealed, -1);
        $row->update(['value' => serialize($tampered)]);
        $this->assertStringContainsString('cannot be decrypted: it was altered, or WHMCS&#39;s cc_encryption_hash changed', $this->pane($product));
        try {
            katapult_PackageLoader([]);
            $this->fail('a tampered key is not used');
        } catch (Exception $e) {
            $this->assertStringContainsString('enter it again', $e->getMessage());
        }

        $this->saveOtherTab($product, 'sim-token');
        $this->assertCount(20, katapult_PackageLoader([]));
        $original = $GLOBALS['cc_encryption_hash'];
        try {
            $GLOBALS['cc_encryption_hash'] = 'another-install';
            $this->expectExceptionMessage('cc_encryption_hash changed since it was saved');
            katapult_PackageLoader([]);
        } finally {
            $GLOBALS['cc_encryption_hash'] = $original;
        }
    }

    /**
     * The installation secret is the one WHMCS loaded (a hardened configuration.php may compute
     * it); the file is read only when WHMCS set none, as PHP runs it: the last assignment, comments
     * skipped.
     */
    public function testTheInstallationSecretIsWhmcsLoadedOneThenTheFileAsPhpReadsIt(): void
    {
        $product = $this->katapultProduct();
        $configuration = ROOTDIR . '/configuration.php';
        $original = (string) file_get_contents($configuration);
        $loaded = $GLOBALS['cc_encryption_hash'];
        try {
            // WHMCS computed the hash (getenv() in the file): only the loaded value is right.
            file_put_contents($configuration, preg_replace('/\$cc_encryption_hash = \'[^\']*\';/', '$cc_encryption_hash = getenv(\'NOT_SET_IN_THIS_TEST\');', $original));
            $this->saveOtherTab($product, 'sim-token');
            $this->assertCount(20, katapult_PackageLoader([]), 'sealed and opened with the loaded hash');

            // No loaded hash: the file's last plain assignment, a commented-out one ignored.
            file_put_contents($configuration, $original . "\n// \$cc_encryption_hash = 'an-old-commented-one';\n/* \$cc_encryption_hash = 'another'; */\n");
            unset($GLOBALS['cc_encryption_hash']);
            $this->assertCount(20, katapult_PackageLoader([]), 'the file gives the same hash');
            file_put_contents($configuration, $original . "\n\$cc_encryption_hash = 'assigned-again-later';\n");
            try {
                katapult_PackageLoader([]);
                $this->fail('the last assignment counts');
            } catch (Exception $e) {
                $this->assertStringContainsString('cc_encryption_hash changed since it was saved', $e->getMessage());
            }
        } finally {
            $GLOBALS['cc_encryption_hash'] = $loaded;
            file_put_contents($configuration, $original);
        }
    }

    /** WHMCS's decrypt() of the old module's key under another installation secret is garbage, not ''. */
    public function testAnOldKeyUnderAnotherInstallationSecretIsUnreadableAndNothingIsSealed(): void
    {
        $product = $this->katapultProduct();
        SalmonDataStore::set('module_setting', 'katapult', 'api_v1_key', WhmcsStandIn\Encryption::encrypt('sim-token-of-the-old-module', 'the-old-installations-hash'));
        $this->assertNotSame('', decrypt((string) SalmonDataStore::get('module_setting', 'katapult', 'api_v1_key')), 'WHMCS gives garbage');

        $this->assertStringContainsString('is unreadable', $this->pane($product));
        try {
            katapult_PackageLoader([]);
            $this->fail('garbage is not a key');
        } catch (Exception $e) {
            $this->assertStringContainsString('enter it again', $e->getMessage());
        }
        $this->assertNull(SalmonDataStore::get('module_setting', 'katapult', 'api_key'), 'nothing sealed');
        $this->assertSame([], array_values(array_filter(ActivityLog::descriptions(), fn ($d) => str_contains($d, 'Moved the API key'))));
    }

    /** WHMCS loads hooks.php only while a product saved in the admin area uses the module. */
    public function testTestConnectionAndTheAdminTabWarnWhenWhmcsDoesNotLoadTheHooks(): void
    {
        $product = $this->katapultProduct();
        $this->saveOtherTab($product, 'sim-token');
        Fixtures::server();
        $service = (int) Fixtures::service(Fixtures::client(), $product)->id;
        $this->assertSame(['success' => true, 'error' => ''], katapult_TestConnection([]));
        $this->assertArrayNotHasKey('Katapult hooks', WhmcsStandIn\Module::call('AdminServicesTabFields', $service));

        // The product is switched to another module and saved: the list no longer has katapult.
        WhmcsStandIn\Module::saveProduct($product, ['servertype' => 'other']);
        $test = katapult_TestConnection([]);
        $this->assertFalse($test['success']);
        $this->assertStringContainsString('The connection to Katapult works, but WHMCS does not load the Katapult module\'s hooks', $test['error']);
        WHMCS\Database\Capsule::table('tblproducts')->where('id', $product)->update(['servertype' => 'katapult']);
        $tab = WhmcsStandIn\Module::call('AdminServicesTabFields', $service);
        $this->assertStringContainsString('Save a product that uses the Katapult module', $tab['Katapult hooks']);

        WhmcsStandIn\Module::saveProduct($product);
        $this->assertTrue(katapult_TestConnection([])['success']);
    }

    /** WHMCS HTML-encodes posted values when it boots: the module saves what the admin typed. */
    public function testPostedSettingsAreSavedAsTyped(): void
    {
        $product = $this->katapultProduct();
        $this->saveOtherTab($product, '', "o'brien&co <eu>");
        $this->assertSame("o'brien&co <eu>", SalmonDataStore::get('module_setting', 'katapult', 'parent_organization'));
    }

    public function testWithoutAKeyTheDropdownsSayWhereToSetIt(): void
    {
        $this->expectException(Exception::class);
        $this->expectExceptionMessage('The Katapult API key is not set: set it on the Other tab of a Katapult product');
        katapult_PackageLoader([]);
    }

    /** @return array{0: int, 1: array} a service linked to a VM built on the simulator, and the build */
    private function builtService(): array
    {
        $this->saveOtherTab($this->katapultProduct(), 'sim-token');
        $api = new Katapult\ApiClient('sim-token');
        $parent = array_values(array_filter($api->organizations(), fn ($o) => !$o['managed']))[0];
        $org = $api->createManagedOrganization($parent['id'], 'Hook Client', 'hooks-' . bin2hex(random_bytes(3)));
        $build = $api->buildVirtualMachine(['organization' => $org['id'], 'package' => 'rock-3', 'data_center' => 'uk-lon-01', 'hostname' => 'hooked'])['virtual_machine_build'];
        $deadline = microtime(true) + 20;
        do {
            usleep(100_000);
            $state = $api->virtualMachineBuild($build['id']);
        } while ($state['state'] !== 'complete' && microtime(true) < $deadline);
        $this->assertSame('complete', $state['state']);
        $vmId = $state['virtual_machine']['id'];
        while ($api->virtualMachine($vmId)['virtual_machine']['state'] !== 'started' && microtime(true) < $deadline) {
            usleep(100_000);
        }

        $service = Fixtures::service(Fixtures::client(), $this->katapultProduct());
        // The links exactly as the PHP module writes them (Salmon: serialize(), Carbon, value_index).
        SalmonDataStore::set('service', (int) $service->id, 'vm_build_id', $build['id'], $build['id']);
        SalmonDataStore::set('service', (int) $service->id, 'vm_build_started_at', Carbon::parse('2026-07-01 10:30:00', 'Europe/London'));
        SalmonDataStore::set('service', (int) $service->id, 'vm_id', $vmId, $vmId);
        return [(int) $service->id, $build];
    }

    public function testTheVirtualMachineClassWorksAsDocumented(): void
    {
        [$serviceId, $build] = $this->builtService();
        ModuleLog::enable();
        WhmcsStandIn\Session::asAdmin(Fixtures::admin('alice'));

        $s = VirtualMachineService::findOrFail($serviceId);
        $this->assertInstanceOf(WHMCS\Service\Service::class, $s);
        $this->assertSame($build['id'], $s->vm_build_id);
        $this->assertInstanceOf(Carbon::class, $s->vm_build_started_at);
        $this->assertSame('2026-07-01 09:30:00', $s->vm_build_started_at->utc()->format('Y-m-d H:i:s'));
        $this->assertStringStartsWith('vm_', $s->vm_id);
        $vm = $s->vm;
        $this->assertInstanceOf(Krystal\Katapult\API\RestfulKatapultApiV1\Resources\Organization\VirtualMachine::class, $vm);
        $this->assertSame($vm, $s->vm, 'the live VM is read once per object');
        $this->assertSame('started', $s->vm_state);
        $this->assertSame($s->vm_id, $vm->id);
        $this->assertSame('hooked', $vm->hostname);
        $this->assertStringStartsWith('hooked.', $vm->fqdn);
        $this->assertSame('uk-lon-01', $vm->data_center['permalink']);
        $this->assertSame('rock-3', $vm->package['permalink']);
        $this->assertNotEmpty($vm->ip_addresses);
        $this->assertIsInt($vm->created_at);
        $this->assertTrue(isset($vm->fqdn));
        $this->assertFalse(isset($vm->no_such_field));
        $this->assertSame($vm->id, $vm->toArray()['id']);
        try {
            $vm->hostname = 'changed';
            $this->fail('VM fields are read-only');
        } catch (Katapult\ApiException $e) {
            $this->assertSame('read_only', $e->errorCode);
        }

        $this->assertArrayHasKey('id', $s->vm->createConsoleSession());
        $this->assertNotEmpty($vm->initial_root_password);
        $this->assertStringNotContainsString((string) $vm->initial_root_password, json_encode(ModuleLog::entries()), 'root passwords never reach the module log');
        $this->assertStringContainsString('initial_root_password', json_encode(ModuleLog::entries()));
        // Katapult queues one task at a time for a VM: each action waits for the one before.
        $api = new Katapult\ApiClient('sim-token');
        foreach (['reset', 'shutdown', 'start', 'stop'] as $action) {
            $task = $s->vm->{$action}();
            $this->assertStringStartsWith('task_', $task['id'], $action);
            $deadline = microtime(true) + 20;
            while ($api->task($task['id'])['status'] !== 'completed' && microtime(true) < $deadline) {
                usleep(20_000);
            }
        }
        $log = implode("\n", ActivityLog::descriptions());
        foreach (['Opened a console session', 'Reset', 'Shut down', 'Start', 'Stop'] as $action) {
            $this->assertStringContainsString("[Katapult] Service ID $serviceId: $action on VM {$vm->id}: done", $log);
        }
        $client = (int) WHMCS\Database\Capsule::table('tblactivitylog')->where('description', 'like', "%Service ID $serviceId: Start%")->value('userid');
        $this->assertSame((int) $s->userid, $client, 'logged against the service\'s client');
        $actor = WHMCS\Database\Capsule::table('tblactivitylog')->where('description', 'like', "%Service ID $serviceId: Start%")->value('user');
        $this->assertSame('alice', $actor, 'WHMCS records who acted');
    }

    public function testApiFailuresAreOurExceptionWithTheKatapultCode(): void
    {
        [$serviceId] = $this->builtService();
        $s = VirtualMachineService::findOrFail($serviceId);
        $s->vm->stop();
        $deadline = microtime(true) + 20;
        while ((new Katapult\ApiClient('sim-token'))->virtualMachine($s->vm_id)['virtual_machine']['state'] !== 'stopped' && microtime(true) < $deadline) {
            usleep(100_000);
        }
        try {
            $s->vm->createConsoleSession();
            $this->fail('a console needs a started VM');
        } catch (Katapult\ApiException $e) {
            $this->assertSame('virtual_machine_must_be_started', $e->errorCode);
            $this->assertStringContainsString('Virtual machines must be in a started state', $e->getMessage());
        }
        $this->assertStringContainsString('Opened a console session on VM ' . $s->vm_id . ': failed: Katapult API error virtual_machine_must_be_started', implode("\n", ActivityLog::descriptions()));
    }

    public function testAServiceWithoutAVmIsBuildingOrUnknown(): void
    {
        $this->saveOtherTab($this->katapultProduct(), 'sim-token');
        $client = Fixtures::client();
        $building = Fixtures::service($client, $this->katapultProduct());
        SalmonDataStore::set('service', (int) $building->id, 'vm_build_id', 'vmbuild_pending00000', 'vmbuild_pending00000');
        $s = VirtualMachineService::findOrFail($building->id);
        $this->assertNull($s->vm_id);
        $this->assertNull($s->vm);
        $this->assertNull($s->vm_build_started_at);
        $this->assertSame('building', $s->vm_state);
        $nothing = VirtualMachineService::findOrFail(Fixtures::service($client, $this->katapultProduct())->id);
        $this->assertNull($nothing->vm_build_id);
        $this->assertSame('unknown', $nothing->vm_state);
    }

    public function testCreateAccountRequestsTheBuildOnceAndFiresTheHook(): void
    {
        $product = (int) Fixtures::product(['servertype' => 'katapult', 'configoption1' => 'rock-3', 'configoption2' => 'uk-lon-01', 'configoption3' => 'templates/ubuntu-22-04'])->id;
        $this->saveOtherTab($product, 'sim-token');
        Fixtures::server();
        $client = Fixtures::client(['firstname' => 'Grace', 'lastname' => 'Hopper']);
        $service = Fixtures::service($client, $product, ['domain' => 'Compiler.Example.com']);
        $requested = [];
        add_hook('KatapultVirtualMachineBuildRequested', 0, function (VirtualMachineService $s) use (&$requested) {
            $requested[] = [$s->id, $s->vm_build_id, $s->vm_state];
        });

        $this->assertSame('success', WhmcsStandIn\Module::runModuleCommand('CreateAccount', (int) $service->id));
        $s = VirtualMachineService::findOrFail($service->id);
        $this->assertStringStartsWith('vmbuild_', (string) $s->vm_build_id);
        $this->assertInstanceOf(Carbon::class, $s->vm_build_started_at);
        $this->assertSame([[(int) $service->id, $s->vm_build_id, 'building']], $requested);
        $this->assertSame('Active', WHMCS\Database\Capsule::table('tblhosting')->where('id', $service->id)->value('domainstatus'));
        $this->assertStringStartsWith('org_', (string) SalmonDataStore::get('client', (int) $client->id, 'managed_org_id'));

        $again = WhmcsStandIn\Module::runModuleCommand('CreateAccount', (int) $service->id);
        $this->assertStringStartsWith('A build for this service is already under way', $again);
        $this->assertCount(1, $requested);
        $installation = SalmonDataStore::get('module_setting', 'katapult', 'installation_id');
        $this->assertSame(1, self::$sim->stats()['builds_by_whmcs_service_id']["$installation/{$service->id}"]);
    }

    public function testTheOptionGroupIsKeptByTheDailyCronAndCreateAccountBuildsWhatTheClientChose(): void
    {
        $product = (int) Fixtures::product(['servertype' => 'katapult', 'configoption1' => 'rock-3', 'configoption2' => 'uk-lon-01', 'configoption3' => 'templates/ubuntu-22-04'])->id;
        // A new key brings the group in at once, linked to the Katapult products.
        $this->saveOtherTab($product, 'sim-token');
        $group = WHMCS\Database\Capsule::table('tblproductconfiggroups')->where('name', 'Katapult Virtual Machines')->value('id');
        $this->assertNotNull($group);
        $this->assertSame([$product], WHMCS\Database\Capsule::table('tblproductconfiglinks')->where('gid', $group)->pluck('pid')->map(fn ($p) => (int) $p)->all());
        $this->assertSame((int) $group, SalmonDataStore::get('module_setting', 'katapult', 'vm_config_option_group_id'));
        $this->assertStringContainsString('Re-sync the &quot;Katapult Virtual Machines&quot; configurable options', htmlspecialchars($this->pane($product)));

        // The daily cron finds nothing new: nothing is written, nothing logged (but the drift
        // check's line of the day, which is its own).
        $options = WHMCS\Database\Capsule::table('tblproductconfigoptionssub')->count();
        $logged = count(ActivityLog::descriptions());
        WhmcsStandIn\Cron::run(true);
        $this->assertSame($options, WHMCS\Database\Capsule::table('tblproductconfigoptionssub')->count());
        $this->assertCount($logged, array_filter(ActivityLog::descriptions(), fn ($l) => !str_starts_with($l, '[Katapult] Drift check:')));

        // The client chose Debian 11 and a 40 GB disk; WHMCS passes them in $params.
        Fixtures::server();
        $service = Fixtures::service(Fixtures::client(), $product, ['domain' => 'chosen.example.com']);
        $option = fn (string $name) => (int) WHMCS\Database\Capsule::table('tblproductconfigoptions')->where('gid', $group)->where('optionname', $name)->value('id');
        Fixtures::chooseOption($service, $option('Disk Template'), 'templates/debian-11');
        Fixtures::chooseOption($service, $option('Custom Disk Size (GB)'), 40);
        $this->assertSame('templates/debian-11', WhmcsStandIn\Module::buildParams((int) $service->id)['configoptions']['Disk Template']);

        ModuleLog::enable();
        $this->assertSame('success', WhmcsStandIn\Module::runModuleCommand('CreateAccount', (int) $service->id));
        $build = array_values(array_filter(ModuleLog::entries(), fn ($e) => str_contains((string) $e->action, 'build')));
        $this->assertNotEmpty($build);
        $this->assertStringContainsString('templates/debian-11', (string) $build[0]->request);
        $this->assertMatchesRegularExpression('/"size_in_gb":\s*40/', (string) $build[0]->request);
        $this->assertStringContainsString('uk-lon-01', (string) $build[0]->request, 'the product\'s data center, as the client chose none');

        // Ubuntu 20.04 needs 50 GB: a 40 GB disk is refused before any build is requested.
        $small = Fixtures::service(Fixtures::client(), $product, ['domain' => 'small.example.com']);
        Fixtures::chooseOption($small, $option('Disk Template'), 'templates/ubuntu-20-04');
        Fixtures::chooseOption($small, $option('Custom Disk Size (GB)'), 40);
        $builds = count(array_filter(ModuleLog::entries(), fn ($e) => str_contains((string) $e->action, 'build')));
        $said = WhmcsStandIn\Module::runModuleCommand('CreateAccount', (int) $small->id);
        $this->assertStringContainsString('the chosen disk size (40 GB) is below the 50 GB the disk template needs', $said);
        $this->assertCount($builds, array_filter(ModuleLog::entries(), fn ($e) => str_contains((string) $e->action, 'build')), 'no build requested');
    }

    /** Runs the cron until $done says so (or 30 s pass). */
    private function cronUntil(callable $done): void
    {
        $deadline = microtime(true) + 30;
        while (!$done() && microtime(true) < $deadline) {
            usleep(200_000);
            WhmcsStandIn\Cron::run();
        }
        $this->assertTrue($done(), "the cron did not get there in 30 s; the activity log ends:\n" . implode("\n", array_slice(ActivityLog::descriptions(), -5)));
    }

    public function testTheTimeOutHookFiresOnceAndTheBuildThenCompletes(): void
    {
        // A simulator whose builds finish on their fifth check, so cron runs see them building.
        self::$sim->stop(); // the module's API URL is this process's: the slow one takes its place
        $slow = Simulator::forTheModule([], 'poll:5');
        try {
            $product = (int) Fixtures::product(['servertype' => 'katapult', 'configoption1' => 'rock-3', 'configoption2' => 'uk-lon-01', 'configoption3' => 'templates/ubuntu-22-04'])->id;
            $this->saveOtherTab($product, 'sim-token');
            Fixtures::server();
            $service = (int) Fixtures::service(Fixtures::client(), $product, ['domain' => 'slow.example.com'])->id;
            $fired = ['KatapultVirtualMachineBuildTimedOut' => 0, 'KatapultVirtualMachineBuilt' => 0];
            foreach (array_keys($fired) as $hook) {
                add_hook($hook, 0, function () use (&$fired, $hook) {
                    $fired[$hook]++;
                });
            }
            $this->assertSame('success', WhmcsStandIn\Module::runModuleCommand('CreateAccount', $service));
            // The build was requested 16 minutes ago, as the PHP module stores the time.
            SalmonDataStore::set('service', $service, 'vm_build_started_at', Carbon::now()->subMinutes(16));

            WhmcsStandIn\Cron::run();
            $this->assertSame(1, $fired['KatapultVirtualMachineBuildTimedOut']);
            $this->assertNotNull(SalmonDataStore::get('service', $service, 'vm_build_timeout_reached_at'));
            WhmcsStandIn\Cron::run();
            $this->assertSame(1, $fired['KatapultVirtualMachineBuildTimedOut'], 'fired once, checking goes on');
            $this->assertSame(0, $fired['KatapultVirtualMachineBuilt']);

            $this->cronUntil(function () use (&$fired) {
                return $fired['KatapultVirtualMachineBuilt'] > 0;
            });
            WhmcsStandIn\Cron::run();
            $this->assertSame(['KatapultVirtualMachineBuildTimedOut' => 1, 'KatapultVirtualMachineBuilt' => 1], $fired);
            $this->assertNotNull(VirtualMachineService::findOrFail($service)->vm_id);
        } finally {
            $slow->stop();
            self::$sim = Simulator::forTheModule();
        }
    }

    public function testAFailedBuildIsReportedNotBuiltAndCreateBuildsAgain(): void
    {
        $welcome = Fixtures::emailTemplate('VM Welcome', ['message' => 'Your VM is at {$katapult_vm_ip}.']);
        $product = (int) Fixtures::product(['servertype' => 'katapult', 'welcomeemail' => $welcome, 'configoption1' => 'rock-3', 'configoption2' => 'uk-lon-01', 'configoption3' => 'templates/ubuntu-22-04'])->id;
        $this->saveOtherTab($product, 'sim-token');
        Fixtures::server();
        // Katapult fails the next build (the simulator's control, never a hostname).
        self::$sim->setFaults(['fail_builds' => 1]);
        $service = Fixtures::service(Fixtures::client(), $product, ['domain' => 'first-try.example.com']);
        $built = 0;
        add_hook('KatapultVirtualMachineBuilt', 0, function () use (&$built) {
            $built++;
        });
        $this->assertSame('success', WhmcsStandIn\Orders::acceptOrder((int) $service->id));
        $firstBuild = (string) VirtualMachineService::findOrFail($service->id)->vm_build_id;

        $this->cronUntil(fn () => SalmonDataStore::get('service', (int) $service->id, 'vm_build_failed_at') !== null);
        $this->assertSame(0, $built);
        $this->assertSame([], WhmcsStandIn\Mailer::sent(), 'the held welcome email waits for a VM');
        $this->assertContains("[Katapult] Service ID {$service->id}: Katapult reports build $firstBuild failed; press Create to build again, or Terminate", ActivityLog::descriptions());
        $tab = implode(' ', WhmcsStandIn\Module::call('AdminServicesTabFields', (int) $service->id));
        $this->assertStringContainsString('failed', $tab);
        // Later cron runs leave a failed build alone (no new log line each run).
        $lines = count(ActivityLog::descriptions());
        WhmcsStandIn\Cron::run();
        $this->assertCount($lines, ActivityLog::descriptions());

        // The admin fixes the cause and presses Create: a new build, then the VM, once.
        WHMCS\Database\Capsule::table('tblhosting')->where('id', $service->id)->update(['domain' => 'second-try.example.com']);
        $this->assertSame('success', WhmcsStandIn\Module::runModuleCommand('CreateAccount', (int) $service->id));
        $secondBuild = (string) VirtualMachineService::findOrFail($service->id)->vm_build_id;
        $this->assertNotSame($firstBuild, $secondBuild);
        $this->assertContains("[Katapult] Service ID {$service->id}: build $firstBuild had failed; requesting a new one", ActivityLog::descriptions());
        $this->cronUntil(function () use (&$built) {
            return $built > 0;
        });
        WhmcsStandIn\Cron::run();
        $this->assertSame(1, $built);
        $this->assertCount(1, WhmcsStandIn\Mailer::sent());
        $this->assertNotSame('', (string) WHMCS\Database\Capsule::table('tblhosting')->where('id', $service->id)->value('dedicatedip'));
    }

    public function testApiFaultsDuringCronAreLoggedAndALaterRunCompletesEveryBuild(): void
    {
        $product = (int) Fixtures::product(['servertype' => 'katapult', 'configoption1' => 'rock-3', 'configoption2' => 'uk-lon-01', 'configoption3' => 'templates/ubuntu-22-04'])->id;
        $this->saveOtherTab($product, 'sim-token');
        Fixtures::server();
        $services = [];
        for ($i = 1; $i <= 6; $i++) {
            $service = Fixtures::service(Fixtures::client(), $product, ['domain' => "faulty$i.example.com"]);
            $this->assertSame('success', WhmcsStandIn\Module::runModuleCommand('CreateAccount', (int) $service->id));
            $services[] = (int) $service->id;
        }
        $built = [];
        add_hook('KatapultVirtualMachineBuilt', 0, function (VirtualMachineService $s) use (&$built) {
            $built[] = (int) $s->id;
        });
        $timeout = ini_get('katapult.timeout');
        ini_set('katapult.timeout', '1');
        $errors = 0;
        try {
            // Each kind of fault on every build check, one cron run each: 5xx and time-outs.
            foreach ([
                ['errors' => [['endpoint' => 'GET /virtual_machines/builds/*', 'probability' => 1.0, 'status' => 503]]],
                ['errors' => [['endpoint' => 'GET /virtual_machines/builds/*', 'probability' => 1.0, 'status' => 502]]],
                ['hang_rate' => 1.0, 'hang_ms' => 3000],
            ] as $faults) {
                self::$sim->setFaults($faults);
                $report = \Katapult\Module\syncBuilds();
                $this->assertSame(0, $report['built'], json_encode($faults));
                $this->assertSame(count($services), $report['errors'], json_encode($faults));
                $errors += $report['errors'];
            }
            // Then 429s: the checks that meet one fail, and once an answer says the budget is
            // spent the run takes no more builds; each build either failed or waits.
            self::$sim->setFaults(['errors' => [['endpoint' => 'GET /virtual_machines/builds/*', 'probability' => 1.0, 'status' => 429]]]);
            $report = \Katapult\Module\syncBuilds();
            $this->assertSame(0, $report['built']);
            $this->assertGreaterThan(0, $report['errors']);
            $this->assertSame(count($services), $report['errors'] + $report['deferred']);
            $errors += $report['errors'];
            // Right after the 429s, this process knows the API's budget is spent: a run now
            // leaves every build for later instead of hammering the API.
            self::$sim->setFaults([]);
            $report = \Katapult\Module\syncBuilds();
            $this->assertSame(count($services), $report['deferred']);
            $this->assertSame(0, $report['errors']);
        } finally {
            self::$sim->setFaults([]);
            ini_set('katapult.timeout', (string) $timeout);
        }
        $this->assertSame([], $built);
        $failures = array_filter(ActivityLog::descriptions(), fn ($l) => str_contains($l, 'the build sync could not check build'));
        $this->assertCount($errors, $failures, 'every failure is logged, per service and run');
        foreach (['503', '429', '502', 'did not answer within'] as $reason) {
            $this->assertNotEmpty(array_filter($failures, fn ($l) => str_contains(strtolower($l), strtolower($reason))), "a logged failure names $reason");
        }

        // WHMCS's next cron runs (each a new PHP process, as WHMCS runs its cron) complete every
        // build, each once.
        $extension = getenv('KATAPULT_EXT') ?: dirname(__DIR__, 2) . '/target/release/libkatapult.so';
        $cron = sprintf('%s -d extension=%s %s 2>&1', PHP_BINARY, escapeshellarg($extension), escapeshellarg(dirname(__DIR__) . '/whmcs/cron.php'));
        $isBuilt = fn (int $id) => VirtualMachineService::findOrFail($id)->vm_id !== null;
        $deadline = microtime(true) + 30;
        while (count(array_filter($services, $isBuilt)) < count($services) && microtime(true) < $deadline) {
            exec($cron, $output, $status);
            $this->assertSame(0, $status, implode("\n", $output));
            usleep(200_000);
        }
        $this->assertCount(count($services), array_filter($services, $isBuilt));
        exec($cron);
        $this->assertCount(count($services), array_filter(ActivityLog::descriptions(), fn ($l) => str_contains($l, ' is built (')), 'each VM written once');
        $installation = SalmonDataStore::get('module_setting', 'katapult', 'installation_id');
        foreach ($services as $id) {
            $this->assertSame(1, self::$sim->stats()['builds_by_whmcs_service_id']["$installation/$id"]);
        }
    }

    public function testAnUpgradeOfTheCustomDiskSizeGrowsTheSystemDiskAndNeverShrinksIt(): void
    {
        $product = (int) Fixtures::product(['servertype' => 'katapult', 'configoption1' => 'rock-3', 'configoption2' => 'uk-lon-01', 'configoption3' => 'templates/ubuntu-22-04'])->id;
        $this->saveOtherTab($product, 'sim-token');
        Fixtures::server();
        $service = Fixtures::service(Fixtures::client(), $product, ['domain' => 'disk.example.com']);
        $diskOption = (int) WHMCS\Database\Capsule::table('tblproductconfigoptions')->where('optionname', 'Custom Disk Size (GB)')->value('id');
        Fixtures::chooseOption($service, $diskOption, 30);
        $this->assertSame('success', WhmcsStandIn\Module::runModuleCommand('CreateAccount', (int) $service->id));
        $this->cronUntil(fn () => VirtualMachineService::findOrFail($service->id)->vm_id !== null);
        $vmId = (string) VirtualMachineService::findOrFail($service->id)->vm_id;
        $systemDisk = function () use ($vmId): int {
            $context = stream_context_create(['http' => ['header' => "Authorization: Bearer sim-token\r\n"]]);
            $disks = json_decode((string) file_get_contents(self::$sim->baseUrl . '/virtual_machines/_/disks?virtual_machine[id]=' . $vmId, false, $context), true);
            return (int) $disks['disks'][0]['disk']['size_in_gb'];
        };
        $this->assertSame(30, $systemDisk(), 'built with the chosen size');

        // The client upgrades to 40 GB; WHMCS runs ChangePackage.
        Fixtures::chooseOption($service, $diskOption, 40);
        $this->assertSame('success', WhmcsStandIn\Module::runModuleCommand('ChangePackage', (int) $service->id));
        $this->assertSame(40, $systemDisk());
        $this->assertNotEmpty(array_filter(ActivityLog::descriptions(), fn ($l) => str_contains($l, 'grown 30 GB → 40 GB')));

        // A downgrade to 20 GB cannot shrink the disk: said, not attempted.
        Fixtures::chooseOption($service, $diskOption, 20);
        $said = WhmcsStandIn\Module::runModuleCommand('ChangePackage', (int) $service->id);
        $this->assertStringContainsString('its system disk is 40 GB and Katapult cannot shrink a disk to the 20 GB chosen', $said);
        $this->assertSame(40, $systemDisk());
    }

    public function testCronWritesTheBuiltVmIntoWhmcsAndFiresBuiltOnce(): void
    {
        $product = (int) Fixtures::product(['servertype' => 'katapult', 'configoption1' => 'rock-3', 'configoption2' => 'uk-lon-01', 'configoption3' => 'templates/ubuntu-22-04'])->id;
        $this->saveOtherTab($product, 'sim-token');
        Fixtures::server();
        $service = Fixtures::service(Fixtures::client(), $product, ['domain' => 'cron.example.com']);
        $built = [];
        add_hook('KatapultVirtualMachineBuilt', 0, function (VirtualMachineService $s) use (&$built) {
            $built[] = [$s->id, $s->vm_state, $s->vm->fqdn];
        });
        $this->assertSame('success', WhmcsStandIn\Module::runModuleCommand('CreateAccount', (int) $service->id));

        $deadline = microtime(true) + 20;
        while ($built === [] && microtime(true) < $deadline) {
            usleep(200_000);
            WhmcsStandIn\Cron::run();
        }
        WhmcsStandIn\Cron::run();
        $this->assertCount(1, $built, 'Built fires once');
        [$id, $state, $fqdn] = $built[0];
        $this->assertSame((int) $service->id, (int) $id);
        $this->assertContains($state, ['starting', 'started'], 'a VM boots right after its build');
        $row = WHMCS\Database\Capsule::table('tblhosting')->where('id', $service->id)->first();
        $this->assertSame($fqdn, $row->domain);
        $this->assertMatchesRegularExpression('/^\d+\.\d+\.\d+\.\d+$/', $row->dedicatedip);
        $this->assertSame('root', $row->username);
        $this->assertNotEmpty(decrypt($row->password), 'the root password, encrypted as WHMCS stores passwords');
        $this->assertSame(decrypt($row->password), VirtualMachineService::findOrFail($service->id)->vm->initial_root_password);
        $this->assertSame(1, count(array_filter(ActivityLog::descriptions(), fn ($line) => str_contains($line, 'is built ('))));
    }

    public function testTheWholeLifeThroughWhmcsModuleCommands(): void
    {
        $product = (int) Fixtures::product(['servertype' => 'katapult', 'configoption1' => 'rock-3', 'configoption2' => 'uk-lon-01', 'configoption3' => 'templates/ubuntu-22-04'])->id;
        $this->saveOtherTab($product, 'sim-token');
        Fixtures::server();
        $service = (int) Fixtures::service(Fixtures::client(), $product, ['domain' => 'life.example.com'])->id;
        $status = fn () => WHMCS\Database\Capsule::table('tblhosting')->where('id', $service)->value('domainstatus');
        $this->assertSame('success', WhmcsStandIn\Module::runModuleCommand('CreateAccount', $service));
        $this->assertStringStartsWith('The VM is still being built', WhmcsStandIn\Module::runModuleCommand('SuspendAccount', $service));
        $deadline = microtime(true) + 20;
        while (VirtualMachineService::findOrFail($service)->vm_id === null && microtime(true) < $deadline) {
            usleep(200_000);
            WhmcsStandIn\Cron::run();
        }
        $api = new Katapult\ApiClient('sim-token');
        $vmId = (string) VirtualMachineService::findOrFail($service)->vm_id;
        $waitFor = function (string $state) use ($api, $vmId): void {
            $deadline = microtime(true) + 20;
            while ($api->virtualMachine($vmId)['virtual_machine']['state'] !== $state && microtime(true) < $deadline) {
                usleep(100_000);
            }
            $this->assertSame($state, $api->virtualMachine($vmId)['virtual_machine']['state']);
        };
        $waitFor('started');

        $this->assertSame('success', WhmcsStandIn\Module::runModuleCommand('SuspendAccount', $service));
        $this->assertSame('Suspended', $status());
        $waitFor('stopped');
        $this->assertSame('success', WhmcsStandIn\Module::runModuleCommand('UnsuspendAccount', $service));
        $this->assertSame('Active', $status());
        $waitFor('started');

        $bigger = (int) Fixtures::product(['servertype' => 'katapult', 'configoption1' => 'rock-6', 'configoption2' => 'uk-lon-01', 'configoption3' => 'templates/ubuntu-22-04'])->id;
        WHMCS\Database\Capsule::table('tblhosting')->where('id', $service)->update(['packageid' => $bigger]);
        $this->assertSame('success', WhmcsStandIn\Module::runModuleCommand('ChangePackage', $service));
        $this->assertSame('rock-6', $api->virtualMachine($vmId)['virtual_machine']['package']['permalink']);

        $this->assertSame(['Start VM' => 'StartVm', 'Shut down VM' => 'ShutdownVm', 'Stop VM' => 'StopVm', 'Reset VM' => 'ResetVm', 'Refresh from Katapult' => 'RefreshFromKatapult', 'Restore VM' => 'RestoreVm'], katapult_AdminCustomButtonArray());
        WhmcsStandIn\Session::asAdmin(Fixtures::admin('alice')); // the admin's buttons
        $this->assertSame('success', WhmcsStandIn\Module::call('ResetVm', $service));
        $sso = WhmcsStandIn\Module::call('ServiceSingleSignOn', $service);
        $this->assertTrue($sso['success']);
        $this->assertStringStartsWith(self::$sim->rootUrl . '/console/', $sso['redirectTo']);

        $this->assertSame('success', WhmcsStandIn\Module::runModuleCommand('TerminateAccount', $service));
        $this->assertSame('Terminated', $status());
        $this->assertNull(VirtualMachineService::findOrFail($service)->vm_id);
        $after = WhmcsStandIn\Module::call('ServiceSingleSignOn', $service);
        $this->assertSame(['success' => false, 'errorMsg' => 'This service has no Katapult VM: it was never created (press Create).'], $after);
        try {
            $api->virtualMachine($vmId);
            $this->fail('the VM is in the trash');
        } catch (Katapult\ApiException $e) {
            $this->assertSame('object_in_trash', $e->errorCode);
        }
    }

    public function testTheWelcomeEmailWaitsForTheVmAndIsSentOnceWithItsAddress(): void
    {
        $template = Fixtures::emailTemplate('Katapult Server Ready', ['subject' => 'Your server', 'message' => 'Server {$katapult_vm_hostname} at {$katapult_vm_ip}, user {$katapult_vm_username}, password {$service_password}']);
        $product = (int) Fixtures::product(['servertype' => 'katapult', 'welcomeemail' => $template, 'configoption1' => 'rock-3', 'configoption2' => 'uk-lon-01', 'configoption3' => 'templates/ubuntu-22-04'])->id;
        $this->saveOtherTab($product, 'sim-token');
        Fixtures::server();
        $service = (int) Fixtures::service(Fixtures::client(), $product, ['domain' => 'mail.example.com'])->id;

        $this->assertSame('success', WhmcsStandIn\Orders::acceptOrder($service));
        $this->assertSame([], WhmcsStandIn\Mailer::sent(), 'held back: the VM does not exist yet');
        $this->assertContains("[Katapult] Service ID $service: the welcome email \"Katapult Server Ready\" waits until the VM is built", ActivityLog::descriptions());

        $deadline = microtime(true) + 20;
        while (WhmcsStandIn\Mailer::sent() === [] && microtime(true) < $deadline) {
            usleep(200_000);
            WhmcsStandIn\Cron::run();
        }
        WhmcsStandIn\Cron::run();
        $sent = WhmcsStandIn\Mailer::sent();
        $this->assertCount(1, $sent, 'sent once');
        $row = WHMCS\Database\Capsule::table('tblhosting')->where('id', $service)->first();
        $message = json_encode($sent[0], JSON_UNESCAPED_SLASHES);
        $this->assertStringContainsString("at {$row->dedicatedip}", $message);
        $this->assertStringContainsString("Server {$row->domain}", $message);
        $this->assertStringContainsString('user root', $message);
        $this->assertStringContainsString('password ' . decrypt($row->password), $message);
    }

    public function testAProductCanSendTheWelcomeEmailAtOnce(): void
    {
        $template = Fixtures::emailTemplate('Plain Welcome', ['subject' => 'Welcome', 'message' => 'Hello']);
        $product = (int) Fixtures::product(['servertype' => 'katapult', 'welcomeemail' => $template, 'configoption1' => 'rock-3', 'configoption2' => 'uk-lon-01', 'configoption3' => 'templates/ubuntu-22-04', 'configoption4' => 'on'])->id;
        $this->saveOtherTab($product, 'sim-token');
        Fixtures::server();
        $service = (int) Fixtures::service(Fixtures::client(), $product)->id;
        $this->assertSame('success', WhmcsStandIn\Orders::payFirstInvoice($service));
        $this->assertCount(1, WhmcsStandIn\Mailer::sent());
    }

    /**
     * EmailPreSend runs for every email, and relid is a service id only for product emails: an
     * invoice whose id is a Katapult service's id is not about that service.
     */
    public function testOnlyProductEmailsOfTheServicesOwnerGetTheVmsMergeFields(): void
    {
        [$serviceId] = $this->builtService();
        $owner = (int) WHMCS\Database\Capsule::table('tblhosting')->where('id', $serviceId)->value('userid');
        WHMCS\Database\Capsule::table('tblhosting')->where('id', $serviceId)->update(['dedicatedip' => '203.0.113.9']);
        $other = Fixtures::client();
        $this->assertSame($serviceId, Fixtures::invoice($other, ['id' => $serviceId]));
        Fixtures::emailTemplate('Invoice Created', ['type' => 'invoice', 'message' => 'Invoice {$invoice_id}: {$katapult_vm_ip}']);
        Fixtures::emailTemplate('Service Note', ['message' => 'Your server {$katapult_vm_ip}']);

        $this->assertTrue(sendMessage('Invoice Created', $serviceId));
        $invoiceEmail = WhmcsStandIn\Mailer::sent()[0];
        $this->assertSame((int) $other->id, $invoiceEmail['userid']);
        $this->assertSame([], array_filter(array_keys($invoiceEmail['mergefields']), fn ($k) => str_starts_with($k, 'katapult_')), 'no Katapult merge field');
        $this->assertSame("Invoice $serviceId: ", $invoiceEmail['message']);

        $this->assertTrue(sendMessage('Service Note', $serviceId));
        $this->assertSame('Your server 203.0.113.9', WhmcsStandIn\Mailer::sent()[1]['message'], 'the service\'s own product email');
        $this->assertSame($owner, WhmcsStandIn\Mailer::sent()[1]['userid']);

        $vars = ['messagename' => 'Service Note', 'relid' => $serviceId, 'mergefields' => ['client_id' => (int) $other->id]];
        $this->assertSame([], Katapult\Module\emailPreSend($vars), 'a product email to someone else is not about this service');
    }

    /** The module's EmailPreSend never throws: WHMCS would silently not send the email. */
    public function testTheModulesEmailHookNeverStopsAnEmail(): void
    {
        [$serviceId] = $this->builtService();
        Fixtures::emailTemplate('Service Note', ['message' => 'Hello']);
        $timeout = ini_get('katapult.timeout');
        ini_set('katapult.timeout', 'not-a-number');
        try {
            $this->assertTrue(sendMessage('Service Note', $serviceId));
        } finally {
            ini_set('katapult.timeout', (string) $timeout);
        }
        $this->assertSame('Hello', WhmcsStandIn\Mailer::sent()[0]['message']);
        $this->assertNotEmpty(array_filter(ActivityLog::descriptions(), fn ($d) => str_contains($d, 'went out without the VM\'s details')));
    }

    public function testHookCodeReceivesTheServiceObject(): void
    {
        [$serviceId] = $this->builtService();
        $seen = null;
        add_hook('KatapultVirtualMachineBuilt', 0, function (VirtualMachineService $service) use (&$seen) {
            $seen = $service->vm->fqdn;
        });
        run_hook('KatapultVirtualMachineBuilt', [VirtualMachineService::findOrFail($serviceId)], true);
        $this->assertStringStartsWith('hooked.', (string) $seen);
    }
}
