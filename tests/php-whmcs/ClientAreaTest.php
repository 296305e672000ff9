<?php
declare(strict_types=1);

use Carbon\Carbon;
use Katapult\Tests\Support\Simulator;
use PHPUnit\Framework\TestCase;
use WHMCS\Database\Capsule;
use WhmcsStandIn\ActivityLog;
use WhmcsStandIn\Cron;
use WhmcsStandIn\Environment;
use WhmcsStandIn\Fixtures;
use WhmcsStandIn\Module;
use WhmcsStandIn\SalmonDataStore;
use WhmcsStandIn\Session;

/**
 * The client area (the VM panel, its power actions and console behind single-use tokens, the
 * views and their overrides, the language files) and the admin area (the service tab, "Refresh
 * from Katapult"), through the module's own PHP functions in the WHMCS stand-in, against the
 * simulator.
 *
 * CLIENTAREA: the module acts as "client area" only when WHMCS has defined the constant
 * CLIENTAREA (katapult_client_request() in module/katapult.php). A constant cannot be undefined,
 * and once defined, the other test classes of the same PHPUnit run would call the power buttons
 * and the console as a client without a token (KatapultInWhmcsTest's admin calls would be refused).
 * So every test here runs in its own PHP process (@runTestsInSeparateProcesses), like a WHMCS web
 * request, and defines CLIENTAREA itself, only when it plays a client-area request
 * (inClientArea()); the admin-area tests never define it, so they take the real admin path.
 * Those processes load the extension through ExtensionInTestProcesses.
 *
 * Token expiry is not tested here (that would mean faking the clock): the Rust unit tests in
 * src/service/action_tokens.rs check that a token is refused one second after its lifetime.
 *
 * @runTestsInSeparateProcesses
 * @preserveGlobalState disabled
 */
final class ClientAreaTest extends TestCase
{
    use ExtensionInTestProcesses;
    use ClientAreaPages;

    private const STOP = 'POST /virtual_machines/:virtual_machine/stop';
    private const START = 'POST /virtual_machines/:virtual_machine/start';
    private const CONSOLE = 'POST /virtual_machines/:virtual_machine/console_sessions';
    /** Marks every file a test writes under overrides/, so a leftover is recognisably ours. */
    private const MARKER = 'ClientAreaTest temporary file';

    private ?Simulator $sim = null;
    /** @var list<string> files, links and folders this test made, removed in tearDown (newest first) */
    private array $made = [];
    /** @var list<resource> processes to stop in tearDown (a fake API) */
    private array $helpers = [];

    protected function setUp(): void
    {
        $_POST = [];
        $_GET = [];
        $_SESSION = [];
        // Even when the test process dies on a PHP fatal error, the overrides go.
        register_shutdown_function(fn () => $this->removeWhatWasMade());
        $this->removeLeftovers();
        Environment::reset();
    }

    protected function tearDown(): void
    {
        $this->removeWhatWasMade();
        $this->sim?->stop();
        $this->sim = null;
    }

    // ---------------------------------------------------------------------------------------
    // 1. The building panel
    // ---------------------------------------------------------------------------------------

    public function testTheBuildingPanelTurnsIntoTheOverviewAndTheBuildIsFinalisedOnce(): void
    {
        $this->startSim('poll:6'); // a build completes at the 6th look at it
        $product = $this->provider();
        $hooks = $this->countBuiltHooks();
        [$service, $client] = $this->orderedService($product);

        $this->inClientArea($client);
        $page = $this->page($service);
        $this->assertStringContainsString('katapult-building', $page);
        $this->assertShows(self::lang()['katapult_building_title'], $page);
        $this->assertStringContainsString('data-katapult-version="building"', $page);
        $this->assertStringContainsString('modules/servers/katapult/assets/js/client.js', $page, 'the script that polls comes with it');
        $this->assertSame([], $this->forms($page), 'nothing to act on while it builds');

        $live = json_decode(\Katapult\Module\liveState(Module::buildParams($service), katapult_client_request()), true, 512, JSON_THROW_ON_ERROR);
        $this->assertSame('building', $live['version']);
        $this->assertStringContainsString('katapult-building', $live['html']);
        $this->assertIsInt($live['poll_after_ms']);
        $this->assertNull(SalmonDataStore::get('service', $service, 'vm_id'));

        // The client keeps the page open while a cron process runs at the same moment: whichever
        // sees the build complete first writes it; the other must not write it or fire again.
        $deadline = microtime(true) + 20;
        do {
            $cron = $this->startOtherProcess(['do' => 'cron']);
            $page = $this->page($service);
            $this->finishOtherProcess($cron);
        } while (!str_contains($page, 'katapult-overview') && microtime(true) < $deadline);
        $this->assertStringContainsString('katapult-overview', $page, 'the client area finalises a completed build itself');
        Cron::run();
        Cron::run();
        $this->assertStringContainsString('katapult-overview', $this->page($service));

        $vmId = SalmonDataStore::get('service', $service, 'vm_id');
        $this->assertStringStartsWith('vm_', (string) $vmId, 'the VM is persisted');
        $row = Capsule::table('tblhosting')->where('id', $service)->first();
        $this->assertSame('root', $row->username);
        $this->assertNotSame('', (string) $row->dedicatedip);
        $this->assertCount(1, array_filter(ActivityLog::descriptions(), fn ($l) => str_contains($l, "Service ID $service: VM $vmId is built (")), 'persisted once');
        $fired = array_values(array_filter(ActivityLog::descriptions(), fn ($l) => str_starts_with($l, 'ClientAreaTest: Built hook fired')));
        $this->assertSame(["ClientAreaTest: Built hook fired for service $service"], $fired, 'Built fires once, in one of the processes');
        $this->assertLessThanOrEqual(1, $hooks->count);
        $live = json_decode(\Katapult\Module\liveState(Module::buildParams($service), katapult_client_request()), true, 512, JSON_THROW_ON_ERROR);
        $this->assertStringStartsWith('started:' . $vmId, $live['version']);
    }

    /**
     * On the very request that finalises the build, the panel shows the VM's root password just
     * written into the service, not the one WHMCS had in $params from before the build.
     */
    public function testThePanelThatFinalisesTheBuildShowsTheVmsRootPassword(): void
    {
        $this->startSim('poll:3');
        [$service, $client] = $this->orderedService($this->provider());
        $before = decrypt((string) Capsule::table('tblhosting')->where('id', $service)->value('password'));
        $this->inClientArea($client);
        $deadline = microtime(true) + 20;
        do {
            $page = $this->page($service);
        } while (!str_contains($page, 'katapult-overview') && microtime(true) < $deadline);
        $rootPassword = decrypt((string) Capsule::table('tblhosting')->where('id', $service)->value('password'));
        $this->assertNotSame($before, $rootPassword, 'the build wrote the VM\'s root password into the service');
        $this->assertSame($rootPassword, $this->passwordShown($service, $this->page($service)), 'the next view is right');
        $this->assertSame($rootPassword, $this->passwordShown($service, $page), 'the finalising view shows the password the server has');
    }

    // ---------------------------------------------------------------------------------------
    // 2. The overview
    // ---------------------------------------------------------------------------------------

    public function testTheOverviewShowsTheVmAddressesAndCredentials(): void
    {
        [$service, $client, $vmId] = $this->builtService();
        $vm = $this->api()->virtualMachine($vmId)['virtual_machine'];
        $ipv4 = array_values(array_filter(array_column($vm['ip_addresses'], 'address'), fn ($a) => str_contains($a, '.')));
        $ipv6 = array_values(array_filter(array_column($vm['ip_addresses'], 'address'), fn ($a) => str_contains($a, ':')));
        $this->assertNotEmpty($ipv4);
        $this->assertNotEmpty($ipv6);
        $password = decrypt((string) Capsule::table('tblhosting')->where('id', $service)->value('password'));
        $this->assertNotSame('', $password);

        $this->inClientArea($client);
        $page = $this->page($service);
        $xpath = $this->xpath($page);
        $this->assertSame('started', $xpath->evaluate('string(//*[contains(@class,"katapult-vm-state")]/@data-state)'));
        $this->assertSame('Running', trim($xpath->evaluate('string(//*[contains(@class,"katapult-vm-state")])')));
        $this->assertSame($vm['fqdn'], $xpath->evaluate('string(//code[contains(@class,"katapult-copyable")])'));
        $codes = array_map(fn (DOMNode $n) => $n->textContent, iterator_to_array($xpath->query('//dd/code | //dd/div/code')));
        foreach (array_merge($ipv4, $ipv6) as $address) {
            $this->assertContains($address, $codes);
        }
        $this->assertContains("ssh root@{$ipv4[0]}", $codes);
        $this->assertContains('root', $codes, 'the username');
        $details = $this->details($xpath);
        $this->assertSame('ROCK-3 (1 vCPU, 3 GB RAM, 25 GB disk)', $details['Package']);
        $this->assertSame('London', $details['Data center']);

        // The password is nowhere in the page: Show fetches it, with its own single-use token.
        $this->assertStringNotContainsString($password, $page);
        $this->assertSame('', $xpath->evaluate('string(//input[contains(@class,"katapult-password")]/@value)'));
        $this->assertSame('password', $xpath->evaluate('string(//input[contains(@class,"katapult-password")]/@type)'));
        $this->assertSame($password, $this->passwordShown($service, $page));
        $this->assertSame('refused: ' . self::lang()['katapult_link_expired'], $this->passwordShown($service, $page), 'the token works once');
        $this->assertStringContainsString("Service ID $service: the client revealed the service's password in the client area", $this->log());
    }

    public function testTheActionsOfferedFollowTheVmsState(): void
    {
        [$service, $client, $vmId] = $this->builtService();
        $this->inClientArea($client);
        $forms = $this->forms($this->page($service));
        $this->assertSame(['ShutdownVm', 'StopVm', 'ResetVm', 'Console'], array_keys($forms));
        foreach ($forms as $form) {
            $this->assertSame('post', $form['method'], 'actions are POST forms, never links');
            $this->assertSame(generate_token('plain'), $form['csrf'], 'each carries WHMCS\'s CSRF token');
            $this->assertNotSame('', $form['token']);
        }
        $this->assertSame('_blank', $forms['Console']['target']);
        $this->assertNotSame('', $forms['StopVm']['confirm'], 'a disruptive action asks first');

        $this->api()->stop($vmId);
        $this->waitForState($vmId, 'stopped');
        $this->aFewSecondsLater();
        $page = $this->page($service);
        $this->assertSame(['StartVm'], array_keys($this->forms($page)), 'stopped: start only, no console');
        $this->assertSame('stopped', $this->xpath($page)->evaluate('string(//*[contains(@class,"katapult-vm-state")]/@data-state)'));
        $this->assertSame('', $this->forms($page)['StartVm']['confirm'], 'starting needs no confirmation');
    }

    public function testAClientPollingAsFastAsItCanCostsTheKeyAFewRequestsAMinute(): void
    {
        [$first, $client] = $this->builtService();
        [$second] = $this->builtService(null, $client);
        $this->inClientArea($client);
        $before = $this->sim->stats()['total_requests'];
        $polls = 0;
        $started = microtime(true);
        while (microtime(true) - $started < 3) {
            // As if each poll came after the last read stopped being fresh: only the client's
            // budget of live reads holds the cost down.
            $this->aFewSecondsLater();
            foreach ([$first, $second] as $service) {
                $answer = json_decode(\Katapult\Module\liveState(Module::buildParams($service), katapult_client_request()), true, 512, JSON_THROW_ON_ERROR);
                $this->assertStringStartsWith('started:', $answer['version'], 'each poll shows the VM (read afresh or not)');
                $polls++;
            }
        }
        $spent = $this->sim->stats()['total_requests'] - $before;
        $this->assertGreaterThan(50, $polls);
        // The client's live reads a minute (12), whatever the number of polls, services or workers.
        $this->assertLessThanOrEqual(12, $spent, "$polls polls cost $spent API requests");
        $this->assertGreaterThan(0, $spent, 'the VMs were read at least once');

        // Another client's panel is not held back by this one's polling.
        [$other, $otherClient] = $this->builtService();
        $this->inClientArea($otherClient);
        $before = $this->sim->stats()['total_requests'];
        \Katapult\Module\liveState(Module::buildParams($other), katapult_client_request());
        $this->assertSame(1, $this->sim->stats()['total_requests'] - $before, 'its first poll reads its VM');
    }

