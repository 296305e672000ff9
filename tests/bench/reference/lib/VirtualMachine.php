<?php
/**
 * The incumbent's VirtualMachine service model: tblhosting through Eloquent,
 * its Katapult links read from the datastore on each access, the live VM read once per model,
 * the build check, and a built VM written into the service.
 */

declare(strict_types=1);

namespace WHMCS\Module\Server\Katapultref;

use Carbon\Carbon;

class BuildNotFound extends \RuntimeException
{
}

class VirtualMachineExists extends \RuntimeException
{
}

class Building extends \RuntimeException
{
}

class BuildFailed extends \RuntimeException
{
}

class BuildTimedOut extends \RuntimeException
{
}

class VirtualMachine extends \WHMCS\Service\Service
{
    public const BUILD_TIMEOUT = 900;
    public const HOOK_VM_BUILT = 'KatapultVirtualMachineBuilt';
    public const HOOK_BUILD_TIMED_OUT = 'KatapultVirtualMachineBuildTimedOut';

    /** The live VM, read once per model (the incumbent's protected $virtualMachine). */
    protected ?object $virtualMachine = null;

    public function vmId(): ?string
    {
        $value = DataStore::read('service', (int) $this->id, 'vm_id');
        return is_string($value) && $value !== '' ? $value : null;
    }

    public function vmBuildId(): ?string
    {
        $value = DataStore::read('service', (int) $this->id, 'vm_build_id');
        return is_string($value) && $value !== '' ? $value : null;
    }

    public function vmBuildStartedAt(): ?Carbon
    {
        $value = DataStore::read('service', (int) $this->id, 'vm_build_started_at');
        return $value instanceof Carbon ? $value : null;
    }

    /** The live VM (GET /virtual_machines/virtual_machine), or null without a VM id. */
    public function vm(): ?object
    {
        if ($this->virtualMachine === null) {
            $vmId = $this->vmId();
            if ($vmId === null) {
                return null;
            }
            $this->virtualMachine = Api::get('virtual_machines/virtual_machine', ['virtual_machine[id]' => $vmId])->virtual_machine;
        }
        return $this->virtualMachine;
    }

    /** The VM's state; `building` with a build and no VM yet; `unknown` otherwise. */
    public function vmState(): string
    {
        $vm = $this->vm();
        if ($vm !== null) {
            return (string) $vm->state;
        }
        return $this->vmBuildId() !== null ? 'building' : 'unknown';
    }

    /** @return array{id: int, vm_id: ?string, vm: array{state: string}} */
    public function toPublicArray(): array
    {
        return ['id' => (int) $this->id, 'vm_id' => $this->vmId(), 'vm' => ['state' => $this->vmState()]];
    }

    public function silentlyCheckForExistingBuildAttempt(): void
    {
        try {
            $this->checkForExistingBuildAttempt();
        } catch (\Throwable) {
        }
    }

    /** The build, then the VM; a ready VM is persisted. */
    public function checkForExistingBuildAttempt(): void
    {
        if ($this->vmId() !== null) {
            throw new VirtualMachineExists('There is a VM ID set for this service already');
        }
        $buildId = $this->vmBuildId();
        if ($buildId === null) {
            throw new BuildNotFound('There is no VM build ID set for this service');
        }
        $build = Api::get('virtual_machines/builds/virtual_machine_build', ['virtual_machine_build[id]' => $buildId])->virtual_machine_build;
        try {
            if (!isset($build->virtual_machine->id)) {
                throw new Building('The VM build is queued with Katapult');
            }
            if ($build->state === 'failed') {
                throw new BuildFailed('The VM build has failed');
            }
            if ($build->state !== 'complete') {
                throw new Building('The VM build is still in progress');
            }
            $vm = Api::get('virtual_machines/virtual_machine', ['virtual_machine[id]' => $build->virtual_machine->id])->virtual_machine;
            if (empty($vm->initial_root_password)) {
                throw new Building('The VM is awaiting a root password');
            }
            if (empty($vm->ip_addresses)) {
                throw new Building('The VM is awaiting IP address assignment');
            }
        } catch (Building $e) {
            $started = $this->vmBuildStartedAt();
            if ($started !== null && $started->diffInSeconds(Carbon::now()) > self::BUILD_TIMEOUT) {
                if (DataStore::read('service', (int) $this->id, 'vm_build_timeout_reached_at') === null) {
                    $this->triggerHook(self::HOOK_BUILD_TIMED_OUT);
                }
                DataStore::write('service', (int) $this->id, 'vm_build_timeout_reached_at', Carbon::now());
                throw new BuildTimedOut('Virtual machine build has timed out');
            }
            throw $e;
        }
        $this->populateServiceWithVm($vm);
    }

    protected function populateServiceWithVm(object $vm): void
    {
        $addresses = array_map(static fn (object $ip): string => (string) $ip->address, (array) $vm->ip_addresses);
        $this->username = 'root';
        $this->password = encrypt((string) $vm->initial_root_password);
        $this->domain = (string) $vm->fqdn;
        $this->dedicatedip = (string) (array_shift($addresses) ?? '');
        $this->assignedips = implode(PHP_EOL, $addresses);
        $this->save();
        DataStore::write('service', (int) $this->id, 'vm_id', (string) $vm->id, (string) $vm->id);
        $this->virtualMachine = $vm;
        $this->log('Successfully provisioned');
        $this->triggerHook(self::HOOK_VM_BUILT);
    }

    /** Salmon's Service::log: the client's activity log, "[Service ID: N]: …". */
    public function log(string $message): void
    {
        logActivity('[Service ID: ' . $this->id . ']: ' . $message, (int) $this->client->id);
    }

    public function triggerHook(string $hook): void
    {
        try {
            run_hook($hook, [$this], true);
        } catch (\Throwable $e) {
            $this->log('Failed to run hook: ' . $hook . ': ' . $e->getMessage());
        }
    }
}
