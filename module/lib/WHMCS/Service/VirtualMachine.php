<?php
/**
 * The documented service class for hook code: a WHMCS service (tblhosting, Eloquent) with its
 * Katapult VM.
 *
 *     use WHMCS\Module\Server\Katapult\WHMCS\Service\VirtualMachine as VirtualMachineService;
 *
 *     $service = VirtualMachineService::findOrFail(1337);
 *     $service->vm_build_id;          // ?string
 *     $service->vm_build_started_at;  // ?\Carbon\Carbon
 *     $service->vm_id;                // ?string, once built
 *     $service->vm;                   // the live VM from Katapult (read once per object), or null
 *     $service->vm_state;             // string: the VM's state, 'building', or 'unknown'
 *     $service->vm->start(); $service->vm->stop(); $service->vm->shutdown(); $service->vm->reset();
 *     $service->vm->createConsoleSession();
 *
 * It is a PHP class only because a native class cannot extend WHMCS's Eloquent Service; the work
 * is done by the katapult extension (\Katapult\VirtualMachineService). API failures throw
 * \Katapult\ApiException, with the Katapult error code in $e->errorCode.
 */

namespace WHMCS\Module\Server\Katapult\WHMCS\Service;

use Carbon\Carbon;
use Katapult\VirtualMachineService as NativeService;
use Krystal\Katapult\API\RestfulKatapultApiV1\Resources\Organization\VirtualMachine as KatapultVirtualMachine;

class VirtualMachine extends \WHMCS\Service\Service
{
    /** The native side, made on first use. */
    private ?NativeService $katapult = null;

    /** The live VM once read: false until then. */
    private KatapultVirtualMachine|null|false $katapultVm = false;

    private function katapult(): NativeService
    {
        return $this->katapult ??= new NativeService((int) $this->id, (int) $this->userid);
    }

    public function getVmIdAttribute(): ?string
    {
        return $this->katapult()->vmId();
    }

    public function getVmBuildIdAttribute(): ?string
    {
        return $this->katapult()->vmBuildId();
    }

    public function getVmBuildStartedAtAttribute(): ?Carbon
    {
        $startedAt = $this->katapult()->vmBuildStartedAt();
        return $startedAt === null ? null : Carbon::createFromTimestampUTC($startedAt);
    }

    public function getVmAttribute(): ?KatapultVirtualMachine
    {
        if ($this->katapultVm === false) {
            $this->katapultVm = $this->katapult()->vm();
        }
        return $this->katapultVm;
    }

    /** Never throws: hook code reads it in crons and emails. */
    public function getVmStateAttribute(): string
    {
        try {
            $vm = $this->vm;
        } catch (\Katapult\ApiException $e) {
            return 'unknown';
        }
        return $vm === null ? $this->katapult()->offlineState() : (string) $vm->state;
    }
}