    /** WHMCS throws away the output for a service that is not Active: nothing is asked of Katapult for it. */
    public function testASuspendedServiceCostsNoApiCallAndNoBuildCheck(): void
    {
        [$service, $client] = $this->builtService();
        ini_set('katapult.suspend_grace', '5');
        $this->assertSame('success', Module::runModuleCommand('SuspendAccount', $service));
        $this->assertSame('Suspended', Capsule::table('tblhosting')->where('id', $service)->value('domainstatus'));

        $this->inClientArea($client);
        $before = $this->sim->stats()['requests'];
        $page = $this->page($service);
        $this->assertSame($before, $this->sim->stats()['requests'], 'no API call');
        $this->assertStringNotContainsString('katapult-overview', $page);
        $this->assertSame([], $this->forms($page));
        $this->assertStringNotContainsString('katapult_token', $page);
        $this->assertShows(self::lang()['katapult_not_active'], $page);

        // A pending build is not checked either: the service was never set up for the client.
        $pending = (int) Fixtures::service($client, (int) Capsule::table('tblhosting')->where('id', $service)->value('packageid'))->id;
        Capsule::table('tblhosting')->where('id', $pending)->update(['domainstatus' => 'Terminated']);
        SalmonDataStore::set('service', $pending, 'vm_build_id', 'vmbuild_not_to_be_checked');
        $before = $this->sim->stats()['requests'];
        $this->assertShows(self::lang()['katapult_not_active'], $this->page($pending));
        $this->assertSame($before, $this->sim->stats()['requests'], 'no build check');
    }

    public function testAnotherClientSeesNeitherTheServerNorItsPassword(): void
    {
        [$service] = $this->builtService();
        $password = decrypt((string) Capsule::table('tblhosting')->where('id', $service)->value('password'));
        $other = (int) Fixtures::client()->id;
        $this->inClientArea($other);
        $page = $this->page($service);
        $this->assertShows(self::lang()['katapult_not_yours'], $page);
        $this->assertStringNotContainsString($password, $page);
        $this->assertStringNotContainsString('katapult_token', $page);
        $this->assertStringNotContainsString('185.44.', $page, 'no address either');
        $live = \Katapult\Module\liveState(Module::buildParams($service), katapult_client_request());
        $this->assertStringContainsString('problem:katapult_not_yours', $live, 'nor through the poll');
        $this->assertStringNotContainsString($password, $live);
        $this->assertStringNotContainsString('katapult_token', $live);

        // Nobody logged in (uid 0) fares no better.
        Session::asSystem();
        $page = $this->page($service);
        $this->assertShows(self::lang()['katapult_not_yours'], $page);
        $this->assertStringNotContainsString($password, $page);
        $this->assertSame(self::lang()['katapult_not_yours'], $this->request($service, 'StopVm', 'v1.1.0.StopVm.1.x.y'));
    }

    // ---------------------------------------------------------------------------------------
    // 3. Tokens
    // ---------------------------------------------------------------------------------------

    public function testAGoodTokenStopsTheVmOnce(): void
    {
        [$service, $client] = $this->builtService();
        $this->inClientArea($client);
        $forms = $this->forms($this->page($service));
        $this->assertSame('success', $this->submit($service, $forms['StopVm']));
        $this->assertSame(1, $this->sim->requests(self::STOP));
        $this->assertStringContainsString("[Katapult] Service ID $service: stop requested by the client (task task_", $this->log());
    }

    /**
     * A page is served from the VM as last read while that read is a few seconds old; an action
     * forgets it, so the page right after shows what the action did, not what was.
     */
    public function testAPageRightAfterAnActionShowsItsOutcomeNotTheLastRead(): void
    {
        [$service, $client, $vmId] = $this->builtService();
        $this->inClientArea($client);
        $state = fn (string $page) => $this->xpath($page)->evaluate('string(//*[contains(@class,"katapult-vm-state")]/@data-state)');
        $package = fn (string $page) => $this->xpath($page)->evaluate('string(//dd[contains(., "vCPU")])');
        $page = $this->page($service);
        $this->assertSame('started', $state($page));
        $before = $this->sim->stats()['total_requests'];
        $this->assertSame('started', $state($this->page($service)));
        $this->assertSame($before, $this->sim->stats()['total_requests'], 'a page within seconds of the last read costs no API call');

        $this->assertSame('success', $this->submit($service, $this->forms($page)['StopVm']));
        $this->waitForState($vmId, 'stopped');
        $this->assertSame('stopped', $state($this->page($service)), 'the page right after Stop');

        $this->assertSame('success', $this->submit($service, $this->forms($this->page($service))['StartVm']));
        $this->waitForState($vmId, 'started');
        $page = $this->page($service);
        $this->assertSame('started', $state($page), 'the page right after Start');
        $this->assertStringStartsWith('ROCK-3 ', $package($page));

        // WHMCS's own actions too: here a package change.
        $bigger = (int) Fixtures::product(['servertype' => 'katapult', 'configoption1' => 'rock-6', 'configoption2' => 'uk-lon-01', 'configoption3' => 'templates/ubuntu-22-04'])->id;
        Capsule::table('tblhosting')->where('id', $service)->update(['packageid' => $bigger]);
        $this->assertSame('success', Module::runModuleCommand('ChangePackage', $service));
        $this->assertStringStartsWith('ROCK-6 ', $package($this->page($service)), 'the page right after ChangePackage');

        // And hook code's, through the documented service class.
        \WHMCS\Module\Server\Katapult\WHMCS\Service\VirtualMachine::findOrFail($service)->vm->stop();
        $this->waitForState($vmId, 'stopped');
        $this->assertSame('stopped', $state($this->page($service)), 'the page right after a hook stopped the VM');
    }

    /**
     * A page reading the VM again dates the last read now while the API answers: the answer, the
     * same VM or a changed one, serves the pages after it; a read that gets no answer leaves the
     * last read as old as it was, so the next page asks again rather than take it as fresh.
     */
    public function testAReadAgainServesTheNextPagesAndAFailedOneLetsTheNextPageAskAgain(): void
    {
        [$service, $client, $vmId] = $this->builtService();
        $this->inClientArea($client);
        $state = fn (string $page) => $this->xpath($page)->evaluate('string(//*[contains(@class,"katapult-vm-state")]/@data-state)');
        $requests = fn (): int => $this->sim->stats()['total_requests'];
        $this->assertSame('started', $state($this->page($service)));

        foreach (['the same VM' => null, 'a changed VM' => 'stopped'] as $what => $changedTo) {
            if ($changedTo !== null) {
                $this->api()->stop($vmId);
                $this->waitForState($vmId, $changedTo);
            }
            $this->aFewSecondsLater();
            $before = $requests();
            $this->assertSame($changedTo ?? 'started', $state($this->page($service)), "$what, read again");
            $this->assertSame($before + 1, $requests());
            $this->assertSame($changedTo ?? 'started', $state($this->page($service)), "$what, the next page");
            $this->assertSame($before + 1, $requests(), "$what: the next page is served from the read");
        }

        $this->aFewSecondsLater();
        $this->sim->setFaults(['errors' => [['endpoint' => 'GET /virtual_machines/*', 'probability' => 1.0, 'status' => 500]]]);
        $this->assertStringContainsString('data-katapult-problem="katapult_unavailable"', $this->page($service));
        $this->sim->setFaults([]);
        $before = $requests();
        $this->assertSame('stopped', $state($this->page($service)), 'the next page');
        $this->assertSame($before + 1, $requests(), 'the next page asks again');
    }

    /**
     * What a page costs the database, in statements (MySQL counts a session's, so this runs in
     * the MariaDB pass; SQLite cannot count them): a page from the fresh last read makes one (the
     * page's reads in one statement, also on MySQL); a page reading the VM again makes two more,
     * while the API answers (the read spent, the last read dated now), and a changed VM is written
     * after the answer, one more.
     */
    public function testWhatAPageCostsTheDatabaseInStatements(): void
    {
        if (Capsule::connection()->getDriverName() !== 'mysql') {
            $this->markTestSkipped('statements are counted by MySQL\'s session status');
        }
        [$service, $client, $vmId] = $this->builtService();
        $this->inClientArea($client);
        $this->page($service);
        $statements = function () use ($service): int {
            $params = Module::buildParams($service);
            $pdo = Capsule::connection()->getPdo();
            $executed = static fn (): int => (int) $pdo->query("SHOW SESSION STATUS LIKE 'Com_stmt_execute'")->fetch(PDO::FETCH_NUM)[1];
            // Reading the count is a statement too (PDO prepares it), counted between two readings.
            $reading = -$executed() + $executed();
            $before = $executed();
            $this->assertStringContainsString('katapult-overview', katapult_ClientArea($params));
            return $executed() - $before - $reading;
        };
        $counts = ['a page from the fresh last read' => $statements()];
        $this->aFewSecondsLater();
        $counts['a page reading the VM again, unchanged'] = $statements();
        $counts['the page after it'] = $statements();
        $this->api()->stop($vmId);
        $this->waitForState($vmId, 'stopped');
        $this->aFewSecondsLater();
        $counts['a page reading the VM again, changed'] = $statements();
        $this->assertSame([
            'a page from the fresh last read' => 1,
            'a page reading the VM again, unchanged' => 3,
            'the page after it' => 1,
            'a page reading the VM again, changed' => 4,
        ], $counts);
    }

    public function testAReplayedTokenDoesNothingAndSaysTheLinkExpired(): void
    {
        [$service, $client] = $this->builtService();
        $this->inClientArea($client);
        $stop = $this->forms($this->page($service))['StopVm'];
        $this->assertSame('success', $this->submit($service, $stop));
        // The browser's refresh or a bookmark sends the same form again.
        $this->assertSame(self::lang()['katapult_link_expired'], $this->submit($service, $stop));
        $this->assertSame(self::lang()['katapult_link_expired'], $this->submit($service, $stop));
        $this->assertSame(1, $this->sim->requests(self::STOP), 'nothing more reached Katapult');
        $this->assertSame(2, substr_count($this->log(), "Service ID $service: the client's StopVm request was refused: the token was already used"));
        $this->assertStringNotContainsString($stop['token'], $this->log(), 'the token itself is not logged');
    }

    public function testAForgedTokenIsRefused(): void
    {
        [$service, $client] = $this->builtService();
        $this->inClientArea($client);
        $stop = $this->forms($this->page($service))['StopVm'];
        $parts = explode('.', $stop['token']);
        $this->assertCount(7, $parts);
        foreach ([5 => 'nonce', 6 => 'signature', 4 => 'expiry'] as $index => $what) {
            $forged = $parts;
            $forged[$index][3] = $forged[$index][3] === 'A' ? 'B' : 'A';
            $told = $this->submit($service, ['token' => implode('.', $forged)] + $stop);
            $this->assertSame(self::lang()['katapult_link_expired'], $told, "one character of the $what changed");
        }
        $this->assertSame(0, $this->sim->requests(self::STOP));
        $this->assertStringContainsString("the client's StopVm request was refused: the token's signature is wrong", $this->log());
        $this->assertSame('success', $this->submit($service, $stop), 'the real token still works');
    }

    public function testATokenForAnotherServiceIsRefused(): void
    {
        $product = $this->provider();
        $client = (int) Fixtures::client()->id;
        [$first] = $this->orderedService($product, $client, 'one.example.com');
        [$second] = $this->orderedService($product, $client, 'two.example.com');
        $this->waitUntilBuilt([$first, $second]);
        $this->inClientArea($client);
        $stop = $this->forms($this->page($first))['StopVm'];
        $this->assertSame(self::lang()['katapult_link_expired'], $this->request($second, 'StopVm', $stop['token'], $stop['csrf']));
        $this->assertSame(0, $this->sim->requests(self::STOP));
        $this->assertStringContainsString("Service ID $second: the client's StopVm request was refused: the token is for another service ($first)", $this->log());
    }

