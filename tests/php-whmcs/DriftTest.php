<?php
declare(strict_types=1);

use Katapult\Tests\Support\Simulator;
use PHPUnit\Framework\TestCase;
use WHMCS\Database\Capsule;
use WHMCS\Module\Server\Katapult\Widget\KatapultWidget;
use WhmcsStandIn\ActivityLog;
use WhmcsStandIn\Addon;
use WhmcsStandIn\Cron;
use WhmcsStandIn\Environment;
use WhmcsStandIn\Fixtures;
use WhmcsStandIn\Module;
use WhmcsStandIn\SalmonDataStore;

/**
 * The drift check seen by the admin: every kind of drift made on the simulator behind WHMCS's
 * back, found once by "Check now" on the addon page (Addons › Katapult), repaired by its button,
 * and gone from the list; another installation's VMs are never listed; and the dashboard widget.
 */
final class DriftTest extends TestCase
{
    private static Simulator $sim;
    private int $admin = 0;
    private ?int $productId = null;

    public static function setUpBeforeClass(): void
    {
        // A build completes at its 2nd look, so a build can be caught still building.
        self::$sim = Simulator::forTheModule([], 'poll:2');
        Addon::load(dirname(__DIR__, 2) . '/addon');
    }

    public static function tearDownAfterClass(): void
    {
        self::$sim->stop();
    }

    protected function setUp(): void
    {
        Environment::reset();
        $_POST = [];
        $this->admin = Fixtures::admin('alice');
        $this->productId = null;
    }

