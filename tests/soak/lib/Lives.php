<?php
/** The services' lives a run drives (the soak, the cluster run): each state's next command. */

declare(strict_types=1);

namespace Katapult\Tests\Soak;

use WHMCS\Database\Capsule;
use WhmcsStandIn\Fixtures;
use WhmcsStandIn\Module;

final class Lives
{
    /** @param array<string, string> $next the command each state waits for ('active' ends a life, or terminates it) */
    public function __construct(private readonly array $next)
    {
    }

    /**
     * WHMCS with the module loaded, the run's hooks, one Katapult product whose welcome email
     * (`$welcomeTemplate`) waits for the VM, its API key saved, a server, a client for every five
     * services, and the services, ordered; every fifth is to end terminated. With `$extraIpv4`,
     * every third orders 1 or 2 extra IPv4 addresses (the synced option) and later changes to 2 or 0.
     *
     * @return array{product: int, clients: list<int>, extraIpv4Option: int, life: array<int, array{state: string, terminate: bool, vm_id: ?string, extra_ipv4: ?array{ordered: int, changed_to: int}}>}
     */
    public static function setUp(string $welcomeTemplate, int $serviceCount, string $domainPrefix, bool $extraIpv4 = false): array
    {
        Invariants::installHooks();
        Module::load(dirname(__DIR__, 3) . '/module');
        $welcome = Fixtures::emailTemplate($welcomeTemplate, ['message' => 'Your VM {$katapult_vm_hostname} is at {$katapult_vm_ip}.']);
        $product = (int) Fixtures::product(['servertype' => 'katapult', 'welcomeemail' => $welcome, 'configoption1' => 'rock-3', 'configoption2' => 'uk-lon-01', 'configoption3' => 'templates/ubuntu-22-04'])->id;
        $_POST = ['katapult_api_key' => 'sim-token', 'katapult_parent_organization' => ''];
        run_hook('AdminProductConfigFieldsSave', ['pid' => $product]);
        $_POST = [];
        Fixtures::server();
        $clients = array_map(fn () => (int) Fixtures::client()->id, range(1, max(1, intdiv($serviceCount, 5))));
        $extraIpv4Option = (int) Capsule::table('tblproductconfigoptions')->where('optionname', 'Extra IPv4 Addresses')->value('id');
        $life = [];
        foreach (range(0, $serviceCount - 1) as $i) {
            $id = (int) Fixtures::service($clients[$i % count($clients)], $product, ['domain' => "$domainPrefix$i.example.com"])->id;
            $extra = $extraIpv4 && $i % 3 === 1 ? ['ordered' => 1 + intdiv($i, 3) % 2, 'changed_to' => intdiv($i, 3) % 2 === 0 ? 2 : 0] : null;
            if ($extra !== null) {
                Fixtures::chooseOption($id, $extraIpv4Option, $extra['ordered']);
            }
            $life[$id] = ['state' => 'ordered', 'terminate' => $i % 5 === 4, 'vm_id' => null, 'extra_ipv4' => $extra];
        }
        return ['product' => $product, 'clients' => $clients, 'extraIpv4Option' => $extraIpv4Option, 'life' => $life];
    }

    /** @param array{state: string, terminate: bool, extra_ipv4?: ?array} $service */
    public function nextCommand(array $service): ?string
    {
        if ($service['state'] === 'active' && ($service['extra_ipv4'] ?? null) !== null) {
            return 'ChangePackage';
        }
        if ($service['state'] === 'active' || $service['state'] === 'changed') {
            return $service['terminate'] ? 'TerminateAccount' : null;
        }
        return $this->next[$service['state']] ?? null;
    }

    /** @param array<int, array{state: string, terminate: bool}> $life */
    public function unfinished(array $life): int
    {
        return count(array_filter($life, fn (array $s) => $this->nextCommand($s) !== null || $s['state'] === 'requested'));
    }
}