    public function testATokenForAnotherClientIsRefused(): void
    {
        [$service, $client] = $this->builtService();
        $this->inClientArea($client);
        $stop = $this->forms($this->page($service))['StopVm'];

        // Another client, with the first one's token, on the first one's service.
        $other = (int) Fixtures::client()->id;
        $this->inClientArea($other);
        $this->assertSame(self::lang()['katapult_not_yours'], $this->submit($service, $stop));
        $this->assertStringContainsString("Service ID $service: the client's StopVm request was refused: client $other does not own the service", $this->log());

        // The other client's own service: the first client's token is not theirs.
        [$own] = $this->builtService(null, $other);
        $this->assertSame(self::lang()['katapult_link_expired'], $this->request($own, 'StopVm', $stop['token'], $stop['csrf']));
        $this->assertSame(0, $this->sim->requests(self::STOP));
        $this->assertStringContainsString("Service ID $own: the client's StopVm request was refused: the token is for another service ($service)", $this->log());
    }

    public function testATokenNamesItsServiceClientAndAction(): void
    {
        [$service, $client] = $this->builtService();
        $this->inClientArea($client);
        $token = $this->forms($this->page($service))['StopVm']['token'];
        $this->assertStringStartsWith("v1.$service.$client.StopVm.", $token, 'bound to service, client and action');
    }

    public function testATokenForAnotherActionIsRefused(): void
    {
        [$service, $client] = $this->builtService();
        $this->inClientArea($client);
        $stop = $this->forms($this->page($service))['StopVm'];
        $this->assertSame(self::lang()['katapult_link_expired'], $this->request($service, 'StartVm', $stop['token'], $stop['csrf']));
        $this->assertSame(self::lang()['katapult_link_expired'], $this->request($service, 'ResetVm', $stop['token'], $stop['csrf']));
        $sso = $this->request($service, 'ServiceSingleSignOn', $stop['token'], $stop['csrf']);
        $this->assertSame(['success' => false, 'errorMsg' => self::lang()['katapult_link_expired']], $sso);
        $this->assertSame(0, $this->sim->requests(self::START));
        $this->assertSame(0, $this->sim->requests('POST /virtual_machines/:virtual_machine/reset'));
        $this->assertSame(0, $this->sim->requests(self::CONSOLE));
        $this->assertStringContainsString("the client's StartVm request was refused: the token is for another action (StopVm)", $this->log());
        $this->assertStringContainsString("the client's Console request was refused: the token is for another action (StopVm)", $this->log());
    }

    public function testAMissingTokenIsRefusedWithAPointerToThePanel(): void
    {
        [$service, $client] = $this->builtService();
        $this->inClientArea($client);
        // WHMCS's own sidebar links: a GET, no katapult_token.
        $_GET = ['action' => 'productdetails', 'id' => (string) $service, 'modop' => 'custom', 'a' => 'StopVm'];
        $_POST = [];
        $this->assertSame(self::lang()['katapult_use_panel'], Module::call('StopVm', $service));
        $_GET = ['action' => 'productdetails', 'id' => (string) $service, 'dosinglesignon' => '1'];
        $this->assertSame(['success' => false, 'errorMsg' => self::lang()['katapult_use_panel']], Module::call('ServiceSingleSignOn', $service));
        $this->assertSame(self::lang()['katapult_use_panel'], $this->request($service, 'StopVm', '   '));
        $this->assertSame(self::lang()['katapult_use_panel'], $this->request($service, 'StopVm', ['an', 'array']), 'a non-string token is no token');
        $this->assertSame(0, $this->sim->requests(self::STOP));
        $this->assertSame(0, $this->sim->requests(self::CONSOLE));
        $this->assertStringContainsString("the client's StopVm request was refused: no token came with the request", $this->log());
        $this->assertStringContainsString("the client's Console request was refused: no token came with the request", $this->log());
    }

    public function testTwoTabsEachHaveWorkingTokens(): void
    {
        [$service, $client] = $this->builtService();
        $this->inClientArea($client);
        $first = $this->forms($this->page($service));
        $second = $this->forms($this->page($service));
        $this->assertNotSame($first['StopVm']['token'], $second['StopVm']['token']);
        $this->assertTrue($this->submit($service, $second['Console'])['success'], 'the second tab');
        $this->assertTrue($this->submit($service, $first['Console'])['success'], 'the first tab, opened earlier');
        $this->assertSame(2, $this->sim->requests(self::CONSOLE));
    }

    public function testATokenForAServiceNoLongerActiveIsRefused(): void
    {
        [$service, $client] = $this->builtService();
        $this->inClientArea($client);
        $forms = $this->forms($this->page($service));
        Capsule::table('tblhosting')->where('id', $service)->update(['domainstatus' => 'Suspended']); // overdue: WHMCS suspends
        $this->assertSame(self::lang()['katapult_not_active'], $this->submit($service, $forms['StopVm']));
        $this->assertSame(['success' => false, 'errorMsg' => self::lang()['katapult_not_active']], $this->submit($service, $forms['Console']));
        $this->assertSame(0, $this->sim->requests(self::STOP));
        $this->assertSame(0, $this->sim->requests(self::CONSOLE));
        $this->assertStringContainsString("the client's StopVm request was refused: the service is not Active", $this->log());
    }

    /**
     * Two web nodes share the database: a token one renders works on the other (the signing secret
     * is in the database), and once used on one it is refused on the other (the nonce is in
     * mod_katapult_used_tokens). The other node is a real PHP process with its own connection.
     */
    public function testTokensWorkOnceAcrossWebNodesSharingTheDatabase(): void
    {
        [$service, $client, $vmId] = $this->builtService();
        // Node B renders the page.
        $html = $this->otherNode(['do' => 'call', 'function' => 'ClientArea', 'service' => $service, 'client' => $client]);
        $forms = $this->forms($html);
        $this->assertArrayHasKey('StopVm', $forms);

        // Node A (this process) takes the click.
        $this->inClientArea($client);
        $this->assertSame('success', $this->submit($service, $forms['StopVm']));
        $this->assertSame(1, (int) Capsule::table('mod_katapult_used_tokens')->count(), 'the used nonce is in the database');

        // The replay reaches node B.
        $told = $this->otherNode(['do' => 'call', 'function' => 'StopVm', 'service' => $service, 'client' => $client, 'post' => ['token' => $forms['StopVm']['csrf'], 'katapult_token' => $forms['StopVm']['token']]]);
        $this->assertSame(self::lang()['katapult_link_expired'], $told);

        // Node B uses a token (once the stop has finished: Katapult queues one task at a time);
        // node A, on a fresh connection, refuses its replay.
        $this->waitForState($vmId, 'stopped');
        $told = $this->otherNode(['do' => 'call', 'function' => 'ResetVm', 'service' => $service, 'client' => $client, 'post' => ['katapult_token' => $forms['ResetVm']['token']]]);
        $this->assertSame('success', $told);
        Capsule::connection()->reconnect();
        $this->assertSame(self::lang()['katapult_link_expired'], $this->submit($service, $forms['ResetVm']));
        $this->assertSame(1, $this->sim->requests(self::STOP));
        $this->assertSame(1, $this->sim->requests('POST /virtual_machines/:virtual_machine/reset'));
    }

    // ---------------------------------------------------------------------------------------
    // 4. The console
    // ---------------------------------------------------------------------------------------

    public function testTheConsoleButtonOpensOneConsole(): void
    {
        [$service, $client] = $this->builtService();
        $this->inClientArea($client);
        $console = $this->forms($this->page($service))['Console'];
        $this->assertSame("clientarea.php?action=productdetails&id=$service&dosinglesignon=1", $console['url']);
        $opened = $this->submit($service, $console);
        $this->assertTrue($opened['success']);
        $this->assertStringStartsWith($this->sim->rootUrl . '/console/', $opened['redirectTo']);
        $this->assertSame(['success' => false, 'errorMsg' => self::lang()['katapult_link_expired']], $this->submit($service, $console));
        $this->assertSame(1, $this->sim->requests(self::CONSOLE));
        $this->assertStringContainsString("Service ID $service: the client opened the VM's console", $this->log());
    }

    public function testTheAdminOpensTheConsoleAndPowersTheVmWithoutAToken(): void
    {
        [$service] = $this->builtService();
        Session::asAdmin(Fixtures::admin('alice'));
        $this->assertFalse(defined('CLIENTAREA'), 'this process plays the admin area');
        $this->assertTrue(defined('ADMINAREA'));
        $this->assertNull(katapult_client_request());
        $opened = Module::call('ServiceSingleSignOn', $service);
        $this->assertTrue($opened['success']);
        $this->assertStringStartsWith($this->sim->rootUrl . '/console/', $opened['redirectTo']);
        $this->assertSame('success', Module::call('StopVm', $service));
        $this->assertSame(1, $this->sim->requests(self::CONSOLE));
        $this->assertSame(1, $this->sim->requests(self::STOP));
        $this->assertStringContainsString("Service ID $service: an admin opened the VM's console", $this->log());
        $this->assertStringContainsString("Service ID $service: stop requested by an admin", $this->log());
        $this->assertSame('LiveState serves the client area\'s panel only.', Module::call('LiveState', $service));
    }

    /**
     * WHMCS turns an exception from ClientArea or a custom function into its "Oops" page: when
     * the module cannot work at all (here: a setting it cannot read), the client still gets the
     * panel's plain message or a JSON error, and the reason goes to the activity log.
     */
    public function testNothingAClientCanReachThrowsWhenTheModuleCannotWork(): void
    {
        [$service, $client] = $this->builtService();
        $this->inClientArea($client);
        $timeout = ini_get('katapult.timeout');
        ini_set('katapult.timeout', 'not-a-number');
        try {
            $page = $this->page($service);
            $this->assertShows(self::lang()['katapult_unavailable'], $page);
            $this->assertStringContainsString('katapult-problem', $page, 'the problem panel, which keeps polling');
            foreach (['liveState', 'revealPassword'] as $function) {
                $answer = json_decode(("\\Katapult\\Module\\$function")(Module::buildParams($service), katapult_client_request()), true, 512, JSON_THROW_ON_ERROR);
                $this->assertSame(['error' => self::lang()['katapult_unavailable']], $answer, $function);
            }
            $this->assertStringStartsWith('Katapult: ', Module::call('StopVm', $service));
            $this->assertFalse(Module::call('ServiceSingleSignOn', $service)['success']);
        } finally {
            ini_set('katapult.timeout', (string) $timeout);
        }
        $this->assertStringContainsString("Service ID: $service: the client area could not run: Katapult: katapult.timeout", implode("\n", ActivityLog::descriptions()));
        $this->assertSame(0, $this->sim->requests(self::STOP));
    }

    public function testARequestNeitherOfTheAdminAreaNorOfCronGetsTheClientsChecks(): void
    {
        // No cron in this process (the stand-in's cron defines IN_CRON, as WHMCS's does): the
        // service's build is requested, and the client's checks come before anything else.
        [$service, $client] = $this->orderedService($this->provider());
        $this->assertFalse(defined('CLIENTAREA') || defined('ADMINAREA') || defined('IN_CRON'));
        $this->assertNotNull(katapult_client_request());
        Session::asSystem();
        $this->assertSame(self::lang()['katapult_not_yours'], Module::call('StopVm', $service), 'nobody logged in');
        Session::asClient($client);
        $this->assertSame(self::lang()['katapult_use_panel'], Module::call('StopVm', $service), 'no token');
        $opened = Module::call('ServiceSingleSignOn', $service);
        $this->assertFalse($opened['success']);
        $this->assertSame(0, $this->sim->requests(self::STOP));
        $this->assertSame(0, $this->sim->requests(self::CONSOLE));
    }

    public function testTheClientMayCallOnlyThePanelsFunctions(): void
    {
        $this->assertSame(['StartVm', 'ShutdownVm', 'StopVm', 'ResetVm', 'LiveState', 'RevealPassword', 'SetReverseDns', 'RenameVm', 'BackupTime'], katapult_ClientAreaAllowedFunctions());
        $this->assertFalse(function_exists('katapult_ClientAreaCustomButtonArray'), 'WHMCS would render those as plain links without tokens');
        $this->assertNotContains('RefreshFromKatapult', katapult_ClientAreaAllowedFunctions());
    }

    // ---------------------------------------------------------------------------------------
    // 5. Escaping
    // ---------------------------------------------------------------------------------------