    public function testEveryKindOfDriftIsFoundOnceRepairedByItsButtonAndGoneFromTheList(): void
    {
        $this->provider();
        [$missing, , $missingVm] = $this->builtService();
        [$running, , $runningVm] = $this->builtService();
        [$stopped, , $stoppedVm] = $this->builtService();
        [$renamed, , $renamedVm] = $this->builtService();
        [$resized, , $resizedVm] = $this->builtService();
        [$lost, $lostClient, $lostVm] = $this->builtService();
        [$gone, , $goneVm] = $this->builtService();
        self::$sim->setFaults(['fail_builds' => 1]);
        $failed = $this->orderedService();
        Cron::run();
        Cron::run();
        $this->assertNotNull(SalmonDataStore::get('service', $failed, 'vm_build_failed_at'), 'the build failed');
        $timedOut = $this->orderedService();
        $this->backdate($timedOut, 'vm_build_started_at', '-20 minutes');
        Cron::run(); // its first look: still building, past the time-out
        $this->assertNotNull(SalmonDataStore::get('service', $timedOut, 'vm_build_timeout_reached_at'), 'the build timed out');
        $theirs = $this->anotherInstallationsVm((string) SalmonDataStore::get('client', $lostClient, 'managed_org_id'), $lost);

        // Katapult and WHMCS drift apart behind the module's back.
        $this->api()->deleteVirtualMachine($missingVm);
        Capsule::table('tblhosting')->where('id', $running)->update(['domainstatus' => 'Suspended']);
        $this->api()->stop($stoppedVm);
        $this->waitForState($stoppedVm, 'stopped');
        $changed = self::$sim->changeVm($renamedVm, ['hostname' => 'renamed-behind-whmcs', 'ipv4' => '185.44.255.250']);
        $this->assertContains('185.44.255.250', $changed['ip_addresses']);
        $this->api()->changePackage($resizedVm, 'rock-6');
        Capsule::table('mod_salmon_data_store_items')->where('rel_type', 'service')->where('rel_id', $lost)->delete();
        Capsule::table('tblhosting')->where('id', $gone)->update(['domainstatus' => 'Terminated']);
        Capsule::table('mod_salmon_data_store_items')->where('rel_type', 'service')->where('rel_id', $gone)->delete();

        $page = $this->checkNow();
        $this->assertStringContainsString('The drift check is done', $page);
        // A VM stopped for long: the first check only noted it stopped; as if that was 4 days ago.
        $this->assertNotContains('vm_stopped_long', array_column($this->findings($page), 'kind'));
        $this->backdate($stopped, 'vm_stopped_seen_at', '-4 days');
        $page = $this->checkNow();

        $expected = [
            ['vm_missing', $missing, $missingVm],
            ['vm_running', $running, $runningVm],
            ['vm_stopped_long', $stopped, $stoppedVm],
            ['details_differ', $renamed, $renamedVm],
            ['package_differs', $resized, $resizedVm],
            ['orphan', $lost, $lostVm],
            ['orphan', $gone, $goneVm],
            ['build_failed', $failed, ''],
            ['build_timed_out', $timedOut, ''],
        ];
        $found = $this->findings($page);
        $seen = array_map(fn (array $f) => [$f['kind'], $f['service'], $f['vm']], $found);
        sort($seen);
        sort($expected);
        $this->assertSame($expected, $seen, 'each kind of drift is found once');
        $this->assertStringNotContainsString($theirs, $page, "another installation's VM is never listed");
        $this->assertStringContainsString('185.44.255.250', $page, 'the finding says what differs');

        // The filter shows one kind.
        $filtered = Addon::page('katapult', ['kind' => 'orphan'], [], $this->admin);
        $this->assertSame(['orphan', 'orphan'], array_column($this->findings($filtered), 'kind'));

        $repairs = [
            'vm_missing' => 'BuildAgain', 'vm_running' => 'StopVm', 'vm_stopped_long' => 'StartVm',
            'details_differ' => 'WriteDetails', 'package_differs' => 'ChangePackage',
            'build_failed' => 'BuildAgain', 'build_timed_out' => 'CheckBuild',
        ];
        $firstPost = null;
        foreach ($found as $finding) {
            $repair = match (true) {
                $finding['kind'] !== 'orphan' => $repairs[$finding['kind']],
                $finding['service'] === $lost => 'Relink',
                default => 'DeleteOrphan',
            };
            $post = $this->repairForm($page, $finding['id'], $repair);
            $firstPost ??= $post;
            $answer = Addon::page('katapult', [], $post, $this->admin);
            if ($repair === 'DeleteOrphan') {
                $this->assertStringContainsString('data-katapult-confirm="' . $finding['id'] . '"', $answer, 'deleting asks first');
                $this->assertNotNull($this->api()->virtualMachine($goneVm), 'nothing deleted before the confirmation');
                $answer = Addon::page('katapult', [], $this->confirmForm($answer), $this->admin);
            }
            $this->assertMatchesRegularExpression('~class="alert alert-success" data-katapult-notice~', $answer, "$repair: " . strip_tags($answer));
            $this->assertStringNotContainsString('data-katapult-finding="' . $finding['id'] . '"', $answer, 'a repaired finding leaves the list');
        }

        // A replayed POST does nothing.
        $replayed = Addon::page('katapult', [], $firstPost, $this->admin);
        $this->assertStringContainsString('This form has expired or was already used: nothing was done.', $replayed);
        $repairLines = array_filter(ActivityLog::descriptions(), fn ($l) => str_starts_with($l, '[Katapult] Drift repair "'));
        $this->assertCount(9, $repairLines, 'every repair logged once');
        foreach ($repairLines as $line) {
            $this->assertStringContainsString("by admin alice (ID {$this->admin})", $line);
        }

        // What the repairs did, as WHMCS and Katapult now have it.
        $this->assertSame($lostVm, SalmonDataStore::get('service', $lost, 'vm_id'), 'the orphan is its service\'s again');
        $this->assertSame('renamed-behind-whmcs', strtok((string) Capsule::table('tblhosting')->where('id', $renamed)->value('domain'), '.'));
        $this->assertSame('185.44.255.250', Capsule::table('tblhosting')->where('id', $renamed)->value('dedicatedip'));
        $this->assertSame('rock-3', $this->api()->virtualMachine($resizedVm)['virtual_machine']['package']['permalink']);
        $this->assertNotNull(SalmonDataStore::get('service', $timedOut, 'vm_id'), 'the timed-out build was written in');
        $this->assertNotSame($missingVm, SalmonDataStore::get('service', $missing, 'vm_build_id'));
        $this->assertNotNull(SalmonDataStore::get('service', $missing, 'vm_build_id'), 'a new build for the missing VM');
        try {
            $this->api()->virtualMachine($goneVm);
            $this->fail('the orphan was deleted');
        } catch (\Katapult\ApiException $e) {
            $this->assertSame('object_in_trash', $e->errorCode);
        }

        // The next check finds nothing left, and still never lists the other installation's VM.
        $this->waitForState($stoppedVm, 'started');
        $this->waitForState($runningVm, 'stopped');
        $page = $this->checkNow();
        $this->assertSame([], $this->findings($page), strip_tags($page));
        $this->assertStringContainsString('data-katapult-no-findings', $page);
        $this->assertStringNotContainsString($theirs, $page);
    }

    public function testTheDailyCronChecksOnceAndSaysSoInOneLineADay(): void
    {
        $this->provider();
        [, , $vmId] = $this->builtService();
        $this->api()->deleteVirtualMachine($vmId);
        Cron::run(daily: true);
        Cron::run(daily: true);
        $lines = array_values(array_filter(ActivityLog::descriptions(), fn ($l) => str_starts_with($l, '[Katapult] Drift check:')));
        $this->assertSame(['[Katapult] Drift check: 1 services checked, 1 findings (VM missing or in the trash: 1), 0 errors. See Addons › Katapult.'], $lines);
    }

