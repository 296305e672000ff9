<?php
/**
 * The incumbent's build sync (its Sync/VMBuilds): one SQL query finds the Active
 * services of this module with a build id (value_index set) and no VM id; then, one after
 * another, each service is loaded, "[SyncVmBuilds]: Starting" logged, and its build checked
 * (VirtualMachine::checkForExistingBuildAttempt: the build, then the VM, then the persist).
 * Any exception (including the ordinary "still building") is logged against the service.
 */

declare(strict_types=1);

namespace WHMCS\Module\Server\Katapultref;

use WHMCS\Database\Capsule;

final class BuildSync
{
    public static function run(): void
    {
        $statement = Capsule::connection()->getPdo()->prepare(
            'SELECT DISTINCT tblhosting.id FROM tblhosting'
            . ' INNER JOIN tblproducts ON tblproducts.id = tblhosting.packageid'
            . ' INNER JOIN mod_salmon_data_store_items build ON build.rel_type = \'service\' AND build.rel_id = tblhosting.id'
            . '   AND build.`key` = \'vm_build_id\' AND build.value_index IS NOT NULL'
            . ' LEFT JOIN mod_salmon_data_store_items vm ON vm.rel_type = \'service\' AND vm.rel_id = tblhosting.id AND vm.`key` = \'vm_id\''
            . ' WHERE tblhosting.domainstatus = \'Active\' AND tblproducts.servertype = ? AND vm.id IS NULL'
        );
        $statement->execute([KATAPULTREF_SERVER_MODULE]);
        $ids = $statement->fetchAll(\PDO::FETCH_COLUMN);
        logActivity('[Katapult]: [SyncVmBuilds]: Found ' . count($ids) . ' VM builds');
        foreach ($ids as $id) {
            $service = null;
            try {
                $service = VirtualMachine::findOrFail((int) $id);
                $service->log('[SyncVmBuilds]: Starting');
                $service->checkForExistingBuildAttempt();
            } catch (\Throwable $e) {
                if ($service !== null) {
                    $service->log('[SyncVmBuilds]: Error: ' . $e->getMessage());
                } else {
                    logActivity('[Katapult]: [SyncVmBuilds]: Error: Service ID: ' . $id . ': ' . $e->getMessage());
                }
            }
        }
    }
}