    public function testHtmlInTheVmsNamesAndAddressesIsEscaped(): void
    {
        [$service, $client, $vmId] = $this->builtService();
        $evil = '"><script>alert(1)</script><img src=x onerror=alert(2) title=\'';
        // Katapult lets its users rename VMs; this API answers with names nobody validated.
        $vm = $this->api()->virtualMachine($vmId);
        $vm['virtual_machine']['name'] = "name$evil";
        $vm['virtual_machine']['fqdn'] = "fqdn$evil.example.com";
        $vm['virtual_machine']['hostname'] = "host$evil";
        $vm['virtual_machine']['package']['name'] = "package$evil";
        $vm['virtual_machine']['zone']['data_center']['name'] = "dc$evil";
        $vm['virtual_machine']['ip_addresses'] = array_values(array_filter($vm['virtual_machine']['ip_addresses'], fn ($ip) => str_contains($ip['address'], ':')));
        $this->fakeApi($vm);

        $this->inClientArea($client);
        $page = $this->page($service);
        $this->assertSafe($page);
        $xpath = $this->xpath($page);
        $this->assertSame("fqdn$evil.example.com", $xpath->evaluate('string(//code[contains(@class,"katapult-copyable")])'), 'shown as text, intact');
        $this->assertSame("ssh root@fqdn$evil.example.com", $xpath->evaluate('string(//button[starts-with(@data-katapult-copy,"ssh ")]/@data-katapult-copy)'), 'intact in an attribute');
        $details = $this->details($xpath);
        $this->assertStringStartsWith("package$evil", $details['Package']);
        $this->assertSame("dc$evil", $details['Data center']);

        // Without an FQDN the hostname is shown; a provider's template may show the name.
        unset($vm['virtual_machine']['fqdn']);
        $this->writeFakeVm($vm);
        $this->aFewSecondsLater();
        $this->override('views/client/virtual_machines/overview.hbs', '<div class="katapult-overview" data-name="{{vm.name}}" title=\'{{vm.hostname}}\'>{{vm.name}} {{vm.fqdn}} {{#each vm.ipv6}}{{this}}{{/each}}</div>');
        $page = $this->page($service);
        $this->assertSafe($page);
        $xpath = $this->xpath($page);
        $this->assertSame("name$evil", $xpath->evaluate('string(//div[@class="katapult-overview"]/@data-name)'));
        $this->assertSame("host$evil", $xpath->evaluate('string(//div[@class="katapult-overview"]/@title)'));
        $this->assertStringContainsString("name$evil host$evil", $xpath->evaluate('string(//div[@class="katapult-overview"])'));
    }

    public function testHtmlInTheServiceDomainUsernameAndPasswordIsEscaped(): void
    {
        $product = $this->provider();
        [$service, $client] = $this->orderedService($product, null, '<script>alert(1)</script>"x\'.example.com');
        $this->waitUntilBuilt([$service]);
        $password = 'pa"ss\'><script>alert(3)</script>&amp;';
        Capsule::table('tblhosting')->where('id', $service)->update(['username' => '<b onmouseover="x()">admin</b>', 'password' => encrypt($password)]);

        $this->inClientArea($client);
        $page = $this->page($service);
        $this->assertStringContainsString('katapult-overview', $page);
        $this->assertSafe($page);
        $xpath = $this->xpath($page);
        $this->assertSame($password, $this->passwordShown($service, $page), 'the password arrives intact');
        $this->assertContains('<b onmouseover="x()">admin</b>', array_map(fn (DOMNode $n) => $n->textContent, iterator_to_array($xpath->query('//dd/code'))));
        $this->assertSame(0, $xpath->query('//b')->length);
    }

    /** Katapult's error texts may quote what someone typed; WHMCS prints a module's answer as it is. */
    private const HOSTILE_ERROR = '{"error":{"code":"validation_error","description":"<script>alert(1)</script> was refused","detail":{"errors":["<img src=x onerror=alert(2)>"]}}}';

    public function testKatapultsErrorTextsNeverReachTheClientsPage(): void
    {
        [$service, $client, $vmId] = $this->builtService();
        $this->inClientArea($client);
        $forms = $this->forms($this->page($service));
        $this->fakeApi($this->api()->virtualMachine($vmId));
        $this->write("$this->fakeDir/error.json", self::HOSTILE_ERROR);

        $this->assertSame(self::lang()['katapult_action_failed'], $this->submit($service, $forms['StopVm']));
        $this->assertSame(['success' => false, 'errorMsg' => self::lang()['katapult_console_failed']], $this->submit($service, $forms['Console']));
        $this->assertStringContainsString("Service ID $service: stop requested by the client failed:", $this->log(), 'the provider has the details');
        $this->assertStringContainsString("Service ID $service: the client asked for the VM's console:", $this->log());
        $this->assertStringContainsString('was refused', $this->log());
    }

    public function testErrorTextsForTheAdminCarryNoMarkup(): void
    {
        [$service, , $vmId] = $this->builtService();
        $this->fakeApi($this->api()->virtualMachine($vmId));
        $this->write("$this->fakeDir/error.json", self::HOSTILE_ERROR);

        $stop = Module::call('StopVm', $service);
        $console = Module::call('ServiceSingleSignOn', $service);
        foreach ([$stop, $console['errorMsg']] as $answer) {
            $this->assertStringContainsString('alert(1)', $answer, 'the admin sees what Katapult said');
            $this->assertStringNotContainsString('<', $answer);
            $this->assertStringNotContainsString('>', $answer);
        }
        $this->assertFalse($console['success']);
    }

    public function testLanguageStringsAreEscaped(): void
    {
        [$service, $client] = $this->builtService();
        $this->override('lang/english.php', "<?php\n// " . self::MARKER . "\n"
            . "\$_LANG['katapult_overview_title'] = '<script>alert(\"title\")</script>';\n"
            . "\$_LANG['katapult_confirm_stop'] = 'Sure?\" onclick=\"alert(1)';\n"
            . "\$_LANG['katapult_action_stop'] = '<img src=x onerror=alert(2)>';\n");
        $this->inClientArea($client);
        $page = $this->page($service);
        $this->assertSafe($page);
        $xpath = $this->xpath($page);
        $this->assertSame('<script>alert("title")</script>', $xpath->evaluate('string(//h3)'));
        $stop = $xpath->query('//button[@data-katapult-action="StopVm"]')->item(0);
        $this->assertInstanceOf(DOMElement::class, $stop);
        $this->assertSame('Sure?" onclick="alert(1)', $stop->getAttribute('data-katapult-confirm'));
        $this->assertSame('<img src=x onerror=alert(2)>', $stop->textContent);
        $this->assertFalse($stop->hasAttribute('onclick'));
    }

    // ---------------------------------------------------------------------------------------
    // 6. Overrides
    // ---------------------------------------------------------------------------------------

    public function testAnOverrideTemplateWinsAndAnEditShowsOnTheNextPage(): void
    {
        [$service, $client] = $this->builtService();
        $default = (string) file_get_contents(dirname(__DIR__, 2) . '/views/client/virtual_machines/overview.hbs');
        $this->inClientArea($client);
        $this->assertStringNotContainsString('provider-marker', $this->page($service));

        $file = $this->override('views/client/virtual_machines/overview.hbs', "<!-- provider-marker-A -->\n" . $default);
        $page = $this->page($service);
        $this->assertStringContainsString('provider-marker-A', $page);
        $this->assertArrayHasKey('StopVm', $this->forms($page), 'the copy works as the default did');

        // The provider edits the file again (same length: the cache must notice the new time), a
        // moment later (file times tick in milliseconds): the next page shows it, with no restart.
        usleep(50_000);
        file_put_contents($file, "<!-- provider-marker-B -->\n" . $default);
        clearstatcache();
        $page = $this->page($service);
        $this->assertStringContainsString('provider-marker-B', $page);
        $this->assertStringNotContainsString('provider-marker-A', $page);

        unlink($file);
        $this->assertStringNotContainsString('provider-marker', $this->page($service), 'removing the override restores the default');
    }

    public function testAnOverrideStylesheetChangesTheAssetUrl(): void
    {
        [$service, $client] = $this->builtService();
        $this->inClientArea($client);
        $this->assertMatchesRegularExpression('~href="modules/servers/katapult/assets/css/client\.css\?v(=|&#x3D;)\d+"~', $this->page($service));
        $this->override('assets/css/client.css', '/* ' . self::MARKER . " */\n.katapult { color: red; }\n");
        $page = $this->page($service);
        $this->assertMatchesRegularExpression('~href="modules/servers/katapult/overrides/assets/css/client\.css\?v(=|&#x3D;)\d+"~', $page);
        $this->assertMatchesRegularExpression('~src="modules/servers/katapult/assets/js/client\.js\?v(=|&#x3D;)\d+"~', $page, 'the script is still the default');
    }

    public function testABrokenOverrideTemplateGivesAReadableMessageAndIsLogged(): void
    {
        [$service, $client] = $this->builtService();
        $this->override('views/client/virtual_machines/overview.hbs', "{{!-- " . self::MARKER . " --}}\n<div>{{#if vm.state}}<b>{{vm.state}}</b>\n");
        $this->inClientArea($client);
        $page = $this->page($service);
        $this->assertShows(self::lang()['katapult_unavailable'], $page, 'a message, not a blank page');
        $this->assertStringContainsString("data-katapult-service=\"$service\"", $page);
        $this->assertStringContainsString('client.css', $page, 'the page around it renders');
        $this->assertStringNotContainsString('overview.hbs', $page, 'the details are for the provider, not the client');
        $this->assertStringNotContainsString('katapult_token', $page);
        $this->assertMatchesRegularExpression("~Service ID $service: the client area panel could not be rendered: the template \S*overrides/views/client/virtual_machines/overview\.hbs has an error~", $this->log());

        // A broken page.hbs: the panel alone, still readable.
        $this->override('views/client/virtual_machines/page.hbs', "{{!-- " . self::MARKER . " --}}\n{{#each}}\n");
        unlink(katapult_test_module_dir() . '/overrides/views/client/virtual_machines/overview.hbs');
        $page = $this->page($service);
        $this->assertStringContainsString('katapult-overview', $page);
        $this->assertStringContainsString("the template", $this->log());
        $this->assertStringContainsString('page.hbs has an error', $this->log());
    }

    public function testASymlinkInOverridesLeadingOutOfTheModuleIsNotFollowed(): void
    {
        [$service, $client] = $this->builtService();
        $outside = sys_get_temp_dir() . '/katapult-clientarea-outside-' . getmypid();
        $this->makeDir($outside);
        $this->makeDir("$outside/views/client/virtual_machines");
        $this->write("$outside/evil.hbs", '<div class="katapult">outside-marker {{credentials.password}}</div>');
        $this->write("$outside/views/client/virtual_machines/overview.hbs", '<div class="katapult">outside-dir-marker</div>');
        $this->write("$outside/evil.css", 'body { display: none }');

        $this->inClientArea($client);
        // A linked file...
        $this->overrideLink('views/client/virtual_machines/overview.hbs', "$outside/evil.hbs");
        $this->overrideLink('assets/css/client.css', "$outside/evil.css");
        $page = $this->page($service);
        $this->assertStringNotContainsString('outside-marker', $page);
        $this->assertStringContainsString('katapult-overview', $page, 'the default is used');
        $this->assertStringContainsString('href="modules/servers/katapult/assets/css/client.css', $page);
        // ...and a linked folder.
        $this->removeOverrides('views');
        $this->overrideLink('views', "$outside/views");
        $page = $this->page($service);
        $this->assertStringNotContainsString('outside-dir-marker', $page);
        $this->assertStringContainsString('katapult-overview', $page);
    }

    // ---------------------------------------------------------------------------------------
    // 7. Language
    // ---------------------------------------------------------------------------------------

    public function testGermanClientsGetGermanText(): void
    {
        [$service, $client] = $this->builtService();
        $de = self::lang('german');
        $this->inClientArea($client, 'german');
        $page = $this->page($service);
        $xpath = $this->xpath($page);
        $this->assertSame($de['katapult_overview_title'], $xpath->evaluate('string(//h3)'));
        $this->assertSame($de['katapult_state_started'], trim($xpath->evaluate('string(//*[contains(@class,"katapult-vm-state")])')));
        $this->assertArrayHasKey($de['katapult_data_center'], $this->details($xpath));
        $this->assertArrayHasKey($de['katapult_password'], $this->details($xpath));
        foreach (['StopVm' => 'katapult_action_stop', 'ShutdownVm' => 'katapult_action_shutdown', 'ResetVm' => 'katapult_action_reset', 'console' => 'katapult_console'] as $action => $key) {
            $this->assertSame($de[$key], $xpath->evaluate("string(//button[@data-katapult-action=\"$action\"])"));
        }
        $stop = $this->forms($page)['StopVm'];
        $this->assertSame($de['katapult_confirm_stop'], $stop['confirm']);
        $this->assertSame('success', $this->submit($service, $stop));
        $this->assertSame($de['katapult_link_expired'], $this->submit($service, $stop), 'refusals in German too');
        $this->assertStringNotContainsString(self::lang()['katapult_overview_title'], $page);
    }

