<?php
/** The services' lives a run drives (the soak, the cluster run): each state's next command. */

declare(strict_types=1);

namespace Katapult\Tests\Soak;

use WHMCS\Database\Capsule;
use WhmcsStandIn\Fixtures;
use WhmcsStandIn\Module;

final class Lives
{
    /** The backups slice's life once active: the upgrade to 14 backups, Terminate, Restore VM. */
    private const BACKUPS_LIFE = ['active' => 'ChangePackage', 'changed' => 'TerminateAccount', 'trashed' => 'RestoreVm'];

    /** The state a successful command leaves a service in. */
    private const AFTER = ['CreateAccount' => 'requested', 'SuspendAccount' => 'suspended', 'UnsuspendAccount' => 'active', 'ChangePackage' => 'changed', 'TerminateAccount' => 'terminated', 'RestoreVm' => 'restored'];

    /** @param array<string, string> $next the command each state waits for ('active' ends a life, or terminates it) */
    public function __construct(private readonly array $next)
    {
    }

    /**
     * WHMCS with the module loaded, the run's hooks, one Katapult product whose welcome email
     * (`$welcomeTemplate`) waits for the VM, its API key saved, a server, a client for every five
     * services, and the services, ordered; every fifth is to end terminated. With `$extraIpv4`,
     * every third orders 1 or 2 extra IPv4 addresses (the synced option) and later changes to 2 or 0.
     * With `$backups`, the product offers 7 or 14 daily backups (from 01:00 to 05:00 UTC), and
     * another fifth orders 7 (the synced "Backups" option), is upgraded to 14, terminated (its VM
     * left in Katapult's trash) and restored with "Restore VM"; these order no extra IPv4.
     *
     * @return array{product: int, clients: list<int>, extraIpv4Option: int, backupsOption: int, life: array<int, array{state: string, terminate: bool, backups: bool, vm_id: ?string, extra_ipv4: ?array{ordered: int, changed_to: int}}>}
     */
    public static function setUp(string $welcomeTemplate, int $serviceCount, string $domainPrefix, bool $extraIpv4 = false, bool $backups = false): array
    {
        Invariants::installHooks();
        Module::load(dirname(__DIR__, 3) . '/module');
        $welcome = Fixtures::emailTemplate($welcomeTemplate, ['message' => 'Your VM {$katapult_vm_hostname} is at {$katapult_vm_ip}.']);
        $product = (int) Fixtures::product(['servertype' => 'katapult', 'welcomeemail' => $welcome, 'configoption1' => 'rock-3', 'configoption2' => 'uk-lon-01', 'configoption3' => 'templates/ubuntu-22-04'] + ($backups ? ['configoption6' => '7, 14', 'configoption7' => '1-5'] : []))->id;
        $_POST = ['katapult_api_key' => 'sim-token', 'katapult_parent_organization' => ''];
        run_hook('AdminProductConfigFieldsSave', ['pid' => $product]);
        $_POST = [];
        Fixtures::server();
        $clients = array_map(fn () => (int) Fixtures::client()->id, range(1, max(1, intdiv($serviceCount, 5))));
        $extraIpv4Option = (int) Capsule::table('tblproductconfigoptions')->where('optionname', 'Extra IPv4 Addresses')->value('id');
        $backupsOption = (int) Capsule::table('tblproductconfigoptions')->where('optionname', 'Backups')->value('id');
        $life = [];
        foreach (range(0, $serviceCount - 1) as $i) {
            $id = (int) Fixtures::service($clients[$i % count($clients)], $product, ['domain' => "$domainPrefix$i.example.com"])->id;
            $backed = $backups && $i % 5 === 2;
            if ($backed) {
                Fixtures::chooseOption($id, $backupsOption, '7');
            }
            $extra = $extraIpv4 && !$backed && $i % 3 === 1 ? ['ordered' => 1 + intdiv($i, 3) % 2, 'changed_to' => intdiv($i, 3) % 2 === 0 ? 2 : 0] : null;
            if ($extra !== null) {
                Fixtures::chooseOption($id, $extraIpv4Option, $extra['ordered']);
            }
            $life[$id] = ['state' => 'ordered', 'terminate' => $i % 5 === 4, 'backups' => $backed, 'vm_id' => null, 'extra_ipv4' => $extra];
        }
        return ['product' => $product, 'clients' => $clients, 'extraIpv4Option' => $extraIpv4Option, 'backupsOption' => $backupsOption, 'life' => $life];
    }

    /** @param array{state: string, terminate: bool, backups?: bool, extra_ipv4?: ?array} $service */
    public function nextCommand(array $service): ?string
    {
        if ($service['backups'] ?? false) {
            return self::BACKUPS_LIFE[$service['state']] ?? $this->next[$service['state']] ?? null;
        }
        if ($service['state'] === 'active' && ($service['extra_ipv4'] ?? null) !== null) {
            return 'ChangePackage';
        }
        if ($service['state'] === 'active' || $service['state'] === 'changed') {
            return $service['terminate'] ? 'TerminateAccount' : null;
        }
        return $this->next[$service['state']] ?? null;
    }

    /**
     * The state `$command` done leaves the service in; a terminated service of the backups slice
     * is `trashed` (its VM waits in Katapult's trash to be restored).
     *
     * @param array{state: string, backups?: bool} $service
     */
    public static function after(array $service, string $command): string
    {
        return ($service['backups'] ?? false) && $command === 'TerminateAccount' ? 'trashed' : self::AFTER[$command];
    }

    /** @param array<int, array{state: string, terminate: bool}> $life */
    public function unfinished(array $life): int
    {
        return count(array_filter($life, fn (array $s) => $this->nextCommand($s) !== null || $s['state'] === 'requested'));
    }
}