    public function testTheWidgetShowsBuildsTheLastSyncTheBudgetAndTheFindingsLinkingToTheAddonPage(): void
    {
        $this->provider();
        [, , $vmId] = $this->builtService();
        self::$sim->setFaults(['fail_builds' => 1]);
        $failed = $this->orderedService();
        Cron::run();
        Cron::run();
        $this->assertNotNull(SalmonDataStore::get('service', $failed, 'vm_build_failed_at'));
        $this->orderedService(); // pending
        $this->api()->deleteVirtualMachine($vmId);
        $this->checkNow();

        $widgets = run_hook('AdminHomeWidgets', []);
        $this->assertCount(1, $widgets);
        $widget = $widgets[0];
        $this->assertInstanceOf(\WHMCS\Module\AbstractWidget::class, $widget);
        $this->assertInstanceOf(KatapultWidget::class, $widget);
        $this->assertSame('Katapult', $widget->getTitle());
        $data = $widget->getData();
        $this->assertSame(1, $data['builds']['pending']);
        $this->assertSame(1, $data['builds']['failed']);
        $this->assertSame(0, $data['builds']['timed_out']);
        $this->assertStringContainsString('1 failed', $data['last_sync']['did']);
        $this->assertSame(1000, $data['budget']['permitted']);
        $this->assertLessThan(1000, $data['budget']['remaining']);
        $this->assertSame(2, $data['drift']['count'], 'the missing VM and the failed build');
        $html = $widget->generateOutput($data);
        $this->assertStringContainsString('<strong>2</strong> drift findings', $html);
        $this->assertStringContainsString('href="addonmodules.php?module=katapult&kind=build_failed"', html_entity_decode($html), 'each figure links to the addon page');
        $this->assertMatchesRegularExpression('~<strong>\d+</strong> of 1000 requests left~', $html);
        $this->assertStringContainsString('Last cron sync</a>:', $html);

        // A part that cannot be had says why, in its place; the rest still shows.
        SalmonDataStore::set('module_setting', 0, 'build_sync_last_run', 'not json');
        $html = $widget->generateOutput($widget->getData());
        $this->assertStringContainsString('build_sync_last_run', $html);
        $this->assertStringContainsString('<strong>2</strong> drift findings', $html);
    }

    public function testTheAddonDelegatesToTheExtension(): void
    {
        $this->assertSame('Katapult', Addon::config()['name']);
        $this->assertSame('success', Addon::activate()['status']);
        $this->assertTrue(Capsule::schema()->hasTable('mod_katapult_drift_findings'));
        $page = Addon::page('katapult', [], [], $this->admin);
        $this->assertStringContainsString('No drift check has finished yet.', $page);
        $forged = Addon::page('katapult', [], ['katapult_action' => 'check', 'katapult_token' => 'v1.0.1.CheckNow.9999999999.AAAA.BBBB'], $this->admin);
        $this->assertStringContainsString('This form has expired or was already used', $forged);
    }

    // -------------------------------------------------------------------------------------

    private function api(): Katapult\ApiClient
    {
        return new Katapult\ApiClient('sim-token', self::$sim->baseUrl);
    }

    /** A Katapult product with the API key saved on its Other tab, and a server. */
    private function provider(): int
    {
        $this->productId = (int) Fixtures::product(['servertype' => 'katapult', 'configoption1' => 'rock-3', 'configoption2' => 'uk-lon-01', 'configoption3' => 'templates/ubuntu-22-04'])->id;
        $_POST = ['katapult_api_key' => 'sim-token', 'katapult_parent_organization' => ''];
        run_hook('AdminProductConfigFieldsSave', ['pid' => $this->productId]);
        $_POST = [];
        Fixtures::server();
        return $this->productId;
    }

    /** A service whose CreateAccount requested the build. */
    private function orderedService(?int $client = null): int
    {
        $client ??= (int) Fixtures::client()->id;
        $service = (int) Fixtures::service($client, (int) $this->productId, ['domain' => 'web' . bin2hex(random_bytes(3)) . '.example.com'])->id;
        $this->assertSame('success', Module::runModuleCommand('CreateAccount', $service));
        return $service;
    }

    /** @return array{0: int, 1: int, 2: string} a service with a running VM: service, client, VM id */
    private function builtService(): array
    {
        $client = (int) Fixtures::client()->id;
        $service = $this->orderedService($client);
        $deadline = microtime(true) + 20;
        while (SalmonDataStore::get('service', $service, 'vm_id') === null && microtime(true) < $deadline) {
            Cron::run();
            usleep(50_000);
        }
        $vmId = (string) SalmonDataStore::get('service', $service, 'vm_id');
        $this->assertStringStartsWith('vm_', $vmId, 'built');
        $this->waitForState($vmId, 'started');
        return [$service, $client, $vmId];
    }