    public function testALanguageWithoutAFileFallsBackToEnglish(): void
    {
        [$service, $client] = $this->builtService();
        $en = self::lang();
        foreach (['klingon', '', '../../../../etc/passwd', '../lang/german', dirname(__DIR__, 2) . '/module/lang/german'] as $language) {
            $this->inClientArea($client, $language);
            $page = $this->page($service);
            $this->assertSame($en['katapult_overview_title'], $this->xpath($page)->evaluate('string(//h3)'), var_export($language, true));
        }
        $this->inClientArea($client, 'German');
        $this->assertSame(self::lang('german')['katapult_overview_title'], $this->xpath($this->page($service))->evaluate('string(//h3)'), 'WHMCS language names are case-insensitive');
    }

    public function testAStringMissingFromALanguageFileFallsBackToEnglish(): void
    {
        [$service, $client] = $this->builtService();
        // A provider's half-done translation: one string only.
        $this->override('lang/testsprache.php', "<?php\n// " . self::MARKER . "\n\$_LANG['katapult_overview_title'] = 'Testserver';\n");
        $this->inClientArea($client, 'testsprache');
        $page = $this->page($service);
        $xpath = $this->xpath($page);
        $this->assertSame('Testserver', $xpath->evaluate('string(//h3)'));
        $this->assertSame(self::lang()['katapult_state_started'], trim($xpath->evaluate('string(//*[contains(@class,"katapult-vm-state")])')), 'the rest in English');
        $this->assertStringNotContainsString('katapult_', $xpath->document->textContent, 'no raw key shows');
    }

    /**
     * A provider's English rewording (overrides/lang/english.php, as english.php suggests) sits
     * under the German translation, not over it.
     */
    public function testAProvidersEnglishOverrideLeavesOtherLanguagesAlone(): void
    {
        [$service, $client] = $this->builtService();
        $this->override('lang/english.php', "<?php\n// " . self::MARKER . "\n\$_LANG['katapult_overview_title'] = 'Your cloud server';\n");
        $this->inClientArea($client, 'english');
        $this->assertSame('Your cloud server', $this->xpath($this->page($service))->evaluate('string(//h3)'));
        $this->inClientArea($client, 'german');
        $this->assertSame(self::lang('german')['katapult_overview_title'], $this->xpath($this->page($service))->evaluate('string(//h3)'));
    }

    /**
     * The extension keeps a language's strings between pages while its files are unchanged: a
     * provider's override, added, edited (the same length, a moment later) and removed, shows
     * on the next page each time, with no restart.
     */
    public function testALanguageOverrideEditShowsOnTheNextPage(): void
    {
        [$service, $client] = $this->builtService();
        $this->inClientArea($client, 'english');
        $title = fn (): string => $this->xpath($this->page($service))->evaluate('string(//h3)');
        $this->assertSame(self::lang()['katapult_overview_title'], $title());

        $write = fn (string $text): string => "<?php\n// " . self::MARKER . "\n\$_LANG['katapult_overview_title'] = '$text';\n";
        $file = $this->override('lang/english.php', $write('Server A'));
        $this->assertSame('Server A', $title());
        usleep(50_000);
        file_put_contents($file, $write('Server B'));
        clearstatcache();
        $this->assertSame('Server B', $title());
        unlink($file);
        clearstatcache();
        $this->assertSame(self::lang()['katapult_overview_title'], $title());
    }

    public function testGermanHasExactlyTheStringsOfEnglishAndEveryStringUsedExists(): void
    {
        $en = self::lang('english');
        $keys = array_keys($en);
        sort($keys);
        $languages = array_map(fn ($file) => basename($file, '.php'), glob(dirname(__DIR__, 2) . '/module/lang/*.php'));
        $this->assertContains('german', $languages);
        foreach ($languages as $language) {
            $strings = self::lang($language);
            $theirs = array_keys($strings);
            sort($theirs);
            $this->assertSame($keys, $theirs, "$language.php has exactly the strings of english.php");
            foreach ($strings as $key => $text) {
                $this->assertIsString($text, "$language: $key");
                $this->assertNotSame('', trim($text), "$language: $key");
            }
        }
        $this->assertNotSame($en, self::lang('german'), 'translated');

        // Every string the templates and the extension ask for is in English.
        $used = [];
        foreach (glob(dirname(__DIR__, 2) . '/views/client/virtual_machines/*.hbs') as $view) {
            preg_match_all('/lang\.(katapult_[a-z0-9_]+)/', (string) file_get_contents($view), $m);
            $used = array_merge($used, $m[1]);
        }
        foreach (['src/module/client_area.rs', 'src/service/client_request.rs'] as $source) {
            preg_match_all('/"(katapult_[a-z0-9_]+)"/', (string) file_get_contents(dirname(__DIR__, 2) . "/$source"), $m);
            $used = array_merge($used, $m[1]);
        }
        foreach (['start', 'stop', 'shutdown', 'reset'] as $action) {
            $used[] = "katapult_action_$action";
            if ($action !== 'start') {
                $used[] = "katapult_confirm_$action";
            }
        }
        foreach (['started', 'stopped', 'starting', 'stopping', 'shutting_down', 'resetting', 'unknown'] as $state) {
            $used[] = "katapult_state_$state";
        }
        $this->assertGreaterThan(20, count(array_unique($used)));
        $this->assertSame([], array_values(array_diff(array_unique($used), array_keys($en))), 'strings used but missing from english.php');
    }

    // ---------------------------------------------------------------------------------------
    // 8. Errors
    // ---------------------------------------------------------------------------------------

    public function testWhenKatapultIsDownThePanelSaysSoAndThePageStillRenders(): void
    {
        [$service, $client] = $this->builtService();
        $this->sim->setFaults(['errors' => [['endpoint' => 'GET /virtual_machines/*', 'probability' => 1.0, 'status' => 503]]]);
        $this->inClientArea($client);
        $page = $this->page($service);
        $unavailable = self::lang()['katapult_unavailable'];
        $this->assertShows($unavailable, $page);
        $this->assertStringContainsString('data-katapult-problem="katapult_unavailable"', $page);
        $this->assertStringContainsString('client.css', $page);
        $this->assertStringContainsString('client.js', $page, 'it keeps checking back');
        $this->assertSame([], $this->forms($page));
        $this->assertGreaterThan(0, $this->sim->stats()['faults']['error_503'] ?? 0);
        $this->assertStringContainsString("Service ID $service: the client area could not show the VM:", $this->log());

        $live = json_decode(\Katapult\Module\liveState(Module::buildParams($service), katapult_client_request()), true, 512, JSON_THROW_ON_ERROR);
        $this->assertSame('problem:katapult_unavailable', $live['version']);
        $this->assertSame(1, substr_count($this->log(), 'the client area could not show the VM'), 'the poll does not log again');

        $this->sim->setFaults([]);
        $this->assertStringContainsString('katapult-overview', $this->page($service), 'back by itself');

        $this->sim->stop();
        $this->aFewSecondsLater();
        $page = $this->page($service);
        $this->assertShows($unavailable, $page, 'nothing listening');
        $this->assertStringContainsString('client.js', $page);
    }

    public function testAVmDeletedInKatapultSaysItIsMissing(): void
    {
        [$service, $client, $vmId] = $this->builtService();
        $trash = $this->api()->deleteVirtualMachine($vmId)['trash_object']['id'];
        $this->inClientArea($client);
        $page = $this->page($service);
        $this->assertShows(self::lang()['katapult_vm_missing'], $page);
        $this->assertStringContainsString('data-katapult-problem="katapult_vm_missing"', $page);
        $this->assertSame([], $this->forms($page));

        $purge = $this->api()->purgeTrashObject($trash);
        $task = (string) ($purge['task']['id'] ?? $purge['id']);
        $deadline = microtime(true) + 10;
        while ($this->api()->task($task)['status'] !== 'completed' && microtime(true) < $deadline) {
            usleep(20_000);
        }
        try {
            $this->api()->virtualMachine($vmId);
            $this->fail('the VM is purged');
        } catch (Katapult\ApiException $e) {
            $this->assertSame('virtual_machine_not_found', $e->errorCode);
        }
        $this->assertShows(self::lang()['katapult_vm_missing'], $this->page($service), 'purged for good');
    }

    public function testAServiceWithoutAVmSaysSo(): void
    {
        $product = $this->provider();
        $client = (int) Fixtures::client()->id;
        $service = (int) Fixtures::service($client, $product, ['domainstatus' => 'Active'])->id;
        $this->inClientArea($client);
        $this->assertShows(self::lang()['katapult_not_provisioned'], $this->page($service));

        // Katapult fails the next build (the simulator's control, never a hostname).
        $this->sim->setFaults(['fail_builds' => 1]);
        [$failing] = $this->orderedService($product, $client, 'fails.example.com');
        $deadline = microtime(true) + 20;
        do {
            $page = $this->page($failing);
        } while (str_contains($page, 'katapult-building') && microtime(true) < $deadline);
        $this->assertShows(self::lang()['katapult_build_failed'], $page);
        $this->assertStringContainsString('data-katapult-problem="katapult_build_failed"', $page);
        $build = (string) SalmonDataStore::get('service', $failing, 'vm_build_id');
        $this->assertStringStartsWith("$build failed less than a minute ago", strip_tags(katapult_AdminServicesTabFields(Module::buildParams($failing))['Katapult build']), 'the admin tab says so too');
    }

    // ---------------------------------------------------------------------------------------
    // 9. The admin area
    // ---------------------------------------------------------------------------------------

    public function testTheAdminTabShowsTheLinkedVmItsStateBuildAndOrganization(): void
    {
        [$service, $client, $vmId] = $this->builtService();
        $org = (string) SalmonDataStore::get('client', $client, 'managed_org_id');
        $build = (string) SalmonDataStore::get('service', $service, 'vm_build_id');
        $this->assertStringStartsWith('org_', $org);
        $pattern = (string) ini_get('katapult.vm_link');
        $this->assertSame('https://my.katapult.io/organizations/{organization}/virtual_machines/{vm}', $pattern);
        $this->assertFalse(ini_set('katapult.vm_link', 'javascript:alert(1)//{vm}'), 'php.ini only: hook code cannot re-point the admin\'s link');

        $fields = katapult_AdminServicesTabFields(Module::buildParams($service));
        $this->assertSame(['Katapult VM', 'VM state', 'Reverse DNS', 'Katapult build', 'Managed organization', 'Katapult version'], array_keys($fields));
        $this->assertSame('extension ' . Katapult\version() . ', module files ' . KATAPULT_MODULE_VERSION, $fields['Katapult version'], 'the same release: no warning');
        $link = $this->xpath($fields['Katapult VM'])->query('//a')->item(0);
        $this->assertInstanceOf(DOMElement::class, $link);
        $this->assertSame(strtr($pattern, ['{organization}' => $org, '{vm}' => $vmId]), $link->getAttribute('href'));
        $this->assertSame($vmId, $link->textContent);
        $this->assertSame('_blank', $link->getAttribute('target'));
        $this->assertStringContainsString('noopener', $link->getAttribute('rel'));
        $this->assertSame('started', strip_tags($fields['VM state']));
        $this->assertSame("$build built", strip_tags($fields['Katapult build']));
        $this->assertSame($org, strip_tags($fields['Managed organization']));

        $this->api()->stop($vmId);
        $this->waitForState($vmId, 'stopped');
        $this->assertSame('stopped', strip_tags(katapult_AdminServicesTabFields(Module::buildParams($service))['VM state']));

        // Katapult unreachable: the field says so, the page stays.
        $this->sim->setFaults(['errors' => [['endpoint' => 'GET /virtual_machines/*', 'probability' => 1.0, 'status' => 503]]]);
        $fields = katapult_AdminServicesTabFields(Module::buildParams($service));
        $this->assertStringStartsWith('unknown: ', strip_tags($fields['VM state']));
        $this->assertStringContainsString($vmId, $fields['Katapult VM']);
    }

