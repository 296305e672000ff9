<?php
/**
 * The invariants of a run that drove services through their lives (the soak, the cluster run):
 * one build per service, the Built hook and the welcome email once each, nothing lost or
 * half-written, WHMCS equal to Katapult, nothing left due. Figures go into `$figures`, each
 * broken invariant into `$violations`.
 */

declare(strict_types=1);

namespace Katapult\Tests\Soak;

use Katapult\Tests\Support\Simulator;
use WHMCS\Database\Capsule;
use WhmcsStandIn\Mailer;
use WhmcsStandIn\SalmonDataStore;

final class Invariants
{
    /** @var list<string> */
    public array $violations = [];
    /** @var array<string, mixed> */
    public array $figures = [];

    /** The provider hook that records each Built hook as a row (`hook_calls` table). */
    public const HOOK_TABLE = 'soak_hook_calls';

    public function __construct(private readonly Simulator $sim, private readonly string $welcomeTemplate)
    {
    }

    /** Creates the hook table and the hook file a run's WHMCS loads (`includes/hooks/soak.php`). */
    public static function installHooks(): void
    {
        Capsule::schema()->dropIfExists(self::HOOK_TABLE);
        Capsule::schema()->create(self::HOOK_TABLE, function ($table): void {
            $table->increments('id');
            $table->string('hook');
            $table->integer('service_id');
        });
        file_put_contents(ROOTDIR . '/includes/hooks/soak.php', <<<'PHP'
        <?php
        // The run's provider hooks: each call is a row written in WHMCS's database, as most hooks do.
        foreach (['KatapultVirtualMachineBuilt' => 'Built', 'KatapultVirtualMachineBuildRequested' => 'Requested'] as $point => $name) {
            add_hook($point, 1, function ($service) use ($name) {
                WHMCS\Database\Capsule::table('soak_hook_calls')->insert(['hook' => $name, 'service_id' => $service->id]);
            });
        }
        PHP);
        require_once ROOTDIR . '/includes/hooks/soak.php';
    }

    /** Prints the violations (the first 20); the run's exit status. */
    public function printViolations(): int
    {
        printf("  invariant violations: %d\n", count($this->violations));
        foreach (array_slice($this->violations, 0, 20) as $violation) {
            echo "    - $violation\n";
        }
        return $this->violations === [] ? 0 : 1;
    }

    public function violate(string $what): void
    {
        $this->violations[] = $what;
    }