    private function waitForState(string $vmId, string $state): void
    {
        $deadline = microtime(true) + 20;
        while (($now = $this->api()->virtualMachine($vmId)['virtual_machine']['state']) !== $state && microtime(true) < $deadline) {
            usleep(50_000);
        }
        $this->assertSame($state, $now);
    }

    /** A VM another WHMCS installation built in this one's managed organization. */
    private function anotherInstallationsVm(string $organization, int $sameServiceId): string
    {
        $build = $this->api()->buildVirtualMachine([
            'organization' => $organization, 'package' => 'rock-3', 'data_center' => 'uk-lon-01',
            'disk_template' => 'templates/ubuntu-22-04', 'hostname' => 'theirs',
            'annotations' => ['whmcs_service_id' => "another-installation/$sameServiceId"],
        ]);
        $buildId = $build['virtual_machine_build']['id'];
        $deadline = microtime(true) + 20;
        do {
            $build = $this->api()->virtualMachineBuild($buildId);
        } while ($build['state'] !== 'complete' && microtime(true) < $deadline && usleep(50_000) === null);
        $this->assertSame('complete', $build['state']);
        return $build['virtual_machine']['id'];
    }

    /** Moves a time the module stored on the service back, as if it was written that long ago. */
    private function backdate(int $service, string $key, string $by): void
    {
        $row = Capsule::table('mod_salmon_data_store_items')->where('rel_type', 'service')->where('rel_id', $service)->where('key', $key)->first();
        $this->assertNotNull($row, "$key is stored: " . json_encode(Capsule::table('mod_salmon_data_store_items')->where('rel_id', $service)->get()) . json_encode(ActivityLog::descriptions()));
        $value = (string) preg_replace_callback('~\d{4}-\d\d-\d\d \d\d:\d\d:\d\d~', fn ($m) => date('Y-m-d H:i:s', strtotime($m[0] . ' UTC ' . $by)), (string) $row->value, 1);
        Capsule::table('mod_salmon_data_store_items')->where('id', $row->id)->update(['value' => $value]);
    }

    /** Presses "Check now" on the addon page; returns the page that answers. */
    private function checkNow(): string
    {
        $page = Addon::page('katapult', [], [], $this->admin);
        $this->assertSame(1, preg_match('~name="katapult_action" value="check">\s*<input type="hidden" name="katapult_token" value="([^"]+)"~', $page, $m));
        return Addon::page('katapult', [], ['katapult_action' => 'check', 'katapult_token' => html_entity_decode($m[1])], $this->admin);
    }

    /** @return list<array{id: string, kind: string, service: int, vm: string}> the findings listed */
    private function findings(string $page): array
    {
        preg_match_all('~<tr data-katapult-finding="(\d+)" data-katapult-kind="(\w+)">\s*<td>[^<]*</td>\s*<td>(?:<a href="clientsservices\.php\?id=(\d+)">)?.*?</td>\s*<td><code>([^<]*)</code>~s', $page, $rows, PREG_SET_ORDER);
        return array_map(fn (array $r) => ['id' => $r[1], 'kind' => $r[2], 'service' => (int) $r[3], 'vm' => $r[4]], $rows);
    }

    /** @return array<string, string> the POST of a finding's repair button */
    private function repairForm(string $page, string $findingId, string $repair): array
    {
        $pattern = '~<input type="hidden" name="katapult_action" value="repair">\s*<input type="hidden" name="finding" value="' . $findingId
            . '">\s*<input type="hidden" name="repair" value="' . $repair . '">\s*<input type="hidden" name="katapult_token" value="([^"]+)">~';
        $this->assertSame(1, preg_match($pattern, $page, $m), "finding $findingId offers $repair");
        return ['katapult_action' => 'repair', 'finding' => $findingId, 'repair' => $repair, 'katapult_token' => html_entity_decode($m[1])];
    }

    /** @return array<string, string> the POST of the confirmation page's button */
    private function confirmForm(string $page): array
    {
        $this->assertSame(1, preg_match('~name="finding" value="(\d+)">\s*<input type="hidden" name="repair" value="(\w+)">\s*<input type="hidden" name="confirmed" value="1">\s*<input type="hidden" name="katapult_token" value="([^"]+)">~', $page, $m));
        return ['katapult_action' => 'repair', 'finding' => $m[1], 'repair' => $m[2], 'confirmed' => '1', 'katapult_token' => html_entity_decode($m[3])];
    }
}
