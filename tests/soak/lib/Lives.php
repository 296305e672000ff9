<?php
/** The services' lives a run drives (the soak, the cluster run): each state's next command. */

declare(strict_types=1);

namespace Katapult\Tests\Soak;

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
     * services, and the services, ordered; every fifth is to end terminated.
     *
     * @return array{product: int, clients: list<int>, life: array<int, array{state: string, terminate: bool, vm_id: ?string}>}
     */
    public static function setUp(string $welcomeTemplate, int $serviceCount, string $domainPrefix): array
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
        $life = [];
        foreach (range(0, $serviceCount - 1) as $i) {
            $id = (int) Fixtures::service($clients[$i % count($clients)], $product, ['domain' => "$domainPrefix$i.example.com"])->id;
            $life[$id] = ['state' => 'ordered', 'terminate' => $i % 5 === 4, 'vm_id' => null];
        }
        return ['product' => $product, 'clients' => $clients, 'life' => $life];
    }

    /** @param array{state: string, terminate: bool} $service */
    public function nextCommand(array $service): ?string
    {
        if ($service['state'] === 'active') {
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