    public function testTheAdminTabSaysBuildingWithTheBuildsAge(): void
    {
        $this->startSim('poll:100');
        [$service, $client] = $this->orderedService($this->provider());
        $build = (string) SalmonDataStore::get('service', $service, 'vm_build_id');
        $fields = katapult_AdminServicesTabFields(Module::buildParams($service));
        $this->assertSame(['Katapult VM', 'Katapult build', 'Managed organization', 'Katapult version'], array_keys($fields));
        $this->assertSame('none yet', strip_tags($fields['Katapult VM']));
        $this->assertSame("$build building for less than a minute", strip_tags($fields['Katapult build']));
        $this->assertStringStartsWith('org_', strip_tags($fields['Managed organization']));

        SalmonDataStore::set('service', $service, 'vm_build_started_at', Carbon::now()->subMinutes(95));
        $this->assertSame("$build building for 95 minutes", strip_tags(katapult_AdminServicesTabFields(Module::buildParams($service))['Katapult build']));
        SalmonDataStore::set('service', $service, 'vm_build_started_at', Carbon::now()->subHours(5)->subMinutes(10));
        $this->assertSame("$build building for 5 hours", strip_tags(katapult_AdminServicesTabFields(Module::buildParams($service))['Katapult build']));
        $this->assertSame('The VM is still being built; nothing to write yet.', Module::call('RefreshFromKatapult', $service));

        $fresh = (int) Fixtures::service(Fixtures::client(), $this->katapultProductId())->id;
        $fields = katapult_AdminServicesTabFields(Module::buildParams($fresh));
        $this->assertSame('none yet', strip_tags($fields['Katapult VM']));
        $this->assertStringStartsWith('none yet', strip_tags($fields['Managed organization']));

        // Module files of another release (an upgrade that replaced only the extension): warned about.
        $other = \Katapult\Module\adminServicesTabFields(Module::buildParams($fresh), '0.0.1')['Katapult version'];
        $this->assertStringContainsString('text-danger', $other);
        $this->assertStringStartsWith('extension ' . Katapult\version() . ', module files 0.0.1: they differ', strip_tags($other));
        $unsaid = \Katapult\Module\adminServicesTabFields(Module::buildParams($fresh))['Katapult version'];
        $this->assertStringContainsString('module files unknown (older than 0.1.0): they differ', strip_tags($unsaid), 'module files from before the version constant');
    }

    public function testRefreshFromKatapultPersistsACompletedBuild(): void
    {
        $this->startSim('poll:2');
        $hooks = $this->countBuiltHooks();
        [$service] = $this->orderedService($this->provider());
        $build = (string) SalmonDataStore::get('service', $service, 'vm_build_id');
        $deadline = microtime(true) + 20;
        while ($this->api()->virtualMachineBuild($build)['state'] !== 'complete' && microtime(true) < $deadline) {
            usleep(50_000);
        }
        $this->assertNull(SalmonDataStore::get('service', $service, 'vm_id'), 'no cron has run');

        $this->assertSame('success', Module::runModuleCommand('RefreshFromKatapult', $service));
        $vmId = (string) SalmonDataStore::get('service', $service, 'vm_id');
        $this->assertStringStartsWith('vm_', $vmId);
        $row = Capsule::table('tblhosting')->where('id', $service)->first();
        $vm = $this->api()->virtualMachine($vmId)['virtual_machine'];
        $this->assertSame($vm['fqdn'], $row->domain);
        $this->assertSame('root', $row->username);
        $this->assertSame($vm['initial_root_password'], decrypt($row->password));
        $this->assertSame(1, $hooks->count);
        Cron::run();
        $this->assertSame(1, $hooks->count, 'the cron does not write it again');
        $this->assertStringContainsString('Module Custom Function (RefreshFromKatapult) Successful', $this->log());
    }

    public function testRefreshFromKatapultWritesTheAddressesBackAndLeavesThePassword(): void
    {
        [$service, , $vmId] = $this->builtService();
        $before = Capsule::table('tblhosting')->where('id', $service)->first();
        $this->assertNotSame('', (string) $before->assignedips, 'the IPv6 address is an assigned IP');
        Capsule::table('tblhosting')->where('id', $service)->update(['domain' => '', 'dedicatedip' => '', 'assignedips' => '', 'password' => encrypt('changed-by-the-client')]);

        $this->assertSame('success', Module::call('RefreshFromKatapult', $service));
        $after = Capsule::table('tblhosting')->where('id', $service)->first();
        $this->assertSame($before->domain, $after->domain);
        $this->assertSame($before->dedicatedip, $after->dedicatedip);
        $this->assertSame($before->assignedips, $after->assignedips);
        $this->assertSame('changed-by-the-client', decrypt($after->password), 'the password is left alone');
        $this->assertStringContainsString("Service ID $service: refreshed from Katapult: $vmId {$before->domain} (started)", $this->log());
    }

    // ---------------------------------------------------------------------------------------
    // 10. Backups
    // ---------------------------------------------------------------------------------------

    public function testTheBackupsOptionIsAddedToAnExistingGroupAndLeavesItsOtherOptionsAlone(): void
    {
        $product = $this->backupsProvider();
        $group = (int) Capsule::table('tblproductconfiggroups')->where('name', 'Katapult Virtual Machines')->value('id');
        $this->assertSame(['0|No backups', '7|7 daily backups', '14|14 daily backups'], $this->choices($this->backupsOption()));

        // A group made before this version of the module: no Backups option, and a provider's prices.
        Capsule::table('tblproductconfigoptionssub')->where('configid', $this->backupsOption())->delete();
        Capsule::table('tblproductconfigoptions')->where('id', $this->backupsOption())->delete();
        Capsule::table('mod_salmon_data_store_items')->where('key', 'vm_config_option_backups_id')->delete();
        $dataCenter = (int) Capsule::table('tblproductconfigoptions')->where('gid', $group)->where('optionname', 'Data Center')->value('id');
        foreach (Capsule::table('tblproductconfigoptionssub')->where('configid', $dataCenter)->get() as $choice) {
            Capsule::table('tblproductconfigoptionssub')->where('id', $choice->id)->update(['optionname' => "$choice->optionname (renamed)"]);
        }
        $before = Capsule::table('tblproductconfigoptionssub')->where('configid', $dataCenter)->orderBy('id')->get()->toJson();

        Cron::run(true); // the daily cron
        $this->assertSame(['0|No backups', '7|7 daily backups', '14|14 daily backups'], $this->choices($this->backupsOption()));
        $this->assertSame($before, Capsule::table('tblproductconfigoptionssub')->where('configid', $dataCenter)->orderBy('id')->get()->toJson(), 'the other options are left as the provider set them');
        $this->assertStringContainsString('created the "Backups" option', $this->log());

        // A retention offered later goes in hidden, at zero price, for the provider to price and show.
        Capsule::table('tblproducts')->where('id', $product)->update(['configoption6' => '7, 14, 30']);
        Cron::run(true);
        $added = Capsule::table('tblproductconfigoptionssub')->where('configid', $this->backupsOption())->where('optionname', '30|30 daily backups')->first();
        $this->assertNotNull($added);
        $this->assertSame(1, (int) $added->hidden);
    }

    public function testTheBuiltVmGetsTheChosenBackupsAndChangePackageFollowsTheOption(): void
    {
        $this->backupsProvider();
        [$service, , $vmId] = $this->builtService(null, null, '14');
        $policies = $this->policiesOf($vmId);
        $this->assertCount(1, $policies, 'set once the VM is built');
        $this->assertSame(14, $policies[0]['retention']);
        $this->assertSame(['interval' => 'daily', 'frequency' => 1, 'time' => 2, 'minute' => 0], array_intersect_key($this->policy($policies[0]['id'])['schedule'], array_flip(['interval', 'frequency', 'time', 'minute'])), 'daily, at the first hour the product allows');
        $this->assertStringContainsString("Service ID $service: backups set: 14 daily, at 02:00 UTC", $this->log());
        $this->assertStringContainsString('14 daily, at 02:00 UTC', katapult_AdminServicesTabFields(Module::buildParams($service))['Backups']);

        // The client downgrades to 7 backups; WHMCS runs ChangePackage: the same policy changes.
        Fixtures::chooseOption($service, $this->backupsOption(), '7');
        $this->assertSame('success', Module::runModuleCommand('ChangePackage', $service));
        $this->assertSame([[$policies[0]['id'], 7]], array_map(fn ($p) => [$p['id'], $p['retention']], $this->policiesOf($vmId)));

        // No backups: the policy goes.
        Fixtures::chooseOption($service, $this->backupsOption(), '0');
        $this->assertSame('success', Module::runModuleCommand('ChangePackage', $service));
        $this->assertSame([], $this->policiesOf($vmId));
        $this->assertArrayNotHasKey('Backups', katapult_AdminServicesTabFields(Module::buildParams($service)));

        // A choice the product does not offer (a provider added it to the shared option by hand) is refused.
        Capsule::table('tblproductconfigoptionssub')->insert(['configid' => $this->backupsOption(), 'optionname' => '30|30 daily backups', 'sortorder' => 9, 'hidden' => 0]);
        Fixtures::chooseOption($service, $this->backupsOption(), '30');
        $said = Module::runModuleCommand('ChangePackage', $service);
        $this->assertStringContainsString('the client chose 30 backups, which the product does not offer (its Module Settings offer: 7, 14)', $said);
        $this->assertSame([], $this->policiesOf($vmId), 'nothing was set');
    }

    public function testTheClientSeesTheirBackupsAndMovesThemToAnHourTheProductAllows(): void
    {
        $this->backupsProvider();
        [$service, $client, $vmId] = $this->builtService(null, null, '7');
        $patch = 'PATCH /disk_backup_policies/:disk_backup_policy';
        $this->inClientArea($client);
        $page = $this->page($service);
        $xpath = $this->xpath($page);
        $this->assertSame('7', trim($xpath->evaluate('string(//*[contains(@class,"katapult-backups-retention")])')));
        $this->assertSame('02:00 UTC', trim($xpath->evaluate('string(//*[contains(@class,"katapult-backups-time")])')));
        $this->assertMatchesRegularExpression('/^\d{4}-\d\d-\d\d 02:00 UTC$/', trim($xpath->evaluate('string(//*[contains(@class,"katapult-backups")]//time)')), 'the next run, as Katapult gave it');
        $this->assertSame(['2', '3', '4'], array_map(fn (DOMElement $o) => $o->getAttribute('value'), iterator_to_array($xpath->query('//select[@name="katapult_backup_hour"]/option'))));
        $form = $this->forms($page)['BackupTime'];
        $this->assertSame('post', $form['method']);

        $this->assertSame('success', $this->submit($service, $form, ['katapult_backup_hour' => '4']));
        $this->assertSame(4, $this->policy($this->policiesOf($vmId)[0]['id'])['schedule']['time']);
        $this->assertStringContainsString("Service ID $service: the daily backup's time was changed by the client: backups changed: 7 daily, at 04:00 UTC", $this->log());
        $this->assertSame('04:00 UTC', trim($this->xpath($this->page($service))->evaluate('string(//*[contains(@class,"katapult-backups-time")])')));

        // The same form again (a refresh, a bookmark): nothing happens.
        $this->assertSame(self::lang()['katapult_link_expired'], $this->submit($service, $form, ['katapult_backup_hour' => '3']));
        $this->assertSame(1, $this->sim->requests($patch));

        // An hour the product does not allow (a hand-made form): refused before Katapult is asked.
        foreach (['9', '3<script>', ''] as $hour) {
            $fresh = $this->forms($this->page($service))['BackupTime'];
            $this->assertSame(self::lang()['katapult_backup_time_not_offered'], $this->submit($service, $fresh, ['katapult_backup_hour' => $hour]));
        }
        $this->assertSame(1, $this->sim->requests($patch));
        $this->assertSame(3, substr_count($this->log(), "Service ID $service: the client's backup time change was refused: "));
        $this->assertSame(4, $this->policy($this->policiesOf($vmId)[0]['id'])['schedule']['time']);
    }

