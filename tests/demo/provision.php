<?php
/**
 * The demo's story: what the module does for a paid WHMCS order, told step by step through the
 * extension's Katapult\ApiClient against the simulator (see run.sh).
 */
declare(strict_types=1);

use Katapult\ApiClient;
use Katapult\ApiException;

function step(string $text): void
{
    echo "\n== ", $text, "\n";
}

function show(string $label, string $value): void
{
    printf("   %-18s %s\n", $label . ':', $value);
}

/** Polls until $done returns a value (the module's cron does this between runs). */
function wait_for(string $what, callable $done, float $seconds = 60): mixed
{
    $deadline = microtime(true) + $seconds;
    while (($value = $done()) === null) {
        if (microtime(true) > $deadline) {
            throw new RuntimeException("timed out waiting for $what");
        }
        usleep(200_000);
    }
    return $value;
}

function wait_task(ApiClient $api, array $task): void
{
    wait_for($task['name'] ?? 'task', function () use ($api, $task) {
        $status = $api->task($task['id'])['status'];
        return in_array($status, ['completed', 'failed'], true) ? $status : null;
    });
}

function wait_state(ApiClient $api, string $vmId, string $state): array
{
    return wait_for("state $state", function () use ($api, $vmId, $state) {
        $vm = $api->virtualMachine($vmId)['virtual_machine'];
        return $vm['state'] === $state ? $vm : null;
    });
}

echo "katapult extension ", Katapult\version(), "\n";
$api = new ApiClient('sim-token');

try {
    step('Test connection (the product\'s "Test Connection" button)');
    $parent = null;
    foreach ($api->organizations() as $organization) {
        if (!$organization['managed']) {
            $parent = $organization;
        }
    }
    show('API', $api->apiUrl());
    show('parent org', sprintf('%s (%s)', $parent['name'], $parent['sub_domain']));

    step('Product settings dropdowns, filled live from the API');
    show('data centers', implode(', ', array_map(fn ($dc) => $dc['permalink'], $api->dataCenters())));
    $packages = $api->virtualMachinePackages();
    show('packages', count($packages) . ' (' . implode(', ', array_slice(array_map(fn ($p) => $p['permalink'], $packages), 0, 6)) . ', ...)');
    $templates = $api->diskTemplates($parent['id']);
    show('disk templates', count($templates) . ' (' . implode(', ', array_slice(array_map(fn ($t) => $t['permalink'], $templates), 0, 4)) . ', ...)');

    step('CreateAccount: the client\'s managed organization');
    $clientId = (string) random_int(1000, 9999);
    $org = $api->createManagedOrganization($parent['id'], "Demo Client $clientId", 'demo-' . bin2hex(random_bytes(4)), ['whmcs_client_id' => $clientId]);
    show('managed org', sprintf('%s (%s)', $org['id'], $org['sub_domain']));

    step('CreateAccount: request the build and return at once');
    $started = $api->buildVirtualMachine([
        'organization' => $org['id'],
        'package' => 'rock-3',
        'data_center' => 'uk-lon-01',
        'disk_template' => 'templates/ubuntu-22-04',
        'hostname' => 'demo-server',
        'annotations' => ['whmcs_service_id' => '42'],
    ]);
    $build = $started['virtual_machine_build'];
    show('build', sprintf('%s (%s)', $build['id'], $build['state']));
    show('hostname', (string) $started['hostname']);

    step('Build sync (the cron hook): poll until complete');
    $t0 = microtime(true);
    $built = wait_for('the build', function () use ($api, $build) {
        $now = $api->virtualMachineBuild($build['id']);
        echo "   build state: ", $now['state'], "\n";
        return $now['state'] === 'complete' ? $now : null;
    });
    $vm = wait_state($api, $built['virtual_machine']['id'], 'started');
    show('built in', sprintf('%.1f s', microtime(true) - $t0));
    show('VM', $vm['id']);
    show('FQDN', $vm['fqdn']);
    show('IPs', implode(', ', array_map(fn ($ip) => $ip['address'], $vm['ip_addresses'])));
    show('root password', str_repeat('*', strlen((string) $vm['initial_root_password'])) . ' (stored encrypted in WHMCS)');
    show('package', $vm['package']['name'] . ' in ' . $vm['zone']['data_center']['name']);

    step('Client area power actions');
    foreach (['shutdown' => 'stopped', 'start' => 'started', 'reset' => 'started'] as $action => $state) {
        wait_task($api, $api->{$action}($vm['id']));
        wait_state($api, $vm['id'], $state);
        show($action, "done, VM $state");
    }

    step('Console (single sign-on)');
    $console = $api->createConsoleSession($vm['id']);
    show('console URL', $console['url']);

    step('ChangePackage: upgrade to rock-6');
    wait_task($api, $api->changePackage($vm['id'], 'rock-6'));
    $vm = $api->virtualMachine($vm['id'])['virtual_machine'];
    show('now', sprintf('%s: %d vCPU, %d GB', $vm['package']['name'], $vm['cpu_cores'], $vm['memory_in_gb']));

    step('A provider-readable error');
    try {
        $api->virtualMachine('vm_doesnotexist00');
    } catch (ApiException $e) {
        show('message', $e->getMessage());
        show('errorCode', $e->errorCode);
    }

    step('TerminateAccount: delete to the trash, then purge');
    $trash = $api->deleteVirtualMachine($vm['id'])['trash_object'];
    show('trash object', $trash['id']);
    wait_task($api, $api->purgeTrashObject($trash['id']));
    try {
        $api->virtualMachine($vm['id']);
    } catch (ApiException $e) {
        show('VM now', $e->errorCode);
    }
    echo "\nDemo complete.\n";
} catch (ApiException $e) {
    fwrite(STDERR, "demo failed: " . $e->getMessage() . "\n");
    exit(1);
}
