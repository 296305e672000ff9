<?php

declare(strict_types=1);

namespace WhmcsStandIn\Tests;

use WHMCS\Database\Capsule;
use WhmcsStandIn\SalmonDataStore;

final class SalmonDataStoreTest extends StandInTestCase
{
    public function testRowsAreWrittenAsTheIncumbentLeavesThem(): void
    {
        SalmonDataStore::set('module_setting', 'katapult', 'api_v1_key', encrypt('kpk_abc'));
        SalmonDataStore::set('service', 12, 'vm_build_id', 'vmbuild_X', 'vmbuild_X');
        SalmonDataStore::set('client', 3, 'managed_org_id', 'org_Y');

        $rows = Capsule::table(SalmonDataStore::TABLE)->orderBy('id')->get();
        $this->assertSame(0, (int) $rows[0]->rel_id, "string rel_id 'katapult' is stored as 0");
        $this->assertSame('kpk_abc', decrypt(unserialize($rows[0]->value)));
        $this->assertSame('s:9:"vmbuild_X";', $rows[1]->value);
        $this->assertSame('vmbuild_X', $rows[1]->value_index);
        $this->assertNull($rows[2]->value_index);
        $this->assertSame('org_Y', SalmonDataStore::get('client', 3, 'managed_org_id'));

        SalmonDataStore::set('client', 3, 'managed_org_id', 'org_Z');
        $this->assertSame(3, Capsule::table(SalmonDataStore::TABLE)->count(), 'read-then-write, no duplicate');
    }

    public function testResetEmptiesModuleTablesToo(): void
    {
        SalmonDataStore::set('client', 1, 'k', 'v');
        \WhmcsStandIn\Environment::reset();
        $this->assertSame(0, Capsule::table(SalmonDataStore::TABLE)->count());
    }
}