    public function testAServiceWithoutBackupsSaysHowToGetThem(): void
    {
        $this->backupsProvider();
        [$service, $client] = $this->builtService(null, null, '0');
        $this->inClientArea($client);
        $page = $this->page($service);
        $this->assertShows(self::lang()['katapult_backups_none'], $page);
        $this->assertArrayNotHasKey('BackupTime', $this->forms($page));
    }

    // ---------------------------------------------------------------------------------------
    // 11. Undoing a termination
    // ---------------------------------------------------------------------------------------

    public function testRestoreVmUndoesATerminationWithTheVmAsItWas(): void
    {
        $this->backupsProvider();
        [$service, $client, $vmId] = $this->builtService(null, null, '7');
        $before = Capsule::table('tblhosting')->where('id', $service)->first();
        $this->assertSame('RestoreVm', katapult_AdminCustomButtonArray()['Restore VM']);
        $_POST = ['katapult_backup_hour' => '4']; // the admin moves the backups, as a client can
        $this->assertSame('success', Module::call('BackupTime', $service));
        $_POST = [];

        $this->assertSame('success', Module::runModuleCommand('TerminateAccount', $service));
        $this->assertSame('Terminated', Capsule::table('tblhosting')->where('id', $service)->value('domainstatus'));
        $keepUntil = (int) $this->katapultGet("/trash_objects/_?trash_object[object_id]=$vmId")['trash_object']['keep_until'];
        $this->assertEqualsWithDelta(time() + 48 * 3600, $keepUntil, 60, 'Katapult keeps it 48 hours');
        $fields = katapult_AdminServicesTabFields(Module::buildParams($service));
        $this->assertSame("VM $vmId is in Katapult's trash until " . gmdate('Y-m-d H:i', $keepUntil) . ' UTC: press Restore VM to bring it back.', strip_tags($fields['Katapult trash']));

        $this->assertSame('success', Module::runModuleCommand('RestoreVm', $service));
        $after = Capsule::table('tblhosting')->where('id', $service)->first();
        $this->assertSame('Active', $after->domainstatus, 'as after an admin undoes a termination');
        $this->assertStringStartsWith('0000-00-00', (string) $after->termination_date);
        $this->assertSame([$before->domain, $before->dedicatedip], [$after->domain, $after->dedicatedip]);
        $this->assertSame($vmId, SalmonDataStore::get('service', $service, 'vm_id'));
        $this->assertSame($vmId, $this->api()->virtualMachine($vmId)['virtual_machine']['id'], 'out of the trash');
        $this->assertSame([7], array_column($this->policiesOf($vmId), 'retention'), 'its backups came back with it');
        $this->assertSame(4, $this->policy($this->policiesOf($vmId)[0]['id'])['schedule']['time'], 'at the hour they had');
        $this->assertStringContainsString("Service ID $service: VM $vmId restored from Katapult's trash by an admin", $this->log());
        $fields = katapult_AdminServicesTabFields(Module::buildParams($service));
        $this->assertArrayNotHasKey('Katapult trash', $fields);
        $this->assertSame('started', strip_tags($fields['VM state']));
        $this->inClientArea($client);
        $this->assertStringContainsString('katapult-overview', $this->page($service), 'the client has their server back');

        $this->assertSame("This service left no VM in Katapult's trash: there is nothing to restore.", Module::runModuleCommand('RestoreVm', $service));
    }

    public function testRestoreVmIsRefusedOnceTheServiceHasAnotherVmOrKatapultsTimeHasPassed(): void
    {
        [$service, , $vmId] = $this->builtService();
        $this->assertSame('success', Module::runModuleCommand('TerminateAccount', $service));
        $this->assertSame('success', Module::runModuleCommand('CreateAccount', $service)); // built anew
        $said = Module::runModuleCommand('RestoreVm', $service);
        $this->assertStringContainsString("restoring VM $vmId would leave one of them untracked", $said);
        $this->assertSame(406, $this->katapultStatus("/virtual_machines/$vmId"), 'still in the trash');

        [$other, , $otherVm] = $this->builtService();
        $this->assertSame('success', Module::runModuleCommand('TerminateAccount', $other));
        $this->sim->setClock(time() + 49 * 3600); // Katapult's 48 hours are over: it purged the VM
        $gone = "VM $otherVm is gone for good: Katapult purged it from its trash";
        $this->assertStringStartsWith($gone, strip_tags(katapult_AdminServicesTabFields(Module::buildParams($other))['Katapult trash']));
        $this->assertStringStartsWith($gone, Module::runModuleCommand('RestoreVm', $other));
        $this->assertSame('Terminated', Capsule::table('tblhosting')->where('id', $other)->value('domainstatus'));
    }

    public function testAProductThatPurgesAtOnceLeavesNothingToRestore(): void
    {
        $product = $this->provider();
        Capsule::table('tblproducts')->where('id', $product)->update(['configoption8' => 'on']); // "Purge the VM on termination"
        [$service, , $vmId] = $this->builtService($product);
        $this->assertSame('success', Module::runModuleCommand('TerminateAccount', $service));
        $this->assertStringContainsString("VM $vmId moved to Katapult's trash (trsh_", $this->log());
        $this->assertMatchesRegularExpression('/and purged at once \(task (task_\w+)\)/', $this->log());
        preg_match('/and purged at once \(task (task_\w+)\)/', $this->log(), $purge);
        $deadline = microtime(true) + 20;
        while ($this->api()->task($purge[1])['status'] !== 'completed' && microtime(true) < $deadline) {
            usleep(50_000);
        }
        $this->assertSame(404, $this->katapultStatus("/virtual_machines/$vmId"), 'gone, not in the trash');
        $this->assertArrayNotHasKey('Katapult trash', katapult_AdminServicesTabFields(Module::buildParams($service)));
        $this->assertStringContainsString('nothing to restore', Module::runModuleCommand('RestoreVm', $service));
    }

    // =======================================================================================
    // Helpers
    // =======================================================================================

    private function startSim(string $buildSpeed = 'poll:2'): void
    {
        $this->sim?->stop();
        // IPv6 only when asked for, as on Katapult: these tests show both address families.
        $this->sim = Simulator::forTheModule(['--ipv6'], $buildSpeed);
    }

    private function api(): Katapult\ApiClient
    {
        return new Katapult\ApiClient('sim-token', $this->sim->baseUrl);
    }

    private ?int $productId = null;

    /** A Katapult product with the API key saved on its Other tab, and a server. */
    private function provider(): int
    {
        if ($this->sim === null) {
            $this->startSim();
        }
        $product = $this->katapultProductId();
        $_POST = ['katapult_api_key' => 'sim-token', 'katapult_parent_organization' => ''];
        run_hook('AdminProductConfigFieldsSave', ['pid' => $product]);
        $_POST = [];
        Fixtures::server();
        return $product;
    }

    /** The Katapult product offering 7 or 14 daily backups at 02:00 to 04:00, set up as provider() does. */
    private function backupsProvider(): int
    {
        Capsule::table('tblproducts')->where('id', $this->katapultProductId())->update(['configoption6' => '7, 14', 'configoption7' => '2-4']);
        return $this->provider();
    }

    private function backupsOption(): int
    {
        return (int) SalmonDataStore::get('module_setting', 'katapult', 'vm_config_option_backups_id');
    }

    /** @return list<string> an option's choices, in order */
    private function choices(int $option): array
    {
        return Capsule::table('tblproductconfigoptionssub')->where('configid', $option)->orderBy('sortorder')->pluck('optionname')->all();
    }

    /** @return list<array<string, mixed>> the VM's disk backup policies, as Katapult lists them */
    private function policiesOf(string $vmId): array
    {
        return $this->katapultGet("/virtual_machines/_/disk_backup_policies?virtual_machine[id]=$vmId")['disk_backup_policies'];
    }

    /** @return array<string, mixed> one policy, as Katapult gives it */
    private function policy(string $id): array
    {
        return $this->katapultGet("/disk_backup_policies/_?disk_backup_policy[id]=$id")['disk_backup_policy'];
    }

    /** @return array<string, mixed> a GET from the simulator's API, as the module's key sees it */
    private function katapultGet(string $path): array
    {
        $context = stream_context_create(['http' => ['header' => "Authorization: Bearer sim-token\r\n", 'ignore_errors' => true]]);
        return (array) json_decode((string) file_get_contents($this->sim->baseUrl . $path, false, $context), true, 512, JSON_THROW_ON_ERROR);
    }

    /** The HTTP status of a GET from the simulator's API. */
    private function katapultStatus(string $path): int
    {
        $context = stream_context_create(['http' => ['header' => "Authorization: Bearer sim-token\r\n", 'ignore_errors' => true]]);
        file_get_contents($this->sim->baseUrl . $path, false, $context);
        return (int) explode(' ', $http_response_header[0])[1];
    }

    private function katapultProductId(): int
    {
        return $this->productId ??= (int) Fixtures::product(['servertype' => 'katapult', 'configoption1' => 'rock-3', 'configoption2' => 'uk-lon-01', 'configoption3' => 'templates/ubuntu-22-04'])->id;
    }

    /** @return array{0: int, 1: int} a service whose CreateAccount requested the build, and its client */
    private function orderedService(int $product, ?int $client = null, string $domain = 'web.example.com'): array
    {
        $client ??= (int) Fixtures::client()->id;
        $service = (int) Fixtures::service($client, $product, ['domain' => $domain])->id;
        $this->assertSame('success', Module::runModuleCommand('CreateAccount', $service));
        return [$service, $client];
    }

    /**
     * A service with a running VM: service, client, VM id. $backups: the client's "Backups" choice.
     *
     * @return array{0: int, 1: int, 2: string}
     */
    private function builtService(?int $product = null, ?int $client = null, ?string $backups = null): array
    {
        $product ??= $this->productId ?? $this->provider();
        $client ??= (int) Fixtures::client()->id;
        $service = (int) Fixtures::service($client, $product, ['domain' => 'web' . bin2hex(random_bytes(2)) . '.example.com'])->id;
        if ($backups !== null) {
            Fixtures::chooseOption($service, $this->backupsOption(), $backups);
        }
        $this->assertSame('success', Module::runModuleCommand('CreateAccount', $service));
        $this->waitUntilBuilt([$service]);
        $vmId = (string) SalmonDataStore::get('service', $service, 'vm_id');
        $this->waitForState($vmId, 'started');
        return [$service, $client, $vmId];
    }

    /** @param list<int> $services */
    private function waitUntilBuilt(array $services): void
    {
        $deadline = microtime(true) + 20;
        $pending = fn () => array_filter($services, fn ($s) => SalmonDataStore::get('service', $s, 'vm_id') === null);
        while ($pending() !== [] && microtime(true) < $deadline) {
            Cron::run();
        }
        $this->assertSame([], array_values($pending()), 'built');
    }

    private function waitForState(string $vmId, string $state): void
    {
        $deadline = microtime(true) + 20;
        while (($now = $this->api()->virtualMachine($vmId)['virtual_machine']['state']) !== $state && microtime(true) < $deadline) {
            usleep(20_000);
        }
        $this->assertSame($state, $now);
    }

    /** Counts KatapultVirtualMachineBuilt in this process, and logs each firing (other processes too). */
    private function countBuiltHooks(): object
    {
        $counter = new class () {
            public int $count = 0;
        };
        add_hook('KatapultVirtualMachineBuilt', 0, function ($service) use ($counter): void {
            $counter->count++;
            logActivity("ClientAreaTest: Built hook fired for service {$service->id}");
        });
        return $counter;
    }

    /** The panel's last reads of the VMs are no longer fresh, as a few seconds later. */
    private function aFewSecondsLater(): void
    {
        Capsule::table('mod_katapult_vm_reads')->update(['read_at' => time() - 60]);
    }