    /**
     * Checks every service's end.
     *
     * @param array<int, array{state: string, vm_id: ?string}> $life by service id; `terminated` or live
     */
    public function check(array $life): void
    {
        $stats = $this->sim->stats();
        $this->figures['api_requests'] = $stats['total_requests'] ?? 0;

        // Every service built exactly once: one build per WHMCS service annotation, and no other.
        $builds = $stats['builds_by_whmcs_service_id'] ?? [];
        $this->figures['builds'] = array_sum($builds);
        if (count($builds) !== count($life) || array_unique(array_values($builds)) !== [1]) {
            $this->violate(sprintf('builds per service: %d services built, counts %s', count($builds), json_encode(array_count_values(array_values($builds)))));
        }

        // Every Built hook once, every welcome email once (after the build, with the VM's address).
        $hookCalls = Capsule::table(self::HOOK_TABLE)->where('hook', 'Built')->pluck('service_id')->map(fn ($id) => (int) $id)->all();
        $this->figures['built_hooks'] = count($hookCalls);
        $emails = array_filter(Mailer::sent(), fn (array $email) => $email['template'] === $this->welcomeTemplate);
        $this->figures['welcome_emails'] = count($emails);
        $emailsBy = array_count_values(array_map(fn (array $email) => $email['relid'], $emails));
        foreach (array_keys($life) as $id) {
            $hooks = count(array_keys($hookCalls, $id, true));
            if ($hooks !== 1) {
                $this->violate("service $id: the Built hook fired $hooks times");
            }
            if (($emailsBy[$id] ?? 0) !== 1) {
                $this->violate("service $id: " . ($emailsBy[$id] ?? 0) . ' welcome emails');
            }
        }
        foreach ($emails as $email) {
            if (($email['mergefields']['katapult_vm_ip'] ?? '') === '') {
                $this->violate("service {$email['relid']}: the welcome email went out without the VM's address");
            }
        }

        // No datastore row lost or half-written: every value decodes; each live service has its
        // VM, the VM matches what WHMCS holds, and nothing is left due; terminated services' VMs
        // are gone.
        $rows = Capsule::table('mod_salmon_data_store_items')->get();
        $this->figures['datastore_rows'] = count($rows);
        foreach ($rows as $row) {
            if ($row->value !== 'b:0;' && @unserialize((string) $row->value, ['allowed_classes' => false]) === false) {
                $this->violate("datastore row {$row->id} ({$row->key}) does not decode");
            }
        }
        $api = new \Katapult\ApiClient('sim-token', $this->sim->baseUrl);
        foreach ($life as $id => $service) {
            $left = array_filter(['vm_built_announcement_due', 'welcome_email_held'], fn ($key) => SalmonDataStore::get('service', $id, $key) !== null);
            if ($left !== []) {
                $this->violate("service $id: left due: " . implode(', ', $left));
            }
            if ($service['state'] === 'terminated') {
                $this->checkGone($api, $id, (string) $service['vm_id']);
                continue;
            }
            $this->checkEqual($api, $id, $service);
        }
    }

    /**
     * No address leaked or doubled: in every client's managed organization each address is
     * allocated (an extra one left unallocated is paid for and unused), and none is listed twice.
     *
     * @param list<int> $clients
     */
    public function extraAddressesAllocated(array $clients): void
    {
        $api = new \Katapult\ApiClient('sim-token', $this->sim->baseUrl);
        foreach ($clients as $client) {
            $org = SalmonDataStore::get('client', $client, 'managed_org_id');
            if ($org === null) {
                continue;
            }
            $addresses = $api->ipAddresses((string) $org);
            foreach ($addresses as $ip) {
                if (($ip['allocation_id'] ?? null) === null) {
                    $this->violate("client $client: address {$ip['address']} is left unallocated in its organization");
                }
            }
            $all = array_column($addresses, 'address');
            if (count($all) !== count(array_unique($all))) {
                $this->violate("client $client: an address is listed twice");
            }
        }
    }

    /**
     * The backups slice: each service restored after its termination, linked again to the VM it
     * had, Active, with one policy of 14 backups (its upgraded option); no other live VM has a
     * policy (their services chose none).
     *
     * @param array<int, array{state: string, backups: bool, vm_id: ?string}> $life
     */
    public function backupsRestored(array $life): void
    {
        $api = new \Katapult\ApiClient('sim-token', $this->sim->baseUrl);
        $this->figures['restored'] = 0;
        foreach ($life as $id => $service) {
            if ($service['state'] === 'terminated') {
                continue;
            }
            try {
                $retentions = array_column($api->diskBackupPolicies((string) $service['vm_id']), 'retention');
            } catch (\Throwable $e) {
                $this->violate("service $id: the backup policies of VM {$service['vm_id']} cannot be read: {$e->getMessage()}");
                continue;
            }
            if (!$service['backups']) {
                if ($retentions !== []) {
                    $this->violate("service $id: chose no backups, but its VM has policies keeping " . json_encode($retentions));
                }
                continue;
            }
            $this->figures['restored'] += $service['state'] === 'restored' ? 1 : 0;
            if ((string) SalmonDataStore::get('service', $id, 'vm_id') !== (string) $service['vm_id']) {
                $this->violate("service $id: restored, but linked to " . json_encode(SalmonDataStore::get('service', $id, 'vm_id')) . " instead of its VM {$service['vm_id']}");
            }
            if (Capsule::table('tblhosting')->where('id', $id)->value('domainstatus') !== 'Active') {
                $this->violate("service $id: restored, but not Active");
            }
            if ($retentions !== [14]) {
                $this->violate("service $id: its VM's backup policies keep " . json_encode($retentions) . ' backups, not [14] as its option says');
            }
        }
    }

