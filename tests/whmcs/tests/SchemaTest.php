<?php

declare(strict_types=1);

namespace WhmcsStandIn\Tests;

use WHMCS\Database\Capsule;

final class SchemaTest extends StandInTestCase
{
    /** @return array<string, array{string, list<string>}> */
    public function tables(): array
    {
        $configOptions = array_map(fn ($i) => "configoption$i", range(1, 24));
        return [
            'tblclients' => ['tblclients', ['id', 'uuid', 'firstname', 'lastname', 'companyname', 'email', 'address1', 'address2',
                'city', 'state', 'postcode', 'country', 'phonenumber', 'tax_id', 'password', 'currency', 'credit', 'groupid',
                'language', 'status', 'allow_sso', 'email_verified', 'datecreated', 'lastlogin', 'notes', 'created_at', 'updated_at']],
            'tblproducts' => ['tblproducts', array_merge(['id', 'type', 'gid', 'name', 'slug', 'description', 'hidden',
                'showdomainoptions', 'welcomeemail', 'stockcontrol', 'qty', 'proratabilling', 'proratadate',
                'proratachargenextmonth', 'paytype', 'allowqty', 'subdomain', 'autosetup', 'servertype', 'servergroup'],
                $configOptions, ['freedomain', 'freedomainpaymentterms', 'freedomaintlds', 'recurringcycles', 'autoterminatedays',
                'autoterminateemail', 'configoptionsupgrade', 'billingcycleupgrade', 'upgradeemail', 'overagesenabled',
                'overagesdisklimit', 'overagesbwlimit', 'overagesdiskprice', 'overagesbwprice', 'tax', 'affiliateonetime',
                'affiliatepaytype', 'affiliatepayamount', 'order', 'retired', 'is_featured', 'color', 'tagline',
                'short_description', 'created_at', 'updated_at'])],
            'tblhosting' => ['tblhosting', ['id', 'userid', 'orderid', 'packageid', 'server', 'regdate', 'domain', 'paymentmethod',
                'qty', 'firstpaymentamount', 'amount', 'billingcycle', 'nextduedate', 'nextinvoicedate', 'termination_date',
                'completed_date', 'domainstatus', 'username', 'password', 'notes', 'subscriptionid',
                'recommendation_source_product_id', 'promoid', 'promocount', 'suspendreason', 'overideautosuspend',
                'overidesuspenduntil', 'dedicatedip', 'assignedips', 'ns1', 'ns2', 'diskusage', 'disklimit', 'bwusage', 'bwlimit',
                'upsell_from_products', 'lastupdate', 'created_at', 'updated_at']],
            'tblhostingconfigoptions' => ['tblhostingconfigoptions', ['id', 'relid', 'configid', 'optionid', 'qty']],
            'tblproductconfiggroups' => ['tblproductconfiggroups', ['id', 'name', 'description']],
            'tblproductconfiglinks' => ['tblproductconfiglinks', ['id', 'gid', 'pid']],
            'tblproductconfigoptions' => ['tblproductconfigoptions', ['id', 'gid', 'optionname', 'optiontype', 'qtyminimum',
                'qtymaximum', 'order', 'hidden']],
            'tblproductconfigoptionssub' => ['tblproductconfigoptionssub', ['id', 'configid', 'optionname', 'sortorder', 'hidden']],
            'tblcustomfields' => ['tblcustomfields', ['id', 'type', 'relid', 'fieldname', 'fieldtype', 'description',
                'fieldoptions', 'regexpr', 'adminonly', 'required', 'showorder', 'showinvoice', 'sortorder', 'created_at', 'updated_at']],
            'tblcustomfieldsvalues' => ['tblcustomfieldsvalues', ['id', 'fieldid', 'relid', 'value', 'created_at', 'updated_at']],
            'tblactivitylog' => ['tblactivitylog', ['id', 'date', 'description', 'user', 'userid', 'user_id', 'admin_id', 'ipaddr']],
            'tblmodulelog' => ['tblmodulelog', ['id', 'date', 'module', 'action', 'request', 'response', 'arrdata']],
            'tblemailtemplates' => ['tblemailtemplates', ['id', 'type', 'name', 'subject', 'message', 'disabled', 'language']],
            'tblemails' => ['tblemails', ['id', 'userid', 'subject', 'message', 'date', 'to', 'cc', 'bcc']],
            'tblservers' => ['tblservers', ['id', 'name', 'ipaddress', 'assignedips', 'hostname', 'monthlycost', 'noc',
                'statusaddress', 'nameserver1', 'nameserver1ip', 'nameserver5', 'nameserver5ip', 'maxaccounts', 'type', 'username',
                'password', 'accesshash', 'secure', 'port', 'active', 'disabled']],
            'tblconfiguration' => ['tblconfiguration', ['setting', 'value']],
            'tblpricing' => ['tblpricing', ['id', 'type', 'currency', 'relid', 'msetupfee', 'tsetupfee', 'monthly', 'triennially']],
            'tblcurrencies' => ['tblcurrencies', ['id', 'code', 'prefix', 'suffix', 'format', 'rate', 'default']],
            'tblmodulequeue' => ['tblmodulequeue', ['id', 'service_type', 'service_id', 'module_name', 'module_action',
                'last_attempt', 'last_attempt_error', 'num_retries', 'completed', 'created_at', 'updated_at']],
        ];
    }