    /**
     * The panel's action forms (its footer's buttons and the backups section's time form; the
     * Manage section's forms are SelfServiceTest's), by the function they post to ('Console' for
     * the console).
     *
     * @return array<string, array{url: string, method: string, target: string, csrf: string, token: string, confirm: string}>
     */
    private function forms(string $html): array
    {
        $forms = [];
        foreach ($this->xpath($html)->query('//*[contains(@class,"katapult-actions")]//form | //*[contains(@class,"katapult-backups")]//form') as $form) {
            assert($form instanceof DOMElement);
            $url = $form->getAttribute('action');
            parse_str((string) parse_url($url, PHP_URL_QUERY), $query);
            $key = isset($query['dosinglesignon']) ? 'Console' : (string) ($query['a'] ?? '?');
            $this->assertArrayNotHasKey($key, $forms);
            $field = function (string $name) use ($form): string {
                foreach ($form->getElementsByTagName('input') as $input) {
                    if ($input->getAttribute('name') === $name) {
                        return $input->getAttribute('value');
                    }
                }
                return '';
            };
            $button = $form->getElementsByTagName('button')->item(0);
            $forms[$key] = [
                'url' => $url,
                'method' => strtolower($form->getAttribute('method')),
                'target' => $form->getAttribute('target'),
                'csrf' => $field('token'),
                'token' => $field('katapult_token'),
                'confirm' => $button instanceof DOMElement ? $button->getAttribute('data-katapult-confirm') : '',
            ];
        }
        return $forms;
    }

    /** Submits one of the panel's forms as the browser posts it (to the form's own URL), with the form's other $fields. */
    private function submit(int $service, array $form, array $fields = []): mixed
    {
        parse_str((string) parse_url($form['url'], PHP_URL_QUERY), $query);
        $this->assertSame((string) $service, $query['id'] ?? null, 'the form posts to its own service');
        $function = isset($query['dosinglesignon']) ? 'ServiceSingleSignOn' : (string) $query['a'];
        return $this->request($service, $function, $form['token'], $form['csrf'], $fields);
    }

    /** A POST to the service's custom function (or single sign-on) carrying this katapult_token (and $fields). */
    private function request(int $service, string $function, mixed $token, ?string $csrf = null, array $fields = []): mixed
    {
        $_GET = $function === 'ServiceSingleSignOn'
            ? ['action' => 'productdetails', 'id' => (string) $service, 'dosinglesignon' => '1']
            : ['action' => 'productdetails', 'id' => (string) $service, 'modop' => 'custom', 'a' => $function];
        $_POST = Environment::asSubmitted($fields) + ['token' => $csrf ?? generate_token('plain'), 'katapult_token' => $token];
        try {
            return Module::call($function, $service);
        } finally {
            $_POST = [];
        }
    }

    /** Presses Show on the page's password field: the password it fetches, or "refused: <why>". */
    private function passwordShown(int $service, string $html): string
    {
        $token = (string) $this->xpath($html)->evaluate('string(//input[contains(@class,"katapult-password")]/@data-katapult-fetch-token)');
        $_POST = ['token' => generate_token('plain'), 'katapult_token' => $token];
        try {
            $answer = json_decode(\Katapult\Module\revealPassword(Module::buildParams($service), katapult_client_request()), true, 512, JSON_THROW_ON_ERROR);
        } finally {
            $_POST = [];
        }
        return $answer['password'] ?? 'refused: ' . $answer['error'];
    }

    /** @return array<string, string> the overview's details, label => text */
    private function details(DOMXPath $xpath): array
    {
        $details = [];
        foreach ($xpath->query('//dl[contains(@class,"katapult-details")]/dt') as $dt) {
            $dd = $dt->nextSibling;
            while ($dd !== null && !($dd instanceof DOMElement)) {
                $dd = $dd->nextSibling;
            }
            $details[trim($dt->textContent)] = trim((string) $dd?->textContent);
        }
        return $details;
    }

    /** No markup came through: the page's only script is the module's own, and no handler attributes. */
    private function assertSafe(string $page): void
    {
        $xpath = $this->xpath($page);
        $scripts = array_map(fn (DOMElement $s) => $s->getAttribute('src'), iterator_to_array($xpath->query('//script')));
        $this->assertCount(1, $scripts, 'only the module\'s script');
        $this->assertStringStartsWith('modules/servers/katapult/', $scripts[0]);
        $this->assertSame(0, $xpath->query('//img')->length);
        $this->assertSame(0, $xpath->query('//@*[starts-with(name(), "on")]')->length, 'no event handler attribute');
        $this->assertStringNotContainsString('<script>', $page);
    }

    /** The page shows $text (as the browser does: after decoding the HTML). */
    private function assertShows(string $text, string $html, string $message = ''): void
    {
        $this->assertStringContainsString($text, $this->xpath($html)->document->textContent, $message);
    }

    private function log(): string
    {
        return implode("\n", ActivityLog::descriptions());
    }

    // --- Another PHP process on the same database: a second web node, or a cron run ---------

    /** @param array<string, mixed> $job */
    private function otherNode(array $job): mixed
    {
        return $this->finishOtherProcess($this->startOtherProcess($job));
    }

    /**
     * @param array<string, mixed> $job ['do' => 'cron'] or ['do' => 'call', 'function', 'service', 'client', 'post']
     * @return array{0: resource, 1: array<int, resource>}
     */
    private function startOtherProcess(array $job): array
    {
        $script = sys_get_temp_dir() . '/katapult-clientarea-node-' . getmypid() . '.php';
        if (!is_file($script)) {
            $this->write($script, <<<'PHP'
                <?php
                // A second WHMCS process on the same database (ClientAreaTest): a client-area request or a cron run.
                declare(strict_types=1);
                require $argv[1] . '/tests/php-whmcs/bootstrap.php';
                $job = json_decode($argv[2], true, 512, JSON_THROW_ON_ERROR);
                if ($job['do'] === 'cron') {
                    add_hook('KatapultVirtualMachineBuilt', 0, function ($service): void {
                        logActivity("ClientAreaTest: Built hook fired for service {$service->id}");
                    });
                    WhmcsStandIn\Cron::run();
                    echo json_encode(null);
                    exit(0);
                }
                define('CLIENTAREA', true);
                WhmcsStandIn\Session::asClient((int) $job['client']);
                $_SESSION['Language'] = $job['language'] ?? 'english';
                $_POST = $job['post'] ?? [];
                echo json_encode(WhmcsStandIn\Module::call($job['function'], (int) $job['service']), JSON_THROW_ON_ERROR);
                PHP);
        }
        // The extension comes from PHP_INI_SCAN_DIR (see setUpBeforeClass), as for this process.
        $loaded = str_contains((string) getenv('PHP_INI_SCAN_DIR'), self::INI_FOLDER);
        $command = [PHP_BINARY, ...($loaded ? [] : ['-d', 'extension=' . self::extensionPath()]), $script, dirname(__DIR__, 2), json_encode($job, JSON_THROW_ON_ERROR)];
        $process = proc_open($command, [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes);
        $this->assertIsResource($process);
        return [$process, $pipes];
    }

    /** @param array{0: resource, 1: array<int, resource>} $started */
    private function finishOtherProcess(array $started): mixed
    {
        [$process, $pipes] = $started;
        $out = (string) stream_get_contents($pipes[1]);
        $err = (string) stream_get_contents($pipes[2]);
        $this->assertSame(0, proc_close($process), $out . $err);
        return json_decode($out, true, 512, JSON_THROW_ON_ERROR);
    }

    // --- A fake Katapult answering one VM, for values the simulator would refuse -------------

    private ?string $fakeDir = null;

    /** Starts PHP's built-in server answering every VM lookup with $vm, at the module's API URL. */
    private function fakeApi(array $vm): void
    {
        $this->fakeDir = sys_get_temp_dir() . '/katapult-clientarea-fake-' . getmypid();
        $this->makeDir($this->fakeDir);
        $this->write("$this->fakeDir/router.php", <<<'PHP'
            <?php
            $path = (string) parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH);
            header('Content-Type: application/json');
            if ($_SERVER['REQUEST_METHOD'] !== 'GET' && is_file(__DIR__ . '/error.json')) {
                http_response_code(422);
                readfile(__DIR__ . '/error.json');
                return true;
            }
            if (str_starts_with($path, '/core/v1/virtual_machines/')) {
                readfile(__DIR__ . '/vm.json');
                return true;
            }
            http_response_code(404);
            echo '{"error":{"code":"route_not_found","description":"not faked","detail":null}}';
            return true;
            PHP);
        $this->writeFakeVm($vm);
        // It takes the simulator's place at the module's API URL (fixed when this process started).
        $this->sim?->stop();
        $this->sim = null;
        $port = (int) substr(Simulator::moduleAddress(), strlen('127.0.0.1:'));
        $process = proc_open([PHP_BINARY, '-n', '-S', "127.0.0.1:$port", "$this->fakeDir/router.php"], [1 => ['file', '/dev/null', 'a'], 2 => ['file', '/dev/null', 'a']], $pipes);
        $this->assertIsResource($process);
        $this->helpers[] = $process;
        $deadline = microtime(true) + 5;
        while (!($c = @fsockopen('127.0.0.1', $port)) && microtime(true) < $deadline) {
            usleep(20_000);
        }
        $this->assertNotFalse($c, 'the fake API listens');
        fclose($c);
    }

    private function writeFakeVm(array $vm): void
    {
        $this->write("$this->fakeDir/vm.json", json_encode($vm, JSON_THROW_ON_ERROR | JSON_UNESCAPED_SLASHES));
    }

    // --- Temporary files under overrides/ (of the module's temporary copy, see bootstrap.php) ---

    /** Writes overrides/<relative> (views/..., assets/..., lang/...); returns its path. */
    private function override(string $relative, string $content): string
    {
        $path = katapult_test_module_dir() . '/overrides/' . $relative;
        $this->makeDir(dirname($path));
        $this->write($path, $content);
        return $path;
    }

    private function overrideLink(string $relative, string $target): void
    {
        $path = katapult_test_module_dir() . '/overrides/' . $relative;
        $this->makeDir(dirname($path));
        $this->assertFalse(file_exists($path) || is_link($path), "$path exists");
        $this->made[] = $path;
        $this->assertTrue(symlink($target, $path));
    }

    private function write(string $path, string $content): void
    {
        if (!in_array($path, $this->made, true)) {
            $this->assertFalse(file_exists($path) || is_link($path), "$path exists: not overwriting it");
            $this->made[] = $path;
        }
        file_put_contents($path, $content);
    }

    private function makeDir(string $dir): void
    {
        $missing = [];
        for ($d = $dir; !is_dir($d) && !is_link($d); $d = dirname($d)) {
            $missing[] = $d;
        }
        foreach (array_reverse($missing) as $d) {
            mkdir($d);
            $this->made[] = $d;
        }
    }

    private function removeWhatWasMade(): void
    {
        foreach ($this->helpers as $process) {
            if (is_resource($process)) {
                proc_terminate($process);
                proc_close($process);
            }
        }
        $this->helpers = [];
        foreach (array_reverse($this->made) as $path) {
            if (is_link($path) || is_file($path)) {
                @unlink($path);
            } elseif (is_dir($path)) {
                @rmdir($path);
            }
        }
        $this->made = [];
    }

    /** Removes what this test made under overrides/<relative> (deepest first). */
    private function removeOverrides(string $relative): void
    {
        $prefix = katapult_test_module_dir() . '/overrides/' . $relative;
        $keep = [];
        foreach (array_reverse($this->made) as $path) {
            if ($path === $prefix || str_starts_with($path, "$prefix/")) {
                if (is_link($path) || is_file($path)) {
                    unlink($path);
                } elseif (is_dir($path)) {
                    rmdir($path);
                }
            } else {
                $keep[] = $path;
            }
        }
        $this->made = array_reverse($keep);
    }

    /** Files a test process killed earlier in this run may have left in overrides/ (only ours: marked or linked). */
    private function removeLeftovers(): void
    {
        $overrides = katapult_test_module_dir() . '/overrides';
        if (!is_dir($overrides)) {
            return;
        }
        $items = new RecursiveIteratorIterator(new RecursiveDirectoryIterator($overrides, FilesystemIterator::SKIP_DOTS), RecursiveIteratorIterator::CHILD_FIRST);
        foreach ($items as $item) {
            $path = $item->getPathname();
            if (is_link($path) && str_contains((string) readlink($path), 'katapult-clientarea-')) {
                unlink($path);
            } elseif (is_file($path) && !is_link($path) && (str_contains((string) file_get_contents($path), self::MARKER) || str_contains((string) file_get_contents($path), 'provider-marker-'))) {
                unlink($path);
            } elseif (is_dir($path) && !is_link($path) && count(scandir($path)) === 2 && in_array(substr($path, strlen($overrides) + 1), ['views/client/virtual_machines', 'views/client', 'views', 'assets/css', 'assets', 'lang'], true)) {
                rmdir($path);
            }
        }
    }
}