    /**
     * Every failed module command said why.
     *
     * @param list<array{service: int, command: string, message: string}> $failures
     */
    public function failuresHaveReasons(array $failures): void
    {
        foreach ($failures as $failure) {
            $message = trim($failure['message']);
            if ($message === '' || $message === 'An unknown error occurred') {
                $this->violate("{$failure['command']} for service {$failure['service']} failed without a reason");
            }
        }
    }

    /** A terminated service: unlinked in WHMCS, and its VM gone from Katapult. */
    private function checkGone(\Katapult\ApiClient $api, int $id, string $vmId): void
    {
        if (SalmonDataStore::get('service', $id, 'vm_id') !== null) {
            $this->violate("service $id: terminated, but still linked to a VM");
        }
        // Gone means Katapult says so: the VM is in the trash (406 object_in_trash) or no longer
        // found (404 virtual_machine_not_found); any other failure proves nothing.
        try {
            $api->virtualMachine($vmId);
            $this->violate("service $id: terminated, but its VM $vmId is still there");
        } catch (\Katapult\ApiException $e) {
            if (!in_array($e->errorCode, ['object_in_trash', 'virtual_machine_not_found'], true)) {
                $this->violate("service $id: terminated, and reading its VM $vmId failed without saying it is gone: {$e->getMessage()}");
            }
        }
    }

    /**
     * A live service: WHMCS holds its VM's FQDN, first IPv4, `root` and initial root password; the
     * VM has as many extra IPv4 addresses as the option now says, and they are WHMCS's assigned IPs.
     *
     * @param array{vm_id: ?string, extra_ipv4?: ?array{changed_to: int}} $service
     */
    private function checkEqual(\Katapult\ApiClient $api, int $id, array $service): void
    {
        $vmId = (string) $service['vm_id'];
        $hosting = Capsule::table('tblhosting')->where('id', $id)->first();
        try {
            $vm = $api->virtualMachine($vmId)['virtual_machine'] ?? [];
        } catch (\Throwable $e) {
            $this->violate("service $id: its VM $vmId cannot be read: {$e->getMessage()}");
            return;
        }
        $ipv4 = array_values(array_filter(array_column($vm['ip_addresses'] ?? [], 'address'), fn ($ip) => filter_var($ip, FILTER_VALIDATE_IP, FILTER_FLAG_IPV4)));
        $wantedExtra = $service['extra_ipv4']['changed_to'] ?? 0;
        if (count($ipv4) !== 1 + $wantedExtra) {
            $this->violate(sprintf('service %d: its VM has %d IPv4 addresses, the option says 1 + %d', $id, count($ipv4), $wantedExtra));
        }
        if ((string) $hosting->assignedips !== implode("\n", array_slice($ipv4, 1))) {
            $this->violate("service $id: WHMCS's assigned IPs " . json_encode($hosting->assignedips) . ' are not the VM\'s others ' . json_encode(array_slice($ipv4, 1)));
        }
        $expected = ['domain' => $vm['fqdn'] ?? '', 'dedicatedip' => $ipv4[0] ?? '', 'username' => 'root', 'password' => $vm['initial_root_password'] ?? ''];
        $actual = ['domain' => $hosting->domain, 'dedicatedip' => $hosting->dedicatedip, 'username' => $hosting->username, 'password' => decrypt((string) $hosting->password)];
        if ($expected !== $actual || $expected['password'] === '') {
            $this->violate("service $id: WHMCS holds " . json_encode(array_diff_assoc($actual, $expected)) . ' where Katapult has ' . json_encode(array_diff_assoc($expected, $actual)));
        }
    }
}