    /** @dataProvider tables */
    public function testTableHasWhmcsColumns(string $table, array $columns): void
    {
        $this->assertTrue(Capsule::schema()->hasTable($table), "$table exists");
        $actual = Capsule::schema()->getColumnListing($table);
        $this->assertSame([], array_values(array_diff($columns, $actual)), "missing columns in $table");
    }

    public function testMysqlColumnTypesFollowWhmcs(): void
    {
        if (!$this->isMysql()) {
            $this->markTestSkipped('column types are checked on MariaDB');
        }
        $type = fn (string $t, string $c) => (string) Capsule::selectOne(
            'SELECT column_type AS t FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = ? AND column_name = ?',
            [$t, $c]
        )->t;
        $this->assertSame("enum('Pending','Active','Suspended','Terminated','Cancelled','Fraud','Completed')", $type('tblhosting', 'domainstatus'));
        $this->assertSame('text', $type('tblhosting', 'password'));
        $this->assertSame('text', $type('tblhosting', 'dedicatedip'));
        $this->assertSame('decimal(16,2)', $type('tblhosting', 'amount'));
        $this->assertSame('date', $type('tblhosting', 'regdate'));
        $this->assertSame('datetime', $type('tblhosting', 'lastupdate'));
        $this->assertSame('text', $type('tblproducts', 'configoption24'));
        $this->assertStringStartsWith('int', $type('tblproducts', 'welcomeemail'));
        $this->assertSame('mediumtext', $type('tblmodulelog', 'request'));
        $this->assertSame("enum('Active','Inactive','Closed')", $type('tblclients', 'status'));
        $this->assertStringStartsWith('int', $type('tblactivitylog', 'userid'));
        $this->assertStringContainsString('unsigned', $type('tblactivitylog', 'userid'));
    }

    public function testStatusEnumRejectsUnknownValueOnSqlite(): void
    {
        if ($this->isMysql()) {
            $this->markTestSkipped('MariaDB in non-strict mode stores an empty string instead, as WHMCS databases do');
        }
        $this->expectException(\Illuminate\Database\QueryException::class);
        Capsule::table('tblhosting')->insert(['domainstatus' => 'Running']);
    }

    public function testOmittedTextColumnsBecomeEmptyStrings(): void
    {
        $id = Capsule::table('tblhosting')->insertGetId(['userid' => 1, 'packageid' => 1]);
        $row = Capsule::table('tblhosting')->find($id);
        $this->assertSame('', $row->dedicatedip);
        $this->assertSame('Pending', $row->domainstatus);
        $this->assertNull($row->nextduedate);
    }
}
